"""Where else the same job could run: the zones ``wattprint advise`` plans over.

* A **cloud region** (``aws:eu-west-1``): the regions of the same provider in
  the same country or an interconnected neighbouring country — the same
  account and instance types, a short hop for the data.
* A **grid zone** (``DE``, ``US-CAL-CISO``): its country (for a sub-national
  zone), the other sub-national zones of that country, and the neighbouring
  countries whose grids are interconnected with it.

Neighbours come from ``data/grid_neighbours.csv``: pairs of countries with
a cross-border interconnection (ENTSO-E's cross-border flow borders for
Europe; the US with Canada and Mexico for North America), one source per
row. A country without a row has no neighbours here: only its own zones are
candidates. ``wattprint advise --zones`` replaces the list.
"""

from __future__ import annotations

import functools

from wattprint.intensity.zones import ZoneCatalog, load_catalog
from wattprint.tables import packaged_rows


@functools.lru_cache(maxsize=1)
def grid_neighbours() -> dict[str, frozenset[str]]:
    """Interconnected neighbours of each country (both directions of every pair)."""
    found: dict[str, set[str]] = {}
    for row in packaged_rows("wattprint.optimise", "grid_neighbours.csv"):
        found.setdefault(row["a"], set()).add(row["b"])
        found.setdefault(row["b"], set()).add(row["a"])
    return {country: frozenset(near) for country, near in found.items()}


def candidate_zones(zone: str, catalog: ZoneCatalog | None = None) -> tuple[str, ...]:
    """The run's zone first, then where else it could run (see the module docstring).

    Raises:
        UnknownZoneError: ``zone`` is not in the catalog.
    """
    cat = catalog if catalog is not None else load_catalog()
    home = cat.get(zone)
    country = home.country or home.id
    near = grid_neighbours().get(country, frozenset())
    if home.kind == "cloud":
        provider = home.id.split(":", 1)[0]
        found = [z.id for z in cat.zones if z.kind == "cloud" and z.id.startswith(f"{provider}:")
                 and (z.country == country or z.country in near)]
    else:
        found = [z.id for z in cat.zones
                 if (z.kind == "country" and (z.id == country or z.id in near))
                 or (z.kind == "region" and z.country == country)]
    return (home.id, *sorted(z for z in dict.fromkeys(found) if z != home.id))
