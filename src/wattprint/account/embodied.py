"""Embodied carbon share and water of a run.

Embodied share (as Luccioni et al. 2022 did for BLOOM)::

    kg CO2e per device × device-hours ÷ (lifetime hours × use rate)

summed over the run's devices, with device-hours = run duration for each
device. The per-device figure comes from ``lookup`` (pass a hardware
catalog's lookup to use model-specific figures) or, by default, from
:func:`class_defaults`, the estimator's documented figures per device class.

Water::

    on-site  = WUE (L/kWh of IT energy, The Green Grid's definition) × IT energy
    off-site = water intensity of electricity (L/kWh) × facility energy

The water factors are the estimator's (:func:`wattprint.estimate.water.water_factors`):
the cloud provider's published fleet WUE when the run's zone is a cloud
region, else the documented default; the water intensity of the run's zone,
its grid zone or its country where Li et al. 2023 publish one, else their U.S.
average, the one documented default. So the account of a run and the
estimate of the same energy in the same zone give the same water.

Every default used is named, with its source, in the figure's inputs. Pure:
the factors come from tables embedded in the package.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wattprint.errors import ConfigError
from wattprint.estimate._data import defaults
from wattprint.estimate.water import WaterFactors, offsite_water_l, onsite_water_l, water_factors
from wattprint.model import AccountedFigure, Device, Run


def class_defaults() -> dict[str, tuple[float, str]]:
    """Return kg CO2e and source per device kind, from the estimator's ``defaults.csv``.

    The same figures as :func:`wattprint.estimate.estimate`, allocated to what a
    measured run lists: a GPU carries its own figure, a CPU socket carries the
    server (``embodied_server_kg`` ÷ ``cpu_sockets_per_server``), and RAM and
    other parts are inside that server figure. For a whole 8-GPU, 2-socket
    server both give 8 × 150 + 2,500 kg; a bare-GPU estimate spreads the server
    over the accelerators instead, as the estimator documents.
    """
    table = defaults()
    gpu, server = table["embodied_accelerator_kg"], table["embodied_server_kg"]
    sockets = table["cpu_sockets_per_server"]
    inside = "included in the server figure carried by the CPU sockets"
    return {
        "gpu": (gpu.value, f"default per GPU: {gpu.value:g} kg CO2e, {gpu.source}"),
        "cpu": (server.value / sockets.value,
                f"default per CPU socket: a {server.value:g} kg CO2e server ({server.source}) "
                f"split over {sockets.value:g} sockets ({sockets.source})"),
        "ram": (0.0, inside),
        "other": (0.0, inside),
    }


def lifetime_defaults() -> tuple[tuple[float, str], tuple[float, str]]:
    """(lifetime years, source) and (use rate, source): the estimator's defaults."""
    table = defaults()
    life, rate = table["lifetime_years"], table["lifetime_use_rate"]
    return ((life.value, f"default hardware lifetime: {life.value:g} years, {life.source}"),
            (rate.value, f"default share of its lifetime in use: {rate.value:g}, {rate.source}"))


#: Gives (kg CO2e, source) for a device, or None to use the class default.
DeviceLookup = Callable[[Device], "tuple[float, str] | None"]
_HOURS_PER_YEAR = 8760.0


def embodied_co2e(
    run: Run, *, lookup: DeviceLookup | None = None,
    lifetime_years: float | None = None, use_rate: float | None = None,
) -> AccountedFigure:
    """The run's share of its devices' embodied carbon (kg CO2e).

    Args:
        run: The run; its ``devices`` and ``duration_s`` are used.
        lookup: Per-device figure (a hardware catalog); None or a None answer
            uses :func:`class_defaults`.
        lifetime_years: Hardware lifetime; default: the estimator's (6 years).
        use_rate: Share of the lifetime in use (0-1]; default: the estimator's (0.85).
    """
    life_default, rate_default = lifetime_defaults()
    life, life_source = _given(lifetime_years, life_default)
    rate, rate_source = _given(use_rate, rate_default)
    classes = class_defaults()
    if not life > 0 or not 0 < rate <= 1:
        raise ConfigError(f"lifetime must be > 0 years and use rate in (0, 1]; got {life:g} "
                          f"years and {rate:g}")
    hours = run.duration_s / 3600.0
    per_device: list[dict[str, Any]] = []
    total = 0.0
    for dev in run.devices:
        found = lookup(dev.device) if lookup is not None else None
        kg, source = found if found is not None else classes[dev.device.kind.value]
        share = kg * hours / (life * _HOURS_PER_YEAR * rate)
        total += share
        per_device.append({"device": dev.device.id, "name": dev.device.name,
                           "kind": dev.device.kind.value, "embodied_kg": kg,
                           "source": source, "share_kg": share})
    inputs: dict[str, Any] = {
        "device_hours_each": hours, "lifetime_years": life, "lifetime_source": life_source,
        "use_rate": rate, "use_rate_source": rate_source, "devices": per_device,
        "formula": "kg per device × device-hours ÷ (lifetime hours × use rate)",
    }
    if not run.devices:
        inputs["note"] = "the run lists no devices: no embodied share"
    return AccountedFigure(run.id, "embodied", total, "kg CO2e", "amortised-lifetime", inputs)


def water_l(
    run: Run, *, wue_l_per_kwh: float | None = None,
    water_intensity_l_per_kwh: float | None = None, factors: WaterFactors | None = None,
) -> AccountedFigure:
    """On-site (cooling) plus off-site (electricity generation) water of a run (L).

    Args:
        run: The run; its IT and facility energy and its zone are used.
        wue_l_per_kwh: WUE to use instead of the zone's (source ``"given"``).
        water_intensity_l_per_kwh: Off-site water intensity to use instead of
            the zone's (source ``"given"``).
        factors: The zone's factors, when already looked up; default
            :func:`~wattprint.estimate.water.water_factors` of the run's zone.

    Raises:
        ConfigError: A factor is negative.
    """
    fp = run.footprint
    place = factors if factors is not None else water_factors(fp.intensity.zone)
    wue, wue_source = _given(wue_l_per_kwh, (place.wue_l_per_kwh, place.wue_source))
    ewif, ewif_source = _given(water_intensity_l_per_kwh, (place.water_intensity_l_per_kwh,
                                                           place.water_intensity_source))
    if wue < 0 or ewif < 0:
        raise ConfigError(f"WUE and water intensity must be >= 0 L/kWh; got {wue:g}, {ewif:g}")
    onsite, offsite = onsite_water_l(fp.it_energy_kwh, wue), offsite_water_l(fp.energy_kwh, ewif)
    inputs = {
        "it_energy_kwh": fp.it_energy_kwh, "energy_kwh": fp.energy_kwh,
        "zone": fp.intensity.zone,
        "wue_l_per_kwh": wue, "wue_source": wue_source,
        "water_intensity_l_per_kwh": ewif, "water_intensity_source": ewif_source,
        "water_onsite_l": onsite, "water_offsite_l": offsite,
        "formula": "WUE × IT energy + water intensity × facility energy",
    }
    return AccountedFigure(run.id, "water", onsite + offsite, "L", "wue+offsite", inputs)


def _given(value: float | None, default: tuple[float, str]) -> tuple[float, str]:
    if value is None:
        return default
    return float(value), "given"
