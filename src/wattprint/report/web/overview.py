"""Overview: daily CO2e by project and energy, totals, change vs the previous period."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.requests import Request

from wattprint.report import queries as q
from wattprint.report.web import figures
from wattprint.report.web.context import DashboardContext, context
from wattprint.report.web.params import PERIODS, Window, optional, parse_window
from wattprint.report.web.render import page
from wattprint.report.web.serialize import change_pct, to_json

router = APIRouter()
Ctx = Annotated[DashboardContext, Depends(context)]
PeriodQ = Annotated[str, Query(description="7d, 30d, quarter (91 d), year (365 d) or custom")]
StartQ = Annotated[str | None, Query(description="First day of a custom period (YYYY-MM-DD)")]
EndQ = Annotated[str | None, Query(description="Last day of a custom period (default today)")]
ProjectQ = Annotated[str | None, Query(description="Only this project")]
#: Totals compared with the previous period.
COMPARED = ("runs", "energy_kwh", "co2e_kg", "embodied_co2e_kg", "water_l", "failed_runs",
            "failed_energy_kwh")


def window_json(w: Window) -> dict[str, Any]:
    """A window as JSON: period name, first and last day, start and end times."""
    return {"period": w.period, "first_day": w.first_day.isoformat(),
            "last_day": w.last_day.isoformat(), "days": w.days,
            "start_utc": to_json(w.start_utc), "end_utc": to_json(w.end_utc)}


@dataclass(frozen=True)
class Overview:
    """What the overview shows: a window, the one before it, and their aggregates."""

    window: Window
    previous: Window
    project: str | None
    totals: q.Totals
    previous_totals: q.Totals
    daily: list[q.DailyPoint]
    top_runs: list[q.RunRow]
    projects: list[str]

    def change_pct(self) -> dict[str, float | None]:
        """Change of each compared total vs the previous window, in % (None: was 0)."""
        return {k: change_pct(getattr(self.totals, k), getattr(self.previous_totals, k))
                for k in COMPARED}

    def to_json(self) -> dict[str, Any]:
        """The API's answer."""
        return {
            "window": window_json(self.window), "previous_window": window_json(self.previous),
            "project": self.project, "totals": to_json(self.totals),
            "previous_totals": to_json(self.previous_totals), "change_pct": self.change_pct(),
            "daily": [{"day": p.day.isoformat(), "project": p.project, "runs": p.runs,
                       "energy_kwh": p.energy_kwh, "co2e_kg": p.co2e_kg} for p in self.daily],
            "top_runs": to_json(self.top_runs),
            "projects": self.projects,
        }


def overview(ctx: DashboardContext, w: Window, project: str | None) -> Overview:
    """Read the overview's aggregates (one read transaction)."""
    before = w.previous()
    with ctx.ledger.reading() as conn:
        return Overview(
            w, before, project,
            q.totals(conn, w.start_utc, w.end_utc, project=project),
            q.totals(conn, before.start_utc, before.end_utc, project=project),
            q.daily(conn, w.start_utc, w.end_utc, project=project),
            q.top_runs(conn, w.start_utc, w.end_utc, project=project, limit=10),
            q.projects(conn),
        )


@router.get("/api/v1/overview", tags=["overview"], summary="Totals, daily series, top runs")
def api_overview(ctx: Ctx, period: PeriodQ = "", start: StartQ = None, end: EndQ = None,
                 project: ProjectQ = None) -> JSONResponse:
    """Totals of the period and the one before it, daily series and the largest runs.

    Totals come with their change in % (null when the previous period had none);
    CO2e and energy are per UTC day and project (days without runs are absent).
    """
    w = parse_window(period, start, end, ctx.today())
    return JSONResponse(overview(ctx, w, optional(project)).to_json())


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def overview_page(request: Request, ctx: Ctx, period: PeriodQ = "", start: StartQ = None,
                  end: EndQ = None, project: ProjectQ = None) -> HTMLResponse:
    """The overview page."""
    w = parse_window(period, start, end, ctx.today())
    data = overview(ctx, w, optional(project))
    figure = figures.overview(w.day_list(), data.daily)
    return page(request, "overview.html", title="Overview", data=data,
                change=data.change_pct(), figure=figure, periods=PERIODS)
