"""Water of electricity use: on-site (cooling) and off-site (generation).

Following The Green Grid's definition of WUE and Li et al. 2023 ("Making AI
Less Thirsty", arXiv:2304.03271)::

    on-site water  (L) = WUE (L/kWh)               × IT energy (kWh)
    off-site water (L) = water intensity (L/kWh)   × facility energy (kWh)

WUE is defined per kWh of *IT* energy (the facility's cooling water divided by
the energy of the IT equipment it cools), so it multiplies IT energy; every
kWh the facility draws, cooling included, is generated off-site, so the
electricity's water intensity multiplies facility energy (after PUE).

Example:
    >>> onsite_water_l(1000.0, 0.5), offsite_water_l(1100.0, 2.0)
    (500.0, 2200.0)
"""

from __future__ import annotations

import functools

from wattprint.estimate._data import defaults, read_table


def onsite_water_l(it_energy_kwh: float, wue_l_per_kwh: float) -> float:
    """Cooling water consumed on site: WUE × IT energy."""
    return wue_l_per_kwh * it_energy_kwh


def offsite_water_l(energy_kwh: float, water_intensity_l_per_kwh: float) -> float:
    """Water consumed generating the facility's electricity: intensity × facility energy."""
    return water_intensity_l_per_kwh * energy_kwh


@functools.lru_cache(maxsize=1)
def _wue_table() -> dict[str, tuple[float, str]]:
    return {row["provider"]: (float(row["wue_l_per_kwh"]), row["source"])
            for row in read_table("wue.csv")}


@functools.lru_cache(maxsize=1)
def _intensity_table() -> dict[str, tuple[float, str]]:
    return {row["zone"]: (float(row["water_intensity_l_per_kwh"]), row["source"])
            for row in read_table("water_intensity.csv")}


def default_wue(provider: str | None) -> tuple[float, str]:
    """Return (WUE in L/kWh of IT energy, source) for a cloud provider.

    Providers that publish a fleet WUE use it; others (and on-premise) get the
    documented default of ``defaults.csv``, and the source says so.
    """
    found = _wue_table().get((provider or "").lower())
    if found is not None:
        return found[0], f"{provider} published fleet WUE: {found[1]}"
    fallback = defaults()["wue_l_per_kwh"]
    who = f"{provider} publishes no fleet WUE" if provider else "no cloud provider"
    return fallback.value, f"default ({who}): {fallback.source}"


def water_intensity(zones: tuple[str, ...]) -> tuple[float, str]:
    """Return (L/kWh, source) for the first of ``zones`` with a published figure.

    Args:
        zones: Zone ids to try in order, e.g. a cloud region, its grid zone,
            its country. Empty when no zone is known.
    """
    table = _intensity_table()
    for zone in zones:
        if zone in table:
            value, source = table[zone]
            return value, f"zone {zone}: {source}"
    fallback = defaults()["water_intensity_l_per_kwh"]
    tried = f"none published for {', '.join(zones)}" if zones else "no zone given"
    return fallback.value, f"default ({tried}): {fallback.source}"
