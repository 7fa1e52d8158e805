"""The flush schedule starts each write early enough to commit within its interval."""

from __future__ import annotations

import pytest

from wattprint.measure.flush import FlushSchedule


def test_without_costs_writes_fall_on_the_grid() -> None:
    s = FlushSchedule(first_due=10.0, interval_s=5.0)
    assert s.margin_s == 0.0 and s.wait_s(now=7.0) == 3.0
    s.wrote(began=10.0, ended=10.0)
    assert s.wait_s(now=10.0) == 5.0


def test_writes_start_early_by_one_and_a_half_of_the_slowest_recent_cost() -> None:
    s = FlushSchedule(first_due=5.0, interval_s=5.0)
    s.observe(began=0.0, ended=0.1)  # the first write, at start
    assert s.margin_s == pytest.approx(0.15)
    s.wrote(began=4.85, ended=5.65)  # a slow one (a process-tree rescan)
    assert s.margin_s == pytest.approx(1.2)
    assert s.wait_s(now=5.65) == pytest.approx(10.0 - 1.2 - 5.65)


def test_margin_is_capped_at_half_an_interval_and_forgets_old_costs() -> None:
    s = FlushSchedule(first_due=1.0, interval_s=1.0, window=2)
    s.wrote(began=1.0, ended=3.0)
    assert s.margin_s == 0.5
    # The missed grid points are skipped: the next write is not due in the past.
    assert s.wait_s(now=3.0) >= 0.0 and s.wait_s(now=3.0) <= 1.0
    for t in (4.0, 5.0):
        s.wrote(began=t, ended=t + 0.01)
    assert s.margin_s == pytest.approx(0.015)
