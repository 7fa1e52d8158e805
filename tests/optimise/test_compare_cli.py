"""``wattprint compare``: the table, the JSON, the exit codes and the ledger it fills."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from wattprint.cli.main import main

PY = sys.executable


def _file(tmp_path: Path, body: str) -> str:
    path = tmp_path / "variants.yaml"
    path.write_text(body.replace("PY", json.dumps(PY)))
    return str(path)


GOOD = """
name: tiny
project: cmp
zone: DE
quality: {metric: accuracy, regex: 'accuracy=([0-9.]+)'}
variants:
  - name: big
    command: [PY, -c, "s = sum(i * i for i in range(200000)); print('accuracy=0.97')"]
  - name: small
    command: [PY, -c, "print('accuracy=0.95')"]
"""


@pytest.fixture(autouse=True)
def _db(ledger_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATTPRINT_DB", ledger_url)


def test_json_output_and_the_runs_it_recorded(tmp_path: Path,
                                              capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", _file(tmp_path, GOOD), "--repeat", "2", "--json"]) == 0
    out, err = capfd.readouterr()
    data = json.loads(out)
    assert data["schema"] == "wattprint.compare/1" and data["name"] == "tiny"
    assert data["repeat"] == 2 and data["baseline"] == "big"
    assert [v["name"] for v in data["variants"]] == ["big", "small"]
    small = data["variants"][1]
    assert small["quality"]["median"] == 0.95 and small["reps_ok"] == 2
    assert small["vs_baseline"]["quality_delta"] == pytest.approx(-0.02)
    assert "% energy for \u22120.02 accuracy" in small["vs_baseline"]["summary"]
    assert "[1/4] big rep 1:" in err and "interleaved" in err  # progress goes to stderr

    assert main(["runs", "--tag", "compare:tiny", "--json"]) == 0
    runs = json.loads(capfd.readouterr().out)
    assert len(runs) == 4 and {r["project"] for r in runs} == {"cmp"}
    assert sorted(r["model"] for r in runs) == ["big", "big", "small", "small"]
    assert all(r["metrics"]["accuracy"] in (0.97, 0.95) for r in runs)


def test_text_output_has_table_front_and_trade_off(tmp_path: Path,
                                                   capfd: pytest.CaptureFixture[str]) -> None:
    # Enough work in big that one repetition each still ranks them on a loaded machine.
    body = GOOD.replace("range(200000)", "range(3000000)")
    assert main(["compare", _file(tmp_path, body), "--repeat", "1", "--project", "other"]) == 0
    out = capfd.readouterr().out
    assert "wattprint compare tiny" in out and "accuracy" in out and "(baseline)" in out
    assert "Pareto front (accuracy, higher is better, vs energy):" in out
    assert "small vs big: \u2212" in out and "for \u22120.02 accuracy" in out
    assert "Order: interleaved" in out
    assert main(["runs", "--project", "other", "--json"]) == 0
    assert len(json.loads(capfd.readouterr().out)) == 2  # --project wins over the file's


def test_a_failed_variant_is_reported_and_exits_1(tmp_path: Path,
                                                  capfd: pytest.CaptureFixture[str]) -> None:
    body = GOOD.replace("print('accuracy=0.95')", "raise SystemExit(3)")
    assert main(["compare", _file(tmp_path, body), "--repeat", "2", "--json"]) == 1
    data = json.loads(capfd.readouterr().out)
    small = data["variants"][1]
    assert small["status"] == "failed" and small["error"] == "rep 1: command exited with 3"
    assert small["reps_run"] == 1 and small["reps"][0]["status"] == "failed"
    assert data["pareto_front"] == ["big"]
    assert main(["compare", _file(tmp_path, body), "--repeat", "1"]) == 1
    assert "small failed: rep 1: command exited with 3" in capfd.readouterr().out


@pytest.mark.parametrize(("body", "message"), [
    (GOOD.replace("variants:", "variantz:"), "unknown key 'variantz'"),
    ("name: x\n", "no variants"),
    (GOOD.replace("  - name: big\n", "  - name: big\n    baseline: true\n").replace(
        "  - name: small\n", "  - name: small\n    baseline: true\n"), "two baselines"),
    (GOOD.replace("accuracy=([0-9.]+)", "acc=([0-9.]+)"),
     "variant 'big': quality regex 'acc=([0-9.]+)' found no match"),
])
def test_bad_input_exits_2_with_one_line(tmp_path: Path, capfd: pytest.CaptureFixture[str],
                                         body: str, message: str) -> None:
    assert main(["compare", _file(tmp_path, body), "--repeat", "1"]) == 2
    err = capfd.readouterr().err
    assert message in err and "Traceback" not in err


def test_missing_file_and_bad_repeat(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(tmp_path / "none.yaml")]) == 2
    assert "cannot read variants file" in capfd.readouterr().err
    assert main(["compare", _file(tmp_path, GOOD), "--repeat", "0"]) == 2
    assert "--repeat" in capfd.readouterr().err


@pytest.mark.parametrize(("value", "message"), [
    ("0", "expected a number of seconds > 0, got 0"),
    ("-2.5", "expected a number of seconds > 0, got -2.5"),
    ("nan", "expected a number of seconds > 0, got nan"),
    ("soon", "'soon' is not a valid float"),
])
def test_bad_timeout_flag_names_it_and_runs_nothing(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    assert main(["compare", _file(tmp_path, GOOD), "--timeout-s", value]) == 2
    err = capfd.readouterr().err
    assert "Invalid value for '--timeout-s'" in err and message in err
    assert "Traceback" not in err and "[1/" not in err


def test_bad_timeout_key_in_the_file_names_it(tmp_path: Path,
                                              capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", _file(tmp_path, GOOD.replace("zone: DE", "timeout_s: -1"))]) == 2
    assert "variants.yaml: timeout_s: expected a number of seconds > 0, got -1" in (
        capfd.readouterr().err)
    body = GOOD.replace("  - name: small\n", "  - name: small\n    timeout_s: ten\n")
    assert main(["compare", _file(tmp_path, body)]) == 2
    assert ("variant 'small': timeout_s: expected a number of seconds > 0, got 'ten'"
            in capfd.readouterr().err)


def test_help_has_examples(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "--help"]) == 0
    out = capfd.readouterr().out
    assert "wattprint compare examples/compare/quantize.yaml --repeat 3" in out
    assert "docs/compare.md" in out and "--timeout-s" in out


def test_ctrl_c_records_the_repetition_as_interrupted_and_stops(
    tmp_path: Path, ledger_url: str
) -> None:
    import os
    import signal
    import subprocess
    import time

    body = """
name: stop
zone: DE
variants:
  - name: slow
    command: [PY, -c, "import time; open('started', 'w').close(); time.sleep(60)"]
  - name: fast
    command: [PY, -c, "pass"]
"""
    proc = subprocess.Popen([PY, "-m", "wattprint.cli.main", "compare", _file(tmp_path, body)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "WATTPRINT_DB": ledger_url})
    deadline = time.monotonic() + 30
    while not (tmp_path / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # a real child process: wait until it is running
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "aborted" in err
    from wattprint.store.ledger import Ledger

    with Ledger(ledger_url) as ledger:
        runs = ledger.list_runs(tag="compare:stop")
    assert [(r.model, r.status.value) for r in runs] == [("slow", "interrupted")]
    assert "SIGINT received" in runs[0].error
