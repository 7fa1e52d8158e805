"""The exporter's run query reads index ranges, not every run (the query plans say so).

SQLite's plan has no statistics to go on (the ledger runs no ``ANALYZE``), so
it is the same for five runs as for 100,000. PostgreSQL would scan a table
this small whatever its indexes, so its plan is asked with sequential scans
disabled: the test shows the window can be served from the indexes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sample_runs import make_run

from sql_plans import plan, statements
from wattprint.model import RunStatus
from wattprint.store.ledger import Ledger
from wattprint.store.recent import recent_runs
from wattprint.testing import FakeClock

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
HOUR_S = 3600.25  # make_run's duration: a run started this long before NOW ends at NOW


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    if request.param == "postgres":
        url = str(request.getfixturevalue("postgres_url"))
    else:
        url = f"sqlite:///{tmp_path}/plans.db"
    with Ledger(url, clock=FakeClock(now=NOW)) as opened:
        opened.save_run(make_run("live", started=NOW - timedelta(hours=2),
                                 status=RunStatus.RUNNING))
        for n in range(4):
            ended = NOW - timedelta(days=n)
            opened.save_run(make_run(f"done-{n}", started=ended - timedelta(seconds=HOUR_S)))
        yield opened


def test_exporter_query_reads_the_ended_index(ledger: Ledger) -> None:
    with ledger.reading() as conn:
        with statements(conn) as seen:
            found = recent_runs(conn, NOW, stale_after_s=900.0, window_s=3600.0, limit=200)
        assert [row[0] for row in found] == ["live", "done-0"]
        ((statement, params),) = seen
        if conn.dialect.name == "postgresql":
            # A table this small is scanned whatever its indexes: ask whether the
            # window can be served from them.
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        found_plan = plan(conn, statement, params)
    if conn.dialect.name == "sqlite":
        assert "SEARCH runs USING INDEX ix_runs_ended (ended_utc>?)" in found_plan
        assert "SEARCH runs USING INDEX ix_runs_status (status=?)" in found_plan
        assert "SCAN runs" not in found_plan
    else:
        assert "Index Scan on ix_runs_ended" in found_plan
        assert "Seq Scan" not in found_plan
