"""Water of electricity use: on-site (cooling) and off-site (generation).

Following The Green Grid's definition of WUE and Li et al. 2023 ("Making AI
Less Thirsty", arXiv:2304.03271)::

    on-site water  (L) = WUE (L/kWh)               × IT energy (kWh)
    off-site water (L) = water intensity (L/kWh)   × facility energy (kWh)

WUE is defined per kWh of *IT* energy (the facility's cooling water divided by
the energy of the IT equipment it cools), so it multiplies IT energy; every
kWh the facility draws, cooling included, is generated off-site, so the
electricity's water intensity multiplies facility energy (after PUE).

This module is the one place the factors come from: the estimator
(:mod:`wattprint.estimate.calculator`) and the accounting of measured runs
(:func:`wattprint.account.embodied.water_l`, through :func:`water_factors`)
both use :func:`default_wue` and :func:`water_intensity`, so an estimate and
the account of the same work in the same zone give the same water.

* WUE: the cloud provider's published fleet figure (``wue.csv``), else the
  documented default of ``defaults.csv`` (on-premise or unknown provider).
* Water intensity: the first of the zone, its grid zone and its country with
  a figure in ``water_intensity.csv`` (Li et al. 2023 Table 1), else the one
  documented default of ``defaults.csv`` (their U.S. average).

Example:
    >>> onsite_water_l(1000.0, 0.5), offsite_water_l(1100.0, 2.0)
    (500.0, 2200.0)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wattprint.estimate._data import defaults, read_table

if TYPE_CHECKING:
    from wattprint.intensity.zones import ZoneCatalog


@dataclass(frozen=True)
class WaterFactors:
    """The two water factors of a place, each with where it comes from.

    Attributes:
        wue_l_per_kwh: On-site water per kWh of IT energy.
        wue_source: Source of the WUE (provider figure or default).
        water_intensity_l_per_kwh: Off-site water per kWh of electricity.
        water_intensity_source: Source of the water intensity (zone or default).
    """

    wue_l_per_kwh: float
    wue_source: str
    water_intensity_l_per_kwh: float
    water_intensity_source: str


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
        return found[0], f"{provider} fleet WUE: {found[1]}"
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
    zones = tuple(dict.fromkeys(zones))  # a country is its own country: try it once
    for zone in zones:
        if zone in table:
            value, source = table[zone]
            return value, f"zone {zone}: {source}"
    fallback = defaults()["water_intensity_l_per_kwh"]
    tried = f"none published for {', '.join(zones)}" if zones else "no zone given"
    return fallback.value, f"default ({tried}): {fallback.source}"


def water_place(zone: str, catalog: ZoneCatalog | None = None) -> tuple[str, tuple[str, ...]]:
    """The cloud provider of a zone and the zones to try for its water intensity.

    The same rule the estimator applies to ``--zone``: a cloud region
    (``aws:eu-west-1``) names its provider; the zones tried are the zone, its
    grid zone and its country. A zone outside the catalogue is tried as given.

    Args:
        zone: Zone id as stored with a run (``"DE"``, ``"aws:eu-west-1"``).
        catalog: Zone catalogue (default: the embedded one).

    Returns:
        ``(provider or "", zones)``.
    """
    if catalog is None:
        from wattprint.intensity.zones import load_catalog

        catalog = load_catalog()
    found = catalog.find(zone) if zone else None
    if found is None:
        return "", (zone,) if zone else ()
    provider = found.id.split(":", 1)[0] if found.kind == "cloud" else ""
    return provider, tuple(dict.fromkeys(z for z in (found.id, found.grid_zone, found.country)
                                         if z))


def water_factors(zone: str, *, provider: str | None = None,
                  catalog: ZoneCatalog | None = None) -> WaterFactors:
    """WUE and water intensity of a zone, by the rules of this module.

    Args:
        zone: Zone id (a cloud region gives its provider's WUE).
        provider: Cloud provider, overriding the one the zone implies (an
            instance type's provider).
        catalog: Zone catalogue (default: the embedded one).
    """
    implied, zones = water_place(zone, catalog)
    wue, wue_source = default_wue(provider or implied or None)
    ewif, ewif_source = water_intensity(zones)
    return WaterFactors(wue, wue_source, ewif, ewif_source)
