"""Local executor: wait for the planned start on this machine, then run the command.

A thin shell: the waiting is :func:`wattprint.schedule.runner.wait_for_start`
on an injected clock (so tests never sleep, and setting ``cancel`` stops the
wait cleanly); the command then runs as a child process with this process'
stdin, stdout and stderr. It is *not* measured here: ``wattprint run --when
green`` is the tracked, carbon-aware way to run locally, and it also pauses
interruptible jobs between slots; a plan with several slots is refused here.
"""

from __future__ import annotations

import shlex
import subprocess
import threading
from collections.abc import Sequence

from wattprint.clock import Clock, SystemClock
from wattprint.errors import ConfigError, PlanError
from wattprint.schedule.executors.base import ExecutorStatus, Submission
from wattprint.schedule.job import Plan
from wattprint.store.serialize import format_utc


class LocalExecutor:
    """Run a planned command on this machine at the plan's start.

    Args:
        clock: Clock to wait on (default: the system clock).
        cancel: Set it (from a signal handler, say) to stop waiting; the
            wait then raises ``Cancelled`` and nothing runs.
    """

    name = "local"

    def __init__(self, *, clock: Clock | None = None, cancel: threading.Event | None = None
                 ) -> None:
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._cancel = cancel if cancel is not None else threading.Event()

    def submit(self, plan: Plan, command: Sequence[str], *, dry_run: bool = False) -> Submission:
        """Wait until the planned start, run ``command`` and wait for it to exit.

        Raises:
            ConfigError: No command, or the command is not found.
            PlanError: The plan has several slots.
            Cancelled: ``cancel`` was set while waiting.
        """
        if not command:
            raise ConfigError("local executor: give the command to run (-- CMD ARGS)")
        if len(plan.slots) > 1:
            raise PlanError(
                f"the local executor runs a job in one piece, but this plan has "
                f"{len(plan.slots)} slots; use `wattprint run --when green` for interruptible jobs"
            )
        argv = tuple(command)
        start = format_utc(plan.start_utc)
        if dry_run:
            return Submission("local", argv, True, plan.zone, plan.start_utc,
                              message=f"dry run: would wait until {start}, then run "
                                      f"{shlex.join(argv)}")
        from wattprint.schedule.runner import wait_for_start

        wait_for_start(plan, clock=self._clock, cancel=self._cancel)
        try:
            child = subprocess.Popen(argv)
        except FileNotFoundError as e:
            raise ConfigError(f"command not found: {argv[0]}") from e
        code = child.wait()
        return Submission("local", argv, False, plan.zone, plan.start_utc,
                          job_id=str(child.pid), exit_code=code,
                          message=f"ran {shlex.join(argv)} from {start}; exit code {code}")

    def probe(self) -> ExecutorStatus:
        """Always available."""
        return ExecutorStatus("local", True)
