"""Ray: one run for a Ray job across every node, and energy shares for its tasks.

Example::

    import ray
    from wattprint.integrations.ray import track_cluster, tracked

    @ray.remote
    @tracked                       # report this task's CPU time to its node's tracker
    def tokenize(shard): ...

    ray.init(address="auto")
    with track_cluster(project="etl", zone="DE") as cluster:
        ray.get([tokenize.remote(s) for s in shards])
    print(cluster.run.energy_kwh, [(p.host, p.energy_kwh) for p in cluster.parts])

:class:`ClusterTracker` (``track_cluster``) starts one tracker per alive
node, each in a Ray actor pinned to its node (``NodeAffinitySchedulingStrategy``,
``soft=False``, ``num_cpus=0``) that measures the whole machine and records
its host's *part* of one run (:meth:`~wattprint.store.ledger.Ledger.save_part`):
the run's energy and emissions are the sums over nodes. Every node writes to
the ledger the driver resolves (``WATTPRINT_DB``, ``ledger_url=``), so a
cluster on several machines needs PostgreSQL (or a collector) that every node
reaches. On leaving the ``with`` block every node's tracker stops with the
block's outcome (``failed`` on an exception, ``interrupted`` on Ctrl-C) and
:attr:`ClusterTracker.run` is the merged run read back from the ledger. A node
lost during the run (its actor died) is recorded ``interrupted`` with its
energy up to its last write, and so is the run. Nodes that join after the
start are not tracked.

Tasks and actor methods wrapped in :func:`tracked` or :func:`attribute`
report the CPU seconds of their worker process to the trackers on their node,
which give each task name the same fraction of the node's CPU energy as its
share of the machine's busy CPU time (:mod:`._ray_shares`): phases named
``ray:<name>@<host>``. GPU and memory energy are not split. Ray is imported
inside the functions only; without it they raise
:class:`~wattprint.errors.MissingExtraError`.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from wattprint.clock import Clock, SystemClock
from wattprint.config import Settings, load_settings
from wattprint.errors import (
    ConfigError,
    LedgerError,
    MissingExtraError,
    RunNotFoundError,
    WattprintError,
)
from wattprint.integrations._ray_node import NodeStarted, NodeTracker
from wattprint.integrations._ray_setup import (
    Node,
    actor_name,
    alive_nodes,
    ledger_url,
    merge_locally,
    node_settings,
)
from wattprint.integrations._ray_tasks import attribute, tracked
from wattprint.model import Run, RunPart, RunStatus

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

__all__ = ["ClusterTracker", "attribute", "track_cluster", "tracked"]

class ClusterTracker:
    """Measures a Ray job on every node of the cluster as one run.

    Args:
        project: Project name (settings/default ``"default"``).
        run_id: The run's id (default: a new UUID); several drivers may not
            track the same id at once.
        ledger_url: Ledger every node writes to (default: ``WATTPRINT_DB`` /
            settings of the driver, else the driver's user ledger file).
        experiment: Free-form experiment name.
        model: Name of the model trained or served.
        tags: Labels to filter runs by.
        zone: Grid zone of the cluster (default: each node resolves its own).
        pue: Power usage effectiveness of the cluster's data centre.
        interval_s: Sampling interval of every node's tracker.
        flush_interval_s: How often each node writes its part while running;
            a node silent for three intervals reads ``interrupted``.
        gpu_ids: GPUs to read on every node (default: all NVML sees there).
        flops: FLOP count of the whole job, for FLOPS/W.
        shared_sqlite: The SQLite ledger file is on a file system every
            node mounts (otherwise a SQLite ledger needs a one-machine cluster).
        start_timeout_s: How long the nodes' trackers may take to start.
        stop_timeout_s: How long they may take to stop and write.
        settings: Resolved settings to use instead of loading them.
        clock: Time source of the driver's own stamps.

    Raises:
        ConfigError: An empty ``run_id`` or a bad setting.
    """

    def __init__(
        self, project: str | None = None, *, run_id: str | None = None,
        ledger_url: str | None = None, experiment: str = "", model: str = "",
        tags: Sequence[str] = (), zone: str | None = None, pue: float | None = None,
        interval_s: float | None = None, flush_interval_s: float | None = None,
        gpu_ids: Sequence[int] | None = None, flops: float | None = None,
        shared_sqlite: bool = False, start_timeout_s: float = 120.0,
        stop_timeout_s: float = 60.0, settings: Settings | None = None,
        clock: Clock | None = None,
    ) -> None:
        if run_id is not None and not run_id.strip():
            raise ConfigError("run_id must be non-empty text (or None for a new id)")
        if start_timeout_s <= 0 or stop_timeout_s <= 0:
            raise ConfigError("start_timeout_s and stop_timeout_s must be positive")
        self.settings = settings or load_settings({
            "project": project, "zone": zone, "pue": pue, "interval_s": interval_s,
            "flush_interval_s": flush_interval_s, "db": ledger_url,
            "gpu_ids": list(gpu_ids) if gpu_ids is not None else None,
        })
        #: The run every node's part belongs to.
        self.run_id = run_id.strip() if run_id else str(uuid.uuid4())
        self._options = {"experiment": experiment, "model": model, "tags": tuple(tags),
                         "flops": flops}
        self._shared_sqlite = shared_sqlite
        self._timeouts_s = (start_timeout_s, stop_timeout_s)
        self._clock: Clock = clock or SystemClock()
        self._db: str | None = None
        self._actors: dict[str, Any] = {}
        #: The tracked nodes, set by :meth:`start`.
        self.nodes: list[Node] = []
        #: What each node's tracker reported at start, by host.
        self.started: dict[str, NodeStarted] = {}
        #: Hosts whose tracker could not be stopped (node lost, actor died).
        self.lost: list[str] = []
        #: The merged run, once stopped.
        self.run: Run | None = None
        #: The per-host parts, once stopped.
        self.parts: list[RunPart] = []

    # -- life cycle -------------------------------------------------------
    def start(self) -> ClusterTracker:
        """Start a tracker actor on every alive node; returns ``self``.

        Raises:
            MissingExtraError: Ray is not installed.
            ConfigError: Ray is not initialised, the zone is unknown, the
                ledger does not suit the cluster, or ``run_id`` is already
                tracked in this namespace.
            LedgerError: The driver cannot open the ledger.
            WattprintError: A node's tracker did not start (every other one
                is then stopped, the run recorded ``failed``).
        """
        ray = _ray()
        if self._actors or self.run is not None:
            raise WattprintError("cluster tracker already started")
        if self.settings.zone:
            from wattprint.intensity.zones import load_catalog

            load_catalog().get(self.settings.zone)  # an unknown zone fails here, not on a node
        if not ray.is_initialized():
            raise ConfigError("Ray is not initialised in this process: call ray.init() "
                              "(or ray.init(address=...)) before track_cluster()")
        self.nodes = alive_nodes(ray.nodes())
        self._db = ledger_url(self.settings, self.nodes, shared_sqlite=self._shared_sqlite)
        if self._db is not None:
            from wattprint.store.ledger import Ledger

            # Migrated once here, so the nodes' first writes do not race to migrate it.
            Ledger(self._db).open().close()
        self._spawn(ray)
        pending = {host: actor.start.remote() for host, actor in self._actors.items()}
        results = _gather(ray, pending, self._timeouts_s[0])
        self.started = {h: r for h, r in results.items() if not isinstance(r, BaseException)}
        failed = {h: r for h, r in results.items() if isinstance(r, BaseException)}
        if failed:
            host, error = next(iter(failed.items()))
            reason = f"the tracker on node {host} did not start: {_reason(error)}"
            self._abort(ray, reason)
            raise WattprintError(reason) from error
        logger.info("tracking run %s on %d nodes: %s", self.run_id, len(self.nodes),
                    ", ".join(n.host for n in self.nodes))
        return self

    def _spawn(self, ray: Any) -> None:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        remote = ray.remote(NodeTracker)
        for node in self.nodes:
            options = remote.options(
                name=actor_name(node.node_id, self.run_id), num_cpus=0, max_restarts=0,
                scheduling_strategy=NodeAffinitySchedulingStrategy(node.node_id, soft=False))
            settings = node_settings(self.settings, node.host, self._db)
            try:
                self._actors[node.host] = options.remote(settings, self.run_id, self._options)
            except ValueError as e:  # the actor name is taken
                self._abort(ray, "")
                raise ConfigError(f"run {self.run_id} is already tracked on node {node.host} "
                                  f"in this Ray namespace ({e})") from e

    def _abort(self, ray: Any, reason: str) -> None:
        """Stop the started trackers as ``failed`` with ``reason``, then end every actor."""
        if self.started:
            refs = {h: self._actors[h].stop.remote(RunStatus.FAILED, reason) for h in self.started}
            _gather(ray, refs, self._timeouts_s[1])
        self._kill(ray)

    def _kill(self, ray: Any) -> None:
        for actor in self._actors.values():
            with contextlib.suppress(Exception):  # already dead is fine
                ray.kill(actor, no_restart=True)
        self._actors = {}

    def stop(self, status: RunStatus = RunStatus.FINISHED, error: str = "") -> Run:
        """Stop every node's tracker and record its part; returns the merged run.

        Raises:
            WattprintError: Not started, or no part could be read back.
        """
        if self.run is not None:
            return self.run
        if not self._actors:
            raise WattprintError("cluster tracker not started: use `with track_cluster(...)`")
        ray = _ray()
        refs = {host: actor.stop.remote(status, error) for host, actor in self._actors.items()}
        runs: list[Run] = []
        reasons: dict[str, str] = {}
        for host, result in _gather(ray, refs, self._timeouts_s[1]).items():
            if isinstance(result, BaseException):
                reasons[host] = _reason(result)
                logger.warning("node %s of run %s lost: %s", host, self.run_id, reasons[host])
            else:
                runs.append(result)
        self.lost = sorted(reasons)
        self._kill(ray)
        self.run, self.parts = self._read_back(runs, reasons)
        return self.run

    def _read_back(self, runs: list[Run], lost: dict[str, str]) -> tuple[Run, list[RunPart]]:
        if self._db is not None:
            from wattprint.store.ledger import Ledger

            try:
                with Ledger(self._db) as ledger:
                    _settle_lost(ledger, self.run_id, lost, self._clock.now())
                    return ledger.get_run(self.run_id), ledger.run_parts(self.run_id)
            except (LedgerError, RunNotFoundError) as e:
                logger.warning("cannot read run %s back from the ledger (%s); merging the "
                               "parts the nodes returned", self.run_id, e)
        if not runs:
            raise WattprintError(f"no node returned its part of run {self.run_id}")
        return merge_locally(self.run_id, runs, self._clock.now())

    def snapshot(self) -> Run:
        """The run as it stands now (status ``running``), merged from every node's part.

        Raises:
            WattprintError: Not started, or no node answered.
        """
        if not self._actors:
            raise WattprintError("cluster tracker not started: use `with track_cluster(...)`")
        ray = _ray()
        refs = {host: actor.snapshot.remote() for host, actor in self._actors.items()}
        runs = [r for r in _gather(ray, refs, self._timeouts_s[1]).values()
                if not isinstance(r, BaseException)]
        if not runs:
            raise WattprintError(f"no node answered for run {self.run_id}")
        return merge_locally(self.run_id, runs, self._clock.now())[0]

    def __enter__(self) -> ClusterTracker:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.stop()
        elif isinstance(exc, KeyboardInterrupt):
            self.stop(RunStatus.INTERRUPTED, error="KeyboardInterrupt")
        else:
            self.stop(RunStatus.FAILED, error=_error_text(exc))


def track_cluster(project: str | None = None, **kwargs: Any) -> ClusterTracker:
    """The :class:`ClusterTracker` for a ``with`` block (same arguments).

    Example::

        with track_cluster(project="etl", zone="DE") as cluster:
            ...
        print(cluster.run.energy_kwh)
    """
    return ClusterTracker(project, **kwargs)


# -- helpers ----------------------------------------------------------------
def _ray() -> Any:
    try:
        import ray
    except ImportError as e:
        raise MissingExtraError("ray", "ray") from e
    return ray


def _gather(ray: Any, refs: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """Each ref's value, or the exception it raised, within one overall deadline."""
    deadline = time.monotonic() + timeout_s
    out: dict[str, Any] = {}
    for key, ref in refs.items():
        try:
            out[key] = ray.get(ref, timeout=max(0.0, deadline - time.monotonic()))
        except Exception as e:
            out[key] = e
    return out


def _reason(error: BaseException) -> str:
    """One line for an error a remote call raised."""
    cause = getattr(error, "cause", None)
    if isinstance(cause, BaseException):
        error = cause
    if type(error).__name__ == "GetTimeoutError":
        return "no answer in time (could a worker process start on that node?)"
    first = str(error).strip().splitlines()
    return f"{type(error).__name__}: {first[0] if first else ''}".rstrip(": ")


def _error_text(exc: BaseException) -> str:
    """The run's error for ``exc`` as the tracker writes it (a task's without its traceback)."""
    cause = getattr(exc, "cause", None)
    if isinstance(exc, _ray().exceptions.RayTaskError) and isinstance(cause, BaseException):
        return f"{type(exc).__name__}: {cause}"
    return f"{type(exc).__name__}: {exc}"


def _settle_lost(ledger: Any, run_id: str, lost: dict[str, str], now: datetime) -> None:
    """Record the part of every lost node as ``interrupted``, its energy as last written."""
    if not lost:
        return
    from wattprint.store.parts import stored_parts

    with ledger.reading() as conn:
        stored = {p.run.host: p for p in stored_parts(conn, run_id, now)}
    for host, reason in lost.items():
        part = stored.get(host)
        if part is None or part.run.status is not RunStatus.RUNNING:
            continue
        last = part.run.started_utc + timedelta(seconds=part.run.duration_s)
        note = (f"node {host} lost before its tracker stopped ({reason}); its energy is "
                f"counted up to its last write at {last:%Y-%m-%d %H:%M:%S} UTC")
        ledger.save_part(replace(part.run, status=RunStatus.INTERRUPTED, ended_utc=last,
                                 error=f"node lost: {reason}",
                                 warnings=(*part.run.warnings, note)))
