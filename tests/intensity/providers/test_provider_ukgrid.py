from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from provider_testkit import ApiServer, SleepRecorder

from wattprint.errors import ProviderError
from wattprint.intensity.providers.ukgrid import UkGridProvider

NOW = datetime(2024, 5, 1, 12, 10, tzinfo=timezone.utc)
HALF = timedelta(minutes=30)


def fmt(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%MZ")


def national(start: datetime, forecasts: list[int], actuals: list[int | None]) -> dict[str, object]:
    # {"data": [{"from", "to", "intensity": {"forecast", "actual", "index"}}]} (API docs).
    return {"data": [
        {"from": fmt(start + i * HALF), "to": fmt(start + (i + 1) * HALF),
         "intensity": {"forecast": f, "actual": a, "index": "moderate"}}
        for i, (f, a) in enumerate(zip(forecasts, actuals, strict=True))]}


def region_rows(start: datetime, forecasts: list[int]) -> list[dict[str, object]]:
    return [{"from": fmt(start + i * HALF), "to": fmt(start + (i + 1) * HALF),
             "intensity": {"forecast": f, "index": "low"},
             "generationmix": [{"fuel": "wind", "perc": 40.1}, {"fuel": "gas", "perc": 30.2}]}
            for i, f in enumerate(forecasts)]


@pytest.fixture
def uk(api: ApiServer, sleeps: SleepRecorder) -> UkGridProvider:
    return UkGridProvider(base_url=api.url, sleep=sleeps)


def test_national_current_prefers_actual(api: ApiServer, uk: UkGridProvider) -> None:
    start = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    api.route("/intensity", national(start, [180], [172]), national(start, [180], [None]))
    first = uk.current("GB")
    assert first.g_per_kwh == 172 and first.resolution == "30 min" and "national" in first.source
    assert uk.current("GB").g_per_kwh == 180  # no actual yet: the forecast


def test_national_forecast_fw48h(api: ApiServer, uk: UkGridProvider) -> None:
    start = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    api.route("/intensity/2024-05-01T12:00Z/fw48h",
              national(start, [200, 190, 180, 170], [150, None, None, None]))
    series = uk.forecast("GB", NOW, NOW + timedelta(hours=1))
    assert series.step_s == 1800 and series.kind == "forecast"
    assert list(series.values_g_per_kwh) == [200, 190, 180]  # forecasts, not actuals
    assert series.start_utc == start and "CC BY 4.0" in series.source


def test_national_history_from_to(api: ApiServer, uk: UkGridProvider) -> None:
    start = datetime(2024, 4, 30, 0, 0, tzinfo=timezone.utc)
    api.route("/intensity/2024-04-30T00:00Z/2024-04-30T02:00Z",
              national(start, [100, 110, 120, 130], [95, 105, None, 125]))
    series = uk.history("GB", start, start + timedelta(hours=2))
    assert list(series.values_g_per_kwh) == [95, 105, 120, 125] and series.kind == "actual"


def test_regional_current_list_shape(api: ApiServer, uk: UkGridProvider) -> None:
    start = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    api.route("/regional/regionid/13", {"data": [
        {"regionid": 13, "dnoregion": "UKPN London", "shortname": "London",
         "data": region_rows(start, [143])}]})
    value = uk.current("GB-REGION-13")
    assert value.zone == "GB-REGION-13" and value.g_per_kwh == 143
    assert "region 13 (London)" in value.source


def test_regional_forecast_object_shape(api: ApiServer, uk: UkGridProvider) -> None:
    start = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    api.route("/regional/intensity/2024-05-01T12:00Z/fw48h/regionid/1", {"data": {
        "regionid": 1, "dnoregion": "Scottish Hydro Electric Power Distribution",
        "shortname": "North Scotland", "data": region_rows(start, [20, 15, 10, 12])}})
    series = uk.forecast("gb-region-1", NOW, NOW + timedelta(hours=2))
    assert list(series.values_g_per_kwh) == [20, 15, 10, 12]
    assert any("forecasts only" in note for note in series.notes)


@pytest.mark.parametrize("zone", ["DE", "GB-REGION-18", "GB-REGION-x"])
def test_zones_not_covered(uk: UkGridProvider, api: ApiServer, zone: str) -> None:
    with pytest.raises(ProviderError, match=f"zone {zone} not covered"):
        uk.current(zone)
    assert api.requests == []


def test_unexpected_shape(api: ApiServer, uk: UkGridProvider) -> None:
    api.route("/intensity", {"error": {"code": "400 Bad Request", "message": "x"}})
    with pytest.raises(ProviderError, match="unexpected response from /intensity"):
        uk.current("GB")
