"""Listeners on every tracker's life cycle: start, progress, stop.

An integration that must see trackers it did not create (MLflow's
``autolog``, an exporter) registers a listener; every
:class:`~wattprint.measure.tracker.Tracker` started afterwards calls it::

    from wattprint.measure import hooks

    class Printer(hooks.TrackerListener):
        def on_stop(self, tracker, run):
            print(f"{run.id[:8]}: {run.energy_kwh:.6f} kWh")

    handle = hooks.add_listener(Printer())
    ...                  # every tracker that starts from now on is reported
    handle.remove()      # or: with hooks.add_listener(Printer()): ...

When each method is called, for one tracker:

* ``on_start(tracker)``: in the thread that called ``start()``, once the
  zone is resolved and the sampler runs (``tracker.id``, ``project``, ``tags``
  are set; the figures are still zero).
* ``on_progress(tracker, run)``: ``run`` is a snapshot (status ``running``).
  By default after each periodic ledger flush, in the ``wattprint-flush``
  thread: every ``flush_interval_s``, and only for trackers that save. A
  listener added with ``progress_every_s`` is called instead every that many
  seconds on the tracker's clock, from a ``wattprint-progress`` thread of
  its own that ends before the sampler stops.
* ``on_stop(tracker, run)``: in the thread that called ``stop()``, after the
  run is recorded, with the finished :class:`~wattprint.model.Run`.

A listener may stop the tracker from a ``progress_every_s`` call, not from
a flush-driven one (``stop()`` waits for the flush thread). Calls for one
tracker and listener never overlap; listeners called by
trackers in several threads must be thread-safe. A tracker calls the
listeners registered when it started; :meth:`ListenerHandle.remove` takes
effect at once (no further calls). An exception from a listener is logged
with its traceback and never reaches the tracker. The registry is
process-wide by necessity, like :mod:`logging`'s: the trackers to observe
are created by code that does not know the listener. It is empty at import.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from wattprint.errors import ConfigError

if TYPE_CHECKING:
    from wattprint.clock import Clock
    from wattprint.measure.tracker import Tracker
    from wattprint.model import Run

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())


class TrackerListener(Protocol):
    """What a tracker calls; subclass it to inherit no-op methods.

    Any object with these three methods is a listener.
    """

    def on_start(self, tracker: Tracker) -> None:
        """The tracker has started."""
        return None  # a body, so subclasses inherit a no-op (not an abstract method)

    def on_progress(self, tracker: Tracker, run: Run) -> None:
        """The figures so far: ``run`` is a snapshot with status ``running``."""
        return None

    def on_stop(self, tracker: Tracker, run: Run) -> None:
        """The tracker has stopped and recorded ``run``."""
        return None


@dataclass(eq=False)
class _Entry:
    listener: TrackerListener
    progress_every_s: float | None
    active: bool = True


class ListenerHandle:
    """Returned by :func:`add_listener`; ``remove()`` (or leaving ``with``) unregisters."""

    def __init__(self, entry: _Entry, registry: _Registry) -> None:
        self._entry = entry
        self._registry = registry

    @property
    def active(self) -> bool:
        """Whether the listener is still registered."""
        return self._entry.active

    def remove(self) -> None:
        """Stop calling the listener, at once; removing twice is harmless."""
        self._registry.discard(self._entry)

    def __enter__(self) -> ListenerHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()


class _Registry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []

    def add(self, entry: _Entry) -> None:
        with self._lock:
            self._entries.append(entry)

    def discard(self, entry: _Entry) -> None:
        with self._lock:
            entry.active = False
            self._entries = [e for e in self._entries if e is not entry]

    def current(self) -> list[_Entry]:
        with self._lock:
            return list(self._entries)


_REGISTRY = _Registry()


def add_listener(
    listener: TrackerListener, *, progress_every_s: float | None = None
) -> ListenerHandle:
    """Call ``listener`` for every tracker started from now on.

    Args:
        listener: An object with ``on_start``, ``on_progress`` and ``on_stop``.
        progress_every_s: Call ``on_progress`` every this many seconds (on
            the tracker's clock) instead of after each ledger flush.

    Returns:
        A handle whose ``remove()`` unregisters the listener.

    Raises:
        ConfigError: ``progress_every_s`` is not a positive number.
    """
    if progress_every_s is not None:
        if (
            isinstance(progress_every_s, bool)
            or not isinstance(progress_every_s, (int, float))
            or not math.isfinite(progress_every_s)
            or progress_every_s <= 0
        ):
            raise ConfigError(
                f"progress_every_s must be a positive number of seconds, got {progress_every_s!r}"
            )
        progress_every_s = float(progress_every_s)
    for method in ("on_start", "on_progress", "on_stop"):
        if not callable(getattr(listener, method, None)):
            raise ConfigError(
                f"a tracker listener needs an {method}() method; {type(listener).__name__} has "
                "none (subclass wattprint.measure.hooks.TrackerListener)"
            )
    entry = _Entry(listener, progress_every_s)
    _REGISTRY.add(entry)
    return ListenerHandle(entry, _REGISTRY)


@dataclass(eq=False)
class TrackerSession:
    """The listeners of one started tracker; only :class:`Tracker` uses it.

    The tracker calls :meth:`progress` after each flush, :meth:`halt` first
    thing in ``stop()`` (so no progress thread reads a stopping sampler) and
    :meth:`stopped` with the recorded run.
    """

    tracker: Tracker
    clock: Clock
    entries: list[_Entry]
    _halt: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def progress(self, run: Run) -> None:
        """A flush happened: tell the listeners that follow flushes."""
        for entry in self.entries:
            if entry.progress_every_s is None:
                _call(entry, "on_progress", self.tracker, run)

    def halt(self) -> None:
        """End the progress threads and wait for them."""
        self._halt.set()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join()

    def stopped(self, run: Run) -> None:
        """The tracker stopped: give each listener the finished run."""
        self.halt()
        for entry in self.entries:
            _call(entry, "on_stop", self.tracker, run)

    def _start_threads(self) -> None:
        for entry in self.entries:
            if entry.progress_every_s is not None:
                thread = threading.Thread(
                    target=self._tick, args=(entry, entry.progress_every_s),
                    name="wattprint-progress", daemon=True,
                )
                self._threads.append(thread)
                thread.start()

    def _tick(self, entry: _Entry, every_s: float) -> None:
        next_t = self.clock.monotonic() + every_s
        while entry.active:
            if self.clock.wait(self._halt, max(0.0, next_t - self.clock.monotonic())):
                return
            try:
                snapshot = self.tracker.snapshot()
            except Exception:  # noqa: BLE001 — a listener's thread must never kill the run
                logger.exception("snapshot for a tracker listener failed")
                return
            _call(entry, "on_progress", self.tracker, snapshot)
            # Keep a fixed cadence; after a long stall (a slow listener), resume from now.
            next_t = max(next_t + every_s, self.clock.monotonic())


def notify_start(tracker: Tracker, *, clock: Clock) -> TrackerSession:
    """Call ``on_start`` of every registered listener; called by ``Tracker.start()``."""
    session = TrackerSession(tracker, clock, _REGISTRY.current())
    for entry in session.entries:
        _call(entry, "on_start", tracker)
    session._start_threads()
    return session


def _call(entry: _Entry, method: str, tracker: Tracker, *args: Run) -> None:
    if not entry.active:
        return
    try:
        getattr(entry.listener, method)(tracker, *args)
    except Exception:  # noqa: BLE001 — a listener's failure must not break the tracker
        logger.exception(
            "tracker listener %s.%s failed for tracker %s (the run is unaffected)",
            type(entry.listener).__name__, method, tracker.id[:8],
        )
