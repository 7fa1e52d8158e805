from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import numpy as np
import psutil
import pytest

from wattprint.intensity.series import IntensitySeries
from wattprint.schedule.job import Job
from wattprint.schedule.planner import plan
from wattprint.schedule.runner import (
    Cancelled,
    SlotController,
    signal_tree,
    wait_for_start,
)
from wattprint.testing import FakeClock, FakeProvider

T0 = datetime(2023, 3, 1, tzinfo=timezone.utc)
H = 3600


class AutoClock(FakeClock):
    """A fake clock whose waits pass instantly (time jumps to the timeout)."""

    def __init__(self, now: datetime = T0) -> None:
        super().__init__(now=now)
        self.waits: list[float] = []

    def wait(self, event: threading.Event, timeout_s: float) -> bool:
        self.waits.append(timeout_s)
        if event.is_set():
            return True
        self.advance(timeout_s)
        return event.is_set()


def make_plan(values: list[float], hours: float = 1, **kw: object) -> tuple:
    series = IntensitySeries("A", T0, H, np.array(values, dtype=float), source="test")
    job = Job(duration_s=hours * H, zones=("A",), energy_kwh=1.0,
              deadline_utc=T0 + timedelta(hours=len(values)), **kw)  # type: ignore[arg-type]
    return plan(job, {"A": series}, T0), series


def test_waits_until_planned_start_in_check_steps() -> None:
    result, _ = make_plan([500, 400, 300, 100, 500])
    clock = AutoClock()
    seen = []
    outcome = wait_for_start(result, clock=clock, cancel=threading.Event(),
                             check_every_s=1800, on_status=seen.append)
    assert outcome.reason == "planned"
    assert outcome.started_utc == T0 + timedelta(hours=3)
    assert outcome.waited_s == 3 * H
    assert clock.waits == [1800] * 6
    assert seen[0].remaining_s == 3 * H and seen[-1].remaining_s == 1800


def test_threshold_starts_early_when_current_intensity_drops() -> None:
    result, series = make_plan([500, 400, 300, 100, 500], max_intensity_g_per_kwh=350)
    clock = AutoClock()
    provider = FakeProvider({"A": series}, clock=clock)
    outcome = wait_for_start(result, clock=clock, cancel=threading.Event(), provider=provider,
                             threshold_g_per_kwh=350, check_every_s=900)
    assert outcome.reason == "threshold"
    assert outcome.started_utc == T0 + timedelta(hours=2)
    assert outcome.last_g_per_kwh == 300


def test_no_wait_when_now_is_best() -> None:
    result, _ = make_plan([100, 400, 300])
    outcome = wait_for_start(result, clock=AutoClock(), cancel=threading.Event())
    assert outcome.reason == "no-wait" and outcome.waited_s == 0


def test_cancel_while_waiting_raises_cancelled() -> None:
    result, _ = make_plan([500, 400, 300, 100, 500])
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled, match="nothing ran"):
        wait_for_start(result, clock=AutoClock(), cancel=cancel)


def test_slot_controller_pauses_between_slots_and_ends_resumed() -> None:
    result, _ = make_plan([100, 900, 900, 100, 900, 100], hours=3, interruptible=True)
    assert [s.start_utc.hour for s in result.slots] == [0, 3, 5]
    clock = AutoClock()
    calls: list[str] = []
    controller = SlotController(result.slots, clock=clock, pause=lambda: calls.append("pause"),
                                resume=lambda: calls.append("resume"))
    controller.run(threading.Event())
    assert calls == ["pause", "resume", "pause", "resume"]
    assert [(e, t.hour) for e, t in controller.events] == [
        ("pause", 1), ("resume", 3), ("pause", 4), ("resume", 5)]


def test_slot_controller_cancelled_while_paused_resumes() -> None:
    result, _ = make_plan([100, 900, 900, 100], hours=2, interruptible=True)
    calls: list[str] = []

    class StopAfterPause(AutoClock):
        def wait(self, event: threading.Event, timeout_s: float) -> bool:
            if calls == ["pause"]:
                event.set()
            return super().wait(event, timeout_s)

    controller = SlotController(result.slots, clock=StopAfterPause(),
                                pause=lambda: calls.append("pause"),
                                resume=lambda: calls.append("resume"))
    controller.run(threading.Event())
    assert calls == ["pause", "resume"]


def test_signal_tree_stops_and_continues_a_real_process_tree() -> None:
    code = ("import subprocess, sys, time; "
            "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']); "
            "time.sleep(30)")
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        parent = psutil.Process(proc.pid)
        for _ in range(100):
            if parent.children():
                break
            time.sleep(0.05)
        child = parent.children()[0]
        signal_tree(proc.pid, signal.SIGSTOP)
        time.sleep(0.1)
        assert parent.status() == psutil.STATUS_STOPPED
        assert child.status() == psutil.STATUS_STOPPED
        signal_tree(proc.pid, signal.SIGCONT)
        time.sleep(0.1)
        assert parent.status() != psutil.STATUS_STOPPED
        assert child.status() != psutil.STATUS_STOPPED
    finally:
        signal_tree(proc.pid, signal.SIGKILL)
        proc.wait()
