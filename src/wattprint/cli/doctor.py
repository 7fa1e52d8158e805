"""``wattprint doctor``: which sensors work here, which do not, and the fix."""

from __future__ import annotations

import click

from wattprint.cli.common import json_option, print_json


@click.command()
@json_option
def doctor(as_json: bool) -> None:
    """Check which sensors and intensity providers are available here, and how to fix the rest.

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
