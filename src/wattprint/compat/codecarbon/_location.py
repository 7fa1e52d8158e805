"""Map CodeCarbon's location arguments to a wattprint zone, and a zone back to columns.

CodeCarbon names a place with ``country_iso_code`` (ISO 3166 alpha-3),
``region`` (a lower-case US state or Canadian province name, e.g.
``"washington"``) and ``cloud_provider`` + ``cloud_region``. wattprint's
catalogue accepts alpha-3 codes and English names directly; a region is
looked up among the sub-national zones *of that country* (so ``"georgia"``
with ``"USA"`` is ``US-GA``, not the country ``GE``).
"""

from __future__ import annotations

import logging

from wattprint.compat.codecarbon.emissions_data import Location
from wattprint.errors import ConfigError, UnknownZoneError
from wattprint.intensity.zones import ZoneCatalog
from wattprint.model import Zone

logger = logging.getLogger(__name__)

# Spellings CodeCarbon users write for the providers wattprint knows.
_PROVIDERS = {"google": "gcp", "gcloud": "gcp", "amazon": "aws", "microsoft": "azure"}


def zone_from_codecarbon(
    catalog: ZoneCatalog,
    *,
    country_iso_code: str | None,
    region: str | None,
    cloud_provider: str | None,
    cloud_region: str | None,
) -> str | None:
    """The zone id CodeCarbon's location arguments name, or ``None`` when none are given.

    Raises:
        ConfigError: ``cloud_provider`` without ``cloud_region`` or the reverse.
        UnknownZoneError: The country, or the cloud region (with no country to
            fall back to), is not in the catalogue.
    """
    if cloud_provider or cloud_region:
        if not (cloud_provider and cloud_region):
            raise ConfigError(
                "cloud_provider and cloud_region must be given together "
                f"(got cloud_provider={cloud_provider!r}, cloud_region={cloud_region!r})"
            )
        provider = cloud_provider.strip().lower()
        zone_id = f"{_PROVIDERS.get(provider, provider)}:{cloud_region.strip().lower()}"
        cloud = catalog.find(zone_id)
        if cloud is not None and cloud.kind == "cloud":
            return cloud.id
        if not country_iso_code:
            raise UnknownZoneError(zone_id, catalog.close_matches(zone_id))
        logger.warning(
            "cloud region %s is not in wattprint's catalogue; using country_iso_code %r",
            zone_id, country_iso_code,
        )
    if country_iso_code:
        zone = catalog.get(country_iso_code)
        if region and zone.kind == "country":
            sub = find_region(catalog, zone.id, region)
            if sub is not None:
                return sub.id
            logger.warning(
                "region %r is not in wattprint's catalogue for %s; using the country-wide "
                "figure of %s", region, country_iso_code, zone.id,
            )
        return zone.id
    if region:
        logger.warning(
            "region %r given without country_iso_code; wattprint's own zone resolution "
            "applies (pass country_iso_code, e.g. 'USA', to use the region)", region,
        )
    return None


def find_region(catalog: ZoneCatalog, country: str, region: str) -> Zone | None:
    """The sub-national zone of ``country`` named ``region`` (name, id or id suffix)."""
    key = " ".join(region.strip().lower().split())
    for zone in catalog.zones:
        if zone.kind != "region" or zone.country != country:
            continue
        suffix = zone.id.split("-", 1)[1] if "-" in zone.id else ""
        names = {zone.id.lower(), suffix.lower(), zone.name.lower()}
        names.update(alias.lower() for alias in zone.aliases)
        if key in names:
            return zone
    return None


def location_fields(catalog: ZoneCatalog, zone_id: str, *, region_hint: str | None) -> Location:
    """The location columns CodeCarbon writes, for the zone a run used."""
    zone = catalog.get(zone_id)
    if zone.kind == "cloud":
        provider, cloud_region = zone.id.split(":", 1)
        grid = catalog.find(zone.grid_zone) or zone
    else:
        provider, cloud_region, grid = "", "", zone
    country_id = zone.country or (zone.id if zone.kind == "country" else "")
    country = catalog.find(country_id) if country_id else None
    if grid.kind == "region" and grid.country:
        region = grid.name.lower()
    else:
        region = (region_hint or "").strip().lower()
    return Location(
        country_name=country.name if country is not None else zone.name,
        country_iso_code=_alpha3(country) if country is not None else "",
        region=region,
        cloud_provider=provider,
        cloud_region=cloud_region,
        on_cloud="Y" if zone.kind == "cloud" else "N",
    )


def _alpha3(country: Zone) -> str:
    # The catalogue lists a country's ISO alpha-3 code among its aliases.
    for alias in reversed(country.aliases):
        if len(alias) == 3 and alias.isalpha() and alias.isupper():
            return alias
    return ""
