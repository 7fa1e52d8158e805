from __future__ import annotations

import base64
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from provider_testkit import ApiServer, Reply, SleepRecorder, all_text

from wattprint.errors import ProviderError
from wattprint.intensity.providers.cache import JsonCache
from wattprint.intensity.providers.watttime import WattTimeProvider, lb_per_mwh_to_g_per_kwh
from wattprint.testing import FakeClock

USER, PASSWORD, TOKEN = "alice", "pw-91b7-SECRET", "jwt-4d1f0e-SECRET"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
REGIONS = {"US-CAL-CISO": "CAISO_NORTH"}


def moer(start: datetime, values_lb_per_mwh: list[float], step_min: int = 5) -> dict[str, object]:
    # Shape of /v3/forecast and /v3/historical (v3 docs): data + meta with units.
    return {
        "data": [{"point_time": (start + timedelta(minutes=step_min * i)).isoformat(),
                  "value": v, "version": "3.2-2024-01-01"}
                 for i, v in enumerate(values_lb_per_mwh)],
        "meta": {"region": "CAISO_NORTH", "signal_type": "co2_moer", "units": "lbs_co2_per_mwh",
                 "data_point_period_seconds": step_min * 60, "model": {"date": "2024-01-01"},
                 "generated_at": start.isoformat(), "warnings": []},
    }


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(now=NOW)


@pytest.fixture
def wt(api: ApiServer, sleeps: SleepRecorder, clock: FakeClock) -> WattTimeProvider:
    api.route("/login", {"token": TOKEN})
    return WattTimeProvider(USER, PASSWORD, regions=REGIONS, base_url=api.url, clock=clock,
                            sleep=sleeps)


def test_unit_conversion() -> None:
    assert lb_per_mwh_to_g_per_kwh(1.0) == pytest.approx(0.453592, abs=1e-6)
    assert lb_per_mwh_to_g_per_kwh(1000.0) == pytest.approx(453.59237)


def test_forecast_logs_in_converts_and_marks_marginal(api: ApiServer, wt: WattTimeProvider) -> None:
    api.route("/v3/forecast", moer(NOW, [1000.0] * 6 + [800.0] * 6))
    series = wt.forecast("US-CAL-CISO", NOW, NOW + timedelta(hours=1))
    assert series.kind == "forecast" and series.signal == "marginal (MOER)"
    assert "lbs CO2/MWh" in series.source and series.step_s == 300 and len(series) == 12
    assert series.values_g_per_kwh[0] == pytest.approx(453.59237)
    assert series.values_g_per_kwh[-1] == pytest.approx(362.873896)
    login = api.hits("/login")[0]
    expected = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert login.headers["authorization"] == f"Basic {expected}"
    call = api.hits("/v3/forecast")[0]
    assert call.headers["authorization"] == f"Bearer {TOKEN}"
    assert call.query == {"region": "CAISO_NORTH", "signal_type": "co2_moer", "horizon_hours": "1"}


def test_token_reused_then_renewed(api: ApiServer, wt: WattTimeProvider, clock: FakeClock) -> None:
    api.route("/v3/forecast", moer(NOW, [900.0] * 3))
    wt.current("US-CAL-CISO")
    clock.advance(60)
    wt.current("US-CAL-CISO")
    assert len(api.hits("/login")) == 1
    clock.advance(26 * 60)
    wt.current("US-CAL-CISO")
    assert len(api.hits("/login")) == 2


def test_current_is_first_forecast_point(api: ApiServer, wt: WattTimeProvider) -> None:
    api.route("/v3/forecast", moer(NOW, [500.0, 600.0]))
    value = wt.current("US-CAL-CISO")
    assert value.g_per_kwh == pytest.approx(500 * 0.45359237) and value.resolution == "5 min"
    assert "CAISO_NORTH" in value.source and "marginal" in value.source
    assert api.hits("/v3/forecast")[0].query["horizon_hours"] == "0"


def test_history_in_chunks_with_region_id_zone(api: ApiServer, wt: WattTimeProvider) -> None:
    start = NOW - timedelta(days=40)
    api.route("/v3/historical", moer(start, [1000.0] * 12, step_min=60 * 24 * 30 // 12),
              moer(start + timedelta(days=30), [2000.0] * 10, step_min=60 * 24))
    series = wt.history("CAISO_NORTH", start, NOW)  # a WattTime region id works as a zone
    calls = api.hits("/v3/historical")
    assert [c.query["start"] for c in calls] == ["2024-03-22T12:00:00Z", "2024-04-21T12:00:00Z"]
    assert calls[0].query["region"] == "CAISO_NORTH" and series.kind == "actual"
    assert series.values_g_per_kwh[-1] == pytest.approx(2000 * 0.45359237)


def test_unmapped_zone(api: ApiServer, wt: WattTimeProvider) -> None:
    with pytest.raises(ProviderError, match="no WattTime region for zone DE; set watttime_regions"):
        wt.forecast("DE", NOW, NOW + timedelta(hours=1))
    assert api.requests == []


def test_unknown_units_rejected(api: ApiServer, wt: WattTimeProvider) -> None:
    body = moer(NOW, [1.0])
    body["meta"] = {"units": "percentile"}
    api.route("/v3/forecast", body)
    with pytest.raises(ProviderError, match="unsupported units 'percentile'"):
        wt.current("US-CAL-CISO")


def test_bad_login(api: ApiServer, sleeps: SleepRecorder) -> None:
    api.route("/login", Reply({"error": f"wrong password {PASSWORD}"}, 403))
    provider = WattTimeProvider(USER, PASSWORD, regions=REGIONS, base_url=api.url, sleep=sleeps)
    with pytest.raises(ProviderError) as err:
        provider.current("US-CAL-CISO")
    assert str(err.value) == ("watttime: authentication failed (HTTP 403); check "
                              "WATTPRINT_WATTTIME_USERNAME / WATTPRINT_WATTTIME_PASSWORD")
    assert not WattTimeProvider(None, None).probe().available


def test_secrets_absent_from_logs_errors_and_cache(
    api: ApiServer, sleeps: SleepRecorder, cache_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.route("/login", {"token": TOKEN})
    api.route("/v3/forecast", Reply({}, 500), moer(NOW, [700.0] * 4))
    api.route("/v3/historical", Reply({"message": f"token {TOKEN} lacks plan"}, 403))
    provider = WattTimeProvider(USER, PASSWORD, regions=REGIONS, base_url=api.url, sleep=sleeps,
                                clock=FakeClock(now=NOW),
                                cache=JsonCache(cache_dir, clock=FakeClock(now=NOW)))
    provider.forecast("US-CAL-CISO", NOW, NOW + timedelta(minutes=20))
    with pytest.raises(ProviderError) as err:
        provider.history("US-CAL-CISO", NOW - timedelta(hours=1), NOW)
    for secret in (PASSWORD, TOKEN):
        assert secret not in str(err.value) and secret not in caplog.text
        assert secret not in all_text(cache_dir)
    assert all_text(cache_dir)  # the forecast was cached
