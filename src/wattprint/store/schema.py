"""The ledger's tables, as SQLAlchemy Core metadata.

One row in ``runs`` per run, with the footprint flattened into columns so
reports and budgets can filter and sum in SQL; the run's tags, devices,
phases and power trace live in child tables that cascade on delete. Every
child table carries a ``seq`` column so a run reads back in the order it
was written.

Carbon budgets (``budgets``, keyed by project and month, ``"*"`` meaning
every month), the overruns of critical jobs (``budget_overruns``; its
``run_id`` is plain text, as a job may be submitted before its run exists)
and the plan of each carbon-aware run (``carbon_aware``, cascading with its
run) came with revision 0002.

Revision 0003 added accounting: contractual instruments (``instruments``,
market-based Scope 2), reduction ``targets`` (keyed by project, ``"*"``
meaning every project, and metric), the ``offsets`` register (one row per
registry serial) and ``accounting``: one figure per run and kind
(location, location-hourly, market, embodied, water) with its method and
inputs (JSON), cascading with its run.

Revision 0004 added what a run is about: ``runs.model`` (the model name,
``''`` when none was given) and ``run_metrics``, the final value of each
quality metric the user logged (one row per run and metric name, cascading
with its run; it has no ``seq``: metrics read back ordered by name). Its
indexes serve the dashboard's server-side aggregation over many runs: by
model, by zone, by project over time, and by metric name.

Revision 0005 added two covering indexes for the report queries:
``ix_runs_window`` (``started_utc`` first, then every column the window
aggregates read) and ``ix_devices_method_run_id`` (runs with a modelled device).

Revision 0006 added what many hosts and killed trackers need:
``runs.stale_utc``, the time after which a ``running`` run that has not been
written again counts as ``interrupted`` (the tracker's heartbeat: NULL for a
run that has ended or was saved without one), with ``ix_runs_status_stale_utc``
to find such runs; and ``run_parts``, one row per host of a run that several
hosts record under one id (a distributed job): the host's own figures, its
heartbeat and its whole part as JSON (``body``), cascading with its run. The
``runs`` row of such a run is the merge of its parts (:mod:`wattprint.store.parts`).

Revision 0007 added ``ix_runs_ended`` on ``runs(ended_utc)``, so the
Prometheus exporter's query for recently ended runs (:mod:`wattprint.store.recent`)
reads a range of the index instead of every run.

Times are stored as timezone-aware UTC (:class:`UtcDateTime`): PostgreSQL
keeps ``timestamptz``; SQLite, which has no time zone type, stores naive
UTC text and gets ``tzinfo=UTC`` back on read.

The migrations in ``store/migrations/versions`` must build exactly this
schema; ``tests/store/test_migrations.py`` compares them.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)

#: Alembic revision the code expects; equals the head of ``migrations/versions``.
SCHEMA_REVISION = "0007"

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A ``DateTime(timezone=True)`` that only takes and gives aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Reject naive times; store UTC (naive on SQLite, which drops offsets)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; use an aware UTC time")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"unexpected stored time {value!r}")
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _run_fk() -> Column[str]:
    return Column(
        "run_id", String, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
    )


runs = Table(
    "runs",
    metadata,
    Column("id", String, primary_key=True),
    Column("project", String, nullable=False),
    Column("experiment", String, nullable=False),
    # Added by 0004; a SQL literal, not "": Alembic compares an empty string
    # default to SQLite's reflected '' as different.
    Column("model", String, nullable=False, server_default=text("''")),
    Column("status", String, nullable=False),
    Column("started_utc", UtcDateTime, nullable=False),
    Column("ended_utc", UtcDateTime),
    Column("duration_s", Float, nullable=False),
    Column("host", String, nullable=False),
    Column("command", Text, nullable=False),
    Column("exit_code", Integer),
    Column("error", Text, nullable=False),
    Column("flops", Float),
    Column("zone", String, nullable=False),
    Column("zone_how", String, nullable=False),
    Column("zone_note", Text, nullable=False),
    Column("pue", Float, nullable=False),
    Column("pue_source", Text, nullable=False),
    Column("intensity_g_per_kwh", Float, nullable=False),
    Column("intensity_source", Text, nullable=False),
    Column("intensity_zone", String, nullable=False),
    Column("intensity_year", Integer),
    Column("intensity_resolution", String, nullable=False),
    # Per-kind IT energy; NULL means the footprint has no entry for that kind.
    Column("cpu_kwh", Float),
    Column("gpu_kwh", Float),
    Column("ram_kwh", Float),
    Column("other_kwh", Float),
    # Derived totals, stored so SQL reports need not repeat the accounting.
    Column("it_energy_kwh", Float, nullable=False),
    Column("energy_kwh", Float, nullable=False),
    Column("co2e_kg", Float, nullable=False),
    Column("embodied_co2e_kg", Float),
    Column("water_l", Float),
    Column("warnings", Text, nullable=False),  # JSON array of strings
    Column("updated_utc", UtcDateTime, nullable=False),
    Column("stale_utc", UtcDateTime),  # added by 0006: heartbeat deadline of a running run
    Index(None, "project"),
    Index(None, "started_utc"),
    Index(None, "status"),
    Index(None, "model"),
    Index(None, "zone"),
    # Explicit name: the convention names an index after its first column only.
    Index("ix_runs_project_started_utc", "project", "started_utc"),
    # Added by 0005: every column the report window aggregates read, so they
    # scan the index only (report/queries.py).
    Index("ix_runs_window", "started_utc", "project", "model", "zone", "status", "energy_kwh",
          "co2e_kg", "embodied_co2e_kg", "water_l", "duration_s", "id"),
    Index("ix_runs_status_stale_utc", "status", "stale_utc"),  # added by 0006
    # Added by 0007: the exporter's window of recently ended runs (store/recent.py).
    Index("ix_runs_ended", "ended_utc"),
)

run_tags = Table(
    "run_tags",
    metadata,
    _run_fk(),
    Column("tag", String, primary_key=True),
    Column("seq", Integer, nullable=False),
    Index(None, "tag"),
)

devices = Table(
    "devices",
    metadata,
    _run_fk(),
    Column("device_id", String, primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("kind", String, nullable=False),
    Column("idx", Integer, nullable=False),
    Column("name", String, nullable=False),
    Column("method", String, nullable=False),
    Column("sensor", String, nullable=False),
    Column("source", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("energy_j", Float, nullable=False),
    Column("peak_power_w", Float, nullable=False),
    Column("samples", Integer, nullable=False),
    Index("ix_devices_method_run_id", "method", "run_id"),  # added by 0005
)

phases = Table(
    "phases",
    metadata,
    _run_fk(),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("name", String, nullable=False),
    Column("started_utc", UtcDateTime, nullable=False),
    Column("ended_utc", UtcDateTime, nullable=False),
    Column("duration_s", Float, nullable=False),
    Column("energy_by_device_j", Text, nullable=False),  # JSON object device id → J
)

trace_points = Table(
    "trace_points",
    metadata,
    _run_fk(),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("device_id", String, nullable=False),
    Column("t_s", Float, nullable=False),
    Column("power_w", Float, nullable=False),
    Column("utilisation_pct", Float),
    Column("memory_used_bytes", Float),
    Column("temperature_c", Float),
)

run_metrics = Table(
    "run_metrics",
    metadata,
    _run_fk(),
    Column("name", String, primary_key=True),
    Column("value", Float, nullable=False),
    Index(None, "name"),
)

# Added by 0006: the per-host parts of a run recorded by several hosts.
run_parts = Table(
    "run_parts",
    metadata,
    _run_fk(),
    Column("host", String, primary_key=True),
    Column("status", String, nullable=False),
    Column("started_utc", UtcDateTime, nullable=False),
    Column("ended_utc", UtcDateTime),
    Column("duration_s", Float, nullable=False),
    Column("energy_kwh", Float, nullable=False),
    Column("co2e_kg", Float, nullable=False),
    Column("stale_utc", UtcDateTime),
    Column("updated_utc", UtcDateTime, nullable=False),
    Column("body", Text, nullable=False),  # JSON: the host's part as a run (serialize.run_to_dict)
)

budgets = Table(
    "budgets",
    metadata,
    Column("project", String, primary_key=True),
    Column("month", String, primary_key=True),  # "YYYY-MM" or "*" (every month)
    Column("limit_co2e_kg", Float, nullable=False),
    Column("created_utc", UtcDateTime, nullable=False),
    Column("updated_utc", UtcDateTime, nullable=False),
)

budget_overruns = Table(
    "budget_overruns",
    metadata,
    Column("id", String, primary_key=True),
    Column("run_id", String),
    Column("job_name", String, nullable=False),
    Column("project", String, nullable=False),
    Column("month", String, nullable=False),
    Column("expected_co2e_kg", Float, nullable=False),
    Column("actual_co2e_kg", Float),
    Column("overrun_kg", Float, nullable=False),
    Column("tier", String, nullable=False),
    Column("reason", Text, nullable=False),
    Column("recorded_utc", UtcDateTime, nullable=False),
    Index(None, "project"),
)

carbon_aware = Table(
    "carbon_aware",
    metadata,
    _run_fk(),
    Column("planned_zone", String, nullable=False),
    Column("planned_start_utc", UtcDateTime, nullable=False),
    Column("planned_end_utc", UtcDateTime, nullable=False),
    Column("planned_intensity_g_per_kwh", Float, nullable=False),
    Column("achieved_intensity_g_per_kwh", Float),
    Column("expected_co2e_kg", Float, nullable=False),
    Column("baseline_co2e_kg", Float, nullable=False),
    Column("mode", String, nullable=False),
    Column("tier", String, nullable=False),
    Column("waited_s", Float, nullable=False),
    Column("intensity_source", Text, nullable=False),
    Column("updated_utc", UtcDateTime, nullable=False),
)

instruments = Table(
    "instruments",
    metadata,
    Column("id", String, primary_key=True),
    Column("zone", String, nullable=False),
    Column("type", String, nullable=False),  # ppa | rec | go | supplier
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),  # inclusive
    Column("volume_mwh", Float),
    Column("share", Float),  # 0-1
    Column("factor_g_per_kwh", Float),
    Column("supplier", String, nullable=False),
    Column("certificate", String, nullable=False),
    Column("created_utc", UtcDateTime, nullable=False),
    Index(None, "zone"),
)

targets = Table(
    "targets",
    metadata,
    Column("project", String, primary_key=True),  # "*" = every project
    Column("metric", String, primary_key=True),
    Column("baseline", String, nullable=False),
    Column("reduce_pct", Float, nullable=False),
    Column("by_date", Date, nullable=False),
    Column("created_utc", UtcDateTime, nullable=False),
    Column("updated_utc", UtcDateTime, nullable=False),
)

offsets = Table(
    "offsets",
    metadata,
    Column("id", String, primary_key=True),
    Column("tonnes", Float, nullable=False),
    Column("registry", String, nullable=False),
    Column("serial", String, nullable=False),
    Column("vintage", Integer, nullable=False),
    Column("project", String, nullable=False),
    Column("retired_on", Date),
    Column("created_utc", UtcDateTime, nullable=False),
    UniqueConstraint("registry", "serial", name="uq_offsets_registry_serial"),
)

accounting = Table(
    "accounting",
    metadata,
    Column("run_id", String, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String, primary_key=True),
    Column("value", Float, nullable=False),
    Column("unit", String, nullable=False),
    Column("method", String, nullable=False),
    Column("inputs", Text, nullable=False),  # JSON object
    Column("computed_utc", UtcDateTime, nullable=False),
)
