from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

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


@pytest.fixture
def db(ledger_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("WATTPRINT_DB", ledger_url)
    return ledger_url


def _run(run_id: str, started: datetime, co2e_kg: float = 1.2, project: str = "vision") -> Run:
    """Two hours at 1 kW (2 kWh IT, PUE 1.5: 3 kWh) emitting ``co2e_kg``."""
    return Run(
        id=run_id, project=project, status=RunStatus.FINISHED, started_utc=started,
        ended_utc=started + timedelta(hours=2), duration_s=7200.0, host="node",
        footprint=Footprint({"gpu": 2.0}, 1.5, "given",
                            Intensity("DE", co2e_kg / 3.0 * 1000, "annual test", 2024)),
        zone_choice=ZoneChoice("DE", "argument"),
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
    assert main(["account", "run-a"]) == 0
    out = capfd.readouterr().out
    assert "location-hourly" in out and "annual-mean (fallback): no intensity series" in out
    assert "ghg-scope2-market" in out


def test_account_series_without_the_zone_falls_back_with_reason(
    db: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    _save(db, _run("run-a", JUL + timedelta(days=30)))
    assert main(["account", "run-a", "--series", str(_series(tmp_path)), "--json"]) == 0
    hourly = json.loads(capfd.readouterr().out)["figures"][1]
    assert hourly["method"] == "annual-mean (fallback)"
    assert "annual mean used" in hourly["inputs"]["fallback_reason"]


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
