"""Targets and budgets: progress towards each reduction target and monthly budget.

Each comes with its projection at the current trend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.requests import Request

from wattprint.account.targets import progress_to_dict
from wattprint.report.progress import (
    BudgetProgress,
    TargetResult,
    budget_progress,
    target_progresses,
)
from wattprint.report.web.context import DashboardContext, context
from wattprint.report.web.params import optional
from wattprint.report.web.render import page
from wattprint.report.web.serialize import iso
from wattprint.store.budgets import month_of, parse_month, state_to_dict

router = APIRouter()
Ctx = Annotated[DashboardContext, Depends(context)]
MonthQ = Annotated[str | None, Query(description="UTC month of the budgets (YYYY-MM); "
                                                 "default: this month")]


@dataclass(frozen=True)
class Progress:
    """Targets and budgets at one time."""

    as_of: datetime
    month: str
    targets: list[TargetResult]
    budgets: list[BudgetProgress]

    def to_json(self) -> dict[str, Any]:
        """The API's answer."""
        return {
            "as_of": iso(self.as_of), "month": self.month,
            "targets": [_target_json(t) for t in self.targets],
            "budgets": [{**state_to_dict(b.state), "elapsed_fraction": b.elapsed_fraction,
                         "projected_co2e_kg": b.projected_co2e_kg, "on_track": b.on_track}
                        for b in self.budgets],
        }


def _target_json(t: TargetResult) -> dict[str, Any]:
    if t.progress is not None:
        return {**progress_to_dict(t.progress), "problem": None}
    target = t.target
    return {"project": target.project, "metric": target.metric, "baseline": target.baseline,
            "reduce_pct": target.reduce_pct, "by": target.by_date.isoformat(),
            "problem": t.problem}


def progress(ctx: DashboardContext, month: str | None) -> Progress:
    """Read every target's and budget's progress (budgets of ``month``, default this one).

    Raises:
        ConfigError: ``month`` is not ``YYYY-MM``.
    """
    as_of = ctx.now()
    chosen = parse_month(month) if month else month_of(as_of)
    if chosen == "*":
        chosen = month_of(as_of)
    with ctx.ledger.reading() as conn:
        return Progress(as_of, chosen, target_progresses(conn, as_of),
                        budget_progress(conn, chosen, as_of))


@router.get("/api/v1/targets", tags=["targets"], summary="Targets and budgets progress")
def api_targets(ctx: Ctx, month: MonthQ = None) -> JSONResponse:
    """Progress of every reduction target and of each project's budget for the month.

    Targets: baseline, current run rate, required and projected value, progress
    in %, on track. Budgets: spent, projected at the current run rate, on track.
    """
    return JSONResponse(progress(ctx, optional(month)).to_json())


@router.get("/targets", response_class=HTMLResponse, include_in_schema=False)
def targets_page(request: Request, ctx: Ctx, month: MonthQ = None) -> HTMLResponse:
    """The targets and budgets page."""
    data = progress(ctx, optional(month))
    return page(request, "targets.html", title="Targets & budgets", data=data)
