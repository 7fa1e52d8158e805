from __future__ import annotations

import logging
import queue
from collections.abc import Iterator
from typing import Any

import pytest

from wattprint import Tracker
from wattprint.errors import ConfigError
from wattprint.measure import hooks
from wattprint.model import DeviceKind, Run, RunStatus
from wattprint.store.ledger import Ledger
from wattprint.testing import FakeClock, FakeSensor

WAIT_S = 10.0  # upper bound for a background thread to report; normally milliseconds


class Recorder(hooks.TrackerListener):
    """Puts every call on a queue, so a test can wait for background calls."""

    def __init__(self) -> None:
        self.calls: queue.Queue[tuple[str, str, Run | None]] = queue.Queue()

    def on_start(self, tracker: Tracker) -> None:
        self.calls.put(("start", tracker.id, None))

    def on_progress(self, tracker: Tracker, run: Run) -> None:
        self.calls.put(("progress", tracker.id, run))

    def on_stop(self, tracker: Tracker, run: Run) -> None:
        self.calls.put(("stop", tracker.id, run))

    def next(self) -> tuple[str, str, Run | None]:
        return self.calls.get(timeout=WAIT_S)

    def drained(self) -> list[str]:
        out = []
        while not self.calls.empty():
            out.append(self.calls.get_nowait()[0])
        return out


def _tracker(clock: FakeClock, **kw: Any) -> Tracker:
    return Tracker(project="hooks", zone="DE", clock=clock,
                   sensors=[FakeSensor([(0, 100.0)], kind=DeviceKind.CPU)], **kw)


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    led = Ledger(ledger_url)
    led.open()
    yield led
    led.close()


def test_start_and_stop_reach_the_listener_with_the_finished_run() -> None:
    rec = Recorder()
    clock = FakeClock()
    with hooks.add_listener(rec) as handle:
        with _tracker(clock, save=False) as t:
            assert rec.next() == ("start", t.id, None)
            clock.advance(10.0)
        kind, tid, run = rec.next()
        assert (kind, tid) == ("stop", t.id)
        assert run is t.run and run.status is RunStatus.FINISHED
        assert run.energy_kwh == pytest.approx(1000 / 3.6e6)
        assert handle.active
    assert not handle.active
    with _tracker(FakeClock(), save=False):
        pass
    assert rec.drained() == []  # removed: trackers after that are not reported


def test_progress_follows_each_ledger_flush(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATTPRINT_FLUSH_INTERVAL_S", "5")
    rec = Recorder()
    clock = FakeClock()
    with hooks.add_listener(rec):
        t = _tracker(clock, ledger=ledger).start()
        assert rec.next()[0] == "start"
        energies = []
        for _ in range(2):
            clock.advance(5.0)
            kind, _, snap = rec.next()
            assert kind == "progress" and snap is not None
            assert snap.status is RunStatus.RUNNING
            energies.append(snap.energy_kwh)
            # The snapshot went to the ledger first, as a flush.
            assert ledger.get_run(t.id).status is RunStatus.RUNNING
        run = t.stop()
        assert rec.next()[0] == "stop"
    assert energies[0] < energies[1] <= run.energy_kwh


def test_progress_every_s_runs_on_the_trackers_clock_and_ends_before_stop() -> None:
    rec = Recorder()
    clock = FakeClock()
    with hooks.add_listener(rec, progress_every_s=2.0):
        t = _tracker(clock, save=False).start()
        rec.next()
        durations = []
        for _ in range(3):
            clock.advance(2.0)
            kind, _, snap = rec.next()
            assert kind == "progress" and snap is not None
            durations.append(snap.duration_s)
        t.stop()
        assert rec.next()[0] == "stop"
        clock.advance(10.0)
    assert durations == pytest.approx([2.0, 4.0, 6.0])
    assert rec.drained() == []  # the progress thread ended with the tracker
    assert t.run is not None and t.run.duration_s == pytest.approx(6.0)


class Broken(hooks.TrackerListener):
    def on_start(self, tracker: Tracker) -> None:
        raise RuntimeError("listener bug")

    def on_stop(self, tracker: Tracker, run: Run) -> None:
        raise RuntimeError("listener bug at stop")


def test_a_failing_listener_is_logged_and_never_breaks_the_tracker(
    ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    rec = Recorder()
    clock = FakeClock()
    with caplog.at_level(logging.ERROR, logger="wattprint.measure.hooks"):
        with hooks.add_listener(Broken()), hooks.add_listener(rec):
            with _tracker(clock, ledger=ledger) as t:
                clock.advance(1.0)
    assert t.run is not None and t.run.status is RunStatus.FINISHED
    assert ledger.get_run(t.id).status is RunStatus.FINISHED
    assert rec.drained() == ["start", "stop"]  # the next listener still heard everything
    messages = [r.getMessage() for r in caplog.records]
    assert any("Broken.on_start failed" in m and "run is unaffected" in m for m in messages)
    assert any("Broken.on_stop failed" in m for m in messages)
    assert all(r.exc_info for r in caplog.records)


def test_removal_mid_run_takes_effect_at_once() -> None:
    rec = Recorder()
    clock = FakeClock()
    handle = hooks.add_listener(rec, progress_every_s=1.0)
    t = _tracker(clock, save=False).start()
    assert rec.next()[0] == "start"
    handle.remove()
    handle.remove()  # twice is harmless
    clock.advance(5.0)
    t.stop()
    assert rec.drained() == []


def test_a_listener_may_stop_the_tracker_from_its_progress_thread() -> None:
    stopped: queue.Queue[Run] = queue.Queue()

    class Stopper(hooks.TrackerListener):
        def on_progress(self, tracker: Tracker, run: Run) -> None:
            stopped.put(tracker.stop())

    clock = FakeClock()
    with hooks.add_listener(Stopper(), progress_every_s=1.0):
        t = _tracker(clock, save=False).start()
        clock.advance(1.0)
        run = stopped.get(timeout=WAIT_S)
    assert run is t.run and run.status is RunStatus.FINISHED


@pytest.mark.parametrize("every", [0, -1.0, float("nan"), float("inf"), True, "5"])
def test_bad_progress_interval_is_refused(every: Any) -> None:
    with pytest.raises(ConfigError, match="progress_every_s must be a positive number"):
        hooks.add_listener(Recorder(), progress_every_s=every)


def test_an_object_without_the_methods_is_refused() -> None:
    class Half:
        def on_start(self, tracker: Tracker) -> None: ...

    with pytest.raises(ConfigError, match=r"needs an on_progress\(\) method; Half has none"):
        hooks.add_listener(Half())  # type: ignore[arg-type]
