from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from wattprint.cli.main import main
from wattprint.model import CarbonAwareRecord, Footprint, Intensity, Run, RunStatus, ZoneChoice
from wattprint.store.ledger import Ledger

NOV = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def db(ledger_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("WATTPRINT_DB", ledger_url)
    return ledger_url


def _run(run_id: str, project: str, started: datetime, co2e_kg: float) -> Run:
    """A finished run whose stored co2e_kg is ``co2e_kg`` (1 kWh at co2e_kg*1000 g/kWh)."""
    return Run(
        id=run_id, project=project, status=RunStatus.FINISHED, started_utc=started,
        ended_utc=started + timedelta(hours=1), duration_s=3600.0, host="node",
        footprint=Footprint({"gpu": 1.0}, 1.0, "given", Intensity("DE", co2e_kg * 1000, "test")),
        zone_choice=ZoneChoice("DE", "argument"),
    )


def _save(url: str, *runs: Run) -> None:
    with Ledger(url) as ledger:
        for run in runs:
            ledger.save_run(run)


def test_set_then_show_json(db: str, capfd: pytest.CaptureFixture[str]) -> None:
    _save(db, _run("a", "vision", NOV, 30.0), _run("b", "vision", NOV + timedelta(days=1), 11.2),
          _run("c", "vision", NOV - timedelta(days=5), 99.0), _run("d", "nlp", NOV, 1.0))
    assert main(["budget", "set", "vision", "50"]) == 0
    assert capfd.readouterr().out == "budget of vision: 50 kg CO2e every month\n"
    assert main(["budget", "set", "nlp", "2.5kg", "--month", "2026-11"]) == 0
    assert capfd.readouterr().out == "budget of nlp: 2.5 kg CO2e in 2026-11\n"
    assert main(["budget", "show", "--month", "2026-11", "--json"]) == 0
    data = json.loads(capfd.readouterr().out)
    assert data["month"] == "2026-11"
    assert [b["project"] for b in data["budgets"]] == ["nlp", "vision"]
    vision = data["budgets"][1]
    assert vision["limit_co2e_kg"] == 50.0 and vision["budget_month"] == "*"
    assert vision["spent_co2e_kg"] == pytest.approx(41.2)
    assert vision["remaining_co2e_kg"] == pytest.approx(8.8)
    assert vision["used_pct"] == pytest.approx(82.4) and vision["overruns"] == 0
    for key in ("project", "month", "limit_co2e_kg", "spent_co2e_kg", "remaining_co2e_kg",
                "used_pct", "overruns"):
        assert key in vision
    # October: only vision's every-month budget applies.
    assert main(["budget", "show", "--month", "2026-10", "--json"]) == 0
    october = json.loads(capfd.readouterr().out)["budgets"]
    assert [(b["project"], b["spent_co2e_kg"]) for b in october] == [("vision", 99.0)]


def test_show_table_and_project_filter(db: str, capfd: pytest.CaptureFixture[str]) -> None:
    _save(db, _run("a", "vision", NOV, 41.2))
    main(["budget", "set", "vision", "50"])
    capfd.readouterr()
    assert main(["budget", "show", "--month", "2026-11"]) == 0
    out = capfd.readouterr().out
    for text in ("vision", "monthly", "50.00 kg", "41.20 kg", "8.80 kg", "82.4 %", "█"):
        assert text in out
    assert main(["budget", "show", "--project", "nobody", "--month", "2026-11", "--json"]) == 0
    [unset] = json.loads(capfd.readouterr().out)["budgets"]
    assert unset["project"] == "nobody" and unset["limit_co2e_kg"] is None


def test_show_without_budgets(db: str, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["budget", "show", "--month", "2026-11"]) == 0
    assert "no carbon budgets apply in 2026-11" in capfd.readouterr().err
    assert main(["budget", "show", "--json"]) == 0
    assert json.loads(capfd.readouterr().out)["budgets"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["budget", "set", "vision", "-5"],
         "wattprint: error: invalid budget -5 kg CO2e: must be a number >= 0\n"),
        (["budget", "set", "vision", "lots"],
         "wattprint: error: invalid budget 'lots': expected kg CO2e, like 50 or 12.5kg\n"),
        (["budget", "set", "vision", "5", "--month", "2026-13"],
         "wattprint: error: invalid --month '2026-13': expected YYYY-MM, e.g. 2026-11\n"),
        (["budget", "show", "--month", "November"],
         "wattprint: error: invalid --month 'November': expected YYYY-MM, e.g. 2026-11\n"),
        (["budget", "show", "--month", "*"],
         "wattprint: error: invalid --month '*': budget show needs one month, e.g. 2026-11\n"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    db: str, capfd: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(args) == 2
    assert capfd.readouterr().err == message
    with Ledger(db) as ledger:
        assert ledger.budgets() == []


def test_show_run_prints_carbon_aware_record(db: str, capfd: pytest.CaptureFixture[str]) -> None:
    _save(db, _run("run-ca-1", "vision", NOV, 0.5), _run("run-plain", "vision", NOV, 0.5))
    record = CarbonAwareRecord(
        run_id="run-ca-1", planned_zone="FR", planned_start_utc=NOV,
        planned_end_utc=NOV + timedelta(hours=4), planned_intensity_g_per_kwh=31.5,
        achieved_intensity_g_per_kwh=35.0, expected_co2e_kg=0.378, baseline_co2e_kg=4.2,
        mode="window", tier="standard", waited_s=7200.0, intensity_source="file: fr.csv")
    with Ledger(db) as ledger:
        ledger.save_carbon_aware(record)
    assert main(["show", "run-ca", "--json"]) == 0
    data = json.loads(capfd.readouterr().out)
    assert data["id"] == "run-ca-1"
    assert data["carbon_aware"]["planned_zone"] == "FR"
    assert data["carbon_aware"]["achieved_intensity_g_per_kwh"] == 35.0
    assert data["carbon_aware"]["planned_start_utc"] == "2026-11-02T08:00:00Z"
    assert main(["show", "run-ca"]) == 0
    out = capfd.readouterr().out
    for text in ("planned vs achieved", "planned 31.5 g/kWh", "achieved 35.0 g/kWh", "(+3.5)",
                 "window, tier standard, zone FR", "2:00:00"):
        assert text in out
    assert main(["show", "run-plain", "--json"]) == 0
    assert json.loads(capfd.readouterr().out)["carbon_aware"] is None
    assert main(["show", "run-plain"]) == 0
    assert "planned vs achieved" not in capfd.readouterr().out
