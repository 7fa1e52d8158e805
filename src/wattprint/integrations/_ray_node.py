"""One node's tracker, run as a Ray actor pinned to its node by :mod:`wattprint.integrations.ray`.

:class:`NodeTracker` is a plain class; ``ray.remote`` is applied to it when a
cluster run starts, so importing this module needs no Ray. It creates a
machine-scope :class:`~wattprint.Tracker` that joins the run as the node's
part, keeps the task shares the node's tasks report (:mod:`._ray_shares`),
and records them with the part: the ledger it hands the tracker adds the
shares (as phases) to every part it saves, the periodic running records
included.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wattprint.collector.sink import CollectorSink
from wattprint.config import Settings
from wattprint.integrations._ray_shares import ShareBook, busy_cpu_s, with_shares
from wattprint.model import Run, RunStatus
from wattprint.store.ledger import Ledger

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: A Ray worker's rank variables would make the tracker passive (a non-zero local
#: rank measures nothing); the node's one tracker actor always measures.
_RANK_VARIABLES = ("LOCAL_RANK", "SLURM_LOCALID", "WATTPRINT_LOCAL_RANK")

_Amend = Callable[[Run], Run]


class _PartLedger(Ledger):
    """The ledger of a node's tracker: opened on first write, shares added to each part."""

    def __init__(self, url: str | None, amend: _Amend) -> None:
        super().__init__(url)
        self._amend = amend

    def save_part(self, run: Run, *, stale_after_s: float | None = None) -> Run:
        """Open (once), then save ``run`` with the node's task shares as phases."""
        self.open()
        return super().save_part(self._amend(run), stale_after_s=stale_after_s)


class _PartSink(CollectorSink):
    """The collector sink of a node's tracker: shares added to each part it delivers."""

    def __init__(self, base: CollectorSink, amend: _Amend) -> None:
        super().__init__(base.client, base.spool)
        self._amend = amend

    def save_part(self, run: Run, *, stale_after_s: float | None = None) -> None:
        """Deliver ``run`` with the node's task shares as phases."""
        super().save_part(self._amend(run), stale_after_s=stale_after_s)


@dataclass(frozen=True)
class NodeStarted:
    """What a node's tracker reports once it runs.

    Attributes:
        host: The part's host name.
        pid: The actor's process id.
        hostname: The machine's own host name.
        devices: Ids of the devices it measures (``cpu:0``, ``gpu:0``, ``ram``).
    """

    host: str
    pid: int
    hostname: str
    devices: tuple[str, ...]


class NodeTracker:
    """A machine-scope tracker for one node's part of a cluster run.

    Args:
        settings: The driver's resolved settings, with this node's ``host``.
        run_id: The cluster run to join.
        options: Further :class:`~wattprint.Tracker` arguments (experiment,
            model, tags, flops).
        notes: Lines for the part's warnings.
    """

    def __init__(self, settings: Settings, run_id: str, options: Mapping[str, Any],
                 notes: Sequence[str] = ()) -> None:
        self._settings = settings
        self._run_id = run_id
        self._options = dict(options)
        self._notes = tuple(notes)
        self._book = ShareBook()
        self._busy0_s = 0.0
        self._final_busy_s: float | None = None
        self._tracker: Any = None
        self._sink: Ledger | CollectorSink | None = None

    def start(self) -> NodeStarted:
        """Start the tracker (sensors, sampler, first write of the part)."""
        import psutil  # type: ignore[import-untyped, unused-ignore]

        from wattprint.measure.tracker import Tracker

        for name in _RANK_VARIABLES:
            os.environ.pop(name, None)
        if self._settings.gpu_ids is None and os.environ.get("CUDA_VISIBLE_DEVICES") == "":
            # Ray hides every GPU from a process that asked for none (when
            # RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO is set): measure the node's GPUs anyway.
            del os.environ["CUDA_VISIBLE_DEVICES"]
        self._sink = self._open_sink()
        self._busy0_s = busy_cpu_s(psutil.cpu_times()._asdict())
        tracker = Tracker(settings=self._settings, run_id=self._run_id, ledger=self._sink,
                          **self._options)
        for note in self._notes:
            tracker.add_warning(note)
        tracker.start()
        self._tracker = tracker
        devices = tuple(d.device.id for d in tracker.snapshot().devices)
        return NodeStarted(tracker.host, os.getpid(), socket.gethostname(), devices)

    def _open_sink(self) -> Ledger | CollectorSink:
        if self._settings.collector_url:
            from wattprint.collector import sink_from_settings

            return _PartSink(sink_from_settings(self._settings), self._amend).open()
        return _PartLedger(self._settings.db, self._amend)

    def record(self, name: str, cpu_s: float, wall_s: float, started_utc: datetime,
               ended_utc: datetime) -> None:
        """Add one task invocation's CPU seconds to this node's shares."""
        self._book.add(name, max(0.0, cpu_s), max(0.0, wall_s), started_utc, ended_utc)

    def _amend(self, run: Run) -> Run:
        import psutil  # type: ignore[import-untyped, unused-ignore]

        busy_s = max(0.0, busy_cpu_s(psutil.cpu_times()._asdict()) - self._busy0_s)
        if run.status is not RunStatus.RUNNING:
            # The final part is amended twice (saved by the tracker, returned by
            # stop): both must carry the same figures.
            if self._final_busy_s is None:
                self._final_busy_s = busy_s
            busy_s = self._final_busy_s
        return with_shares(run, self._book.shares(), busy_s)

    def snapshot(self) -> Run:
        """The node's part as it stands (status running), shares included."""
        return self._amend(self._tracker.snapshot())

    def stop(self, status: RunStatus = RunStatus.FINISHED, error: str = "") -> Run:
        """Stop and record the node's part; returns it, shares included."""
        try:
            run: Run = self._tracker.stop(status, error)
            return self._amend(run)
        finally:
            if self._sink is not None:
                self._sink.close()
