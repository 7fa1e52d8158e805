"""Running and recently ended runs: the one query the Prometheus exporter makes per scrape.

Both halves of its ``WHERE`` are index range scans, so a scrape reads the
runs in its window, not the whole ledger: running runs through
``ix_runs_status`` (``status = 'running'``; the heartbeat reaper keeps them
few) and ended ones through ``ix_runs_ended`` (``ended_utc >= now -
window``, migration 0007; before it, SQLite scanned every run).
``tests/store/test_recent_plans.py`` checks the plans.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, Row, and_, case, or_, select

from wattprint.model import RunStatus
from wattprint.store.schema import runs


def recent_runs(conn: Connection, now: datetime, *, stale_after_s: float, window_s: float,
                limit: int) -> list[Row[str, str, str, str, float, float, float]]:
    """Runs inside the window, running first, then newest started.

    Args:
        conn: A connection to the ledger.
        now: The end of the window (UTC).
        stale_after_s: A ``running`` run whose record was written longer ago is left out.
        window_s: An ended run is kept this long after ``ended_utc``.
        limit: At most this many rows.

    Returns:
        Rows of ``id, project, model, status, energy_kwh, co2e_kg, duration_s``.
    """
    running = runs.c.status == RunStatus.RUNNING.value
    stmt = (
        select(runs.c.id, runs.c.project, runs.c.model, runs.c.status, runs.c.energy_kwh,
               runs.c.co2e_kg, runs.c.duration_s)
        .where(or_(
            and_(running, runs.c.updated_utc >= now - timedelta(seconds=stale_after_s)),
            # ended_utc first: the bounded range ix_runs_ended serves.
            and_(runs.c.ended_utc >= now - timedelta(seconds=window_s), ~running)))
        .order_by(case((running, 0), else_=1), runs.c.started_utc.desc(), runs.c.id)
        .limit(limit)
    )
    return list(conn.execute(stmt))
