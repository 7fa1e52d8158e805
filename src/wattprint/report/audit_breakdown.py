"""Breakdowns of the audit report: trend, top emitters, efficiency per metric, waste. Pure.

Each takes rows of :mod:`wattprint.report.queries` (and
:mod:`~wattprint.report.audit_queries`) and returns frozen values of
:mod:`wattprint.report.audit`'s report. Shares are of the period's
location-based CO2e *stored with the runs* (the basis of every breakdown).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from wattprint.account.periods import Period, month_labels, parse_period
from wattprint.report.audit_queries import WastedRun
from wattprint.report.audit_text import num
from wattprint.report.queries import DailyPoint, GroupRow, ModelRow, RunRow, Totals

#: A model is flagged inefficient at this multiple of the best kWh per unit of its metric.
INEFFICIENT_RATIO = 2.0
#: Rows in each top-emitter table.
TOP_N = 10
#: Characters of a run id shown in tables (as ``wattprint runs``; ``show`` takes a prefix).
SHORT_ID = 8
#: How a run that named no model is shown.
NO_MODEL = "(no model named)"


@dataclass(frozen=True)
class Bucket:
    """One month (or week) of the trend."""

    label: str
    start: date
    end: date
    runs: int
    energy_kwh: float
    co2e_kg: float


@dataclass(frozen=True)
class Emitter:
    """A row of a top-emitter table; ``share_pct`` is of the period's stored CO2e."""

    name: str
    project: str
    runs: int
    energy_kwh: float
    co2e_kg: float
    share_pct: float
    detail: str = ""


@dataclass(frozen=True)
class Efficiency:
    """A model's energy per unit of one logged metric, against the best model on it."""

    metric: str
    model: str
    project: str
    runs: int
    kwh_per_unit: float
    mean_value: float
    ratio_to_best: float
    flagged: bool


@dataclass(frozen=True)
class Waste:
    """Energy spent by runs that failed or were interrupted."""

    runs: int
    energy_kwh: float
    share_pct: float
    worst_runs: tuple[WastedRun, ...]
    by_model: tuple[Emitter, ...]


def trend(period: Period, daily: Sequence[DailyPoint]) -> tuple[Bucket, ...]:
    """Months of a quarter or year, weeks (Monday to Sunday, cut at the month) of a month."""
    if period.kind == "month":
        bounds = _weeks(period.start_utc.date(), period.end_utc.date())
    else:
        bounds = []
        for label in month_labels(period.start_utc, period.end_utc):
            m = parse_period(label)
            bounds.append((label, m.start_utc.date(), m.end_utc.date()))
    out = []
    for label, start, end in bounds:
        inside = [d for d in daily if start <= d.day < end]
        out.append(Bucket(label, start, end, sum(d.runs for d in inside),
                          sum(d.energy_kwh for d in inside), sum(d.co2e_kg for d in inside)))
    return tuple(out)


def _weeks(start: date, end: date) -> list[tuple[str, date, date]]:
    out = []
    day = start
    while day < end:
        stop = min(day + timedelta(days=7 - day.weekday()), end)
        last = stop - timedelta(days=1)
        out.append((f"{day:%d %b}–{last:%d %b}", day, stop))
        day = stop
    return out


def projects(rows: Sequence[GroupRow], stored: float) -> tuple[Emitter, ...]:
    """The top projects; ``stored`` is the period's stored CO2e (for the shares)."""
    return tuple(Emitter(r.project, r.project, r.runs, r.energy_kwh, r.co2e_kg,
                         _share(r.co2e_kg, stored),
                         f"{r.failed_runs} failed" if r.failed_runs else "")
                 for r in rows[:TOP_N])


def models(rows: Sequence[ModelRow], stored: float) -> tuple[Emitter, ...]:
    """The top models (per project), with the mean of each metric they logged."""
    return tuple(Emitter(r.model or NO_MODEL, r.project, r.runs, r.energy_kwh,
                         r.co2e_kg, _share(r.co2e_kg, stored),
                         ", ".join(f"{k} {num(v)}" for k, v in sorted(r.metrics.items())))
                 for r in rows[:TOP_N])


def runs(rows: Sequence[RunRow], stored: float) -> tuple[Emitter, ...]:
    """The top runs, by short id."""
    return tuple(Emitter(r.id[:SHORT_ID], r.project, 1, r.energy_kwh, r.co2e_kg,
                         _share(r.co2e_kg, stored),
                         f"{r.model or '-'}, {r.status}, {r.zone}, {r.method}, "
                         f"{r.started_utc:%Y-%m-%d %H:%M} UTC")
                 for r in rows[:TOP_N])


def efficiency(rows: Sequence[ModelRow]) -> tuple[Efficiency, ...]:
    """Per metric, models by kWh per unit (worst first), against the best on that metric."""
    out = []
    for metric in sorted({m for r in rows for m in r.kwh_per_metric}):
        having = [r for r in rows if metric in r.kwh_per_metric]
        best = min(r.kwh_per_metric[metric] for r in having)
        for r in sorted(having, key=lambda r: (-r.kwh_per_metric[metric], r.model, r.project)):
            ratio = r.kwh_per_metric[metric] / best if best > 0 else 1.0
            out.append(Efficiency(metric, r.model or NO_MODEL, r.project, r.runs,
                                  r.kwh_per_metric[metric], r.metrics.get(metric, 0.0), ratio,
                                  len(having) > 1 and ratio >= INEFFICIENT_RATIO))
    return tuple(out)


def waste(totals: Totals, model_rows: Sequence[ModelRow],
          wasted_runs: Sequence[WastedRun]) -> Waste:
    """Energy of the failed and interrupted runs, the worst runs and the models they ran."""
    failed = sorted((m for m in model_rows if m.failed_energy_kwh > 0),
                    key=lambda m: (-m.failed_energy_kwh, m.model, m.project))
    return Waste(totals.failed_runs, totals.failed_energy_kwh,
                 _share(totals.failed_energy_kwh, totals.energy_kwh), tuple(wasted_runs),
                 tuple(Emitter(m.model or NO_MODEL, m.project, m.failed_runs,
                               m.failed_energy_kwh, 0.0,
                               _share(m.failed_energy_kwh, m.energy_kwh)) for m in failed))


def _share(part: float, whole: float) -> float:
    return 100.0 * part / whole if whole > 0 else 0.0
