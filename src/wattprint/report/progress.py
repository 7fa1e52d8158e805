"""Budgets and reduction targets, read from the ledger with SQL aggregates.

* :func:`budget_progress` — each project's monthly carbon budget: spent so
  far (:func:`wattprint.store.budgets.state`) and the month's projection at
  its current run rate (spent × month length ÷ time elapsed).
* :func:`target_progresses` — every target's progress through
  :func:`wattprint.account.targets.target_progress`, the one implementation
  of the target arithmetic. That function takes runs; rather than loading
  every run, it is given one stand-in run per run of each UTC day, all
  carrying that day's mean energy and emissions. The stand-ins of one day are
  the same object repeated, so memory grows with the number of days, not of
  runs, and every sum, count and mean the target needs is exact: targets are
  measured over whole months, which are whole days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import Connection, select

from wattprint.account.periods import parse_period
from wattprint.account.targets import ALL_PROJECTS, target_progress
from wattprint.errors import ConfigError
from wattprint.model import (
    BudgetState,
    Footprint,
    Intensity,
    Run,
    RunStatus,
    Target,
    TargetProgress,
    ZoneChoice,
)
from wattprint.report._sql import check_aware
from wattprint.report.queries import daily
from wattprint.store import budgets
from wattprint.store.schema import targets


@dataclass(frozen=True)
class BudgetProgress:
    """A project's budget in one month and where the month is heading.

    Attributes:
        state: Limit, spending and overruns (:class:`~wattprint.model.BudgetState`).
        elapsed_fraction: Share of the month gone at the as-of time (0-1).
        projected_co2e_kg: Emissions by the end of the month at the current
            run rate (the spending itself once the month is over).
    """

    state: BudgetState
    elapsed_fraction: float
    projected_co2e_kg: float

    @property
    def on_track(self) -> bool:
        """The projection stays within the limit (True without a limit)."""
        limit = self.state.limit_co2e_kg
        return limit is None or self.projected_co2e_kg <= limit


@dataclass(frozen=True)
class TargetResult:
    """A target and its progress, or the reason it cannot be measured yet."""

    target: Target
    progress: TargetProgress | None
    problem: str = ""


def budget_progress(conn: Connection, month: str, as_of: datetime) -> list[BudgetProgress]:
    """Progress of every project that has a budget for ``month`` (its own or every month's).

    Raises:
        ConfigError: ``month`` is not ``YYYY-MM`` or ``as_of`` is naive.
    """
    check_aware("as_of", as_of)
    start, end = budgets.month_bounds(month)
    span = (end - start).total_seconds()
    elapsed = min(max((as_of - start).total_seconds(), 0.0), span) / span
    found = budgets.select_budgets(conn, None)
    names = sorted({b.project for b in found if b.month in (month, budgets.EVERY_MONTH)})
    out = []
    for project in names:
        state = budgets.state(conn, project, month)
        projected = state.spent_co2e_kg / elapsed if 0 < elapsed < 1 else state.spent_co2e_kg
        out.append(BudgetProgress(state, elapsed, projected))
    return out


def target_progresses(conn: Connection, as_of: datetime) -> list[TargetResult]:
    """Every target in the ledger with its progress at ``as_of``.

    Raises:
        ConfigError: ``as_of`` is naive.
    """
    check_aware("as_of", as_of)
    stmt = select(targets).order_by(targets.c.project, targets.c.metric)
    out = []
    for row in conn.execute(stmt).mappings():
        target = Target(row["project"], row["metric"], row["baseline"], row["reduce_pct"],
                        row["by_date"], row["created_utc"])
        try:
            runs = _day_runs(conn, target, as_of)
            out.append(TargetResult(target, target_progress(target, runs, as_of)))
        except ConfigError as e:
            out.append(TargetResult(target, None, str(e)))
    return out


def _day_runs(conn: Connection, target: Target, as_of: datetime) -> list[Run]:
    """Stand-in runs carrying the target's daily totals (see the module docstring)."""
    start = parse_period(target.baseline).start_utc
    if as_of <= start:
        return []
    project = None if target.project == ALL_PROJECTS else target.project
    days: dict[date, tuple[int, float, float]] = {}
    for p in daily(conn, start, as_of, project=project):
        n, e, c = days.get(p.day, (0, 0.0, 0.0))
        days[p.day] = (n + p.runs, e + p.energy_kwh, c + p.co2e_kg)
    out: list[Run] = []
    for day, (n, energy, co2e) in days.items():
        out.extend([_stand_in(target.project, day, energy / n, co2e / n)] * n)
    return out


def _stand_in(project: str, day: date, energy_kwh: float, co2e_kg: float) -> Run:
    # Facility energy = IT energy × PUE 1; emissions = energy × intensity, so an
    # intensity of co2e/energy reproduces both figures (a run without energy has none).
    g_per_kwh = 1000.0 * co2e_kg / energy_kwh if energy_kwh > 0 else 0.0
    started = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    return Run(
        id=f"day-{day.isoformat()}", project=project, status=RunStatus.FINISHED,
        started_utc=started, ended_utc=started, duration_s=0.0, host="",
        footprint=Footprint({"other": energy_kwh}, 1.0, "",
                            Intensity("", g_per_kwh, "daily mean of the ledger")),
        zone_choice=ZoneChoice("", "ledger"),
    )
