"""Runs: a sortable, filterable, paginated table; filtering and paging happen in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.requests import Request

from wattprint.model import RunStatus
from wattprint.report import queries as q
from wattprint.report.web.context import DashboardContext, context
from wattprint.report.web.params import is_day, optional, parse_order, parse_tags, parse_time
from wattprint.report.web.render import page
from wattprint.report.web.serialize import to_json

router = APIRouter()
Ctx = Annotated[DashboardContext, Depends(context)]
_SORT_HELP = f"One of {', '.join(q.SORT_KEYS)}"


@dataclass(frozen=True)
class RunsQuery:
    """The parsed query string of the runs table."""

    filters: q.RunFilter
    sort: str
    descending: bool
    offset: int
    limit: int


def runs_query(
    project: Annotated[str | None, Query(description="Exact project name")] = None,
    tag: Annotated[list[str] | None, Query(
        description="Tags the run must all carry (repeat, or separate with commas)")] = None,
    status: Annotated[str | None, Query(
        description="running, finished, failed or interrupted")] = None,
    since: Annotated[str | None, Query(
        description="Started at or after (YYYY-MM-DD or ISO time, UTC)")] = None,
    until: Annotated[str | None, Query(
        description="Started before this ISO time, or on or before this day (YYYY-MM-DD)")]
        = None,
    zone: Annotated[str | None, Query(description="Exact zone id (DE, aws:us-east-1)")] = None,
    method: Annotated[str | None, Query(
        description="measured, or modelled (any device modelled)")] = None,
    sort: Annotated[str, Query(description=_SORT_HELP)] = "started",
    order: Annotated[str, Query(description="desc (default) or asc")] = "desc",
    offset: Annotated[int, Query(description="Rows to skip")] = 0,
    limit: Annotated[int, Query(description=f"Page size, 1 to {q.MAX_LIMIT}")] = 50,
) -> RunsQuery:
    """Parse the runs table's parameters (a FastAPI dependency).

    Raises:
        ConfigError: A bad value; the message names the parameter.
    """
    until_s = optional(until)
    until_t = None
    if until_s is not None:
        until_t = parse_time("until", until_s)
        if is_day(until_s):  # a day means up to the end of that day
            until_t += timedelta(days=1)
    since_s = optional(since)
    filters = q.RunFilter(
        project=optional(project), tags=parse_tags(tag or []), status=optional(status),
        since=parse_time("since", since_s) if since_s else None, until=until_t,
        zone=optional(zone), method=optional(method),
    )
    return RunsQuery(filters, sort, parse_order(order), offset, limit)


Params = Annotated[RunsQuery, Depends(runs_query)]


def runs_json(rows: list[q.RunRow], total: int, p: RunsQuery) -> dict[str, Any]:
    """The API's answer: a page of runs, the total matching, and the query."""
    return {"total": total, "offset": p.offset, "limit": p.limit, "sort": p.sort,
            "order": "desc" if p.descending else "asc", "filters": to_json(p.filters),
            "runs": to_json(rows)}


def _page_of(ctx: DashboardContext, p: RunsQuery) -> tuple[list[q.RunRow], int]:
    with ctx.ledger.reading() as conn:
        return q.runs_page(conn, p.filters, sort=p.sort, descending=p.descending,
                           offset=p.offset, limit=p.limit)


@router.get("/api/v1/runs", tags=["runs"], summary="A page of runs, filtered and sorted")
def api_runs(ctx: Ctx, p: Params) -> JSONResponse:
    """Runs matching every filter given, sorted, one page at a time, with the total count."""
    rows, total = _page_of(ctx, p)
    return JSONResponse(runs_json(rows, total, p))


@router.get("/runs", response_class=HTMLResponse, include_in_schema=False)
def runs_page(request: Request, ctx: Ctx, p: Params) -> HTMLResponse:
    """The runs table."""
    rows, total = _page_of(ctx, p)
    with ctx.ledger.reading() as conn:
        projects, zones = q.projects(conn), q.zones(conn)
    f = p.filters
    form = {"project": f.project or "", "tag": ", ".join(f.tags), "status": f.status or "",
            "since": request.query_params.get("since", ""),
            "until": request.query_params.get("until", ""), "zone": f.zone or "",
            "method": f.method or ""}
    return page(request, "runs.html", title="Runs", rows=rows, total=total, q=p, form=form,
                projects=projects, zones=zones, statuses=[s.value for s in RunStatus],
                methods=q.METHODS, sort_keys=list(q.SORT_KEYS), columns=COLUMNS,
                pages=_pages(total, p), first_shown=min(p.offset + 1, total),
                last_shown=min(p.offset + len(rows), total))


#: Columns of the table: (heading, sort key or "").
COLUMNS = (("Run", ""), ("Project", "project"), ("Model", ""), ("Status", ""),
           ("Started (UTC)", "started"), ("Duration", "duration"), ("Zone", ""),
           ("Energy (kWh)", "energy"), ("CO2e (kg)", "co2e"), ("Method", ""), ("Tags", ""))


def _pages(total: int, p: RunsQuery) -> dict[str, int | None]:
    """Offsets of the previous and next pages (None at either end)."""
    prev = max(p.offset - p.limit, 0) if p.offset > 0 else None
    nxt = p.offset + p.limit if p.offset + p.limit < total else None
    last = max((total - 1) // p.limit * p.limit, 0)
    return {"prev": prev, "next": nxt, "first": 0 if p.offset > 0 else None,
            "last": last if nxt is not None else None}

