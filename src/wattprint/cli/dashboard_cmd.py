"""``wattprint dashboard``: serve the web dashboard over the ledger with uvicorn."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from wattprint.errors import ConfigError

#: Shortest token accepted when the dashboard is reachable from the network.
MIN_TOKEN_CHARS = 16
_WILDCARD_HOSTS = {"0.0.0.0", "::", ""}


def check_binding(host: str, token: str | None) -> None:
    """Refuse a network-reachable binding without a (long enough) token.

    Raises:
        ConfigError: ``host`` is not loopback and there is no token, or the
            token is shorter than :data:`MIN_TOKEN_CHARS`.
    """
    from wattprint.report.web.security import TOKEN_ENV, is_loopback

    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise ConfigError(f"--token is {len(token)} characters; use at least "
                          f"{MIN_TOKEN_CHARS}, e.g. the output of: openssl rand -hex 16")
    if not is_loopback(host) and token is None:
        raise ConfigError(
            f"--host {host} makes the dashboard reachable from the network, which needs a "
            f"token: pass --token or set {TOKEN_ENV} (e.g. {TOKEN_ENV}=$(openssl rand -hex 16)),"
            " or keep the default --host 127.0.0.1"
        )


def dashboard_url(host: str, port: int, token: str | None) -> str:
    """The address to open: the machine's name for a wildcard host, with ``?token=`` if any."""
    name = socket.gethostname() if host in _WILDCARD_HOSTS else host
    if ":" in name and not name.startswith("["):
        name = f"[{name}]"
    url = f"http://{name}:{port}/"
    return f"{url}?token={quote(token, safe='')}" if token else url


def serve(app: Any, host: str, port: int) -> None:
    """Run ``app`` with uvicorn until interrupted (it logs "Uvicorn running on ..." once bound)."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback needs --token.")
@click.option("--port", default=8050, show_default=True, type=click.IntRange(1, 65535),
              help="Port to listen on.")
@click.option("--db", default=None,
              help="Ledger URL or SQLite path (default: WATTPRINT_DB or the user ledger).")
@click.option("--token", default=None, envvar="WATTPRINT_DASHBOARD_TOKEN",
              help="Access token (or WATTPRINT_DASHBOARD_TOKEN); required off loopback.")
@click.option("--ingest-tokens", type=click.Path(dir_okay=False, path_type=Path),
              default=None, envvar="WATTPRINT_INGEST_TOKENS",
              help="TOML file of team = \"token\" lines (or WATTPRINT_INGEST_TOKENS): "
                   "accept runs from remote collectors at POST /api/v1/runs.")
def dashboard(host: str, port: int, db: str | None, token: str | None,
              ingest_tokens: Path | None) -> None:
    """Serve the dashboard: overview, runs, models, targets, grid, JSON API.

    Aggregates are computed in the database, so large ledgers stay fast. The
    charts' library is served from the installed plotly package: no CDN, works
    offline. Needs: pip install 'wattprint[dashboard]'.

    \b
    Examples:
      wattprint dashboard                              open http://127.0.0.1:8050/
      wattprint dashboard --port 9000 --db team.db
      WATTPRINT_DASHBOARD_TOKEN=$(openssl rand -hex 16) \\
        wattprint dashboard --host 0.0.0.0             reachable from the network
      wattprint dashboard --ingest-tokens teams.toml   also accept collectors' runs
    """
    from wattprint.report.web import create_app
    from wattprint.report.web._deps import require_extras

    token = token or None
    check_binding(host, token)
    require_extras()
    from wattprint.report.web.ingest import load_ingest_tokens

    teams = load_ingest_tokens(ingest_tokens) if ingest_tokens is not None else None
    from wattprint.config import load_settings
    from wattprint.store.ledger import Ledger

    ledger = Ledger(db or load_settings().db).open()
    try:
        app = create_app(ledger, token=token, ingest_tokens=teams)
        click.echo(f"wattprint dashboard: open {dashboard_url(host, port, token)}")
        if teams:
            click.echo(f"accepting runs at POST /api/v1/runs from team(s) "
                       f"{', '.join(sorted(teams))}", err=True)
        click.echo(f"ledger {ledger.url}; Ctrl-C stops", err=True)
        serve(app, host, port)
    finally:
        ledger.close()
