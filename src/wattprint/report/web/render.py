"""HTML rendering: one Jinja2 environment with autoescape on, and number formats.

Every value that reaches a page (project names, tags, model names, commands,
error messages) goes through Jinja2's autoescape. Chart figures and page data
are embedded as ``<script type="application/json">`` blocks through the
``tojson`` filter, which escapes ``<``, ``>``, ``&`` and ``'``, so no text can
close the block (``</script>``); ``static/app.js`` reads them with
``JSON.parse``.
"""

from __future__ import annotations

import functools
import math
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

#: The pages of the navigation bar: (path, label, element id).
NAV = (("/", "Overview", "nav-overview"), ("/runs", "Runs", "nav-runs"),
       ("/models", "Models & projects", "nav-models"), ("/targets", "Targets & budgets",
                                                       "nav-targets"),
       ("/grid", "Grid", "nav-grid"), ("/docs", "API", "nav-docs"))


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The template environment (built once, on first use)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("wattprint.report.web", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(num=num, when=when, day=day, duration=duration, change=change,
                       pct=pct)
    env.globals.update(nav=NAV, url_with=url_with)
    return env


def page(
    request: Request, template: str, status_code: int = 200, **values: Any
) -> HTMLResponse:
    """Render ``template`` with ``values`` (and ``request``, ``path``)."""
    html = environment().get_template(template).render(
        request=request, path=request.url.path, **values)
    return HTMLResponse(html, status_code)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """The HTML answer to a failed page request."""
    return page(request, "error.html", status, status=status, message=message,
                title=f"Error {status}")


def url_with(request: Request, **changes: Any) -> str:
    """This page's address with some query parameters changed (None removes one)."""
    params = [(k, v) for k, v in request.query_params.multi_items()
              if k not in changes and k != "token"]
    params.extend((k, str(v)) for k, v in changes.items() if v is not None and v != "")
    return request.url.path + (f"?{urlencode(params)}" if params else "")


def num(value: float | int | None, unit: str = "") -> str:
    """A figure for people: 3 significant digits below 1, thousands separators above."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    size = abs(value)
    if isinstance(value, int) or size >= 100:
        text = f"{value:,.0f}"
    elif size >= 1:
        text = f"{value:,.2f}"
    elif size == 0:
        text = "0"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}" if unit else text


def when(value: datetime | None) -> str:
    """``2026-01-02 23:30:05 UTC``."""
    if value is None:
        return "—"
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def day(value: date) -> str:
    """``2026-01-02``."""
    return value.isoformat()


def duration(seconds: float | None) -> str:
    """``1 h 05 min``, ``4 min 10 s`` or ``12.5 s``."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def change(value: float | None) -> str:
    """A signed percentage change (``+12.5 %``), or ``new`` when there was nothing before."""
    return "new" if value is None else f"{value:+.1f} %"


def pct(value: float | None) -> str:
    """A percentage (``42.0 %``)."""
    return "—" if value is None else f"{value:.1f} %"

