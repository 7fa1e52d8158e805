"""The estimator: energy, carbon and water of planned work, before it runs.

::

    IT energy (kWh)       = (power per device × devices + host power) × hours / 1000
    facility energy (kWh) = IT energy × PUE
    CO2e (kg)             = facility energy × intensity (g/kWh) / 1000
    embodied (kg)         = kg per device × device-hours
                            ÷ (lifetime years × 8760 h × lifetime use rate)
    water (L)             = WUE × IT energy + water intensity × facility energy

The embodied share follows Luccioni et al. 2022 (BLOOM); water follows
Li et al. 2023 (see :mod:`wattprint.estimate.water`). Pure: the catalog and
zone tables are embedded data, read once; nothing else is touched.

Example:
    >>> est = estimate(device="V100", count=10_000, hours=14.8 * 24, power_w=330,
    ...                pue=1.1, intensity_g_per_kwh=429)
    >>> round(est.energy_kwh / 1000), round(est.co2e_kg / 1000)
    (1289, 553)
"""

from __future__ import annotations

from dataclasses import dataclass

from wattprint.errors import ConfigError
from wattprint.estimate._checks import check_input
from wattprint.estimate._data import defaults
from wattprint.estimate.catalog import Hardware, HardwareCatalog, Instance, load_hardware
from wattprint.estimate.equivalents import equivalents
from wattprint.estimate.result import Estimate, EstimateInput
from wattprint.estimate.water import (
    default_wue,
    offsite_water_l,
    onsite_water_l,
    water_intensity,
    water_place,
)

_HOURS_PER_YEAR = 8760.0


@dataclass(frozen=True)
class _Place:
    """The zone part of an estimate: intensity, default PUE, water zones."""

    zone: str
    provider: str
    intensity_g_per_kwh: float
    intensity_basis: str
    water_zones: tuple[str, ...]


def estimate(
    *, device: str | None = None, instance: str | None = None, count: int = 1,
    hours: float | None = None, device_hours: float | None = None,
    power_w: float | None = None, total_power_w: float | None = None,
    utilisation: float | None = None, host_power_w: float | None = None,
    cpu_share: float | None = None, pue: float | None = None, zone: str | None = None,
    intensity_g_per_kwh: float | None = None, wue_l_per_kwh: float | None = None,
    water_intensity_l_per_kwh: float | None = None, embodied_kg: float | None = None,
    lifetime_years: float | None = None, lifetime_use_rate: float | None = None,
) -> Estimate:
    """Estimate energy, CO2e, embodied CO2e and water; every figure says its basis.

    Args mirror :class:`~wattprint.estimate.result.EstimateInput` (which
    documents them); ``count`` is devices, or instances with ``instance``.

    Raises:
        ConfigError: An input is out of range or two inputs conflict.
        UnknownHardwareError: ``device`` or ``instance`` is not in the catalog.
        UnknownZoneError: ``zone`` is not a known zone.
    """
    return compute(EstimateInput(
        device=device, instance=instance, count=count, hours=hours, device_hours=device_hours,
        power_w=power_w, total_power_w=total_power_w, utilisation=utilisation,
        host_power_w=host_power_w, cpu_share=cpu_share, pue=pue, zone=zone,
        intensity_g_per_kwh=intensity_g_per_kwh, wue_l_per_kwh=wue_l_per_kwh,
        water_intensity_l_per_kwh=water_intensity_l_per_kwh, embodied_kg=embodied_kg,
        lifetime_years=lifetime_years, lifetime_use_rate=lifetime_use_rate,
    ))


def compute(inp: EstimateInput, catalog: HardwareCatalog | None = None) -> Estimate:
    """Estimate from an :class:`EstimateInput`; ``catalog`` defaults to the embedded one."""
    check_input(inp)
    catalog = catalog or load_hardware()
    inst = catalog.instance(inp.instance) if inp.instance else None
    dev = inst.device if inst else (catalog.device(inp.device) if inp.device else None)
    devices = inp.count * (inst.device_count if inst else 1)
    basis: dict[str, str] = {"hardware": _hardware_basis(dev, inst, inp.count, devices)}
    hours = inp.hours if inp.hours is not None else (inp.device_hours or 0.0) / devices
    basis["hours"] = (f"{hours:,.4g} h wall-clock given" if inp.hours is not None else
                      f"{inp.device_hours:,.6g} device-hours given ÷ {devices} devices")
    power_w, basis["power"] = _device_power(inp, dev, devices)
    host_w, basis["host"] = _host_power(inp, inst)
    it_kwh = (power_w * devices + host_w) * hours / 1000.0
    basis["it_energy"] = (f"({power_w:,.6g} W × {devices} devices + {host_w:,.6g} W host) × "
                          f"{hours:,.6g} h")
    place = _place(inp)
    pue, basis["pue"] = _pue(inp, inst, place)
    energy_kwh = it_kwh * pue
    basis["energy"] = f"IT energy × PUE {pue:g}"
    co2e_kg = energy_kwh * place.intensity_g_per_kwh / 1000.0
    basis["co2e"] = f"facility energy × {place.intensity_basis}"
    per_device_kg, life, rate, basis["embodied"] = _embodied_inputs(inp, dev)
    embodied = per_device_kg * hours * devices / (life * _HOURS_PER_YEAR * rate)
    wue, water_i = _water_inputs(inp, inst.provider if inst else place.provider, place)
    basis["water_onsite"] = f"WUE × IT energy; {wue[1]}"
    basis["water_offsite"] = f"water intensity × facility energy; {water_i[1]}"
    basis["equivalents"] = ("car km and flights from operational + embodied CO2e; "
                            "household-years and smartphone charges from facility energy")
    return Estimate(
        device=dev.name if dev else "unspecified device", instance=inst.id if inst else "",
        provider=inst.provider if inst else place.provider, devices=devices, hours=hours,
        device_hours=hours * devices, power_w_per_device=power_w, host_power_w=host_w,
        it_energy_kwh=it_kwh, pue=pue, energy_kwh=energy_kwh, zone=place.zone,
        intensity_g_per_kwh=place.intensity_g_per_kwh, co2e_kg=co2e_kg,
        embodied_kg_per_device=per_device_kg, lifetime_years=life, lifetime_use_rate=rate,
        embodied_co2e_kg=embodied, wue_l_per_kwh=wue[0], water_intensity_l_per_kwh=water_i[0],
        water_onsite_l=onsite_water_l(it_kwh, wue[0]),
        water_offsite_l=offsite_water_l(energy_kwh, water_i[0]),
        equivalents=equivalents(co2e_kg + embodied, energy_kwh), basis=basis,
    )


def _hardware_basis(dev: Hardware | None, inst: Instance | None, count: int,
                    devices: int) -> str:
    if inst is not None:
        return (f"{count} × {inst.id} ({inst.provider}) = {devices} × {inst.device.name}, "
                f"{inst.vcpus} vCPUs and {inst.ram_gb:g} GB RAM each; {inst.source}")
    if dev is not None:
        return f"{devices} × {dev.name}"
    return f"{devices} unspecified devices (power given)"


def _device_power(inp: EstimateInput, dev: Hardware | None, devices: int) -> tuple[float, str]:
    if inp.power_w is not None:
        return inp.power_w, f"{inp.power_w:,.6g} W average per device, given"
    if inp.total_power_w is not None:
        per = inp.total_power_w / devices
        return per, (f"{inp.total_power_w:,.6g} W average for everything counted, given "
                     f"(÷ {devices} devices = {per:,.6g} W; no host power added)")
    assert dev is not None  # check_input: a device, an instance or a power is given
    if dev.power_w is None:
        raise ConfigError(f"{dev.name}: no published power ({dev.power_source}); "
                          "give --power-w (average W per device)")
    if inp.utilisation is not None:
        return dev.power_w * inp.utilisation, (
            f"{dev.power_w:g} W {dev.power_basis} × utilisation {inp.utilisation:g} given; "
            f"{dev.power_source}")
    fraction = defaults()["power_fraction_of_tdp"]
    return dev.power_w * fraction.value, (
        f"{dev.power_w:g} W {dev.power_basis} × {fraction.value:g} (default fraction: "
        f"{fraction.source}); {dev.power_source}")


def _host_power(inp: EstimateInput, inst: Instance | None) -> tuple[float, str]:
    share = 1.0 if inp.cpu_share is None else inp.cpu_share
    share_text = "given" if inp.cpu_share is not None else "default: the whole instance"
    if inp.host_power_w is not None:
        return inp.host_power_w * share, (
            f"{inp.host_power_w:,.6g} W given × CPU share {share:g} ({share_text})")
    if inp.total_power_w is not None:
        return 0.0, "included in --total-power-w"
    if inst is None:
        if inp.cpu_share is not None:
            raise ConfigError("--cpu-share needs --instance (for its vCPUs and RAM) or "
                              "--host-power-w")
        return 0.0, ("default: not counted (no instance type or --host-power-w given; "
                     "give --host-power-w for the host's CPU and RAM)")
    from wattprint.measure.sensors.tdp import DEFAULT_W_PER_CORE, DEFAULT_W_PER_CORE_SOURCE

    table = defaults()
    threads, mem = table["threads_per_core"], table["memory_w_per_gb"]
    cpu_w = inst.vcpus / threads.value * DEFAULT_W_PER_CORE
    ram_w = inst.ram_gb * mem.value
    host = inp.count * share * (cpu_w + ram_w)
    return host, (
        f"default: {inp.count} × CPU share {share:g} ({share_text}) × "
        f"({inst.vcpus} vCPUs ÷ {threads.value:g} per core × {DEFAULT_W_PER_CORE:g} W "
        f"+ {inst.ram_gb:g} GB × {mem.value:g} W/GB); {DEFAULT_W_PER_CORE_SOURCE}; "
        f"{threads.source}; memory: {mem.source}")


def _place(inp: EstimateInput) -> _Place:
    if inp.intensity_g_per_kwh is not None:
        return _Place("", "", inp.intensity_g_per_kwh,
                      f"{inp.intensity_g_per_kwh:,.6g} g CO2e/kWh given", ())
    from wattprint.intensity.zones import load_catalog

    catalog = load_catalog()
    found = catalog.get(inp.zone or "")
    value = catalog.intensity(found.id)
    provider, zones = water_place(found.id, catalog)  # the account's rule too
    text = (f"{value.g_per_kwh:,.6g} g CO2e/kWh, default: the annual average of {found.id} "
            f"(give --intensity for another figure): {value.source}")
    return _Place(found.id, provider, value.g_per_kwh, text, zones)


def _pue(inp: EstimateInput, inst: Instance | None, place: _Place) -> tuple[float, str]:
    if inp.pue is not None:
        return inp.pue, f"{inp.pue:g} given"
    from wattprint.intensity.pue import default_pue

    provider = inst.provider if inst else place.provider
    value, source = default_pue(provider or None)
    if provider:
        return value, f"default for {provider}: {source}"
    return value, ("default 1.0: on-premise, IT energy only (no cloud instance or cloud "
                   "zone given; set --pue for your facility)")


def _embodied_inputs(inp: EstimateInput,
                     dev: Hardware | None) -> tuple[float, float, float, str]:
    table = defaults()
    life = inp.lifetime_years or table["lifetime_years"].value
    rate = inp.lifetime_use_rate or table["lifetime_use_rate"].value
    life_text = (f"lifetime {life:g} years given" if inp.lifetime_years is not None else
                 f"default lifetime {life:g} years ({table['lifetime_years'].source})")
    rate_text = (f"use rate {rate:g} given" if inp.lifetime_use_rate is not None else
                 f"default use rate {rate:g} ({table['lifetime_use_rate'].source})")
    if inp.embodied_kg is not None:
        kg, kg_text = inp.embodied_kg, f"{inp.embodied_kg:g} kg CO2e per device given"
    else:
        kg, kg_text = _default_embodied(dev)
    text = (f"{kg_text} × device-hours ÷ ({life:g} y × 8760 h × {rate:g}); "
            f"{life_text}; {rate_text}")
    return kg, life, rate, text


def _default_embodied(dev: Hardware | None) -> tuple[float, str]:
    table = defaults()
    server = table["embodied_server_kg"]
    if dev is not None and dev.kind == "cpu":
        per = table["cpu_sockets_per_server"]
        kg = server.value / per.value
        return kg, (f"default {kg:g} kg CO2e per CPU: a {server.value:g} kg server "
                    f"({server.source}) ÷ {per.value:g} sockets")
    per = table["accelerators_per_server"]
    if dev is not None and dev.embodied_kg is not None:
        own = dev.embodied_kg
        own_text = f"{own:g} kg per device ({dev.embodied_source})"
    else:
        base = table["embodied_accelerator_kg"]
        own, own_text = base.value, f"default {base.value:g} kg per device ({base.source})"
    share = server.value / per.value
    return own + share, (f"{own + share:g} kg CO2e per device = {own_text} + {share:g} kg "
                         f"server share (default {server.value:g} kg per server, "
                         f"{server.source}, ÷ {per.value:g} accelerators)")


def _water_inputs(inp: EstimateInput, provider: str,
                  place: _Place) -> tuple[tuple[float, str], tuple[float, str]]:
    if inp.wue_l_per_kwh is not None:
        wue = (inp.wue_l_per_kwh, f"WUE {inp.wue_l_per_kwh:g} L/kWh given")
    else:
        value, source = default_wue(provider or None)
        wue = (value, f"WUE {value:g} L/kWh, {_stated_default(source)}")
    if inp.water_intensity_l_per_kwh is not None:
        water_i = (inp.water_intensity_l_per_kwh,
                   f"{inp.water_intensity_l_per_kwh:g} L/kWh given")
    else:
        value, source = water_intensity(place.water_zones)
        water_i = (value, f"{value:g} L/kWh, {_stated_default(source)}")
    return wue, water_i


def _stated_default(source: str) -> str:
    """Say "default" for a looked-up figure the user did not give.

    The water lookups name only their fallbacks a default; a provider's or a
    zone's published figure is a default too when the flag was not given.
    """
    return source if source.startswith("default") else f"default: {source}"
