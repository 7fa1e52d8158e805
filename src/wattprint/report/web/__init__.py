"""The dashboard: a FastAPI app over the ledger, with Plotly charts served locally.

``wattprint dashboard`` serves it with uvicorn; :func:`create_app` builds it
for any ASGI server or for tests (``fastapi.testclient.TestClient``). Every
page has a JSON twin under ``/api/v1/`` computed by the same code from the
aggregates of :mod:`wattprint.report.queries`; ``/openapi.json`` describes
them and ``/docs`` lists them as a plain page (no CDN: the dashboard works
offline, Plotly's bundle included).

Pages: ``/`` (overview), ``/runs`` and ``/runs/{id}``, ``/models``,
``/targets``, ``/grid``, ``/docs``. Security: see
:mod:`wattprint.report.web.security`.

Needs the ``dashboard`` extra (fastapi, uvicorn, jinja2, plotly); without it
:func:`create_app` raises :class:`~wattprint.errors.MissingExtraError`.

Example::

    from fastapi.testclient import TestClient
    with Ledger() as ledger:
        client = TestClient(create_app(ledger), base_url="http://127.0.0.1")
        client.get("/api/v1/overview", params={"period": "7d"}).json()["totals"]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wattprint.report.web._deps import require_extras

if TYPE_CHECKING:
    from collections.abc import Mapping

    from fastapi import FastAPI

    from wattprint.clock import Clock
    from wattprint.intensity.providers.base import IntensityProvider
    from wattprint.intensity.zones import ZoneCatalog
    from wattprint.store.ledger import Ledger

__all__ = ["create_app"]


def create_app(
    ledger: Ledger, *, token: str | None = None, clock: Clock | None = None,
    provider: IntensityProvider | None = None, catalog: ZoneCatalog | None = None,
    ingest_tokens: Mapping[str, str] | None = None, ingest_max_bytes: int | None = None,
) -> FastAPI:
    """Build the dashboard app over an open ledger.

    Args:
        ledger: The ledger to read (opened by the caller, who also closes it).
        token: When set, every request needs it (``Authorization: Bearer``,
            or ``?token=`` once, which sets an HttpOnly cookie); without one,
            only requests addressed to a loopback host name are answered.
        clock: Source of "now" for relative periods (default: the system clock).
        provider: Intensity provider of the grid page (default: the chain the
            settings configure, built on first use).
        catalog: Zone catalogue (default: the embedded one).
        ingest_tokens: Team name -> token: enables ``POST /api/v1/runs`` for
            remote collectors (:mod:`wattprint.report.web.ingest`), on any
            host with a team token; the dashboard's own rules are unchanged.
        ingest_max_bytes: Largest ingested body (default 5 MB).

    Raises:
        MissingExtraError: The ``dashboard`` extra is not installed.
    """
    require_extras()
    from wattprint.report.web.app import build_app

    return build_app(ledger, token=token, clock=clock, provider=provider, catalog=catalog,
                     ingest_tokens=ingest_tokens, ingest_max_bytes=ingest_max_bytes)
