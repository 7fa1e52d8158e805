"""Who may use the dashboard, and the headers every answer carries.

* Without a token the server must be bound to loopback (the CLI refuses
  anything else) and answers only requests whose ``Host`` is a loopback name
  (``127.0.0.1``, ``localhost``, ``[::1]``), so a web page elsewhere cannot
  reach it through DNS rebinding.
* With a token every request needs it, except the static assets (Plotly's
  bundle, the style sheet: no data): ``Authorization: Bearer <token>``, or
  ``?token=<token>`` once — the answer is a redirect to the same address
  without it that sets an HttpOnly, SameSite=Strict cookie holding an HMAC of
  the token (never the token itself). Every comparison uses
  :func:`secrets.compare_digest`.
* With ingest enabled, ``POST /api/v1/runs`` is let through without the
  dashboard token and on any ``Host``: the ingest route checks its own team
  tokens (:mod:`wattprint.report.web.ingest`); every other request follows
  the rules above unchanged.
* Every answer carries a Content-Security-Policy allowing scripts only from
  the dashboard itself (no inline script: page data travels in
  ``<script type="application/json">`` blocks), ``nosniff``, ``DENY`` framing
  and no referrer.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from wattprint.report.web.render import error_page

#: Name of the session cookie.
COOKIE = "wattprint_dashboard"
#: Environment variable the CLI reads the token from.
TOKEN_ENV = "WATTPRINT_DASHBOARD_TOKEN"
PUBLIC_PREFIX = "/static/"
#: The ingest endpoint, which authenticates its own requests.
INGEST_PATH = "/api/v1/runs"
_LOOPBACK_NAMES = {"localhost", "localhost.", "127.0.0.1", "::1", "[::1]"}

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

Handler = Callable[[Request], Awaitable[Response]]


def is_loopback(host: str) -> bool:
    """True for a loopback address or ``localhost``."""
    name = host.strip().lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


def cookie_value(token: str) -> str:
    """The session cookie for ``token``: an HMAC, so the cookie does not reveal the token."""
    return hmac.new(token.encode(), b"wattprint-dashboard-session", hashlib.sha256).hexdigest()


def same(given: str, expected: str) -> bool:
    """Constant-time comparison of two texts (any characters)."""
    return secrets.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def guard(
    token: str | None, *, ingest: bool = False,
) -> Callable[[Request, Handler], Awaitable[Response]]:
    """The HTTP middleware enforcing the rules above for ``token`` (None: loopback only).

    With ``ingest``, ``POST`` to :data:`INGEST_PATH` passes to its route, which
    checks the team token itself.
    """

    async def middleware(request: Request, call_next: Handler) -> Response:
        ingesting = ingest and request.method == "POST" and request.url.path == INGEST_PATH
        refused = None if ingesting else _refusal(request, token)
        if refused is not None:
            response = refused
        elif not ingesting and token is not None and _query_token_ok(request, token):
            response = _redirect_without_token(request, token)
        else:
            response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith(PUBLIC_PREFIX):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return middleware


def _refusal(request: Request, token: str | None) -> Response | None:
    """The answer to a request that may not pass, or None when it may."""
    if token is None:
        host = (request.url.hostname or "").strip()
        if is_loopback(host):
            return None
        return _deny(request, 400, f"host {host!r} is not allowed: without a token the "
                     "dashboard answers only requests to 127.0.0.1 or localhost")
    if request.url.path.startswith(PUBLIC_PREFIX) or _authorised(request, token):
        return None
    return _deny(request, 401, "a token is required: send 'Authorization: Bearer <token>' "
                 "or open the address the dashboard printed (with ?token=...) once")


def _authorised(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() == "bearer" and same(given.strip(), token):
        return True
    cookie = request.cookies.get(COOKIE)
    if cookie is not None and same(cookie, cookie_value(token)):
        return True
    return _query_token_ok(request, token)


def _query_token_ok(request: Request, token: str) -> bool:
    given = request.query_params.get("token")
    return given is not None and same(given, token)


def _redirect_without_token(request: Request, token: str) -> Response:
    rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
    target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, cookie_value(token), httponly=True, samesite="strict",
                        path="/")
    return response


def _deny(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
        response: Response = JSONResponse({"error": message, "status": status}, status)
    else:
        response = error_page(request, status, message)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="wattprint dashboard"'
    return response
