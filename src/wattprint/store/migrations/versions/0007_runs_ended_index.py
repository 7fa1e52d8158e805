"""An index on ``runs.ended_utc`` for the Prometheus exporter's window of ended runs.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

``ix_runs_ended`` on ``runs(ended_utc)``: each scrape of ``wattprint
exporter`` asks for the runs that ended in the last ``window_s``
(:mod:`wattprint.store.recent`); without an index on ``ended_utc`` SQLite
scanned every run for it. With the index the ended half of the query is a
range scan of the window (running runs already come from ``ix_runs_status``):
with 100,000 runs a scrape's query went from about 30 ms to 1 ms
(``bench/exporter.py``, ``BENCHMARKS.md``).
No data changes.

Written out in full (like 0001-0006); ``tests/store/test_migrations.py``
checks that the migrations build exactly ``schema.metadata``.
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``ix_runs_ended``."""
    op.create_index("ix_runs_ended", "runs", ["ended_utc"])


def downgrade() -> None:
    """Drop ``ix_runs_ended``."""
    op.drop_index("ix_runs_ended", table_name="runs")
