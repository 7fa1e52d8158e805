"""``wattprint doctor``: which sensors work here, which do not, and the fix."""

from __future__ import annotations

import click

from wattprint.cli.common import json_option, print_json


@click.command()
@json_option
def doctor(as_json: bool) -> None:
    """Check which sensors are available on this machine, and how to fix the rest.

    \b
    Examples:
      wattprint doctor
      wattprint doctor --json
    """
    from wattprint.config import load_settings
    from wattprint.measure.sensors.detect import probes

    found = probes()
    settings = load_settings()
    if as_json:
        print_json({
            "sensors": [
                {"sensor": p.sensor, "available": p.available, "detail": p.detail, "fix": p.fix}
                for p in found
            ],
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
    Console().print(table)
