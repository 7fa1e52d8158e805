from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wattprint import LedgerFallbackWarning, Tracker, track
from wattprint.errors import UnknownZoneError, WattprintError
from wattprint.model import DeviceKind, Method, RunStatus
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
