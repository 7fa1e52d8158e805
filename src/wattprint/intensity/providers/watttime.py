"""WattTime API v3: marginal emissions (MOER) forecast and history.

WattTime publishes the *marginal* operating emissions rate (``co2_moer``):
the emissions of the plant that answers one more kWh of demand. It is a
different signal from the average (Electricity Maps, the embedded data), so
every series says ``signal="marginal (MOER)"`` and numbers from the two
must not be mixed in one footprint.

* ``GET /login`` with HTTP basic auth → ``{"token": "..."}`` (valid 30 min);
* ``GET /v3/forecast?region=CAISO_NORTH&signal_type=co2_moer&horizon_hours=24``
  → ``{"data": [{"point_time", "value"}, ...], "meta": {"units": "lbs_co2_per_mwh", ...}}``;
* ``GET /v3/historical?region=...&start=...&end=...&signal_type=co2_moer``,
  same shape, asked in chunks of at most 30 days.

WattTime works in its own regions; wattprint never guesses one from a
location. Give a mapping (``watttime_regions = {"US-CAL-CISO" = "CAISO_NORTH"}``
or ``WATTPRINT_WATTTIME_REGIONS="US-CAL-CISO=CAISO_NORTH"``), or ask for a
WattTime region id directly (``CAISO_NORTH``).

Example::

    provider = WattTimeProvider(user, password, regions={"US-CAL-CISO": "CAISO_NORTH"})
    provider.forecast("US-CAL-CISO", now, now + timedelta(hours=12))
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Mapping
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

DEFAULT_URL = "https://api.watttime.org"
SIGNAL = "marginal (MOER)"
#: 1 lb = 453.59237 g and 1 MWh = 1000 kWh, so 1 lb/MWh = 0.45359237 g/kWh.
G_PER_KWH_PER_LB_PER_MWH = 0.45359237
#: Unit name in ``meta.units`` -> factor to g/kWh.
_UNITS = {"lbs_co2_per_mwh": G_PER_KWH_PER_LB_PER_MWH, "g_co2_per_kwh": 1.0,
          "kg_co2_per_mwh": 1.0}
#: Tokens live 30 minutes; log in again a little before that.
_TOKEN_LIFETIME = timedelta(minutes=25)
_HISTORY_CHUNK = timedelta(days=30)
_MAX_HORIZON_H = 72
# WattTime region ids look like CAISO_NORTH, PJM_DC, DE, IE: upper case, digits, "_".
_REGION_ID = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_ENV = "WATTPRINT_WATTTIME_USERNAME / WATTPRINT_WATTTIME_PASSWORD"


def lb_per_mwh_to_g_per_kwh(value_lb_per_mwh: float) -> float:
    """Pounds CO2 per MWh (WattTime's unit) to grams per kWh."""
    return value_lb_per_mwh * G_PER_KWH_PER_LB_PER_MWH


class WattTimeProvider:
    """Marginal emissions (MOER) from the WattTime API (v3), in g CO2/kWh.

    Args:
        username: WattTime account name (``WATTPRINT_WATTTIME_USERNAME``).
        password: Its password (``WATTPRINT_WATTTIME_PASSWORD``); never logged.
        regions: Grid zone -> WattTime region.
        base_url: API root; tests point it at a local server.
        signal_type: WattTime signal, ``"co2_moer"`` by default.
        clock: UTC time (forecast horizon, token age).
        client: ``httpx.Client`` to send requests with.
        cache: On-disk answer cache; ``None`` disables caching.
        sleep: Wait between retries.
        timeout_s: Timeout of each request.
    """

    name = "watttime"

    def __init__(
        self,
        username: str | None,
        password: str | None,
        *,
        regions: Mapping[str, str] | None = None,
        base_url: str = DEFAULT_URL,
        signal_type: str = "co2_moer",
        clock: Clock | None = None,
        client: httpx.Client | None = None,
        cache: JsonCache | None = None,
        sleep: Callable[[float], None] | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self._username = username or None
        self._password = password or None
        self._regions = {k.upper(): v for k, v in (regions or {}).items()}
        self._signal_type = signal_type
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._token: str | None = None
        self._token_at: datetime | None = None
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        self._http = HttpClient(
            self.name, base_url, secrets=(password,), auth_hint=f"check {_ENV}",
            client=client, timeout_s=timeout_s, cache=cache, **extra,
        )

    def probe(self) -> ProviderStatus:
        """Available when a username and password are configured (not checked online)."""
        if not (self._username and self._password):
            return ProviderStatus(self.name, False, "no WattTime account configured",
                                  f"set {_ENV} and watttime_regions")
        if not self._regions:
            return ProviderStatus(self.name, True, "account set; no zone mapping, "
                                  "only WattTime region ids work")
        return ProviderStatus(self.name, True, f"account set, {len(self._regions)} zone(s) mapped")

    def region_for(self, zone: str) -> str:
        """The WattTime region of ``zone``.

        Raises:
            ProviderError: The zone is not mapped and is not a WattTime region id.
        """
        region = self._regions.get(zone.upper())
        if region:
            return region
        if _REGION_ID.match(zone):
            return zone
        raise ProviderError(
            f"{self.name}: no WattTime region for zone {zone}; set watttime_regions, "
            f"e.g. WATTPRINT_WATTTIME_REGIONS='{zone}=REGION'"
        )

    def current(self, zone: str) -> Intensity:
        """The first point of the current forecast (WattTime's real-time MOER)."""
        params = self._params(zone, horizon_hours="0")
        body = self._get("/v3/forecast", params)
        points = self._points(body, "/v3/forecast")
        when, value = points[0] if points else (None, None)
        if when is None or value is None:
            raise ProviderError(f"{self.name}: no current value for {zone}")
        source = (f"WattTime API v3 {self._signal_type} for {params['region']} at "
                  f"{format_time_utc(when)}, converted from lbs CO2/MWh to g/kWh (marginal)")
        return Intensity(zone, float(value), source, when.year, "5 min")

    def history(self, zone: str, start_utc: datetime, end_utc: datetime) -> IntensitySeries:
        """Historical MOER over ``[start_utc, end_utc)``."""
        path = "/v3/historical"
        points: list[tuple[datetime, float | None]] = []
        chunk_start = start_utc
        while chunk_start < end_utc:
            chunk_end = min(end_utc, chunk_start + _HISTORY_CHUNK)
            params = self._params(zone, start=format_time_utc(chunk_start),
                                  end=format_time_utc(chunk_end))
            points.extend(self._points(self._get(path, params), path))
            chunk_start = chunk_end
        return self._series(zone, points, start_utc, end_utc, "actual")

    def forecast(self, zone: str, start_utc: datetime, end_utc: datetime) -> IntensitySeries:
        """The latest MOER forecast (up to 72 h ahead), cut to the window."""
        ahead_s = (end_utc - self._clock.now()).total_seconds()
        horizon_h = min(_MAX_HORIZON_H, max(1, math.ceil(ahead_s / 3600)))
        path = "/v3/forecast"
        body = self._get(path, self._params(zone, horizon_hours=str(horizon_h)))
        return self._series(zone, self._points(body, path), start_utc, end_utc, "forecast")

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self._http.close()

    # -- internals --------------------------------------------------------------------

    def _params(self, zone: str, **extra: str) -> dict[str, str]:
        return {"region": self.region_for(zone), "signal_type": self._signal_type, **extra}

    def _login(self) -> str:
        now = self._clock.now()
        if self._token and self._token_at and now - self._token_at < _TOKEN_LIFETIME:
            return self._token
        if not (self._username and self._password):
            raise ProviderError(f"{self.name}: no WattTime account; set {_ENV}")
        body = self._http.get_json("/login", auth=(self._username, self._password),
                                   use_cache=False)
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise ProviderError(f"{self.name}: login answered without a token")
        self._http.add_secret(token)
        self._token, self._token_at = token, now
        return token

    def _get(self, path: str, params: dict[str, str]) -> Any:
        token = self._login()
        return self._http.get_json(path, params, headers={"Authorization": f"Bearer {token}"})

    def _points(self, body: Any, path: str) -> list[tuple[datetime, float | None]]:
        rows = expect(body, "data", self.name, path)
        meta = body.get("meta") or {}
        units = str(meta.get("units") or "lbs_co2_per_mwh") if isinstance(meta, dict) else ""
        factor = _UNITS.get(units)
        if factor is None:
            raise ProviderError(f"{self.name}: unsupported units {units!r} from {path}")
        if not isinstance(rows, list):
            raise ProviderError(f"{self.name}: unexpected response from {path}: data is not a list")
        points: list[tuple[datetime, float | None]] = []
        for row in rows:
            if not isinstance(row, dict) or "point_time" not in row:
                raise ProviderError(f"{self.name}: unexpected point in response: {row!r:.80}")
            value = row.get("value")
            if value is not None and not isinstance(value, (int, float)):
                raise ProviderError(f"{self.name}: unexpected value {value!r:.40}")
            points.append((parse_time_utc(row["point_time"], self.name),
                           None if value is None else float(value) * factor))
        return points

    def _series(
        self, zone: str, points: list[tuple[datetime, float | None]],
        start_utc: datetime, end_utc: datetime, kind: str,
    ) -> IntensitySeries:
        source = (f"WattTime API v3 {self._signal_type} ({kind}), "
                  "converted from lbs CO2/MWh to g/kWh")
        return points_series(self.name, zone, points, start_utc, end_utc,
                             kind=kind, source=source, signal=SIGNAL)
