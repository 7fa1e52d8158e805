"""Per-repetition timeouts of ``wattprint compare``: stop a repetition that runs too long.

Two mechanisms, one per kind of variant:

- **Commands**: a :class:`TreeWatchdog` thread waits ``timeout_s`` from the
  moment the command is tracked; if the command is still running it freezes
  (``SIGSTOP``) the command and every descendant, round after round until no
  new process appears, then kills them all (``SIGKILL``). Freezing first means no
  process can fork a child that escapes, and killing rather than asking
  (``SIGTERM``) means a hung process that ignores signals stops too. The
  command's standard output and error go to files, so no pipe keeps a
  grandchild's output waiting.
- **Callables** run in this process, where a thread cannot be killed:
  :func:`deadline` arms ``ITIMER_REAL``, and its ``SIGALRM`` handler raises
  :class:`RepTimeout` in the main thread. It is a ``BaseException`` (like
  ``KeyboardInterrupt``) so a callable's ``except Exception`` does not swallow
  it. Python code is interrupted at its next bytecode, ``time.sleep`` at
  once; a callable stuck inside C code that never returns to Python cannot
  be, so run such a variant as a command. It needs the main thread and a
  platform with ``setitimer`` (see :func:`check_callable_timeouts`), and it
  takes ``SIGALRM`` over while the callable runs.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import TYPE_CHECKING

from wattprint.errors import ConfigError

if TYPE_CHECKING:
    from wattprint.optimise.compare_spec import Variant

__all__ = ["RepTimeout", "TreeWatchdog", "check_callable_timeouts", "deadline", "kill_tree",
           "timed_out_message"]


#: Rounds of "freeze what is new, look again" before killing what was found:
#: only a process that cannot be frozen and keeps forking needs more.
_MAX_ROUNDS = 50


def timed_out_message(timeout_s: float) -> str:
    """``"timed out after 5 s"``: the error of a timed-out repetition."""
    return f"timed out after {timeout_s:g} s"


class RepTimeout(BaseException):
    """Raised in the main thread when a callable repetition passes its ``timeout_s``."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__(timed_out_message(timeout_s))
        self.timeout_s = timeout_s


def kill_tree(pid: int) -> int:
    """Freeze, then kill, process ``pid`` and all its descendants; returns how many were killed.

    Freezes the tree (:func:`~wattprint.schedule.runner.signal_tree`) until a
    round finds no new process, so none forks a child that escapes, then kills
    it. Processes that end meanwhile, or that are not ours to signal, are skipped.
    """
    from wattprint.schedule.runner import signal_tree

    frozen: set[int] = set()
    for _ in range(_MAX_ROUNDS):
        stopped = set(signal_tree(pid, signal.SIGSTOP))
        if stopped <= frozen:
            break
        frozen |= stopped
    return len(signal_tree(pid, signal.SIGKILL))


class TreeWatchdog:
    """Kills a command's process tree once ``timeout_s`` has passed since :meth:`start`.

    Example::

        watchdog = TreeWatchdog(5.0)
        watchdog.start(proc.pid)      # from run_command's start hook
        ...                           # the command exits, or is killed at 5 s
        watchdog.cancel()             # always, before the pid is reaped
        watchdog.fired                # True: it was killed

    The watchdog is a daemon thread waiting on an event; :meth:`cancel` must
    be called before the process is reaped, so a later process with the same
    pid is never signalled.
    """

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.fired = False
        self._cancelled = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, pid: int) -> None:
        """Start counting for process ``pid``."""
        self._thread = threading.Thread(target=self._watch, args=(pid,), daemon=True,
                                        name=f"wattprint-compare-timeout-{pid}")
        self._thread.start()

    def cancel(self) -> None:
        """Stop counting; waits for a kill in progress to finish."""
        self._cancelled.set()
        if self._thread is not None:
            self._thread.join()

    def _watch(self, pid: int) -> None:
        if self._cancelled.wait(self.timeout_s):
            return
        self.fired = True
        kill_tree(pid)


@contextlib.contextmanager
def deadline(timeout_s: float | None) -> Iterator[None]:
    """Raise :class:`RepTimeout` in the block once ``timeout_s`` has passed (None: never).

    Call from the main thread (see :func:`check_callable_timeouts`); the
    previous ``SIGALRM`` handler and timer are restored afterwards.
    """
    if timeout_s is None:
        yield
        return
    armed = [True]

    def ring(signum: int, frame: FrameType | None) -> None:
        if armed[0]:
            raise RepTimeout(timeout_s)

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        armed[0] = False
        signal.signal(signal.SIGALRM, previous)


def check_callable_timeouts(variants: Sequence[Variant]) -> None:
    """Refuse a callable variant with a timeout where :func:`deadline` cannot work.

    Raises:
        ConfigError: Not the main thread, or no ``signal.setitimer`` (Windows).
    """
    timed = [v.name for v in variants if v.callable is not None and v.timeout_s is not None]
    if not timed:
        return
    if not hasattr(signal, "setitimer"):
        raise ConfigError(f"variant {timed[0]!r}: timeout_s of a callable needs "
                          "signal.setitimer, which this platform lacks; run it as a command")
    if threading.current_thread() is not threading.main_thread():
        raise ConfigError(f"variant {timed[0]!r}: timeout_s of a callable works only in the "
                          "main thread (SIGALRM); call compare() from it, or run the variant "
                          "as a command")
