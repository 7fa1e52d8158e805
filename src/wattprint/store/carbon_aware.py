"""Carbon-aware run records: what was planned next to what was achieved.

One ``carbon_aware`` row per run that was placed by the planner; it is
deleted with its run. Saving the record again (say, once the achieved
intensity is known) replaces it. The mapping here is pure; the ledger runs
the statements.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from wattprint.errors import RunNotFoundError
from wattprint.model import CarbonAwareRecord
from wattprint.store.engine import upsert
from wattprint.store.schema import carbon_aware, runs
from wattprint.store.serialize import format_utc

_FIELDS = tuple(f.name for f in dataclasses.fields(CarbonAwareRecord))


def put(conn: Connection, record: CarbonAwareRecord, now_utc: datetime) -> None:
    """Insert or replace the record of ``record.run_id``.

    Raises:
        RunNotFoundError: No run has that id (the record belongs to a run).
    """
    if conn.execute(select(runs.c.id).where(runs.c.id == record.run_id)).first() is None:
        raise RunNotFoundError(
            f"no run with id {record.run_id!r}; save the run before its carbon-aware record"
        )
    values = dataclasses.asdict(record)
    values["updated_utc"] = now_utc
    upsert(conn, carbon_aware, values, ["run_id"])


def get(conn: Connection, run_id: str) -> CarbonAwareRecord | None:
    """The record of the run with exactly this id, or None."""
    row = conn.execute(
        select(carbon_aware).where(carbon_aware.c.run_id == run_id)
    ).mappings().first()
    return None if row is None else from_row(row)


def from_row(row: Mapping[Any, Any]) -> CarbonAwareRecord:
    """The record of a ``carbon_aware`` row."""
    return CarbonAwareRecord(**{name: row[name] for name in _FIELDS})


def to_dict(record: CarbonAwareRecord) -> dict[str, Any]:
    """Stable JSON keys (the ``carbon_aware`` object of ``wattprint show --json``).

    ``saving_kg`` is baseline minus expected; ``intensity_delta_g_per_kwh``
    is achieved minus planned (None until the achieved intensity is known).
    """
    achieved = record.achieved_intensity_g_per_kwh
    out: dict[str, Any] = dataclasses.asdict(record)
    out.update(
        planned_start_utc=format_utc(record.planned_start_utc),
        planned_end_utc=format_utc(record.planned_end_utc),
        saving_kg=record.baseline_co2e_kg - record.expected_co2e_kg,
        intensity_delta_g_per_kwh=(
            None if achieved is None else achieved - record.planned_intensity_g_per_kwh
        ),
    )
    return out
