"""Plan many jobs at once, vectorised over jobs and candidate starts (numpy).

:func:`plan_batch` answers the same question as
:func:`wattprint.schedule.planner.plan` for thousands of jobs in one call —
for backtests over a year of history and for fleet-wide "what if" figures.
It covers the common cases exactly:

* contiguous jobs whose earliest start, duration and deadline are whole
  multiples of the series step (every candidate start is then a step
  boundary, and the cleanest window is found among all of them);
* interruptible jobs with the same alignment and a minimum chunk of at most
  one step (the cleanest ``k`` steps of the window).

Anything else (odd alignment, longer minimum chunks, threshold mode) goes
through :func:`~wattprint.schedule.planner.plan` one job at a time; a test
checks that both agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from wattprint.errors import PlanError
from wattprint.intensity.series import IntensitySeries

IntArray = np.ndarray[Any, np.dtype[np.int64]]
FloatArray = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(frozen=True)
class BatchResult:
    """Per-job results of :func:`plan_batch` (arrays of equal length).

    ``zone_index`` indexes ``zones``; ``start_epoch_s`` is the first start
    (the first slot when interruptible); ``co2e_kg`` the expected emissions
    and ``baseline_co2e_kg`` those of starting at the earliest start in the
    home zone (the first of ``zones``).
    """

    zones: tuple[str, ...]
    zone_index: IntArray
    start_epoch_s: IntArray
    co2e_kg: FloatArray
    baseline_co2e_kg: FloatArray

    @property
    def saving_pct(self) -> FloatArray:
        """Saving per job in % of its baseline (0 where the baseline is 0)."""
        base = self.baseline_co2e_kg
        out = np.zeros_like(base)
        np.divide(base - self.co2e_kg, base, out=out, where=base > 0)
        return out * 100.0


def plan_batch(
    earliest_epoch_s: Sequence[int] | IntArray,
    duration_s: Sequence[int] | IntArray,
    deadline_epoch_s: Sequence[int] | IntArray,
    energy_kwh: Sequence[float] | FloatArray,
    series: Mapping[str, IntensitySeries],
    *,
    interruptible: bool = False,
) -> BatchResult:
    """Best zone and time for every job; the first zone of ``series`` is home.

    All series must share one step and start; job times must be multiples
    of that step away from the series start.

    Raises:
        PlanError: Misaligned input, a window shorter than its job, or a
            window outside the series.
    """
    zones = tuple(series)
    first = series[zones[0]]
    step, origin = first.step_s, first.start_epoch_s
    for s in series.values():
        if s.step_s != step or s.start_epoch_s != origin or len(s) != len(first):
            raise PlanError("plan_batch needs series on one grid (same start, step and length)")
    e0 = _slots(earliest_epoch_s, origin, step, "earliest start")
    dur = _slots(duration_s, 0, step, "duration")
    dl = _slots(deadline_epoch_s, origin, step, "deadline")
    energy = np.asarray(energy_kwh, dtype=np.float64)
    if np.any(dl - e0 < dur):
        raise PlanError("a job's window is shorter than its duration")
    if np.any(e0 < 0) or np.any(dl > len(first)):
        raise PlanError("a job's window lies outside the series")
    width = int((dl - e0).max())
    offsets = np.arange(width, dtype=np.int64)
    best = np.full(e0.size, np.inf)
    best_zone = np.zeros(e0.size, dtype=np.int64)
    best_start = e0.copy()
    baseline = np.zeros(e0.size)
    for zi, zone in enumerate(zones):
        values = series[zone].values_g_per_kwh
        cum = np.concatenate(([0.0], np.cumsum(values)))
        if zi == 0:
            baseline = (cum[e0 + dur] - cum[e0]) / dur
        if interruptible:
            mean, start = _cleanest_slots(values, e0, dur, dl, offsets)
        else:
            mean, start = _best_windows(cum, e0, dur, dl, offsets)
        better = mean < best - 1e-12
        best = np.where(better, mean, best)
        best_zone = np.where(better, zi, best_zone)
        best_start = np.where(better, start, best_start)
    return BatchResult(zones, best_zone, origin + best_start * step,
                       energy * best / 1000.0, energy * baseline / 1000.0)


def _slots(values: Sequence[int] | IntArray, origin: int, step: int, what: str) -> IntArray:
    arr = np.asarray(values, dtype=np.int64) - origin
    if np.any(arr % step):
        raise PlanError(f"every {what} must be a whole number of {step} s steps from the series "
                        "start; use plan() for unaligned jobs")
    out: IntArray = arr // step
    return out


def _best_windows(cum: FloatArray, e0: IntArray, dur: IntArray, dl: IntArray,
                  offsets: IntArray) -> tuple[FloatArray, IntArray]:
    starts = e0[:, None] + offsets[None, :]
    valid = starts + dur[:, None] <= dl[:, None]
    ends = np.where(valid, starts + dur[:, None], starts)
    sums = np.where(valid, cum[np.minimum(ends, cum.size - 1)] - cum[np.minimum(starts,
                    cum.size - 1)], np.inf)
    means = sums / dur[:, None]
    means[np.isnan(means)] = np.inf  # windows over missing hours cannot win
    pick = np.argmin(means, axis=1)
    rows = np.arange(e0.size)
    return means[rows, pick], e0 + pick


def _cleanest_slots(values: FloatArray, e0: IntArray, dur: IntArray, dl: IntArray,
                    offsets: IntArray) -> tuple[FloatArray, IntArray]:
    index = e0[:, None] + offsets[None, :]
    valid = index < dl[:, None]
    window = np.where(valid, values[np.minimum(index, values.size - 1)], np.inf)
    window[np.isnan(window)] = np.inf
    order = np.argsort(window, axis=1, kind="stable")
    ranked = np.take_along_axis(window, order, axis=1)
    prefix = np.cumsum(ranked, axis=1)
    rows = np.arange(e0.size)
    total = prefix[rows, dur - 1]
    chosen = np.where(np.arange(offsets.size)[None, :] < dur[:, None], order, offsets.size)
    first = e0 + chosen.min(axis=1)
    return total / dur, first
