"""``wattprint doctor``: which sensors, providers and ledger work here, and how to fix the rest."""

from __future__ import annotations

from typing import Any

import click

from wattprint.cli.common import json_option, print_json


@click.command()
@json_option
def doctor(as_json: bool) -> None:
    """Check the sensors, intensity providers and ledger here, and how to fix the rest.

    \b
    Examples:
      wattprint doctor
      wattprint doctor --json
    """
    from wattprint.config import load_settings
    from wattprint.intensity.providers.chain import probe_all
    from wattprint.measure.sensors.detect import probes

    found = probes()
    settings = load_settings()
    providers = probe_all(settings)
    ledger = ledger_status(settings)
    if as_json:
        print_json({
            "sensors": [
                {"sensor": p.sensor, "available": p.available, "detail": p.detail, "fix": p.fix}
                for p in found
            ],
            "providers": [
                {"provider": s.name, "available": s.available, "detail": s.reason, "fix": s.fix,
                 "in_chain": in_chain}
                for s, in_chain in providers
            ],
            "ledger": ledger,
            "settings": {k: settings.source_of(k) for k in settings.sources},
        })
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="sensors")
    for col in ("sensor", "status", "detail", "fix"):
        table.add_column(col)
    for p in found:
        status = "[green]available[/green]" if p.available else "[red]unavailable[/red]"
        table.add_row(p.sensor, status, escape(p.detail), escape(p.fix))
    console = Console()
    console.print(table)
    ptable = Table(title="intensity providers (setting `provider`)")
    for col in ("provider", "status", "detail", "fix"):
        ptable.add_column(col)
    for s, in_chain in providers:
        status = "[green]available[/green]" if s.available else "[red]unavailable[/red]"
        name = s.name + (" (in chain)" if in_chain else "")
        ptable.add_row(name, status, escape(s.reason), escape(s.fix))
    console.print(ptable)
    ltable = Table(title="ledger (setting `db`, WATTPRINT_DB)")
    for col in ("ledger", "status", "detail", "fix"):
        ltable.add_column(col)
    status = "[green]available[/green]" if ledger["available"] else "[red]unavailable[/red]"
    ltable.add_row(escape(ledger["url"]), status, escape(ledger["detail"]), escape(ledger["fix"]))
    console.print(ltable)


def ledger_status(settings: Any) -> dict[str, Any]:
    """Open (and so migrate) the configured ledger: URL (password masked), revision, run counts.

    With a collector configured, runs go there instead: that is said, and the
    ledger is not opened.
    """
    from wattprint.errors import WattprintError
    from wattprint.store.ledger import Ledger

    if settings.collector_url:
        return {"url": settings.collector_url, "available": True, "revision": None,
                "detail": "runs are sent to this collector (collector_url), not to a ledger; "
                          "`wattprint collector status` counts the spool", "fix": ""}
    ledger = Ledger(settings.db)
    try:
        with ledger:
            with ledger.reading() as conn:
                from sqlalchemy import func, select

                from wattprint.store import migrate
                from wattprint.store.schema import runs

                revision = migrate.current_revision(conn.engine)
                counts: dict[str, int] = dict(conn.execute(
                    select(runs.c.status, func.count()).group_by(runs.c.status)).all())
    except WattprintError as e:
        postgres = ledger.url.startswith("postgresql")
        fix = ("check host, port, database and credentials in WATTPRINT_DB; "
               "pip install 'wattprint[postgres]' for the driver" if postgres
               else "check the path in WATTPRINT_DB (or `db`) is writable")
        return {"url": ledger.url, "available": False, "revision": None, "detail": str(e),
                "fix": fix}
    total = sum(counts.values())
    detail = (f"{ledger.url.split(':', 1)[0]}, schema revision {revision}, {total} run(s)"
              + (f", {counts['running']} running" if counts.get("running") else ""))
    return {"url": ledger.url, "available": True, "revision": revision, "detail": detail,
            "fix": ""}
