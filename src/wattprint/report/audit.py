"""The quarterly audit report as one frozen value, built from query results. Pure.

:func:`build` turns :class:`AuditInputs` — what
:func:`wattprint.report.audit_data.collect` read from the ledger: the SQL
aggregates of :mod:`~wattprint.report.queries` and
:mod:`~wattprint.report.audit_queries`, the period accounting of
:func:`wattprint.account.summary.aggregate`, the reduce → shift → offset
summary of :func:`wattprint.account.offsets.ledger_summary`, target progress
and budget states — into an :class:`AuditReport`, which the renderers
(:mod:`~wattprint.report.audit_render`, :mod:`~wattprint.report.audit_pdf`)
only lay out. No I/O, no clock: the generation time comes in the inputs.

Which figure is which:

* **Location-based CO2e** in the totals and in reduce → shift → offset is
  the accounted gross of ``wattprint account --period`` (each run's hourly
  figure where truly hourly, else its annual-mean figure, else the footprint
  stored with the run). Trend, top emitters and budgets break the period down
  by the footprint stored with each run, so their sum may differ from the
  gross where runs have an hourly figure; the report states that difference.
* **Market-based**, **embodied** and **water** add the stored accounting
  figures; the number of runs without one is given beside each.
* **Change** compares with the previous period of the same kind (2026Q2 for
  2026Q3), on the same basis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from wattprint.account.periods import Period, period_of
from wattprint.model import BudgetState, Target, TargetProgress
from wattprint.report.audit_breakdown import (
    Bucket,
    Efficiency,
    Emitter,
    Waste,
    efficiency,
    models,
    projects,
    runs,
    trend,
    waste,
)
from wattprint.report.audit_method import Methodology, Quality, methodology, quality
from wattprint.report.audit_queries import MethodUse, UsageTables, WastedRun
from wattprint.report.audit_queries import Quality as QualityCounts
from wattprint.report.queries import DailyPoint, GroupRow, ModelRow, RunRow, Totals


@dataclass(frozen=True)
class AuditInputs:
    """Everything the report is built from (read by ``audit_data.collect``)."""

    period: Period
    project: str | None
    generated_utc: datetime
    as_of_utc: datetime
    ledger: str
    version: str
    totals: Totals
    previous_totals: Totals
    accounting: Mapping[str, Any]
    previous_accounting: Mapping[str, Any]
    daily: Sequence[DailyPoint]
    projects: Sequence[GroupRow]
    models: Sequence[ModelRow]
    top_runs: Sequence[RunRow]
    wasted_runs: Sequence[WastedRun]
    targets: Sequence[TargetProgress | tuple[Target, str]]
    budgets: Sequence[BudgetState]
    summary: Mapping[str, Any]
    method_energy_kwh: Mapping[str, float]
    usage: UsageTables
    accounting_methods: Sequence[MethodUse]
    accounting_sources: Mapping[str, Sequence[str]]
    quality: QualityCounts


@dataclass(frozen=True)
class Change:
    """A figure of the period next to the previous period's (None: no run has it)."""

    key: str
    label: str
    unit: str
    current: float | None
    previous: float | None
    note: str = ""

    @property
    def delta(self) -> float | None:
        """Current minus previous; None when either is missing."""
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def pct(self) -> float | None:
        """Change in % of the previous value; None when that was 0 or is missing."""
        delta = self.delta
        return None if delta is None or not self.previous else 100.0 * delta / self.previous


@dataclass(frozen=True)
class TargetLine:
    """A target's progress, or why it cannot be measured (``error``)."""

    scope: str
    metric: str
    text: str
    progress: TargetProgress | None = None
    error: str = ""


@dataclass(frozen=True)
class BudgetLine:
    """A project's budget in one month of the period."""

    project: str
    month: str
    limit_co2e_kg: float
    spent_co2e_kg: float
    used_pct: float
    over: bool
    overruns: int
    overrun_co2e_kg: float


@dataclass(frozen=True)
class ReduceShiftOffset:
    """Gross, avoided by shifting, offsets retired and net, kept apart (kg CO2e)."""

    gross_co2e_kg: float
    change_vs_previous_co2e_kg: float
    avoided_by_shifting_co2e_kg: float
    shifted_runs: int
    offset_co2e_kg: float
    offsets_retired: tuple[Mapping[str, Any], ...]
    offsets_held_not_retired_t: float
    net_co2e_kg: float
    notes: tuple[str, ...]


@dataclass(frozen=True)
class AuditReport:
    """The audit report of one period (and project), ready to render."""

    title: str
    period: str
    period_kind: str
    start_utc: datetime
    end_utc: datetime
    previous_period: str
    project: str | None
    generated_utc: datetime
    as_of_utc: datetime
    ledger: str
    version: str
    empty: bool
    totals: tuple[Change, ...]
    accounting_basis: Mapping[str, int]
    runs_without: Mapping[str, int]
    breakdown_note: str
    trend: tuple[Bucket, ...]
    top_projects: tuple[Emitter, ...]
    top_models: tuple[Emitter, ...]
    top_runs: tuple[Emitter, ...]
    efficiency: tuple[Efficiency, ...]
    waste: Waste
    targets: tuple[TargetLine, ...]
    budgets: tuple[BudgetLine, ...]
    reduce_shift_offset: ReduceShiftOffset
    methodology: Methodology
    quality: Quality
    notes: tuple[str, ...] = field(default_factory=tuple)

    def figure(self, key: str) -> Change:
        """The total named ``key`` (``"energy_kwh"``, ``"location_co2e_kg"``...)."""
        return next(c for c in self.totals if c.key == key)


def previous_period(period: Period) -> Period:
    """The period of the same kind just before ``period``."""
    return period_of(period.kind, period.start_utc - timedelta(days=1))


def build(inputs: AuditInputs) -> AuditReport:
    """The report of ``inputs``."""
    p, acc = inputs.period, inputs.accounting
    scope = f"project {inputs.project}" if inputs.project else "all projects"
    gross = _f(acc, "gross_location_co2e_kg")
    stored = inputs.totals.co2e_kg
    return AuditReport(
        title=f"Energy and carbon audit, {p.label} ({scope})",
        period=p.label, period_kind=p.kind, start_utc=p.start_utc, end_utc=p.end_utc,
        previous_period=previous_period(p).label, project=inputs.project,
        generated_utc=inputs.generated_utc, as_of_utc=inputs.as_of_utc,
        ledger=inputs.ledger, version=inputs.version, empty=inputs.totals.runs == 0,
        totals=_totals(inputs), accounting_basis=_ints(acc.get("location_basis_runs")),
        runs_without=_ints(acc.get("runs_without")),
        breakdown_note=_breakdown_note(gross, stored),
        trend=trend(p, inputs.daily), top_projects=projects(inputs.projects, stored),
        top_models=models(inputs.models, stored), top_runs=runs(inputs.top_runs, stored),
        efficiency=efficiency(inputs.models),
        waste=waste(inputs.totals, inputs.models, inputs.wasted_runs),
        targets=tuple(_target(t) for t in inputs.targets),
        budgets=tuple(_budget(b) for b in inputs.budgets if b.limit_co2e_kg is not None),
        reduce_shift_offset=_rso(inputs.summary, gross - _f(inputs.previous_accounting,
                                                             "gross_location_co2e_kg")),
        methodology=methodology(inputs.totals.energy_kwh, inputs.method_energy_kwh, inputs.usage,
                                inputs.accounting_methods, inputs.accounting_sources,
                                _ints(acc.get("location_basis_runs"))),
        quality=quality(inputs.quality, inputs.usage, _ints(acc.get("runs_without"))),
        notes=_notes(inputs),
    )


def _totals(inputs: AuditInputs) -> tuple[Change, ...]:
    cur, prev = inputs.totals, inputs.previous_totals
    acc, pacc = inputs.accounting, inputs.previous_accounting
    without = _ints(acc.get("runs_without"))

    def stored(kind: str, key: str, label: str, unit: str) -> Change:
        return Change(key, label, unit, _accounted(acc, kind, key, cur.runs),
                      _accounted(pacc, kind, key, prev.runs),
                      f"{cur.runs - without.get(kind, 0)} of {cur.runs} runs accounted")

    return (
        Change("runs", "Runs", "runs", cur.runs, prev.runs,
               f"{cur.failed_runs} failed or interrupted"),
        Change("energy_kwh", "Energy (facility)", "kWh", cur.energy_kwh, prev.energy_kwh),
        Change("location_co2e_kg", "Location-based CO2e", "kg CO2e",
               _f(acc, "gross_location_co2e_kg"), _f(pacc, "gross_location_co2e_kg"),
               _basis_note(_ints(acc.get("location_basis_runs")))),
        stored("market", "market_co2e_kg", "Market-based CO2e", "kg CO2e"),
        stored("embodied", "embodied_co2e_kg", "Embodied CO2e", "kg CO2e"),
        stored("water", "water_l", "Water", "L"),
        Change("duration_h", "Run time", "h", cur.duration_s / 3600, prev.duration_s / 3600),
    )


def _accounted(acc: Mapping[str, Any], kind: str, key: str, runs: int) -> float | None:
    """The accounted total of ``kind``; None when the period has runs but none has the figure."""
    if runs > 0 and _ints(acc.get("runs_without")).get(kind, 0) >= runs:
        return None
    return _f(acc, key)


def _target(item: TargetProgress | tuple[Target, str]) -> TargetLine:
    t, error = item if isinstance(item, tuple) else (item.target, "")
    scope = "all projects" if t.project == "*" else t.project
    text = f"{t.metric} of {scope}: -{t.reduce_pct:g} % from {t.baseline} by {t.by_date}"
    if isinstance(item, tuple):
        return TargetLine(scope, t.metric, f"{text} (cannot be measured)", error=error)
    return TargetLine(scope, t.metric, f"{text} ({'on track' if item.on_track else 'off track'})",
                      progress=item)


def _budget(b: BudgetState) -> BudgetLine:
    limit = float(b.limit_co2e_kg or 0.0)
    return BudgetLine(b.project, b.month, limit, b.spent_co2e_kg, float(b.used_pct or 0.0),
                      b.spent_co2e_kg > limit, b.overruns, b.overrun_co2e_kg)


def _rso(summary: Mapping[str, Any], change: float) -> ReduceShiftOffset:
    return ReduceShiftOffset(
        gross_co2e_kg=_f(summary, "gross_co2e_kg"), change_vs_previous_co2e_kg=change,
        avoided_by_shifting_co2e_kg=_f(summary, "avoided_by_shifting_co2e_kg"),
        shifted_runs=int(_f(summary, "shifted_runs")),
        offset_co2e_kg=_f(summary, "offset_co2e_kg"),
        offsets_retired=tuple(dict(o) for o in summary.get("offsets_retired", ())),
        offsets_held_not_retired_t=_f(summary, "offsets_held_not_retired_t"),
        net_co2e_kg=_f(summary, "net_co2e_kg"),
        notes=tuple(str(n) for n in summary.get("notes", ())),
    )


def _notes(inputs: AuditInputs) -> tuple[str, ...]:
    out = []
    if inputs.totals.runs == 0:
        scope = f" for project {inputs.project}" if inputs.project else ""
        out.append(f"No runs were recorded in {inputs.period.label}{scope}: every figure "
                   "below is zero; targets, budgets and offsets are shown as they stand.")
    if inputs.as_of_utc <= inputs.period.start_utc:
        out.append(f"The period has not begun ({inputs.as_of_utc:%Y-%m-%d %H:%M} UTC).")
    elif inputs.as_of_utc < inputs.period.end_utc:
        out.append(f"The period is not over: figures are as of "
                   f"{inputs.as_of_utc:%Y-%m-%d %H:%M} UTC.")
    return tuple(out)


def _breakdown_note(gross: float, stored: float) -> str:
    if abs(gross - stored) <= 1e-9 * max(abs(gross), 1.0):
        return ("Trend, top emitters and budgets use the location-based figure stored with "
                "each run; here it equals the accounted total.")
    return (f"Trend, top emitters and budgets use the location-based figure stored with each "
            f"run ({stored:,.3f} kg CO2e in all); the accounted total uses hourly figures "
            f"where runs have them ({gross - stored:+,.3f} kg CO2e).")


def _basis_note(basis: Mapping[str, int]) -> str:
    return (f"runs on an hourly history: {basis.get('hourly', 0)}, annual mean: "
            f"{basis.get('location', 0)}, not yet accounted (stored footprint): "
            f"{basis.get('not_accounted', 0)}")


def _f(values: Mapping[str, Any], key: str) -> float:
    return float(values.get(key) or 0.0)


def _ints(value: Any) -> dict[str, int]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): int(v) for k, v in value.items()}
