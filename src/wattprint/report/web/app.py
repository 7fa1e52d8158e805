"""The app factory: routers, error answers, security middleware, static files.

Errors become one answer each, JSON under ``/api/`` and an HTML page
elsewhere: bad query parameters (FastAPI's validation errors included, which
would be 422 by default) and any :class:`~wattprint.errors.ConfigError` are
400 with a message naming the parameter; an unknown run is 404; a provider
failure 502; a ledger failure 503. Never a bare 500 for bad input.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from wattprint.clock import Clock
from wattprint.errors import (
    ConfigError,
    LedgerError,
    PlanError,
    ProviderError,
    RunNotFoundError,
    WattprintError,
)
from wattprint.intensity.providers.base import IntensityProvider
from wattprint.intensity.zones import ZoneCatalog
from wattprint.report.web import apidocs, grid, models, overview, run_detail, runs, targets
from wattprint.report.web.context import DashboardContext
from wattprint.report.web.render import error_page
from wattprint.report.web.security import guard
from wattprint.store.ledger import Ledger

#: Status of each error class (the most specific class found in the MRO wins).
STATUS: dict[type[Exception], int] = {
    ConfigError: 400, PlanError: 400, RunNotFoundError: 404, ProviderError: 502,
    LedgerError: 503, WattprintError: 500,
}
DESCRIPTION = """Energy and CO2e of the runs in a wattprint ledger, aggregated in SQL.

Times are UTC (ISO 8601, `Z`); windows are whole UTC days. Bad parameters are
answered with 400 and `{"error": "invalid <parameter> ...", "status": 400}`.
With a token, send `Authorization: Bearer <token>`."""


def plotly_bundle() -> Path:
    """The ``plotly.min.js`` that the ``plotly`` package ships (found without importing it)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        from wattprint.errors import MissingExtraError

        raise MissingExtraError("plotly", "dashboard")
    return Path(list(spec.submodule_search_locations)[0]) / "package_data" / "plotly.min.js"


def build_app(
    ledger: Ledger, *, token: str | None, clock: Clock | None,
    provider: IntensityProvider | None, catalog: ZoneCatalog | None,
    ingest_tokens: Mapping[str, str] | None = None, ingest_max_bytes: int | None = None,
) -> FastAPI:
    """The dashboard app (see :func:`wattprint.report.web.create_app`)."""
    from wattprint.report.web.apidocs import package_version

    app = FastAPI(title="wattprint dashboard", version=package_version(),
                  description=DESCRIPTION, docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json")
    app.state.dashboard = DashboardContext(ledger, token=token, clock=clock,
                                           provider=provider, catalog=catalog)
    app.middleware("http")(guard(token, ingest=bool(ingest_tokens)))
    _add_error_handlers(app)
    if ingest_tokens:
        from wattprint.report.web import ingest

        app.state.ingest = ingest.IngestState(
            dict(ingest_tokens), ingest_max_bytes or ingest.MAX_BYTES)
        app.include_router(ingest.router)
    for module in (overview, runs, run_detail, models, targets, grid, apidocs):
        app.include_router(module.router)
    bundle = plotly_bundle()

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(bundle, media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    app.mount("/static", StaticFiles(packages=[("wattprint.report.web", "static")]),
              name="static")
    return app


def answer(request: Request, status: int, message: str) -> Response:
    """JSON under ``/api/`` (and for ``/openapi.json``), an HTML page elsewhere."""
    path = request.url.path
    if path.startswith("/api/") or path == "/openapi.json":
        return JSONResponse({"error": message, "status": status}, status)
    return error_page(request, status, message)


def validation_message(exc: RequestValidationError) -> str:
    """``invalid <parameter> <value>: <reason>`` for FastAPI's first validation error."""
    errors: list[Any] = list(exc.errors())
    if not errors:
        return "invalid request"
    first = errors[0]
    loc = [str(part) for part in first.get("loc", ()) if part not in ("query", "path")]
    name = ".".join(loc) or "request"
    given = first.get("input")
    shown = f" {given!r}" if isinstance(given, (str, int, float)) else ""
    reason = str(first.get("msg", "bad value")).lower()
    return f"invalid {name}{shown}: {reason}"


def _add_error_handlers(app: FastAPI) -> None:
    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return answer(request, 400, validation_message(exc))

    async def on_wattprint(request: Request, exc: Exception) -> Response:
        status = next(STATUS[c] for c in type(exc).__mro__ if c in STATUS)
        return answer(request, status, str(exc))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = str(exc.detail) if exc.status_code != 404 else (
            f"no page at {request.url.path}")
        return answer(request, exc.status_code, message)

    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(WattprintError, on_wattprint)
    app.add_exception_handler(HTTPException, on_http)
