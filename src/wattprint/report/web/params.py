"""Query parameters of the dashboard: periods, dates, tags; bad input names the parameter.

Every parser raises :class:`~wattprint.errors.ConfigError` with a message that
starts ``invalid <parameter>``; the app answers it with HTTP 400.

Periods are rolling windows of whole UTC days that end with today:
``7d``, ``30d``, ``quarter`` (91 days) and ``year`` (365 days); ``custom``
takes ``start`` and ``end`` (both days inclusive, ``YYYY-MM-DD``). The
*previous* period is the window of the same length just before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from wattprint.errors import ConfigError

#: Period names and their length in days (``custom`` takes start and end).
PERIOD_DAYS = {"7d": 7, "30d": 30, "quarter": 91, "year": 365}
PERIODS = (*PERIOD_DAYS, "custom")
#: Longest custom window, in days (ten years).
MAX_DAYS = 3660
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Window:
    """Whole UTC days ``[start, end)``; ``period`` is the name it was chosen by."""

    period: str
    first_day: date
    days: int

    @property
    def start_utc(self) -> datetime:
        """First instant."""
        return datetime(self.first_day.year, self.first_day.month, self.first_day.day,
                        tzinfo=timezone.utc)

    @property
    def end_utc(self) -> datetime:
        """End (exclusive)."""
        return self.start_utc + timedelta(days=self.days)

    @property
    def last_day(self) -> date:
        """Last day (inclusive)."""
        return self.first_day + timedelta(days=self.days - 1)

    def previous(self) -> Window:
        """The window of the same length just before this one."""
        return Window(self.period, self.first_day - timedelta(days=self.days), self.days)

    def day_list(self) -> list[date]:
        """Every day of the window."""
        return [self.first_day + timedelta(days=n) for n in range(self.days)]


def is_day(text: str) -> bool:
    """True when ``text`` has the form of a day (``YYYY-MM-DD``), not of a time."""
    return bool(_DAY.match(text.strip()))


def parse_day(name: str, text: str) -> date:
    """A ``YYYY-MM-DD`` date.

    Raises:
        ConfigError: Not a date; the message names ``name``.
    """
    value = text.strip()
    try:
        if not _DAY.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"invalid {name} {text!r}: expected a date YYYY-MM-DD") from None


def parse_time(name: str, text: str) -> datetime:
    """A day (its UTC midnight) or an ISO 8601 time (no offset means UTC).

    Raises:
        ConfigError: Neither; the message names ``name``.
    """
    value = text.strip()
    if _DAY.match(value):
        day = parse_day(name, value)
        return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ConfigError(f"invalid {name} {text!r}: expected a date YYYY-MM-DD or an ISO "
                          "time such as 2026-01-31T12:00Z") from None
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when


def parse_window(
    period: str, start: str | None, end: str | None, today: date, default: str = "30d"
) -> Window:
    """The window a page shows.

    Args:
        period: A name of :data:`PERIODS` ("" for ``default``); ``start`` alone
            implies ``custom``.
        start: First day of a custom window.
        end: Last day of a custom window (default: today).
        today: The current UTC day.
        default: Period when none is given.

    Raises:
        ConfigError: Unknown period, bad or reversed dates, or too long a window.
    """
    name = period.strip() or ("custom" if start else default)
    if name not in PERIODS:
        raise ConfigError(f"invalid period {period!r}: expected one of {', '.join(PERIODS)}")
    if name != "custom":
        days = PERIOD_DAYS[name]
        return Window(name, today - timedelta(days=days - 1), days)
    if not start:
        raise ConfigError("invalid start: a custom period needs start=YYYY-MM-DD")
    first = parse_day("start", start)
    last = parse_day("end", end) if end else today
    if last < first:
        raise ConfigError(f"invalid end {last.isoformat()}: before start {first.isoformat()}")
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise ConfigError(f"invalid end: the window is {days} days, at most {MAX_DAYS}")
    return Window("custom", first, days)


def parse_tags(values: Iterable[str]) -> tuple[str, ...]:
    """Tags from repeated ``tag=`` parameters, each possibly comma-separated."""
    out = [part.strip() for value in values for part in value.split(",")]
    return tuple(dict.fromkeys(tag for tag in out if tag))


def parse_order(text: str) -> bool:
    """``desc`` (True) or ``asc`` (False).

    Raises:
        ConfigError: Neither.
    """
    value = text.strip().lower()
    if value not in ("asc", "desc"):
        raise ConfigError(f"invalid order {text!r}: expected asc or desc")
    return value == "desc"


def optional(text: str | None) -> str | None:
    """None for a missing or blank parameter (an empty form field), else the text stripped."""
    if text is None or not text.strip():
        return None
    return text.strip()
