"""Zone commands: ``zones [QUERY]`` and ``intensity ZONE``."""

from __future__ import annotations

from typing import Any

import click

from wattprint.cli.common import json_option, print_json
from wattprint.config import PROVIDERS
from wattprint.model import Intensity, Zone


def _zone_dict(z: Zone) -> dict[str, Any]:
    return {
        "id": z.id, "name": z.name, "kind": z.kind, "country": z.country,
        "grid_zone": z.grid_zone, "intensity_g_per_kwh": z.intensity_g_per_kwh,
        "year": z.year, "source": z.source,
    }


@click.command()
@click.argument("query", required=False, default="")
@click.option("--kind", type=click.Choice(["country", "region", "cloud"]), default=None,
              help="Only zones of this kind.")
@json_option
def zones(query: str, kind: str | None, as_json: bool) -> None:
    """List or search the embedded grid zones.

    \b
    Examples:
      wattprint zones                  every zone
      wattprint zones germany
      wattprint zones eu-west --kind cloud --json
    """
    from wattprint.intensity.zones import load_catalog

    found = [z for z in load_catalog().search(query) if kind is None or z.kind == kind]
    if as_json:
        print_json([_zone_dict(z) for z in found])
        return
    if not found:
        click.echo(f"no zone matches {query!r}", err=True)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table()
    for col in ("zone", "name", "kind", "g CO2e/kWh", "year", "source"):
        table.add_column(col, justify="right" if col in {"g CO2e/kWh", "year"} else "left")
    for z in found:
        name = z.name + (f" → {z.grid_zone}" if z.grid_zone else "")
        table.add_row(z.id, name, z.kind, f"{z.intensity_g_per_kwh:,.0f}", str(z.year), z.source)
    Console().print(table)


@click.command()
@click.argument("zone")
@click.option("--live", is_flag=True,
              help="Ask the configured provider chain (setting `provider`), then embedded data.")
@click.option("--provider", "provider_name", type=click.Choice(PROVIDERS), default=None,
              help="Ask this provider (then embedded data) instead of the configured one.")
@json_option
def intensity(zone: str, live: bool, provider_name: str | None, as_json: bool) -> None:
    """Print a zone's carbon intensity and its source.

    Without --live or --provider: the embedded annual average. With them: the
    provider's current value; when it fails, the next source answers and a
    warning says why.

    \b
    Examples:
      wattprint intensity DE
      wattprint intensity aws:us-east-1 --json
      wattprint intensity GB --provider ukgrid
      wattprint intensity DE --live --json
    """
    from wattprint.intensity.zones import load_catalog

    catalog = load_catalog()
    if live or provider_name:
        _live_intensity(zone, provider_name, as_json)
        return
    z = catalog.get(zone)
    value = catalog.intensity(z.id)
    _print_intensity(value, z.name, as_json, [])


def _live_intensity(zone: str, provider_name: str | None, as_json: bool) -> None:
    import warnings

    from wattprint.config import load_settings
    from wattprint.intensity.providers.chain import providers_from_settings
    from wattprint.intensity.providers.ukgrid import GB_REGIONS, PARENT_ZONES
    from wattprint.intensity.zones import load_catalog

    found = load_catalog().find(zone)
    if found is None and zone.strip().upper() in PARENT_ZONES:
        zone_id = zone.strip().upper()
        name = f"GB region {GB_REGIONS[int(zone_id.rsplit('-', 1)[1])]}"
    else:
        found = found or load_catalog().get(zone)  # raises UnknownZoneError with matches
        # Live APIs know grid zones, not cloud regions: ask for the region's grid zone.
        zone_id = found.grid_zone if found.kind == "cloud" and found.grid_zone else found.id
        name = found.name + (f" → {zone_id}" if zone_id != found.id else "")
    chain = providers_from_settings(load_settings(), provider=provider_name)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = chain.current(zone_id)
    finally:
        chain.close()
    notes = [str(w.message) for w in caught]
    for note in notes:
        click.echo(f"warning: {note}", err=True)
    _print_intensity(value, name, as_json, notes)


def _print_intensity(value: Intensity, name: str, as_json: bool, notes: list[str]) -> None:
    if as_json:
        print_json({
            "zone": value.zone, "name": name, "g_per_kwh": value.g_per_kwh,
            "source": value.source, "year": value.year, "resolution": value.resolution,
            "warnings": notes,
        })
        return
    year = f" ({value.year})" if value.year else ""
    kind = "average" if value.resolution == "annual" else "value"
    click.echo(f"{value.zone} {name}: {value.g_per_kwh:,.0f} g CO2e/kWh, {value.resolution} "
               f"{kind}{year}\nsource: {value.source}")
