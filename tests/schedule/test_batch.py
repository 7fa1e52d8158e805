from __future__ import annotations

import numpy as np
import pytest

from wattprint.errors import PlanError
from wattprint.intensity.series import IntensitySeries, from_epoch_s
from wattprint.schedule.batch import plan_batch
from wattprint.schedule.job import Job
from wattprint.schedule.planner import plan

H = 3600
ORIGIN = 1_672_531_200  # 2023-01-01T00:00Z


@pytest.mark.parametrize("interruptible", [False, True])
def test_batch_agrees_with_plan(interruptible: bool) -> None:
    rng = np.random.default_rng(7)
    n = 24 * 10
    series = {z: IntensitySeries(z, from_epoch_s(ORIGIN), H, rng.uniform(20, 800, n))
              for z in ("A", "B", "C")}
    jobs = 60
    earliest = ORIGIN + H * rng.integers(0, n - 48, jobs)
    duration = H * rng.integers(1, 8, jobs)
    deadline = earliest + duration + H * rng.integers(0, 30, jobs)
    energy = rng.uniform(1, 50, jobs)
    result = plan_batch(earliest, duration, deadline, energy, series,
                        interruptible=interruptible)
    for i in range(jobs):
        job = Job(duration_s=int(duration[i]), zones=("A", "B", "C"),
                  energy_kwh=float(energy[i]), deadline_utc=from_epoch_s(deadline[i]),
                  interruptible=interruptible)
        single = plan(job, series, from_epoch_s(earliest[i]))
        assert result.co2e_kg[i] == pytest.approx(single.expected_co2e_kg, rel=1e-9)
        assert result.baseline_co2e_kg[i] == pytest.approx(single.baseline_co2e_kg, rel=1e-9)
        assert result.zones[result.zone_index[i]] == single.zone
        if not interruptible:
            assert from_epoch_s(result.start_epoch_s[i]) == single.start_utc
    assert np.all(result.saving_pct >= -1e-9)


def test_batch_rejects_misaligned_and_short_windows() -> None:
    s = {"A": IntensitySeries("A", from_epoch_s(ORIGIN), H, np.ones(48))}
    with pytest.raises(PlanError, match="whole number of 3600 s steps"):
        plan_batch([ORIGIN + 60], [H], [ORIGIN + 4 * H], [1.0], s)
    with pytest.raises(PlanError, match="shorter than its duration"):
        plan_batch([ORIGIN], [4 * H], [ORIGIN + 2 * H], [1.0], s)
    with pytest.raises(PlanError, match="outside the series"):
        plan_batch([ORIGIN], [H], [ORIGIN + 100 * H], [1.0], s)
