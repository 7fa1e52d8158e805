"""``wattprint account``, ``instrument``, ``target`` and ``offset``: full accounting.

Thin shells over :mod:`wattprint.account` (the rules) and the ledger (the
records); every figure is printed with its method.

The hourly figure's series comes from ``--series FILE`` or, without it, from
the configured provider chain (``provider`` setting, then the embedded data;
the chain ``wattprint plan`` uses), asked for the history of the run's zone
(a cloud region's grid zone) over the run. What answered decides the method
(:mod:`wattprint.account.hourly`): a live or file history gives ``hourly``,
the embedded typical profile ``typical-profile``. Provider fallbacks are
printed as warnings and stored with the figure; when nothing answers, the
figure is the annual mean with the reason stored, never an error.
"""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click

from wattprint.cli.common import json_option, open_ledger, print_json
from wattprint.errors import ConfigError, ProviderError, UnknownZoneError


@click.command()
@click.argument("run_id", required=False)
@click.option("--period", default=None, help="Aggregate a period: 2026, 2026Q3 or 2026-07.")
@click.option("--project", default=None, help="With --period: only this project.")
@click.option("--series", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="CSV/Parquet intensity series for the hourly figure "
                   "(default: history from the configured provider chain).")
@click.option("--column", default=None, help="Intensity column of --series.")
@json_option
def account(run_id: str | None, period: str | None, project: str | None, series: Path | None,
            column: str | None, as_json: bool) -> None:
    """Account a run (location, hourly, market, embodied, water) or a period.

    With RUN_ID: compute every figure, store it with its method and inputs,
    and print it. The hourly figure uses --series, else the history the
    configured provider gives for the run's zone; the embedded typical
    profile is stored as "typical-profile", not as hourly. With --period: add
    up stored figures and show gross, avoided by shifting, offsets and net,
    in that order.

    \b
    Examples:
      wattprint account 3f2a
      wattprint account 3f2a --series de_2026.csv
      wattprint account --period 2026Q3 --project vision --json
    """
    if (run_id is None) == (period is None):
        raise ConfigError("give a RUN_ID or --period (not both)")
    if run_id is not None:
        if project is not None:
            raise ConfigError("--project goes with --period")
        _account_run(run_id, series, column, as_json)
    else:
        if series is not None:
            raise ConfigError("--series goes with a RUN_ID")
        _account_period(str(period), project, as_json)


def _account_run(run_id: str, series_path: Path | None, column: str | None,
                 as_json: bool) -> None:
    from wattprint.account.market import applies
    from wattprint.account.summary import account_run, figure_note, figure_to_dict

    ledger = open_ledger()
    try:
        run = ledger.get_run(run_id)
        series, origin = _series(run, series_path, column)
        instruments = ledger.instruments(run.footprint.intensity.zone)
        earlier = []
        used = [i for i in instruments if applies(i, run) and i.volume_mwh is not None]
        if used:
            since = datetime.combine(min(i.start_date for i in used), datetime.min.time(),
                                     timezone.utc)
            earlier = ledger.list_runs(since=since,
                                       until=run.started_utc + timedelta(microseconds=1))
        figures = account_run(run, series=series, series_origin=origin,
                              instruments=instruments, earlier_runs=earlier)
        saved = ledger.save_accounting(figures)
    finally:
        ledger.close()
    for note in origin.warnings:
        click.echo(f"warning: {note}", err=True)
    if as_json:
        print_json({"run_id": run.id, "figures": [figure_to_dict(f) for f in saved]})
        return
    click.echo(f"run {run.id} ({run.project}, {run.started_utc:%Y-%m-%d %H:%M} UTC, "
               f"zone {run.footprint.intensity.zone})")
    for fig in saved:
        click.echo(f"  {fig.kind:<16}{_amount(fig.value, fig.unit):>16}  {fig.method}: "
                   f"{figure_note(fig)}")


def _series(run: Any, path: Path | None, column: str | None) -> tuple[Any, Any]:
    """The intensity series over the run and where it came from.

    From ``path`` when given, else the history the configured provider chain
    gives. A provider that cannot answer gives no series and the reason (in
    the origin), never an error: the hourly figure then falls back.
    """
    from wattprint.account.hourly import SeriesOrigin, run_window
    from wattprint.cli.plan_cmd import provider_for

    start, end = run_window(run)
    zone = run.footprint.intensity.zone
    if path is not None:
        provider, asked, described = provider_for([str(path)], column, []), zone, f"file {path}"
    else:
        provider, asked = provider_for([], None, []), _grid_zone(zone)
        described = "provider chain: " + ", ".join(p.name for p in provider.providers)
    series, error = None, ""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            series = provider.history(asked, start, end)
    except (ProviderError, UnknownZoneError) as exc:
        error = f"{described} gave no history of {asked}: {exc}"
    finally:
        close = getattr(provider, "close", None)
        if callable(close):
            close()
    notes = tuple(dict.fromkeys(str(w.message) for w in caught))
    return series, SeriesOrigin(described, asked, notes, error)


def _grid_zone(zone: str) -> str:
    """The zone to ask a provider for: a cloud region's grid zone, else the zone itself.

    Live APIs know grid zones, not cloud regions (as ``wattprint intensity`` does).
    """
    from wattprint.intensity.zones import load_catalog

    found = load_catalog().find(zone)
    if found is not None and found.kind == "cloud" and found.grid_zone:
        return found.grid_zone
    return zone


def _account_period(text: str, project: str | None, as_json: bool) -> None:
    from wattprint.account.offsets import ledger_summary
    from wattprint.account.periods import parse_period
    from wattprint.account.summary import aggregate

    period = parse_period(text)
    ledger = open_ledger()
    try:
        runs = ledger.list_runs(project=project, since=period.start_utc, until=period.end_utc)
        totals = aggregate(runs, ledger.accounting([r.id for r in runs]))
        summary = ledger_summary(
            period, project, gross_co2e_kg=totals["gross_location_co2e_kg"],
            shifts=ledger.shifts(period.start_utc, period.end_utc, project),
            offsets=ledger.offsets())
    finally:
        ledger.close()
    if as_json:
        print_json({"period": period.label, "project": project, "accounting": totals,
                    "summary": summary})
        return
    scope = f"project {project}" if project else "all projects"
    basis = totals["location_basis_runs"]
    click.echo(f"{period.label}, {scope}: {totals['runs']} runs, "
               f"{_amount(totals['energy_kwh'], 'kWh')}")
    click.echo(f"  {'location-based':<16}{_amount(totals['gross_location_co2e_kg'], 'kg CO2e'):>16}"
               f"  ({basis['hourly']} hourly, {basis['location']} annual mean, "
               f"{basis['not_accounted']} not yet accounted: stored footprint)")
    for key, unit, kind in (("market_co2e_kg", "kg CO2e", "market"),
                            ("embodied_co2e_kg", "kg CO2e", "embodied"),
                            ("water_l", "L", "water")):
        gap = totals["runs_without"][kind]
        note = f"  ({gap} runs not accounted: run `wattprint account RUN_ID`)" if gap else ""
        click.echo(f"  {kind + '-based' if kind == 'market' else kind:<16}"
                   f"{_amount(totals[key], unit):>16}{note}")
    click.echo("reduce → shift → offset")
    for label, key in (("gross", "gross_co2e_kg"),
                       ("avoided by shifting", "avoided_by_shifting_co2e_kg"),
                       ("offset (retired)", "offset_co2e_kg"), ("net", "net_co2e_kg")):
        click.echo(f"  {label:<20}{_amount(summary[key], 'kg CO2e'):>16}")
    for note in summary["notes"]:
        click.echo(f"  note: {note}")


# -- parsing and formatting ----------------------------------------------------------------


def _amount(value: float, unit: str) -> str:
    return f"{value:,.3f} {unit}" if abs(value) >= 1 else f"{value:,.6f} {unit}"
