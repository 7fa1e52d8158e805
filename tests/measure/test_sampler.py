from __future__ import annotations

import time

import pytest

from wattprint.measure.sampler import Sampler
from wattprint.model import DeviceKind, Method
from wattprint.testing import FakeClock, FakeSensor


def _drive(sampler: Sampler, clock: FakeClock, steps: int, dt: float) -> None:
    for _ in range(steps):
        clock.advance(dt)
        sampler.sample_now()


def test_sampler_integrates_power_trace_exactly_for_linear_segments() -> None:
    clock = FakeClock()
    sensor = FakeSensor([(0, 100.0), (10, 300.0)])
    sampler = Sampler([sensor], clock=clock, interval_s=1.0)
    sampler._t0 = clock.monotonic()
    sampler.sample_now()
    _drive(sampler, clock, 10, 1.0)
    assert sampler.energy_by_device_j()["cpu:0"] == pytest.approx(2000.0)
    assert sampler.elapsed_s() == pytest.approx(10.0)


def _wait_for(predicate, limit_s: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit_s
    while not predicate():
        assert time.monotonic() < deadline, "sampler thread did not sample"
        time.sleep(0.001)


def test_sampler_thread_samples_when_fake_time_passes_its_interval() -> None:
    clock = FakeClock()
    sampler = Sampler([FakeSensor([(0, 50.0)])], clock=clock, interval_s=0.5)
    sampler.start()
    for i in range(1, 11):
        clock.advance(0.5)
        _wait_for(lambda n=i + 1: sampler.results()[0].samples >= n)
    sampler.stop()
    assert sampler.elapsed_s() == pytest.approx(5.0)
    assert sampler.energy_by_device_j()["cpu:0"] == pytest.approx(250.0)
    assert sampler.results()[0].samples == 12  # baseline + 10 ticks + final


def test_counter_sensor_with_wraparound() -> None:
    clock = FakeClock()
    sensor = FakeSensor([(0, 100.0)], as_counter=True, counter_max_j=250.0)
    sampler = Sampler([sensor], clock=clock, interval_s=1.0)
    sampler._t0 = clock.monotonic()
    sampler.sample_now()
    _drive(sampler, clock, 12, 1.0)  # 1200 J through a 250 J counter
    assert sampler.energy_by_device_j()["cpu:0"] == pytest.approx(1200.0, rel=1e-6)


def test_failing_sensor_is_held_at_mean_power_and_flagged() -> None:
    clock = FakeClock()
    good = FakeSensor([(0, 10.0)], kind=DeviceKind.RAM)
    bad = FakeSensor([(0, 200.0)], kind=DeviceKind.GPU, fail_after_reads=5)
    sampler = Sampler([good, bad], clock=clock, interval_s=1.0)
    sampler._t0 = clock.monotonic()
    sampler.sample_now()
    _drive(sampler, clock, 10, 1.0)
    energy = sampler.energy_by_device_j()
    assert energy["gpu:0"] == pytest.approx(2000.0, rel=0.01)
    gpu = next(d for d in sampler.devices if d.id == "gpu:0")
    assert gpu.method is Method.MODELLED
    assert "fake failed" in gpu.note and "mean power" in gpu.note
    assert any("gpu:0" in w for w in sampler.warnings)
    assert energy["ram"] == pytest.approx(100.0)


def test_failing_sensor_uses_replacement_when_given() -> None:
    clock = FakeClock()
    bad = FakeSensor([(0, 200.0)], kind=DeviceKind.CPU, as_counter=True, fail_after_reads=3)
    replacement = FakeSensor([(0, 50.0)], kind=DeviceKind.CPU, as_counter=True)
    sampler = Sampler([bad], clock=clock, interval_s=1.0, fallback=lambda dev: replacement)
    sampler._t0 = clock.monotonic()
    sampler.sample_now()
    _drive(sampler, clock, 6, 1.0)
    # 2 s measured at 200 W, failure at read 4, replacement baseline at t=3, then 3 s at 50 W.
    assert sampler.energy_by_device_j()["cpu:0"] == pytest.approx(400.0 + 150.0)
    assert sampler.devices[0].note.startswith("Fake") is False


@pytest.mark.parametrize("interval", [0, -1.0, 0.001])
def test_bad_interval_is_rejected(interval: float) -> None:
    with pytest.raises(ValueError, match="interval_s must be"):
        Sampler([], interval_s=interval)


def test_power_by_device_is_the_latest_reading() -> None:
    clock = FakeClock()
    power = FakeSensor([(0, 100.0), (10, 300.0)], kind=DeviceKind.GPU)
    counter = FakeSensor([(0, 40.0)], as_counter=True)
    sampler = Sampler([power, counter], clock=clock, interval_s=1.0)
    sampler._t0 = clock.monotonic()
    sampler.sample_now()
    # A counter has no power until two readings give a difference.
    assert sampler.power_by_device_w() == {"gpu:0": 100.0, "cpu:0": None}
    _drive(sampler, clock, 5, 1.0)
    latest = sampler.power_by_device_w()
    assert latest["gpu:0"] == pytest.approx(200.0)
    assert latest["cpu:0"] == pytest.approx(40.0)


class _FailingRefresh(FakeSensor):
    """A sensor whose upkeep (``refresh``) always raises."""

    refreshes = 0

    def refresh(self) -> None:
        self.refreshes += 1
        raise OSError("/proc walk failed")


def test_failing_refresh_is_logged_and_sampling_goes_on() -> None:
    clock = FakeClock()
    sensor = _FailingRefresh([(0, 50.0)])
    sampler = Sampler([sensor], clock=clock, interval_s=0.5)
    sampler.start()
    for i in range(1, 4):
        clock.advance(0.5)
        _wait_for(lambda n=i: sensor.refreshes >= n)
    sampler.stop()
    assert sampler.energy_by_device_j()["cpu:0"] == pytest.approx(75.0)
    # The sensor itself reads fine; what its upkeep misses is said once, not per failure.
    assert sampler.warnings == [
        "fake: upkeep failed (/proc walk failed); processes started since are not counted"]
