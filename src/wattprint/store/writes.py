"""Writing and reading a run's rows: the run row, its child tables, its heartbeat.

:class:`~wattprint.store.ledger.Ledger` calls these inside its transactions:
:func:`write_run` replaces a run whole (row first, so it holds the row's lock
before touching children), :func:`write_part` records one host's part and
rebuilds the merged run (:mod:`wattprint.store.parts`), :func:`load_children`
reads child rows back in write order, and :func:`reap_stale` turns running
runs whose heartbeat deadline has passed into ``interrupted`` ones.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select, update

from wattprint.model import Run, RunStatus
from wattprint.store import parts, rows
from wattprint.store.engine import upsert
from wattprint.store.schema import devices, phases, run_metrics, run_tags, runs, trace_points
from wattprint.store.serialize import format_utc

CHILD_TABLES: tuple[tuple[str, Table], ...] = (
    ("tags", run_tags), ("devices", devices), ("phases", phases), ("trace_points", trace_points),
    ("metrics", run_metrics),
)

#: The error of a run declared interrupted for want of a heartbeat.
NO_HEARTBEAT = "no heartbeat (tracker killed or host lost)"


def stale_deadline(run: Run, now: datetime, stale_after_s: float | None) -> datetime | None:
    """When a running record written ``now`` goes stale; None if it has ended or has no heartbeat.

    Raises:
        ValueError: ``stale_after_s`` is not positive.
    """
    if stale_after_s is not None and not stale_after_s > 0:
        raise ValueError(f"stale_after_s must be a positive number of seconds, got {stale_after_s}")
    if run.status is not RunStatus.RUNNING or stale_after_s is None:
        return None
    return now + timedelta(seconds=stale_after_s)


def write_run(conn: Connection, values: dict[str, Any], children: rows.ChildRows) -> None:
    """Upsert the run row, then replace its children.

    The upsert takes the run row's lock first (SQLite: the write lock of
    ``BEGIN IMMEDIATE``; PostgreSQL: the row lock of ``ON CONFLICT DO
    UPDATE``), so two writers of one run serialise and the second sees the
    first's children, deletes them and writes its own: never both.
    """
    run_id = values["id"]
    upsert(conn, runs, values, ["id"])
    for attr, table in CHILD_TABLES:
        conn.execute(delete(table).where(table.c.run_id == run_id))
        items = getattr(children, attr)
        if items:
            conn.execute(insert(table), items)


def write_part(conn: Connection, run: Run, now: datetime, stale_utc: datetime | None) -> Run:
    """Record host ``run.host``'s part of run ``run.id`` and rebuild the merged run; returns it.

    The run row is written (and so locked) first: parts of one run from many
    hosts serialise on it, and each rebuild reads every part committed before.
    """
    values = rows.run_values(run, now)
    values["stale_utc"] = stale_utc
    upsert(conn, runs, values, ["id"])
    parts.put_part(conn, parts.part_values(run, now=now, stale_utc=stale_utc))
    stored = parts.stored_parts(conn, run.id, now)
    merged = parts.merge_parts(run.id, stored)
    merged_values = rows.run_values(merged, now)
    merged_values["stale_utc"] = parts.merged_stale_utc(stored)
    write_run(conn, merged_values, rows.child_rows(merged))
    return merged


def load_children(conn: Connection, run_ids: Sequence[str], *, trace: bool
                  ) -> dict[str, rows.ChildRows]:
    """Child rows of ``run_ids`` (every id gets an entry), each list in ``seq`` order.

    ``run_metrics`` has no ``seq``: its rows come in name order.
    """
    out = {rid: rows.ChildRows() for rid in run_ids}
    for attr, table in CHILD_TABLES:
        if attr == "trace_points" and not trace:
            continue
        order = table.c.seq if "seq" in table.c else table.c.name
        for chunk in rows.chunks(run_ids):
            stmt = (
                select(table).where(table.c.run_id.in_(chunk))
                .order_by(table.c.run_id, order)
            )
            for rid, items in rows.group_by_run(conn.execute(stmt).mappings()).items():
                getattr(out[rid], attr).extend(items)
    return out


def _stale_where(now: datetime) -> Any:
    return (runs.c.status == RunStatus.RUNNING.value) & (runs.c.stale_utc < now)


def any_stale(conn: Connection, now: datetime) -> bool:
    """Whether some running run is past its heartbeat deadline (an index lookup)."""
    return conn.execute(select(runs.c.id).where(_stale_where(now)).limit(1)).first() is not None


def reap_stale(conn: Connection, now: datetime) -> list[str]:
    """Record every running run past its heartbeat deadline as ``interrupted``; their ids.

    The run keeps the energy of its last write; it ends at its start plus its
    recorded duration, its error says why and a warning says since when. A
    tracker that writes again later (it was only cut off) makes it running again.
    """
    found = conn.execute(
        select(runs.c.id, runs.c.started_utc, runs.c.duration_s, runs.c.updated_utc,
               runs.c.error, runs.c.warnings).where(_stale_where(now))
    ).mappings().all()
    reaped = []
    for r in found:
        note = (f"no heartbeat since {format_utc(r['updated_utc'])}: the tracker stopped "
                "without recording an end (killed, or its host lost); energy is counted up "
                "to its last write")
        changed = conn.execute(
            update(runs).where(runs.c.id == r["id"], _stale_where(now)).values(
                status=RunStatus.INTERRUPTED.value, stale_utc=None,
                ended_utc=r["started_utc"] + timedelta(seconds=r["duration_s"]),
                error=r["error"] or NO_HEARTBEAT,
                warnings=json.dumps([*json.loads(r["warnings"]), note]),
            )
        ).rowcount
        if changed:
            reaped.append(r["id"])
    return reaped
