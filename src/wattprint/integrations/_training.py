"""What the training callbacks share: one tracked run, its phases, figures for the logs.

The framework callbacks (:mod:`wattprint.integrations.transformers`,
:mod:`wattprint.integrations.lightning`, :mod:`wattprint.integrations.keras`)
map their framework's hooks onto a :class:`TrainingRun`; this module imports
no framework.

A :class:`TrainingRun` either owns its trackers (one per ``begin``/``end``,
recorded in the ledger at ``end``) or borrows a tracker the caller started
(``tracker=``), in which case it only opens phases, logs metrics and reads
figures, and the caller stops the tracker. Phases are contiguous spans, one
open at a time, so they never overlap and each is one record in the ledger.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import math
import numbers
import sys
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING

from wattprint.errors import ConfigError
from wattprint.model import Run, RunStatus
from wattprint.units import kwh_to_j

if TYPE_CHECKING:
    from wattprint.measure.tracker import Tracker
    from wattprint.store.ledger import Ledger

logger = logging.getLogger(__name__)

#: The keys the callbacks add to their framework's logs.
FIGURE_KEYS = ("energy_kwh", "co2e_kg", "power_w")

#: ``power_w`` covers at least this long: over shorter windows the CPU model's
#: CPU-time ticks (10 ms) and the counters' update steps dominate the figure.
POWER_WINDOW_S = 1.0

#: Why a run still open when the process exits is recorded as failed.
_EXITED = "the process exited before training ended"


def outcome(exc: BaseException | None) -> tuple[RunStatus, str]:
    """Status and error text of a run that ended with ``exc`` (None: finished)."""
    if exc is None:
        return RunStatus.FINISHED, ""
    if isinstance(exc, KeyboardInterrupt):
        return RunStatus.INTERRUPTED, "KeyboardInterrupt"
    return RunStatus.FAILED, f"{type(exc).__name__}: {exc}"


def as_metric(value: object) -> float | None:
    """``value`` as a finite float (plain numbers, one-element tensors/arrays), else None."""
    item = getattr(value, "item", None)
    if callable(item):  # a tensor, a NumPy array or scalar
        try:
            value = item()
        except (ValueError, RuntimeError):  # NumPy, torch: more than one element
            return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


class TrainingRun:
    """The run a training callback records: start, phases, live figures, metrics, stop.

    Args:
        integration: Name of the framework, added as the tag
            ``integration:<name>`` to the runs it records.
        project: Project of the runs (default: settings).
        model: Model name (default: what the callback derives from the model).
        experiment: Free-form experiment name.
        tags: Labels of the runs.
        zone: Grid zone id (default: settings, then wattprint's resolution).
        pue: Power usage effectiveness (default per provider, else 1.0).
        interval_s: Sampling interval of the tracker (default 1 s).
        ledger: Ledger to record into (default: from settings).
        tracker: A started tracker to attribute phases and metrics to instead
            of starting one; its owner stops it. Excludes the other options.

    Raises:
        ConfigError: ``tracker`` given together with tracker options.
    """

    def __init__(
        self,
        integration: str,
        *,
        project: str | None = None,
        model: str | None = None,
        experiment: str = "",
        tags: Sequence[str] = (),
        zone: str | None = None,
        pue: float | None = None,
        interval_s: float | None = None,
        ledger: Ledger | None = None,
        tracker: Tracker | None = None,
    ) -> None:
        given = [name for name, value in (
            ("project", project), ("model", model), ("experiment", experiment or None),
            ("tags", tuple(tags) or None), ("zone", zone), ("pue", pue),
            ("interval_s", interval_s), ("ledger", ledger)) if value is not None]
        if tracker is not None and given:
            raise ConfigError(
                f"pass either tracker= (a tracker you started) or tracker options, not both "
                f"(got {', '.join(given)}); set them on your Tracker instead"
            )
        if isinstance(tags, str):
            raise ConfigError(f"tags must be a list of labels, got the text {tags!r}")
        self.integration = integration
        self._project, self._model, self._experiment = project, model, experiment
        self._tags = (*tags, f"integration:{integration}")
        self._zone, self._pue, self._interval_s, self._ledger = zone, pue, interval_s, ledger
        self._borrowed = tracker
        self._own: Tracker | None = None
        self._phase: str | None = None
        self._open: contextlib.AbstractContextManager[None] | None = None
        self._points: list[tuple[float, float]] = [(0.0, 0.0)]  # (run s, IT J) at figures()
        #: Between ``begin`` and ``end`` (own or borrowed tracker).
        self.running = False
        self.runs: list[Run] = []

    # -- life cycle -------------------------------------------------------
    @property
    def tracker(self) -> Tracker | None:
        """The tracker figures go to now: the borrowed one, or the running own one."""
        return self._borrowed if self._borrowed is not None else self._own

    @property
    def active(self) -> bool:
        """Whether phases, figures and metrics have a tracker to go to."""
        return self.tracker is not None

    @property
    def phase(self) -> str | None:
        """The phase open now, if any."""
        return self._phase

    def begin(self, default_model: str, *, stale: str = "") -> None:
        """Start a tracker of our own (nothing to start when one was borrowed).

        Args:
            default_model: Model name when none was given.
            stale: Error text for a run of ours that is still open (its
                framework never signalled its end): that run is recorded as
                failed first.
        """
        if self.running:
            self.end(RunStatus.FAILED, stale or "a new run began before this one ended")
        self._points = [(0.0, 0.0)]
        self.running = True
        if self._borrowed is not None:
            return
        from wattprint.measure.tracker import Tracker

        self._own = Tracker(
            project=self._project,
            model=self._model if self._model is not None else default_model,
            experiment=self._experiment,
            tags=self._tags,
            zone=self._zone,
            pue=self._pue,
            interval_s=self._interval_s,
            ledger=self._ledger,
        ).start()
        atexit.register(self._at_exit)

    def end(self, status: RunStatus = RunStatus.FINISHED, error: str = "") -> Run | None:
        """Close the open phase; stop and record our own tracker (returns its run).

        With a borrowed tracker the status is its owner's to set; nothing is stopped.
        """
        self.switch(None)
        self.running = False
        tracker, self._own = self._own, None
        if tracker is None:
            return None
        atexit.unregister(self._at_exit)
        try:
            run = tracker.stop(status, error)
        finally:
            if self._ledger is None:
                tracker.close_ledger()  # the tracker opened it from the settings
        self.runs.append(run)
        return run

    def _at_exit(self) -> None:
        # The framework never called its end hook: an uncaught exception
        # (``sys.last_value`` is set once the interpreter has printed it) or an
        # exit from inside the loop. Record the run rather than leave it running.
        exc = getattr(sys, "last_value", None)
        status, error = outcome(exc if isinstance(exc, BaseException) else None)
        if status is RunStatus.FINISHED:
            status, error = RunStatus.FAILED, _EXITED
        self.end(status, error)

    # -- phases, figures, metrics -----------------------------------------
    def switch(self, phase: str | None) -> None:
        """Close the open phase and open ``phase`` (None: leave none open)."""
        if phase == self._phase:
            return
        if self._open is not None:
            opened, self._open, self._phase = self._open, None, None
            opened.__exit__(None, None, None)
        tracker = self.tracker
        if phase is not None and tracker is not None:
            opened = tracker.phase(phase)
            opened.__enter__()
            self._open, self._phase = opened, phase

    def figures(self) -> dict[str, float]:
        """``energy_kwh`` and ``co2e_kg`` so far, ``power_w`` since the previous call.

        ``power_w`` is the mean IT power (devices, before PUE) since the
        previous call, or since the run began; a window shorter than
        :data:`POWER_WINDOW_S` reaches back to an earlier call to cover it.
        """
        tracker = self.tracker
        if tracker is None:
            return {}
        now = tracker.snapshot()
        t_s, it_j = now.duration_s, kwh_to_j(now.footprint.it_energy_kwh)
        wide = [i for i, (t0, _) in enumerate(self._points) if t_s - t0 >= POWER_WINDOW_S]
        start = wide[-1] if wide else 0
        t0, j0 = self._points[start]
        power_w = (it_j - j0) / (t_s - t0) if t_s > t0 else 0.0
        self._points = [*self._points[start:], (t_s, it_j)]
        return {"energy_kwh": now.energy_kwh, "co2e_kg": now.co2e_kg, "power_w": power_w}

    def log_metrics(self, values: Mapping[str, object], *, skip: Sequence[str] = ()) -> None:
        """Record each finite scalar of ``values`` as a metric of the run.

        Our own figure keys, the names in ``skip`` and values that are not a
        finite scalar (text, lists, NaN) are left out.
        """
        tracker = self.tracker
        if tracker is None:
            return
        for name, value in values.items():
            number = as_metric(value)
            if number is None or name in FIGURE_KEYS or name in skip:
                continue
            tracker.log_metric(name, number)


class CallbackRuns:
    """What every training callback offers over its :class:`TrainingRun` ``_fit``.

    The runs it recorded, the tracker measuring now, and the context manager
    that records a run as failed (``interrupted`` for Ctrl-C) when training
    raises past a framework that has no exception hook.
    """

    _fit: TrainingRun

    @property
    def run(self) -> Run | None:
        """The last run this callback recorded (None before the first ends)."""
        return self._fit.runs[-1] if self._fit.runs else None

    @property
    def runs(self) -> list[Run]:
        """Every run this callback recorded, oldest first."""
        return list(self._fit.runs)

    @property
    def tracker(self) -> Tracker | None:
        """The tracker measuring now (during training, or the one passed in)."""
        return self._fit.tracker

    def __enter__(self) -> CallbackRuns:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fit.running:  # training left without its end hook
            self._fit.end(*outcome(exc))
