from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import wattprint
from wattprint import LedgerFallbackWarning, Tracker, track
from wattprint.errors import ConfigError, UnknownZoneError, WattprintError
from wattprint.model import DeviceKind, Method, Run, RunStatus
from wattprint.store.ledger import Ledger
from wattprint.testing import FakeClock, FakeSensor


def _tracker(clock: FakeClock, ledger: Ledger | None, **kw):  # type: ignore[no-untyped-def]
    sensors = kw.pop("sensors", None) or [
        FakeSensor([(0, 100.0)], kind=DeviceKind.CPU),
        FakeSensor([(0, 300.0)], kind=DeviceKind.GPU, as_counter=True),
    ]
    return Tracker(project="t", zone="DE", sensors=sensors, clock=clock, ledger=ledger,
                   save=ledger is not None, **kw)


@pytest.fixture
def ledger(ledger_url: str):  # type: ignore[no-untyped-def]
    led = Ledger(ledger_url)
    led.open()
    yield led
    led.close()


def test_context_manager_phases_and_footprint(ledger: Ledger) -> None:
    clock = FakeClock()
    with _tracker(clock, ledger, pue=1.5, flops=4e12) as t:
        clock.advance(2.0)
        with t.phase("data_loading"):
            clock.advance(3.0)
        with t.phase("train"):
            clock.advance(5.0)
        assert t.energy_kwh == pytest.approx(400 * 10 * 1.5 / 3.6e6)
    run = t.run
    assert run is not None and run.status is RunStatus.FINISHED
    assert run.duration_s == pytest.approx(10.0)
    assert run.footprint.energy_kwh_by_kind["cpu"] == pytest.approx(1000 / 3.6e6)
    assert run.footprint.energy_kwh_by_kind["gpu"] == pytest.approx(3000 / 3.6e6)
    assert run.footprint.pue == 1.5
    intensity = run.footprint.intensity
    assert intensity.zone == "DE" and intensity.source
    assert run.co2e_kg == pytest.approx(run.energy_kwh * intensity.g_per_kwh / 1000)
    phases = {p.name: p for p in run.phases}
    assert phases["data_loading"].energy_j == pytest.approx(1200.0)
    assert phases["train"].energy_j == pytest.approx(2000.0)
    assert phases["train"].duration_s == pytest.approx(5.0)
    assert run.flops_per_w == pytest.approx(4e12 / 4000.0)
    stored = ledger.get_run(run.id)
    assert stored.status is RunStatus.FINISHED
    assert stored.co2e_kg == pytest.approx(run.co2e_kg)
    assert [p.name for p in stored.phases] == ["data_loading", "train"]
    assert run.zone_choice.how == "argument"


def test_stop_returns_the_run_and_is_idempotent() -> None:
    clock = FakeClock()
    t = _tracker(clock, None).start()
    clock.advance(1.0)
    run = t.stop()
    assert t.stop() is run is t.run


def test_exception_is_reraised_unchanged_and_run_saved_failed(ledger: Ledger) -> None:
    clock = FakeClock()
    boom = ValueError("bad batch")
    with pytest.raises(ValueError) as info:
        with _tracker(clock, ledger) as t:
            clock.advance(1.0)
            raise boom
    assert info.value is boom
    assert t.run is not None and t.run.status is RunStatus.FAILED
    assert "ValueError: bad batch" in t.run.error
    assert ledger.get_run(t.run.id).status is RunStatus.FAILED


def test_keyboard_interrupt_is_saved_interrupted(ledger: Ledger) -> None:
    clock = FakeClock()
    with pytest.raises(KeyboardInterrupt):
        with _tracker(clock, ledger) as t:
            clock.advance(1.0)
            raise KeyboardInterrupt
    assert ledger.get_run(t.run.id).status is RunStatus.INTERRUPTED  # type: ignore[union-attr]


def test_wall_clock_jump_does_not_corrupt_energy_or_duration() -> None:
    clock = FakeClock()
    with _tracker(clock, None) as t:
        clock.advance(2.0)
        clock.jump_wall(-3600.0)  # NTP step back an hour
        clock.advance(2.0)
    assert t.run is not None
    assert t.run.duration_s == pytest.approx(4.0)
    assert t.run.footprint.it_energy_kwh == pytest.approx(400 * 4 / 3.6e6)


def test_sensor_failure_mid_run_falls_back_and_is_flagged() -> None:
    clock = FakeClock()
    sensors = [FakeSensor([(0, 200.0)], kind=DeviceKind.GPU, fail_after_reads=3)]
    with _tracker(clock, None, sensors=sensors) as t:
        for _ in range(6):
            clock.advance(1.0)
            with t.phase("step"):
                pass
    assert t.run is not None
    gpu = t.run.devices[0]
    assert gpu.device.method is Method.MODELLED
    assert "failed" in gpu.device.note
    assert any("gpu:0" in w for w in t.run.warnings)
    assert gpu.energy_j == pytest.approx(1200.0, rel=0.01)


def test_unwritable_ledger_falls_back_to_json(tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("not a directory")
    clock = FakeClock()
    t = Tracker(project="t", zone="DE", sensors=[FakeSensor()], clock=clock,
                ledger=Ledger(f"sqlite:///{blocker}/sub/ledger.db"), fallback_dir=tmp_path / "fb")
    t.start()
    clock.advance(1.0)
    with pytest.warns(LedgerFallbackWarning, match="run saved to"):
        run = t.stop()
    assert t.fallback_path is not None and t.fallback_path.exists()
    data = json.loads(t.fallback_path.read_text())
    assert data["id"] == run.id


def test_unknown_zone_names_close_matches() -> None:
    with pytest.raises(UnknownZoneError) as info:
        Tracker(zone="Germny", sensors=[FakeSensor()], save=False).start()
    assert "DE" in str(info.value)


@pytest.mark.parametrize("interval", [0, -0.5])
def test_bad_interval_message(interval: float) -> None:
    with pytest.raises(WattprintError, match="invalid interval_s from argument: must be > 0"):
        Tracker(interval_s=interval)


def test_negative_pue_message() -> None:
    with pytest.raises(WattprintError, match="invalid pue from argument"):
        Tracker(pue=-1.0)


def test_live_figures_need_a_started_tracker() -> None:
    with pytest.raises(WattprintError, match="not started"):
        _ = Tracker(sensors=[FakeSensor()], save=False).energy_kwh


def test_track_decorator_bare_and_with_arguments(ledger_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("WATTPRINT_DB", ledger_url)
    monkeypatch.setenv("WATTPRINT_ZONE", "FR")

    @track
    def plain(x: int) -> int:
        return x * 2

    @track(project="deco", tags=["a"])
    def fails() -> None:
        raise RuntimeError("nope")

    assert plain(21) == 42
    assert plain.last_run.status is RunStatus.FINISHED  # type: ignore[attr-defined]
    assert plain.last_run.zone_choice.zone == "FR"  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError, match="nope"):
        fails()
    assert fails.last_run.status is RunStatus.FAILED  # type: ignore[attr-defined]
    led = Ledger(ledger_url)
    led.open()
    assert {r.project for r in led.list_runs()} == {"default", "deco"}
    led.close()


def test_real_tracker_measures_this_process(tmp_path: Path) -> None:
    t = Tracker(project="real", zone="DE", interval_s=0.05, save=False)
    with t:
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            sum(range(1000))
    assert t.run is not None
    cpu = [d for d in t.run.devices if d.device.kind is DeviceKind.CPU]
    assert cpu and cpu[0].energy_j > 0
    assert t.run.duration_s >= 0.3


_CHILD = """
import sys, time
from wattprint import Tracker
from wattprint.testing import FakeSensor
for i in range(int(sys.argv[1])):
    with Tracker(project=sys.argv[2], zone="DE", sensors=[FakeSensor()], interval_s=0.01):
        time.sleep(0.001)
"""


def test_two_processes_tracking_into_one_sqlite_ledger(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    env = {"WATTPRINT_DB": f"sqlite:///{db}", "PATH": "/usr/bin:/bin"}
    procs = [
        subprocess.Popen([sys.executable, "-c", _CHILD, "15", name], env=env)
        for name in ("p1", "p2")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    led = Ledger(f"sqlite:///{db}")
    led.open()
    runs = led.list_runs()
    led.close()
    assert sorted(r.project for r in runs) == ["p1"] * 15 + ["p2"] * 15


# -- model name and quality metrics ------------------------------------------

def test_model_and_metrics_are_recorded_with_the_run(ledger: Ledger) -> None:
    clock = FakeClock()
    with _tracker(clock, ledger, model="resnet50") as t:
        clock.advance(1.0)
        t.log_metric("accuracy", 0.5)
        t.log_metric("loss", 2)
        t.log_metric("accuracy", 0.91)  # the last value wins
        assert t.metrics == {"loss": 2.0, "accuracy": 0.91}
        assert t.snapshot().metrics == {"loss": 2.0, "accuracy": 0.91}
    run = t.run
    assert run is not None and run.model == "resnet50"
    assert run.metrics == {"loss": 2.0, "accuracy": 0.91}
    assert isinstance(run.metrics["loss"], float)
    stored = ledger.get_run(run.id)
    assert (stored.model, stored.metrics) == ("resnet50", {"accuracy": 0.91, "loss": 2.0})


def test_model_defaults_to_empty_and_metrics_to_none() -> None:
    clock = FakeClock()
    with _tracker(clock, None) as t:
        clock.advance(1.0)
    assert t.run is not None and (t.run.model, t.run.metrics) == ("", {})


def test_model_must_be_text() -> None:
    with pytest.raises(ConfigError, match="model must be a name .text., got int 50"):
        Tracker(model=50, save=False)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("", 0.9, "metric name must be non-empty text, got ''"),
        ("   ", 0.9, "metric name must be non-empty text, got '   '"),
        (None, 0.9, "metric name must be non-empty text, got None"),
        (3, 0.9, "metric name must be non-empty text, got 3"),
        ("accuracy", float("nan"), "metric 'accuracy': value must be a finite number, got nan"),
        ("accuracy", float("inf"), "metric 'accuracy': value must be a finite number, got inf"),
        ("loss", float("-inf"), "metric 'loss': value must be a finite number, got -inf"),
        ("accuracy", "0.9", "metric 'accuracy': value must be a finite number, got str '0.9'"),
        ("accuracy", None, "metric 'accuracy': value must be a finite number, got NoneType"),
        ("converged", True, "metric 'converged': value must be a finite number, got bool True"),
        ("accuracy", [0.9], "metric 'accuracy': value must be a finite number, got list"),
    ],
)
def test_bad_metrics_are_config_errors_naming_the_metric(
    name: object, value: object, message: str
) -> None:
    clock = FakeClock()
    with _tracker(clock, None) as t:
        with pytest.raises(ConfigError) as info:
            t.log_metric(name, value)  # type: ignore[arg-type]
        assert str(info.value).startswith(message)
        with pytest.raises(ConfigError) as module_info:
            wattprint.log_metric(name, value)  # type: ignore[arg-type]
        assert str(module_info.value) == str(info.value)
    assert t.run is not None and t.run.metrics == {}


def test_numpy_scalars_are_numbers() -> None:
    import numpy as np

    clock = FakeClock()
    with _tracker(clock, None) as t:
        t.log_metric("acc32", np.float32(0.5))  # type: ignore[arg-type]
        t.log_metric("steps", np.int64(7))  # type: ignore[arg-type]
    assert t.run is not None and t.run.metrics == {"acc32": 0.5, "steps": 7.0}


def test_metric_after_stop_is_refused() -> None:
    clock = FakeClock()
    with _tracker(clock, None) as t:
        clock.advance(1.0)
    with pytest.raises(WattprintError, match="metric 'late' not recorded: run .* has already "
                                             "stopped"):
        t.log_metric("late", 1.0)


def test_module_log_metric_goes_to_the_innermost_active_tracker() -> None:
    clock = FakeClock()
    outer = _tracker(clock, None).start()
    wattprint.log_metric("outer_only", 1.0)
    with _tracker(clock, None) as inner:
        wattprint.log_metric("accuracy", 0.8)
    wattprint.log_metric("accuracy", 0.6)  # inner stopped: back to the outer one
    outer.stop()
    assert inner.run is not None and inner.run.metrics == {"accuracy": 0.8}
    assert outer.run is not None and outer.run.metrics == {"outer_only": 1.0, "accuracy": 0.6}


def test_trackers_stopped_out_of_order_leave_the_right_one_active() -> None:
    clock = FakeClock()
    first = _tracker(clock, None).start()
    second = _tracker(clock, None).start()
    first.stop()
    wattprint.log_metric("m", 2.0)
    second.stop()
    assert second.run is not None and second.run.metrics == {"m": 2.0}
    assert first.run is not None and first.run.metrics == {}


def test_module_log_metric_from_another_thread_reaches_the_tracker() -> None:
    import threading

    clock = FakeClock()
    with _tracker(clock, None) as t:
        worker = threading.Thread(target=wattprint.log_metric, args=("from_thread", 3.5))
        worker.start()
        worker.join()
    assert t.run is not None and t.run.metrics == {"from_thread": 3.5}


def test_module_log_metric_without_tracker_or_file_says_none_is_active() -> None:
    with pytest.raises(WattprintError) as info:
        wattprint.log_metric("accuracy", 0.9)
    message = str(info.value)
    assert "cannot log metric 'accuracy': no wattprint tracker is active" in message
    assert "WATTPRINT_METRICS_FILE is not set" in message and "wattprint run" in message


def test_module_log_metric_without_tracker_appends_to_the_metrics_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "metrics.jsonl"
    monkeypatch.setenv("WATTPRINT_METRICS_FILE", str(target))
    wattprint.log_metric("accuracy", 0.5)
    wattprint.log_metric("accuracy", 0.75)
    assert [json.loads(line) for line in target.read_text().splitlines()] == [
        {"name": "accuracy", "value": 0.5}, {"name": "accuracy", "value": 0.75}]
    clock = FakeClock()
    with _tracker(clock, None) as t:  # an active tracker takes precedence over the file
        wattprint.log_metric("bleu", 30.0)
    assert t.run is not None and t.run.metrics == {"bleu": 30.0}
    assert "bleu" not in target.read_text()


def test_flushed_record_carries_model_and_metrics(ledger: Ledger) -> None:
    clock = FakeClock()
    t = _tracker(clock, ledger, model="bert-base").start()
    t.log_metric("loss", 1.5)
    ledger.save_run(t.snapshot())  # what the flush thread writes
    running = ledger.get_run(t.id)
    assert running.status is RunStatus.RUNNING
    assert (running.model, running.metrics) == ("bert-base", {"loss": 1.5})
    t.log_metric("loss", 0.5)
    t.stop()
    assert ledger.get_run(t.id).metrics == {"loss": 0.5}


def test_compat_tracker_receives_module_metrics(tmp_path: Path) -> None:
    from wattprint.compat.codecarbon import EmissionsTracker

    clock = FakeClock()
    cc = EmissionsTracker(
        project_name="cc", save_to_file=False,
        _wattprint_tracker_kwargs={"sensors": [FakeSensor([(0, 50.0)])], "clock": clock,
                                   "save": False, "model": "gpt2"},
    )
    cc.start()
    clock.advance(1.0)
    wattprint.log_metric("perplexity", 21.5)
    cc.stop()
    assert cc.run is not None
    assert (cc.run.model, cc.run.metrics) == ("gpt2", {"perplexity": 21.5})


class _SlowRescanSensor(FakeSensor):
    """A sensor whose ``refresh`` (a process-tree rescan) waits until the test releases it."""

    def __init__(self) -> None:
        super().__init__([(0, 100.0)])
        self.rescanning = threading.Event()
        self.release = threading.Event()

    def refresh(self) -> None:
        self.rescanning.set()
        assert self.release.wait(120), "the test never released the rescan"


def test_snapshot_is_not_blocked_by_a_slow_rescan() -> None:
    clock = FakeClock()
    sensor = _SlowRescanSensor()
    t = _tracker(clock, None, sensors=[sensor])
    t.start()
    snapshots: list[Run] = []
    try:
        clock.advance(1.0)  # the sampler thread reads, then starts its rescan
        assert sensor.rescanning.wait(30), "the sampler thread never rescanned"
        # As the flush thread does: a snapshot reads every sensor under the sampler's lock.
        flush = threading.Thread(target=lambda: snapshots.append(t.snapshot()))
        flush.start()
        flush.join(20)  # returns at once unless the snapshot waits for the rescan
        assert not flush.is_alive(), "the snapshot waited for the rescan"
        assert not sensor.release.is_set()  # the rescan was still held throughout
    finally:
        sensor.release.set()
        run = t.stop()
    (snapshot,) = snapshots
    assert snapshot.status is RunStatus.RUNNING and snapshot.duration_s == pytest.approx(1.0)
    assert run.duration_s == pytest.approx(1.0)
