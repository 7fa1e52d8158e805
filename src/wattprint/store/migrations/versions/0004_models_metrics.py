"""Model name and quality metrics per run; indexes for aggregation by model, zone and project.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Adds ``runs.model`` (``''`` for every existing run, through the server
default), the ``run_metrics`` table (final value per run and metric name,
cascading with its run) and the indexes the dashboard aggregates on:
``runs(model)``, ``runs(zone)``, ``runs(project, started_utc)`` and
``run_metrics(name)``.

Written out in full (like 0001-0003); ``tests/store/test_migrations.py``
checks that 0001-0004 build exactly ``schema.metadata``. The downgrade drops
a column, which SQLite supports natively from 3.35 (Python's bundled SQLite
is newer); the upgrade only adds, so it works on any SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: Name and columns of each index this revision adds to ``runs``.
_RUNS_INDEXES = (
    ("ix_runs_model", ["model"]),
    ("ix_runs_zone", ["zone"]),
    ("ix_runs_project_started_utc", ["project", "started_utc"]),
)


def upgrade() -> None:
    """Add ``runs.model``, create ``run_metrics`` and the aggregation indexes."""
    op.add_column(
        "runs", sa.Column("model", sa.String(), nullable=False, server_default=sa.text("''"))
    )
    for name, columns in _RUNS_INDEXES:
        op.create_index(name, "runs", columns)
    op.create_table(
        "run_metrics",
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_run_metrics_run_id_runs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "name", name="pk_run_metrics"),
    )
    op.create_index("ix_run_metrics_name", "run_metrics", ["name"])


def downgrade() -> None:
    """Drop ``run_metrics``, the indexes and ``runs.model`` (runs themselves are kept)."""
    op.drop_index("ix_run_metrics_name", table_name="run_metrics")
    op.drop_table("run_metrics")
    for name, _ in reversed(_RUNS_INDEXES):
        op.drop_index(name, table_name="runs")
    op.drop_column("runs", "model")
