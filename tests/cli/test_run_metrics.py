"""``wattprint run --model`` and metrics logged by the command (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

import pytest

from wattprint.cli.main import main

PY = sys.executable

_CHILD = """
import os, wattprint
print("metrics file:", os.environ["WATTPRINT_METRICS_FILE"], flush=True)
wattprint.log_metric("accuracy", 0.5)
wattprint.log_metric("loss", 1)
wattprint.log_metric("accuracy", 0.9)
"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "postgres":
        url = str(request.getfixturevalue("postgres_url"))
    else:
        url = f"sqlite:///{tmp_path}/ledger.db"
    monkeypatch.setenv("WATTPRINT_DB", url)
    return url


def _script(tmp_path: Path, code: str) -> str:
    path = tmp_path / "child.py"
    path.write_text(code)
    return str(path)


def _json_tail(text: str):  # type: ignore[no-untyped-def]
    return json.loads(text[text.index("{\n"):])


def test_run_records_model_and_the_last_value_of_each_metric(
    db: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", "--zone", "FR", "--model", "mlp-256-128", "--json", "--",
                 PY, _script(tmp_path, _CHILD)])
    out, err = capfd.readouterr()
    assert code == 0, err
    run = _json_tail(out)
    assert run["model"] == "mlp-256-128"
    assert run["metrics"] == {"loss": 1.0, "accuracy": 0.9}
    assert not any("metrics" in w for w in run["warnings"])
    metrics_file = Path(out.split("metrics file: ", 1)[1].split("\n", 1)[0])
    assert metrics_file.name.startswith("wattprint-metrics-")
    assert not metrics_file.exists()  # removed once read

    assert main(["runs", "--model", "mlp-256-128", "--json"]) == 0
    listed = json.loads(capfd.readouterr().out)
    assert [r["id"] for r in listed] == [run["id"]] and listed[0]["metrics"] == run["metrics"]
    assert main(["runs", "--model", "resnet50", "--json"]) == 0
    assert json.loads(capfd.readouterr().out) == []

    assert main(["show", run["id"][:8], "--json"]) == 0
    shown = json.loads(capfd.readouterr().out)
    assert (shown["model"], shown["metrics"]) == ("mlp-256-128", {"accuracy": 0.9, "loss": 1.0})
    assert main(["show", run["id"][:8]]) == 0
    text_out = capfd.readouterr().out
    assert "model and metrics" in text_out and "mlp-256-128" in text_out
    assert "metric accuracy" in text_out and "0.9" in text_out and "metric loss" in text_out

    out_csv = tmp_path / "runs.csv"
    assert main(["export", "--model", "mlp-256-128", "-o", str(out_csv)]) == 0
    with out_csv.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1 and rows[0]["model"] == "mlp-256-128"
    assert float(rows[0]["metric_accuracy"]) == 0.9 and float(rows[0]["metric_loss"]) == 1.0


def test_summary_on_stderr_shows_model_and_metrics(
    db: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--zone", "DE", "--model", "tiny", "--", PY,
                 _script(tmp_path, _CHILD)]) == 0
    err = capfd.readouterr().err
    assert "model and metrics" in err and "tiny" in err and "metric accuracy" in err


def test_run_without_model_or_metrics(db: str, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--zone", "DE", "--json", "--", PY, "-c", "pass"]) == 0
    run = _json_tail(capfd.readouterr().out)
    assert (run["model"], run["metrics"]) == ("", {})
    assert main(["runs", "--model", "", "--json"]) == 0
    assert [r["id"] for r in json.loads(capfd.readouterr().out)] == [run["id"]]
    assert main(["show", run["id"][:8]]) == 0
    assert "model and metrics" not in capfd.readouterr().out


def test_malformed_lines_become_a_run_warning_not_a_crash(
    db: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    child = (
        "import os, wattprint\n"
        "with open(os.environ['WATTPRINT_METRICS_FILE'], 'a') as f:\n"
        "    f.write('this is not json\\n{\"name\": \"bleu\", \"value\": \"high\"}\\n')\n"
        "wattprint.log_metric('bleu', 31.5)\n"
    )
    code = main(["run", "--zone", "DE", "--json", "--", PY, _script(tmp_path, child)])
    out, err = capfd.readouterr()
    assert code == 0, err
    run = _json_tail(out)
    assert run["status"] == "finished" and run["metrics"] == {"bleu": 31.5}
    [warning] = [w for w in run["warnings"] if w.startswith("metrics:")]
    assert warning.startswith("metrics: ignored 2 malformed line(s) (line 1: not JSON")
    assert "line 2: metric 'bleu': value must be a finite number, got str 'high'" in warning
    assert main(["show", run["id"], "--json"]) == 0
    assert warning in json.loads(capfd.readouterr().out)["warnings"]


@pytest.mark.parametrize(
    ("call", "message"),
    [("wattprint.log_metric('accuracy', float('nan'))",
      "metric 'accuracy': value must be a finite number, got nan"),
     ("wattprint.log_metric('', 0.9)", "metric name must be non-empty text, got ''"),
     ("wattprint.log_metric('accuracy', '0.9')",
      "metric 'accuracy': value must be a finite number, got str '0.9'")],
)
def test_bad_metric_in_the_command_fails_it_with_the_message(
    db: str, tmp_path: Path, capfd: pytest.CaptureFixture[str], call: str, message: str
) -> None:
    child = _script(tmp_path, f"import wattprint\n{call}\n")
    code = main(["run", "--zone", "DE", "--json", "--", PY, child])
    out, err = capfd.readouterr()
    assert code == 1
    assert f"wattprint.errors.ConfigError: {message}" in err
    run = _json_tail(out)
    assert run["status"] == "failed" and run["metrics"] == {}


def test_log_metric_outside_wattprint_run_says_no_tracker_is_active(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    import subprocess

    child = _script(tmp_path, "import wattprint\nwattprint.log_metric('accuracy', 0.9)\n")
    env = {k: v for k, v in os.environ.items() if k != "WATTPRINT_METRICS_FILE"}
    proc = subprocess.run([PY, child], capture_output=True, text=True, env=env)
    assert proc.returncode == 1
    assert "cannot log metric 'accuracy': no wattprint tracker is active" in proc.stderr
