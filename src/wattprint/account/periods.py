"""Reporting periods: a UTC year (``2026``), quarter (``2026Q3``) or month (``2026-07``).

Pure helpers: parse a label into its ``[start, end)`` UTC bounds, list the
months of a period, find the period of the same kind that holds a date.

Example:
    >>> p = parse_period("2026Q3")
    >>> p.start_utc.isoformat(), p.months
    ('2026-07-01T00:00:00+00:00', 3)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

from wattprint.errors import ConfigError

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq](\d+)$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True)
class Period:
    """A UTC reporting period ``[start_utc, end_utc)``.

    Attributes:
        label: Canonical label (``"2026"``, ``"2026Q3"``, ``"2026-07"``).
        kind: ``"year"``, ``"quarter"`` or ``"month"``.
        start_utc: First instant (inclusive).
        end_utc: End (exclusive).
    """

    label: str
    kind: str
    start_utc: datetime
    end_utc: datetime

    @property
    def months(self) -> int:
        """Number of calendar months in the period."""
        return {"year": 12, "quarter": 3, "month": 1}[self.kind]

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return (self.end_utc - self.start_utc).total_seconds()

    def contains(self, when: datetime | date) -> bool:
        """True when ``when`` (an aware datetime or a UTC date) is inside."""
        if not isinstance(when, datetime):
            when = datetime(when.year, when.month, when.day, tzinfo=timezone.utc)
        return self.start_utc <= when < self.end_utc


def parse_period(text: str, name: str = "--period") -> Period:
    """Parse ``2026``, ``2026Q3`` (or ``2026-Q3``) or ``2026-07``.

    Raises:
        ConfigError: Not a period (``2026Q5``, ``2026-13``, ``Q3``); the
            message names ``name`` and the accepted forms.
    """
    value = text.strip()
    bad = ConfigError(
        f"invalid {name} {text!r}: expected a year (2026), a quarter (2026Q1 to 2026Q4) "
        "or a month (2026-07)"
    )
    if match := _YEAR.match(value):
        year = int(match.group(1))
        return _make(f"{year:04d}", "year", year, 1, 12)
    if match := _QUARTER.match(value):
        year, quarter = int(match.group(1)), int(match.group(2))
        if not 1 <= quarter <= 4:
            raise bad
        return _make(f"{year:04d}Q{quarter}", "quarter", year, 3 * quarter - 2, 3)
    if match := _MONTH.match(value):
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise bad
        return _make(f"{year:04d}-{month:02d}", "month", year, month, 1)
    raise bad


def period_of(kind: str, when: datetime | date) -> Period:
    """The period of ``kind`` (year, quarter or month) that holds ``when`` (UTC)."""
    if isinstance(when, datetime):
        when = when.astimezone(timezone.utc).date()
    if kind == "year":
        return parse_period(f"{when.year}")
    if kind == "quarter":
        return parse_period(f"{when.year}Q{(when.month - 1) // 3 + 1}")
    return parse_period(f"{when.year}-{when.month:02d}")


def month_labels(start_utc: datetime, end_utc: datetime) -> list[str]:
    """``YYYY-MM`` of every UTC month that overlaps ``[start_utc, end_utc)``."""
    out = []
    year, month = start_utc.year, start_utc.month
    while datetime(year, month, 1, tzinfo=timezone.utc) < end_utc:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _make(label: str, kind: str, year: int, first_month: int, months: int) -> Period:
    if year < 1:
        raise ConfigError(f"invalid period {label!r}: year must be >= 1")
    end_index = first_month - 1 + months
    start = datetime(year, first_month, 1, tzinfo=timezone.utc)
    end = datetime(year + end_index // 12, end_index % 12 + 1, 1, tzinfo=timezone.utc)
    return Period(label, kind, start, end)
