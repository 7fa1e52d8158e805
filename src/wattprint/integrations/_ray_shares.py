"""Ray task attribution: CPU seconds per task name -> a share of the node's CPU energy.

Pure but for the lock of :class:`ShareBook`. Each node's tracker actor keeps
one book: tasks and actor methods wrapped in
:func:`wattprint.integrations.ray.attribute` report the CPU seconds their
worker process spent (user + system, and that of children it waited for).
:func:`with_shares` turns the book into phases of the node's part of the
run: name ``i`` receives, of every CPU device's energy ``E``,

    E * cpu_s[i] / max(machine_busy_cpu_s, sum(cpu_s))

where ``machine_busy_cpu_s`` is the CPU time the whole machine was busy
(every process, every core) while the tracker ran. What the named tasks did
not use (idle power, Ray's own daemons, other programs) stays outside every
phase. GPU and memory energy are not split: there are no per-process energy
counters for them, and a GPU's power does not follow any process' CPU time.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from wattprint.model import DeviceKind, Phase, Run

#: Prefix of the phases that hold task shares (``ray:<name>@<host>``).
PHASE_PREFIX = "ray:"


@dataclass(frozen=True)
class TaskShare:
    """What the tasks of one name reported on one node.

    Attributes:
        name: The task (or actor method) name.
        calls: How many invocations reported.
        cpu_s: CPU seconds of their worker processes, summed.
        wall_s: Wall-clock seconds of the invocations, summed.
        first_started_utc: When the first invocation began.
        last_ended_utc: When the last one ended.
    """

    name: str
    calls: int
    cpu_s: float
    wall_s: float
    first_started_utc: datetime
    last_ended_utc: datetime


class ShareBook:
    """Thread-safe totals per task name (the tracker's flush thread reads them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shares: dict[str, TaskShare] = {}

    def add(self, name: str, cpu_s: float, wall_s: float, started_utc: datetime,
            ended_utc: datetime) -> None:
        """Add one invocation of ``name``."""
        with self._lock:
            old = self._shares.get(name)
            if old is None:
                self._shares[name] = TaskShare(name, 1, cpu_s, wall_s, started_utc, ended_utc)
                return
            self._shares[name] = TaskShare(
                name, old.calls + 1, old.cpu_s + cpu_s, old.wall_s + wall_s,
                min(old.first_started_utc, started_utc), max(old.last_ended_utc, ended_utc))

    def shares(self) -> list[TaskShare]:
        """The totals so far, by name."""
        with self._lock:
            return [self._shares[k] for k in sorted(self._shares)]


def busy_cpu_s(times: Mapping[str, float]) -> float:
    """Busy CPU seconds of a ``psutil.cpu_times()._asdict()``: all but idle and iowait.

    ``guest`` and ``guest_nice`` are already counted in ``user`` and ``nice`` on Linux.
    """
    skip = {"idle", "iowait", "guest", "guest_nice"}
    return float(sum(v for k, v in times.items() if k not in skip))


def with_shares(run: Run, shares: list[TaskShare], machine_busy_cpu_s: float) -> Run:
    """``run`` with one phase per task name holding its share of the CPU energy, and a note.

    ``run`` is one node's part; the phases are named ``ray:<name>@<host>`` so
    they stay apart once the parts are merged.
    """
    if not shares:
        return run
    cpu_j = {d.device.id: d.energy_j for d in run.devices if d.device.kind is DeviceKind.CPU}
    task_cpu_s = sum(s.cpu_s for s in shares)
    denominator = max(machine_busy_cpu_s, task_cpu_s)
    phases = []
    for share in shares:
        fraction = share.cpu_s / denominator if denominator > 0 else 0.0
        phases.append(Phase(
            name=f"{PHASE_PREFIX}{share.name}@{run.host}",
            started_utc=share.first_started_utc,
            ended_utc=share.last_ended_utc,
            duration_s=share.wall_s,
            energy_by_device_j={dev: joules * fraction for dev, joules in cpu_j.items()},
        ))
    attributed_j = sum(p.energy_j for p in phases)
    percent = 100.0 * task_cpu_s / denominator if denominator > 0 else 0.0
    calls = sum(s.calls for s in shares)
    note = (f"ray on {run.host}: {calls} task call{'' if calls == 1 else 's'} of "
            f"{len(shares)} name{'' if len(shares) == 1 else 's'} used {task_cpu_s:.2f} "
            f"of the machine's {machine_busy_cpu_s:.2f} busy CPU-s "
            f"({percent:.1f} %): {attributed_j:.1f} J of {sum(cpu_j.values()):.1f} J CPU energy "
            "attributed to them (phases ray:*); GPU and memory energy are not split")
    if not cpu_j:
        note = (f"ray on {run.host}: {len(shares)} task names reported CPU time, but this "
                "node measured no CPU device, so nothing was attributed")
    return replace(run, phases=(*run.phases, *phases), warnings=(*run.warnings, note))
