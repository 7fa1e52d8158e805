"""Measured energy and the grid figures that turn it into emissions.

Devices and their readings, the down-sampled trace, energy per device and
per phase, grid zones, carbon intensity and the resulting :class:`Footprint`.
These are the values that flow from the sensors through the integrator to
accounting; :mod:`wattprint.model` re-exports every one of them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


class DeviceKind(str, enum.Enum):
    """What a measured device is."""

    CPU = "cpu"
    GPU = "gpu"
    RAM = "ram"
    OTHER = "other"


class Method(str, enum.Enum):
    """How a device's energy is obtained, from most to least trustworthy."""

    #: A hardware energy counter (RAPL ``energy_uj``, NVML total energy).
    COUNTER = "counter"
    #: Instantaneous power samples integrated with the trapezoid rule.
    SAMPLED = "sampled-power"
    #: A model: utilisation × TDP, W per GB, or a fallback estimate.
    MODELLED = "modelled"


@dataclass(frozen=True)
class Device:
    """One measured device and how it is measured.

    Attributes:
        id: Stable key within a run, e.g. ``"cpu:0"``, ``"gpu:1"``, ``"ram"``.
        kind: CPU, GPU, RAM or other.
        index: Index among devices of its kind (socket, GPU index).
        name: Model name as reported by the hardware (``"NVIDIA H100"``).
        method: Counter, sampled power or modelled.
        sensor: Backend name (``"rapl"``, ``"nvml"``, ``"cpu-model"``, ...).
        source: Source of any constant used (TDP table row, W/GB figure).
        note: Anything the user must know (fallbacks, assumptions).
    """

    id: str
    kind: DeviceKind
    index: int
    name: str
    method: Method
    sensor: str
    source: str = ""
    note: str = ""


@dataclass(frozen=True)
class Reading:
    """One observation of one device at monotonic time ``t_s``.

    A counter sensor fills ``energy_j`` with the raw cumulative counter (not a
    delta) and ``counter_max_j`` with its wrap range when known; a power
    sensor fills ``power_w``. Utilisation, memory and temperature are optional
    extras for the trace.
    """

    device_id: str
    t_s: float
    energy_j: float | None = None
    power_w: float | None = None
    counter_max_j: float | None = None
    utilisation_pct: float | None = None
    memory_used_bytes: float | None = None
    temperature_c: float | None = None


@dataclass(frozen=True)
class TracePoint:
    """A down-sampled point of a device's power trace (``t_s`` from run start)."""

    device_id: str
    t_s: float
    power_w: float
    utilisation_pct: float | None = None
    memory_used_bytes: float | None = None
    temperature_c: float | None = None


@dataclass(frozen=True)
class DeviceEnergy:
    """Energy one device used during a run."""

    device: Device
    energy_j: float
    peak_power_w: float = 0.0
    samples: int = 0


@dataclass(frozen=True)
class Phase:
    """A named part of a run (``"data_loading"``, ``"train"``) and its energy.

    ``energy_by_device_j`` maps device id to joules spent while the phase was
    open. Nested phases each count their own full span.
    """

    name: str
    started_utc: datetime
    ended_utc: datetime
    duration_s: float
    energy_by_device_j: Mapping[str, float] = field(default_factory=dict)

    @property
    def energy_j(self) -> float:
        """IT energy of the phase, all devices (J)."""
        return float(sum(self.energy_by_device_j.values()))


@dataclass(frozen=True)
class Zone:
    """A grid zone with its annual average carbon intensity.

    ``kind`` is ``"country"``, ``"region"`` (sub-national grid) or ``"cloud"``
    (a cloud region; ``grid_zone`` then names the zone whose figure it uses).
    """

    id: str
    name: str
    kind: str
    intensity_g_per_kwh: float
    year: int
    source: str
    country: str = ""
    grid_zone: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ZoneChoice:
    """Which zone a run used and how it was chosen.

    ``how`` is one of ``"argument"``, ``"env"``, ``"config"``,
    ``"cloud-metadata"``, ``"cloud-dmi"``, ``"timezone"``, ``"world-default"``
    or ``"recomputed"``; ``note`` explains assumptions in words.
    """

    zone: str
    how: str
    note: str = ""


@dataclass(frozen=True)
class Intensity:
    """A carbon-intensity figure and where it came from."""

    zone: str
    g_per_kwh: float
    source: str
    year: int | None = None
    resolution: str = "annual"


@dataclass(frozen=True)
class Footprint:
    """Energy and emissions of a run, after PUE and grid intensity.

    ``energy_kwh_by_kind`` holds IT energy per device kind (``"cpu"``,
    ``"gpu"``, ``"ram"``, ``"other"``); facility energy is IT energy × PUE.
    """

    energy_kwh_by_kind: Mapping[str, float]
    pue: float
    pue_source: str
    intensity: Intensity
    embodied_co2e_kg: float | None = None
    water_l: float | None = None

    @property
    def it_energy_kwh(self) -> float:
        """Energy at the devices, before PUE (kWh)."""
        return float(sum(self.energy_kwh_by_kind.values()))

    @property
    def energy_kwh(self) -> float:
        """Facility energy: IT energy × PUE (kWh)."""
        return self.it_energy_kwh * self.pue

    @property
    def co2e_kg(self) -> float:
        """Operational emissions: facility energy × intensity (kg CO2e)."""
        return self.energy_kwh * self.intensity.g_per_kwh / 1000.0
