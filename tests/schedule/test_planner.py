from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wattprint.errors import PlanError
from wattprint.intensity.series import IntensitySeries
from wattprint.schedule.job import Job, Tier
from wattprint.schedule.planner import choose_slots, plan

T0 = datetime(2023, 3, 1, tzinfo=timezone.utc)
H = 3600
Q = 900  # the brute-force grid: every quarter hour


def series(zone: str, values: list[float], start: datetime = T0,
           step_s: int = H) -> IntensitySeries:
    return IntensitySeries(zone, start, step_s, np.array(values, dtype=float),
                           source=f"test {zone}")


def job(hours: float, deadline_h: float, zones: tuple[str, ...] = ("A",), **kw: object) -> Job:
    return Job(duration_s=hours * H, zones=zones, energy_kwh=kw.pop("energy_kwh", 10.0),  # type: ignore[arg-type]
               deadline_utc=T0 + timedelta(hours=deadline_h), **kw)  # type: ignore[arg-type]


def brute_window(values: np.ndarray, duration_s: int, earliest_s: int, deadline_s: int,
                 energy_kwh: float) -> float:
    """Independent check: expand to quarter hours and try every quarter-hour start."""
    fine = np.repeat(values, H // Q)
    n = duration_s // Q
    best = np.inf
    for start in range(earliest_s // Q, (deadline_s - duration_s) // Q + 1):
        best = min(best, fine[start:start + n].mean())
    return energy_kwh * best / 1000.0


def brute_slots(values: np.ndarray, k: int, chunk: int, last_weight: float) -> float:
    best = np.inf
    for combo in itertools.combinations(range(values.size), k):
        runs, run = [], 1
        for a, b in itertools.pairwise(combo):
            if b == a + 1:
                run += 1
            else:
                runs.append(run)
                run = 1
        runs.append(run)
        if min(runs) < min(chunk, k):
            continue
        cost = values[list(combo[:-1])].sum() + last_weight * values[combo[-1]]
        best = min(best, cost)
    return best


@settings(max_examples=120, deadline=None)
@given(
    values=st.lists(st.floats(0, 900, allow_nan=False), min_size=6, max_size=30),
    quarters=st.integers(1, 16),
    data=st.data(),
)
def test_contiguous_window_equals_brute_force(values: list[float], quarters: int,
                                               data: st.DataObject) -> None:
    total_s = len(values) * H
    duration = quarters * Q
    if duration > total_s:
        return
    earliest = data.draw(st.integers(0, (total_s - duration) // Q)) * Q
    deadline = data.draw(st.integers((earliest + duration) // Q, total_s // Q)) * Q
    j = Job(duration_s=duration, zones=("A",), energy_kwh=7.0,
            earliest_start_utc=T0 + timedelta(seconds=earliest),
            deadline_utc=T0 + timedelta(seconds=deadline))
    result = plan(j, {"A": series("A", values)}, T0)
    expected = brute_window(np.array(values), duration, earliest, deadline, 7.0)
    assert result.expected_co2e_kg == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert result.start_utc >= T0 + timedelta(seconds=earliest)
    assert result.end_utc <= T0 + timedelta(seconds=deadline)
    assert result.expected_co2e_kg <= result.baseline_co2e_kg + 1e-9


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(st.floats(0, 900, allow_nan=False), min_size=1, max_size=10),
    k=st.integers(1, 6),
    chunk=st.integers(1, 4),
    last_weight=st.sampled_from([1.0, 0.5, 0.25]),
)
def test_slot_choice_equals_brute_force(values: list[float], k: int, chunk: int,
                                        last_weight: float) -> None:
    arr = np.array(values)
    chosen = choose_slots(arr, k, min(chunk, k), last_weight)
    expected = brute_slots(arr, k, chunk, last_weight) if k <= arr.size else np.inf
    if not np.isfinite(expected):
        assert chosen is None
        return
    assert chosen is not None and len(chosen) == k
    cost = arr[chosen[:-1]].sum() + last_weight * arr[chosen[-1]]
    assert cost == pytest.approx(expected, rel=1e-9, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    a=st.lists(st.floats(0, 900, allow_nan=False), min_size=12, max_size=12),
    b=st.lists(st.floats(0, 900, allow_nan=False), min_size=12, max_size=12),
    hours=st.integers(1, 6),
    interruptible=st.booleans(),
)
def test_best_zone_is_the_minimum_over_zones(a: list[float], b: list[float], hours: int,
                                              interruptible: bool) -> None:
    j = job(hours, 12, zones=("A", "B"), interruptible=interruptible)
    result = plan(j, {"A": series("A", a), "B": series("B", b)}, T0)
    per_zone = []
    for values in (a, b):
        if interruptible:
            per_zone.append(brute_slots(np.array(values), hours, 1, 1.0) * 10.0 / hours / 1000)
        else:
            per_zone.append(brute_window(np.array(values), hours * H, 0, 12 * H, 10.0))
    assert result.expected_co2e_kg == pytest.approx(min(per_zone), rel=1e-9, abs=1e-9)
    assert result.by_zone["A"] == pytest.approx(per_zone[0], rel=1e-9, abs=1e-9)
    assert result.baseline_zone == "A"
    assert result.baseline_co2e_kg == pytest.approx(10.0 * np.mean(a[:hours]) / 1000, rel=1e-9)


def test_interruptible_respects_min_chunk_and_partial_last_slot() -> None:
    values = [100, 900, 100, 900, 100, 100, 900, 900]
    j = job(2.5, 8, interruptible=True, min_chunk_s=2 * H)
    result = plan(j, {"A": series("A", values)}, T0)
    assert result.mode == "slots"
    for slot in result.slots[:-1]:
        assert slot.duration_s >= 2 * H
    assert sum(s.duration_s for s in result.slots) == pytest.approx(2.5 * H)
    assert result.expected_co2e_kg == pytest.approx(sum(s.co2e_kg for s in result.slots))


def test_saving_and_plan_keys() -> None:
    result = plan(job(2, 6, energy_kwh=4.0), {"A": series("A", [400, 400, 300, 100, 100, 500])},
                  T0)
    assert result.start_utc == T0 + timedelta(hours=3)
    assert result.expected_co2e_kg == pytest.approx(0.4)
    assert result.baseline_co2e_kg == pytest.approx(1.6)
    assert result.saving_pct == pytest.approx(75.0)
    data = result.to_dict()
    for key in ("zone", "start", "end", "slots", "expected_co2e_kg", "baseline_co2e_kg",
                "saving_pct"):
        assert key in data
    assert data["start"] == "2023-03-01T03:00:00Z"


def test_power_gives_energy() -> None:
    j = Job(duration_s=2 * H, zones=("A",), power_w=500.0, deadline_utc=T0 + timedelta(hours=4))
    assert j.total_energy_kwh == pytest.approx(1.0)
    result = plan(j, {"A": series("A", [200, 200, 200, 200])}, T0)
    assert result.expected_co2e_kg == pytest.approx(0.2)


def test_deadline_shorter_than_duration_is_a_clear_error() -> None:
    with pytest.raises(PlanError, match=r"leaves 2 h .* needs 4 h; move the deadline to at "
                                        r"least 2023-03-01T04:00:00Z"):
        plan(job(4, 2), {"A": series("A", [1] * 10)}, T0)


def test_job_validation_messages() -> None:
    with pytest.raises(PlanError, match="duration must be > 0"):
        Job(duration_s=0, zones=("A",), energy_kwh=1)
    with pytest.raises(PlanError, match="expected energy or its average power"):
        Job(duration_s=1, zones=("A",))
    with pytest.raises(PlanError, match="home zone X is not among"):
        Job(duration_s=1, zones=("A",), energy_kwh=1, home_zone="X")
    with pytest.raises(PlanError, match="at least one allowed zone"):
        Job(duration_s=1, zones=(), energy_kwh=1)


def test_nan_windows_are_skipped_and_all_nan_is_an_error() -> None:
    values = [100, float("nan"), 50, 50, 300, 300]
    result = plan(job(2, 6), {"A": series("A", [200, 200, *values[2:]])}, T0)
    assert result.start_utc == T0 + timedelta(hours=2)
    gappy = plan(job(1, 6), {"A": series("A", [300, 300, float("nan"), 10, 300, 300])}, T0)
    assert gappy.start_utc == T0 + timedelta(hours=3)
    with pytest.raises(PlanError, match="no intensity data for the home zone A"):
        plan(job(2, 6), {"A": series("A", [float("nan")] * 6)}, T0)


def test_zone_without_data_is_skipped_with_a_note() -> None:
    result = plan(job(1, 4, zones=("A", "B")), {"A": series("A", [5, 4, 3, 2])}, T0)
    assert result.zone == "A"
    assert any("no intensity data for zone B" in n for n in result.notes)
    with pytest.raises(PlanError, match="home zone B"):
        plan(job(1, 4, zones=("B", "A")), {"A": series("A", [5, 4, 3, 2])}, T0)


def test_series_shorter_than_deadline_plans_within_it() -> None:
    result = plan(job(1, 48), {"A": series("A", [5, 4, 3, 9])}, T0)
    assert result.start_utc == T0 + timedelta(hours=2)
    assert any("ends at 2023-03-01T04:00:00Z" in n for n in result.notes)


def test_dst_change_does_not_shift_windows() -> None:
    # Europe/Berlin switched to summer time on 2023-03-26 at 01:00 UTC.
    start = datetime(2023, 3, 25, 20, tzinfo=timezone.utc)
    values = [300.0] * 12
    values[6] = values[7] = 50.0  # 02:00–04:00 UTC, across the local jump
    s = series("DE", values, start=start)
    local_now = start.astimezone(ZoneInfo("Europe/Berlin"))
    j = Job(duration_s=2 * H, zones=("DE",), energy_kwh=1.0,
            deadline_utc=(start + timedelta(hours=12)).astimezone(ZoneInfo("Europe/Berlin")))
    result = plan(j, {"DE": s}, local_now)
    assert result.start_utc == datetime(2023, 3, 26, 2, tzinfo=timezone.utc)
    assert result.end_utc - result.start_utc == timedelta(hours=2)
    assert result.expected_co2e_kg == pytest.approx(0.05)


def test_threshold_mode_starts_at_first_clean_interval_or_latest() -> None:
    s = series("A", [500, 400, 150, 100, 90, 500])
    first = plan(job(1, 6, max_intensity_g_per_kwh=200), {"A": s}, T0)
    assert first.mode == "threshold" and first.start_utc == T0 + timedelta(hours=2)
    never = plan(job(1, 6, max_intensity_g_per_kwh=50), {"A": s}, T0)
    assert never.start_utc == T0 + timedelta(hours=5)


def test_critical_runs_now_regardless() -> None:
    s = series("A", [900, 900, 10, 10])
    result = plan(job(1, 4, tier=Tier.CRITICAL, zones=("A", "B")),
                  {"A": s, "B": series("B", [1, 1, 1, 1])}, T0)
    assert result.mode == "now" and result.zone == "A" and result.start_utc == T0
    assert result.saving_kg == 0


def test_uncertainty_from_forecast_error() -> None:
    s = IntensitySeries("A", T0, H, np.array([100.0] * 4), uncertainty_g_per_kwh=20.0)
    result = plan(job(1, 4, energy_kwh=5.0), {"A": s}, T0)
    assert result.uncertainty_co2e_kg == pytest.approx(0.1)


def test_now_mid_interval_is_aligned_exactly() -> None:
    s = series("A", [100, 300, 300, 300])
    now = T0 + timedelta(minutes=30)
    j = Job(duration_s=H, zones=("A",), energy_kwh=1.0, deadline_utc=T0 + timedelta(hours=4))
    result = plan(j, {"A": s}, now)
    # Starting now uses the last half hour at 100 and half an hour at 300.
    assert result.start_utc == now
    assert result.expected_co2e_kg == pytest.approx(0.2)


def test_flat_series_starts_at_once_despite_rounding() -> None:
    # The running integral of a flat series differs between windows by rounding
    # only; the earliest start must win the tie.
    s = series("A", [34.8] * 26)
    now = T0 + timedelta(minutes=54, seconds=7)
    j = Job(duration_s=20, zones=("A",), energy_kwh=1.0, earliest_start_utc=now,
            deadline_utc=now + timedelta(hours=24))
    result = plan(j, {"A": s}, now)
    assert result.start_utc == now
    assert result.saving_kg == pytest.approx(0.0)
