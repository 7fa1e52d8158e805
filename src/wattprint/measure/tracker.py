"""The tracker: start sensors, integrate, attribute phases, account, record.

Example::

    from wattprint import Tracker

    with Tracker(project="bert", zone="DE", model="bert-base") as t:
        with t.phase("data_loading"):
            data = load()
        with t.phase("train"):
            model.fit(data)
        t.log_metric("accuracy", model.score(data))
    print(t.run.energy_kwh, t.run.co2e_kg, t.run.metrics)

Behaviour that matters: sensors are detected in :meth:`Tracker.start`
(counter > sampled power > modelled, each fallback noted in the run); a
daemon thread samples every ``interval_s`` on the monotonic clock; a second
thread flushes the running record to the ledger every ``flush_interval_s``
so a killed process loses at most one flush interval; an exception in the
tracked code records the run as ``failed`` (``interrupted`` for
``KeyboardInterrupt``) and propagates unchanged. If the ledger cannot be
written, the run goes to a JSON fallback file and a
:class:`LedgerFallbackWarning` names its path. While started, the tracker is
the target of :func:`wattprint.log_metric` (the innermost one when trackers
nest); each metric keeps its last logged value. Listeners registered with
:func:`wattprint.measure.hooks.add_listener` hear of its start, progress and
stop. With ``collector_url`` and ``collector_token`` set (and no ``ledger``
given), runs go to a remote collector instead of the ledger
(:mod:`wattprint.collector`; its spool is re-sent from ``start``).

Every record of a running run carries a heartbeat deadline of three flush
intervals, so a run whose process was killed reads ``interrupted`` once it
passes. In a distributed job (``run_id``, ``WATTPRINT_RUN_ID``, torchrun or
Slurm; see :mod:`wattprint.measure.distributed`) the tracker records its
host's *part* of the shared run instead, and on local ranks other than 0 it is
passive: no sensors, nothing saved.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import uuid
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

# The sensors' one heavy dependency, loaded with the Tracker class (not with
# ``import wattprint``) so that ``start()`` only detects and reads.
import psutil  # type: ignore[import-untyped, unused-ignore]  # noqa: F401

from wattprint.account.footprint import ON_PREMISE_PUE, make_footprint
from wattprint.clock import Clock, SystemClock
from wattprint.config import Settings, load_settings
from wattprint.errors import ConfigError, WattprintError
from wattprint.intensity.pue import default_pue
from wattprint.intensity.resolve import resolve_zone
from wattprint.intensity.zones import load_catalog
from wattprint.measure import distributed, hooks, metrics
from wattprint.measure.flush import FlushSchedule
from wattprint.measure.sampler import Sampler
from wattprint.measure.sensors.base import Sensor
from wattprint.measure.sensors.detect import default_sensors, fallback_sensor
from wattprint.model import (
    DeviceEnergy,
    Footprint,
    Intensity,
    Phase,
    Run,
    RunStatus,
    ZoneChoice,
)

if TYPE_CHECKING:
    from wattprint.collector import CollectorSink
    from wattprint.store.ledger import Ledger

logger = logging.getLogger(__name__)


class LedgerFallbackWarning(UserWarning):
    """The ledger could not be written; the run was saved to a JSON file instead."""


@dataclass(frozen=True)
class _Where:
    choice: ZoneChoice
    intensity: Intensity
    pue: float
    pue_source: str


class Tracker:
    """Measures the energy and emissions of the code it wraps.

    Args:
        project: Project name (settings/default ``"default"``).
        experiment: Free-form experiment name.
        model: Name of the model trained or served (``"resnet50"``), so runs
            can be compared per model.
        tags: Labels to filter runs by.
        zone: Grid zone id (``"DE"``, ``"US-CAL-CISO"``, ``"aws:eu-west-1"``).
        pue: Power usage effectiveness (≥ 1.0); default per provider or 1.0.
        interval_s: Sampling interval (default 1 s, down to 0.01 s).
        scope: ``"process"`` (this process tree) or ``"machine"``.
        pid: Root of the tracked process tree (default: this process).
        gpu_ids: Restrict GPUs (else ``CUDA_VISIBLE_DEVICES`` or all).
        flops: FLOP count of the work, for FLOPS/W.
        sensors: Started sensors to use instead of detecting them.
        ledger: Ledger to record into, or a
            :class:`~wattprint.collector.CollectorSink` (default: from settings).
        save: Record the run in the ledger (default True).
        clock: Time source (tests pass a ``FakeClock``).
        command: Command line, recorded by ``wattprint run``.
        fallback_dir: Where the JSON fallback goes if the ledger fails.
        run_id: Join the run with this id as this host's part (a job on
            several hosts; every rank passes the same id). Default: from
            ``WATTPRINT_RUN_ID``, torchrun or Slurm, else a new run.
        host: This host's name in the run (default: ``host`` setting,
            ``WATTPRINT_HOST``, else the system host name).
    """

    def __init__(
        self,
        project: str | None = None,
        *,
        experiment: str = "",
        model: str = "",
        tags: Sequence[str] = (),
        zone: str | None = None,
        pue: float | None = None,
        interval_s: float | None = None,
        scope: str | None = None,
        pid: int | None = None,
        gpu_ids: Sequence[int] | None = None,
        flops: float | None = None,
        sensors: Sequence[Sensor] | None = None,
        ledger: Ledger | CollectorSink | None = None,
        save: bool = True,
        clock: Clock | None = None,
        command: str = "",
        fallback_dir: Path | None = None,
        settings: Settings | None = None,
        run_id: str | None = None,
        host: str | None = None,
    ) -> None:
        args: dict[str, Any] = {
            "project": project, "zone": zone, "pue": pue, "interval_s": interval_s,
            "scope": scope, "gpu_ids": list(gpu_ids) if gpu_ids is not None else None,
            "host": host,
        }
        if not isinstance(model, str):
            raise ConfigError(f"model must be a name (text), got {type(model).__name__} {model!r}")
        self.settings = settings or load_settings(args)
        self.project = self.settings.project
        self.experiment = experiment
        self.model = model
        self.tags = tuple(tags)
        self.flops = flops
        self.command = command
        self.pid = pid
        self.identity = distributed.detect(
            os.environ, run_id=run_id, host=self.settings.host,
            scope_given=self.settings.source_of("scope") != "default" or pid is not None,
        )
        #: False on a passive rank (a local rank other than 0 of a distributed job).
        self.measures = self.identity.measures
        self._given_sensors = list(sensors) if sensors is not None else None
        if not self.measures:
            self._given_sensors = []
        self._ledger: Ledger | CollectorSink | None = ledger
        self._save = save and self.measures
        self._clock = clock or SystemClock()
        self._fallback_dir = fallback_dir
        self.id = self.identity.run_id or str(uuid.uuid4())
        self.host = self.identity.host
        #: True when this tracker records one host's part of a shared run.
        self.shared = self.identity.run_id is not None
        self._sampler: Sampler | None = None
        self._where: _Where | None = None
        self._notes: list[str] = list(self.identity.notes)
        self._phases: list[Phase] = []
        self._started_utc: datetime | None = None
        self._flush_stop = threading.Event()
        self._flusher: threading.Thread | None = None
        self._save_lock = threading.Lock()
        self._run: Run | None = None
        self._metrics = metrics.MetricLog()
        self._hooks: hooks.TrackerSession | None = None
        self.fallback_path: Path | None = None

    # -- life cycle -------------------------------------------------------
    def locate(self) -> ZoneChoice:
        """Resolve zone, intensity and PUE now (``start`` does it if needed).

        Raises:
            UnknownZoneError: the configured zone does not exist.
        """
        if self._where is None:
            self._where = _locate(self.settings)
            if self._where.choice.note:
                self._notes.append(self._where.choice.note)
        return self._where.choice

    def start(self) -> Tracker:
        """Resolve the zone, start sensors and the sampler; returns ``self``."""
        if self._sampler is not None:
            raise WattprintError("tracker already started")
        self.locate()
        sensors = self._given_sensors
        if sensors is None:
            sensors = self._detect()
        pid = self._tree_pid()
        self._sampler = Sampler(
            sensors,
            clock=self._clock,
            interval_s=self.settings.interval_s,
            fallback=lambda dev: fallback_sensor(dev, pid=pid),
        )
        self._started_utc = self._clock.now()
        self._sampler.start()
        if self._save:
            # After the sampler's first reading (a short command is not missed),
            # not in the flush thread: a CPU-bound main thread holding the GIL
            # can delay a thread's imports and migration by seconds. (A collector
            # sink re-sends its spool in the background.)
            try:
                self._ledger_open()
            except WattprintError as exc:
                logger.warning("ledger not opened at start (%s); retried at each write", exc)
            first_due = self._clock.monotonic() + self.settings.flush_interval_s
            self._flusher = threading.Thread(
                target=self._flush_loop, args=(first_due,), name="wattprint-flush", daemon=True
            )
            self._flusher.start()
        metrics.activate(self)
        self._hooks = hooks.notify_start(self, clock=self._clock)
        return self

    def _tree_pid(self) -> int | None:
        if self.settings.scope == "machine":
            return None
        if self.pid is not None:
            return self.pid
        return self.identity.launcher_pid or os.getpid()

    def _detect(self) -> list[Sensor]:
        gpu_ids = self.settings.gpu_ids
        sensors, notes = default_sensors(pid=self._tree_pid(), gpu_ids=gpu_ids)
        self._notes.extend(notes)
        return list(sensors)

    def stop(self, status: RunStatus = RunStatus.FINISHED, error: str = "") -> Run:
        """Stop sampling, account and record the run; returns the finished ``Run``."""
        if self._run is not None:
            return self._run
        sampler = self._require_started()
        if self._hooks is not None:
            self._hooks.halt()  # listeners' progress threads end before the sampler stops
        metrics.deactivate(self)
        self._metrics.close()
        self._flush_stop.set()
        if self._flusher is not None:
            self._flusher.join()
        sampler.stop()
        sampler.close()
        self._run = self._snapshot(status, error, ended=self._clock.now())
        if self._save:
            self._record(self._run)
        if self._hooks is not None:
            self._hooks.stopped(self._run)
        return self._run

    def __enter__(self) -> Tracker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.stop()
        elif isinstance(exc, KeyboardInterrupt):
            self.stop(RunStatus.INTERRUPTED, error="KeyboardInterrupt")
        else:
            self.stop(RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}")

    # -- phases -----------------------------------------------------------
    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Attribute the energy spent inside the block to phase ``name``."""
        sampler = self._require_started()
        sampler.sample_now()
        before = sampler.energy_by_device_j()
        t0, started = self._clock.monotonic(), self._clock.now()
        try:
            yield
        finally:
            sampler.sample_now()
            after = sampler.energy_by_device_j()
            self._phases.append(
                Phase(
                    name=name,
                    started_utc=started,
                    ended_utc=self._clock.now(),
                    duration_s=self._clock.monotonic() - t0,
                    energy_by_device_j={d: after[d] - before.get(d, 0.0) for d in after},
                )
            )

    # -- metrics and notes ------------------------------------------------
    def log_metric(self, name: str, value: float) -> None:
        """Record the latest value of quality metric ``name`` with the run.

        Logging a name again replaces its value. Thread-safe; allowed until
        :meth:`stop`.

        Raises:
            ConfigError: Empty name, or a value that is not a finite number.
            WattprintError: The tracker has already stopped.
        """
        self._metrics.put(name, value, run=self.id[:8])

    @property
    def metrics(self) -> dict[str, float]:
        """The metrics logged so far (a copy)."""
        return self._metrics.values()

    def add_warning(self, message: str) -> None:
        """Record ``message`` with the run's warnings (shown by ``wattprint show``)."""
        self._notes.append(message)

    # -- live figures -----------------------------------------------------
    @property
    def footprint(self) -> Footprint:
        """Footprint so far (or final, once stopped)."""
        if self._run is not None:
            return self._run.footprint
        return self._footprint(self._require_started().results())

    def _footprint(self, devices: Sequence[DeviceEnergy]) -> Footprint:
        assert self._where is not None, "start() locates the run first"
        return make_footprint(
            devices,
            pue=self._where.pue,
            pue_source=self._where.pue_source,
            intensity=self._where.intensity,
        )

    @property
    def energy_kwh(self) -> float:
        """Facility energy so far (kWh)."""
        return self.footprint.energy_kwh

    @property
    def co2e_kg(self) -> float:
        """Emissions so far (kg CO2e)."""
        return self.footprint.co2e_kg

    @property
    def run(self) -> Run | None:
        """The finished run after :meth:`stop`; ``None`` before."""
        return self._run

    def snapshot(self, *, sample: bool = True) -> Run:
        """The run as it stands now, status ``running``.

        With ``sample`` (default) every sensor is read first, so the figures
        are current rather than as of the last periodic reading.
        """
        if sample:
            self._require_started().sample_now()
        return self._snapshot(RunStatus.RUNNING, "", ended=None)

    # -- internals --------------------------------------------------------
    def _require_started(self) -> Sampler:
        if self._sampler is None:
            raise WattprintError("tracker not started: use `with Tracker(...)` or call start()")
        return self._sampler

    def _snapshot(self, status: RunStatus, error: str, ended: datetime | None) -> Run:
        sampler = self._require_started()
        assert self._where is not None and self._started_utc is not None
        devices = sampler.results()
        return Run(
            id=self.id,
            project=self.project,
            status=status,
            started_utc=self._started_utc,
            ended_utc=ended,
            duration_s=sampler.elapsed_s(),
            host=self.host,
            footprint=self._footprint(devices),
            zone_choice=self._where.choice,
            devices=devices,
            phases=tuple(self._phases),
            trace=sampler.trace(),
            experiment=self.experiment,
            tags=self.tags,
            command=self.command,
            error=error,
            flops=self.flops,
            warnings=tuple(dict.fromkeys([*self._notes, *sampler.warnings])),
            model=self.model,
            metrics=self.metrics,
        )

    @property
    def stale_after_s(self) -> float:
        """The heartbeat of running records: three flush intervals (s)."""
        return 3.0 * self.settings.flush_interval_s

    def _write(self, run: Run) -> None:
        sink = self._ledger_open()
        if self.shared:
            sink.save_part(run, stale_after_s=self.stale_after_s)
        else:
            sink.save_run(run, stale_after_s=self.stale_after_s)

    def _flush_loop(self, first_due: float) -> None:
        """Write at once (the run is visible, and can go stale, from the start), then each interval.

        ``first_due`` (monotonic) is set by ``start``, so the schedule does not
        slip by the time the first write takes; :class:`FlushSchedule` starts
        each write early enough to commit within the interval.
        """
        clock = self._clock
        schedule = FlushSchedule(first_due, self.settings.flush_interval_s)
        began = clock.monotonic()
        try:
            self._write(self.snapshot())
        except WattprintError as exc:
            logger.warning("first write of the running run to the ledger failed: %s", exc)
        schedule.observe(began, clock.monotonic())
        while not clock.wait(self._flush_stop, schedule.wait_s(clock.monotonic())):
            began = clock.monotonic()
            snapshot = self.snapshot()
            try:
                self._write(snapshot)
            except WattprintError as exc:
                logger.warning("periodic flush to the ledger failed: %s", exc)
            schedule.wrote(began, clock.monotonic())
            if self._hooks is not None:
                self._hooks.progress(snapshot)

    def _ledger_open(self) -> Ledger | CollectorSink:
        if self._ledger is None and self.settings.collector_url:
            from wattprint.collector import sink_from_settings

            self._ledger = sink_from_settings(self.settings).open()
        if self._ledger is None:
            from wattprint.store.ledger import Ledger

            ledger = Ledger(self.settings.db)
            ledger.open()
            self._ledger = ledger
        return self._ledger

    def _record(self, run: Run) -> None:
        with self._save_lock:
            try:
                self._write(run)
                return
            except WattprintError as exc:
                reason = str(exc)
            from wattprint.store.serialize import write_fallback

            self.fallback_path = write_fallback(run, self._fallback_dir, part=self.shared)
            warnings.warn(
                f"ledger not written ({reason}); run saved to {self.fallback_path}",
                LedgerFallbackWarning,
                stacklevel=3,
            )

    def close_ledger(self) -> None:
        """Close the ledger this tracker opened itself."""
        if self._ledger is not None:
            self._ledger.close()


def _locate(settings: Settings) -> _Where:
    """Zone choice, intensity and PUE for the settings."""
    catalog = load_catalog()
    explicit = settings.zone if settings.source_of("zone") == "argument" else None
    config_zone = None if explicit else settings.zone
    choice = resolve_zone(
        explicit,
        env=os.environ,
        config_zone=config_zone if settings.source_of("zone") != "env" else None,
        metadata=settings.cloud_metadata,
        catalog=catalog,
    )
    intensity = catalog.intensity(choice.zone)
    if settings.pue is not None:
        pue, source = settings.pue, f"set by {settings.source_of('pue')}"
    else:
        zone = catalog.get(choice.zone)
        pue, source = default_pue(zone.id.split(":")[0]) if zone.kind == "cloud" else ON_PREMISE_PUE
    return _Where(choice, intensity, pue, source)
