from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from provider_testkit import ApiServer, Reply, SleepRecorder

from wattprint.config import load_settings
from wattprint.errors import ConfigError, ProviderError
from wattprint.intensity.providers.chain import (
    ProviderChain,
    ProviderFallbackWarning,
    probe_all,
    providers_from_settings,
)
from wattprint.intensity.providers.electricitymaps import ElectricityMapsProvider
from wattprint.intensity.providers.static import StaticProvider
from wattprint.intensity.providers.ukgrid import UkGridProvider
from wattprint.intensity.series import IntensitySeries
from wattprint.testing import FakeClock, FakeProvider

NOW = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)
TOKEN = "chain-token-55aa-SECRET"


def em(url: str, sleeps: SleepRecorder) -> ElectricityMapsProvider:
    return ElectricityMapsProvider(TOKEN, base_url=url, clock=FakeClock(now=NOW), sleep=sleeps)


def test_malformed_json_falls_back_with_one_warning(
    api: ApiServer, sleeps: SleepRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    api.route("/v3/carbon-intensity/forecast", Reply(b"{\"forecast\": [ truncated"))
    chain = ProviderChain([em(api.url, sleeps), StaticProvider()])
    with pytest.warns(ProviderFallbackWarning) as caught:
        for _ in range(3):
            series = chain.forecast("DE", NOW, NOW + timedelta(hours=6))
    assert len(caught) == 1
    assert str(caught[0].message) == ("intensity provider electricitymaps failed: electricitymaps: "
                                      "malformed JSON from /v3/carbon-intensity/forecast; "
                                      "using static instead")
    assert series.kind == "profile" and len(series) == 6
    assert [r.levelname for r in caplog.records if "failed" in r.getMessage()] == ["WARNING"]


def test_each_new_reason_warns_once(api: ApiServer, sleeps: SleepRecorder) -> None:
    api.route("/v3/carbon-intensity/latest", Reply({}, 401), Reply({"message": "no zone"}, 404))
    chain = ProviderChain([em(api.url, sleeps), StaticProvider()])
    with pytest.warns(ProviderFallbackWarning) as caught:
        chain.current("DE")
        chain.current("DE")
        chain.current("DE")
    assert len(caught) == 2
    assert "authentication failed (HTTP 401)" in str(caught[0].message)
    assert "HTTP 404" in str(caught[1].message)


def test_5xx_retried_then_fallback(api: ApiServer, sleeps: SleepRecorder) -> None:
    api.route("/v3/carbon-intensity/latest", Reply({}, 503))
    chain = ProviderChain([em(api.url, sleeps), StaticProvider()])
    with pytest.warns(ProviderFallbackWarning, match="HTTP 503"):
        value = chain.current("FR")
    assert value.resolution == "annual" and len(api.hits("/v3/carbon-intensity/latest")) == 3
    assert sleeps.waits == [0.5, 1.0]


def test_network_down_falls_back(closed_port_url: str, sleeps: SleepRecorder) -> None:
    down = UkGridProvider(base_url=closed_port_url, sleep=sleeps)
    chain = ProviderChain([down, StaticProvider()])
    with pytest.warns(ProviderFallbackWarning, match="cannot reach 127.0.0.1"):
        series = chain.history("GB", NOW - timedelta(hours=3), NOW)
    assert series.kind == "profile"


def test_zone_not_covered_falls_back_to_static(api: ApiServer, sleeps: SleepRecorder) -> None:
    chain = ProviderChain([UkGridProvider(base_url=api.url, sleep=sleeps), StaticProvider()])
    with pytest.warns(ProviderFallbackWarning, match="zone DE not covered"):
        assert chain.current("DE").zone == "DE"
    assert api.requests == []


def test_all_fail_is_one_provider_error() -> None:
    chain = ProviderChain([FakeProvider({}), FakeProvider({})])
    with pytest.warns(ProviderFallbackWarning), pytest.raises(ProviderError) as err:
        chain.current("DE")
    assert str(err.value).startswith("no provider could answer current for DE: fake: ")


def test_short_forecast_completed_by_next_provider() -> None:
    live = IntensitySeries.constant("DE", 100.0, NOW, NOW + timedelta(hours=2), kind="forecast",
                                    source="live")
    chain = ProviderChain([FakeProvider({"DE": live}), StaticProvider()])
    series = chain.forecast("DE", NOW, NOW + timedelta(hours=5))
    assert series.covers(NOW, NOW + timedelta(hours=5)) and series.missing == 0
    assert list(series.values_g_per_kwh[:2]) == [100.0, 100.0]
    assert np.all(series.values_g_per_kwh[2:] != 100.0)
    assert series.kind == "mixed" and "live" in series.source
    assert "Electricity Maps" in series.source


def test_probe_reports_each_provider() -> None:
    chain = ProviderChain([ElectricityMapsProvider(None), StaticProvider()])
    status = chain.probe()
    assert status.available and "electricitymaps: unavailable: no API token" in status.reason
    assert [s.name for s in chain.probes()] == ["electricitymaps", "static"]
    with pytest.raises(ConfigError):
        ProviderChain([])


def test_providers_from_settings(api: ApiServer, tmp_path: Path) -> None:
    env = {"WATTPRINT_PROVIDER": "electricitymaps", "WATTPRINT_ELECTRICITYMAPS_TOKEN": TOKEN,
           "WATTPRINT_ELECTRICITYMAPS_URL": api.url, "WATTPRINT_PROVIDER_CACHE_TTL_S": "60"}
    settings = load_settings(env=env, cwd=tmp_path, user_file=tmp_path / "none.toml")
    api.route("/v3/carbon-intensity/latest",
              {"zone": "DE", "carbonIntensity": 321, "datetime": "2024-05-01T12:00:00.000Z"})
    chain = providers_from_settings(settings, cache_dir=tmp_path / "cache")
    assert [p.name for p in chain.providers] == ["electricitymaps", "static"]
    assert chain.current("DE").g_per_kwh == 321
    assert chain.current("DE").g_per_kwh == 321
    assert len(api.requests) == 1  # second answer from the cache
    assert api.requests[0].headers["auth-token"] == TOKEN
    assert [p.name for p in providers_from_settings(settings, provider="none").providers] == [
        "static"]
    ukgrid = providers_from_settings(settings, provider="ukgrid")
    assert [p.name for p in ukgrid.providers] == ["ukgrid", "static"]
    chain.close()


def test_settings_validate_provider_keys_and_hide_secrets(tmp_path: Path) -> None:
    def load(env: dict[str, str]):  # type: ignore[no-untyped-def]
        return load_settings(env=env, cwd=tmp_path, user_file=tmp_path / "none.toml")

    with pytest.raises(ConfigError, match="invalid provider from WATTPRINT_PROVIDER"):
        load({"WATTPRINT_PROVIDER": "carbonfairy"})
    with pytest.raises(ConfigError, match="invalid ukgrid_url"):
        load({"WATTPRINT_UKGRID_URL": "ftp://x"})
    with pytest.raises(ConfigError, match="ZONE=REGION"):
        load({"WATTPRINT_WATTTIME_REGIONS": "US-CAL-CISO"})
    settings = load({"WATTPRINT_ELECTRICITYMAPS_TOKEN": TOKEN,
                     "WATTPRINT_WATTTIME_PASSWORD": "pw-SECRET",
                     "WATTPRINT_WATTTIME_REGIONS":
                         "US-CAL-CISO=CAISO_NORTH, US-TEX-ERCO=ERCOT_EASTTX"})
    assert settings.watttime_regions == {"US-CAL-CISO": "CAISO_NORTH",
                                         "US-TEX-ERCO": "ERCOT_EASTTX"}
    assert TOKEN not in repr(settings) and "pw-SECRET" not in repr(settings)
    assert settings.source_of("electricitymaps_token") == "env"
    project = tmp_path / "wattprint.toml"
    project.write_text('provider = "watttime"\n[watttime_regions]\n"US-CAL-CISO" = "CAISO_NORTH"\n')
    from_file = load({})
    assert from_file.provider == "watttime" and from_file.watttime_regions == {
        "US-CAL-CISO": "CAISO_NORTH"}


def test_probe_all_lists_every_provider(tmp_path: Path) -> None:
    settings = load_settings(env={"WATTPRINT_PROVIDER": "ukgrid"}, cwd=tmp_path,
                             user_file=tmp_path / "none.toml")
    found = {status.name: (status.available, in_chain) for status, in_chain in probe_all(settings)}
    assert found == {"electricitymaps": (False, False), "watttime": (False, False),
                     "ukgrid": (True, True), "static": (True, True)}


def test_warning_points_at_the_caller() -> None:
    chain = ProviderChain([FakeProvider({}), StaticProvider()])
    with pytest.warns(ProviderFallbackWarning) as caught:
        chain.current("DE")
        chain.forecast("FR", NOW, NOW + timedelta(hours=1))
    assert [Path(w.filename).name for w in caught] == ["test_provider_chain.py"] * 2
