"""What the Prometheus exporter reads: runs (ledger, this process's trackers) and intensity.

No ``prometheus_client`` here: these sources return plain values
(:class:`RunFigures`, :class:`~wattprint.model.Intensity`) that
:class:`~wattprint.integrations.prometheus.WattprintCollector` turns into
metric families. Run sources are bounded by a :class:`RunWindow`, so the
number of series stays small however many runs the ledger holds.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from wattprint.clock import Clock, SystemClock
from wattprint.errors import ConfigError, WattprintError
from wattprint.model import Intensity, Run

if TYPE_CHECKING:
    from wattprint.intensity.providers.base import IntensityProvider
    from wattprint.measure.tracker import Tracker
    from wattprint.store.ledger import Ledger

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())


@dataclass(frozen=True)
class RunFigures:
    """What the exporter shows of one run."""

    run_id: str
    project: str
    model: str
    status: str
    energy_kwh: float
    co2e_kg: float
    duration_s: float

    @classmethod
    def of(cls, run: Run) -> RunFigures:
        """The figures of a :class:`~wattprint.model.Run`."""
        return cls(run.id, run.project, run.model, run.status.value, run.energy_kwh,
                   run.co2e_kg, run.duration_s)


@dataclass(frozen=True)
class RunWindow:
    """Which runs are exported, so the number of series stays bounded.

    Attributes:
        window_s: A finished, failed or interrupted run is shown this long after it ended.
        stale_after_s: A ``running`` run whose record is older than this is
            left out (its process died without recording an end).
        max_runs: At most this many runs per scrape: running first, then newest.
    """

    window_s: float = 3600.0
    stale_after_s: float = 900.0
    max_runs: int = 200

    def __post_init__(self) -> None:
        if self.window_s < 0 or self.stale_after_s <= 0 or self.max_runs < 1:
            raise ConfigError(f"run window needs window_s >= 0, stale_after_s > 0 and "
                              f"max_runs >= 1, got {self}")


class RunSource(Protocol):
    """Where run figures come from (the ledger, the trackers of this process)."""

    def runs(self) -> Sequence[RunFigures]:
        """The runs to show now; may raise :class:`~wattprint.errors.LedgerError`."""
        ...


class LedgerRuns:
    """Running and recently ended runs from the ledger, in one SQL query per scrape.

    The query (:mod:`wattprint.store.recent`) reads index ranges only: running
    runs by status, ended ones by ``ended_utc`` (``ix_runs_ended``).

    Args:
        ledger: An open ledger (any process's trackers flush into it).
        window: Which runs to show.
        clock: Source of "now" for the window.
    """

    def __init__(self, ledger: Ledger, *, window: RunWindow | None = None,
                 clock: Clock | None = None) -> None:
        self._ledger = ledger
        self._window = window or RunWindow()
        self._clock = clock or SystemClock()

    def runs(self) -> list[RunFigures]:
        """Runs inside the window, running first, then by start time, newest first."""
        from wattprint.store.recent import recent_runs

        w = self._window
        with self._ledger.reading() as conn:
            rows = recent_runs(conn, self._clock.now(), stale_after_s=w.stale_after_s,
                               window_s=w.window_s, limit=w.max_runs)
        return [RunFigures(*row) for row in rows]


class TrackerRuns:
    """Live figures of the trackers of this process, and of those that ended recently.

    A watched tracker that has not stopped is shown from its
    :meth:`~wattprint.measure.tracker.Tracker.snapshot` (no extra sensor
    read); once stopped, its recorded run is shown for ``window.window_s``
    and then forgotten. It is also a tracker listener
    (:func:`wattprint.measure.hooks.add_listener`): registered, it watches
    every tracker that starts.
    """

    def __init__(self, *, window: RunWindow | None = None, clock: Clock | None = None) -> None:
        self._window = window or RunWindow()
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._trackers: list[Tracker] = []

    def watch(self, tracker: Tracker) -> None:
        """Show ``tracker``'s run (started or about to start)."""
        with self._lock:
            if all(t is not tracker for t in self._trackers):
                self._trackers.append(tracker)

    # A tracker listener (wattprint.measure.hooks): every tracker started is watched.
    def on_start(self, tracker: Tracker) -> None:
        """Watch a tracker that just started."""
        self.watch(tracker)

    def on_progress(self, tracker: Tracker, run: Run) -> None:
        """Nothing: scrapes take their own snapshot."""

    def on_stop(self, tracker: Tracker, run: Run) -> None:
        """Nothing: the stopped tracker's run is shown until the window passes."""

    def runs(self) -> list[RunFigures]:
        """Running trackers first, then runs that ended inside the window."""
        live: list[RunFigures] = []
        ended: list[tuple[Run, Tracker]] = []
        horizon = self._clock.now() - timedelta(seconds=self._window.window_s)
        with self._lock:
            trackers = list(self._trackers)
        for tracker in trackers:
            run = tracker.run
            if run is not None:
                ended.append((run, tracker))
                continue
            try:
                live.append(RunFigures.of(tracker.snapshot(sample=False)))
            except WattprintError:
                continue  # not started yet
        expired = {id(t) for run, t in ended if run.ended_utc is None or run.ended_utc < horizon}
        with self._lock:
            self._trackers = [t for t in self._trackers if id(t) not in expired]
        kept = sorted((r for r, t in ended if id(t) not in expired),
                      key=lambda r: r.started_utc, reverse=True)
        return [*live, *(RunFigures.of(r) for r in kept)][: self._window.max_runs]


class CombinedRuns:
    """The watched trackers' runs, then the ledger's; a run in both shows its live figure."""

    def __init__(self, ledger: LedgerRuns | None, trackers: TrackerRuns, max_runs: int) -> None:
        self._ledger, self._trackers, self._max = ledger, trackers, max_runs

    def runs(self) -> list[RunFigures]:
        """Both sources' runs, each once, at most ``max_runs``."""
        live = self._trackers.runs()
        seen = {r.run_id for r in live}
        stored = self._ledger.runs() if self._ledger is not None else []
        return [*live, *(r for r in stored if r.run_id not in seen)][: self._max]


class GridIntensity:
    """The current intensity of one zone from a provider, asked at most every ``ttl_s``.

    A provider failure keeps the last value (or none) and is logged; a
    scrape never fails because of it.

    Args:
        provider: Where the figure comes from (the configured chain, a fake).
        zone: The zone shown in the ``zone`` label.
        ask_zone: The zone to ask the provider for (a cloud region's grid zone).
        clock: Its monotonic time spaces the questions.
        ttl_s: Seconds a figure is reused.
    """

    def __init__(self, provider: IntensityProvider, zone: str, *, ask_zone: str | None = None,
                 clock: Clock | None = None, ttl_s: float = 300.0) -> None:
        self.provider = provider
        self.zone = zone
        self._ask = ask_zone or zone
        self._clock = clock or SystemClock()
        self._ttl_s = ttl_s
        self._lock = threading.Lock()
        self._value: Intensity | None = None
        self._asked_at: float | None = None

    def current(self) -> Intensity | None:
        """The cached figure, refreshed when older than ``ttl_s``."""
        with self._lock:
            t = self._clock.monotonic()
            if self._asked_at is not None and t - self._asked_at < self._ttl_s:
                return self._value
            self._asked_at = t
            try:
                self._value = self.provider.current(self._ask)
            except WattprintError as exc:
                logger.warning("grid intensity of %s unavailable: %s", self._ask, exc)
            return self._value


def grid_zone(zone: str) -> str:
    """The zone a provider is asked for: a cloud region's grid zone, else the zone itself."""
    from wattprint.intensity.zones import load_catalog

    found = load_catalog().get(zone)  # unknown zone -> UnknownZoneError with close matches
    return found.grid_zone if found.kind == "cloud" and found.grid_zone else found.id


def resolve_zone(zone: str | None) -> str:
    """``zone``, else the zone a tracker here would use (env, config, cloud, time zone)."""
    from wattprint.config import load_settings
    from wattprint.intensity.resolve import resolve_zone as resolve

    settings = load_settings({"zone": zone})
    explicit = settings.zone if settings.source_of("zone") == "argument" else None
    config = settings.zone if settings.source_of("zone") not in ("argument", "env") else None
    return resolve(explicit, env=os.environ, config_zone=config,
                   metadata=settings.cloud_metadata).zone
