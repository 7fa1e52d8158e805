"""``wattprint advise RUN_ID``: quantified suggestions for a recorded run.

A thin shell: it reads the run from the ledger, gathers intensity series for
the candidate zones from the configured provider chain (offline: the
embedded hourly profiles), and prints what :func:`wattprint.optimise.advise.advise`
returns.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import click

from wattprint.cli.common import (
    fmt_energy,
    fmt_mass,
    json_option,
    open_ledger,
    parse_duration_s,
    parse_zones,
    print_json,
)
from wattprint.errors import ProviderError, UnknownZoneError


@click.command()
@click.argument("run_id")
@click.option("--zones", default=None,
              help="Zones to compare for a cleaner zone (default: the run's zone, its "
                   "neighbours and, for a cloud region, the provider's nearby regions).")
@click.option("--window", default="24h", show_default=True,
              help="How much later the job may start for a cleaner time (30m, 24h, 7d).")
@json_option
def advise(run_id: str, zones: str | None, window: str, as_json: bool) -> None:
    """Suggest how to cut a run's energy and CO2e, with the saving and the evidence.

    Rules: low GPU utilisation with long data loading (input pipeline), fp32
    or unknown precision on tensor-core GPUs (mixed precision), devices at
    idle power for much of the run, and a cleaner zone or start time for the
    same job (the carbon-aware planner, as of the run's start). Savings of
    different rules overlap. Say a run's precision with a tag:
    wattprint run --tag precision:bf16 -- python train.py

    \b
    Examples:
      wattprint advise 3f2a
      wattprint advise 3f2a --json
      wattprint advise 3f2a --zones DE,FR,SE --window 12h
    """
    from wattprint.optimise.advise import Thresholds
    from wattprint.optimise.advise import advise as advise_run
    from wattprint.optimise.advise_zones import candidate_zones

    window_s = parse_duration_s(window, "--window")
    ledger = open_ledger()
    try:
        run = ledger.get_run(run_id)
    finally:
        ledger.close()
    wanted = parse_zones(zones) if zones else candidate_zones(run.zone_choice.zone)
    end = run.started_utc + timedelta(seconds=window_s + run.duration_s)
    series, notes = gather_history(wanted, run.started_utc, end)
    result = advise_run(run, series=series, thresholds=Thresholds(window_s=window_s))
    if as_json:
        print_json({**result.to_dict(), "notes": notes})
        return
    for note in notes:
        click.echo(f"note: {note}", err=True)
    _print(result)


def gather_history(zones: Sequence[str], start: datetime,
                   end: datetime) -> tuple[dict[str, Any], list[str]]:
    """History per zone over ``[start, end)`` from the configured chain, and notes.

    A cloud region is asked as its grid zone (live APIs know grid zones); a
    zone no provider can answer is left out with a note, as is each
    provider fallback.
    """
    from wattprint.config import load_settings
    from wattprint.intensity.providers.chain import providers_from_settings
    from wattprint.intensity.zones import load_catalog

    def grid_zone(zone: str) -> str:
        found = load_catalog().get(zone)
        return found.grid_zone if found.kind == "cloud" and found.grid_zone else found.id

    provider = providers_from_settings(load_settings())
    hour = start.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    found: dict[str, Any] = {}
    notes: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for zone in zones:
                try:
                    found[zone] = provider.history(grid_zone(zone), hour,
                                                   end + timedelta(hours=1))
                except (ProviderError, UnknownZoneError) as exc:
                    notes.append(f"{zone} left out: {exc}")
    finally:
        provider.close()
    notes.extend(dict.fromkeys(str(w.message) for w in caught))
    return found, notes


def _print(result: Any) -> None:
    run = result.run
    model = f", {run.model}" if run.model else ""
    click.echo(f"run {run.id} ({run.project}{model}, {run.started_utc:%Y-%m-%d %H:%M} UTC, "
               f"zone {run.zone_choice.zone}): {fmt_energy(run.energy_kwh)}, "
               f"{fmt_mass(run.co2e_kg)}")
    click.echo(result.summary)
    for n, item in enumerate(result.advice, 1):
        click.echo(f"\n{n}. {item.title}" + (" [check]" if item.status == "check" else ""))
        energy = fmt_energy(item.saving_kwh) if item.saving_kwh > 0 else "no energy"
        click.echo(f"   saves     {energy}, {fmt_mass(item.saving_co2e_kg)}")
        click.echo(f"   do        {item.action}")
        click.echo("   because   " + "\n             ".join(
            f"{e.label}: {_value(e.value)}{' ' + e.unit if e.unit else ''}"
            for e in item.evidence))
        if item.source:
            click.echo(f"   source    {item.source}")
    if result.not_applicable:
        click.echo("\nnot applicable:")
        for skip in result.not_applicable:
            click.echo(f"  {skip.rule:<18}{skip.reason}")


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)
