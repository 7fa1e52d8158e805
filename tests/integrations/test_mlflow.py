"""wattprint.integrations.mlflow against a real MLflow tracking store (SQLite in tmp)."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

# MLflow 3 sends usage telemetry unless told not to, decided when it is first
# imported; the suite never leaves 127.0.0.1.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

import mlflow  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

from wattprint import Tracker  # noqa: E402
from wattprint.errors import ConfigError, MissingExtraError, WattprintError  # noqa: E402
from wattprint.integrations import mlflow as wp_mlflow  # noqa: E402
from wattprint.model import DeviceKind, Run, RunStatus  # noqa: E402
from wattprint.store.ledger import Ledger  # noqa: E402
from wattprint.store.serialize import run_from_dict, run_to_dict  # noqa: E402
from wattprint.testing import FakeClock, FakeSensor  # noqa: E402

pytestmark = [
    # MLflow's SQL store uses a loader strategy SQLAlchemy 2.1 deprecates (MLflow's code, not ours).
    pytest.mark.filterwarnings(
        "ignore:The ``noload`` loader strategy is deprecated:sqlalchemy.exc.SADeprecationWarning"
    ),
]

P = "wattprint."
WAIT_S = 10.0  # upper bound for a background thread's write to show; normally milliseconds


@pytest.fixture(scope="module")
def mlflow_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    # One database per module: creating MLflow's schema takes seconds; each test
    # gets its own experiment in it.
    uri = f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"
    MlflowClient(uri).search_experiments()
    return uri


@dataclass
class Store:
    client: MlflowClient
    experiment_id: str
    tmp: Path

    def history(self, run_id: str, key: str) -> list[tuple[int, float]]:
        return [(m.step, m.value) for m in self.client.get_metric_history(run_id, P + key)]

    def artifact(self, run_id: str, path: str) -> Any:
        local = self.client.download_artifacts(run_id, path, str(self.tmp))
        return json.loads(Path(local).read_text())


@pytest.fixture
def store(mlflow_uri: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Store]:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_uri)
    client = MlflowClient(mlflow_uri)
    exp = client.create_experiment(f"t-{uuid.uuid4().hex[:8]}",
                                   artifact_location=(tmp_path / "artifacts").as_uri())
    yield Store(client, exp, tmp_path)
    wp_mlflow.autolog(disable=True)
    while mlflow.active_run() is not None:
        mlflow.end_run()


def _sensors() -> list[FakeSensor]:
    return [
        FakeSensor([(0, 50.0), (10, 150.0)], kind=DeviceKind.CPU),
        FakeSensor([(0, 300.0)], kind=DeviceKind.GPU, as_counter=True),
        FakeSensor([(0, 6.0)], kind=DeviceKind.RAM),
    ]


def _tracker(clock: FakeClock, **kw: Any) -> Tracker:
    kw.setdefault("save", False)
    return Tracker(project="mlflow-test", zone="DE", model="mlp", tags=("sweep",),
                   sensors=_sensors(), clock=clock, **kw)


def _run_for(t: Tracker, clock: FakeClock, seconds: int) -> None:
    for _ in range(seconds):
        clock.advance(1.0)
        t.snapshot()  # a reading every second, whatever the sampler thread does


def _tracked_run() -> Run:
    clock = FakeClock()
    with _tracker(clock) as t:
        _run_for(t, clock, 10)
    assert t.run is not None
    return t.run


def _wait_for(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        assert time.monotonic() < deadline, "background write did not show up"
        time.sleep(0.01)


def test_log_run_into_the_active_run(store: Store) -> None:
    run = _tracked_run()
    with mlflow.start_run(experiment_id=store.experiment_id) as active:
        mlflow_id = wp_mlflow.log_run(run)
    assert mlflow_id == active.info.run_id
    data = store.client.get_run(mlflow_id).data
    m = {k.removeprefix(P): v for k, v in data.metrics.items()}
    fp = run.footprint
    assert m["energy_kwh"] == pytest.approx(run.energy_kwh)
    assert m["it_energy_kwh"] == pytest.approx(fp.it_energy_kwh)
    assert m["cpu_energy_kwh"] == pytest.approx(1000 / 3.6e6, rel=1e-3)
    assert m["gpu_energy_kwh"] == pytest.approx(3000 / 3.6e6, rel=1e-6)
    assert m["ram_energy_kwh"] == pytest.approx(60 / 3.6e6, rel=1e-6)
    assert m["co2e_kg"] == pytest.approx(run.co2e_kg)
    assert m["duration_s"] == pytest.approx(10.0)
    assert m["mean_power_w.cpu_0"] == pytest.approx(100.0, rel=1e-3)  # 1000 J in 10 s
    assert m["peak_power_w.cpu_0"] == pytest.approx(150.0)
    assert m["mean_power_w.gpu_0"] == pytest.approx(300.0, rel=1e-3)
    assert m["peak_power_w.ram"] == pytest.approx(6.0)
    assert "embodied_co2e_kg" not in m and "water_l" not in m and "other_energy_kwh" not in m
    p = {k.removeprefix(P): v for k, v in data.params.items()}
    assert p["run_id"] == run.id and p["project"] == "mlflow-test" and p["model"] == "mlp"
    assert (p["zone"], p["zone_how"]) == ("DE", "argument")
    assert float(p["intensity_g_per_kwh"]) == fp.intensity.g_per_kwh
    assert p["intensity_source"] == fp.intensity.source and fp.intensity.source
    assert (float(p["pue"]), p["pue_source"]) == (fp.pue, fp.pue_source)
    assert p["method.cpu_0"] == "sampled-power" and p["method.gpu_0"] == "counter"
    assert p["sensor.ram"] == "fake"
    assert {k: v for k, v in data.tags.items() if k.startswith(P)} == {
        P + "run_id": run.id, P + "status": "finished", P + "host": run.host,
        P + "tags": "sweep", P + "warnings": "; ".join(run.warnings),
    }
    stored = store.artifact(mlflow_id, f"wattprint/run-{run.id}.json")
    assert stored == json.loads(json.dumps(run_to_dict(run, trace=True)))
    assert run_from_dict(stored).energy_kwh == pytest.approx(run.energy_kwh)
    assert len(stored["trace"]) >= 30


def test_the_power_trace_is_a_metric_history_per_device_at_its_own_times(
        store: Store) -> None:
    run = _tracked_run()
    with mlflow.start_run(experiment_id=store.experiment_id) as active:
        wp_mlflow.log_run(run)
    start_ms = run.started_utc.timestamp() * 1000
    for device in ("cpu:0", "gpu:0", "ram"):
        points = [p for p in run.trace if p.device_id == device]
        key = f"{P}power_w.{device.replace(':', '_')}"
        history = sorted(store.client.get_metric_history(active.info.run_id, key),
                         key=lambda m: m.step)
        assert [m.step for m in history] == list(range(len(points))) and len(points) >= 5
        assert [m.value for m in history] == pytest.approx([p.power_w for p in points])
        assert [m.timestamp for m in history] == [int(start_ms + p.t_s * 1000) for p in points]
    cpu = [m.value for m in sorted(store.client.get_metric_history(
        active.info.run_id, P + "power_w.cpu_0"), key=lambda m: m.step)]
    assert cpu == sorted(cpu) and cpu[0] < 70.0 < 130.0 < cpu[-1]  # the sensor's ramp, 50->150 W


def test_trace_false_logs_no_history(store: Store) -> None:
    run = _tracked_run()
    with mlflow.start_run(experiment_id=store.experiment_id) as active:
        wp_mlflow.log_run(run, trace=False)
    metrics = store.client.get_run(active.info.run_id).data.metrics
    assert not [k for k in metrics if k.startswith(P + "power_w.")]
    assert P + "mean_power_w.cpu_0" in metrics


def test_log_run_by_id_with_embodied_water_and_a_prefix(store: Store) -> None:
    run = _tracked_run()
    run = replace(run, footprint=replace(run.footprint, embodied_co2e_kg=0.25, water_l=1.5),
                  warnings=("cpu modelled",))
    target = store.client.create_run(store.experiment_id).info.run_id
    assert wp_mlflow.log_run(run, run_id=target, client=store.client, prefix="wp/") == target
    wp_mlflow.log_run(run, run_id=target, client=store.client, prefix="wp/")  # again: accepted
    data = store.client.get_run(target).data
    assert data.metrics["wp/embodied_co2e_kg"] == 0.25 and data.metrics["wp/water_l"] == 1.5
    assert data.params["wp/run_id"] == run.id
    assert data.tags["wp/warnings"] == "cpu modelled"
    assert not any(k.startswith(P) for k in data.metrics)


def test_log_run_outside_an_mlflow_run_needs_a_run_id(store: Store) -> None:
    with pytest.raises(ConfigError) as info:
        wp_mlflow.log_run(_tracked_run())
    assert str(info.value) == (
        "no active MLflow run: call log_run inside `with mlflow.start_run():` or pass run_id="
    )


def test_log_run_refuses_what_is_not_a_run(store: Store) -> None:
    with pytest.raises(ConfigError, match=r"log_run needs a wattprint\.model\.Run \(tracker\.run "
                                          r"after stop\), got dict"):
        wp_mlflow.log_run(run_to_dict(_tracked_run()))  # type: ignore[arg-type]


def test_a_second_wattprint_run_into_the_same_mlflow_run_is_refused(store: Store) -> None:
    first, second = _tracked_run(), _tracked_run()
    with mlflow.start_run(experiment_id=store.experiment_id) as active:
        wp_mlflow.log_run(first)
        with pytest.raises(ConfigError) as info:
            wp_mlflow.log_run(second)
        with mlflow.start_run(experiment_id=store.experiment_id, nested=True) as child:
            wp_mlflow.log_run(second)  # what the message advises
    assert f"MLflow run {active.info.run_id} already holds wattprint run {first.id}" in str(
        info.value)
    assert "mlflow.start_run(nested=True)" in str(info.value)
    assert store.client.get_run(child.info.run_id).data.params[P + "run_id"] == second.id


def test_bad_prefix_and_unknown_mlflow_run(store: Store) -> None:
    run = _tracked_run()
    with pytest.raises(ConfigError, match="prefix 'w@t:' is not a valid MLflow key start"):
        wp_mlflow.log_run(run, run_id="x", prefix="w@t:")
    with pytest.raises(WattprintError, match="MLflow run 0123abcd could not be read"):
        wp_mlflow.log_run(run, run_id="0123abcd", client=store.client)


def test_missing_mlflow_names_the_pip_line(monkeypatch: pytest.MonkeyPatch) -> None:
    run = _tracked_run()
    # A module set to None in sys.modules makes its import raise ImportError.
    monkeypatch.setitem(sys.modules, "mlflow", None)
    for call in (lambda: wp_mlflow.log_run(run), lambda: wp_mlflow.autolog()):
        with pytest.raises(MissingExtraError) as info:
            call()
        assert str(info.value) == "mlflow is not installed; run: pip install 'wattprint[mlflow]'"


def test_autolog_logs_progress_steps_then_the_run(store: Store) -> None:
    wp_mlflow.autolog(log_every_s=2.0)
    clock = FakeClock()
    with mlflow.start_run(experiment_id=store.experiment_id) as active:
        rid = active.info.run_id
        with _tracker(clock) as t:
            for n in range(1, 4):
                clock.advance(2.0)
                _wait_for(lambda n=n: len(store.history(rid, "energy_kwh")) == n)
    assert t.run is not None
    energy = store.history(rid, "energy_kwh")
    assert [s for s, _ in energy] == [0, 1, 2, 3]
    values = [v for _, v in energy]
    assert values == sorted(values) and values[-1] == pytest.approx(t.run.energy_kwh)
    assert [s for s, _ in store.history(rid, "co2e_kg")] == [0, 1, 2, 3]
    assert store.history(rid, "duration_s")[:3] == [(0, 2.0), (1, 4.0), (2, 6.0)]
    data = store.client.get_run(rid).data
    assert data.params[P + "run_id"] == t.run.id and data.tags[P + "status"] == "finished"
    assert store.artifact(rid, f"wattprint/run-{t.run.id}.json")["id"] == t.run.id


def test_autolog_at_each_flush(
    store: Store, ledger_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATTPRINT_FLUSH_INTERVAL_S", "5")
    wp_mlflow.autolog()
    ledger = Ledger(ledger_url)
    ledger.open()
    clock = FakeClock()
    try:
        with mlflow.start_run(experiment_id=store.experiment_id) as active:
            rid = active.info.run_id
            with _tracker(clock, ledger=ledger, save=True) as t:
                clock.advance(5.0)
                _wait_for(lambda: len(store.history(rid, "energy_kwh")) == 1)
    finally:
        ledger.close()
    assert [s for s, _ in store.history(rid, "energy_kwh")] == [0, 1]
    assert t.run is not None and store.history(rid, "energy_kwh")[1][1] == pytest.approx(
        t.run.energy_kwh)


def test_autolog_logs_only_trackers_in_an_mlflow_run_once_each_and_until_disabled(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    wp_mlflow.autolog()
    clock = FakeClock()
    with _tracker(clock) as outside:
        clock.advance(1.0)
    assert outside.run is not None and outside.run.status is RunStatus.FINISHED
    with caplog.at_level(logging.INFO, logger="wattprint.integrations.mlflow"):
        with mlflow.start_run(experiment_id=store.experiment_id) as active:
            with _tracker(clock) as first, _tracker(clock) as inner:
                clock.advance(1.0)
    rid = active.info.run_id
    assert first.run is not None and inner.run is not None
    assert store.client.get_run(rid).data.params[P + "run_id"] == first.run.id
    assert any(f"tracker {inner.id[:8]} not logged to MLflow" in r.getMessage()
               for r in caplog.records)
    wp_mlflow.autolog(disable=True)
    with mlflow.start_run(experiment_id=store.experiment_id) as later:
        with _tracker(clock):
            clock.advance(1.0)
    assert not store.client.get_run(later.info.run_id).data.params
    runs = store.client.search_runs([store.experiment_id])
    assert len(runs) == 2  # the tracker outside any MLflow run made none


def test_an_mlflow_failure_in_autolog_never_breaks_the_tracker(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    wp_mlflow.autolog()
    clock = FakeClock()
    active = mlflow.start_run(experiment_id=store.experiment_id)
    with caplog.at_level(logging.ERROR, logger="wattprint.measure.hooks"):
        with _tracker(clock) as t:
            clock.advance(1.0)
            store.client.delete_run(active.info.run_id)  # MLflow refuses writes now
    with pytest.raises(MlflowException, match="deleted"):
        mlflow.end_run()  # MLflow's own end of the run fails the same way
    assert t.run is not None and t.run.status is RunStatus.FINISHED
    assert any("_AutologListener.on_stop failed" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("every", [0, -5, float("nan"), True])
def test_autolog_refuses_a_bad_interval(store: Store, every: Any) -> None:
    with pytest.raises(ConfigError, match="log_every_s must be a positive number of seconds"):
        wp_mlflow.autolog(log_every_s=every)


def test_autolog_can_be_called_from_several_threads(store: Store) -> None:
    threads = [threading.Thread(target=wp_mlflow.autolog) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    clock = FakeClock()
    with mlflow.start_run(experiment_id=store.experiment_id) as active:
        with _tracker(clock) as t:
            clock.advance(1.0)
    # One listener, so one final step: a replaced autolog leaves no second listener behind.
    assert t.run is not None
    assert store.history(active.info.run_id, "energy_kwh") == [(0, pytest.approx(t.run.energy_kwh))]
