"""Carbon budgets and their overruns: UTC months, and the SQL behind the ledger.

A budget limits a project's operational emissions (kg CO2e) in one UTC
month (``"2026-11"``) or in every month (``"*"``); a month's own budget wins
over the every-month one. What a month has *spent* is the sum of the stored
``co2e_kg`` of the project's runs that started in it (UTC), whatever their
status. An *overrun* is recorded when a critical job runs although it does
not fit the remaining budget.

The month helpers are pure; the other functions take an open connection and
are called by :class:`~wattprint.store.ledger.Ledger`, which owns the
transactions.
"""

from __future__ import annotations

import math
import re
import uuid
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, func, select

from wattprint.errors import ConfigError
from wattprint.model import Budget, BudgetOverrun, BudgetState
from wattprint.store.engine import upsert
from wattprint.store.schema import budget_overruns, budgets, runs

#: The ``month`` of a budget that applies to every month.
EVERY_MONTH = "*"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str, name: str = "month") -> str:
    """Validate a month given as ``YYYY-MM`` (or ``*``) and return it.

    Raises:
        ConfigError: The text is not a month; the message names ``name``.
    """
    value = text.strip()
    if value == EVERY_MONTH:
        return value
    match = _MONTH.match(value)
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        raise ConfigError(f"invalid {name} {text!r}: expected YYYY-MM, e.g. 2026-11")
    return value


def month_of(when: datetime) -> str:
    """The UTC month (``YYYY-MM``) of an aware datetime."""
    if when.tzinfo is None:
        raise ValueError(f"naive datetime {when.isoformat()} given; use an aware UTC time")
    return when.astimezone(timezone.utc).strftime("%Y-%m")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """Start (inclusive) and end (exclusive) of a UTC month, as aware datetimes.

    Raises:
        ConfigError: ``month`` is not ``YYYY-MM``.
    """
    if parse_month(month) == EVERY_MONTH:
        raise ConfigError("'*' (every month) has no bounds; give a month like 2026-11")
    year, mon = (int(part) for part in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=timezone.utc)
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=timezone.utc)
    return start, end


def check_limit(limit_co2e_kg: float) -> float:
    """Validate a budget limit.

    Raises:
        ConfigError: The limit is negative or not a finite number.
    """
    if not math.isfinite(limit_co2e_kg) or limit_co2e_kg < 0:
        raise ConfigError(f"invalid budget {limit_co2e_kg:g} kg CO2e: must be a number >= 0")
    return float(limit_co2e_kg)


def put_budget(
    conn: Connection, project: str, month: str, limit_co2e_kg: float, now_utc: datetime
) -> None:
    """Insert or replace a budget (its ``created_utc`` is kept on replace)."""
    values = {"project": project, "month": month, "limit_co2e_kg": limit_co2e_kg,
              "created_utc": now_utc, "updated_utc": now_utc}
    upsert(conn, budgets, values, ["project", "month"], keep=["created_utc"])


def select_budgets(conn: Connection, project: str | None) -> list[Budget]:
    """Budgets, by project then month (``*`` first)."""
    stmt = select(budgets).order_by(budgets.c.project, budgets.c.month)
    if project is not None:
        stmt = stmt.where(budgets.c.project == project)
    return [Budget(**dict(row)) for row in conn.execute(stmt).mappings()]


def spent(conn: Connection, project: str, month: str) -> float:
    """Emissions (kg CO2e) of the project's runs that started in the UTC month."""
    start, end = month_bounds(month)
    stmt = select(func.coalesce(func.sum(runs.c.co2e_kg), 0.0)).where(
        runs.c.project == project, runs.c.started_utc >= start, runs.c.started_utc < end
    )
    return float(conn.execute(stmt).scalar_one())


def state(conn: Connection, project: str, month: str) -> BudgetState:
    """Limit, spending and overruns of a project in a UTC month."""
    month_bounds(month)  # validates
    stmt = select(budgets.c.month, budgets.c.limit_co2e_kg).where(
        budgets.c.project == project, budgets.c.month.in_([month, EVERY_MONTH])
    )
    limits = {row.month: float(row.limit_co2e_kg) for row in conn.execute(stmt)}
    budget_month = month if month in limits else (EVERY_MONTH if limits else "")
    over = conn.execute(
        select(func.count(), func.coalesce(func.sum(budget_overruns.c.overrun_kg), 0.0)).where(
            budget_overruns.c.project == project, budget_overruns.c.month == month
        )
    ).one()
    return BudgetState(
        project=project, month=month, limit_co2e_kg=limits.get(budget_month),
        spent_co2e_kg=spent(conn, project, month), budget_month=budget_month,
        overruns=int(over[0]), overrun_co2e_kg=float(over[1]),
    )


def overrun_values(
    *, project: str, month: str, expected_co2e_kg: float, overrun_kg: float, tier: str,
    reason: str, recorded_utc: datetime, run_id: str | None, job_name: str,
    actual_co2e_kg: float | None,
) -> dict[str, Any]:
    """The ``budget_overruns`` row of a new overrun, with a fresh id."""
    return {
        "id": uuid.uuid4().hex, "run_id": run_id, "job_name": job_name, "project": project,
        "month": parse_month(month), "expected_co2e_kg": expected_co2e_kg,
        "actual_co2e_kg": actual_co2e_kg, "overrun_kg": overrun_kg, "tier": tier,
        "reason": reason, "recorded_utc": recorded_utc,
    }


def select_overruns(
    conn: Connection, project: str | None, month: str | None
) -> list[BudgetOverrun]:
    """Recorded overruns, oldest first."""
    stmt = select(budget_overruns).order_by(
        budget_overruns.c.recorded_utc, budget_overruns.c.id
    )
    if project is not None:
        stmt = stmt.where(budget_overruns.c.project == project)
    if month is not None:
        stmt = stmt.where(budget_overruns.c.month == month)
    return [BudgetOverrun(**dict(row)) for row in conn.execute(stmt).mappings()]


def state_to_dict(s: BudgetState) -> dict[str, Any]:
    """Stable JSON keys of a budget state (``wattprint budget show --json``)."""
    return {
        "project": s.project,
        "month": s.month,
        "budget_month": s.budget_month or None,
        "limit_co2e_kg": s.limit_co2e_kg,
        "spent_co2e_kg": s.spent_co2e_kg,
        "remaining_co2e_kg": s.remaining_co2e_kg,
        "used_pct": None if s.used_pct is None else round(s.used_pct, 3),
        "overruns": s.overruns,
        "overrun_co2e_kg": s.overrun_co2e_kg,
    }
