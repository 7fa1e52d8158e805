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
so a killed process loses at most one flush interval (the ledger side lives
in :mod:`wattprint.measure.recorder`); an exception in the tracked code
records the run as ``failed`` (``interrupted`` for ``KeyboardInterrupt``) and
propagates unchanged. If the ledger cannot be written, the run goes to a JSON
fallback file and a :class:`LedgerFallbackWarning` names its path. While
started, the tracker is the target of :func:`wattprint.log_metric` (the
innermost one when trackers nest); each metric keeps its last logged value. Listeners registered with
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
import os
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

# The sensors' one heavy dependency, loaded with the Tracker class (not with
# ``import wattprint``) so that ``start()`` only detects and reads.
import psutil  # type: ignore[import-untyped, unused-ignore]  # noqa: F401

from wattprint.account.footprint import make_footprint
from wattprint.clock import Clock, SystemClock
from wattprint.config import Settings, load_settings
from wattprint.errors import ConfigError, WattprintError
from wattprint.measure import distributed, hooks, metrics
from wattprint.measure.location import Location, locate
from wattprint.measure.recorder import LedgerFallbackWarning, Recorder
from wattprint.measure.sampler import Sampler
from wattprint.measure.sensors.base import Sensor
from wattprint.measure.sensors.detect import default_sensors, fallback_sensor
from wattprint.model import DeviceEnergy, Footprint, Phase, Run, RunStatus, ZoneChoice

if TYPE_CHECKING:
    from wattprint.collector import CollectorSink
    from wattprint.store.ledger import Ledger

# Re-exported: ``from wattprint.measure.tracker import LedgerFallbackWarning`` stays valid.
__all__ = ["LedgerFallbackWarning", "Tracker"]


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
        if not isinstance(model, str):
            raise ConfigError(f"model must be a name (text), got {type(model).__name__} {model!r}")
        self.settings = settings or load_settings({
            "project": project, "zone": zone, "pue": pue, "interval_s": interval_s,
            "scope": scope, "gpu_ids": list(gpu_ids) if gpu_ids is not None else None,
            "host": host,
        })
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
            self._given_sensors = []  # a passive rank reads no sensors
        self._save = save and self.measures
        self._clock = clock or SystemClock()
        self.id = self.identity.run_id or str(uuid.uuid4())
        self.host = self.identity.host
        #: True when this tracker records one host's part of a shared run.
        self.shared = self.identity.run_id is not None
        self._recorder = Recorder(
            self.settings, ledger=ledger, clock=self._clock, shared=self.shared,
            fallback_dir=fallback_dir,
        )
        self._sampler: Sampler | None = None
        self._where: Location | None = None
        self._notes: list[str] = list(self.identity.notes)
        self._phases: list[Phase] = []
        self._started_utc: datetime | None = None
        self._run: Run | None = None
        self._metrics = metrics.MetricLog()
        self._hooks: hooks.TrackerSession | None = None

    # -- life cycle -------------------------------------------------------
    def locate(self) -> ZoneChoice:
        """Resolve zone, intensity and PUE now (``start`` does it if needed).

        Raises:
            UnknownZoneError: the configured zone does not exist.
        """
        if self._where is None:
            self._where = locate(self.settings)
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
        if self._save:  # after the sampler's first reading, so a short command is not missed
            self._recorder.start(self.snapshot, flushed=self._flushed)
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
        self._recorder.stop()
        sampler.stop()
        sampler.close()
        self._run = self._snapshot(status, error, ended=self._clock.now())
        if self._save:
            self._recorder.record(self._run)
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

    def _flushed(self, snapshot: Run) -> None:
        """After each periodic flush: tell the listeners (registered after the thread starts)."""
        if self._hooks is not None:
            self._hooks.progress(snapshot)

    # -- the ledger -------------------------------------------------------
    @property
    def stale_after_s(self) -> float:
        """The heartbeat of running records: three flush intervals (s)."""
        return self._recorder.stale_after_s

    @property
    def fallback_path(self) -> Path | None:
        """The JSON file the run went to when the ledger could not be written."""
        return self._recorder.fallback_path

    def close_ledger(self) -> None:
        """Close the ledger this tracker opened itself."""
        self._recorder.close()
