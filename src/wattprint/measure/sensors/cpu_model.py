"""Modelled CPU energy where no counter exists (VMs, containers, macOS).

Power model, per logical CPU ``w = TDP_visible / logical_cpus``::

    P = P_idle + (P_max - P_idle) × u,  P_max = w × C,  P_idle = IDLE_FRACTION_OF_TDP × P_max

with ``C`` the CPUs the scope may use (all logical CPUs, or the cgroup v2
quota when smaller) and ``u`` the busy share of those CPUs. Rather than
sample ``u``, each read turns CPU-time deltas into energy — CPU time is
already an integral, so nothing between reads is missed::

    ΔE = w × [(1 - f) × busy_cpu_s + f × C × Δt × idle_share]

* Machine scope (``pid=None``): ``busy_cpu_s`` is the host's busy CPU time
  (or the cgroup's ``usage_usec`` when a quota applies), ``idle_share = 1``.
* Process scope (``pid=N``): ``busy_cpu_s`` is the CPU time of the process
  tree rooted at N (see :mod:`.proctree`; new descendants are found by
  :meth:`CpuModelSensor.refresh`), and the idle floor is shared in
  proportion to the tree's part of the machine's busy time in the interval
  (``tree / machine``): a job alone on a machine carries the whole floor, one
  of ten equal jobs a tenth, an idle job none.

``TDP_visible`` is the table TDP × packages, scaled down to
``logical_cpus / threads_per_package`` when fewer hardware threads are
visible than one package has (a VM slice of a host CPU).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wattprint.errors import SensorError
from wattprint.measure.sensors import cgroup, tdp
from wattprint.measure.sensors.base import Probe
from wattprint.measure.sensors.proctree import ProcessTree
from wattprint.model import Device, DeviceKind, Method, Reading

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: Idle power as a fraction of TDP. Cloud Carbon Footprint's per-vCPU
#: min/max watts, derived from SPECpower_ssj2008 results, put idle at
#: 0.15-0.41 of full load across 20 server micro-architectures (median
#: 0.27; https://www.cloudcarbonfootprint.org/docs/methodology). 0.25 sits
#: at that median, rounded down because TDP already overstates typical load.
IDLE_FRACTION_OF_TDP = 0.25
IDLE_FRACTION_SOURCE = "idle floor 25% of TDP (CCF methodology, SPECpower_ssj2008-based)"

_NOT_BUSY = ("idle", "iowait", "steal", "guest", "guest_nice")


def load_psutil(psutil: Any = None) -> Any:
    """Return ``psutil`` or the imported module (a required dependency)."""
    if psutil is not None:
        return psutil
    import psutil as module  # type: ignore[import-untyped, unused-ignore]

    return module


def machine_busy_s(psutil: Any) -> float:
    """Busy CPU seconds of the whole host so far, all CPUs summed."""
    times = psutil.cpu_times()._asdict()
    return float(sum(v for k, v in times.items() if k not in _NOT_BUSY))


@dataclass(frozen=True)
class _Plan:
    """The constants of the model for this machine."""

    w_per_cpu: float
    capacity_cpus: float
    brand: str
    source: str
    note: str


class CpuModelSensor:
    """Cumulative modelled CPU energy from CPU time × TDP (method MODELLED).

    Args:
        pid: Root of the process tree to attribute energy to; None for the
            whole machine.
        tdp_w: TDP of the visible CPUs (W), overriding the table.
        cpu_model: Brand string to look up, overriding detection.
        proc_root: The ``/proc`` to read ``cpuinfo`` and ``<pid>/cgroup`` from.
        cgroup_root: The cgroup v2 mount.
        psutil: The ``psutil`` module or a stand-in.
        table_path: The TDP table CSV.
        device_id: Id of the device reported (``"cpu:0"``).
        share: Fraction of the modelled CPU this device stands for (a
            replacement for one package of several uses ``1 / packages``).

    Example:
        >>> sensor = CpuModelSensor(pid=os.getpid())   # doctest: +SKIP
        >>> sensor.start(); sensor.read(t_s=0.0)       # doctest: +SKIP
    """

    name = "cpu-model"

    def __init__(
        self,
        pid: int | None = None,
        *,
        tdp_w: float | None = None,
        cpu_model: str | None = None,
        proc_root: Path = Path("/proc"),
        cgroup_root: Path = Path("/sys/fs/cgroup"),
        psutil: Any = None,
        table_path: Path = tdp.DEFAULT_TABLE,
        device_id: str = "cpu:0",
        share: float = 1.0,
    ) -> None:
        if tdp_w is not None and tdp_w <= 0:
            raise ValueError(f"tdp_w must be positive, got {tdp_w}")
        if not 0 < share <= 1:
            raise ValueError(f"share must be in (0, 1], got {share}")
        self._pid = pid
        self._tdp_w = tdp_w
        self._cpu_model = cpu_model
        self._proc_root = proc_root
        self._cgroup_root = cgroup_root
        self._psutil_arg = psutil
        self._table_path = table_path
        self._device_id = device_id
        self._share = share
        self._ps: Any = None
        self._plan: _Plan | None = None
        self._device: Device | None = None
        self._cgroup_dir: Path | None = None
        self._tree: ProcessTree | None = None
        self._last_t: float | None = None
        self._last_machine_s = 0.0
        self._energy_j = 0.0

    @property
    def devices(self) -> tuple[Device, ...]:
        """The one modelled CPU device (valid after :meth:`start`)."""
        return () if self._device is None else (self._device,)

    @property
    def plan_note(self) -> str:
        """How the TDP was chosen, in words (after :meth:`start`)."""
        return "" if self._plan is None else self._plan.note

    def start(self) -> None:
        """Choose the TDP, find the CPU quota and take CPU-time baselines.

        Raises:
            SensorError: The process does not exist or CPU times are unreadable.
        """
        ps = self._ps = load_psutil(self._psutil_arg)
        limit = cgroup.cpu_limit(self._pid, self._proc_root, self._cgroup_root)
        logical = int(ps.cpu_count(logical=True) or 1)
        if limit.cpus is not None and limit.cpus < logical and limit.directory is not None:
            if cgroup.usage_s(limit.directory) is not None:
                self._cgroup_dir = limit.directory
        self._plan = self._make_plan(ps, logical, limit.cpus)
        self._device = self._make_device(self._plan)
        try:
            if self._pid is not None:
                self._tree = ProcessTree(self._pid, ps)
            self._last_machine_s = self._machine_s()
        except (ps.NoSuchProcess, ps.AccessDenied, OSError) as e:
            raise SensorError(f"cannot read CPU times for the CPU model: {e}") from e

    def _make_plan(self, ps: Any, logical: int, quota: float | None) -> _Plan:
        cpu = tdp.detect_cpu(self._proc_root)
        brand = self._cpu_model or cpu.brand
        capacity = min(float(logical), quota) if quota else float(logical)
        notes = [f"modelled from CPU time × TDP, {IDLE_FRACTION_SOURCE}"]
        if quota is not None and quota < logical:
            notes.append(f"cgroup CPU quota {quota:g} of {logical} CPUs")
        if self._tdp_w is not None:
            return _Plan(self._tdp_w / logical, capacity, brand, "tdp_w argument", "; ".join(notes))
        row = tdp.match(brand, tdp.load_table(self._table_path))
        if row is None:
            cores = int(ps.cpu_count(logical=False) or logical)
            total_w = tdp.DEFAULT_W_PER_CORE * cores
            notes.append(f"CPU {brand!r} not in the TDP table; assumed 12 W per core × {cores}")
            return _Plan(
                total_w / logical, capacity, brand, tdp.DEFAULT_W_PER_CORE_SOURCE, "; ".join(notes)
            )
        total_w = row.tdp_w * cpu.sockets
        if logical < row.threads * cpu.sockets:
            # A VM sees a slice of the host CPU: charge only the visible threads.
            total_w = row.tdp_w * logical / row.threads
            notes.append(f"{logical} of {row.threads} hardware threads visible; TDP scaled")
        source = f"TDP {row.tdp_w:g} W ({row.pattern!r}, {row.source}, {row.source_year})"
        return _Plan(total_w / logical, capacity, brand, source, "; ".join(notes))

    def _make_device(self, plan: _Plan) -> Device:
        scope = "whole machine" if self._pid is None else f"process tree of pid {self._pid}"
        return Device(
            id=self._device_id,
            kind=DeviceKind.CPU,
            index=0,
            name=plan.brand,
            method=Method.MODELLED,
            sensor=self.name,
            source=plan.source,
            note=f"{scope}; {plan.note}",
        )

    def _machine_s(self) -> float:
        if self._cgroup_dir is not None:
            usage = cgroup.usage_s(self._cgroup_dir)
            if usage is not None:
                return usage
        return machine_busy_s(self._ps)

    def read(self, t_s: float) -> list[Reading]:
        """The cumulative modelled energy (J) and the interval's mean power (W)."""
        plan, ps = self._plan, self._ps
        if plan is None or self._device is None:
            raise SensorError("CpuModelSensor.read() before start()")
        try:
            machine_s = self._machine_s()
            tree_s = None if self._tree is None else self._tree.cpu_seconds_delta()
        except (ps.NoSuchProcess, ps.AccessDenied, OSError) as e:
            raise SensorError(f"cannot read CPU times for the CPU model: {e}") from e
        machine_delta = max(machine_s - self._last_machine_s, 0.0)
        self._last_machine_s = machine_s
        last_t, self._last_t = self._last_t, t_s
        if last_t is None:  # the first read is the baseline of the counter
            return [Reading(self._device.id, t_s, energy_j=self._energy_j)]
        dt = max(t_s - last_t, 0.0)
        busy = machine_delta if tree_s is None else tree_s
        idle_share = 1.0 if tree_s is None else _idle_share(tree_s, machine_delta)
        f = IDLE_FRACTION_OF_TDP
        delta_j = (
            plan.w_per_cpu
            * self._share
            * ((1.0 - f) * busy + f * plan.capacity_cpus * dt * idle_share)
        )
        self._energy_j += delta_j
        util = 100.0 * busy / (plan.capacity_cpus * dt) if dt > 0 else None
        return [
            Reading(
                self._device.id,
                t_s,
                energy_j=self._energy_j,
                power_w=delta_j / dt if dt > 0 else None,
                utilisation_pct=None if util is None else min(util, 100.0),
            )
        ]

    def refresh(self) -> None:
        """Rescan the process tree for new descendants (the sampler calls it outside its lock).

        The next :meth:`read` counts the CPU time of those found. Nothing to
        do at machine scope.
        """
        if self._tree is not None:
            self._tree.rescan()

    def close(self) -> None:
        """Nothing is held open; safe to call twice."""


def _idle_share(tree_s: float, machine_s: float) -> float:
    """The tree's part of the machine's busy time (0 when it used nothing)."""
    if tree_s <= 0:
        return 0.0
    return tree_s / max(machine_s, tree_s)


def probe(
    *,
    proc_root: Path = Path("/proc"),
    cgroup_root: Path = Path("/sys/fs/cgroup"),
    psutil: Any = None,
) -> Probe:
    """Say which TDP the CPU model would use here; never raises."""
    sensor = CpuModelSensor(proc_root=proc_root, cgroup_root=cgroup_root, psutil=psutil)
    try:
        sensor.start()
    except Exception as e:  # a probe reports, it never raises
        return Probe("cpu-model", False, f"cannot model the CPU: {e}", "install psutil")
    finally:
        sensor.close()
    device = sensor.devices[0]
    return Probe(
        "cpu-model",
        True,
        f"available (modelled): {device.name}; {device.source}; {sensor.plan_note}",
    )
