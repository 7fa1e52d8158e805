"""Contractual instruments, reduction targets, the offsets register and per-run accounting.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-20

Written out in full (like 0001 and 0002); ``tests/store/test_migrations.py``
checks that 0001 + 0002 + 0003 build exactly ``schema.metadata``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create ``instruments``, ``targets``, ``offsets`` and ``accounting``."""
    op.create_table(
        "instruments",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("zone", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("volume_mwh", sa.Float(), nullable=True),
        sa.Column("share", sa.Float(), nullable=True),
        sa.Column("factor_g_per_kwh", sa.Float(), nullable=True),
        sa.Column("supplier", sa.String(), nullable=False),
        sa.Column("certificate", sa.String(), nullable=False),
        sa.Column("created_utc", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_instruments"),
    )
    op.create_index("ix_instruments_zone", "instruments", ["zone"])
    op.create_table(
        "targets",
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("metric", sa.String(), nullable=False),
        sa.Column("baseline", sa.String(), nullable=False),
        sa.Column("reduce_pct", sa.Float(), nullable=False),
        sa.Column("by_date", sa.Date(), nullable=False),
        sa.Column("created_utc", _UTC, nullable=False),
        sa.Column("updated_utc", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("project", "metric", name="pk_targets"),
    )
    op.create_table(
        "offsets",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("tonnes", sa.Float(), nullable=False),
        sa.Column("registry", sa.String(), nullable=False),
        sa.Column("serial", sa.String(), nullable=False),
        sa.Column("vintage", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("retired_on", sa.Date(), nullable=True),
        sa.Column("created_utc", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_offsets"),
        sa.UniqueConstraint("registry", "serial", name="uq_offsets_registry_serial"),
    )
    op.create_table(
        "accounting",
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("computed_utc", _UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_accounting_run_id_runs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "kind", name="pk_accounting"),
    )


def downgrade() -> None:
    """Drop the four tables."""
    op.drop_table("accounting")
    op.drop_table("offsets")
    op.drop_table("targets")
    op.drop_index("ix_instruments_zone", table_name="instruments")
    op.drop_table("instruments")
