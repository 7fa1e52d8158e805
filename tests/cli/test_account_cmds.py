from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from wattprint.cli.main import main
from wattprint.model import (
    CarbonAwareRecord,
    Device,
    DeviceEnergy,
    DeviceKind,
    Footprint,
    Intensity,
    Method,
    Run,
    RunStatus,
    TracePoint,
    ZoneChoice,
)
from wattprint.store.ledger import Ledger

JUL = datetime(2026, 7, 10, 0, 30, tzinfo=timezone.utc)
GPU = Device("gpu:0", DeviceKind.GPU, 0, "NVIDIA H100", Method.COUNTER, "nvml")
TOKEN = "account-token-5f5f-SECRET"


def _testkit() -> ModuleType:
    """The provider tests' local API server (tests/intensity/providers/provider_testkit.py)."""
    if "provider_testkit" not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "intensity" / "providers" / (
            "provider_testkit.py")
        spec = importlib.util.spec_from_file_location("provider_testkit", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["provider_testkit"] = module
        spec.loader.exec_module(module)
    return sys.modules["provider_testkit"]


@pytest.fixture(autouse=True)
def _no_project_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-home"))
    monkeypatch.chdir(tmp_path)  # no project file of the repository


@pytest.fixture
def api() -> Iterator[Any]:
    server = _testkit().ApiServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def electricitymaps(api: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Electricity Maps configured by env, answering from the local server."""
    monkeypatch.setenv("WATTPRINT_PROVIDER", "electricitymaps")
    monkeypatch.setenv("WATTPRINT_ELECTRICITYMAPS_TOKEN", TOKEN)
    monkeypatch.setenv("WATTPRINT_ELECTRICITYMAPS_URL", api.url)
    return api


def _em_hours(start: datetime, values: list[float]) -> dict[str, Any]:
    """An Electricity Maps v3 /past-range (or /history) answer of hourly points."""
    points = [{"zone": "DE", "carbonIntensity": v,
               "datetime": (start + timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
               "updatedAt": "2026-07-11T00:00:00.000Z", "emissionFactorType": "lifecycle",
               "isEstimated": False} for i, v in enumerate(values)]
    return {"zone": "DE", "data": points, "history": points}


@pytest.fixture
def db(ledger_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("WATTPRINT_DB", ledger_url)
    return ledger_url


def _run(run_id: str, started: datetime, co2e_kg: float = 1.2, project: str = "vision",
         zone: str = "DE") -> Run:
    """Two hours at 1 kW (2 kWh IT, PUE 1.5: 3 kWh) emitting ``co2e_kg``."""
    return Run(
        id=run_id, project=project, status=RunStatus.FINISHED, started_utc=started,
        ended_utc=started + timedelta(hours=2), duration_s=7200.0, host="node",
        footprint=Footprint({"gpu": 2.0}, 1.5, "given",
                            Intensity(zone, co2e_kg / 3.0 * 1000, "annual test", 2024)),
        zone_choice=ZoneChoice(zone, "argument"),
        devices=(DeviceEnergy(GPU, 2.0 * 3.6e6),),
        trace=tuple(TracePoint("gpu:0", float(t), 1000.0) for t in range(0, 7201, 900)),
    )


def _save(url: str, *runs: Run) -> None:
    with Ledger(url) as ledger:
        for run in runs:
            ledger.save_run(run)


def _series(tmp_path: Path) -> Path:
    path = tmp_path / "de.csv"
    path.write_text("timestamp,zone,carbon_intensity_g_per_kwh\n"
                    "2026-07-10T00:00:00Z,DE,100\n2026-07-10T01:00:00Z,DE,200\n"
                    "2026-07-10T02:00:00Z,DE,300\n")
    return path


def _error(capfd: pytest.CaptureFixture[str]) -> str:
    return capfd.readouterr().err.strip()


def test_account_run_stores_every_figure_with_method(
    db: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    _save(db, _run("run-a", JUL))
    assert main(["instrument", "add", "--zone", "DE", "--type", "go", "--from", "2026-01-01",
                 "--to", "2026-12-31", "--share", "50%", "--certificate", "GO-1"]) == 0
    capfd.readouterr()
    assert main(["account", "run-a", "--series", str(_series(tmp_path)), "--json"]) == 0
    data = json.loads(capfd.readouterr().out)
    figures = {f["kind"]: f for f in data["figures"]}
    assert list(figures) == ["location", "location-hourly", "market", "embodied", "water"]
    assert figures["location"]["value"] == pytest.approx(1.2)
    hourly = figures["location-hourly"]
    assert hourly["method"] == "hourly" and hourly["value"] == pytest.approx(3.0 * 200 / 1000)
    assert hourly["inputs"]["series_step_s"] == 3600 and hourly["inputs"]["coverage"] == 1.0
    market = figures["market"]
    assert market["value"] == pytest.approx(1.5 * 701.47 / 1000)
    assert market["inputs"]["instruments"][0]["certificate"] == "GO-1"
    assert figures["water"]["unit"] == "L" and figures["embodied"]["unit"] == "kg CO2e"
    for fig in data["figures"]:
        assert fig["computed_utc"] and fig["method"] and fig["inputs"]
    with Ledger(db) as ledger:
        stored = ledger.accounting(["run-a"])["run-a"]
    assert stored["location-hourly"].value == pytest.approx(hourly["value"])
    # The text form prints each figure with its method.
    assert main(["account", "run-a", "--series", str(_series(tmp_path))]) == 0
    out = capfd.readouterr().out
    assert "location-hourly" in out and "hourly: 3 intervals of 3600 s" in out
    assert "ghg-scope2-market" in out


def test_account_series_without_the_zone_falls_back_with_reason(
    db: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    _save(db, _run("run-a", JUL + timedelta(days=30)))
    assert main(["account", "run-a", "--series", str(_series(tmp_path)), "--json"]) == 0
    hourly = json.loads(capfd.readouterr().out)["figures"][1]
    assert hourly["method"] == "annual-mean (fallback)"
    assert "annual mean used" in hourly["inputs"]["fallback_reason"]


def _hourly(capfd: pytest.CaptureFixture[str], run_id: str = "run-a") -> dict[str, Any]:
    """``wattprint account RUN --json``'s location-hourly figure."""
    assert main(["account", run_id, "--json"]) == 0
    figures = {f["kind"]: f for f in json.loads(capfd.readouterr().out)["figures"]}
    return figures["location-hourly"]  # type: ignore[no-any-return]


def test_without_series_the_static_profile_is_stored_as_typical_not_hourly(
    db: str, capfd: pytest.CaptureFixture[str]
) -> None:
    from wattprint.intensity.providers.static import load_profiles

    _save(db, _run("run-a", JUL))
    hourly = _hourly(capfd)
    assert hourly["method"] == "typical-profile"
    inputs = hourly["inputs"]
    assert inputs["series_provider"] == "provider chain: static"
    assert inputs["series_kind"] == "profile" and inputs["provider_warnings"] == []
    assert "typical hourly profile" in inputs["not_hourly_reason"]
    assert "Electricity Maps 2023-2024" in inputs["series_source"]
    july = load_profiles()["DE"].values_g_per_kwh[6]  # 00:30-02:30 UTC: ¼, ½, ¼ of the energy
    expected = 0.25 * july[0] + 0.5 * july[1] + 0.25 * july[2]
    assert inputs["energy_weighted_intensity_g_per_kwh"] == pytest.approx(expected)
    assert hourly["value"] == pytest.approx(3.0 * expected / 1000)
    # The period summary does not count it as hourly: the annual mean is used.
    assert main(["account", "--period", "2026Q3", "--json"]) == 0
    acc = json.loads(capfd.readouterr().out)["accounting"]
    assert acc["location_basis_runs"] == {"hourly": 0, "location": 1, "not_accounted": 0}
    assert acc["gross_location_co2e_kg"] == pytest.approx(1.2)
    assert main(["account", "run-a"]) == 0
    assert "typical-profile: 3 intervals of 3600 s" in capfd.readouterr().out


def test_static_zone_without_profile_falls_back_to_the_annual_mean(
    db: str, capfd: pytest.CaptureFixture[str]
) -> None:
    _save(db, _run("run-a", JUL, zone="SE"))
    hourly = _hourly(capfd)
    assert hourly["method"] == "annual-mean (fallback)" and hourly["value"] == pytest.approx(1.2)
    assert hourly["inputs"]["series_kind"] == "static"
    assert hourly["inputs"]["fallback_reason"].startswith(
        "only a flat annual average is available for SE")


def test_hourly_from_the_configured_live_provider(
    db: str, electricitymaps: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    answer = _em_hours(JUL.replace(minute=0), [100.0, 200.0, 300.0])
    electricitymaps.route("/v3/carbon-intensity/past-range", answer)
    electricitymaps.route("/v3/carbon-intensity/history", answer)
    _save(db, _run("run-a", JUL))
    assert main(["account", "run-a", "--json"]) == 0
    out, err = capfd.readouterr()
    hourly = json.loads(out)["figures"][1]
    assert hourly["method"] == "hourly" and hourly["value"] == pytest.approx(3.0 * 200 / 1000)
    inputs = hourly["inputs"]
    assert inputs["series_provider"] == "provider chain: electricitymaps, static"
    assert inputs["series_source"] == "Electricity Maps API (actual, hourly)"
    assert inputs["series_kind"] == "actual" and inputs["coverage"] == 1.0
    assert "not_hourly_reason" not in inputs and inputs["provider_warnings"] == []
    (seen,) = electricitymaps.requests
    assert seen.query["zone"] == "DE" and seen.headers["auth-token"] == TOKEN
    assert TOKEN not in out + err
    with Ledger(db) as ledger:
        stored = ledger.accounting(["run-a"])["run-a"]["location-hourly"]
    assert stored.method == "hourly" and stored.inputs["series_kind"] == "actual"


def test_short_live_history_completed_by_the_profile_is_not_hourly(
    db: str, electricitymaps: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    answer = _em_hours(JUL.replace(minute=0), [100.0, 200.0])  # nothing for 02:00-02:30
    electricitymaps.route("/v3/carbon-intensity/past-range", answer)
    electricitymaps.route("/v3/carbon-intensity/history", answer)
    _save(db, _run("run-a", JUL))
    hourly = _hourly(capfd)
    assert hourly["method"] == "hourly-partial" and hourly["inputs"]["series_kind"] == "mixed"
    assert "completed by typical or annual values" in hourly["inputs"]["not_hourly_reason"]


def test_live_provider_failure_is_warned_and_stored(
    db: str, electricitymaps: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    reply = _testkit().Reply({"message": f"bad token {TOKEN}"}, status=401)
    electricitymaps.route("/v3/carbon-intensity/past-range", reply)
    electricitymaps.route("/v3/carbon-intensity/history", reply)
    _save(db, _run("run-a", JUL))
    assert main(["account", "run-a", "--json"]) == 0
    out, err = capfd.readouterr()
    hourly = json.loads(out)["figures"][1]
    assert hourly["method"] == "typical-profile"  # the chain's static answer, said so
    (warning,) = hourly["inputs"]["provider_warnings"]
    assert "intensity provider electricitymaps failed" in warning
    assert "authentication failed (HTTP 401)" in warning
    assert "warning: intensity provider electricitymaps failed" in err
    assert TOKEN not in out + err


def test_no_answer_from_any_provider_is_the_annual_mean_with_the_reason(
    db: str, capfd: pytest.CaptureFixture[str]
) -> None:
    _save(db, _run("run-x", JUL, zone="XX-NOWHERE"))  # a zone no provider knows
    hourly = _hourly(capfd, "run-x")
    assert hourly["method"] == "annual-mean (fallback)" and hourly["value"] == pytest.approx(1.2)
    reason = hourly["inputs"]["fallback_reason"]
    assert reason.startswith("provider chain: static gave no history of XX-NOWHERE")
    assert reason.endswith(": annual mean used")


def test_cloud_region_asks_the_provider_for_its_grid_zone(
    db: str, electricitymaps: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    answer = _em_hours(JUL.replace(minute=0), [100.0, 200.0, 300.0])
    electricitymaps.route("/v3/carbon-intensity/past-range", answer)
    electricitymaps.route("/v3/carbon-intensity/history", answer)
    _save(db, _run("run-a", JUL, zone="aws:eu-central-1"))
    assert main(["account", "run-a", "--json"]) == 0
    figures = {f["kind"]: f for f in json.loads(capfd.readouterr().out)["figures"]}
    hourly = figures["location-hourly"]
    assert hourly["method"] == "hourly" and hourly["inputs"]["series_asked_zone"] == "DE"
    assert "note" not in hourly["inputs"]  # DE is the region's own grid zone
    assert electricitymaps.requests[0].query["zone"] == "DE"
    water = figures["water"]["inputs"]
    assert water["wue_l_per_kwh"] == 0.18
    assert water["wue_source"].startswith("aws fleet WUE: UNVERIFIED")


def test_account_period_reduce_shift_offset(
    db: str, capfd: pytest.CaptureFixture[str]
) -> None:
    _save(db, _run("run-a", JUL, 10.0), _run("run-b", JUL + timedelta(days=1), 5.0),
          _run("run-c", JUL + timedelta(days=1), 7.0, project="nlp"),
          _run("run-old", JUL - timedelta(days=60), 99.0))
    with Ledger(db) as ledger:
        ledger.save_carbon_aware(CarbonAwareRecord(
            "run-b", "DE", JUL, JUL + timedelta(hours=2), 50.0, 50.0, 5.0, 8.0, "window",
            "flexible", 3600.0, "file"))
    assert main(["account", "run-a"]) == 0
    assert main(["offset", "add", "--tonnes", "0.004", "--registry", "Gold Standard",
                 "--serial", "GS-1", "--vintage", "2026", "--project", "vision",
                 "--retired-on", "2026-09-01"]) == 0
    capfd.readouterr()
    assert main(["account", "--period", "2026Q3", "--project", "vision", "--json"]) == 0
    data = json.loads(capfd.readouterr().out)
    acc, summary = data["accounting"], data["summary"]
    assert acc["runs"] == 2 and acc["gross_location_co2e_kg"] == pytest.approx(15.0)
    assert acc["location_basis_runs"] == {"hourly": 0, "location": 1, "not_accounted": 1}
    assert acc["runs_without"]["market"] == 1
    assert list(summary)[2:6] == ["gross_co2e_kg", "avoided_by_shifting_co2e_kg",
                                  "offset_co2e_kg", "net_co2e_kg"]
    assert summary["avoided_by_shifting_co2e_kg"] == pytest.approx(3.0)
    assert summary["offset_co2e_kg"] == pytest.approx(4.0)
    assert summary["net_co2e_kg"] == pytest.approx(11.0)
    assert main(["account", "--period", "2026Q3"]) == 0
    out = capfd.readouterr().out
    lines = [line.split()[0] for line in out.splitlines() if line.startswith("  ")]
    order = [w for w in lines if w in ("gross", "avoided", "offset", "net")]
    assert order == ["gross", "avoided", "offset", "net"]


def test_target_set_and_show(db: str, capfd: pytest.CaptureFixture[str]) -> None:
    _save(db, *[_run(f"r{m}", datetime(2026, m, 10, tzinfo=timezone.utc), 100.0 - 10 * m)
                for m in range(1, 6)])
    assert main(["target", "set", "--baseline", "2026Q1", "--reduce", "30%", "--by",
                 "2026-06-30", "--project", "vision"]) == 0
    assert "down 30 % from 2026Q1" in capfd.readouterr().out
    assert main(["target", "show", "--as-of", "2026-06-01", "--json"]) == 0
    data = json.loads(capfd.readouterr().out)
    (t,) = data["targets"]
    assert t["baseline_value"] == pytest.approx(90 + 80 + 70)
    assert t["required_value"] == pytest.approx(240 * 0.7)
    for key in ("current_period", "current_value", "progress_pct", "projected_value",
                "on_track", "monthly", "notes", "metric", "project", "by"):
        assert key in t
    assert main(["target", "show", "--as-of", "2026-06-01"]) == 0
    assert "projected" in capfd.readouterr().out


def test_instrument_list(db: str, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["instrument", "add", "--zone", "de", "--type", "supplier", "--from",
                 "2026-01-01", "--to", "2026-12-31", "--share", "100%", "--factor", "320",
                 "--supplier", "Stadtwerke"]) == 0
    capfd.readouterr()
    assert main(["instrument", "list", "--json"]) == 0
    (inst,) = json.loads(capfd.readouterr().out)["instruments"]
    assert inst["zone"] == "DE" and inst["share"] == 1.0 and inst["factor_g_per_kwh"] == 320.0
    assert inst["start_date"] == "2026-01-01"


def test_offset_list(db: str, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["offset", "add", "--tonnes", "5", "--registry", "Verra", "--serial", "V-1",
                 "--vintage", "2025"]) == 0
    capfd.readouterr()
    assert main(["offset", "list", "--json"]) == 0
    data = json.loads(capfd.readouterr().out)
    assert data["total_t"] == 5.0 and data["offsets"][0]["retired_on"] is None


INSTRUMENT = ["instrument", "add", "--zone", "DE", "--type", "supplier", "--from", "2026-01-01",
              "--to", "2026-12-31", "--share", "100%", "--factor", "300"]


@pytest.mark.parametrize(("setup", "argv", "message"), [
    ([INSTRUMENT], INSTRUMENT[:7] + ["2026-06-01"] + INSTRUMENT[8:],
     "overlapping instruments: supplier 100 % for DE 2026-06-01..2026-12-31 would bring DE "
     "to 200 % covered"),
    ([], ["offset", "add", "--tonnes", "5", "--registry", "Gold Standard", "--vintage", "2026"],
     "an offset needs its --serial"),
    ([], ["offset", "add", "--tonnes", "5", "--serial", "GS-1", "--vintage", "2026"],
     "an offset needs its --registry"),
    ([], ["offset", "add", "--tonnes", "-5", "--registry", "GS", "--serial", "GS-1",
          "--vintage", "2026"], "invalid --tonnes -5: must be > 0 t CO2e"),
    ([], ["target", "set", "--baseline", "2025Q1", "--reduce", "30%", "--by", "2026-06-30"],
     "target baseline 2025Q1 has no runs for any project"),
    ([], ["target", "set", "--baseline", "2026Q1", "--reduce", "100%", "--by", "2026-06-30"],
     "invalid --reduce '100%': must be between 0 and 100 %"),
    ([], ["target", "set", "--baseline", "2026Q1", "--reduce", "0", "--by", "2026-06-30"],
     "invalid --reduce '0'"),
    ([], ["target", "set", "--baseline", "2026Q5", "--reduce", "30%", "--by", "2026-06-30"],
     "invalid --baseline '2026Q5'"),
    ([], ["account", "--period", "2026Q5"], "invalid --period '2026Q5': expected a year"),
    ([], ["account"], "give a RUN_ID or --period"),
    ([], ["instrument", "add", "--zone", "DE", "--type", "go", "--from", "2026-01-01", "--to",
          "2026-12-31"], "give exactly one of --mwh"),
])
def test_bad_input_exits_2_with_a_clear_message(
    db: str, capfd: pytest.CaptureFixture[str], setup: list[list[str]], argv: list[str],
    message: str,
) -> None:
    _save(db, _run("run-q1", datetime(2026, 2, 1, tzinfo=timezone.utc)))
    for cmd in setup:
        assert main(cmd) == 0
    capfd.readouterr()
    assert main(argv) == 2
    assert message in _error(capfd)


def test_duplicate_offset_serial_exits_2(db: str, capfd: pytest.CaptureFixture[str]) -> None:
    argv = ["offset", "add", "--tonnes", "1", "--registry", "GS", "--serial", "S", "--vintage",
            "2026"]
    assert main(argv) == 0
    assert main(argv) == 2
    assert "already in the register" in _error(capfd)
