"""NESO (National Grid) Carbon Intensity API for Great Britain — no key needed.

Zones:

* ``GB`` — national figures: ``/intensity`` (current half hour),
  ``/intensity/{from}/fw48h`` (forecast), ``/intensity/{from}/{to}`` (history;
  the ``actual`` estimate where published, else the forecast). Answers look like
  ``{"data": [{"from", "to", "intensity": {"forecast", "actual", "index"}}]}``.
* ``GB-REGION-1`` … ``GB-REGION-17`` — the API's region ids (see
  :data:`GB_REGIONS`; 13 is London, 15–17 England, Scotland and Wales):
  ``/regional/regionid/{id}`` and ``/regional/intensity/{from}/fw48h/regionid/{id}``,
  answered as ``{"data": [{"regionid", "shortname", "data": [{"from", "to",
  "intensity": {"forecast", "index"}, "generationmix"}]}]}`` (``data`` is an object
  rather than a list on some endpoints; both are read). Regional figures are
  forecasts only, also for past half hours.

The wattprint catalogue has no GB sub-zones, so the static provider answers a
``GB-REGION-*`` zone with the national ``GB`` figure (and says so).
Values are g CO2/kWh of generation (direct emissions, incl. imports), half-hourly,
CC BY 4.0 (https://carbon-intensity.github.io/api-definitions).

Example::

    UkGridProvider().forecast("GB-REGION-13", now, now + timedelta(hours=24))
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from wattprint.errors import ProviderError
from wattprint.intensity.providers.base import ProviderStatus
from wattprint.intensity.providers.cache import JsonCache
from wattprint.intensity.providers.http import HttpClient, parse_time_utc, points_series
from wattprint.intensity.series import IntensitySeries
from wattprint.model import Intensity

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

DEFAULT_URL = "https://api.carbonintensity.org.uk"
#: Region id -> name, as the API numbers them.
GB_REGIONS = {
    1: "North Scotland", 2: "South Scotland", 3: "North West England",
    4: "North East England", 5: "Yorkshire", 6: "North Wales and Merseyside",
    7: "South Wales", 8: "West Midlands", 9: "East Midlands", 10: "East England",
    11: "South West England", 12: "South England", 13: "London",
    14: "South East England", 15: "England", 16: "Scotland", 17: "Wales",
}
REGION_PREFIX = "GB-REGION-"
#: Zone id -> catalogue zone whose annual figure stands in for it.
PARENT_ZONES = {f"{REGION_PREFIX}{rid}": "GB" for rid in GB_REGIONS}
_STEP_S = 1800
#: Longest window the ``{from}/{to}`` endpoints accept.
_HISTORY_CHUNK = timedelta(days=14)
_SIGNAL = "direct (generation, incl. imports)"


class UkGridProvider:
    """Half-hourly GB carbon intensity, national or regional, from NESO's public API.

    Args:
        base_url: API root; tests point it at a local server.
        client: ``httpx.Client`` to send requests with.
        cache: On-disk answer cache; ``None`` disables caching.
        sleep: Wait between retries.
        timeout_s: Timeout of each request.
    """

    name = "ukgrid"

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_URL,
        client: httpx.Client | None = None,
        cache: JsonCache | None = None,
        sleep: Callable[[float], None] | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        self._http = HttpClient(self.name, base_url, client=client, timeout_s=timeout_s,
                                cache=cache, **extra)

    def probe(self) -> ProviderStatus:
        """Always usable (no key); covers GB and GB-REGION-1..17 only."""
        return ProviderStatus(self.name, True, "no key needed; zones GB, GB-REGION-1..17")

    def current(self, zone: str) -> Intensity:
        """The current half hour: the national ``actual`` estimate, else the forecast."""
        region = _region_id(zone)
        path = "/intensity" if region is None else f"/regional/regionid/{region}"
        points = self._points(self._http.get_json(path), path, regional=region is not None)
        when, value = points[0] if points else (None, None)
        if when is None or value is None:
            raise ProviderError(f"{self.name}: no current value for {zone}")
        where = "national" if region is None else f"region {region} ({GB_REGIONS[region]})"
        source = f"NESO Carbon Intensity API, {where}, half hour from {_api_time(when)}"
        return Intensity(zone, float(value), source, when.year, "30 min")

    def history(self, zone: str, start_utc: datetime, end_utc: datetime) -> IntensitySeries:
        """Half-hourly values over the window, asked in 14-day chunks."""
        region = _region_id(zone)
        points: list[tuple[datetime, float | None]] = []
        chunk_start = _floor(start_utc)
        while chunk_start < end_utc:
            chunk_end = min(end_utc, chunk_start + _HISTORY_CHUNK)
            span = f"{_api_time(chunk_start)}/{_api_time(chunk_end)}"
            path = (f"/intensity/{span}" if region is None
                    else f"/regional/intensity/{span}/regionid/{region}")
            body = self._http.get_json(path)
            points.extend(self._points(body, path, regional=region is not None))
            chunk_start = chunk_end
        kind = "actual" if region is None else "forecast"
        return self._series(zone, region, points, start_utc, end_utc, kind)

    def forecast(self, zone: str, start_utc: datetime, end_utc: datetime) -> IntensitySeries:
        """NESO's 48-hour forecast from ``start_utc``, cut to the window."""
        region = _region_id(zone)
        start = _api_time(_floor(start_utc))
        path = (f"/intensity/{start}/fw48h" if region is None
                else f"/regional/intensity/{start}/fw48h/regionid/{region}")
        points = self._points(self._http.get_json(path), path, regional=region is not None,
                              prefer_actual=False)
        return self._series(zone, region, points, start_utc, end_utc, "forecast")

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self._http.close()

    # -- internals --------------------------------------------------------------------

    def _points(
        self, body: Any, path: str, *, regional: bool, prefer_actual: bool = True
    ) -> list[tuple[datetime, float | None]]:
        rows = _rows(body, regional)
        if rows is None:
            raise ProviderError(f"{self.name}: unexpected response from {path}")
        points: list[tuple[datetime, float | None]] = []
        for row in rows:
            intensity = row.get("intensity") if isinstance(row, dict) else None
            if not isinstance(intensity, dict) or "from" not in row:
                raise ProviderError(f"{self.name}: unexpected point in {path}: {row!r:.80}")
            value = intensity.get("actual") if prefer_actual else None
            if value is None:
                value = intensity.get("forecast")
            if value is not None and not isinstance(value, (int, float)):
                raise ProviderError(f"{self.name}: unexpected value {value!r:.40} in {path}")
            points.append((parse_time_utc(row["from"], self.name),
                           None if value is None else float(value)))
        return points

    def _series(
        self, zone: str, region: int | None, points: list[tuple[datetime, float | None]],
        start_utc: datetime, end_utc: datetime, kind: str,
    ) -> IntensitySeries:
        where = "national" if region is None else f"region {region} ({GB_REGIONS[region]})"
        source = f"NESO Carbon Intensity API, {where} ({kind}, half-hourly, CC BY 4.0)"
        series = points_series(self.name, zone, points, start_utc, end_utc, step_s=_STEP_S,
                               kind=kind, source=source, signal=_SIGNAL)
        if region is not None and kind == "forecast":
            note = "regional GB figures are forecasts only, also for past half hours"
            series = _with_note(series, note)
        return series


def _with_note(series: IntensitySeries, note: str) -> IntensitySeries:
    from dataclasses import replace

    return replace(series, notes=(*series.notes, note))


def _region_id(zone: str) -> int | None:
    """``None`` for national GB, the API region id for ``GB-REGION-n``."""
    key = zone.strip().upper()
    if key in {"GB", "UK"}:
        return None
    if key.startswith(REGION_PREFIX):
        try:
            region = int(key[len(REGION_PREFIX):])
        except ValueError:
            region = -1
        if region in GB_REGIONS:
            return region
    raise ProviderError(
        f"ukgrid: zone {zone} not covered; it serves GB and {REGION_PREFIX}1..17"
    )


def _rows(body: Any, regional: bool) -> list[Any] | None:
    """The list of half-hour rows inside a national or regional answer."""
    if not isinstance(body, dict):
        return None
    data = body.get("data")
    if not regional:
        return data if isinstance(data, list) else None
    if isinstance(data, list):  # /regional/regionid/{id}: a list with one region
        data = data[0] if data else None
    if not isinstance(data, dict):
        return None
    rows = data.get("data")
    return rows if isinstance(rows, list) else None


def _floor(when: datetime) -> datetime:
    """Start of the half hour containing ``when`` (UTC)."""
    when = when.astimezone(timezone.utc)
    return when.replace(minute=when.minute - when.minute % 30, second=0, microsecond=0)


def _api_time(when: datetime) -> str:
    """``2024-05-01T12:30Z``, the format the API takes in paths."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%MZ")
