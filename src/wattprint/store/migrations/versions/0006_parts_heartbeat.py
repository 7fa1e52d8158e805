"""Heartbeat of running runs and the per-host parts of distributed runs.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Adds ``runs.stale_utc`` (NULL for every existing run: none of them has a
heartbeat, so none is ever declared stale) with the index
``ix_runs_status_stale_utc`` that finds running runs past it, and the
``run_parts`` table: one row per (run, host) for runs that several hosts
record under one id, cascading with its run.

Written out in full (like 0001-0005); ``tests/store/test_migrations.py``
checks that the migrations build exactly ``schema.metadata``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

_UTC = sa.DateTime(timezone=True)

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``runs.stale_utc`` and its index; create ``run_parts``."""
    op.add_column("runs", sa.Column("stale_utc", _UTC, nullable=True))
    op.create_index("ix_runs_status_stale_utc", "runs", ["status", "stale_utc"])
    op.create_table(
        "run_parts",
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("host", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("started_utc", _UTC, nullable=False),
        sa.Column("ended_utc", _UTC, nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("energy_kwh", sa.Float(), nullable=False),
        sa.Column("co2e_kg", sa.Float(), nullable=False),
        sa.Column("stale_utc", _UTC, nullable=True),
        sa.Column("updated_utc", _UTC, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_run_parts_run_id_runs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "host", name="pk_run_parts"),
    )


def downgrade() -> None:
    """Drop ``run_parts``, the index and ``runs.stale_utc`` (merged runs are kept)."""
    op.drop_table("run_parts")
    op.drop_index("ix_runs_status_stale_utc", table_name="runs")
    op.drop_column("runs", "stale_utc")
