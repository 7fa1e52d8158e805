"""API reference at ``/docs`` (rendered from the OpenAPI schema, no CDN) and ``/api/v1/meta``.

FastAPI's own ``/docs`` (Swagger UI) loads its scripts from a CDN, so it is
switched off; this page lists the same operations, parameters and
descriptions from ``/openapi.json`` as plain HTML and works offline.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.requests import Request

from wattprint.model import RunStatus
from wattprint.report import queries as q
from wattprint.report.web.context import DashboardContext, context
from wattprint.report.web.params import PERIODS
from wattprint.report.web.render import page

router = APIRouter()
Ctx = Annotated[DashboardContext, Depends(context)]


def package_version() -> str:
    """The installed version of wattprint ("unknown" when run from a bare checkout)."""
    try:
        return version("wattprint")
    except PackageNotFoundError:
        return "unknown"


def operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Every operation of an OpenAPI schema: method, path, summary, description, parameters."""
    out = []
    for path, methods in sorted(schema.get("paths", {}).items()):
        for method, op in methods.items():
            params = [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                       "type": _type(p.get("schema", {})),
                       "default": p.get("schema", {}).get("default"),
                       "description": p.get("description", "")}
                      for p in op.get("parameters", [])]
            out.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                        "description": op.get("description", ""), "parameters": params,
                        "id": op.get("operationId", f"{method}-{path}")})
    return out


def _type(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        return " | ".join(_type(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"list of {_type(schema.get('items', {}))}"
    return str(schema.get("type", "any"))


@router.get("/api/v1/meta", tags=["meta"], summary="What the filters accept")
def api_meta(ctx: Ctx) -> JSONResponse:
    """Projects and zones in the ledger, and what each filter accepts.

    Periods, sort keys, run statuses and methods.
    """
    with ctx.ledger.reading() as conn:
        projects, zones = q.projects(conn), q.zones(conn)
    return JSONResponse({"version": package_version(), "projects": projects, "zones": zones,
                         "periods": list(PERIODS), "sort_keys": list(q.SORT_KEYS),
                         "statuses": [s.value for s in RunStatus], "methods": list(q.METHODS),
                         "ledger": ctx.ledger.url})


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def docs_page(request: Request) -> HTMLResponse:
    """The API reference page."""
    schema = request.app.openapi()
    return page(request, "apidocs.html", title="API", ops=operations(schema),
                info=schema.get("info", {}))
