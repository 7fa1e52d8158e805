"""``wattprint plan``: when and where should a job run, and what does it save?"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import click

from wattprint.cli.common import (
    json_option,
    parse_duration_s,
    parse_energy_kwh,
    parse_power_w,
    parse_when,
    parse_zones,
    print_json,
)
from wattprint.errors import ConfigError

FORECASTERS = ("seasonal-naive", "seasonal-naive-weekly", "profile")


def job_options(func: Any) -> Any:
    """The options that describe a job, shared by ``plan`` and ``submit``."""
    options = [
        click.option("--duration", required=True, help="How long the job runs: 4h, 90m, 1h30m."),
        click.option("--deadline", default=None,
                     help="Finish within this long after now (24h) or by an ISO time. "
                          "Default: the tier's window (standard 24h, flexible 7d)."),
        click.option("--zones", "zones_text", required=True,
                     help="Allowed zones, comma-separated; the first is home: DE,FR,GB."),
        click.option("--home", default=None, help="Home zone for the baseline (default: first)."),
        click.option("--energy", default=None, help="Expected energy of the job: 12kWh, 500Wh."),
        click.option("--power", default=None, help="Expected average power: 700W, 1.2kW."),
        click.option("--interruptible", is_flag=True,
                     help="The job may pause between slots (SIGSTOP/SIGCONT or checkpoints)."),
        click.option("--min-chunk", default=None,
                     help="Shortest uninterrupted piece when interruptible (default: one step)."),
        click.option("--tier", type=click.Choice(["critical", "standard", "flexible"]),
                     default="standard", show_default=True, help="Urgency of the job."),
        click.option("--max-intensity", type=float, default=None,
                     help="Threshold mode: start once intensity < this (g/kWh), "
                          "or at the deadline at the latest."),
        click.option("--earliest", default=None, help="Not before this ISO time."),
        click.option("--series", "series_files", multiple=True,
                     help="CSV/Parquet intensity file(s) (timestamp, zone, intensity column)."),
        click.option("--column", default="carbon_intensity_g_per_kwh", show_default=True,
                     help="Intensity column of --series files."),
        click.option("--now", "now_text", default=None,
                     help="Plan as of this past instant (what-if, reproducible tests)."),
        click.option("--forecast", "forecast_method", type=click.Choice(FORECASTERS),
                     default=None,
                     help="Forecast from history before --now instead of using the "
                          "series' later values (perfect foresight)."),
        click.option("--project", default=None, help="Project whose carbon budget is checked."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.command()
@job_options
@json_option
def plan(as_json: bool, **options: Any) -> None:
    """Find the cleanest time and zone for a job, with the saving versus now.

    The baseline is "start now in the home zone". With --series the file's
    values serve as the forecast; --now plans as of a past instant.

    \b
    Examples:
      wattprint plan --duration 4h --deadline 24h --zones DE,FR,GB --energy 12kWh
      wattprint plan --duration 4h --deadline 24h --zones DE --interruptible \\
          --series DE_2023.csv --column carbon_intensity_lifecycle_g_per_kwh \\
          --now 2023-03-01T00:00Z --json
    """
    result, series = build_plan(options)
    budget = check_budget(result, options.get("project"))
    if as_json:
        from wattprint.schedule.inputs import describe

        data = result.to_dict()
        data["series"] = describe(series)
        if budget is not None:
            data["budget"] = budget
        print_json(data)
        return
    from wattprint.cli.plan_render import render_plan

    render_plan(result, series, budget)


def build_plan(options: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Parse job options, gather series and run the planner."""
    from wattprint.schedule.inputs import gather_series
    from wattprint.schedule.planner import plan as make_plan

    now = parse_when(options.get("now_text"), "--now") or datetime.now(timezone.utc)
    job = parse_job(options, now)
    end = job.deadline_or_default(max(now, job.earliest_start_utc or now))
    provider = provider_for(options.get("series_files") or (), options.get("column"), job.zones)
    forecaster = _forecaster(options.get("forecast_method"))
    series, notes = gather_series(provider, job.zones, now, end, forecaster=forecaster)
    result = make_plan(job, series, now)
    if notes:
        from dataclasses import replace

        result = replace(result, notes=(*result.notes, *notes))
    return result, series


def parse_job(options: dict[str, Any], now: datetime) -> Any:
    """A :class:`~wattprint.schedule.job.Job` from the shared job options."""
    from wattprint.schedule.job import Job, Tier

    duration_s = parse_duration_s(options["duration"], "--duration")
    energy, power = options.get("energy"), options.get("power")
    if energy is not None and power is not None:
        raise ConfigError("give either --energy or --power, not both")
    if energy is None and power is None:
        raise ConfigError("give the job's expected --energy (12kWh) or average --power (700W)")
    earliest = parse_when(options.get("earliest"), "--earliest")
    base = max(now, earliest) if earliest else now
    min_chunk = options.get("min_chunk")
    return Job(
        duration_s=duration_s,
        zones=parse_zones(options["zones_text"]),
        energy_kwh=parse_energy_kwh(energy) if energy is not None else None,
        power_w=parse_power_w(power) if power is not None else None,
        earliest_start_utc=earliest,
        deadline_utc=parse_deadline(options.get("deadline"), base),
        interruptible=bool(options.get("interruptible")),
        min_chunk_s=parse_duration_s(min_chunk, "--min-chunk") if min_chunk else 0.0,
        home_zone=options.get("home"),
        tier=Tier(options.get("tier") or "standard"),
        max_intensity_g_per_kwh=options.get("max_intensity"),
        project=options.get("project") or "default",
    )


def parse_deadline(text: str | None, base: datetime) -> datetime | None:
    """``24h`` (relative to ``base``) or an ISO date/instant."""
    if text is None:
        return None
    try:
        return base + timedelta(seconds=parse_duration_s(text, "--deadline"))
    except ConfigError:
        try:
            return parse_when(text, "--deadline")
        except ConfigError:
            raise ConfigError(f"--deadline: expected a duration like 24h or an ISO time like "
                              f"2026-12-01T18:00Z, got {text!r}") from None


def provider_for(files: Sequence[str], column: str | None, zones: Sequence[str]) -> Any:
    """The file provider for ``--series`` files, else the configured provider chain.

    Without files, every zone is checked against the catalog first, so a
    typo is an error with close matches rather than a silently skipped zone.
    """
    if files:
        from wattprint.intensity.providers.file import FileProvider

        return FileProvider(list(files), column=column or "carbon_intensity_g_per_kwh")
    from wattprint.intensity.zones import load_catalog

    catalog = load_catalog()
    for zone in zones:
        catalog.get(zone)  # unknown zone -> error with close matches
    from wattprint.config import load_settings
    from wattprint.intensity.providers.chain import providers_from_settings

    return providers_from_settings(load_settings())


def _forecaster(name: str | None) -> Any:
    if name is None:
        return None
    from wattprint.intensity import forecast

    return forecast.make_forecaster(name)


def check_budget(result: Any, project: str | None) -> dict[str, Any] | None:
    """The budget decision for the plan's project, when it has a budget."""
    if not project:
        return None
    from wattprint.cli.common import open_ledger
    from wattprint.schedule.policy import decide

    ledger = open_ledger()
    try:
        month = result.start_utc.strftime("%Y-%m")
        state = ledger.budget_state(project, month)
    finally:
        ledger.close()
    decision = decide(result.job, result.expected_co2e_kg, state)
    return {"action": decision.action, "message": decision.message,
            "overrun_kg": decision.overrun_kg, "month": month}
