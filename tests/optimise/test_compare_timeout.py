"""Per-repetition timeouts of ``wattprint compare``, live: real sleeping commands and callables."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from wattprint.cli.main import main
from wattprint.errors import ConfigError
from wattprint.model import RunStatus
from wattprint.optimise.compare import Variant, compare, compare_spec
from wattprint.optimise.compare_spec import parse_spec
from wattprint.optimise.compare_timeout import kill_tree
from wattprint.store.ledger import Ledger

PY = sys.executable

# Sleeps (with a child that sleeps too) on its first run in its folder, returns at once after.
FLAKY = ("import os, subprocess, sys, time; first = not os.path.exists('ran'); "
         "open('ran', 'a').close(); "
         "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']) "
         "if first else None; c and open('child.pid', 'w').write(str(c.pid)); "
         "time.sleep(60 if first else 0)")


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    with Ledger(ledger_url) as opened:
        yield opened


def _gone(pid: int) -> bool:
    """Dead: no such process, or a zombie nobody reaped (PID 1 of a container may not)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _hang_file(tmp_path: Path, file_timeout_s: float, **flaky: object) -> str:
    """A variants file: ``fast`` returns at once, ``flaky`` hangs in its first repetition."""
    path = tmp_path / "hang.yaml"
    path.write_text(json.dumps({
        "name": "hang", "zone": "DE", "timeout_s": file_timeout_s,
        "variants": [{"name": "fast", "command": [PY, "-c", "pass"]},
                     {"name": "flaky", "command": [PY, "-c", FLAKY], **flaky}]}))
    return str(path)


def test_cli_kills_the_process_tree_records_the_timeout_and_goes_on(
    tmp_path: Path, ledger_url: str, monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WATTPRINT_DB", ledger_url)
    path = _hang_file(tmp_path, 30, timeout_s=45)  # --timeout-s 1 replaces both
    started = time.monotonic()
    assert main(["compare", path, "--repeat", "2", "--timeout-s", "1", "--json"]) == 1
    assert time.monotonic() - started < 20
    out, err = capfd.readouterr()
    err = " ".join(err.split())  # rich wraps the progress lines
    assert "flaky rep 1:" in err and "timed out after 1 s, process tree killed" in err
    child = int((tmp_path / "child.pid").read_text())
    assert _gone(child)  # the grandchild was killed with its parent
    fast, flaky = json.loads(out)["variants"]
    assert (fast["reps_timed_out"], fast["timeout_s"], fast["status"]) == (0, 1.0, "ok")
    assert (flaky["status"], flaky["reps_ok"], flaky["reps_run"]) == ("ok", 1, 2)
    assert (flaky["reps_timed_out"], flaky["timeout_s"]) == (1, 1.0)
    assert flaky["energy_kwh"]["n"] == 1 and flaky["duration_s"]["max"] < 1.0
    first = flaky["reps"][0]
    assert first["timed_out"] is True and first["status"] == "failed"
    assert first["error"] == ("command killed by SIGKILL: timed out after 1 s, "
                              "process tree killed")
    with Ledger(ledger_url) as opened:
        runs = opened.list_runs(tag="variant:flaky")
    assert sorted((r.status.value, r.error) for r in runs) == [
        ("failed", first["error"]), ("finished", "")]


def test_cli_table_counts_the_timed_out_repetitions(
    tmp_path: Path, ledger_url: str, monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WATTPRINT_DB", ledger_url)
    assert main(["compare", _hang_file(tmp_path, 0.5), "--repeat", "2"]) == 1
    out = capfd.readouterr().out
    assert "timed out" in out and "1 of 2" in out  # the table's column
    assert "flaky: 1 of 2 repetition(s) timed out (timeout_s 0.5 s), left out of its figures" \
        in " ".join(out.split())


def test_a_callable_past_its_timeout_is_interrupted_and_recorded(ledger: Ledger) -> None:
    def hung() -> float:
        try:
            time.sleep(30)
        except Exception:  # noqa: BLE001 — the timeout is no Exception: this cannot stop it
            pass
        return 1.0

    before = signal.getsignal(signal.SIGALRM)
    started = time.monotonic()
    result = compare([Variant("quick", callable=lambda: 1.0), Variant("hung", callable=hung)],
                     repeat=2, timeout_s=0.3, name="cb-timeout", zone="DE", ledger=ledger)
    assert time.monotonic() - started < 10
    assert signal.getsignal(signal.SIGALRM) == before  # restored
    quick, slow = result.variant("quick"), result.variant("hung")
    assert not quick.failed and quick.timed_out == 0 and quick.timeout_s == 0.3
    assert slow.failed and slow.timed_out == 2 and slow.energy_kwh is None
    assert slow.error == "every repetition timed out (rep 1: timed out after 0.3 s)"
    assert not result.ok and result.pareto_front == ("quick",)
    runs = ledger.list_runs(tag="variant:hung")
    assert [(r.status, r.error) for r in runs] == [(RunStatus.FAILED, "timed out after 0.3 s")] * 2
    assert all(r.duration_s < 5 for r in runs)


def test_a_variant_timeout_overrides_the_file_and_timeout_s_overrides_both(
    tmp_path: Path, ledger: Ledger,
) -> None:
    spec = parse_spec({"name": "ovr", "zone": "DE", "timeout_s": 0.5, "variants": [
        {"name": "patient", "command": [PY, "-c", "import time; time.sleep(0.8)"],
         "timeout_s": 20},
        {"name": "hung", "command": [PY, "-c", "import time; time.sleep(30)"]}]},
        base_dir=tmp_path)
    result = compare_spec(spec, repeat=1, ledger=ledger)
    patient, hung = result.variant("patient"), result.variant("hung")
    assert (patient.timeout_s, patient.timed_out, patient.failed) == (20.0, 0, False)
    assert (hung.timeout_s, hung.timed_out, hung.failed) == (0.5, 1, True)
    assert "timed out after 0.5 s" in hung.reps[0].error
    again = compare_spec(spec, repeat=1, timeout_s=0.3, ledger=ledger)
    assert [(v.timeout_s, v.timed_out) for v in again.variants] == [(0.3, 1), (0.3, 1)]


@pytest.mark.parametrize("bad", [0, -1.5, float("nan"), float("inf"), "5", True])
def test_bad_timeouts_are_refused_before_anything_runs(bad: object, ledger: Ledger) -> None:
    variants = [Variant("a", command=[PY, "-c", "pass"]), Variant("b", command=[PY, "-c", ""])]
    with pytest.raises(ConfigError, match=r"^timeout_s: expected a number of seconds > 0"):
        compare(variants, timeout_s=bad, ledger=ledger)  # type: ignore[arg-type]
    spec = parse_spec({"variants": [{"name": "a", "command": "x"}, {"name": "b", "command": "y"}]})
    with pytest.raises(ConfigError, match=r"^timeout_s: expected a number of seconds > 0"):
        compare_spec(spec, timeout_s=bad, ledger=ledger)  # type: ignore[arg-type]
    assert ledger.list_runs() == []


def test_a_callable_timeout_outside_the_main_thread_is_refused(ledger: Ledger) -> None:
    caught: list[BaseException] = []

    def run() -> None:
        try:
            compare([Variant("a", callable=lambda: 1.0), Variant("b", callable=lambda: 2.0)],
                    timeout_s=5, ledger=ledger)
        except ConfigError as exc:
            caught.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(30)
    assert len(caught) == 1
    assert "variant 'a': timeout_s of a callable works only in the main thread" in str(caught[0])
    assert ledger.list_runs() == []


def test_kill_tree_kills_a_parent_and_its_child() -> None:
    parent = subprocess.Popen([PY, "-c", "import subprocess, sys, time; "
                               "c = subprocess.Popen([sys.executable, '-c', "
                               "'import time; time.sleep(60)']); print(c.pid, flush=True); "
                               "time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert kill_tree(parent.pid) == 2
        assert parent.wait(10) == -signal.SIGKILL
        deadline = time.monotonic() + 10
        while not _gone(child) and time.monotonic() < deadline:
            time.sleep(0.02)  # SIGKILL is delivered asynchronously
        assert _gone(child)
    finally:
        parent.kill()
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()
