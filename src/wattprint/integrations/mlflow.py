"""Log wattprint runs into MLflow: one call, or every tracker automatically.

Example::

    import mlflow
    from wattprint import Tracker
    from wattprint.integrations import mlflow as wp_mlflow

    with mlflow.start_run():
        with Tracker(project="digits", model="mlp") as t:
            model.fit(x, y)
        wp_mlflow.log_run(t.run)        # metrics, params, tags and the run JSON

    wp_mlflow.autolog(log_every_s=30)   # or: every Tracker started inside an
                                        # MLflow run logs itself, step-wise too

What goes into the MLflow run (``prefix`` defaults to ``"wattprint."``):

* metrics: ``energy_kwh`` (facility energy, after PUE), ``it_energy_kwh``,
  ``cpu_energy_kwh``, ``gpu_energy_kwh``, ``ram_energy_kwh`` (IT energy per
  device kind, 0 when absent; ``other_energy_kwh`` when not 0),
  ``co2e_kg``, ``duration_s``; ``embodied_co2e_kg``, ``water_l`` and
  ``flops_per_w`` when the run has them; per device (``cpu:0`` is written
  ``cpu_0``) ``mean_power_w.<device>`` (energy ÷ duration: the power trace's
  time average) and ``peak_power_w.<device>``;
* metric histories (``trace=True``, the default): ``power_w.<device>`` at
  every point of the power trace, and ``utilisation_pct.<device>`` where the
  sensor reports it, each point at its own time (step = its index);
* params: ``run_id``, ``project``, ``model`` and ``experiment`` (when set),
  ``zone``, ``zone_how`` (how the zone was chosen), ``zone_note``,
  ``intensity_g_per_kwh``, ``intensity_source``, ``pue``, ``pue_source`` and
  per device ``method.<device>`` (counter, sampled-power or modelled) and
  ``sensor.<device>``;
* tags: ``run_id``, ``status``, ``host``, ``tags`` and ``warnings`` (when any);
* the artifact ``wattprint/run-<id>.json``: the run as ``wattprint show
  --json --trace`` prints it (:func:`wattprint.store.serialize.run_to_dict`).

MLflow params cannot change once logged, so one MLflow run holds one
wattprint run per prefix: start a nested MLflow run
(``mlflow.start_run(nested=True)``) for each further tracker. ``autolog``
follows that rule by logging only the first tracker started inside an MLflow
run and saying so for the others. MLflow is imported here only; without it
every function raises :class:`~wattprint.errors.MissingExtraError`.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from wattprint.errors import ConfigError, MissingExtraError, WattprintError
from wattprint.integrations import _mlflow_batch as batch
from wattprint.measure import hooks
from wattprint.model import Run

if TYPE_CHECKING:

    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    from wattprint.measure.tracker import Tracker

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: Characters MLflow accepts in a key on every platform (no ``:`` on Windows).
_KEY = re.compile(r"^[/\w.\- ]*$")
#: Value limits of older MLflow releases, used where the installed one does not name its own.
_PARAM_MAX, _TAG_MAX = 500, 5000
_KINDS = ("cpu", "gpu", "ram")


def log_run(
    run: Run,
    *,
    run_id: str | None = None,
    client: MlflowClient | None = None,
    prefix: str = "wattprint.",
    step: int = 0,
    trace: bool = True,
) -> str:
    """Log ``run`` into the active MLflow run, or into ``run_id``.

    Args:
        run: A tracked run (``tracker.run``, ``Ledger.get_run(...)``).
        run_id: MLflow run to log into (default: the active one).
        client: MLflow client (default: ``MlflowClient()`` on the current
            tracking URI).
        prefix: Start of every metric, param and tag key.
        step: MLflow step of the metrics (``autolog`` puts the final figures
            after its progress steps).
        trace: Also log the power trace, point by point, as the metric
            histories ``power_w.<device>`` (and ``utilisation_pct.<device>``
            where the sensor reports it): step = the point's index, timestamp
            = its time, so MLflow charts it against wall or relative time.

    Returns:
        The MLflow run id logged into.

    Raises:
        MissingExtraError: MLflow is not installed.
        ConfigError: ``run`` is not a wattprint ``Run``; no MLflow run is
            active and no ``run_id`` was given; a bad ``prefix``; the MLflow
            run already holds another wattprint run under ``prefix``.
        WattprintError: MLflow refused the values (the message has its words).
    """
    if not isinstance(run, Run):
        raise ConfigError(
            f"log_run needs a wattprint.model.Run (tracker.run after stop), got "
            f"{type(run).__name__}"
        )
    _check_prefix(prefix)
    mlflow, client = _client(client)
    if run_id is None:
        active = mlflow.active_run()
        if active is None:
            raise ConfigError(
                "no active MLflow run: call log_run inside `with mlflow.start_run():` "
                "or pass run_id="
            )
        run_id = active.info.run_id
    held = _held_run_id(client, run_id, prefix)
    if held not in (None, run.id):
        raise ConfigError(
            f"MLflow run {run_id} already holds wattprint run {held} under prefix {prefix!r}; "
            "log each wattprint run into its own MLflow run (mlflow.start_run(nested=True)) "
            "or pass another prefix="
        )
    from mlflow.entities import Param, RunTag

    params = [Param(k, v) for k, v in _params(run, prefix).items()]
    tags = [RunTag(k, v) for k, v in _tags(run, prefix).items()]
    metrics = _metrics(run, prefix, step, final=True) + (_trace(run, prefix) if trace else [])
    batch.write(client, run_id, metrics=metrics,
           params=params, tags=tags)
    from wattprint.store.serialize import run_to_dict

    try:
        client.log_text(run_id, json.dumps(run_to_dict(run, trace=True), indent=2),
                        f"wattprint/run-{run.id}.json")
    except Exception as e:  # MLflow's own errors and its artifact stores' (OSError, ...)
        raise WattprintError(f"MLflow did not store the run JSON of {run.id}: {e}") from e
    return run_id


def autolog(
    *, log_every_s: float | None = None, disable: bool = False, prefix: str = "wattprint."
) -> None:
    """Log every tracker started inside an active MLflow run, from now on.

    Each :class:`~wattprint.Tracker` started while an MLflow run is active
    (in the starting thread) logs ``energy_kwh``, ``it_energy_kwh``, the
    per-kind energies, ``co2e_kg`` and ``duration_s`` so far with steps 0,
    1, 2, ... at each ledger flush (every ``flush_interval_s``, default 30 s)
    or every ``log_every_s``, and on stop everything :func:`log_run` logs,
    at the next step. Calling ``autolog`` again replaces the previous setting.

    Args:
        log_every_s: Log progress every this many seconds instead of at each flush.
        disable: Stop autologging (trackers already started stop reporting too).
        prefix: Start of every key, as in :func:`log_run`.

    Raises:
        MissingExtraError: MLflow is not installed.
        ConfigError: ``log_every_s`` is not a positive number; a bad ``prefix``.
    """
    if log_every_s is not None and (
        isinstance(log_every_s, bool) or not isinstance(log_every_s, (int, float))
        or not math.isfinite(log_every_s) or log_every_s <= 0
    ):
        raise ConfigError(f"log_every_s must be a positive number of seconds, got {log_every_s!r}")
    _check_prefix(prefix)
    _import()  # fail now, not later in a tracker, when MLflow is missing
    with _AUTOLOG.lock:
        if _AUTOLOG.handle is not None:
            _AUTOLOG.handle.remove()
            _AUTOLOG.handle = None
        if not disable:
            _AUTOLOG.handle = hooks.add_listener(
                _AutologListener(prefix), progress_every_s=log_every_s
            )


@dataclass
class _AutologState:
    # Process-wide like mlflow.autolog's own switch: trackers are created by
    # code that does not know about MLflow. Empty until autolog() is called.
    lock: threading.Lock
    handle: hooks.ListenerHandle | None = None


_AUTOLOG = _AutologState(threading.Lock())


@dataclass
class _Binding:
    client: MlflowClient
    run_id: str
    step: int = 0

    def next_step(self) -> int:
        self.step += 1
        return self.step - 1


class _AutologListener(hooks.TrackerListener):
    """Binds each tracker to the MLflow run active where it started."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._lock = threading.Lock()
        self._bound: dict[str, _Binding] = {}

    def on_start(self, tracker: Tracker) -> None:
        mlflow, client = _client(None)
        active = mlflow.active_run()
        if active is None:
            return
        run_id = active.info.run_id
        with self._lock:
            taken = any(b.run_id == run_id for b in self._bound.values())
        held = None if taken else _held_run_id(client, run_id, self.prefix)
        if taken or held is not None:
            logger.info(
                "tracker %s not logged to MLflow: run %s already holds a wattprint run; start "
                "a nested MLflow run (mlflow.start_run(nested=True)) to log it too",
                tracker.id[:8], run_id,
            )
            return
        with self._lock:
            self._bound[tracker.id] = _Binding(client, run_id)

    def on_progress(self, tracker: Tracker, run: Run) -> None:
        with self._lock:
            bound = self._bound.get(tracker.id)
        if bound is not None:
            metrics = _metrics(run, self.prefix, bound.next_step(), final=False)
            batch.write(bound.client, bound.run_id, metrics=metrics)

    def on_stop(self, tracker: Tracker, run: Run) -> None:
        with self._lock:
            bound = self._bound.pop(tracker.id, None)
        if bound is not None:
            log_run(run, run_id=bound.run_id, client=bound.client, prefix=self.prefix,
                    step=bound.next_step())


# -- what is logged ---------------------------------------------------------
def _metrics(run: Run, prefix: str, step: int, *, final: bool) -> list[Metric]:
    from mlflow.entities import Metric

    fp = run.footprint
    values: dict[str, float] = {
        "energy_kwh": fp.energy_kwh,
        "it_energy_kwh": fp.it_energy_kwh,
        **{f"{k}_energy_kwh": fp.energy_kwh_by_kind.get(k, 0.0) for k in _KINDS},
        **{f"{k}_energy_kwh": v for k, v in fp.energy_kwh_by_kind.items()
           if k not in _KINDS and v > 0},
        "co2e_kg": fp.co2e_kg,
        "duration_s": run.duration_s,
    }
    if final:
        optional = {"embodied_co2e_kg": fp.embodied_co2e_kg, "water_l": fp.water_l,
                    "flops_per_w": run.flops_per_w}
        values.update({k: v for k, v in optional.items() if v is not None})
        for dev_id, (mean_w, peak_w) in _power_by_device(run).items():
            values[f"mean_power_w.{dev_id}"] = mean_w
            values[f"peak_power_w.{dev_id}"] = peak_w
    # Progress points carry the time they describe, so charts by time line up with the run.
    at = run.ended_utc or run.started_utc + timedelta(seconds=run.duration_s)
    ms = int(at.timestamp() * 1000)
    return [Metric(prefix + k, float(v), ms, step) for k, v in values.items()]


def _trace(run: Run, prefix: str) -> list[Metric]:
    """Every point of the run's power trace, at its own time (see :func:`log_run`)."""
    from mlflow.entities import Metric

    start_ms = run.started_utc.timestamp() * 1000
    index: dict[str, int] = {}
    out = []
    for point in run.trace:
        step = index[point.device_id] = index.get(point.device_id, -1) + 1
        ms, dev = int(start_ms + point.t_s * 1000), _key_part(point.device_id)
        out.append(Metric(f"{prefix}power_w.{dev}", float(point.power_w), ms, step))
        if point.utilisation_pct is not None:
            out.append(Metric(f"{prefix}utilisation_pct.{dev}", float(point.utilisation_pct),
                              ms, step))
    return out


def _power_by_device(run: Run) -> dict[str, tuple[float, float]]:
    """Mean and peak power (W) per device.

    The mean is the device's energy over the run's duration: the trace's time
    average, exactly. (A plain mean of the trace's points is not: its buckets
    grow as a run gets longer, and the last one is partial, which on a
    one-second run is 10 % off.) The peak is the highest of the sampler's
    readings and the trace.
    """
    out = {}
    for de in run.devices:
        powers = [p.power_w for p in run.trace if p.device_id == de.device.id]
        if run.duration_s > 0:
            mean_w = de.energy_j / run.duration_s
        else:
            mean_w = sum(powers) / len(powers) if powers else 0.0
        out[_key_part(de.device.id)] = (mean_w, max([de.peak_power_w, *powers]))
    return out


def _params(run: Run, prefix: str) -> dict[str, str]:
    fp, zone = run.footprint, run.zone_choice
    values = {
        "run_id": run.id, "project": run.project, "model": run.model,
        "experiment": run.experiment, "zone": zone.zone, "zone_how": zone.how,
        "zone_note": zone.note, "intensity_g_per_kwh": repr(fp.intensity.g_per_kwh),
        "intensity_source": fp.intensity.source, "pue": repr(fp.pue),
        "pue_source": fp.pue_source,
    }
    for de in run.devices:
        values[f"method.{_key_part(de.device.id)}"] = de.device.method.value
        values[f"sensor.{_key_part(de.device.id)}"] = de.device.sensor
    limit = batch.limit("MAX_PARAM_VAL_LENGTH", _PARAM_MAX)
    return {prefix + k: batch.clip(v, limit) for k, v in values.items() if v}


def _tags(run: Run, prefix: str) -> dict[str, str]:
    values = {"run_id": run.id, "status": run.status.value, "host": run.host,
              "tags": ", ".join(run.tags), "warnings": "; ".join(run.warnings)}
    limit = batch.limit("MAX_TAG_VAL_LENGTH", _TAG_MAX)
    return {prefix + k: batch.clip(v, limit) for k, v in values.items() if v}


# -- MLflow plumbing --------------------------------------------------------
def _import() -> Any:
    try:
        import mlflow
    except ImportError as e:
        raise MissingExtraError("mlflow", "mlflow") from e
    return mlflow


def _client(client: MlflowClient | None) -> tuple[Any, MlflowClient]:
    mlflow = _import()
    return mlflow, client if client is not None else mlflow.tracking.MlflowClient()


def _held_run_id(client: MlflowClient, run_id: str, prefix: str) -> str | None:
    """The wattprint run id already logged into MLflow run ``run_id``, if any."""
    try:
        params = client.get_run(run_id).data.params
    except Exception as e:  # MlflowException: no such run, store unreachable
        raise WattprintError(f"MLflow run {run_id} could not be read: {e}") from e
    return params.get(prefix + "run_id")


def _check_prefix(prefix: str) -> None:
    if not isinstance(prefix, str) or not _KEY.match(prefix):
        raise ConfigError(
            f"prefix {prefix!r} is not a valid MLflow key start: use letters, digits, "
            "'_', '-', '.', '/' and spaces"
        )


def _key_part(device_id: str) -> str:
    return re.sub(r"[^\w.\-]", "_", device_id)
