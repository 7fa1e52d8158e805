"""Ledger commands: ``runs``, ``show``, ``export``, ``import``, ``recompute``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from wattprint.cli.common import json_option, open_ledger, parse_when, print_json

_STATUSES = click.Choice(["running", "finished", "failed", "interrupted"])


def _filters(f: click.decorators.FC) -> click.decorators.FC:
    for opt in reversed([
        click.option("--project", default=None, help="Only runs of this project."),
        click.option("--model", default=None, help="Only runs of this model (exact name)."),
        click.option("--tag", default=None, help="Only runs with this tag."),
        click.option("--status", type=_STATUSES, default=None, help="Only runs in this state."),
        click.option("--since", default=None, help="Started at or after (date or ISO time, UTC)."),
        click.option("--until", default=None, help="Started before (date or ISO time, UTC)."),
    ]):
        f = opt(f)
    return f


def _query(project: str | None, model: str | None, tag: str | None, status: str | None,
           since: str | None, until: str | None,
           limit: int | None) -> list:  # type: ignore[type-arg]
    from wattprint.model import RunStatus

    ledger = open_ledger()
    try:
        return ledger.list_runs(  # type: ignore[no-any-return]
            project=project, model=model, tag=tag, status=RunStatus(status) if status else None,
            since=parse_when(since, "--since"), until=parse_when(until, "--until"), limit=limit,
        )
    finally:
        ledger.close()


@click.command()
@_filters
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@json_option
def runs(project: str | None, model: str | None, tag: str | None, status: str | None,
         since: str | None, until: str | None, limit: int, as_json: bool) -> None:
    """List recorded runs, newest first.

    \b
    Examples:
      wattprint runs
      wattprint runs --project bert --since 2024-05-01 --json
      wattprint runs --tag baseline --status failed
      wattprint runs --model resnet50 --json
    """
    found = _query(project, model, tag, status, since, until, limit)
    if as_json:
        from wattprint.store.serialize import run_to_dict

        print_json([run_to_dict(r, trace=False) for r in found])
        return
    from rich.console import Console

    from wattprint.cli.render import runs_table

    if not found:
        click.echo("no runs recorded (yet) for these filters", err=True)
        return
    Console().print(runs_table(found))


@click.command()
@click.argument("run_id")
@click.option("--trace", is_flag=True, help="Include the power trace in --json output.")
@json_option
def show(run_id: str, trace: bool, as_json: bool) -> None:
    """Show one run: summary, per-device and per-phase tables.

    RUN_ID may be any unique prefix of the id.

    \b
    Examples:
      wattprint show 3f2a9c
      wattprint show 3f2a9c --json --trace
    """
    ledger = open_ledger()
    try:
        found = ledger.get_run(run_id)
        planned = ledger.carbon_aware(found.id)
        parts = ledger.run_parts(found.id)
    finally:
        ledger.close()
    if as_json:
        from wattprint.store.carbon_aware import to_dict
        from wattprint.store.serialize import part_to_dict, run_to_dict

        data = run_to_dict(found, trace=trace)
        data["carbon_aware"] = None if planned is None else to_dict(planned)
        data["parts"] = [part_to_dict(p) for p in parts]
        print_json(data)
        return
    from rich.console import Console

    from wattprint.cli.render import parts_table, print_run

    console = Console()
    print_run(console, found, detail=True)
    if parts:
        console.print(parts_table(parts))
    table = model_table(found)
    if table is not None:
        console.print(table)
    if planned is not None:
        console.print(_carbon_aware_table(planned, found.co2e_kg))


def model_table(run: Any) -> Any:
    """Model name and logged metrics of a run (a rich Table), or None when it has neither."""
    from rich.markup import escape
    from rich.table import Table

    if not run.model and not run.metrics:
        return None
    table = Table(title="model and metrics", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("model", escape(run.model) if run.model else "[dim](not given)[/dim]")
    for name, value in sorted(run.metrics.items()):
        table.add_row(f"metric {escape(name)}", f"{value:.6g}")
    return table


def _carbon_aware_table(record: Any, run_co2e_kg: float) -> Any:
    """Planned vs achieved for a carbon-aware run."""
    from rich.table import Table

    from wattprint.cli.common import fmt_duration, fmt_mass
    from wattprint.store.serialize import format_utc

    achieved = record.achieved_intensity_g_per_kwh
    table = Table(title="Carbon-aware: planned vs achieved", show_header=False)
    table.add_column("what")
    table.add_column("value")
    table.add_row("Plan", f"{record.mode}, tier {record.tier}, zone {record.planned_zone}")
    table.add_row("Window", f"{format_utc(record.planned_start_utc)} → "
                            f"{format_utc(record.planned_end_utc)}")
    table.add_row("Waited", fmt_duration(record.waited_s))
    table.add_row("Intensity", f"planned {record.planned_intensity_g_per_kwh:,.1f} g/kWh, "
                  + ("achieved unknown" if achieved is None else
                     f"achieved {achieved:,.1f} g/kWh "
                     f"({achieved - record.planned_intensity_g_per_kwh:+,.1f})"))
    saving_kg = record.baseline_co2e_kg - record.expected_co2e_kg
    saving = f"saves {fmt_mass(saving_kg)}" if saving_kg >= 0 else f"{fmt_mass(-saving_kg)} more"
    table.add_row("Emissions", f"expected {fmt_mass(record.expected_co2e_kg)} vs "
                               f"{fmt_mass(record.baseline_co2e_kg)} starting now ({saving}); "
                               f"measured {fmt_mass(run_co2e_kg)}")
    table.add_row("Source", record.intensity_source)
    return table


@click.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv",
              show_default=True)
@click.option("--output", "-o", default="-", show_default=True,
              help="File to write ('-' for stdout, csv only).")
@_filters
def export(fmt: str, output: str, project: str | None, model: str | None, tag: str | None,
           status: str | None, since: str | None, until: str | None) -> None:
    """Export runs as CSV or Parquet, one row per run.

    \b
    Examples:
      wattprint export --format csv > runs.csv
      wattprint export --format parquet -o runs.parquet --project bert
      wattprint export --model resnet50 -o resnet50.csv

    Each metric logged by an exported run gets a metric_<name> column.
    """
    from wattprint.errors import ConfigError
    from wattprint.store.export import export_runs

    if fmt == "parquet" and output == "-":
        raise ConfigError("--format parquet needs --output FILE")
    found = _query(project, model, tag, status, since, until, None)
    export_runs(found, output, "parquet" if fmt == "parquet" else "csv")
    if output != "-":
        click.echo(f"wrote {len(found)} runs to {output}", err=True)


@click.group(name="import")
def import_() -> None:
    """Import runs recorded by other tools."""


@import_.command(name="codecarbon")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
def import_codecarbon(path: Path, as_json: bool) -> None:
    """Import CodeCarbon's emissions.csv (re-importing does not duplicate).

    \b
    Example:
      wattprint import codecarbon emissions.csv
    """
    from wattprint.store.importers import import_codecarbon_csv

    imported = import_codecarbon_csv(path)
    ledger = open_ledger()
    try:
        for r in imported:
            ledger.save_run(r)
    finally:
        ledger.close()
    if as_json:
        print_json({"imported": len(imported), "ids": [r.id for r in imported]})
    else:
        click.echo(f"imported {len(imported)} runs from {path}")


@click.command()
@click.argument("run_id")
@click.option("--zone", required=True, help="The correct grid zone for this run.")
@click.option("--pue", type=float, default=None, help="Also correct the PUE (>= 1).")
@json_option
def recompute(run_id: str, zone: str, pue: float | None, as_json: bool) -> None:
    """Re-account a run for a corrected zone (energy is kept as measured).

    \b
    Example:
      wattprint recompute 3f2a9c --zone FR
    """
    from rich.console import Console

    from wattprint.account.footprint import recompute as recompute_run
    from wattprint.cli.render import summary_table
    from wattprint.config import load_settings
    from wattprint.intensity.zones import load_catalog
    from wattprint.model import ZoneChoice
    from wattprint.store.serialize import run_to_dict

    if pue is not None:
        load_settings({"pue": pue})  # validates with the usual message
    catalog = load_catalog()
    target = catalog.get(zone)
    ledger = open_ledger()
    try:
        old = ledger.get_run(run_id)
        choice = ZoneChoice(target.id, "recomputed",
                            f"corrected from {old.zone_choice.zone} ({old.zone_choice.how})")
        new = recompute_run(old, intensity=catalog.intensity(target.id), zone_choice=choice,
                            pue=pue, pue_source="set by recompute" if pue is not None else None)
        ledger.update_footprint(new.id, new.footprint, new.zone_choice)
    finally:
        ledger.close()
    if as_json:
        print_json(run_to_dict(new, trace=False))
    else:
        Console().print(summary_table(new))
