from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from wattprint.cli.main import main
from wattprint.store.ledger import Ledger

NOW = "2023-03-01T00:00Z"


@pytest.fixture
def db(ledger_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("WATTPRINT_DB", ledger_url)
    return ledger_url


@pytest.fixture
def series(tmp_path: Path) -> Path:
    """Hourly DE at 400 g/kWh; FR at 100 except 20 g/kWh from 05:00 to 09:00 UTC."""
    lines = ["timestamp,zone,carbon_intensity_g_per_kwh"]
    for hour in range(48):
        stamp = f"2023-03-{1 + hour // 24:02d}T{hour % 24:02d}:00:00Z"
        lines.append(f"{stamp},DE,400")
        lines.append(f"{stamp},FR,{20 if 5 <= hour < 9 else 100}")
    path = tmp_path / "de_fr.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def sbatch_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real fake ``sbatch`` on PATH that records its argv."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "sbatch"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys, pathlib\n"
        "log = pathlib.Path(__file__).with_name('calls.jsonl')\n"
        "with log.open('a') as f: f.write(json.dumps(sys.argv[1:]) + '\\n')\n"
        "print('Submitted batch job 4242')\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return bin_dir / "calls.jsonl"


def _args(series: Path, *extra: str) -> list[str]:
    return ["submit", "--executor", "slurm", "--zones", "DE,FR", "--duration", "4h",
            "--deadline", "24h", "--energy", "10kWh", "--series", str(series), "--now", NOW,
            "--partition", "DE=gpu-de", "--partition", "FR=gpu-fr", *extra]


def test_dry_run_prints_the_sbatch_command(
    db: str, series: Path, sbatch_log: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert main(_args(series, "--dry-run", "--", "train.sbatch", "--epochs", "3")) == 0
    out, err = capfd.readouterr()
    assert out == ("sbatch --begin=2023-03-01T05:00:00 --partition=gpu-fr --time=4:00:00 "
                   "train.sbatch --epochs 3\n")
    assert "plan: FR from 2023-03-01 05:00 UTC" in err
    assert "no carbon budget" in err
    assert not sbatch_log.exists()


def test_submit_json_through_fake_sbatch(
    db: str, series: Path, sbatch_log: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    code = main(_args(series, "--cluster", "FR=paris", "--cluster-tz", "Europe/Paris", "--json",
                      "--", "train.sbatch"))
    assert code == 0
    data = json.loads(capfd.readouterr().out)
    assert data["plan"]["zone"] == "FR" and data["plan"]["start"] == "2023-03-01T05:00:00Z"
    assert data["plan"]["expected_co2e_kg"] == pytest.approx(0.2)
    assert data["budget"]["action"] == "run"
    assert data["submission"]["job_id"] == "4242" and data["submission"]["dry_run"] is False
    assert [json.loads(line) for line in sbatch_log.read_text().splitlines()] == [
        ["--begin=2023-03-01T06:00:00", "--partition=gpu-fr", "--clusters=paris",
         "--time=4:00:00", "train.sbatch"]]


def test_over_budget_standard_is_held(
    db: str, series: Path, sbatch_log: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert main(["budget", "set", "vision", "0.1", "--month", "2023-03"]) == 0
    capfd.readouterr()
    assert main(_args(series, "--project", "vision", "--", "train.sbatch")) == 3
    out, err = capfd.readouterr()
    assert out == ""
    assert ("held: project vision has used 0.0 of 0.1 kg CO2e in 2023-03; this job expects "
            "0.2 kg (over by 0.1 kg); raise the budget (wattprint budget set vision 0.2 "
            "--month 2023-03) or run it as critical") in err
    assert not sbatch_log.exists()


def test_over_budget_critical_is_submitted_and_overrun_recorded(
    db: str, series: Path, sbatch_log: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    main(["budget", "set", "vision", "0.05"])
    capfd.readouterr()
    code = main(_args(series, "--project", "vision", "--tier", "critical", "--json", "--",
                      "train.sbatch"))
    assert code == 0
    data = json.loads(capfd.readouterr().out)
    assert data["budget"]["action"] == "run" and data["budget"]["overrun_kg"] > 0
    assert sbatch_log.exists()
    with Ledger(db) as ledger:
        [overrun] = ledger.overruns("vision")
    assert overrun.run_id == "slurm:4242" and overrun.tier == "critical"
    assert overrun.month == data["plan"]["start"][:7]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--partition", "DE=gpu-de", "--"], "give the command or batch script to submit"),
        (["--partition", "FR", "--", "x.sh"],
         "invalid --partition 'FR': expected ZONE=NAME, e.g. FR=gpu-paris"),
        (["--partition", "FR=p", "--cluster-tz", "Mars/Olympus", "--", "x.sh"],
         "invalid --cluster-tz 'Mars/Olympus': expected an IANA time zone"),
        (["--", "x.sh"], "--executor slurm needs a partition per zone: --partition DE=NAME"),
    ],
)
def test_bad_input_exits_2(db: str, series: Path, capfd: pytest.CaptureFixture[str],
                           extra: list[str], message: str) -> None:
    args = ["submit", "--executor", "slurm", "--zones", "DE,FR", "--duration", "4h",
            "--deadline", "24h", "--energy", "10kWh", "--series", str(series), "--now", NOW,
            *extra]
    assert main(args) == 2
    err = capfd.readouterr().err
    assert message in err and err.count("\n") == 1


def test_missing_partition_for_the_planned_zone(
    db: str, series: Path, sbatch_log: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    args = ["submit", "--executor", "slurm", "--zones", "DE,FR", "--duration", "4h",
            "--deadline", "24h", "--energy", "10kWh", "--series", str(series), "--now", NOW,
            "--partition", "DE=gpu-de", "--", "x.sh"]
    assert main(args) == 2
    assert capfd.readouterr().err == (
        "wattprint: error: no Slurm partition for zone FR (the planned zone); "
        "add --partition FR=NAME (known: DE=gpu-de)\n")
    assert not sbatch_log.exists()


def test_local_dry_run(db: str, series: Path, capfd: pytest.CaptureFixture[str]) -> None:
    args = ["submit", "--zones", "DE,FR", "--duration", "4h", "--deadline", "24h",
            "--power", "2.5kW", "--series", str(series), "--now", NOW, "--dry-run", "--json",
            "--", "python", "train.py"]
    assert main(args) == 0
    sub = json.loads(capfd.readouterr().out)["submission"]
    assert sub["executor"] == "local" and sub["command"] == ["python", "train.py"]
    assert sub["message"].startswith("dry run: would wait until 2023-03-01T05:00:00Z")
