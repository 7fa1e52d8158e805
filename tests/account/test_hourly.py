from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from helpers import CPU, GPU, T0, run

from wattprint.account.hourly import METHODS, SeriesOrigin, hourly_co2e, location_co2e, run_window
from wattprint.intensity.providers.static import StaticProvider
from wattprint.intensity.series import IntensitySeries
from wattprint.model import DeviceEnergy, TracePoint

HOUR0 = datetime(2026, 3, 1, tzinfo=timezone.utc)


def series(values: list[float], start: datetime = HOUR0, step_s: int = 3600,
           kind: str = "actual") -> IntensitySeries:
    return IntensitySeries("DE", start, step_s, np.array(values, dtype=float), kind=kind,
                           source="test")


def test_flat_power_weights_each_hour_by_its_overlap() -> None:
    # 00:30-02:30: half an hour at 100, one hour at 200, half an hour at 300.
    fig = hourly_co2e(run(), series([100, 200, 300]))
    assert fig.kind == "location-hourly" and fig.method == "hourly"
    assert fig.value == pytest.approx(3.0 * 200 / 1000)  # facility 3 kWh
    assert fig.inputs["energy_weighted_intensity_g_per_kwh"] == pytest.approx(200.0)
    assert fig.inputs["coverage"] == 1.0 and fig.inputs["series_step_s"] == 3600
    assert fig.inputs["series_source"] == "test" and fig.inputs["series_kind"] == "actual"


def test_hourly_differs_from_annual_mean_when_power_follows_the_clean_hours() -> None:
    # 2 kW in the first hour, 0 W in the second: the energy sits where intensity is 100.
    trace = (TracePoint("gpu:0", 0.0, 2000.0), TracePoint("gpu:0", 3599.999, 2000.0),
             TracePoint("gpu:0", 3600.0, 0.0), TracePoint("gpu:0", 7200.0, 0.0))
    r = run(started=HOUR0, trace=trace)
    fig = hourly_co2e(r, series([100, 500]))
    assert fig.value == pytest.approx(3.0 * 100 / 1000, rel=1e-3)
    assert location_co2e(r).value == pytest.approx(3.0 * 400 / 1000)


def test_linear_ramp_is_integrated_exactly_across_a_boundary() -> None:
    # Power ramps 0 → 2 kW over two hours: 1/4 of the energy in hour 1, 3/4 in hour 2.
    trace = (TracePoint("gpu:0", 0.0, 0.0), TracePoint("gpu:0", 7200.0, 2000.0))
    fig = hourly_co2e(run(started=HOUR0, trace=trace), series([100, 300]))
    assert fig.inputs["energy_weighted_intensity_g_per_kwh"] == pytest.approx(250.0)


def test_energy_total_is_the_measured_one_not_the_trace_integral() -> None:
    # A down-sampled trace integrating to a tenth of the measured energy.
    trace = tuple(TracePoint("gpu:0", float(t), 100.0) for t in range(0, 7201, 1800))
    fig = hourly_co2e(run(trace=trace), series([200, 200, 200]))
    assert fig.value == pytest.approx(3.0 * 200 / 1000)
    assert fig.inputs["trace_to_measured_scale"] == pytest.approx(10.0)


def test_each_device_is_scaled_to_its_own_energy() -> None:
    # GPU (1 kWh) only in hour 1 by its trace; CPU (1 kWh) has no trace: spread evenly.
    trace = (TracePoint("gpu:0", 0.0, 500.0), TracePoint("gpu:0", 3599.0, 500.0),
             TracePoint("gpu:0", 3600.0, 0.0), TracePoint("gpu:0", 7200.0, 0.0))
    devices = (DeviceEnergy(GPU, 3.6e6), DeviceEnergy(CPU, 3.6e6))
    fig = hourly_co2e(run(started=HOUR0, trace=trace, devices=devices), series([0, 1000]))
    # Hour 2 holds ~0 of the GPU's energy and half the CPU's: a quarter of the total.
    assert fig.inputs["energy_weighted_intensity_g_per_kwh"] == pytest.approx(250.0, rel=1e-3)


def test_falls_back_with_reasons() -> None:
    r = run()
    assert hourly_co2e(r, None).inputs["fallback_reason"].startswith("no intensity series")
    no_trace = hourly_co2e(dataclasses.replace(r, trace=()), series([1, 2, 3]))
    assert no_trace.method == "annual-mean (fallback)"
    assert no_trace.inputs["fallback_reason"] == "the run has no power trace: annual mean used"
    assert no_trace.value == pytest.approx(r.co2e_kg)
    short = hourly_co2e(r, series([100, 200]))  # ends at 02:00, run ends 02:30
    assert "covers 75 % of the run" in short.inputs["fallback_reason"]
    assert short.inputs["coverage"] == pytest.approx(0.75)
    gap = hourly_co2e(r, series([100, float("nan"), 300]))
    assert "1 missing intervals" in gap.inputs["fallback_reason"]


def test_series_of_another_zone_is_noted() -> None:
    other = dataclasses.replace(series([100, 200, 300]), zone="FR")
    assert "differs" in hourly_co2e(run(), other).inputs["note"]


def test_run_window_widens_to_whole_seconds() -> None:
    r = run(started=T0 + timedelta(microseconds=250), hours=1.0)
    start, end = run_window(r)
    assert start == T0 and end == T0 + timedelta(hours=1, seconds=1)


def test_static_typical_profile_is_computed_but_not_called_hourly() -> None:
    r = run()  # 2026-03-01 00:30-02:30 UTC, DE
    profile = StaticProvider().history("DE", *run_window(r))
    assert profile.kind == "profile"
    fig = hourly_co2e(r, profile, SeriesOrigin("provider chain: static", "DE"))
    assert fig.method == "typical-profile"
    assert "not a history of the run's hours" in fig.inputs["not_hourly_reason"]
    march = StaticProvider().profile_for("DE").values_g_per_kwh[2]  # type: ignore[union-attr]
    expected = 0.25 * march[0] + 0.5 * march[1] + 0.25 * march[2]
    assert fig.value == pytest.approx(3.0 * expected / 1000)
    assert fig.inputs["series_provider"] == "provider chain: static"
    assert "typical hour of DE" in fig.inputs["series_notes"][0]


def test_flat_annual_average_falls_back_to_the_annual_mean() -> None:
    r = run(zone="SE")
    flat = StaticProvider().history("SE", *run_window(r))
    assert flat.kind == "static"
    fig = hourly_co2e(r, flat)
    assert fig.method == "annual-mean (fallback)" and fig.value == pytest.approx(r.co2e_kg)
    assert fig.inputs["fallback_reason"].startswith("only a flat annual average is available")


@pytest.mark.parametrize(("kind", "method"), [
    ("actual", "hourly"), ("mixed", "hourly-partial"), ("forecast", "hourly-forecast"),
    ("profile", "typical-profile"),
])
def test_method_follows_the_kind_of_series(kind: str, method: str) -> None:
    fig = hourly_co2e(run(), series([100, 200, 300], kind=kind))
    assert fig.method == method == METHODS[kind][0]
    assert fig.value == pytest.approx(3.0 * 200 / 1000)  # same arithmetic, honest name
    assert ("not_hourly_reason" in fig.inputs) == (kind != "actual")


def test_provider_failure_is_the_annual_mean_with_its_reason() -> None:
    origin = SeriesOrigin("provider chain: electricitymaps, static", "DE",
                          warnings=("intensity provider electricitymaps failed: HTTP 503",),
                          error="provider chain gave no history of DE: no provider could answer")
    fig = hourly_co2e(run(), None, origin)
    assert fig.method == "annual-mean (fallback)" and fig.value == pytest.approx(run().co2e_kg)
    assert fig.inputs["fallback_reason"] == (
        "provider chain gave no history of DE: no provider could answer: annual mean used")
    assert fig.inputs["provider_warnings"] == [
        "intensity provider electricitymaps failed: HTTP 503"]
    assert fig.inputs["series_provider"] == origin.provider


def test_series_of_the_asked_grid_zone_is_not_flagged() -> None:
    r = run(zone="aws:eu-central-1")
    fig = hourly_co2e(r, series([100, 200, 300]), SeriesOrigin("chain", "DE"))
    assert "note" not in fig.inputs and fig.method == "hourly"
    assert "differs" in hourly_co2e(r, series([100, 200, 300]),
                                    SeriesOrigin("chain", "FR")).inputs["note"]
