"""Reduction targets and their progress, from the runs in the ledger.

A target says: bring ``metric`` down ``reduce_pct`` % from its value in a
baseline period (``2026Q1``) by a date. Metrics: ``co2e`` (kg CO2e, summed),
``energy`` (facility kWh, summed) and ``co2e_per_run`` (kg CO2e per run).
Every value is that of a period as long as the baseline (a quarter for a
quarter baseline), so values compare like for like.

Progress (:func:`target_progress`):

* baseline value: the metric over the baseline period; no runs there is an
  error, as a target cannot be measured against nothing;
* required value: baseline × (1 − reduce_pct / 100);
* current value: the period of the baseline's kind holding the as-of date, at
  its run rate (summed metrics: value so far × period length ÷ time elapsed;
  a per-run metric is not scaled);
* progress: (baseline − current) ÷ (baseline − required) × 100 %;
* projected value: a least-squares line through the monthly values (from the
  baseline's first month to the as-of month, the last one at its run rate;
  per-run: months with runs only), read at the month of the target date and
  multiplied by the months per period (summed metrics). With fewer than two
  months the current value is projected flat. Negative projections are
  clipped to 0.

Pure: callers pass the runs and the as-of time.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone

import numpy as np

from wattprint.account.periods import Period, month_labels, parse_period, period_of
from wattprint.errors import ConfigError
from wattprint.model import Run, Target, TargetProgress

METRICS = ("co2e", "energy", "co2e_per_run")
UNITS = {"co2e": "kg CO2e", "energy": "kWh", "co2e_per_run": "kg CO2e/run"}
ALL_PROJECTS = "*"


def parse_reduce_pct(text: str) -> float:
    """Parse ``30%`` or ``30`` into 30.0.

    Raises:
        ConfigError: Not a number, or outside (0, 100) %.
    """
    raw = text.strip().removesuffix("%").strip()
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"invalid --reduce {text!r}: expected a percentage like 30%") from None
    if not (math.isfinite(value) and 0 < value < 100):
        raise ConfigError(f"invalid --reduce {text!r}: must be between 0 and 100 % (exclusive)")
    return value


def make_target(
    project: str | None, metric: str, baseline: str, reduce: str, by_date: date
) -> Target:
    """Validate and build a target (``project`` None means every project).

    Raises:
        ConfigError: Unknown metric, bad baseline period, bad reduction, or a
            target date that is not after the baseline period.
    """
    if metric not in METRICS:
        raise ConfigError(f"invalid --metric {metric!r}: expected one of {', '.join(METRICS)}")
    period = parse_period(baseline, "--baseline")
    if not period.end_utc.date() <= by_date:
        raise ConfigError(f"--by {by_date} must be after the baseline period {period.label} "
                          f"(ends {period.end_utc.date() - timedelta(days=1)})")
    return Target(project or ALL_PROJECTS, metric, period.label, parse_reduce_pct(reduce),
                  by_date)


def metric_value(runs: Sequence[Run], metric: str) -> float:
    """The metric over ``runs`` (0 for per-run with no runs)."""
    if metric == "energy":
        return float(sum(r.energy_kwh for r in runs))
    total = float(sum(r.co2e_kg for r in runs))
    if metric == "co2e_per_run":
        return total / len(runs) if runs else 0.0
    return total


def target_progress(target: Target, runs: Sequence[Run], as_of: datetime) -> TargetProgress:
    """Progress of ``target`` given the runs (of its project) and the as-of time.

    Raises:
        ConfigError: The baseline period holds no runs.
    """
    baseline = parse_period(target.baseline)
    base_runs = _within(runs, baseline.start_utc, baseline.end_utc)
    if not base_runs:
        scope = "any project" if target.project == ALL_PROJECTS else f"project {target.project}"
        raise ConfigError(f"target baseline {baseline.label} has no runs for {scope}: record "
                          "runs in that period or choose another --baseline")
    baseline_value = metric_value(base_runs, target.metric)
    required = baseline_value * (1 - target.reduce_pct / 100)
    by_end = datetime.combine(target.by_date, datetime.min.time(), timezone.utc)
    current_period = period_of(baseline.kind, min(as_of, by_end))
    current = _run_rate(runs, target.metric, current_period, as_of)
    monthly = _monthly(runs, target.metric, baseline.start_utc, as_of)
    projected, notes = _project(monthly, target, baseline, current)
    span = baseline_value - required
    progress = 100.0 * (baseline_value - current) / span if span > 0 else 0.0
    return TargetProgress(
        target=target, unit=UNITS[target.metric], baseline_value=baseline_value,
        current_period=current_period.label, current_value=current, required_value=required,
        progress_pct=progress, projected_value=projected, on_track=projected <= required,
        monthly=tuple(monthly), notes=tuple(notes),
    )


def progress_to_dict(p: TargetProgress) -> dict[str, object]:
    """Stable JSON keys of a target's progress (``wattprint target show --json``)."""
    t = p.target
    return {
        "project": t.project, "metric": t.metric, "unit": p.unit, "baseline": t.baseline,
        "reduce_pct": t.reduce_pct, "by": t.by_date.isoformat(),
        "baseline_value": p.baseline_value, "current_period": p.current_period,
        "current_value": p.current_value, "required_value": p.required_value,
        "progress_pct": round(p.progress_pct, 3), "projected_value": p.projected_value,
        "on_track": p.on_track, "monthly": [{"month": m, "value": v} for m, v in p.monthly],
        "notes": list(p.notes),
    }


def _within(runs: Sequence[Run], start: datetime, end: datetime) -> list[Run]:
    return [r for r in runs if start <= r.started_utc < end]


def _run_rate(runs: Sequence[Run], metric: str, period: Period, as_of: datetime) -> float:
    """The metric over ``period`` so far, scaled to the whole period when summed."""
    stop = min(max(as_of, period.start_utc), period.end_utc)
    so_far = metric_value(_within(runs, period.start_utc, stop), metric)
    elapsed = (stop - period.start_utc).total_seconds()
    if metric == "co2e_per_run" or elapsed <= 0:
        return so_far
    return so_far * period.duration_s / elapsed


def _monthly(
    runs: Sequence[Run], metric: str, start: datetime, as_of: datetime
) -> list[tuple[str, float]]:
    out = []
    for label in month_labels(start, as_of):
        month = parse_period(label)
        if metric == "co2e_per_run" and not _within(runs, month.start_utc,
                                                    min(as_of, month.end_utc)):
            continue
        out.append((label, _run_rate(runs, metric, month, as_of)))
    return out


def _project(
    monthly: list[tuple[str, float]], target: Target, baseline: Period, current: float
) -> tuple[float, list[str]]:
    """Projected period value at the target date, and notes on how."""
    per_period = 1 if target.metric == "co2e_per_run" else baseline.months
    if len(monthly) < 2:
        return current, ["fewer than two months of data: current value projected flat"]
    x = np.array([_month_index(m) for m, _ in monthly], dtype=np.float64)
    y = np.array([v for _, v in monthly], dtype=np.float64)
    slope, intercept = np.polyfit(x, y, 1)
    at = _month_index(f"{target.by_date.year:04d}-{target.by_date.month:02d}")
    value = float(slope * at + intercept) * per_period
    notes = [f"projected from a linear trend of {len(monthly)} monthly values "
             f"(slope {slope:+.4g} {UNITS[target.metric]} per month)"]
    if value < 0:
        notes.append("the trend crosses zero before the target date: projection clipped to 0")
        value = 0.0
    return value, notes


def _month_index(label: str) -> int:
    match = re.fullmatch(r"(\d{4})-(\d{2})", label)
    if match is None:  # pragma: no cover - labels come from month_labels
        raise ValueError(label)
    return int(match.group(1)) * 12 + int(match.group(2)) - 1
