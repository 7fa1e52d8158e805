"""``wattprint collector flush|status``: the spool of runs waiting for the remote collector."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from wattprint.cli.common import json_option, print_json


def _settings() -> Any:
    from wattprint.config import load_settings

    return load_settings()


def _spool_dir(settings: Any) -> Path:
    from wattprint.collector import default_spool_dir

    return Path(settings.collector_spool) if settings.collector_spool else default_spool_dir()


@click.group()
def collector() -> None:
    """Runs sent to a remote wattprint server instead of a local ledger.

    Configure with WATTPRINT_COLLECTOR_URL and WATTPRINT_COLLECTOR_TOKEN;
    runs the server could not take wait in the spool (WATTPRINT_COLLECTOR_SPOOL,
    default: the user data dir's spool folder). See docs/collector.md.
    """


@collector.command()
@json_option
def flush(as_json: bool) -> None:
    """Send every spooled run to the collector; each is deleted once accepted.

    Exit code 1 when runs remain spooled (collector unreachable or token refused).

    \b
    Examples:
      wattprint collector flush
      wattprint collector flush --json
    """
    from wattprint.collector import sink_from_settings

    settings = _settings()
    sink = sink_from_settings(settings, retries=0)  # one pass; stops at the first failure
    try:
        report = sink.flush()
    finally:
        sink.close()
    remaining = len(sink.spool.paths())
    if as_json:
        print_json({"collector": sink.client.url, "spool": str(sink.spool.directory),
                    "delivered": report.delivered, "rejected": report.rejected,
                    "remaining": remaining, "error": report.last_error})
    else:
        click.echo(f"delivered {len(report.delivered)} run(s) to {sink.client.url}; "
                   f"{remaining} still spooled in {sink.spool.directory}")
        for run_id in report.rejected:
            click.echo(f"refused by the collector: {run_id} (see {sink.spool.directory}"
                       "/rejected)", err=True)
    if remaining:
        click.echo(f"wattprint: error: collector not reached: {report.last_error}", err=True)
        raise SystemExit(1)


@collector.command()
@json_option
def status(as_json: bool) -> None:
    """Show the collector address and how many runs wait in the spool.

    \b
    Examples:
      wattprint collector status
      wattprint collector status --json
    """
    from wattprint.collector import Spool

    settings = _settings()
    spool = Spool(_spool_dir(settings))
    data = {"collector": settings.collector_url, "token_set": bool(settings.collector_token),
            "spool": str(spool.directory), "spooled": len(spool.paths()),
            "spooled_bytes": spool.size_bytes(), "rejected": len(spool.rejected())}
    if as_json:
        print_json(data)
        return
    click.echo(f"collector: {data['collector'] or 'not configured (WATTPRINT_COLLECTOR_URL)'}"
               f"; token {'set' if data['token_set'] else 'not set'}")
    click.echo(f"spool {data['spool']}: {data['spooled']} run(s), {data['spooled_bytes']} "
               f"bytes; {data['rejected']} refused in rejected/")
