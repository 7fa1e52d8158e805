from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from provider_testkit import ApiServer, Reply, SleepRecorder, all_text

from wattprint.errors import ProviderError
from wattprint.intensity.providers.cache import JsonCache
from wattprint.intensity.providers.electricitymaps import ElectricityMapsProvider
from wattprint.testing import FakeClock

TOKEN = "em-token-7c2e91-SECRET"
NOW = datetime(2024, 5, 1, 12, 20, tzinfo=timezone.utc)


def point(when: datetime, value: float | None, estimated: bool = False) -> dict[str, object]:
    # Shape of one point of /history, /past-range and /forecast (v3 docs).
    return {"zone": "DE", "carbonIntensity": value,
            "datetime": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "updatedAt": "2024-05-01T12:05:00.000Z", "createdAt": "2024-04-28T12:00:00.000Z",
            "emissionFactorType": "lifecycle", "isEstimated": estimated,
            "estimationMethod": "TIME_SLICER_AVERAGE" if estimated else None}


def hours(start: datetime, values: list[float | None]) -> list[dict[str, object]]:
    return [point(start + timedelta(hours=i), v) for i, v in enumerate(values)]


@pytest.fixture
def em(api: ApiServer, sleeps: SleepRecorder) -> ElectricityMapsProvider:
    return ElectricityMapsProvider(TOKEN, base_url=api.url, clock=FakeClock(now=NOW), sleep=sleeps)


def test_latest(api: ApiServer, em: ElectricityMapsProvider) -> None:
    api.route("/v3/carbon-intensity/latest", point(datetime(2024, 5, 1, 12, tzinfo=timezone.utc),
                                                   302.0, estimated=True))
    value = em.current("DE")
    assert value.zone == "DE" and value.g_per_kwh == 302.0 and value.resolution == "hourly"
    assert value.year == 2024
    assert "Electricity Maps API, latest estimated lifecycle value for 2024-05-01T12:00:00Z" \
        == value.source
    seen = api.hits("/v3/carbon-intensity/latest")[0]
    assert seen.query == {"zone": "DE"} and seen.headers["auth-token"] == TOKEN


def test_recent_history_uses_history_endpoint(api: ApiServer, em: ElectricityMapsProvider) -> None:
    first = datetime(2024, 4, 30, 13, tzinfo=timezone.utc)
    api.route("/v3/carbon-intensity/history",
              {"zone": "DE", "history": hours(first, [float(100 + i) for i in range(24)])})
    series = em.history("DE", NOW - timedelta(hours=6), NOW)
    assert series.kind == "actual" and series.step_s == 3600 and series.signal == "lifecycle"
    assert series.start_utc == datetime(2024, 5, 1, 6, tzinfo=timezone.utc)
    assert list(series.values_g_per_kwh) == [117.0, 118.0, 119.0, 120.0, 121.0, 122.0, 123.0]


def test_old_history_uses_past_range_in_10_day_chunks(
    api: ApiServer, em: ElectricityMapsProvider
) -> None:
    start = datetime(2024, 3, 1, tzinfo=timezone.utc)
    api.route("/v3/carbon-intensity/past-range",
              {"zone": "DE", "data": hours(start, [200.0] * 240)},
              {"zone": "DE", "data": hours(start + timedelta(days=10), [300.0] * 240)},
              {"zone": "DE", "data": hours(start + timedelta(days=20), [400.0] * 120)})
    series = em.history("DE", start, start + timedelta(days=25))
    calls = api.hits("/v3/carbon-intensity/past-range")
    assert [c.query["start"] for c in calls] == [
        "2024-03-01T00:00:00Z", "2024-03-11T00:00:00Z", "2024-03-21T00:00:00Z"]
    assert calls[-1].query["end"] == "2024-03-26T00:00:00Z"
    assert len(series) == 600 and series.missing == 0
    assert series.mean() == pytest.approx((200 * 240 + 300 * 240 + 400 * 120) / 600)


def test_forecast_cut_to_window_with_missing_values(
    api: ApiServer, em: ElectricityMapsProvider
) -> None:
    first = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)
    api.route("/v3/carbon-intensity/forecast",
              {"zone": "DE", "forecast": hours(first, [250.0, None, 240.0, 230.0, 220.0]),
               "updatedAt": "2024-05-01T12:00:00.000Z"})
    series = em.forecast("DE", first + timedelta(hours=1), first + timedelta(hours=4))
    assert series.kind == "forecast" and series.source == "Electricity Maps API (forecast, hourly)"
    assert np.isnan(series.values_g_per_kwh[0]) and list(series.values_g_per_kwh[1:]) == [240, 230]


def test_without_token_nothing_is_sent(api: ApiServer) -> None:
    provider = ElectricityMapsProvider(None, base_url=api.url)
    status = provider.probe()
    assert not status.available and "WATTPRINT_ELECTRICITYMAPS_TOKEN" in status.fix
    with pytest.raises(ProviderError, match="no API token; set WATTPRINT_ELECTRICITYMAPS_TOKEN"):
        provider.current("DE")
    assert api.requests == []


def test_auth_failure_message(api: ApiServer, em: ElectricityMapsProvider) -> None:
    api.route("/v3/carbon-intensity/latest", Reply({"error": "Invalid auth-token"}, 401))
    with pytest.raises(ProviderError) as err:
        em.current("DE")
    assert str(err.value) == ("electricitymaps: authentication failed (HTTP 401); "
                              "check WATTPRINT_ELECTRICITYMAPS_TOKEN")


def test_zone_not_covered(api: ApiServer, em: ElectricityMapsProvider) -> None:
    api.route("/v3/carbon-intensity/latest",
              Reply({"status": "error", "message": "Zone 'XX' does not exist."}, 404))
    with pytest.raises(ProviderError, match=r"HTTP 404 .*Zone 'XX' does not exist"):
        em.current("XX")


def test_unexpected_shape(api: ApiServer, em: ElectricityMapsProvider) -> None:
    api.route("/v3/carbon-intensity/forecast", {"zone": "DE", "data": []})
    with pytest.raises(ProviderError, match="no 'forecast' field"):
        em.forecast("DE", NOW, NOW + timedelta(hours=3))


def test_token_absent_from_logs_and_cache(
    api: ApiServer, sleeps: SleepRecorder, cache_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.route("/v3/carbon-intensity/latest", Reply({}, 503),
              point(datetime(2024, 5, 1, 12, tzinfo=timezone.utc), 300.0))
    provider = ElectricityMapsProvider(TOKEN, base_url=api.url, sleep=sleeps,
                                       cache=JsonCache(cache_dir, clock=FakeClock(now=NOW)))
    assert provider.current("DE").g_per_kwh == 300.0
    assert provider.current("DE").g_per_kwh == 300.0  # from the cache
    assert len(api.hits("/v3/carbon-intensity/latest")) == 2  # 503 + one success
    assert TOKEN not in caplog.text and TOKEN not in all_text(cache_dir)
    assert TOKEN not in repr(provider.probe())
