"""The ledger side of a tracker: periodic flushes of the running run, then the final record.

A :class:`Recorder` belongs to one :class:`~wattprint.measure.tracker.Tracker`.
It opens the sink lazily (the ledger given, else a remote collector when
``collector_url`` is set, else the ledger of the ``db`` setting), runs the
flush thread that writes the running record every ``flush_interval_s`` so a
killed process loses at most one interval, and writes the final record. Every
running record carries a heartbeat deadline of three flush intervals
(:attr:`Recorder.stale_after_s`). A tracker of one host's part of a shared
run writes parts (``save_part``) instead of runs. If the final record cannot
be written, the run goes to a JSON fallback file and a
:class:`LedgerFallbackWarning` names its path.

Example::

    recorder = Recorder(settings, ledger=None, clock=SystemClock(), shared=False)
    recorder.start(tracker.snapshot, flushed=lambda run: None)
    ...
    recorder.stop()
    recorder.record(final_run)   # or a fallback file and a warning
    recorder.close()
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from wattprint.clock import Clock
from wattprint.config import Settings
from wattprint.errors import WattprintError
from wattprint.measure.flush import FlushSchedule
from wattprint.model import Run

if TYPE_CHECKING:
    from wattprint.collector import CollectorSink
    from wattprint.store.ledger import Ledger

logger = logging.getLogger(__name__)


class LedgerFallbackWarning(UserWarning):
    """The ledger could not be written; the run was saved to a JSON file instead."""


class Recorder:
    """Writes one tracker's run to its ledger or collector.

    Args:
        settings: The tracker's settings (``db``, ``collector_url``,
            ``flush_interval_s``).
        ledger: Ledger or collector sink to write to; ``None`` opens one from
            the settings at the first write.
        clock: The tracker's clock; the flush thread waits on it.
        shared: Write this host's part of a shared run rather than a run.
        fallback_dir: Where the JSON fallback goes if the final write fails.

    The constructor only stores; :meth:`start` opens the sink and starts the
    flush thread, :meth:`stop` ends it. A failed flush is logged and retried at
    the next interval; only the final :meth:`record` falls back to a file.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        ledger: Ledger | CollectorSink | None,
        clock: Clock,
        shared: bool,
        fallback_dir: Path | None = None,
    ) -> None:
        self._settings = settings
        self._ledger = ledger
        self._clock = clock
        self._shared = shared
        self._fallback_dir = fallback_dir
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None
        self._save_lock = threading.Lock()
        #: The JSON file the run went to when the ledger could not be written.
        self.fallback_path: Path | None = None

    @property
    def stale_after_s(self) -> float:
        """The heartbeat of running records: three flush intervals (s)."""
        return 3.0 * self._settings.flush_interval_s

    def open(self) -> Ledger | CollectorSink:
        """The sink, opened now if it is not yet (collector, else the ``db`` ledger).

        Raises:
            WattprintError: The ledger or collector cannot be opened.
        """
        if self._ledger is None and self._settings.collector_url:
            from wattprint.collector import sink_from_settings

            self._ledger = sink_from_settings(self._settings).open()
        if self._ledger is None:
            from wattprint.store.ledger import Ledger

            ledger = Ledger(self._settings.db)
            ledger.open()
            self._ledger = ledger
        return self._ledger

    def write(self, run: Run) -> None:
        """Write ``run`` (or this host's part of it) with the heartbeat deadline."""
        sink = self.open()
        if self._shared:
            sink.save_part(run, stale_after_s=self.stale_after_s)
        else:
            sink.save_run(run, stale_after_s=self.stale_after_s)

    def start(self, snapshot: Callable[[], Run], *, flushed: Callable[[Run], None]) -> None:
        """Open the sink and start the flush thread.

        Args:
            snapshot: Gives the running run at each flush.
            flushed: Called with each periodic snapshot after its write.
        """
        # Here, after the sampler's first reading (a short command is not
        # missed), not in the flush thread: a CPU-bound main thread holding the
        # GIL can delay a thread's imports and migration by seconds. (A
        # collector sink re-sends its spool in the background.)
        try:
            self.open()
        except WattprintError as exc:
            logger.warning("ledger not opened at start (%s); retried at each write", exc)
        first_due = self._clock.monotonic() + self._settings.flush_interval_s
        self._flusher = threading.Thread(
            target=self._flush_loop,
            args=(first_due, snapshot, flushed),
            name="wattprint-flush",
            daemon=True,
        )
        self._flusher.start()

    def stop(self) -> None:
        """End the flush thread (waits for a write in progress); safe if never started."""
        self._stop.set()
        if self._flusher is not None:
            self._flusher.join()

    def _flush_loop(
        self, first_due: float, snapshot: Callable[[], Run], flushed: Callable[[Run], None]
    ) -> None:
        """Write at once (the run is visible, and can go stale, from the start), then each interval.

        ``first_due`` (monotonic) is set by :meth:`start`, so the schedule does
        not slip by the time the first write takes; :class:`FlushSchedule`
        starts each write early enough to commit within the interval.
        """
        clock = self._clock
        schedule = FlushSchedule(first_due, self._settings.flush_interval_s)
        began = clock.monotonic()
        try:
            self.write(snapshot())
        except WattprintError as exc:
            logger.warning("first write of the running run to the ledger failed: %s", exc)
        schedule.observe(began, clock.monotonic())
        while not clock.wait(self._stop, schedule.wait_s(clock.monotonic())):
            began = clock.monotonic()
            run = snapshot()
            try:
                self.write(run)
            except WattprintError as exc:
                logger.warning("periodic flush to the ledger failed: %s", exc)
            schedule.wrote(began, clock.monotonic())
            flushed(run)

    def record(self, run: Run) -> None:
        """Write the final ``run``; if that fails, save it to a JSON fallback file.

        The fallback's path goes to :attr:`fallback_path` and a
        :class:`LedgerFallbackWarning` names it, attributed to the caller of
        the tracker's ``stop``.
        """
        with self._save_lock:
            try:
                self.write(run)
                return
            except WattprintError as exc:
                reason = str(exc)
            from wattprint.store.serialize import write_fallback

            self.fallback_path = write_fallback(run, self._fallback_dir, part=self._shared)
            warnings.warn(
                f"ledger not written ({reason}); run saved to {self.fallback_path}",
                LedgerFallbackWarning,
                stacklevel=3,  # record <- Tracker.stop <- the user's code
            )

    def close(self) -> None:
        """Close the sink, if one was given or opened."""
        if self._ledger is not None:
            self._ledger.close()
