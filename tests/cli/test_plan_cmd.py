from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from wattprint.cli.main import main

PY = sys.executable
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
LIFECYCLE = "carbon_intensity_lifecycle_g_per_kwh"


def write_series(path: Path, rows: list[tuple[datetime, str, float]]) -> Path:
    lines = ["timestamp,zone,carbon_intensity_g_per_kwh"]
    lines += [f"{t.isoformat().replace('+00:00', 'Z')},{z},{v}" for t, z, v in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def db(ledger_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("WATTPRINT_DB", ledger_url)
    return ledger_url


@pytest.fixture
def small_series(tmp_path: Path) -> Path:
    t0 = datetime(2023, 3, 1, tzinfo=timezone.utc)
    de = [500, 450, 400, 120, 100, 300, 500, 500]
    fr = [90, 80, 70, 60, 60, 70, 80, 90]
    rows = [(t0 + timedelta(hours=i), "DE", v) for i, v in enumerate(de)]
    rows += [(t0 + timedelta(hours=i), "FR", v) for i, v in enumerate(fr)]
    return write_series(tmp_path / "series.csv", rows)


def plan_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:  # type: ignore[type-arg]
    assert main(["plan", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_plan_json_keys_and_values(small_series: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = plan_json(capsys, "--duration", "2h", "--deadline", "8h", "--zones", "DE",
                     "--energy", "10kWh", "--series", str(small_series),
                     "--now", "2023-03-01T00:00Z")
    assert data["zone"] == "DE"
    assert data["start"] == "2023-03-01T03:00:00Z" and data["end"] == "2023-03-01T05:00:00Z"
    assert data["expected_co2e_kg"] == pytest.approx(10 * 110 / 1000)
    assert data["baseline_co2e_kg"] == pytest.approx(10 * 475 / 1000)
    assert data["saving_pct"] == pytest.approx(100 * (475 - 110) / 475, abs=1e-3)
    assert data["series"]["DE"]["kind"] == "forecast"


def test_plan_across_zones_with_home_and_power(small_series: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    data = plan_json(capsys, "--duration", "1h", "--deadline", "8h", "--zones", "DE,FR",
                     "--power", "2kW", "--series", str(small_series), "--now",
                     "2023-03-01T00:00Z")
    assert data["zone"] == "FR" and data["baseline_zone"] == "DE"
    assert data["expected_co2e_kg"] == pytest.approx(2 * 60 / 1000)
    data = plan_json(capsys, "--duration", "1h", "--deadline", "8h", "--zones", "DE,FR",
                     "--home", "FR", "--energy", "1kWh", "--series", str(small_series),
                     "--now", "2023-03-01T00:00Z")
    assert data["baseline_zone"] == "FR"
    assert data["baseline_co2e_kg"] == pytest.approx(0.09)


def test_plan_interruptible_gives_slots(small_series: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    data = plan_json(capsys, "--duration", "2h", "--deadline", "8h", "--zones", "DE",
                     "--energy", "1kWh", "--interruptible", "--series", str(small_series),
                     "--now", "2023-03-01T00:00Z")
    assert data["mode"] == "slots"
    assert [s["start"] for s in data["slots"]] == ["2023-03-01T03:00:00Z"]
    assert data["expected_co2e_kg"] == pytest.approx(0.11)


def test_plan_table_output(small_series: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--duration", "2h", "--deadline", "8h", "--zones", "DE,FR",
                 "--energy", "10kWh", "--series", str(small_series),
                 "--now", "2023-03-01T00:00Z"]) == 0
    out = capsys.readouterr().out
    assert "saving" in out and "baseline" in out and "FR" in out
    assert any(block in out for block in "▁▂▃▄▅▆▇█")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--duration", "4h", "--deadline", "2h"], "leaves 2 h"),
        (["--duration", "4 hours", "--deadline", "8h"], "--duration: expected a duration"),
        (["--duration", "1h", "--deadline", "8h", "--energy", "12 bananas"],
         "unknown energy unit"),
        (["--duration", "1h", "--deadline", "8h", "--power", "1kW"],
         "give either --energy or --power, not both"),
        (["--duration", "1h", "--deadline", "8h", "--now", "yesterday"],
         "--now: expected a date"),
        (["--duration", "1h", "--deadline", "tomorrow"],
         "--deadline: expected a duration like 24h or an ISO time"),
    ],
)
def test_plan_bad_input(small_series: Path, capsys: pytest.CaptureFixture[str],
                        args: list[str], message: str) -> None:
    base = ["plan", "--zones", "DE", "--series", str(small_series),
            "--now", "2023-03-01T00:00Z", "--energy", "1kWh"]
    code = main([*base, *args])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.count("\n") == 1


def test_plan_deadline_as_iso_date_or_instant(small_series: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    for deadline in ("2023-03-01T06:00Z", "2023-03-01T06:00:00+00:00"):
        data = plan_json(capsys, "--duration", "2h", "--deadline", deadline, "--zones", "DE",
                         "--energy", "1kWh", "--series", str(small_series),
                         "--now", "2023-03-01T00:00Z")
        assert data["end"] <= "2023-03-01T06:00:00Z"
    data = plan_json(capsys, "--duration", "2h", "--deadline", "2023-03-02", "--zones", "DE",
                     "--energy", "1kWh", "--series", str(small_series),
                     "--now", "2023-03-01T00:00Z")
    assert data["start"] == "2023-03-01T03:00:00Z"


def test_plan_unknown_zone_without_series(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--duration", "1h", "--deadline", "8h", "--zones", "Germanyy",
                 "--energy", "1kWh"]) == 2
    assert "unknown zone 'Germanyy'" in capsys.readouterr().err


def test_plan_zone_missing_from_series_is_noted(small_series: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    data = plan_json(capsys, "--duration", "1h", "--deadline", "8h", "--zones", "DE,GB",
                     "--energy", "1kWh", "--series", str(small_series),
                     "--now", "2023-03-01T00:00Z")
    assert data["zone"] == "DE"
    assert any("GB" in note for note in data["notes"])


def test_plan_offline_uses_embedded_data(capsys: pytest.CaptureFixture[str]) -> None:
    data = plan_json(capsys, "--duration", "4h", "--deadline", "24h", "--zones", "DE,FR,GB",
                     "--energy", "12kWh")
    assert data["zone"] in {"DE", "FR", "GB"}
    assert data["expected_co2e_kg"] <= data["baseline_co2e_kg"]
    assert data["series"]["FR"]["kind"] in {"profile", "static"}


@pytest.mark.skipif(not (SHARED / "carbon_intensity_DE_2023.csv").exists(),
                    reason="../shared/data not present")
@pytest.mark.parametrize("method", ["seasonal-naive", "profile"])
def test_plan_with_forecaster_uses_only_history(method: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    data = plan_json(capsys, "--duration", "4h", "--deadline", "24h", "--zones", "DE",
                     "--energy", "12kWh", "--series", str(SHARED / "carbon_intensity_DE_2023.csv"),
                     "--column", LIFECYCLE, "--now", "2023-03-01T00:00Z", "--forecast", method)
    assert data["series"]["DE"]["kind"] == "forecast"
    assert data["start"] >= "2023-03-01T00:00:00Z"


def test_run_when_green_waits_runs_and_records(db: str, tmp_path: Path,
                                               capfd: pytest.CaptureFixture[str]) -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    rows = [(now + timedelta(seconds=s), "FR", 500.0 if s < 2 else 50.0) for s in range(-5, 30)]
    series = write_series(tmp_path / "live.csv", rows)
    code = main(["run", "--zone", "FR", "--when", "green", "--deadline", "20s", "--duration",
                 "1s", "--series", str(series), "--check-every", "1s", "--", PY, "-c",
                 "print('green child')"])
    out, err = capfd.readouterr()
    assert code == 0, err
    assert "green child" in out
    assert "plan for FR" in err
    assert main(["runs", "--json"]) == 0
    run_id = json.loads(capfd.readouterr().out)[0]["id"]
    assert main(["show", run_id, "--json"]) == 0
    shown = json.loads(capfd.readouterr().out)
    record = shown["carbon_aware"]
    assert record["planned_zone"] == "FR"
    assert record["planned_intensity_g_per_kwh"] == pytest.approx(50.0)
    assert record["achieved_intensity_g_per_kwh"] == pytest.approx(50.0)
    assert record["waited_s"] > 0.0
    assert shown["footprint"]["intensity"]["g_per_kwh"] == pytest.approx(50.0)


def test_run_when_green_ctrl_c_while_waiting_cancels(db: str, tmp_path: Path) -> None:
    import signal
    import time

    now = datetime.now(timezone.utc).replace(microsecond=0)
    rows = [(now + timedelta(minutes=m), "FR", 500.0 if m < 30 else 50.0) for m in range(-5, 90)]
    series = write_series(tmp_path / "live.csv", rows)
    marker = tmp_path / "ran"
    proc = subprocess.Popen(
        [PY, "-m", "wattprint.cli.main", "run", "--zone", "FR", "--when", "green",
         "--deadline", "80m", "--duration", "10m", "--series", str(series), "--",
         PY, "-c", f"open({str(marker)!r}, 'w')"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "cancelled while waiting" in err
    assert not marker.exists()


def test_options_need_when_green(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--deadline", "2h", "--", PY, "-c", "pass"])
    assert code == 2
    assert "--deadline needs --when green" in capsys.readouterr().err


def test_run_when_green_budget_holds_standard_and_charges_critical(
        db: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    rows = [(now + timedelta(seconds=s), "FR", 400.0) for s in range(-5, 60)]
    series = write_series(tmp_path / "flat.csv", rows)
    assert main(["budget", "set", "tiny", "0.000001"]) == 0
    capfd.readouterr()
    base = ["run", "--project", "tiny", "--zone", "FR", "--when", "green", "--deadline", "30s",
            "--duration", "1s", "--power", "10kW", "--series", str(series)]
    code = main([*base, "--", PY, "-c", "print('should not run')"])
    out, err = capfd.readouterr()
    assert code == 3
    assert "held: project tiny" in err and "should not run" not in out
    code = main([*base, "--tier", "critical", "--", PY, "-c", "print('critical ran')"])
    out, err = capfd.readouterr()
    assert code == 0 and "critical ran" in out
    assert main(["budget", "show", "--project", "tiny", "--json"]) == 0
    shown = json.loads(capfd.readouterr().out)
    assert shown["budgets"][0]["overruns"] == 1
