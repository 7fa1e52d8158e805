"""SQL building blocks shared by the report queries, portable across SQLite and PostgreSQL.

* :class:`utc_day` — the UTC calendar day (``YYYY-MM-DD`` text) of a stored
  time. SQLite keeps times as naive UTC text (``2024-05-01 12:00:00.000000``),
  so the day is its first ten characters; PostgreSQL keeps ``timestamptz``,
  converted to UTC explicitly so the session's time zone cannot shift a bucket.
* :func:`window` — the ``[start, end)`` condition on ``runs.started_utc``,
  which the ``started_utc`` and ``(project, started_utc)`` indexes serve.
* :func:`failed` — runs that failed or were interrupted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, func, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from wattprint.errors import ConfigError
from wattprint.model import RunStatus
from wattprint.store.schema import runs

#: Statuses counted as failed: the run did not finish its work.
FAILED_STATUSES = (RunStatus.FAILED.value, RunStatus.INTERRUPTED.value)


class utc_day(FunctionElement[str]):  # noqa: N801 - reads like the SQL function it is
    """``utc_day(t)``: the UTC day of a stored time as ``YYYY-MM-DD`` text."""

    type = String()
    name = "utc_day"
    inherit_cache = True


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    arg = compiler.process(element.clauses, **kw)
    return f"to_char(({arg}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


@compiles(utc_day)
def _utc_day_text(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite (and any backend storing ISO text): the date is the first ten characters.
    arg = compiler.process(element.clauses, **kw)
    return f"substr({arg}, 1, 10)"


def check_window(start_utc: datetime, end_utc: datetime) -> None:
    """Validate a ``[start_utc, end_utc)`` window.

    Raises:
        ConfigError: A bound is naive, or the window is empty.
    """
    for name, value in (("start_utc", start_utc), ("end_utc", end_utc)):
        check_aware(name, value)
    if end_utc <= start_utc:
        raise ConfigError(
            f"end_utc {end_utc.isoformat()} must be after start_utc {start_utc.isoformat()}"
        )


def check_aware(name: str, value: datetime) -> None:
    """Raise :class:`ConfigError` naming ``name`` when ``value`` is naive."""
    if value.tzinfo is None:
        raise ConfigError(f"{name} must be an aware UTC datetime, got {value.isoformat()}")


def window(
    start_utc: datetime, end_utc: datetime, project: str | None = None
) -> ColumnElement[bool]:
    """Runs started in ``[start_utc, end_utc)`` (and of ``project`` when given)."""
    check_window(start_utc, end_utc)
    cond = and_(runs.c.started_utc >= start_utc, runs.c.started_utc < end_utc)
    return cond if project is None else and_(cond, runs.c.project == project)


def failed() -> ColumnElement[bool]:
    """The run failed or was interrupted."""
    return or_(*(runs.c.status == s for s in FAILED_STATUSES))


def total(column: Any) -> ColumnElement[float]:
    """``SUM(column)``, 0 over no rows or NULLs only."""
    return func.coalesce(func.sum(column), 0.0)


def count_if(cond: ColumnElement[bool]) -> ColumnElement[int]:
    """Number of rows where ``cond`` holds (0 over none)."""
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def total_if(cond: ColumnElement[bool], column: Any) -> ColumnElement[float]:
    """``SUM(column)`` over the rows where ``cond`` holds (0 over none)."""
    return func.coalesce(func.sum(case((cond, column), else_=0.0)), 0.0)
