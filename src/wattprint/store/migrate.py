"""Bring a ledger database to the schema this code expects.

Opening a ledger that is already current costs one query
(``SELECT version_num FROM alembic_version``); Alembic is imported and run
only when that answer differs from :data:`~wattprint.store.schema.SCHEMA_REVISION`.
The upgrade holds a lock (SQLite's write lock, or a PostgreSQL advisory lock)
and re-reads the revision under it, so processes that open a new ledger at
the same moment migrate it once.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from wattprint.errors import LedgerError
from wattprint.store.engine import mask, writing
from wattprint.store.schema import SCHEMA_REVISION

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: Key of the PostgreSQL advisory lock held while migrating (arbitrary, fixed).
_PG_LOCK_KEY = 0x77617474  # "watt"


def current_revision(engine: Engine) -> str | None:
    """The ledger's Alembic revision, or None when it has no version table."""
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError:
            # No version table yet (a new database); the probe's transaction is rolled back.
            return None


def upgrade(engine: Engine) -> None:
    """Migrate the database behind ``engine`` to the head revision.

    Raises:
        LedgerError: The database is at a revision this code does not know
            (a newer wattprint wrote it), or a migration failed.
    """
    if current_revision(engine) == SCHEMA_REVISION:
        return
    from alembic import command
    from alembic.config import Config
    from alembic.util import CommandError

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    with writing(engine.connect()) as conn, conn.begin():
        _lock(conn)
        config.attributes["connection"] = conn
        logger.info("migrating ledger %s to revision %s", mask(engine.url), SCHEMA_REVISION)
        try:
            command.upgrade(config, "head")
        except CommandError as e:
            raise LedgerError(
                f"cannot migrate ledger {mask(engine.url)} to schema {SCHEMA_REVISION}: {e} "
                "(was it written by a newer wattprint? upgrade wattprint)"
            ) from e


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    # SQLite: the connection began with BEGIN IMMEDIATE and already holds the write lock.
