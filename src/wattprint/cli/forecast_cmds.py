"""Forecast and backtest commands: ``forecast-eval`` and ``backtest``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

from wattprint import units
from wattprint.cli.common import json_option, print_json
from wattprint.errors import ConfigError

_METHOD_CHOICES = ("seasonal-naive", "seasonal-naive-weekly", "profile", "all")
_DEFAULT_COLUMN = "carbon_intensity_g_per_kwh"

series_option = click.option(
    "--series", "series_files", multiple=True, required=True, metavar="FILE",
    help="CSV/Parquet intensity file (timestamp, zone, intensity column); repeat to merge.",
)
column_option = click.option(
    "--column", default=_DEFAULT_COLUMN, show_default=True,
    help="Intensity column, e.g. carbon_intensity_lifecycle_g_per_kwh.",
)


@click.command("forecast-eval")
@series_option
@column_option
@click.option("--zone", default=None, help="Zone to evaluate (default: the only one in the files).")
@click.option("--horizon", default="24h", show_default=True, help="Forecast length, e.g. 24h.")
@click.option("--every", default="24h", show_default=True, help="Spacing of forecast origins.")
@click.option("--method", type=click.Choice(_METHOD_CHOICES), default="all", show_default=True,
              help="Forecaster to score.")
@json_option
def forecast_eval(series_files: tuple[str, ...], column: str, zone: str | None, horizon: str,
                  every: str, method: str, as_json: bool) -> None:
    """Backtest forecasters on a recorded series and print MAE and MAPE.

    Rolling origin: at each origin (every --every) a forecast of the next
    --horizon is made from the history before the origin only. Every method
    is scored on the same origins (after 28 days of warm-up), so the figures
    compare.

    \b
    Examples:
      wattprint forecast-eval --series DE_2023.csv \\
          --column carbon_intensity_lifecycle_g_per_kwh
      wattprint forecast-eval --series data.parquet --zone GB --method profile --json
    """
    from wattprint.intensity import forecast
    from wattprint.intensity.providers.file import FileProvider

    provider = FileProvider(list(series_files), column=column)
    series = provider.series(_pick_zone(provider.zones(), zone))
    names = forecast.METHODS if method == "all" else (method,)
    models = [forecast.make_forecaster(name) for name in names]
    warmup_s = max(28 * 86400, *(m.min_history_s for m in models))
    horizon_s, every_s = _duration_s(horizon, "--horizon"), _duration_s(every, "--every")
    scores = [forecast.backtest(series, m, horizon_s, every_s, warmup_s=warmup_s)
              for m in models]
    if as_json:
        print_json({"zone": series.zone, "horizon_s": horizon_s, "every_s": every_s,
                    "source": series.source, "methods": [s.to_dict() for s in scores]})
        return
    _print_scores(series, scores, horizon_s)


@click.command("backtest")
@click.argument("jobs_file", metavar="JOBS.csv", type=click.Path(dir_okay=False))
@series_option
@column_option
@click.option("--zones", default=None,
              help="Zones jobs may move to, comma-separated (default: every zone in the files); "
                   "the first is the home of jobs without a zone.")
@json_option
def backtest(jobs_file: str, series_files: tuple[str, ...], column: str, zones: str | None,
             as_json: bool) -> None:
    """Replay past jobs: emissions as run vs carbon-aware (time, region, both).

    JOBS.csv columns: submit_utc (ISO 8601), duration_h, energy_kwh,
    deadline_h (hours after submission it had to finish) or deadline_utc;
    optional job_id, zone (home) and interruptible (true/false). The
    recorded intensity serves as a perfect forecast: the savings are what
    the planner would have achieved knowing the grid in advance.

    \b
    Examples:
      wattprint backtest jobs.csv --series DE_2023.csv --series FR_2023.csv \\
          --column carbon_intensity_lifecycle_g_per_kwh --zones DE,FR
    """
    from wattprint.intensity.providers.file import FileProvider
    from wattprint.schedule.backtest import backtest_jobs, parse_jobs_csv

    path = Path(jobs_file)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"{jobs_file}: cannot read the job log: {exc.strerror or exc}") from exc
    jobs = parse_jobs_csv(text, jobs_file)
    provider = FileProvider(list(series_files), column=column)
    available = provider.zones()
    allowed = tuple(z.strip() for z in zones.split(",") if z.strip()) if zones else available
    for zone in {*allowed, *(j.zone for j in jobs if j.zone)}:
        _pick_zone(available, zone)
    report = backtest_jobs(jobs, {z: provider.series(z) for z in available}, allowed)
    if as_json:
        print_json(report.to_dict())
        return
    _print_backtest(report)


def _pick_zone(available: tuple[str, ...], zone: str | None) -> str:
    if zone is None:
        if len(available) == 1:
            return available[0]
        raise ConfigError(f"the series files hold several zones ({', '.join(available)}); "
                          "choose one with --zone")
    if zone not in available:
        raise ConfigError(f"zone {zone} is not in the series files; zones present: "
                          f"{', '.join(available)}")
    return zone


def _duration_s(text: str, name: str) -> int:
    """``24h``, ``90m``, ``2d``, ``1h30m``, ``3600s`` or plain hours, in whole seconds."""
    raw = text.strip()
    try:
        plain = re.fullmatch(r"\d+(?:\.\d+)?", raw)
        seconds = float(raw) * 3600 if plain else units.duration_s(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a duration like 24h, 90m or 2d, "
                          f"got {text!r}") from None
    if seconds < 1:
        raise ConfigError(f"{name}: must be at least 1 s, got {text!r}")
    return int(round(seconds))


def _print_scores(series: Any, scores: list[Any], horizon_s: int) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"forecast backtest: {series.zone}, {horizon_s / 3600:g} h horizon")
    for col in ("method", "MAE g/kWh", "MAPE %", "bias g/kWh", "forecasts"):
        table.add_column(col, justify="left" if col == "method" else "right")
    best = min(scores, key=lambda s: s.mae_g_per_kwh)
    for s in scores:
        name = f"[bold]{s.method}[/bold]" if s is best and len(scores) > 1 else s.method
        table.add_row(name, f"{s.mae_g_per_kwh:,.1f}", f"{s.mape_pct:,.1f}",
                      f"{s.bias_g_per_kwh:+,.1f}", str(s.n))
    console = Console()
    console.print(table)
    console.print(f"[dim]{escape(series.source)}; mean {series.mean():,.0f} g/kWh[/dim]")


def _print_backtest(report: Any) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"backtest: {len(report.jobs)} job(s), zones {', '.join(report.zones)}, "
                        "kg CO2e")
    for col in ("job", "zone", "as run", "time", "region", "both", "both at"):
        table.add_column(col, justify="left" if col in {"job", "zone", "both at"} else "right")
    for o in report.jobs:
        table.add_row(escape(o.job.job_id), escape(o.zone), f"{o.as_run_co2e_kg:,.3f}",
                      f"{o.time_shift_co2e_kg:,.3f}", f"{o.region_shift_co2e_kg:,.3f}",
                      f"{o.both_co2e_kg:,.3f}",
                      f"{o.both_zone} {o.both_start_utc:%m-%d %H:%M}Z")
    total = report.total.to_dict()
    table.add_section()
    table.add_row("[bold]total[/bold]", "", f"{total['as_run_co2e_kg']:,.3f}",
                  f"{total['time_shift_co2e_kg']:,.3f}", f"{total['region_shift_co2e_kg']:,.3f}",
                  f"{total['both_co2e_kg']:,.3f}", "")
    table.add_row("saving", "", "", f"{total['time_shift_saving_pct']:.1f} %",
                  f"{total['region_shift_saving_pct']:.1f} %", f"{total['both_saving_pct']:.1f} %",
                  "")
    Console().print(table)
