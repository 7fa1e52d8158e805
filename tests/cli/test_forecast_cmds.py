from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from wattprint.cli.main import main

UTC = timezone.utc
T0 = datetime(2023, 3, 1, tzinfo=UTC)
SHARED = Path(__file__).parents[2] / ".." / "shared" / "data"
COLUMN = "carbon_intensity_lifecycle_g_per_kwh"


def _series_csv(path: Path, zones: dict[str, list[float]]) -> Path:
    lines = [f"timestamp,zone,{COLUMN}"]
    for zone, values in zones.items():
        for i, value in enumerate(values):
            stamp = (T0 + timedelta(hours=i)).isoformat().replace("+00:00", "Z")
            lines.append(f"{stamp},{zone},{value}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _daily(days: int) -> list[float]:
    hours = np.arange(24 * days)
    return (300 + 100 * np.sin(2 * np.pi * hours / 24) + 5 * (hours // 24 % 3)).tolist()


def test_forecast_eval_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _series_csv(tmp_path / "de.csv", {"DE": _daily(40)})
    assert main(["forecast-eval", "--series", str(path), "--column", COLUMN, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["zone"] == "DE" and data["horizon_s"] == 86400
    methods = [m["method"] for m in data["methods"]]
    assert methods == ["seasonal-naive", "seasonal-naive-weekly", "profile"]
    for m in data["methods"]:
        assert set(m) >= {"method", "mae_g_per_kwh", "mape_pct", "n_forecasts"}
        assert m["n_forecasts"] == 40 - 28


def test_forecast_eval_table_one_method(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    path = _series_csv(tmp_path / "de.csv", {"DE": _daily(35), "FR": _daily(35)})
    code = main(["forecast-eval", "--series", str(path), "--column", COLUMN, "--zone", "FR",
                 "--method", "seasonal-naive", "--horizon", "12h", "--every", "6h"])
    out = capsys.readouterr().out
    assert code == 0
    assert "FR, 12 h horizon" in out and "seasonal-naive" in out and "profile" not in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "several zones (DE, FR); choose one with --zone"),
        (["--zone", "GB"], "zone GB is not in the series files; zones present: DE, FR"),
        (["--zone", "DE", "--horizon", "soon"], "--horizon: expected a duration like 24h"),
        (["--zone", "DE", "--horizon", "60d"], "too short to backtest"),
    ],
)
def test_forecast_eval_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                              extra: list[str], message: str) -> None:
    path = _series_csv(tmp_path / "x.csv", {"DE": _daily(30), "FR": _daily(30)})
    assert main(["forecast-eval", "--series", str(path), "--column", COLUMN, *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_forecast_eval_wrong_column_names_the_one_present(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _series_csv(tmp_path / "x.csv", {"DE": _daily(30)})
    assert main(["forecast-eval", "--series", str(path)]) == 2
    assert f"pass --column {COLUMN}" in capsys.readouterr().err


def _jobs(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "jobs.csv"
    path.write_text("\n".join(["job_id,submit_utc,duration_h,energy_kwh,deadline_h,zone,"
                               "interruptible", *rows]) + "\n")
    return path


def test_backtest_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    series = _series_csv(tmp_path / "s.csv", {"A": [100, 5, 50, 10, 100, 100, 100, 100],
                                              "B": [40.0] * 8})
    jobs = _jobs(tmp_path, ["j1,2023-03-01T00:00:00Z,1,2,4,A,false",
                            "j2,2023-03-01T01:00:00Z,2,4,3,B,true"])
    code = main(["backtest", str(jobs), "--series", str(series), "--column", COLUMN,
                 "--zones", "A,B", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [j["job_id"] for j in data["jobs"]] == ["j1", "j2"]
    assert data["jobs"][0]["zone"] == "A" and data["jobs"][0]["both_co2e_kg"] == pytest.approx(0.01)
    total = data["total"]
    assert total["as_run_co2e_kg"] == pytest.approx(0.36)
    assert total["time_shift_co2e_kg"] == pytest.approx(0.17)
    assert total["region_shift_co2e_kg"] == pytest.approx(0.19)
    assert total["both_co2e_kg"] == pytest.approx(0.04)
    assert total["both_saving_pct"] == pytest.approx(88.889, abs=1e-3)


def test_backtest_table_defaults_to_every_zone(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    series = _series_csv(tmp_path / "s.csv", {"A": [100, 5, 50, 10, 100, 100, 100, 100],
                                              "B": [40.0] * 8})
    jobs = _jobs(tmp_path, ["j1,2023-03-01T00:00:00Z,1,2,4,,"])
    assert main(["backtest", str(jobs), "--series", str(series), "--column", COLUMN]) == 0
    out = capsys.readouterr().out
    assert "zones A, B" in out and "total" in out and "95.0 %" in out


@pytest.mark.parametrize(
    ("rows", "extra", "message"),
    [
        (["j1,2023-03-01T00:00:00Z,1,2,4,A,false"], ["--zones", "A,C"],
         "zone C is not in the series files; zones present: A"),
        (["j1,2023-03-01T00:00:00Z,1,2,4,C,false"], [],
         "zone C is not in the series files"),
        (["j1,2023-03-01T00:00:00Z,x,2,4,A,false"], [],
         "jobs.csv line 2, column duration_h: expected a number > 0, got 'x'"),
        (["j1,2023-03-05T00:00:00Z,1,2,4,A,false"], [],
         "jobs.csv line 2 (job j1): no intensity data for the home zone A"),
    ],
)
def test_backtest_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: list[str],
                         extra: list[str], message: str) -> None:
    series = _series_csv(tmp_path / "s.csv", {"A": [100.0] * 8})
    jobs = _jobs(tmp_path, rows)
    assert main(["backtest", str(jobs), "--series", str(series), "--column", COLUMN,
                 *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_backtest_missing_job_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    series = _series_csv(tmp_path / "s.csv", {"A": [100.0] * 8})
    assert main(["backtest", str(tmp_path / "none.csv"), "--series", str(series),
                 "--column", COLUMN]) == 2
    assert "none.csv: cannot read the job log" in capsys.readouterr().err


def test_forecast_eval_real_data(capsys: pytest.CaptureFixture[str]) -> None:
    path = SHARED / "carbon_intensity_GB_2023.csv"
    if not path.is_file():
        pytest.skip(f"shared data not found at {SHARED} (run inside the project workspace)")
    assert main(["forecast-eval", "--series", str(path), "--column", COLUMN, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["zone"] == "GB" and all(m["n_forecasts"] == 337 for m in data["methods"])
