"""Zone commands: ``zones [QUERY]`` and ``intensity ZONE``."""

from __future__ import annotations

from typing import Any

import click

from wattprint.cli.common import json_option, print_json
from wattprint.model import Zone


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
@json_option
def intensity(zone: str, as_json: bool) -> None:
    """Print a zone's carbon intensity and its source.

    \b
    Examples:
      wattprint intensity DE
      wattprint intensity aws:us-east-1 --json
    """
    from wattprint.intensity.zones import load_catalog

    catalog = load_catalog()
    z = catalog.get(zone)
    value = catalog.intensity(z.id)
    if as_json:
        print_json({
            "zone": value.zone, "name": z.name, "g_per_kwh": value.g_per_kwh,
            "source": value.source, "year": value.year, "resolution": value.resolution,
        })
        return
    year = f" ({value.year})" if value.year else ""
    click.echo(f"{z.id} {z.name}: {value.g_per_kwh:,.0f} g CO2e/kWh, {value.resolution} "
               f"average{year}\nsource: {value.source}")
