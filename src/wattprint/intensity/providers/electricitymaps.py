"""Electricity Maps API v3: latest, recent or past history, and forecast intensity.

Endpoints (``auth-token`` header, zone ids as in Electricity Maps, which the
wattprint catalogue uses for countries and most grid regions):

* ``/v3/carbon-intensity/latest?zone=DE`` → ``{"zone", "carbonIntensity",
  "datetime", "updatedAt", "isEstimated", ...}``
* ``/v3/carbon-intensity/history?zone=DE`` → ``{"zone", "history": [...]}``,
  the last 24 hours (free personal tier);
* ``/v3/carbon-intensity/past-range?zone=DE&start=...&end=...`` →
  ``{"zone", "data": [...]}``, older history (commercial tier), asked in
  chunks of at most 10 days;
* ``/v3/carbon-intensity/forecast?zone=DE`` → ``{"zone", "forecast": [...]}``.

Values are life-cycle g CO2e/kWh by default (``emissionFactorType``), hourly.

Example::

    provider = ElectricityMapsProvider(token)
    provider.forecast("DE", now, now + timedelta(hours=24)).mean()
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from wattprint.clock import Clock, SystemClock
from wattprint.errors import ProviderError
from wattprint.intensity.providers.base import ProviderStatus
from wattprint.intensity.providers.cache import JsonCache
from wattprint.intensity.providers.http import (
    HttpClient,
    expect,
    format_time_utc,
    parse_time_utc,
    points_series,
)
from wattprint.intensity.series import IntensitySeries
from wattprint.model import Intensity

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

DEFAULT_URL = "https://api.electricitymap.org"
TOKEN_ENV = "WATTPRINT_ELECTRICITYMAPS_TOKEN"
#: ``/history`` covers the last 24 h; anything older needs ``/past-range``.
_RECENT = timedelta(hours=24)
#: Longest window ``/past-range`` accepts at hourly resolution.
_PAST_RANGE_CHUNK = timedelta(days=10)
_STEP_S = 3600


class ElectricityMapsProvider:
    """Carbon intensity from the Electricity Maps API (v3).

    Without a token every call raises :class:`~wattprint.errors.ProviderError`
    and :meth:`probe` says how to set one, so a fallback chain moves on.

    Args:
        token: API token (``WATTPRINT_ELECTRICITYMAPS_TOKEN``).
        base_url: API root; tests point it at a local server.
        emission_factor_type: ``"lifecycle"`` (API default) or ``"direct"``.
        clock: UTC time, to choose between recent and past history.
        client: ``httpx.Client`` to send requests with (e.g. a mock transport).
        cache: On-disk answer cache; ``None`` disables caching.
        sleep: Wait between retries (tests pass a recorder).
        timeout_s: Timeout of each request.
    """

    name = "electricitymaps"

    def __init__(
        self,
        token: str | None,
        *,
        base_url: str = DEFAULT_URL,
        emission_factor_type: str = "lifecycle",
        clock: Clock | None = None,
        client: httpx.Client | None = None,
        cache: JsonCache | None = None,
        sleep: Callable[[float], None] | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self._token = token or None
        self._factor = emission_factor_type
        self._clock: Clock = clock if clock is not None else SystemClock()
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        self._http = HttpClient(
            self.name, base_url, headers={"auth-token": token} if token else None,
            secrets=(token,), auth_hint=f"check {TOKEN_ENV}", client=client,
            timeout_s=timeout_s, cache=cache, **extra,
        )

    def probe(self) -> ProviderStatus:
        """Available when a token is configured (not checked online)."""
        if not self._token:
            return ProviderStatus(self.name, False, "no API token",
                                  f"set {TOKEN_ENV} (token from api-portal.electricitymaps.com)")
        return ProviderStatus(self.name, True, f"token set, {self._http.base_url}")

    def current(self, zone: str) -> Intensity:
        """The latest hourly value of ``zone``."""
        path = "/v3/carbon-intensity/latest"
        body = self._get(path, {"zone": zone})
        value = expect(body, "carbonIntensity", self.name, path)
        if value is None:
            raise ProviderError(f"{self.name}: no current value for {zone}")
        when = parse_time_utc(expect(body, "datetime", self.name, path), self.name)
        estimated = " estimated" if body.get("isEstimated") else ""
        source = (f"Electricity Maps API, latest{estimated} {self._factor} value for "
                  f"{format_time_utc(when)}")
        return Intensity(zone, float(value), source, when.year, "hourly")

    def history(self, zone: str, start_utc: datetime, end_utc: datetime) -> IntensitySeries:
        """Hourly values over the window: ``/history`` if recent, else ``/past-range``."""
        if start_utc >= self._clock.now() - _RECENT:
            path = "/v3/carbon-intensity/history"
            rows = expect(self._get(path, {"zone": zone}), "history", self.name, path)
        else:
            rows = self._past_range(zone, start_utc, end_utc)
        return self._series(zone, rows, start_utc, end_utc, "actual")

    def forecast(self, zone: str, start_utc: datetime, end_utc: datetime) -> IntensitySeries:
        """Electricity Maps' forecast, cut to ``[start_utc, end_utc)`` where it reaches."""
        path = "/v3/carbon-intensity/forecast"
        rows = expect(self._get(path, {"zone": zone}), "forecast", self.name, path)
        return self._series(zone, rows, start_utc, end_utc, "forecast")

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self._http.close()

    # -- internals --------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, str]) -> Any:
        if not self._token:
            raise ProviderError(f"{self.name}: no API token; set {TOKEN_ENV}")
        if self._factor != "lifecycle":
            params = {**params, "emissionFactorType": self._factor}
        return self._http.get_json(path, params)

    def _past_range(self, zone: str, start_utc: datetime, end_utc: datetime) -> list[Any]:
        path = "/v3/carbon-intensity/past-range"
        rows: list[Any] = []
        chunk_start = start_utc
        while chunk_start < end_utc:
            chunk_end = min(end_utc, chunk_start + _PAST_RANGE_CHUNK)
            params = {"zone": zone, "start": format_time_utc(chunk_start),
                      "end": format_time_utc(chunk_end)}
            part = expect(self._get(path, params), "data", self.name, path)
            rows.extend(part if isinstance(part, list) else [])
            chunk_start = chunk_end
        return rows

    def _series(
        self, zone: str, rows: Any, start_utc: datetime, end_utc: datetime, kind: str
    ) -> IntensitySeries:
        if not isinstance(rows, list):
            raise ProviderError(f"{self.name}: unexpected response: expected a list of points")
        points = []
        for row in rows:
            if not isinstance(row, dict) or "datetime" not in row:
                raise ProviderError(f"{self.name}: unexpected point in response: {row!r:.80}")
            points.append((parse_time_utc(row["datetime"], self.name),
                           _number(row.get("carbonIntensity"), self.name)))
        source = f"Electricity Maps API ({kind}, hourly)"
        return points_series(self.name, zone, points, start_utc, end_utc, step_s=_STEP_S,
                             kind=kind, source=source, signal=self._factor)


def _number(value: Any, provider: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProviderError(f"{provider}: unexpected intensity value {value!r:.40}")
    return float(value)
