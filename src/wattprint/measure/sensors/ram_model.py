"""Modelled RAM energy: watts per GB × GB in use.

Memory in use is the process tree's resident set (``pid`` given) or the
machine's ``total - available`` (``pid=None``; page cache that can be dropped
is not counted). Unlike CPU time, memory in use has no kernel integral, so
energy is integrated with the trapezoid rule between reads.
"""

from __future__ import annotations

import logging
from typing import Any

from wattprint.errors import SensorError
from wattprint.measure.sensors.base import Probe
from wattprint.measure.sensors.cpu_model import load_psutil
from wattprint.measure.sensors.proctree import ProcessTree
from wattprint.model import Device, DeviceKind, Method, Reading
from wattprint.units import BYTES_PER_GB

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: DRAM power per GB in use: the ``memoryPower`` reference value of the Green
#: Algorithms calculator (Lannelongue, Grealey & Inouye 2021, "Green
#: Algorithms: Quantifying the Carbon Footprint of Computation", Adv. Sci.;
#: data/latest/referenceValues.csv), itself from Karyakin & Salem 2017 (DaMoN)
#: and Tom's Hardware's i7-5960X DDR4 measurements.
W_PER_GB = 0.3725
W_PER_GB_SOURCE = "0.3725 W/GB (Green Algorithms memoryPower, Lannelongue et al. 2021)"


class RamModelSensor:
    """Cumulative modelled RAM energy (method MODELLED).

    Args:
        pid: Root of the process tree whose resident memory counts; None for
            the machine's memory in use.
        w_per_gb: Watts per GB (10^9 bytes) in use.
        psutil: The ``psutil`` module or a stand-in.
        device_id: Id of the device reported (``"ram"``).
        share: Fraction of the modelled memory this device stands for.

    Example:
        >>> sensor = RamModelSensor(pid=os.getpid())   # doctest: +SKIP
        >>> sensor.start(); sensor.read(t_s=0.0)       # doctest: +SKIP
    """

    name = "ram-model"

    def __init__(
        self,
        pid: int | None = None,
        w_per_gb: float = W_PER_GB,
        *,
        psutil: Any = None,
        device_id: str = "ram",
        share: float = 1.0,
    ) -> None:
        if w_per_gb <= 0:
            raise ValueError(f"w_per_gb must be positive, got {w_per_gb}")
        if not 0 < share <= 1:
            raise ValueError(f"share must be in (0, 1], got {share}")
        self._pid = pid
        self._w_per_gb = w_per_gb
        self._psutil_arg = psutil
        self._device_id = device_id
        self._share = share
        self._ps: Any = None
        self._tree: ProcessTree | None = None
        self._device: Device | None = None
        self._last: tuple[float, float] | None = None  # (t_s, power_w)
        self._energy_j = 0.0

    @property
    def devices(self) -> tuple[Device, ...]:
        """The one modelled RAM device (valid after :meth:`start`)."""
        return () if self._device is None else (self._device,)

    def start(self) -> None:
        """Check memory can be read.

        Raises:
            SensorError: The process does not exist or memory is unreadable.
        """
        ps = self._ps = load_psutil(self._psutil_arg)
        try:
            if self._pid is not None:
                self._tree = ProcessTree(self._pid, ps)
            self._used_bytes()
        except (ps.NoSuchProcess, ps.AccessDenied, OSError) as e:
            raise SensorError(f"cannot read memory use for the RAM model: {e}") from e
        scope = "whole machine" if self._pid is None else f"process tree of pid {self._pid}"
        source = W_PER_GB_SOURCE if self._w_per_gb == W_PER_GB else f"{self._w_per_gb} W/GB"
        self._device = Device(
            id=self._device_id,
            kind=DeviceKind.RAM,
            index=0,
            name="RAM",
            method=Method.MODELLED,
            sensor=self.name,
            source=source,
            note=f"{scope}; modelled as W/GB × memory in use",
        )

    def _used_bytes(self) -> float:
        if self._tree is not None:
            return self._tree.rss_bytes()
        vm = self._ps.virtual_memory()
        return float(vm.total) - float(vm.available)

    def read(self, t_s: float) -> list[Reading]:
        """The cumulative modelled energy (J), power (W) and memory in use."""
        if self._device is None:
            raise SensorError("RamModelSensor.read() before start()")
        ps = self._ps
        try:
            used = self._used_bytes()
        except (ps.NoSuchProcess, ps.AccessDenied, OSError) as e:
            raise SensorError(f"cannot read memory use for the RAM model: {e}") from e
        power_w = self._w_per_gb * self._share * used / BYTES_PER_GB
        if self._last is not None:
            last_t, last_w = self._last
            self._energy_j += 0.5 * (last_w + power_w) * max(t_s - last_t, 0.0)
        self._last = (t_s, power_w)
        return [
            Reading(
                self._device.id,
                t_s,
                energy_j=self._energy_j,
                power_w=power_w,
                memory_used_bytes=used,
            )
        ]

    def close(self) -> None:
        """Nothing is held open; safe to call twice."""


def probe(*, psutil: Any = None) -> Probe:
    """Say the RAM model is available and what it assumes; never raises."""
    sensor = RamModelSensor(psutil=psutil)
    try:
        sensor.start()
    except Exception as e:  # a probe reports, it never raises
        return Probe("ram-model", False, f"cannot model RAM: {e}", "install psutil")
    finally:
        sensor.close()
    return Probe("ram-model", True, f"available (modelled): {W_PER_GB_SOURCE}")
