"""The offline catalogue of grid zones and their annual carbon intensity.

Three kinds of zone share one namespace:

* ``country`` — ISO 3166 alpha-2 id (``"DE"``); the alpha-3 code (``"DEU"``)
  and English names (``"Germany"``) resolve to it.
* ``region`` — a sub-national grid: ISO 3166-2 style ids (``"US-CA"``,
  ``"CA-QC"``, ``"AU-NSW"``), Electricity Maps ids (``"US-CAL-CISO"``) and the
  ``"WORLD"`` average.
* ``cloud`` — ``provider:region`` (``"aws:us-east-1"``, ``"gcp:europe-west3"``,
  ``"azure:westeurope"``), mapped to a grid zone. The plain region name
  (``"us-east-1"``) resolves too when only one provider uses it, as do
  availability-zone names (``"us-east-1a"``, ``"europe-west3-b"``).

Example:
    >>> catalog = load_catalog()
    >>> catalog.get("Germany").id
    'DE'
    >>> catalog.intensity("aws:eu-west-3").zone
    'aws:eu-west-3'
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable
from typing import TypeVar

from wattprint.errors import UnknownZoneError
from wattprint.intensity._data import read_table
from wattprint.model import Intensity, Zone

#: Zone kinds, in the order they win when two zones claim the same name.
KINDS = ("country", "region", "cloud")
#: Id of the world-average zone, the last resort of zone resolution.
WORLD = "WORLD"

_T = TypeVar("_T")
_PROVIDER_LABELS = {"aws": "AWS", "gcp": "Google Cloud", "azure": "Azure"}
# "us-east-1a" (AWS availability zone) or "europe-west3-b" (GCP zone).
_AVAILABILITY_ZONE = re.compile(r"^(?P<region>.*\d)-?[a-z]$")


class ZoneCatalog:
    """Look up grid zones by id, code, name or alias, case-insensitively.

    Build it with :func:`load_catalog` (the embedded tables, loaded once) or
    from any iterable of :class:`~wattprint.model.Zone` values in tests. Ids
    always resolve; an alias or name claimed by two zones of the same kind is
    ambiguous and resolves to neither (a country beats a region of the same
    name: ``"Georgia"`` is ``GE``, the US state is ``US-GA``).

    Example:
        >>> ZoneCatalog([Zone("XX", "Nowhere", "country", 100.0, 2024, "test")]).get("xx").name
        'Nowhere'
    """

    def __init__(self, zones: Iterable[Zone]) -> None:
        self._zones: dict[str, Zone] = {}
        for zone in zones:
            self._zones[zone.id] = zone
        self._index = _build_index(self._zones.values())

    @property
    def zones(self) -> tuple[Zone, ...]:
        """Every zone, countries first, then regions, then cloud regions."""
        return tuple(sorted(self._zones.values(), key=_sort_key))

    def __len__(self) -> int:
        return len(self._zones)

    def find(self, query: str) -> Zone | None:
        """Return the zone ``query`` names, or ``None`` when nothing matches."""
        key = _key(query)
        zone = self._index.get(key)
        if zone is None:
            match = _AVAILABILITY_ZONE.match(key)
            zone = self._index.get(match["region"]) if match else None
        return zone

    def get(self, query: str) -> Zone:
        """Return the zone ``query`` names.

        Args:
            query: A zone id, alpha-3 code, English name, alias or cloud region.

        Raises:
            UnknownZoneError: Nothing matches; ``matches`` holds close zone ids.
        """
        zone = self.find(query)
        if zone is None:
            raise UnknownZoneError(query, self.close_matches(query))
        return zone

    def close_matches(self, query: str, limit: int = 5) -> list[str]:
        """Return ids of zones whose id, name or alias is spelled like ``query``."""
        hits = difflib.get_close_matches(_key(query), list(self._index), n=limit * 3, cutoff=0.6)
        return _dedupe([self._index[hit].id for hit in hits])[:limit]

    def search(self, query: str = "") -> list[Zone]:
        """Return zones matching ``query``, best first; an empty query returns all.

        An exact id comes first, then exact names or aliases, then ids or names
        starting with the query, then substrings; when nothing contains the
        query, spellings close to it.
        """
        key = _key(query)
        if not key:
            return list(self.zones)
        ranked: list[tuple[int, tuple[int, str], Zone]] = []
        for zone in self._zones.values():
            rank = _rank(zone, key)
            if rank is not None:
                ranked.append((rank, _sort_key(zone), zone))
        if not ranked:
            return [self._zones[zid] for zid in self.close_matches(query)]
        return [zone for _, _, zone in sorted(ranked, key=lambda r: (r[0], r[1]))]

    def intensity(self, zone_id: str) -> Intensity:
        """Return the annual average intensity of a zone.

        A cloud region uses its own published figure when there is one (Google
        publishes one per region), otherwise its grid zone's; ``source`` says
        which.

        Raises:
            UnknownZoneError: ``zone_id`` names no zone.
        """
        zone = self.get(zone_id)
        return Intensity(zone.id, zone.intensity_g_per_kwh, zone.source, zone.year, "annual")


def _key(text: str) -> str:
    return " ".join(text.strip().lower().split())


def _sort_key(zone: Zone) -> tuple[int, str]:
    return (KINDS.index(zone.kind) if zone.kind in KINDS else len(KINDS), zone.id)


def _dedupe(items: Iterable[_T]) -> list[_T]:
    seen: set[_T] = set()
    out: list[_T] = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def _rank(zone: Zone, key: str) -> int | None:
    zid = zone.id.lower()
    names = [_key(text) for text in (zone.name, *zone.aliases)]
    if zid == key:
        return 0
    if key in names:
        return 1
    if zid.startswith(key) or any(name.startswith(key) for name in names):
        return 2
    if key in zid or any(key in name for name in names):
        return 3
    return None


def _build_index(zones: Iterable[Zone]) -> dict[str, Zone]:
    """Map lower-cased ids, names and aliases to zones, dropping ambiguous names."""
    zones = list(zones)
    index = {zone.id.lower(): zone for zone in zones}
    claims: dict[str, list[Zone]] = {}
    for zone in zones:
        for name in {_key(zone.name), *(_key(alias) for alias in zone.aliases)}:
            if name and name not in index:
                claims.setdefault(name, []).append(zone)
    for name, claimants in claims.items():
        best = min(_sort_key(z)[0] for z in claimants)
        winners = [z for z in claimants if _sort_key(z)[0] == best]
        if len(winners) == 1:
            index[name] = winners[0]
    return index


def _split(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split("|") if part)


def _country_zones() -> list[Zone]:
    zones = []
    for row in read_table("countries.csv"):
        is_world = row["alpha2"] == WORLD
        aliases = _split(row["aliases"]) + ((row["alpha3"],) if row["alpha3"] else ())
        zones.append(Zone(
            id=row["alpha2"], name=row["name"], kind="region" if is_world else "country",
            intensity_g_per_kwh=float(row["intensity_g_per_kwh"]), year=int(row["year"]),
            source=f"{row['source']}, {row['url']}", country="" if is_world else row["alpha2"],
            aliases=aliases,
        ))
    return zones


def _region_zones() -> list[Zone]:
    return [
        Zone(id=row["id"], name=row["name"], kind="region",
             intensity_g_per_kwh=float(row["intensity_g_per_kwh"]), year=int(row["year"]),
             source=f"{row['source']}, {row['url']}", country=row["country"],
             aliases=_split(row["aliases"]))
        for row in read_table("regions.csv")
    ]


def _cloud_zones(grids: dict[str, Zone]) -> list[Zone]:
    rows = read_table("cloud_regions.csv")
    plain_counts: dict[str, int] = {}
    for row in rows:
        plain_counts[row["region"]] = plain_counts.get(row["region"], 0) + 1
    zones = []
    for row in rows:
        grid = grids[row["grid_zone"]]
        mapping = f"{row['region']} is in {grid.id} ({grid.name}) per {row['source']}, {row['url']}"
        if row["intensity_g_per_kwh"]:
            value, year = float(row["intensity_g_per_kwh"]), int(row["intensity_year"])
            source = f"{row['intensity_source']} (region-specific), {row['intensity_url']}"
        else:
            value, year = grid.intensity_g_per_kwh, grid.year
            source = f"grid zone {grid.id}: {grid.source}; {mapping}"
        label = _PROVIDER_LABELS.get(row["provider"], row["provider"])
        zones.append(Zone(
            id=row["id"], name=f"{label} {row['region']} ({row['location']})", kind="cloud",
            intensity_g_per_kwh=value, year=year, source=source, country=row["country"],
            grid_zone=grid.id,
            aliases=(row["region"],) if plain_counts[row["region"]] == 1 else (),
        ))
    return zones


@functools.lru_cache(maxsize=1)
def load_catalog() -> ZoneCatalog:
    """Return the catalogue of the embedded tables, loaded on first use and cached.

    Raises:
        KeyError: A cloud region maps to a grid zone missing from the tables
            (a packaging bug; the test suite checks every row).
    """
    grids = {zone.id: zone for zone in _country_zones() + _region_zones()}
    return ZoneCatalog([*grids.values(), *_cloud_zones(grids)])
