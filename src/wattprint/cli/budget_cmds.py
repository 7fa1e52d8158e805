"""``wattprint budget set/show``: carbon budgets per project and UTC month."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import click

from wattprint.cli.common import json_option, open_ledger, print_json
from wattprint.errors import ConfigError

_BAR_WIDTH = 10


@click.group()
def budget() -> None:
    """Carbon budgets (kg CO2e) per project and month, kept in the ledger.

    A job of tier standard or flexible that would exceed its project's budget
    is held; a critical job runs and the overrun is recorded.
    """


@budget.command(name="set", context_settings={"ignore_unknown_options": True})
@click.argument("project")
@click.argument("kg")
@click.option("--month", default=None,
              help="Only this UTC month (YYYY-MM); default: every month.")
@json_option
def set_(project: str, kg: str, month: str | None, as_json: bool) -> None:
    """Set PROJECT's budget to KG kg CO2e per month (or for one --month).

    A month's own budget wins over the every-month one.

    \b
    Examples:
      wattprint budget set vision 50
      wattprint budget set vision 80 --month 2026-12
    """
    from wattprint.store.budgets import check_limit, parse_month

    limit = check_limit(_parse_kg(kg))
    key = parse_month(month, "--month") if month is not None else None
    ledger = open_ledger()
    try:
        saved = ledger.set_budget(project, limit, month=key)
    finally:
        ledger.close()
    if as_json:
        print_json({"project": saved.project, "month": saved.month,
                    "limit_co2e_kg": saved.limit_co2e_kg,
                    "created_utc": saved.created_utc.isoformat(),
                    "updated_utc": saved.updated_utc.isoformat()})
        return
    when = "every month" if saved.month == "*" else f"in {saved.month}"
    click.echo(f"budget of {project}: {saved.limit_co2e_kg:g} kg CO2e {when}")


@budget.command(name="show")
@click.option("--project", default=None, help="Only this project.")
@click.option("--month", default=None, help="UTC month (YYYY-MM); default: this month.")
@json_option
def show(project: str | None, month: str | None, as_json: bool) -> None:
    """Show limit, spending and what remains of each project's budget.

    Spending is the sum of the project's runs that started in the UTC month.

    \b
    Examples:
      wattprint budget show
      wattprint budget show --project vision --month 2026-11 --json
    """
    from wattprint.store.budgets import EVERY_MONTH, parse_month, state_to_dict

    key = parse_month(month, "--month") if month is not None else _this_month()
    if key == EVERY_MONTH:
        raise ConfigError("invalid --month '*': budget show needs one month, e.g. 2026-11")
    ledger = open_ledger()
    try:
        projects = [project] if project else sorted(
            {b.project for b in ledger.budgets() if b.month in (key, EVERY_MONTH)})
        states = [ledger.budget_state(p, key) for p in projects]
    finally:
        ledger.close()
    if as_json:
        print_json({"month": key, "budgets": [state_to_dict(s) for s in states]})
        return
    if not states:
        click.echo(f"no carbon budgets apply in {key}; set one with: "
                   "wattprint budget set PROJECT KG", err=True)
        return
    from rich.console import Console

    Console().print(_table(states, key))


def _parse_kg(text: str) -> float:
    value = text.strip().lower().removesuffix("co2e").strip().removesuffix("kg").strip()
    try:
        return float(value)
    except ValueError:
        raise ConfigError(
            f"invalid budget {text!r}: expected kg CO2e, like 50 or 12.5kg"
        ) from None


def _this_month() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m")


def _table(states: list[Any], month: str) -> Any:
    from rich.table import Table

    table = Table(title=f"Carbon budgets, {month} (UTC)")
    for name in ("Project", "Budget", "Limit", "Spent", "Remaining", "Used", ""):
        table.add_column(name, justify="left" if name in ("Project", "Budget", "") else "right")
    for s in states:
        scope = "monthly" if s.budget_month == "*" else (s.budget_month or "none")
        if s.limit_co2e_kg is None:
            table.add_row(s.project, scope, "-", f"{s.spent_co2e_kg:,.2f} kg", "-", "-", "")
            continue
        overruns = f" ({s.overruns} overrun{'s' if s.overruns != 1 else ''})" if s.overruns else ""
        table.add_row(
            s.project, scope, f"{s.limit_co2e_kg:,.2f} kg", f"{s.spent_co2e_kg:,.2f} kg",
            f"{s.remaining_co2e_kg:,.2f} kg", f"{s.used_pct:,.1f} %", _bar(s.used_pct) + overruns,
        )
    return table


def _bar(used_pct: float) -> str:
    filled = min(_BAR_WIDTH, round(used_pct / 100 * _BAR_WIDTH))
    colour = "red" if used_pct > 100 else "yellow" if used_pct >= 80 else "green"
    return f"[{colour}]{'█' * filled}[/{colour}]{'░' * (_BAR_WIDTH - filled)}"
