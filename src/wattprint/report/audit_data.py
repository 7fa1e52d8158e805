"""Read what the audit report needs from the ledger: the I/O shell of :mod:`~.audit`.

:func:`collect` opens one read transaction for the SQL aggregates
(:mod:`wattprint.report.queries` and :mod:`wattprint.report.audit_queries`)
and then asks the ledger for the records the accounting rules take as
values, exactly as ``wattprint account --period`` and ``wattprint target
show`` do: the period's runs and stored figures for
:func:`wattprint.account.summary.aggregate` (so the report's gross is that
command's gross), the carbon-aware records and the offsets register for
:func:`wattprint.account.offsets.ledger_summary`, each target's runs since
its baseline for :func:`wattprint.account.targets.target_progress`, and the
budget state of each budgeted project in each month of the period.

A project that is not in the ledger is an error naming the closest ones.
"""

from __future__ import annotations

import difflib
from datetime import datetime, timedelta
from typing import Any

from wattprint.account.offsets import ledger_summary
from wattprint.account.periods import Period, month_labels, parse_period
from wattprint.account.summary import aggregate
from wattprint.account.targets import target_progress
from wattprint.errors import ConfigError
from wattprint.model import BudgetState, Target, TargetProgress
from wattprint.report import audit_queries as aq
from wattprint.report import queries as q
from wattprint.report.audit import AuditInputs, previous_period
from wattprint.report.audit_breakdown import TOP_N
from wattprint.store.ledger import Ledger

#: Targets of a finished period are measured at its last instant, so the
#: "current" period is the reported one, not the next (which has no runs yet).
_INSTANT = timedelta(microseconds=1)


def collect(ledger: Ledger, period: Period, project: str | None, *,
            now: datetime) -> AuditInputs:
    """Everything :func:`wattprint.report.audit.build` needs for ``period``.

    Args:
        ledger: An open ledger.
        period: The reporting period.
        project: Only this project (None: every project).
        now: The generation time (aware); targets are measured as of the
            earlier of it and the period's end.

    Raises:
        ConfigError: ``project`` has no run in the ledger (close matches named).
        LedgerError: A query failed.
    """
    start, end = period.start_utc, period.end_utc
    prev = previous_period(period)
    with ledger.reading() as conn:
        if project is not None:
            check_project(project, q.projects(conn))
        sql: dict[str, Any] = {
            "totals": q.totals(conn, start, end, project=project),
            "previous_totals": q.totals(conn, prev.start_utc, prev.end_utc, project=project),
            "daily": q.daily(conn, start, end, project=project),
            "projects": q.by_project(conn, start, end, project=project),
            "models": q.by_model(conn, start, end, project=project),
            "top_runs": q.top_runs(conn, start, end, project=project, limit=TOP_N),
            "wasted_runs": aq.wasted_runs(conn, start, end, project, limit=TOP_N),
            "method_energy_kwh": aq.method_energy(conn, start, end, project),
            "usage": aq.usage(conn, start, end, project),
            "accounting_methods": aq.accounting_methods(conn, start, end, project),
            "accounting_sources": aq.accounting_sources(conn, start, end, project),
            "quality": aq.quality(conn, start, end, project),
        }
    accounting = _accounting(ledger, period, project)
    as_of = min(now, end)
    return AuditInputs(
        period=period, project=project, generated_utc=now, as_of_utc=as_of,
        ledger=ledger.url, version=_version(), accounting=accounting,
        previous_accounting=_accounting(ledger, prev, project),
        targets=_targets(ledger, project, as_of if as_of < end else end - _INSTANT),
        budgets=_budgets(ledger, period, project, as_of),
        summary=ledger_summary(period, project,
                               gross_co2e_kg=accounting["gross_location_co2e_kg"],
                               shifts=ledger.shifts(start, end, project),
                               offsets=ledger.offsets()),
        **sql,
    )


def check_project(project: str, known: list[str]) -> None:
    """Raise :class:`ConfigError` naming close matches when ``project`` is not in ``known``."""
    if project in known:
        return
    close = difflib.get_close_matches(project, known, n=3, cutoff=0.5)
    close += [p for p in known if p.lower() == project.lower() and p not in close]
    if close:
        hint = f"; did you mean {', '.join(close)}?"
    elif known:
        hint = f"; projects in the ledger: {', '.join(known[:10])}" + (
            ", ..." if len(known) > 10 else "")
    else:
        hint = "; the ledger has no runs yet"
    raise ConfigError(f"unknown --project {project!r}: no run of it in the ledger{hint}")


def _accounting(ledger: Ledger, period: Period, project: str | None) -> dict[str, Any]:
    """``wattprint account --period``'s totals of the period's stored figures."""
    runs = ledger.list_runs(project=project, since=period.start_utc, until=period.end_utc)
    return aggregate(runs, ledger.accounting([r.id for r in runs]))


def _targets(ledger: Ledger, project: str | None,
             as_of: datetime) -> list[TargetProgress | tuple[Target, str]]:
    """Progress of each target as of ``as_of``; a target without baseline data says why."""
    out: list[TargetProgress | tuple[Target, str]] = []
    for target in ledger.targets(project):
        since = parse_period(target.baseline).start_utc
        runs = ledger.list_runs(project=None if target.project == "*" else target.project,
                                since=since, until=as_of)
        try:
            out.append(target_progress(target, runs, as_of))
        except ConfigError as e:
            out.append((target, str(e)))
    return out


def _budgets(ledger: Ledger, period: Period, project: str | None,
             as_of: datetime) -> list[BudgetState]:
    """Budget state of every budgeted project in every month of the period up to ``as_of``."""
    budgeted = sorted({b.project for b in ledger.budgets(project)})
    months = month_labels(period.start_utc, max(as_of, period.start_utc))
    states = (ledger.budget_state(p, m) for p in budgeted for m in months)
    return [s for s in states if s.limit_co2e_kg is not None]


def _version() -> str:
    from wattprint import __version__

    return str(__version__)

