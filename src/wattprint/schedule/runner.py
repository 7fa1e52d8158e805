"""The carbon-aware runner: wait for the planned start, then pause outside slots.

:func:`wait_for_start` blocks until the plan's start (or, in threshold
mode, until the current intensity drops below the threshold), checking the
provider every ``check_every_s`` and reporting each step through a callback
so the CLI can draw a countdown. It waits on an injected clock, so tests
never sleep, and a set ``cancel`` event (Ctrl-C) stops it cleanly.

:class:`SlotController` runs next to an interruptible job: outside the
planned slots it pauses the job's process tree with SIGSTOP and resumes it
with SIGCONT — or, when the user gives hooks, calls them instead (for a
job that prefers to checkpoint and exit).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from wattprint.clock import Clock
from wattprint.errors import ProviderError, WattprintError
from wattprint.intensity.providers.base import IntensityProvider
from wattprint.schedule.job import Plan, Slot

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())


class Cancelled(WattprintError):
    """The user cancelled while waiting; nothing ran."""

    exit_code = 130


@dataclass(frozen=True)
class WaitStatus:
    """One step of the wait, for a progress display."""

    now_utc: datetime
    start_utc: datetime
    remaining_s: float
    waited_s: float
    next_check_utc: datetime | None
    current_g_per_kwh: float | None


@dataclass(frozen=True)
class WaitOutcome:
    """Why and when the wait ended."""

    started_utc: datetime
    waited_s: float
    reason: str  # "planned", "threshold", "no-wait"
    last_g_per_kwh: float | None = None


def wait_for_start(
    plan: Plan,
    *,
    clock: Clock,
    cancel: threading.Event,
    provider: IntensityProvider | None = None,
    threshold_g_per_kwh: float | None = None,
    check_every_s: float = 300.0,
    on_status: Callable[[WaitStatus], None] | None = None,
) -> WaitOutcome:
    """Wait until ``plan.start_utc`` (or earlier when below the threshold).

    Raises:
        Cancelled: ``cancel`` was set while waiting.
    """
    began = clock.now()
    start = plan.start_utc
    current: float | None = None
    while True:
        now = clock.now()
        if threshold_g_per_kwh is not None and provider is not None:
            current = _current(provider, plan.zone)
            if current is not None and current < threshold_g_per_kwh:
                return WaitOutcome(now, (now - began).total_seconds(), "threshold", current)
        remaining = (start - now).total_seconds()
        if remaining <= 0:
            reason = "planned" if (now - began).total_seconds() > 0 else "no-wait"
            return WaitOutcome(now, (now - began).total_seconds(), reason, current)
        step = min(remaining, check_every_s)
        if on_status is not None:
            from datetime import timedelta

            checks = threshold_g_per_kwh is not None and provider is not None
            on_status(WaitStatus(now, start, remaining, (now - began).total_seconds(),
                                 now + timedelta(seconds=step) if checks else None, current))
        if clock.wait(cancel, step):
            raise Cancelled("cancelled while waiting for the planned start; nothing ran")


def _current(provider: IntensityProvider, zone: str) -> float | None:
    try:
        return provider.current(zone).g_per_kwh
    except ProviderError as exc:  # keep waiting for the planned start
        log.warning("cannot read current intensity of %s: %s", zone, exc)
        return None


class SlotController:
    """Pause a running job outside its planned slots.

    Args:
        slots: The plan's slots (UTC).
        clock: Injected clock.
        pause: Called when a slot ends (default: SIGSTOP to the process tree).
        resume: Called when the next slot begins (default: SIGCONT).

    ``run(cancel)`` returns when the last slot has begun (the job then runs
    to completion) or ``cancel`` is set; it always leaves the job resumed.
    """

    def __init__(self, slots: Sequence[Slot], *, clock: Clock,
                 pause: Callable[[], None], resume: Callable[[], None]) -> None:
        self.slots = tuple(slots)
        self.clock = clock
        self.pause = pause
        self.resume = resume
        self.paused = False
        self.events: list[tuple[str, datetime]] = []

    def run(self, cancel: threading.Event) -> None:
        """Toggle pause/resume at slot boundaries until the last slot starts."""
        try:
            for current, following in zip(self.slots, self.slots[1:], strict=False):
                if self._sleep_until(current.end_utc, cancel):
                    return
                self._set(paused=True)
                if self._sleep_until(following.start_utc, cancel):
                    return
                self._set(paused=False)
        finally:
            if self.paused:
                self._set(paused=False)

    def _sleep_until(self, when: datetime, cancel: threading.Event) -> bool:
        remaining = (when - self.clock.now()).total_seconds()
        return remaining > 0 and self.clock.wait(cancel, remaining)

    def _set(self, *, paused: bool) -> None:
        (self.pause if paused else self.resume)()
        self.paused = paused
        self.events.append(("pause" if paused else "resume", self.clock.now()))


def signal_tree(pid: int, signum: int) -> list[int]:
    """Send ``signum`` to ``pid`` and all its descendants (children first for SIGSTOP).

    Returns the pids signalled; processes gone meanwhile, or not ours, are skipped.
    """
    import psutil  # type: ignore[import-untyped, unused-ignore]

    try:
        root = psutil.Process(pid)
        family = [*root.children(recursive=True), root]
    except psutil.NoSuchProcess:
        return []
    if signum == signal.SIGCONT:
        family.reverse()  # wake the parent first so it can reap promptly
    signalled = []
    for proc in family:
        try:
            os.kill(proc.pid, signum)
        except (ProcessLookupError, PermissionError):
            continue
        signalled.append(proc.pid)
    return signalled


def hook_runner(command: str, event: str, pid: int) -> Callable[[], None]:
    """A pause/resume callback that runs the user's hook with the event in its env."""
    import shlex
    import subprocess

    def call() -> None:
        env = {**os.environ, "WATTPRINT_EVENT": event, "WATTPRINT_CHILD_PID": str(pid)}
        result = subprocess.run(shlex.split(command), env=env, check=False)
        if result.returncode != 0:
            log.warning("%s hook exited with %s", event, result.returncode)

    return call
