"""Initial ledger schema: runs, run_tags, devices, phases, trace_points.

Revision ID: 0001
Revises:
Create Date: 2024-06-01

Written out in full rather than built from ``schema.metadata``, so later
changes to the metadata need their own revision; a test checks the two agree.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_UTC = sa.DateTime(timezone=True)


def _run_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["run_id"], ["runs.id"], name=f"fk_{table}_run_id_runs", ondelete="CASCADE"
    )


def _create_runs() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("experiment", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("started_utc", _UTC, nullable=False),
        sa.Column("ended_utc", _UTC, nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("host", sa.String(), nullable=False),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("flops", sa.Float(), nullable=True),
        sa.Column("zone", sa.String(), nullable=False),
        sa.Column("zone_how", sa.String(), nullable=False),
        sa.Column("zone_note", sa.Text(), nullable=False),
        sa.Column("pue", sa.Float(), nullable=False),
        sa.Column("pue_source", sa.Text(), nullable=False),
        sa.Column("intensity_g_per_kwh", sa.Float(), nullable=False),
        sa.Column("intensity_source", sa.Text(), nullable=False),
        sa.Column("intensity_zone", sa.String(), nullable=False),
        sa.Column("intensity_year", sa.Integer(), nullable=True),
        sa.Column("intensity_resolution", sa.String(), nullable=False),
        sa.Column("cpu_kwh", sa.Float(), nullable=True),
        sa.Column("gpu_kwh", sa.Float(), nullable=True),
        sa.Column("ram_kwh", sa.Float(), nullable=True),
        sa.Column("other_kwh", sa.Float(), nullable=True),
        sa.Column("it_energy_kwh", sa.Float(), nullable=False),
        sa.Column("energy_kwh", sa.Float(), nullable=False),
        sa.Column("co2e_kg", sa.Float(), nullable=False),
        sa.Column("embodied_co2e_kg", sa.Float(), nullable=True),
        sa.Column("water_l", sa.Float(), nullable=True),
        sa.Column("warnings", sa.Text(), nullable=False),
        sa.Column("updated_utc", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    for column in ("project", "started_utc", "status"):
        op.create_index(f"ix_runs_{column}", "runs", [column])


def _create_tags() -> None:
    op.create_table(
        "run_tags",
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("tag", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        _run_fk("run_tags"),
        sa.PrimaryKeyConstraint("run_id", "tag", name="pk_run_tags"),
    )
    op.create_index("ix_run_tags_tag", "run_tags", ["tag"])


def _create_devices() -> None:
    op.create_table(
        "devices",
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("device_id", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("sensor", sa.String(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("energy_j", sa.Float(), nullable=False),
        sa.Column("peak_power_w", sa.Float(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        _run_fk("devices"),
        sa.PrimaryKeyConstraint("run_id", "device_id", name="pk_devices"),
    )


def _create_phases_and_trace() -> None:
    op.create_table(
        "phases",
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("started_utc", _UTC, nullable=False),
        sa.Column("ended_utc", _UTC, nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("energy_by_device_j", sa.Text(), nullable=False),
        _run_fk("phases"),
        sa.PrimaryKeyConstraint("run_id", "seq", name="pk_phases"),
    )
    op.create_table(
        "trace_points",
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("device_id", sa.String(), nullable=False),
        sa.Column("t_s", sa.Float(), nullable=False),
        sa.Column("power_w", sa.Float(), nullable=False),
        sa.Column("utilisation_pct", sa.Float(), nullable=True),
        sa.Column("memory_used_bytes", sa.Float(), nullable=True),
        sa.Column("temperature_c", sa.Float(), nullable=True),
        _run_fk("trace_points"),
        sa.PrimaryKeyConstraint("run_id", "seq", name="pk_trace_points"),
    )


def upgrade() -> None:
    """Create the ledger tables and their indexes."""
    _create_runs()
    _create_tags()
    _create_devices()
    _create_phases_and_trace()


def downgrade() -> None:
    """Drop every ledger table (children first)."""
    for table in ("trace_points", "phases", "devices", "run_tags"):
        op.drop_table(table)
    for column in ("project", "started_utc", "status"):
        op.drop_index(f"ix_runs_{column}", table_name="runs")
    op.drop_table("runs")
