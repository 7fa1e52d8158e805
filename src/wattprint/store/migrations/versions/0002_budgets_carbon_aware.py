"""Carbon budgets, budget overruns and carbon-aware run records.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-01

Written out in full (like 0001); ``tests/store/test_migrations.py`` checks
that 0001 + 0002 build exactly ``schema.metadata``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create ``budgets``, ``budget_overruns`` and ``carbon_aware``."""
    op.create_table(
        "budgets",
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("month", sa.String(), nullable=False),
        sa.Column("limit_co2e_kg", sa.Float(), nullable=False),
        sa.Column("created_utc", _UTC, nullable=False),
        sa.Column("updated_utc", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("project", "month", name="pk_budgets"),
    )
    op.create_table(
        "budget_overruns",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=True),
        sa.Column("job_name", sa.String(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("month", sa.String(), nullable=False),
        sa.Column("expected_co2e_kg", sa.Float(), nullable=False),
        sa.Column("actual_co2e_kg", sa.Float(), nullable=True),
        sa.Column("overrun_kg", sa.Float(), nullable=False),
        sa.Column("tier", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_utc", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_budget_overruns"),
    )
    op.create_index("ix_budget_overruns_project", "budget_overruns", ["project"])
    op.create_table(
        "carbon_aware",
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("planned_zone", sa.String(), nullable=False),
        sa.Column("planned_start_utc", _UTC, nullable=False),
        sa.Column("planned_end_utc", _UTC, nullable=False),
        sa.Column("planned_intensity_g_per_kwh", sa.Float(), nullable=False),
        sa.Column("achieved_intensity_g_per_kwh", sa.Float(), nullable=True),
        sa.Column("expected_co2e_kg", sa.Float(), nullable=False),
        sa.Column("baseline_co2e_kg", sa.Float(), nullable=False),
        sa.Column("mode", sa.String(), nullable=False),
        sa.Column("tier", sa.String(), nullable=False),
        sa.Column("waited_s", sa.Float(), nullable=False),
        sa.Column("intensity_source", sa.Text(), nullable=False),
        sa.Column("updated_utc", _UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_carbon_aware_run_id_runs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", name="pk_carbon_aware"),
    )


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_table("carbon_aware")
    op.drop_index("ix_budget_overruns_project", table_name="budget_overruns")
    op.drop_table("budget_overruns")
    op.drop_table("budgets")
