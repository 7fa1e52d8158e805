"""What the training callbacks share (no framework needed): phases, figures, metrics, life cycle."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from wattprint import Tracker
from wattprint.errors import ConfigError, MissingExtraError
from wattprint.integrations._training import TrainingRun, as_metric, outcome
from wattprint.model import DeviceKind, RunStatus
from wattprint.store.ledger import Ledger
from wattprint.testing import FakeClock, FakeSensor


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    led = Ledger(ledger_url)
    led.open()
    yield led
    led.close()


def _fake_tracker(clock: FakeClock, watts: float = 100.0) -> Tracker:
    return Tracker(project="t", zone="DE", sensors=[FakeSensor([(0, watts)], kind=DeviceKind.CPU)],
                   clock=clock, save=False, pue=2.0)


def test_outcome_and_as_metric() -> None:
    assert outcome(None) == (RunStatus.FINISHED, "")
    assert outcome(KeyboardInterrupt()) == (RunStatus.INTERRUPTED, "KeyboardInterrupt")
    assert outcome(ValueError("bad")) == (RunStatus.FAILED, "ValueError: bad")
    assert as_metric(3) == 3.0 and as_metric(np.float32(0.5)) == 0.5
    assert as_metric(np.array([0.25])) == 0.25
    for bad in (True, float("nan"), float("inf"), "0.9", None, [1.0], np.array([1.0, 2.0])):
        assert as_metric(bad) is None


def test_phases_are_contiguous_spans_one_at_a_time() -> None:
    clock = FakeClock()
    with _fake_tracker(clock) as t:
        fit = TrainingRun("x", tracker=t)
        fit.switch("train")
        clock.advance(2.0)
        fit.switch("train")  # already open: no new record
        clock.advance(1.0)
        fit.switch("evaluation")
        clock.advance(1.0)
        fit.switch(None)
        clock.advance(5.0)
        assert fit.phase is None
        assert fit.end() is None  # borrowed: the owner stops it
    assert t.run is not None
    assert [(p.name, p.duration_s, p.energy_j) for p in t.run.phases] == [
        ("train", pytest.approx(3.0), pytest.approx(300.0)),
        ("evaluation", pytest.approx(1.0), pytest.approx(100.0)),
    ]


def test_figures_energy_so_far_and_power_since_the_last_call() -> None:
    clock = FakeClock()
    with _fake_tracker(clock, watts=250.0) as t:
        fit = TrainingRun("x", tracker=t)
        clock.advance(4.0)
        first = fit.figures()
        clock.advance(2.0)
        second = fit.figures()
    assert first["power_w"] == pytest.approx(250.0)
    assert first["energy_kwh"] == pytest.approx(250 * 4 * 2.0 / 3.6e6)  # PUE 2
    assert second["energy_kwh"] == pytest.approx(250 * 6 * 2.0 / 3.6e6)
    assert second["co2e_kg"] == pytest.approx(
        second["energy_kwh"] * t.footprint.intensity.g_per_kwh / 1000
    )
    assert TrainingRun("x").figures() == {}  # nothing started


def test_power_covers_at_least_a_second() -> None:
    clock = FakeClock()
    # 100 W for 6 s, then 400 W; an exact counter, so the windows are exact
    sensor = FakeSensor([(0, 100.0), (6.0, 100.0), (6.001, 400.0)], as_counter=True)
    with Tracker(project="t", zone="DE", sensors=[sensor], clock=clock, save=False) as t:
        fit = TrainingRun("x", tracker=t)
        powers = []
        for step_s in (4.0, 2.0, 0.5, 1.0):
            clock.advance(step_s)
            powers.append(fit.figures()["power_w"])
    # 0.5 s after the previous call the window reaches back to the call at 4 s
    assert powers == pytest.approx([100.0, 100.0, (200.0 + 199.8) / 2.5, 400.0], rel=1e-3)


def test_log_metrics_keeps_finite_scalars_only() -> None:
    clock = FakeClock()
    with _fake_tracker(clock) as t:
        fit = TrainingRun("x", tracker=t)
        fit.log_metrics({"acc": np.float64(0.9), "energy_kwh": 1.0, "name": "bert", "loss": 0.1,
                         "nan": float("nan"), "epoch": 3}, skip=("epoch",))
        fit.log_metrics({"acc": 0.95})
    assert t.run is not None and t.run.metrics == {"loss": 0.1, "acc": 0.95}


def test_own_runs_are_recorded_and_a_stale_one_fails(ledger: Ledger) -> None:
    fit = TrainingRun("x", project="p", zone="DE", ledger=ledger, tags=["a"])
    fit.begin("net")
    fit.switch("train")
    fit.begin("net", stale="never ended")  # the framework skipped its end hook
    fit.switch("train")
    fit.log_metrics({"acc": 0.5})
    second = fit.end()
    assert fit.end() is None and fit.tracker is None
    first, stored = ledger.get_run(fit.runs[0].id), ledger.get_run(second.id if second else "")
    assert first.status is RunStatus.FAILED and first.error == "never ended"
    assert stored.status is RunStatus.FINISHED and stored.metrics == {"acc": 0.5}
    assert stored.model == "net" and stored.tags == ("a", "integration:x")
    assert [p.name for p in stored.phases] == ["train"]
    assert ledger.list_runs(project="p")  # the ledger we passed stays open


def test_options_are_checked() -> None:
    clock = FakeClock()
    with _fake_tracker(clock) as t:
        with pytest.raises(ConfigError, match="got project, zone"):
            TrainingRun("x", project="p", zone="DE", tracker=t)
        with pytest.raises(ConfigError, match="list of labels"):
            TrainingRun("x", tags="abc")


@pytest.mark.parametrize(("ending", "status", "error"), [
    ('raise RuntimeError("boom")', RunStatus.FAILED, "RuntimeError: boom"),
    ("raise KeyboardInterrupt", RunStatus.INTERRUPTED, "KeyboardInterrupt"),
    ("sys.exit(0)", RunStatus.FAILED, "the process exited before training ended"),
])
def test_a_run_still_open_at_exit_is_recorded(
    tmp_path: Path, ledger_url: str, ending: str, status: RunStatus, error: str
) -> None:
    script = textwrap.dedent(f"""
        import sys
        from wattprint.integrations._training import TrainingRun
        from wattprint.store.ledger import Ledger
        ledger = Ledger({ledger_url!r})
        ledger.open()
        fit = TrainingRun("x", project="p", zone="DE", ledger=ledger)
        fit.begin("net")
        fit.switch("train")
        {ending}
    """)
    subprocess.run([sys.executable, "-c", script], capture_output=True, check=False, timeout=60)
    led = Ledger(ledger_url)
    led.open()
    try:
        (run,) = led.list_runs(project="p")
    finally:
        led.close()
    assert (run.status, run.error) == (status, error)
    assert [p.name for p in run.phases] == ["train"]


@pytest.mark.parametrize(("module", "package", "extra"), [
    ("transformers", "transformers", "transformers"),
    ("lightning", "lightning", "lightning"),
    ("pytorch_lightning", "pytorch_lightning", "lightning"),
    ("keras", "keras", "keras"),
])
def test_a_missing_framework_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, module: str, package: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, package, None)  # what an absent package looks like
    monkeypatch.delitem(sys.modules, f"wattprint.integrations.{module}", raising=False)
    with pytest.raises(MissingExtraError, match=rf"pip install 'wattprint\[{extra}\]'"):
        importlib.import_module(f"wattprint.integrations.{module}")
