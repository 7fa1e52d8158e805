"""The window aggregates read the covering index only (SQLite's query plan says so)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from report_runs import Q1, quarter_runs
from sqlalchemy import Connection

from sql_plans import plan, statements
from wattprint.report import queries as q
from wattprint.store.ledger import Ledger

Q2 = Q1.replace(month=4)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(f"sqlite:///{tmp_path}/plans.db") as opened:
        for run in quarter_runs():
            opened.save_run(run)
        yield opened


def _plans(ledger: Ledger, call: Callable[[Connection], Any]) -> list[str]:
    """The query plan of every SELECT ``call`` executes, one string each."""
    with ledger.reading() as conn:
        with statements(conn) as seen:
            call(conn)
        return [plan(conn, statement, params) for statement, params in seen]


@pytest.mark.parametrize("call", [
    lambda c: q.totals(c, Q1, Q2),
    lambda c: q.daily(c, Q1, Q2),
    lambda c: q.by_project(c, Q1, Q2),
    lambda c: q.by_zone(c, Q1, Q2),
])
def test_window_aggregates_scan_the_covering_index(ledger: Ledger, call: Callable[..., Any]
                                                   ) -> None:
    (plan,) = _plans(ledger, call)
    assert "USING COVERING INDEX ix_runs_window (started_utc>? AND started_utc<?)" in plan


def test_top_runs_picks_ids_from_the_covering_index(ledger: Ledger) -> None:
    plans = _plans(ledger, lambda c: q.top_runs(c, Q1, Q2))
    assert "COVERING INDEX ix_runs_window" in plans[0]


def test_method_filter_reads_the_devices_method_index(ledger: Ledger) -> None:
    plans = _plans(ledger, lambda c: q.runs_page(c, q.RunFilter(method="modelled")))
    assert "ix_devices_method_run_id (method=?)" in plans[0]
