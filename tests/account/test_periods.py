from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from wattprint.account.periods import month_labels, parse_period, period_of
from wattprint.errors import ConfigError


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize(("text", "label", "start", "end"), [
    ("2026", "2026", utc(2026, 1, 1), utc(2027, 1, 1)),
    ("2026Q1", "2026Q1", utc(2026, 1, 1), utc(2026, 4, 1)),
    ("2026-q4", "2026Q4", utc(2026, 10, 1), utc(2027, 1, 1)),
    ("2026-7", "2026-07", utc(2026, 7, 1), utc(2026, 8, 1)),
    ("2026-12", "2026-12", utc(2026, 12, 1), utc(2027, 1, 1)),
])
def test_parse(text: str, label: str, start: datetime, end: datetime) -> None:
    p = parse_period(text)
    assert (p.label, p.start_utc, p.end_utc) == (label, start, end)


@pytest.mark.parametrize("text", ["2026Q5", "2026Q0", "2026-13", "Q3", "26Q1", "", "2026-07-01"])
def test_bad_periods_name_the_forms(text: str) -> None:
    with pytest.raises(ConfigError, match=r"invalid --period .*2026Q1 to 2026Q4"):
        parse_period(text)


def test_period_of_and_months() -> None:
    assert period_of("quarter", date(2026, 5, 31)).label == "2026Q2"
    assert period_of("month", utc(2026, 5, 31, 23)).label == "2026-05"
    assert period_of("year", date(2026, 5, 31)).label == "2026"
    q = parse_period("2026Q4")
    assert month_labels(q.start_utc, q.end_utc) == ["2026-10", "2026-11", "2026-12"]
    assert q.months == 3 and q.contains(date(2026, 12, 31)) and not q.contains(utc(2027, 1, 1))
