from __future__ import annotations

import pytest

from wattprint.measure.integrate import DeviceIntegrator, TraceDownsampler, integrate
from wattprint.model import Reading


def test_counter_is_integrated_exactly() -> None:
    readings = [Reading("cpu:0", t, energy_j=e) for t, e in [(0, 100.0), (1, 150.0), (2, 260.0)]]
    assert integrate(readings) == pytest.approx(160.0)


def test_counter_wraparound_uses_max_range() -> None:
    max_j = 262_143.328850
    readings = [
        Reading("cpu:0", 0.0, energy_j=max_j - 10.0, counter_max_j=max_j),
        Reading("cpu:0", 1.0, energy_j=5.0, counter_max_j=max_j),
        Reading("cpu:0", 2.0, energy_j=25.0, counter_max_j=max_j),
    ]
    assert integrate(readings) == pytest.approx(35.0)


def test_counter_reset_without_range_adds_nothing_and_is_counted() -> None:
    integ = DeviceIntegrator("gpu:0")
    for t, e in [(0, 1000.0), (1, 1100.0), (2, 3.0), (3, 13.0)]:
        integ.feed(Reading("gpu:0", t, energy_j=e))
    assert integ.energy_j == pytest.approx(110.0)
    assert integ.resets == 1


def test_power_samples_use_trapezoid_rule() -> None:
    readings = [Reading("gpu:0", t, power_w=p) for t, p in [(0, 100.0), (2, 200.0), (3, 200.0)]]
    # (100+200)/2*2 + 200*1
    assert integrate(readings) == pytest.approx(500.0)


def test_time_not_advancing_adds_no_energy() -> None:
    integ = DeviceIntegrator("gpu:0")
    integ.feed(Reading("gpu:0", 5.0, power_w=100.0))
    integ.feed(Reading("gpu:0", 5.0, power_w=1e9))
    integ.feed(Reading("gpu:0", 4.0, power_w=1e9))
    integ.feed(Reading("gpu:0", 6.0, power_w=100.0))
    assert integ.energy_j == pytest.approx(100.0)


def test_counter_gives_power_for_the_trace() -> None:
    integ = DeviceIntegrator("cpu:0")
    integ.feed(Reading("cpu:0", 0.0, energy_j=0.0))
    integ.feed(Reading("cpu:0", 0.5, energy_j=25.0))
    assert integ.last_power_w == pytest.approx(50.0)
    assert integ.peak_power_w == pytest.approx(50.0)


def test_downsampler_stays_bounded_and_averages() -> None:
    ds = TraceDownsampler("cpu:0", resolution_s=1.0, max_points=10)
    for i in range(1000):
        ds.add(i * 0.5, Reading("cpu:0", i * 0.5, power_w=100.0, utilisation_pct=50.0), 100.0)
    points = ds.points()
    assert len(points) <= 10
    assert all(p.power_w == pytest.approx(100.0) for p in points)
    assert all(p.utilisation_pct == pytest.approx(50.0) for p in points)
    assert ds.resolution_s >= 50


def test_downsampler_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="resolution_s"):
        TraceDownsampler("x", resolution_s=0)
