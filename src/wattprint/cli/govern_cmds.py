"""``wattprint instrument``, ``target`` and ``offset``: what the accounting rests on.

Contractual instruments feed the market-based figure, targets are tracked
against the ledger, and the offsets register is reported beside emissions,
never netted silently (see :mod:`wattprint.cli.account_cmds` for the figures).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone
from typing import Any

import click

from wattprint.cli.common import json_option, open_ledger, print_json
from wattprint.errors import ConfigError

# -- instruments ---------------------------------------------------------------------------


@click.group()
def instrument() -> None:
    """Contractual instruments (PPAs, RECs, GOs, supplier factors) for market-based CO2e."""


@instrument.command(name="add")
@click.option("--zone", required=True, help="Grid zone, e.g. DE.")
@click.option("--type", "type_", required=True, type=click.Choice(["ppa", "rec", "go",
                                                                   "supplier"]))
@click.option("--from", "start", required=True, help="First day covered (YYYY-MM-DD).")
@click.option("--to", "end", required=True, help="Last day covered, inclusive.")
@click.option("--mwh", type=float, default=None, help="Volume covered (MWh).")
@click.option("--share", default=None, help="Share of consumption covered, e.g. 100%.")
@click.option("--factor", type=float, default=None,
              help="Emission factor (g/kWh); default 0 for PPAs, RECs and GOs.")
@click.option("--supplier", default="", help="Supplier name.")
@click.option("--certificate", default="", help="Certificate or contract id.")
@json_option
def instrument_add(zone: str, type_: str, start: str, end: str, mwh: float | None,
                   share: str | None, factor: float | None, supplier: str, certificate: str,
                   as_json: bool) -> None:
    """Record a contractual instrument for a zone and period.

    \b
    Examples:
      wattprint instrument add --zone DE --type go --from 2026-01-01 --to 2026-12-31 --mwh 50
      wattprint instrument add --zone FR --type supplier --from 2026-01-01 \\
          --to 2026-12-31 --share 100% --factor 21 --supplier "EDF"
    """
    from wattprint.account.market import check_instrument, check_overlap
    from wattprint.intensity.zones import load_catalog
    from wattprint.model import Instrument

    found = load_catalog().get(zone)
    inst = check_instrument(Instrument(
        "", found.grid_zone or found.id, type_, _date(start, "--from"), _date(end, "--to"),
        mwh, None if share is None else _share(share), factor, supplier, certificate))
    ledger = open_ledger()
    try:
        saved = ledger.add_instrument(inst, check_overlap)
    finally:
        ledger.close()
    if as_json:
        print_json(_instrument_dict(saved))
        return
    click.echo(f"instrument {saved.id}: {_instrument_line(saved)}")


@instrument.command(name="list")
@click.option("--zone", default=None, help="Only this zone.")
@json_option
def instrument_list(zone: str | None, as_json: bool) -> None:
    """List recorded instruments."""
    ledger = open_ledger()
    try:
        found = ledger.instruments(zone)
    finally:
        ledger.close()
    if as_json:
        print_json({"instruments": [_instrument_dict(i) for i in found]})
        return
    for inst in found:
        click.echo(f"{inst.id}  {_instrument_line(inst)}")


def _instrument_line(inst: Any) -> str:
    amount = f"{inst.volume_mwh:g} MWh" if inst.volume_mwh is not None else f"{inst.share:.0%}"
    factor = "0 g/kWh (renewable)" if inst.factor_g_per_kwh is None else (
        f"{inst.factor_g_per_kwh:g} g/kWh")
    return (f"{inst.type} {inst.zone} {inst.start_date}..{inst.end_date} {amount} at {factor}"
            + (f", {inst.supplier}" if inst.supplier else "")
            + (f", certificate {inst.certificate}" if inst.certificate else ""))


def _instrument_dict(inst: Any) -> dict[str, Any]:
    out = dataclasses.asdict(inst)
    out.update(start_date=inst.start_date.isoformat(), end_date=inst.end_date.isoformat(),
               created_utc=inst.created_utc.isoformat() if inst.created_utc else None)
    return out


# -- targets -------------------------------------------------------------------------------


@click.group()
def target() -> None:
    """Reduction targets, with progress computed from the ledger."""


@target.command(name="set")
@click.option("--baseline", required=True, help="Baseline period: 2026Q1, 2026-01 or 2026.")
@click.option("--reduce", "reduce_", required=True, help="Reduction, e.g. 30%.")
@click.option("--by", "by", required=True, help="Target date (YYYY-MM-DD).")
@click.option("--project", default=None, help="Only this project (default: all).")
@click.option("--metric", type=click.Choice(["co2e", "energy", "co2e_per_run"]),
              default="co2e", show_default=True)
@json_option
def target_set(baseline: str, reduce_: str, by: str, project: str | None, metric: str,
               as_json: bool) -> None:
    """Set a reduction target (one per project and metric; setting again replaces it).

    \b
    Example:
      wattprint target set --baseline 2026Q1 --reduce 30% --by 2026-06-30 --project vision
    """
    from wattprint.account.targets import make_target, progress_to_dict, target_progress

    tgt = make_target(project, metric, baseline, reduce_, _date(by, "--by"))
    ledger = open_ledger()
    try:
        runs = _target_runs(ledger, tgt)
        progress = target_progress(tgt, runs, _now())  # no baseline data: refused here
        saved = ledger.set_target(tgt)
    finally:
        ledger.close()
    if as_json:
        print_json(progress_to_dict(dataclasses.replace(progress, target=saved)))
        return
    click.echo(f"target: {saved.metric} of {_scope(saved.project)} down {saved.reduce_pct:g} % "
               f"from {saved.baseline} ({_figure(progress.baseline_value)} {progress.unit}) to "
               f"{_figure(progress.required_value)} {progress.unit} by {saved.by_date}")


@target.command(name="show")
@click.option("--project", default=None, help="Only this project's targets.")
@click.option("--as-of", default=None, help="Compute progress as of this date (default: now).")
@json_option
def target_show(project: str | None, as_of: str | None, as_json: bool) -> None:
    """Show each target's progress and the value projected at its date."""
    from wattprint.account.targets import progress_to_dict, target_progress

    when = _now() if as_of is None else datetime.combine(
        _date(as_of, "--as-of"), datetime.min.time(), timezone.utc)
    ledger = open_ledger()
    try:
        found = [(t, _target_runs(ledger, t)) for t in ledger.targets(project)]
    finally:
        ledger.close()
    progress = [target_progress(t, runs, when) for t, runs in found]
    if as_json:
        print_json({"as_of": when.isoformat(), "targets": [progress_to_dict(p) for p in progress]})
        return
    if not progress:
        click.echo("no targets; set one with: wattprint target set --baseline 2026Q1 "
                   "--reduce 30% --by 2026-12-31", err=True)
    for p in progress:
        t, unit = p.target, p.unit
        click.echo(f"{t.metric} of {_scope(t.project)}: -{t.reduce_pct:g} % from {t.baseline} "
                   f"by {t.by_date} ({'on track' if p.on_track else 'off track'})")
        for label, value in (("baseline", p.baseline_value),
                             (f"current ({p.current_period})", p.current_value),
                             ("required", p.required_value), ("projected", p.projected_value)):
            click.echo(f"  {label:<22}{_figure(value):>14} {unit}")
        click.echo(f"  {'progress':<22}{p.progress_pct:>14,.1f} %")
        for note in p.notes:
            click.echo(f"  note: {note}")


def _target_runs(ledger: Any, tgt: Any) -> list[Any]:
    from wattprint.account.periods import parse_period

    start = parse_period(tgt.baseline).start_utc
    return ledger.list_runs(  # type: ignore[no-any-return]
        project=None if tgt.project == "*" else tgt.project, since=start)


def _scope(project: str) -> str:
    return "all projects" if project == "*" else f"project {project}"


# -- offsets -------------------------------------------------------------------------------


@click.group()
def offset() -> None:
    """The offsets register: reported next to emissions, never netted silently."""


@offset.command(name="add")
@click.option("--tonnes", type=float, required=True, help="t CO2e of the credits.")
@click.option("--registry", default="", help='Registry, e.g. "Gold Standard".')
@click.option("--serial", default="", help="Serial number (range) of the credits.")
@click.option("--vintage", type=int, required=True, help="Vintage year.")
@click.option("--project", default="", help="Project the credits are held for.")
@click.option("--retired-on", default=None, help="Retirement date (YYYY-MM-DD).")
@json_option
def offset_add(tonnes: float, registry: str, serial: str, vintage: int, project: str,
               retired_on: str | None, as_json: bool) -> None:
    """Record offset credits in the register.

    \b
    Example:
      wattprint offset add --tonnes 5 --registry "Gold Standard" --serial GS-123 --vintage 2026
    """
    from wattprint.account.offsets import check_offset, offset_to_dict
    from wattprint.model import Offset

    entry = check_offset(Offset(
        "", tonnes, registry.strip(), serial.strip(), vintage, project,
        None if retired_on is None else _date(retired_on, "--retired-on")))
    ledger = open_ledger()
    try:
        saved = ledger.add_offset(entry)
    finally:
        ledger.close()
    if as_json:
        print_json(offset_to_dict(saved))
        return
    state = f"retired {saved.retired_on}" if saved.retired_on else "held, not retired"
    click.echo(f"offset {saved.id}: {saved.tonnes:g} t CO2e, {saved.registry} {saved.serial}, "
               f"vintage {saved.vintage}, {state}")


@offset.command(name="list")
@click.option("--project", default=None, help="Only this project's offsets.")
@json_option
def offset_list(project: str | None, as_json: bool) -> None:
    """List the offsets register."""
    from wattprint.account.offsets import offset_to_dict

    ledger = open_ledger()
    try:
        found = ledger.offsets(project)
    finally:
        ledger.close()
    if as_json:
        print_json({"offsets": [offset_to_dict(o) for o in found],
                    "total_t": sum(o.tonnes for o in found)})
        return
    for o in found:
        state = f"retired {o.retired_on}" if o.retired_on else "held"
        click.echo(f"{o.id}  {o.tonnes:g} t  {o.registry} {o.serial}  vintage {o.vintage}  "
                   f"{o.project or '-'}  {state}")


# -- parsing ---------------------------------------------------------------------------------


def _date(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"invalid {name} {text!r}: expected a date like 2026-06-30") from None


def _share(text: str) -> float:
    raw = text.strip().removesuffix("%").strip()
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"invalid --share {text!r}: expected a percentage like 100%") from None
    if not 0 < value <= 100:
        raise ConfigError(f"invalid --share {text!r}: must be in (0, 100] %")
    return value / 100.0


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _figure(value: float) -> str:
    """Three decimals, or four significant digits for figures below 1 (small runs)."""
    return f"{value:,.3f}" if abs(value) >= 1 or value == 0 else f"{value:.4g}"
