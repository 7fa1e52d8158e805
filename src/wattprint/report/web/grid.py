"""Grid: an hour-of-day × day intensity heatmap of a zone, and zones ranked by intensity.

The heatmap comes from the dashboard's provider (the configured chain: live
data when a provider is set up, else the embedded typical hourly profiles,
which the page says); the ranking from the zone catalogue, with the zones the
ledger's runs used always listed and highlighted.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.requests import Request

from wattprint.errors import ConfigError, UnknownZoneError
from wattprint.model import Zone
from wattprint.report import grid as views
from wattprint.report import queries as q
from wattprint.report.web import figures
from wattprint.report.web.context import DashboardContext, context
from wattprint.report.web.params import optional, parse_day
from wattprint.report.web.render import page
from wattprint.report.web.serialize import to_json

router = APIRouter()
Ctx = Annotated[DashboardContext, Depends(context)]
ZoneQ = Annotated[str | None, Query(description="Zone id (DE, US-CAL-CISO, aws:eu-west-1); "
                                                "default: the ledger's most used zone")]
DaysQ = Annotated[int, Query(description=f"Number of days, 1 to {views.MAX_DAYS}")]
EndDayQ = Annotated[str | None, Query(description="Last day (YYYY-MM-DD), default today")]
KindQ = Annotated[str | None, Query(description="country, region or cloud")]
SearchQ = Annotated[str | None, Query(description="Only zones matching this text")]
LimitQ = Annotated[int, Query(description="Most zones listed, 1 to 1000")]
DEFAULT_ZONE = "DE"


def _default_zone(ctx: DashboardContext) -> str:
    """The zone with the most energy in the ledger's last year, else Germany."""
    end = ctx.now()
    with ctx.ledger.reading() as conn:
        rows = q.by_zone(conn, end - timedelta(days=365), end)
    return rows[0].zone if rows else DEFAULT_ZONE


def heatmap(ctx: DashboardContext, zone: str | None, days: int, end: str | None
            ) -> views.Heatmap:
    """The heatmap of ``zone`` over ``days`` days ending on ``end``.

    Raises:
        ConfigError: Unknown zone, bad day or day count (names the parameter).
    """
    last = parse_day("end", end) if end else ctx.today()
    chosen = zone or _default_zone(ctx)
    try:
        return views.heatmap(ctx.provider, chosen, last - timedelta(days=days - 1), days,
                             ctx.now())
    except UnknownZoneError as e:
        raise ConfigError(f"invalid zone: {e}") from e


def ranking(ctx: DashboardContext, kind: str | None, query: str | None, limit: int
            ) -> tuple[list[Zone], set[str]]:
    """Zones by intensity and the ids the ledger's runs used."""
    with ctx.ledger.reading() as conn:
        used = q.zones(conn)
    zones = views.ranking(ctx.catalog, kind=kind, query=query or "", limit=limit, used=used)
    return zones, {z.id for z in (ctx.catalog.find(u) for u in used) if z is not None}


def heatmap_json(h: views.Heatmap) -> dict[str, Any]:
    """The heatmap API's answer."""
    return {**to_json(h), "hours": list(range(24)), "mean_g_per_kwh": h.mean_g_per_kwh}


def ranking_json(zones: list[Zone], used: set[str]) -> list[dict[str, Any]]:
    """The ranking API's answer."""
    return [{"id": z.id, "name": z.name, "kind": z.kind,
             "intensity_g_per_kwh": z.intensity_g_per_kwh, "year": z.year, "source": z.source,
             "grid_zone": z.grid_zone or None, "used_by_runs": z.id in used} for z in zones]


@router.get("/api/v1/grid/heatmap", tags=["grid"], summary="Hourly intensity of a zone")
def api_heatmap(ctx: Ctx, zone: ZoneQ = None, days: DaysQ = 14, end: EndDayQ = None
                ) -> JSONResponse:
    """Intensity by UTC hour (rows 0-23) and day (columns) from the configured providers.

    ``kind`` and ``notes`` say whether it is measured, forecast or a typical profile.
    """
    return JSONResponse(heatmap_json(heatmap(ctx, optional(zone), days, optional(end))))


@router.get("/api/v1/grid/zones", tags=["grid"], summary="Zones ranked by intensity")
def api_zones(ctx: Ctx, kind: KindQ = None, q_: Annotated[SearchQ, Query(alias="q")] = None,
              limit: LimitQ = 50) -> JSONResponse:
    """Zones and cloud regions by annual average intensity, cleanest first.

    The zones the ledger's runs used are always included (``used_by_runs``).
    """
    zones, used = ranking(ctx, optional(kind), optional(q_), limit)
    return JSONResponse({"zones": ranking_json(zones, used)})


@router.get("/grid", response_class=HTMLResponse, include_in_schema=False)
def grid_page(request: Request, ctx: Ctx, zone: ZoneQ = None, days: DaysQ = 14,
              end: EndDayQ = None, kind: KindQ = None,
              q_: Annotated[SearchQ, Query(alias="q")] = None, limit: LimitQ = 40
              ) -> HTMLResponse:
    """The grid page."""
    h = heatmap(ctx, optional(zone), days, optional(end))
    zones, used = ranking(ctx, optional(kind), optional(q_), limit)
    charts = {"grid-heatmap": figures.heatmap(h),
              "zone-ranking-chart": figures.ranking(
                  [z.id for z in zones], [z.intensity_g_per_kwh for z in zones], used)}
    form = {"zone": h.zone, "days": days, "end": end or "", "kind": kind or "", "q": q_ or ""}
    return page(request, "grid.html", title="Grid", heatmap=h, zones=zones, used=used,
                figures=charts, form=form, kinds=views.ZONE_KINDS)
