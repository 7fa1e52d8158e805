from __future__ import annotations

import json
from pathlib import Path

import pytest
from provider_testkit import ApiServer, Reply

from wattprint.cli.main import main
from wattprint.intensity.zones import load_catalog

TOKEN = "cli-token-8e8e-SECRET"


@pytest.fixture(autouse=True)
def _cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-home"))
    monkeypatch.chdir(tmp_path)  # no project file of the repository


def test_intensity_static_provider_json(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["intensity", "DE", "--provider", "static", "--json"]) == 0
    data = json.loads(capfd.readouterr().out)
    assert data["zone"] == "DE" and data["resolution"] == "annual" and data["warnings"] == []
    assert data["g_per_kwh"] == load_catalog().intensity("DE").g_per_kwh


def test_intensity_live_from_configured_provider(
    api: ApiServer, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WATTPRINT_PROVIDER", "electricitymaps")
    monkeypatch.setenv("WATTPRINT_ELECTRICITYMAPS_TOKEN", TOKEN)
    monkeypatch.setenv("WATTPRINT_ELECTRICITYMAPS_URL", api.url)
    api.route("/v3/carbon-intensity/latest",
              {"zone": "DE", "carbonIntensity": 287, "datetime": "2024-05-01T12:00:00.000Z",
               "updatedAt": "2024-05-01T12:01:00.000Z", "isEstimated": False})
    assert main(["intensity", "DE", "--live", "--json"]) == 0
    out, err = capfd.readouterr()
    data = json.loads(out)
    assert data["g_per_kwh"] == 287 and data["resolution"] == "hourly" and data["warnings"] == []
    assert TOKEN not in out + err


def test_intensity_live_auth_failure_falls_back(
    api: ApiServer, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WATTPRINT_PROVIDER", "electricitymaps")
    monkeypatch.setenv("WATTPRINT_ELECTRICITYMAPS_TOKEN", TOKEN)
    monkeypatch.setenv("WATTPRINT_ELECTRICITYMAPS_URL", api.url)
    api.route("/v3/carbon-intensity/latest", Reply({"message": f"bad token {TOKEN}"}, 401))
    assert main(["intensity", "FR", "--live"]) == 0
    out, err = capfd.readouterr()
    assert "FR France" in out and "annual average" in out
    assert "warning: intensity provider electricitymaps failed" in err
    assert "authentication failed (HTTP 401)" in err and TOKEN not in out + err


def test_intensity_gb_region_from_ukgrid(
    api: ApiServer, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WATTPRINT_UKGRID_URL", api.url)
    api.route("/regional/regionid/13", {"data": [{
        "regionid": 13, "dnoregion": "UKPN London", "shortname": "London",
        "data": [{"from": "2024-05-01T12:00Z", "to": "2024-05-01T12:30Z",
                  "intensity": {"forecast": 151, "index": "moderate"}, "generationmix": []}]}]})
    assert main(["intensity", "GB-REGION-13", "--provider", "ukgrid", "--json"]) == 0
    data = json.loads(capfd.readouterr().out)
    assert data["zone"] == "GB-REGION-13" and data["g_per_kwh"] == 151
    assert data["name"] == "GB region London"


def test_cloud_region_asks_its_grid_zone(
    api: ApiServer, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WATTPRINT_ELECTRICITYMAPS_TOKEN", TOKEN)
    monkeypatch.setenv("WATTPRINT_ELECTRICITYMAPS_URL", api.url)
    api.route("/v3/carbon-intensity/latest",
              {"zone": "DE", "carbonIntensity": 301, "datetime": "2024-05-01T12:00:00.000Z"})
    assert main(["intensity", "aws:eu-central-1", "--provider", "electricitymaps", "--json"]) == 0
    data = json.loads(capfd.readouterr().out)
    assert data["zone"] == "DE" and data["g_per_kwh"] == 301 and data["name"].endswith("→ DE")
    assert api.requests[0].query == {"zone": "DE"}


def test_unknown_zone_still_an_error(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["intensity", "Germny", "--provider", "static"]) == 2
    assert "unknown zone 'Germny'" in capfd.readouterr().err


def test_doctor_lists_providers(monkeypatch: pytest.MonkeyPatch,
                                capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("WATTPRINT_ELECTRICITYMAPS_TOKEN", TOKEN)
    assert main(["doctor", "--json"]) == 0
    out = capfd.readouterr().out
    providers = {p["provider"]: p for p in json.loads(out)["providers"]}
    assert set(providers) == {"electricitymaps", "watttime", "ukgrid", "static"}
    assert providers["electricitymaps"]["available"] and not providers["watttime"]["available"]
    assert "WATTPRINT_WATTTIME_USERNAME" in providers["watttime"]["fix"]
    assert providers["static"]["in_chain"] and TOKEN not in out
    assert main(["doctor"]) == 0
    assert "intensity providers" in capfd.readouterr().out
