"""The values an estimate takes and returns: :class:`EstimateInput`, :class:`Estimate`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wattprint.estimate.equivalents import Equivalent


@dataclass(frozen=True)
class EstimateInput:
    """What to estimate; ``None`` means "use the catalog, zone or documented default".

    Power: ``power_w`` is the average power of *one* device; ``total_power_w``
    the average power of everything counted together (all devices and their
    host, as Strubell et al. 2019 report it). Give at most one of them; with
    neither, power is the catalog power × ``utilisation`` (default: the
    documented fraction of TDP). Hours: ``hours`` is wall-clock time with all
    devices busy; ``device_hours`` the total over devices (GPU-hours).
    """

    device: str | None = None
    instance: str | None = None
    count: int = 1
    hours: float | None = None
    device_hours: float | None = None
    power_w: float | None = None
    total_power_w: float | None = None
    utilisation: float | None = None
    host_power_w: float | None = None
    cpu_share: float | None = None
    pue: float | None = None
    zone: str | None = None
    intensity_g_per_kwh: float | None = None
    wue_l_per_kwh: float | None = None
    water_intensity_l_per_kwh: float | None = None
    embodied_kg: float | None = None
    lifetime_years: float | None = None
    lifetime_use_rate: float | None = None


@dataclass(frozen=True)
class Estimate:
    """Energy, carbon and water of planned work, with the basis of every figure.

    ``basis`` maps each figure's name to the inputs, defaults and sources it
    rests on (a default says "default"); ``assumptions`` lists the same lines
    in reading order, for people and for JSON.
    """

    device: str
    instance: str
    provider: str
    devices: int
    hours: float
    device_hours: float
    power_w_per_device: float
    host_power_w: float
    it_energy_kwh: float
    pue: float
    energy_kwh: float
    zone: str
    intensity_g_per_kwh: float
    co2e_kg: float
    embodied_kg_per_device: float
    lifetime_years: float
    lifetime_use_rate: float
    embodied_co2e_kg: float
    wue_l_per_kwh: float
    water_intensity_l_per_kwh: float
    water_onsite_l: float
    water_offsite_l: float
    equivalents: tuple[Equivalent, ...] = ()
    basis: Mapping[str, str] = field(default_factory=dict)

    @property
    def total_co2e_kg(self) -> float:
        """Operational plus embodied emissions."""
        return self.co2e_kg + self.embodied_co2e_kg

    @property
    def water_total_l(self) -> float:
        """On-site plus off-site water."""
        return self.water_onsite_l + self.water_offsite_l

    @property
    def assumptions(self) -> list[str]:
        """Every basis line, ``"figure: basis"``, in reading order."""
        return [f"{name}: {text}" for name, text in self.basis.items()]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary with stable keys."""
        return {
            "device": self.device, "instance": self.instance or None,
            "provider": self.provider or None, "devices": self.devices,
            "hours": self.hours, "device_hours": self.device_hours,
            "power_w_per_device": self.power_w_per_device, "host_power_w": self.host_power_w,
            "it_energy_kwh": self.it_energy_kwh, "pue": self.pue,
            "energy_kwh": self.energy_kwh, "zone": self.zone or None,
            "intensity_g_per_kwh": self.intensity_g_per_kwh, "co2e_kg": self.co2e_kg,
            "embodied_kg_per_device": self.embodied_kg_per_device,
            "lifetime_years": self.lifetime_years, "lifetime_use_rate": self.lifetime_use_rate,
            "embodied_co2e_kg": self.embodied_co2e_kg, "total_co2e_kg": self.total_co2e_kg,
            "wue_l_per_kwh": self.wue_l_per_kwh,
            "water_intensity_l_per_kwh": self.water_intensity_l_per_kwh,
            "water_onsite_l": self.water_onsite_l, "water_offsite_l": self.water_offsite_l,
            "water_total_l": self.water_total_l,
            "equivalents": [
                {"key": e.key, "label": e.label, "value": e.value, "per_unit": e.per_unit,
                 "unit": e.unit, "basis": e.basis, "source": e.source}
                for e in self.equivalents
            ],
            "basis": dict(self.basis),
            "assumptions": self.assumptions,
        }
