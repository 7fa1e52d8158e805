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
from typing import Any

import pytest
from sqlalchemy import Connection, event

from wattprint.model import (
    Device,
    DeviceEnergy,
    DeviceKind,
    Footprint,
    Intensity,
    Method,
    Run,
    RunStatus,
    ZoneChoice,
)
from wattprint.store.ledger import Ledger
from wattprint.store.recent import recent_runs
from wattprint.testing import FakeClock

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


def _run(run_id: str, status: RunStatus, ended: datetime | None) -> Run:
    gpu = Device("gpu:0", DeviceKind.GPU, 0, "NVIDIA A100-SXM4-40GB", Method.COUNTER, "nvml")
    started = (ended or NOW) - timedelta(hours=2)
    return Run(
        id=run_id, project="vision", status=status, started_utc=started, ended_utc=ended,
        duration_s=7200.0, host="node-1",
        footprint=Footprint({"gpu": 1.0}, 1.2, "given", Intensity("DE", 380.0, "test", 2024)),
        zone_choice=ZoneChoice("DE", "argument"), devices=(DeviceEnergy(gpu, 3.6e6, 300.0, 10),),
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    if request.param == "postgres":
        url = str(request.getfixturevalue("postgres_url"))
    else:
        url = f"sqlite:///{tmp_path}/plans.db"
    with Ledger(url, clock=FakeClock(now=NOW)) as opened:
        opened.save_run(_run("live", RunStatus.RUNNING, None))
        for n in range(4):
            opened.save_run(_run(f"done-{n}", RunStatus.FINISHED, NOW - timedelta(days=n)))
        yield opened


def _plan(conn: Connection) -> str:
    """The plan of the exporter's query (what ``LedgerRuns.runs`` runs), one string."""
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        seen.append((statement, params))

    event.listen(conn, "before_cursor_execute", capture)
    found = recent_runs(conn, NOW, stale_after_s=900.0, window_s=3600.0, limit=200)
    event.remove(conn, "before_cursor_execute", capture)
    assert [row[0] for row in found] == ["live", "done-0"]
    ((statement, params),) = seen
    if conn.dialect.name == "sqlite":
        return " | ".join(row[-1] for row in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, params))
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    return " | ".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, params))


def test_exporter_query_reads_the_ended_index(ledger: Ledger) -> None:
    with ledger.reading() as conn:
        plan = _plan(conn)
    if conn.dialect.name == "sqlite":
        assert "SEARCH runs USING INDEX ix_runs_ended (ended_utc>?)" in plan
        assert "SEARCH runs USING INDEX ix_runs_status (status=?)" in plan
        assert "SCAN runs" not in plan
    else:
        assert "Index Scan on ix_runs_ended" in plan
        assert "Seq Scan" not in plan
