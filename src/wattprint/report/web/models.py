"""Models and projects: energy and CO2e per project and per model.

Energy per unit of each logged metric (kWh per accuracy point) shows
inefficient models: a model using more than twice the best model's energy per
unit of some metric is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.requests import Request

from wattprint.report import queries as q
from wattprint.report.web import figures
from wattprint.report.web.context import DashboardContext, context
from wattprint.report.web.overview import EndQ, PeriodQ, ProjectQ, StartQ, window_json
from wattprint.report.web.params import PERIODS, Window, optional, parse_window
from wattprint.report.web.render import page
from wattprint.report.web.serialize import to_json

router = APIRouter()
Ctx = Annotated[DashboardContext, Depends(context)]
#: A model using more than this multiple of the best model's kWh per unit is flagged.
INEFFICIENT = 2.0


@dataclass(frozen=True)
class Models:
    """Per-project and per-model aggregates of a window."""

    window: Window
    project: str | None
    projects: list[q.GroupRow]
    models: list[q.ModelRow]
    all_projects: list[str]

    def best(self) -> dict[str, float]:
        """Lowest kWh per unit of each metric among the models."""
        out: dict[str, float] = {}
        for row in self.models:
            for name, value in row.kwh_per_metric.items():
                out[name] = min(value, out.get(name, value))
        return out

    def vs_best(self, row: q.ModelRow) -> dict[str, float | None]:
        """Each metric's kWh per unit of ``row`` as a multiple of the best model's."""
        best = self.best()
        return {name: (value / best[name] if best[name] > 0 else None)
                for name, value in row.kwh_per_metric.items()}

    def inefficient(self, row: q.ModelRow) -> bool:
        """More than :data:`INEFFICIENT` × the best kWh per unit of some metric."""
        return any(r is not None and r > INEFFICIENT for r in self.vs_best(row).values())

    def to_json(self) -> dict[str, Any]:
        """The API's answer."""
        models = []
        for row in self.models:
            item = to_json(row)
            item["kwh_per_metric_vs_best"] = self.vs_best(row)
            item["inefficient"] = self.inefficient(row)
            models.append(item)
        return {"window": window_json(self.window), "project": self.project,
                "projects": to_json(self.projects), "models": models,
                "best_kwh_per_metric": self.best()}


def models_data(ctx: DashboardContext, w: Window, project: str | None) -> Models:
    """Read the aggregates of the models page."""
    with ctx.ledger.reading() as conn:
        return Models(w, project, q.by_project(conn, w.start_utc, w.end_utc, project=project),
                      q.by_model(conn, w.start_utc, w.end_utc, project=project),
                      q.projects(conn))


@router.get("/api/v1/models", tags=["models"], summary="Energy and CO2e per project and model")
def api_models(ctx: Ctx, period: PeriodQ = "", start: StartQ = None, end: EndQ = None,
               project: ProjectQ = None) -> JSONResponse:
    """Energy and CO2e per project and per (model, project), largest emitters first.

    Each row: runs, energy, CO2e, failed runs and their energy; models also carry
    their mean final metrics, kWh per unit of each metric and that figure as a
    multiple of the most efficient model's.
    """
    w = parse_window(period, start, end, ctx.today())
    return JSONResponse(models_data(ctx, w, optional(project)).to_json())


@router.get("/models", response_class=HTMLResponse, include_in_schema=False)
def models_page(request: Request, ctx: Ctx, period: PeriodQ = "", start: StartQ = None,
                end: EndQ = None, project: ProjectQ = None) -> HTMLResponse:
    """The models and projects page."""
    w = parse_window(period, start, end, ctx.today())
    data = models_data(ctx, w, optional(project))
    charts = {"projects-chart": figures.groups(data.projects),
              "models-chart": figures.models(data.models),
              "efficiency-chart": figures.efficiency(data.models)}
    return page(request, "models.html", title="Models & projects", data=data, figures=charts,
                periods=PERIODS, window=w)
