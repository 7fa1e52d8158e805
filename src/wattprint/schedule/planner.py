"""The carbon-aware planner: the cleanest time and zone for a job (pure, numpy).

:func:`plan` takes a :class:`~wattprint.schedule.job.Job`, one
:class:`~wattprint.intensity.series.IntensitySeries` per zone and the planning
"now", and returns the :class:`~wattprint.schedule.job.Plan` with the lowest
expected emissions:

* **contiguous jobs** — the best window. Intensity is a step function, so the
  window's emissions are piecewise linear in its start and the optimum lies
  where the start or the end meets an interval boundary (or at the earliest
  or latest start). Those O(n) candidates are scored at once from the
  series' running integral.
* **interruptible jobs** — the cleanest slots of one planning step each (the
  series' step, aligned to the earliest start), every uninterrupted run at
  least ``min_chunk_s`` long (rounded up to whole steps), found exactly by a
  small dynamic programme over (slots taken, current run length).
* **threshold mode** (``max_intensity_g_per_kwh``) — start in the first
  interval below the threshold, or at the latest start that still meets the
  deadline.
* ``critical`` jobs start now in the home zone, whatever the intensity.

Across zones the zone with the lowest expected emissions wins (ties: the
home zone, then the earlier start). The baseline is "start now (or at the
earliest allowed start), in the home zone". Expected emissions are the job's
energy × the time-weighted mean intensity of the time it runs: power is
assumed constant while it runs.

Everything is UTC epoch seconds inside, so daylight-saving changes cannot
shift a window. Missing values (NaN) inside a candidate window disqualify it;
use :meth:`IntensitySeries.interpolate` to fill short gaps first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np

from wattprint.errors import PlanError
from wattprint.intensity.series import IntensitySeries, from_epoch_s, to_epoch_s, window_means
from wattprint.schedule.job import Job, Plan, Slot, Tier

Array = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(frozen=True)
class _Window:
    """The planning window of a job: earliest start, latest end, both epoch s."""

    now: int
    earliest: int
    deadline: int
    duration: int


@dataclass(frozen=True)
class _ZoneResult:
    zone: str
    slots: tuple[tuple[int, int, float], ...]  # (start, end, mean intensity)
    co2e_kg: float
    mode: str


def plan(job: Job, series: Mapping[str, IntensitySeries], now_utc: datetime) -> Plan:
    """Place ``job`` in the zone and time with the lowest expected emissions.

    Args:
        job: What must run.
        series: Intensity (forecast or history) per zone id; zones of the job
            that are missing here are skipped with a note.
        now_utc: The planning instant; nothing is planned before it.

    Returns:
        The best plan, with the baseline and saving.

    Raises:
        PlanError: The deadline is too close for the job, or no allowed zone
            (or not the home zone, for the baseline) has data for the window.
    """
    window = _window(job, now_utc)
    energy = job.total_energy_kwh
    baseline_zone, baseline_kg = _baseline(job, series, window, energy)
    notes: list[str] = []
    if job.tier is Tier.CRITICAL:
        best = _ZoneResult(baseline_zone, ((window.now, window.now + window.duration,
                           baseline_kg * 1000.0 / energy if energy else 0.0),),
                           baseline_kg, "now")
        notes.append("critical tier: runs now in the home zone regardless of intensity")
        results = {baseline_zone: best}
    else:
        results = {}
        for zone in job.zones:
            result = _plan_zone(job, zone, series.get(zone), window, energy, notes)
            if result is not None:
                results[zone] = result
        if not results:
            raise PlanError("no allowed zone has intensity data for the whole planning window: "
                            + "; ".join(notes))
        best = min(results.values(), key=lambda r: (round(r.co2e_kg, 12), r.zone != job.home,
                                                    r.slots[0][0], job.zones.index(r.zone)))
    return _make_plan(job, series, now_utc, best, results, baseline_zone, baseline_kg, notes)


def _window(job: Job, now_utc: datetime) -> _Window:
    now = to_epoch_s(now_utc)
    earliest = max(now, to_epoch_s(job.earliest_start_utc)) if job.earliest_start_utc else now
    deadline = to_epoch_s(job.deadline_or_default(from_epoch_s(earliest)))
    duration = int(round(job.duration_s))
    if job.tier is not Tier.CRITICAL and deadline - earliest < duration:
        raise PlanError(
            f"the deadline leaves {_hours(deadline - earliest)} from the earliest start but the "
            f"job needs {_hours(duration)}; move the deadline to at least "
            f"{_iso(earliest + duration)} or shorten the job"
        )
    return _Window(now, earliest, deadline, duration)


def _baseline(
    job: Job, series: Mapping[str, IntensitySeries], window: _Window, energy: float
) -> tuple[str, float]:
    home = job.home
    start = window.now if job.tier is Tier.CRITICAL else window.earliest
    data = series.get(home)
    mean = float("nan") if data is None else data.mean_between(
        from_epoch_s(start), from_epoch_s(start + window.duration))
    if np.isnan(mean):
        raise PlanError(
            f"no intensity data for the home zone {home} from {_iso(start)} to "
            f"{_iso(start + window.duration)}, so there is no baseline to compare with; "
            "give a series that covers it (--series) or another home zone (--home)"
        )
    return home, energy * mean / 1000.0


def _plan_zone(
    job: Job, zone: str, data: IntensitySeries | None, window: _Window, energy: float,
    notes: list[str],
) -> _ZoneResult | None:
    if data is None:
        notes.append(f"no intensity data for zone {zone}; skipped")
        return None
    horizon = min(window.deadline, data.start_epoch_s + data.step_s * len(data))
    start = max(window.earliest, data.start_epoch_s)
    if horizon < window.deadline:
        notes.append(f"data for {zone} ends at {_iso(horizon)}, before the deadline; "
                     "planned within the data")
    if horizon - start < window.duration:
        notes.append(f"data for {zone} does not cover {_hours(window.duration)} between "
                     f"{_iso(start)} and {_iso(horizon)}; skipped")
        return None
    span = _Window(window.now, start, horizon, window.duration)
    if job.interruptible:
        result = _best_slots(data, span, job.min_chunk_s, energy)
    elif job.max_intensity_g_per_kwh is not None:
        result = _first_below(data, span, job.max_intensity_g_per_kwh, energy)
    else:
        result = _best_window(data, span, energy)
    if result is None:
        notes.append(f"data for {zone} has missing values in every feasible window; skipped")
    return result


def window_candidates(data: IntensitySeries, span: _Window) -> np.ndarray[Any, Any]:
    """Start instants where the optimum of a contiguous window can lie (epoch s)."""
    latest = span.deadline - span.duration
    bounds = data.times_epoch_s()
    cand = np.concatenate(([span.earliest, latest], bounds, bounds - span.duration,
                           bounds + data.step_s - span.duration))
    cand = cand[(cand >= span.earliest) & (cand <= latest)]
    return np.unique(cand)


def _best_window(data: IntensitySeries, span: _Window, energy: float) -> _ZoneResult | None:
    starts = window_candidates(data, span)
    means = window_means(data, starts, starts + span.duration)
    if np.all(np.isnan(means)):
        return None
    # First minimum = earliest start among equals; "equal" within rounding of the
    # running integral, which would otherwise pick a later window of a flat series.
    best = float(np.nanmin(means))
    i = int(np.argmax(means <= best + 1e-9 * max(abs(best), 1.0)))
    mean = float(means[i])
    begin = int(starts[i])
    return _ZoneResult(data.zone, ((begin, begin + span.duration, mean),),
                       energy * mean / 1000.0, "window")


def _first_below(
    data: IntensitySeries, span: _Window, threshold: float, energy: float
) -> _ZoneResult | None:
    latest = span.deadline - span.duration
    bounds = data.times_epoch_s()
    starts = np.unique(np.concatenate(([span.earliest], bounds[(bounds > span.earliest)
                                                              & (bounds <= latest)])))
    values = np.array([data.value_at(from_epoch_s(t)) for t in starts])
    below = np.flatnonzero(values < threshold)
    begin = int(starts[below[0]]) if below.size else latest
    mean = float(window_means(data, np.array([begin]), np.array([begin + span.duration]))[0])
    if np.isnan(mean):
        return None
    return _ZoneResult(data.zone, ((begin, begin + span.duration, mean),),
                       energy * mean / 1000.0, "threshold")


def _best_slots(
    data: IntensitySeries, span: _Window, min_chunk_s: float, energy: float
) -> _ZoneResult | None:
    step = data.step_s
    count = (span.deadline - span.earliest) // step
    starts = span.earliest + step * np.arange(count, dtype=np.int64)
    intensity = window_means(data, starts, starts + step)
    k = -(-span.duration // step)
    last = span.duration - (k - 1) * step  # the job's final slot may be partly used
    chunk = min(k, max(1, -(-int(np.ceil(min_chunk_s)) // step)))
    chosen = choose_slots(intensity, k, chunk, last / step)
    if chosen is None:
        return None
    return _slots_result(data.zone, starts, intensity, chosen, step, last, energy, span.duration)


def choose_slots(
    intensity: Array, k: int, chunk: int, last_weight: float = 1.0
) -> list[int] | None:
    """Indices of ``k`` slots minimising the weighted sum, runs at least ``chunk`` long.

    Every chosen slot weighs 1 except the chronologically last, which weighs
    ``last_weight`` (a job whose duration is not a whole number of steps).
    NaN slots cannot be chosen. Returns ``None`` when no choice is feasible.

    Dynamic programme over (slots taken ``j``, current run length ``c`` capped
    at ``chunk``; ``c == 0`` means "not running"): a slot can be skipped only
    when ``c`` is 0 or ``chunk``. O(n · k · chunk) time, vectorised over ``j``.
    """
    n = intensity.size
    if k > n or k <= 0:
        return None
    cost = np.full((k + 1, chunk + 1), np.inf)
    cost[0, 0] = 0.0
    came_from = np.zeros((n, k + 1, chunk + 1), dtype=np.int16)  # previous c
    weight = np.ones(k)
    weight[k - 1] = last_weight  # weight of the slot that makes j = k
    for i in range(n):
        cost = _dp_step(cost, came_from[i], float(intensity[i]), weight, chunk)
    end = 0 if cost[k, 0] <= cost[k, chunk] else chunk
    if not np.isfinite(cost[k, end]):
        return None
    chosen: list[int] = []
    j, c = k, end
    for i in range(n - 1, -1, -1):
        previous = int(came_from[i, j, c])
        if c > 0:  # states with c > 0 are reached only by taking slot i
            chosen.append(i)
            j -= 1
        c = previous
    return chosen[::-1]


def _dp_step(cost: Array, came_from: np.ndarray[Any, Any], value: float, weight: Array,
             chunk: int) -> Array:
    new = np.full_like(cost, np.inf)
    stay = cost[:, 0] <= cost[:, chunk]
    new[:, 0] = np.where(stay, cost[:, 0], cost[:, chunk])
    came_from[:, 0] = np.where(stay, 0, chunk)
    if np.isnan(value):
        return new
    add = weight * value
    for c in range(1, chunk):
        new[1:, c] = cost[:-1, c - 1] + add
        came_from[1:, c] = c - 1
    short, full = cost[:-1, chunk - 1], cost[:-1, chunk]
    from_short = short <= full
    new[1:, chunk] = np.where(from_short, short, full) + add
    came_from[1:, chunk] = np.where(from_short, chunk - 1, chunk)
    return new


def _slots_result(
    zone: str, starts: np.ndarray[Any, Any], intensity: Array, chosen: list[int], step: int,
    last: int, energy: float, duration: int,
) -> _ZoneResult:
    power_kw = energy / (duration / 3600.0) if duration else 0.0
    pieces: list[tuple[int, int, float]] = []
    total_g = 0.0
    for n, i in enumerate(chosen):
        length = last if n == len(chosen) - 1 else step
        begin, value = int(starts[i]), float(intensity[i])
        total_g += power_kw * length / 3600.0 * value
        if pieces and pieces[-1][1] == begin:  # merge adjacent slots into one chunk
            b0, _, v0 = pieces[-1]
            span0 = begin - b0
            pieces[-1] = (b0, begin + length, (v0 * span0 + value * length) / (span0 + length))
        else:
            pieces.append((begin, begin + length, value))
    return _ZoneResult(zone, tuple(pieces), total_g / 1000.0, "slots")


def _make_plan(
    job: Job, series: Mapping[str, IntensitySeries], now_utc: datetime, best: _ZoneResult,
    results: Mapping[str, _ZoneResult], baseline_zone: str, baseline_kg: float,
    notes: list[str],
) -> Plan:
    energy = job.total_energy_kwh
    duration = sum(end - begin for begin, end, _ in best.slots) or 1
    slots = tuple(
        Slot(from_epoch_s(b), from_epoch_s(e), v, energy * (e - b) / duration * v / 1000.0)
        for b, e, v in best.slots
    )
    data = series.get(best.zone)
    uncertainty = None
    if data is not None and data.uncertainty_g_per_kwh is not None:
        uncertainty = energy * data.uncertainty_g_per_kwh / 1000.0
    for zone in {best.zone, baseline_zone}:
        if zone in series:
            notes.extend(series[zone].notes)
    return Plan(
        job=job, zone=best.zone, slots=slots, expected_co2e_kg=best.co2e_kg,
        baseline_co2e_kg=baseline_kg, baseline_zone=baseline_zone,
        planned_at_utc=now_utc.astimezone(timezone.utc), mode=best.mode,
        uncertainty_co2e_kg=uncertainty,
        sources={z: series[z].source for z in results if z in series},
        by_zone={z: r.co2e_kg for z, r in results.items()}, notes=tuple(dict.fromkeys(notes)),
    )


def _iso(epoch_s: int) -> str:
    return from_epoch_s(epoch_s).isoformat().replace("+00:00", "Z")


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:g} h"


__all__ = ["choose_slots", "plan", "window_candidates"]
