"""Quality metrics of a run: ``wattprint.log_metric`` and the metrics file.

A run carries the final value of each quality metric the user logs
(``accuracy``, ``bleu``, ``loss``), so energy and emissions can be put per
unit of metric. Where a metric goes::

    import wattprint

    wattprint.log_metric("accuracy", 0.973)

1. to the innermost :class:`~wattprint.measure.tracker.Tracker` active in
   this process (started and not yet stopped, in any thread);
2. else, when ``WATTPRINT_METRICS_FILE`` is set (``wattprint run`` sets it
   for its command), one JSON line ``{"name": ..., "value": ...}`` is
   appended to that file, which ``wattprint run`` reads when the command
   ends (the last value per name wins);
3. else :class:`~wattprint.errors.WattprintError` says no tracker is active.

A name must be non-empty text and a value a finite real number (``bool``
is not one; call ``.item()`` on a tensor); anything else is a
:class:`~wattprint.errors.ConfigError` naming the metric. This module
imports nothing heavy, so a script that only logs metrics stays light.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from wattprint.errors import ConfigError, WattprintError

#: Environment variable naming the file ``log_metric`` appends to without a tracker.
METRICS_FILE_ENV = "WATTPRINT_METRICS_FILE"
#: At most this many bad lines of a metrics file are quoted in the run warning.
_QUOTED_PROBLEMS = 3


class MetricSink(Protocol):
    """What ``log_metric`` hands a metric to: a started :class:`Tracker`."""

    def log_metric(self, name: str, value: float) -> None:
        """Record the metric's latest value."""


class _ActiveSinks:
    """The trackers started and not yet stopped in this process, oldest first.

    Process-wide state by necessity: ``wattprint.log_metric`` takes no tracker
    argument, so it needs a registry, as :mod:`logging` does. It is empty at
    import and only trackers' ``start``/``stop`` change it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sinks: list[MetricSink] = []

    def push(self, sink: MetricSink) -> None:
        with self._lock:
            self._sinks.append(sink)

    def remove(self, sink: MetricSink) -> None:
        with self._lock:
            # Trackers may stop out of order; remove this one wherever it is.
            self._sinks = [s for s in self._sinks if s is not sink]

    def innermost(self) -> MetricSink | None:
        with self._lock:
            return self._sinks[-1] if self._sinks else None


_ACTIVE = _ActiveSinks()


def activate(sink: MetricSink) -> None:
    """Make ``sink`` the innermost target of :func:`log_metric` (``Tracker.start``)."""
    _ACTIVE.push(sink)


def deactivate(sink: MetricSink) -> None:
    """Stop sending metrics to ``sink`` (``Tracker.stop``); unknown sinks are ignored."""
    _ACTIVE.remove(sink)


def active_sink() -> MetricSink | None:
    """The innermost active tracker, or None."""
    return _ACTIVE.innermost()


def check_metric(name: object, value: object) -> tuple[str, float]:
    """Validate a metric; returns ``(name, float(value))``.

    Raises:
        ConfigError: ``name`` is not non-empty text, or ``value`` is not a
            finite real number; the message names the metric.
    """
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"metric name must be non-empty text, got {name!r}")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(
            f"metric {name!r}: value must be a finite number, got {type(value).__name__} "
            f"{value!r}"
        )
    number = float(value)
    if not math.isfinite(number):
        raise ConfigError(f"metric {name!r}: value must be a finite number, got {number}")
    return name, number


class MetricLog:
    """The last value per metric name of one run; thread-safe, closed when the run stops."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, float] = {}
        self._closed = False

    def put(self, name: object, value: object, *, run: str) -> None:
        """Validate and record a value, replacing any earlier one of that name.

        Raises:
            ConfigError: See :func:`check_metric`.
            WattprintError: The log is closed (run ``run`` has stopped).
        """
        name, number = check_metric(name, value)
        with self._lock:
            if self._closed:
                raise WattprintError(
                    f"metric {name!r} not recorded: run {run} has already stopped; "
                    "log metrics before the tracker stops"
                )
            self._values.pop(name, None)  # keep the order of last logging
            self._values[name] = number

    def close(self) -> None:
        """Refuse further values."""
        with self._lock:
            self._closed = True

    def values(self) -> dict[str, float]:
        """A copy of the values logged so far."""
        with self._lock:
            return dict(self._values)


def log_metric(name: str, value: float) -> None:
    """Log the latest value of a quality metric for the current run.

    Goes to the innermost active :class:`~wattprint.measure.tracker.Tracker`,
    else to the file in ``WATTPRINT_METRICS_FILE`` (set by ``wattprint run``).
    Logging a name again replaces its value: a run keeps the final one.

    Example::

        with wattprint.Tracker(project="vision", model="resnet50"):
            accuracy = train()
            wattprint.log_metric("accuracy", accuracy)

    Args:
        name: Metric name (``"accuracy"``), non-empty.
        value: Its value, a finite real number.

    Raises:
        ConfigError: Empty name or a value that is not a finite number.
        WattprintError: No tracker is active and ``WATTPRINT_METRICS_FILE`` is
            not set, or that file cannot be written.
    """
    name, number = check_metric(name, value)
    sink = active_sink()
    if sink is not None:
        sink.log_metric(name, number)
        return
    path = os.environ.get(METRICS_FILE_ENV, "").strip()
    if not path:
        raise WattprintError(
            f"cannot log metric {name!r}: no wattprint tracker is active in this process "
            f"and {METRICS_FILE_ENV} is not set; log inside `with wattprint.Tracker(...)` "
            "or run the script under `wattprint run -- ...`"
        )
    append_metric(Path(path), name, number)


def append_metric(path: Path, name: str, value: float) -> None:
    """Append one ``{"name", "value"}`` JSON line to the metrics file ``path``.

    One ``write`` on a file opened for appending, so lines from several
    processes (data-parallel ranks) do not interleave.

    Raises:
        WattprintError: The file cannot be written.
    """
    line = json.dumps({"name": name, "value": value}) + "\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)
    except OSError as e:
        raise WattprintError(
            f"cannot log metric {name!r} to {path} ({METRICS_FILE_ENV}): {e.strerror or e}"
        ) from e


@dataclass(frozen=True)
class MetricsFile:
    """What a metrics file held: the last value per name, and the lines it ignored."""

    values: Mapping[str, float] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    def warning(self) -> str | None:
        """One run warning summing up the ignored lines, or None when there were none."""
        if not self.problems:
            return None
        quoted = "; ".join(self.problems[:_QUOTED_PROBLEMS])
        more = len(self.problems) - _QUOTED_PROBLEMS
        tail = f"; and {more} more" if more > 0 else ""
        return f"metrics: ignored {len(self.problems)} malformed line(s) ({quoted}{tail})"


def read_metrics_file(path: Path) -> MetricsFile:
    """Read a metrics file written by :func:`append_metric`; never raises.

    Blank lines are skipped; a line that is not a JSON object with a valid
    ``name`` and ``value`` is reported in ``problems`` and otherwise ignored.
    A missing file means no metrics.
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return MetricsFile()
    except OSError as e:
        return MetricsFile(problems=(f"cannot read {path}: {e.strerror or e}",))
    values: dict[str, float] = {}
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            name, value = _parse_line(line)
        except (ValueError, ConfigError) as e:
            problems.append(f"line {number}: {e}")
            continue
        values.pop(name, None)  # keep the order of last logging
        values[name] = value
    return MetricsFile(values, tuple(problems))


def _parse_line(line: str) -> tuple[str, float]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON ({e.msg})") from None
    if not isinstance(record, dict) or "name" not in record or "value" not in record:
        raise ValueError('expected {"name": ..., "value": ...}')
    return check_metric(record["name"], record["value"])
