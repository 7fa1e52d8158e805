"""Run a command under a :class:`~wattprint.measure.tracker.Tracker`: its whole process tree.

Shared by ``wattprint run`` and ``wattprint compare``. :func:`run_command`
starts the command, points the tracker at its pid (the tracker attributes
the process tree), waits for it to exit without reaping it (so its final CPU
times are still readable), reads the metrics it logged, and stops the
tracker, which records the run.

The command gets ``WATTPRINT_METRICS_FILE``, a fresh temporary file that
``wattprint.log_metric`` appends to from inside it; when the command ends the
file is read (the last value per name wins, a malformed line becomes a run
warning), the metrics are stored with the run and the file is deleted.

Signals: called from the main thread, SIGINT/SIGTERM are forwarded to the
command while it runs (SIGINT is not re-sent when it came from the
controlling terminal, which already signalled the command's process group)
and the run is recorded as ``interrupted``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any

from wattprint.errors import ConfigError
from wattprint.measure.metrics import METRICS_FILE_ENV, read_metrics_file
from wattprint.model import Run, RunStatus

if TYPE_CHECKING:
    from wattprint.measure.tracker import Tracker

_FORWARDED = (signal.SIGINT, signal.SIGTERM)

#: Called with the command's pid once the tracker has started.
StartHook = Callable[[int], None]
#: Called with the exit status once the command has exited and its logged
#: metrics are with the tracker, before the tracker stops. A returned text is
#: added to the run's error, and a run that would have finished is ``failed``
#: (a quality metric that could not be read, say).
ExitHook = Callable[[int], "str | None"]


@dataclass(frozen=True)
class CommandResult:
    """How a tracked command ended.

    Attributes:
        returncode: The command's exit status (negative: killed by that signal).
        run: The finished run, as recorded.
        ledger_warnings: Messages of the ledger-fallback warnings raised while
            saving the run (the run went to a JSON file instead).
    """

    returncode: int
    run: Run
    ledger_warnings: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        """The exit status a shell would report (128 + signal for a killed command)."""
        return self.returncode if self.returncode >= 0 else 128 - self.returncode


def run_command(
    cmd: Sequence[str],
    tracker: Tracker,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdout: IO[Any] | None = None,
    stderr: IO[Any] | None = None,
    on_start: StartHook | None = None,
    on_exit: ExitHook | None = None,
) -> CommandResult:
    """Run ``cmd`` to its end under ``tracker`` (not yet started) and record the run.

    Args:
        cmd: The command and its arguments.
        tracker: A tracker that has not started; it is started on the command's pid.
        cwd: Working directory of the command (default: this one).
        env: Variables added to this process's environment for the command.
        stdout: Where the command's standard output goes (default: inherited).
        stderr: Where its standard error goes (default: inherited).
        on_start: See :data:`StartHook`.
        on_exit: See :data:`ExitHook`.

    Returns:
        The exit status and the finished run.

    Raises:
        ConfigError: The command does not exist or is not executable.
    """
    with metrics_file() as metrics_path:
        extra = {**(env or {}), METRICS_FILE_ENV: str(metrics_path)}
        try:
            proc = subprocess.Popen(list(cmd), cwd=cwd, env={**os.environ, **extra},
                                    stdout=stdout, stderr=stderr)
        except FileNotFoundError:
            raise ConfigError(f"command not found: {cmd[0]}") from None
        except PermissionError:
            raise ConfigError(f"command not executable: {cmd[0]}") from None
        received: list[int] = []
        previous = _install_forwarding(proc, received)
        try:
            return _track(proc, tracker, metrics_path, received, on_start, on_exit)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _track(
    proc: subprocess.Popen[bytes], tracker: Tracker, metrics_path: Path, received: list[int],
    on_start: StartHook | None, on_exit: ExitHook | None,
) -> CommandResult:
    from wattprint.measure.tracker import LedgerFallbackWarning

    tracker.pid = proc.pid
    try:
        tracker.start()
    except BaseException:
        proc.kill()  # never leave an untracked child behind
        proc.wait()
        raise
    if on_start is not None:
        on_start(proc.pid)
    returncode = _wait_unreaped(proc)
    _collect_metrics(tracker, metrics_path)
    problem = on_exit(returncode) if on_exit is not None else None
    status = _status(returncode, received)
    error = "" if status is RunStatus.FINISHED else _describe(returncode, received)
    if problem:
        if status is RunStatus.FINISHED:
            status = RunStatus.FAILED
        error = f"{error}: {problem}" if error else problem
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LedgerFallbackWarning)
        # The child is a zombie now: its final CPU times are still readable.
        result = tracker.stop(status, error=error)
    proc.wait()
    return CommandResult(returncode, result, tuple(str(w.message) for w in caught))


@contextlib.contextmanager
def metrics_file() -> Iterator[Path]:
    """A fresh, empty file for a command's metrics, deleted afterwards."""
    fd, name = tempfile.mkstemp(prefix="wattprint-metrics-", suffix=".jsonl")
    os.close(fd)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _collect_metrics(tracker: Tracker, path: Path) -> None:
    """Hand the metrics the command wrote to ``path`` to the tracker; bad lines become a warning."""
    found = read_metrics_file(path)
    for name, value in found.values.items():
        tracker.log_metric(name, value)
    warning = found.warning()
    if warning is not None:
        tracker.add_warning(warning)


def _wait_unreaped(proc: subprocess.Popen[bytes]) -> int:
    """Wait for the child to exit without reaping it; return its exit code.

    Reaping would drop the child's CPU times from /proc before the tracker's
    final reading, losing all the work done since the last sample.
    """
    waitid = getattr(os, "waitid", None)
    if waitid is None:  # pragma: no cover - platforms without waitid
        return proc.wait()
    try:
        info = waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
    except ChildProcessError:
        return proc.wait()
    if info is None:  # pragma: no cover - only with WNOHANG
        return proc.wait()
    if info.si_code == os.CLD_EXITED:
        return int(info.si_status)
    return -int(info.si_status)


def _install_forwarding(
    proc: subprocess.Popen[bytes], received: list[int]
) -> dict[int, signal.Handlers | int | None]:
    # Signal handlers can only be installed from the main thread; elsewhere
    # (a comparison run from a worker thread) the command is not forwarded to.
    if threading.current_thread() is not threading.main_thread():
        return {}

    def forward(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        if signum == signal.SIGINT and _terminal_already_signalled():
            return
        try:
            proc.send_signal(signum)
        except ProcessLookupError:
            pass

    previous = {}
    for sig in _FORWARDED:
        previous[sig] = signal.getsignal(sig)
        signal.signal(sig, forward)
    return previous  # type: ignore[return-value]


def _terminal_already_signalled() -> bool:
    """True when Ctrl-C came from our terminal, which signals the child too."""
    try:
        fd = sys.stdin.fileno()
        return os.isatty(fd) and os.tcgetpgrp(fd) == os.getpgrp()
    except (OSError, ValueError):
        return False


def _status(returncode: int, received: list[int]) -> RunStatus:
    if received or -returncode in _FORWARDED:
        return RunStatus.INTERRUPTED
    return RunStatus.FINISHED if returncode == 0 else RunStatus.FAILED


def _describe(returncode: int, received: list[int]) -> str:
    if received:
        return f"{signal.Signals(received[0]).name} received; command exited with {returncode}"
    if returncode < 0:
        return f"command killed by {signal.Signals(-returncode).name}"
    return f"command exited with {returncode}"
