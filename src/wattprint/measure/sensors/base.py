"""The sensor protocol and the probe value ``wattprint doctor`` prints.

A sensor's life: the constructor validates and stores its boundary (a sysfs
root, an NVML module, a pid); :meth:`Sensor.start` detects devices and takes
the first reading's baseline (it may raise :class:`~wattprint.errors.SensorError`
or :class:`~wattprint.errors.SensorPermissionError`); :meth:`Sensor.read`
returns one :class:`~wattprint.model.Reading` per device; :meth:`Sensor.close`
releases handles. Each backend module also has a ``probe()`` that never
raises. A sensor with slow, occasional upkeep (the process-tree models'
``/proc`` rescan) also has :meth:`Refreshing.refresh`, which the sampler calls
outside its lock so that readings taken meanwhile do not wait.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from wattprint.model import Device, Reading


@runtime_checkable
class Sensor(Protocol):
    """One backend that reads one or more devices."""

    name: str

    @property
    def devices(self) -> tuple[Device, ...]:
        """Devices this sensor reads (valid after :meth:`start`)."""
        ...

    def start(self) -> None:
        """Detect devices and open handles; raise ``SensorError`` if impossible."""
        ...

    def read(self, t_s: float) -> Sequence[Reading]:
        """Read every device now; ``t_s`` is the sampler's monotonic time."""
        ...

    def close(self) -> None:
        """Release handles; safe to call twice."""
        ...


@runtime_checkable
class Refreshing(Protocol):
    """A sensor with slow upkeep that the sampler runs outside its lock."""

    name: str

    def refresh(self) -> None:
        """Do the slow part now (may run while another thread calls ``read``).

        What it finds is taken up by the next :meth:`Sensor.read`; it never
        blocks a ``read``.
        """
        ...


@dataclass(frozen=True)
class Probe:
    """Whether a backend is usable here, and if not, why and how to fix it."""

    sensor: str
    available: bool
    detail: str
    fix: str = ""
