"""Grid views: an hour-of-day × day intensity heatmap and a ranking of zones.

:func:`heatmap` asks an intensity provider (the configured chain, in the
dashboard: live data when a provider is set up, else the embedded typical
hourly profiles or the annual average) for a zone's hourly series over whole
UTC days; days in the past come from ``history``, later ones from
``forecast``. :func:`ranking` orders the zone catalogue by annual intensity.
Both are pure apart from the provider call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from wattprint.errors import ConfigError
from wattprint.intensity.providers.base import IntensityProvider
from wattprint.intensity.series import IntensitySeries
from wattprint.intensity.zones import ZoneCatalog
from wattprint.model import Zone

_HOUR_S = 3600
#: Longest heatmap, in days.
MAX_DAYS = 92
#: Zone kinds of the catalogue.
ZONE_KINDS = ("country", "region", "cloud")


@dataclass(frozen=True)
class Heatmap:
    """Hourly intensity of one zone: ``values_g_per_kwh[hour][day]`` (None = missing).

    Attributes:
        zone: Zone id.
        days: The UTC days (columns).
        values_g_per_kwh: 24 rows (UTC hours 0-23), one value per day.
        kind: Series kind (``"actual"``, ``"forecast"``, ``"profile"``,
            ``"static"`` or ``"mixed"``).
        source: Where the numbers come from.
        notes: Caveats from the provider (a typical profile is not a measurement).
    """

    zone: str
    days: tuple[date, ...]
    values_g_per_kwh: tuple[tuple[float | None, ...], ...]
    kind: str
    source: str
    notes: tuple[str, ...] = ()

    @property
    def mean_g_per_kwh(self) -> float | None:
        """Mean of the known cells, None when all are missing."""
        known = [v for row in self.values_g_per_kwh for v in row if v is not None]
        return sum(known) / len(known) if known else None


def heatmap(
    provider: IntensityProvider, zone: str, first_day: date, days: int, now_utc: datetime
) -> Heatmap:
    """The hourly intensity of ``zone`` over ``days`` UTC days from ``first_day``.

    Args:
        provider: Where the series comes from.
        zone: Zone id (as the provider knows it).
        first_day: First UTC day.
        days: Number of days, 1 to :data:`MAX_DAYS`.
        now_utc: Splits history (before) from forecast (after).

    Raises:
        ConfigError: ``days`` out of range.
        UnknownZoneError: The provider does not know the zone.
        ProviderError: No provider in the chain could answer.
    """
    if not 1 <= days <= MAX_DAYS:
        raise ConfigError(f"invalid days {days}: expected 1 to {MAX_DAYS}")
    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=timezone.utc)
    end = start + timedelta(days=days)
    parts = []
    hour = now_utc.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    split = min(max(hour, start), end)  # the current hour counts as history
    if split > start:
        parts.append(provider.history(zone, start, split))
    if split < end:
        parts.append(provider.forecast(zone, split, end))
    series = parts[0] if len(parts) == 1 else parts[0].extend(parts[1])
    grid = _grid(series, start, days)
    day_list = tuple(first_day + timedelta(days=d) for d in range(days))
    notes = tuple(dict.fromkeys(note for part in parts for note in part.notes))
    kind = parts[0].kind if all(p.kind == parts[0].kind for p in parts) else "mixed"
    sources = " + ".join(dict.fromkeys(p.source for p in parts if p.source))
    return Heatmap(series.zone, day_list, grid, kind, sources, notes)


def _grid(
    series: IntensitySeries, start: datetime, days: int
) -> tuple[tuple[float | None, ...], ...]:
    hourly = series.resample(_HOUR_S) if series.step_s != _HOUR_S else series
    cells: list[list[float | None]] = [[None] * days for _ in range(24)]
    for when, value in zip(hourly.times_utc(), hourly.values_g_per_kwh.tolist(), strict=True):
        offset_h = int((when - start).total_seconds() // _HOUR_S)
        if 0 <= offset_h < days * 24 and not math.isnan(value):
            cells[offset_h % 24][offset_h // 24] = round(float(value), 3)
    return tuple(tuple(row) for row in cells)


def ranking(
    catalog: ZoneCatalog, *, kind: str | None = None, query: str = "", limit: int = 50,
    used: Sequence[str] = (),
) -> list[Zone]:
    """Zones by annual intensity, cleanest first.

    Args:
        catalog: The zone catalogue.
        kind: Only zones of this kind (``country``, ``region`` or ``cloud``).
        query: Only zones matching this search (id, name, alias).
        limit: Most zones returned (1-1000).
        used: Zone ids that are always included (the ledger's zones), limit aside.

    Raises:
        ConfigError: Unknown ``kind`` or ``limit`` out of range.
    """
    if kind is not None and kind not in ZONE_KINDS:
        raise ConfigError(f"invalid kind {kind!r}: expected one of {', '.join(ZONE_KINDS)}")
    if not 1 <= limit <= 1000:
        raise ConfigError(f"invalid limit {limit}: expected 1 to 1000")
    pool = catalog.search(query) if query.strip() else list(catalog.zones)
    chosen = sorted((z for z in pool if kind is None or z.kind == kind),
                    key=lambda z: (z.intensity_g_per_kwh, z.id))[:limit]
    have = {z.id for z in chosen}
    extra = [z for z in (catalog.find(u) for u in used) if z is not None and z.id not in have
             and (kind is None or z.kind == kind)]
    return sorted([*chosen, *dict.fromkeys(extra)], key=lambda z: (z.intensity_g_per_kwh, z.id))
