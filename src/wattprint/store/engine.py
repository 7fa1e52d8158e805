"""Engines for the ledger: URL handling, SQLite pragmas and write locks.

SQLite is opened in WAL mode with ``synchronous=NORMAL`` (durable across
application crashes, and fast), a 30 s ``busy_timeout`` and foreign keys on.
pysqlite's own transaction handling is switched off so that SQLAlchemy emits
``BEGIN`` itself: writers ask for ``BEGIN IMMEDIATE`` (see :func:`writing`),
which takes SQLite's write lock up front and so waits on ``busy_timeout``
instead of failing with "database is locked" when another process upgrades
its read lock at the same moment.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, create_engine, event, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import StaticPool

from wattprint.errors import LedgerError, MissingExtraError

#: How long a SQLite writer waits for another writer's lock.
BUSY_TIMEOUT_MS = 30_000
_WRITE_OPTION = "wattprint_write"
# "scheme://user:password@" in text SQLAlchemy cannot parse.
_USERINFO_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


def to_url(url_or_path: str) -> URL:
    """Parse a SQLAlchemy URL or a plain file path (→ SQLite) into a URL.

    ``postgresql://`` and ``postgres://`` get the psycopg (v3) driver, the
    one the ``postgres`` extra installs.

    Raises:
        LedgerError: The text is neither a valid URL nor a path.
    """
    text = url_or_path.strip()
    if not text:
        raise LedgerError("empty ledger URL; set WATTPRINT_DB to a path or a SQLAlchemy URL")
    if "://" not in text:
        path = Path(text).expanduser().absolute()
        return URL.create("sqlite", database=str(path))
    if text.startswith("postgres://"):
        text = "postgresql://" + text[len("postgres://") :]
    try:
        url = make_url(text)
    except (ArgumentError, ValueError) as e:
        raise LedgerError(f"invalid ledger URL {mask(text)!r}: {e}") from e
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


def mask(url: URL | str) -> str:
    """The URL as text with any password replaced by ``***``."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _USERINFO_PASSWORD.sub(r"\1***@", url)


def sqlite_path(url: URL) -> Path | None:
    """The database file of a SQLite URL; None for in-memory or other backends."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def make_engine(url: URL) -> Engine:
    """Create the engine for ``url`` (SQLite pragmas installed; nothing connects yet).

    Raises:
        LedgerError: The backend is unknown.
        MissingExtraError: The PostgreSQL driver is not installed.
    """
    kwargs: dict[str, Any] = {}
    is_sqlite = url.get_backend_name() == "sqlite"
    if is_sqlite and sqlite_path(url) is None:
        # One shared connection, or each thread would see its own empty database.
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    try:
        engine = create_engine(url, **kwargs)
    except ModuleNotFoundError as e:
        if url.get_backend_name() == "postgresql":
            raise MissingExtraError("psycopg", "postgres") from e
        raise LedgerError(f"no driver for ledger URL {mask(url)}: {e}") from e
    except ArgumentError as e:
        raise LedgerError(f"unsupported ledger URL {mask(url)}: {e}") from e
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def writing(conn: Connection) -> Connection:
    """Mark ``conn`` so its next transaction is a write transaction."""
    return conn.execution_options(**{_WRITE_OPTION: True})


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _enable_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _enable_wal(cursor: Any) -> None:
    """Switch to WAL mode, retrying while another process creates the file.

    Changing the journal mode does not wait on ``busy_timeout``: two processes
    opening a new ledger at once would otherwise fail at once with "database
    is locked". Once the file is in WAL mode (it stays so) this is one query.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay_s = 0.01
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
        time.sleep(delay_s)
        delay_s = min(delay_s * 2, 0.2)


def _sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get(_WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def ensure_parent(url: URL) -> None:
    """Create the directory of a SQLite file.

    Raises:
        LedgerError: The directory cannot be created or written.
    """
    path = sqlite_path(url)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise LedgerError(f"cannot create ledger directory {path.parent}: {e.strerror}") from e
    target = path if path.exists() else path.parent
    if not os.access(target, os.W_OK):
        raise LedgerError(f"ledger {path} is not writable (check its permissions or WATTPRINT_DB)")


def upsert(
    conn: Connection, table: Table, values: Mapping[str, Any], keys: Sequence[str],
    *, keep: Sequence[str] = (),
) -> None:
    """Insert ``values`` into ``table``, or update the row with the same ``keys``.

    Columns named in ``keep`` (a ``created_utc``) are written on insert only.
    SQLite and PostgreSQL use ``INSERT ... ON CONFLICT DO UPDATE``; any other
    backend falls back to an update, then an insert.
    """
    dialect = conn.dialect.name
    changed_names = [k for k in values if k not in keys and k not in keep]
    if dialect in ("sqlite", "postgresql"):
        make_insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
        stmt = make_insert(table).values(dict(values))
        changed = {k: stmt.excluded[k] for k in changed_names}
        index = [table.c[k] for k in keys]
        conn.execute(stmt.on_conflict_do_update(index_elements=index, set_=changed))
        return
    where = and_(*(table.c[k] == values[k] for k in keys))
    found = conn.execute(update(table).where(where).values({k: values[k] for k in changed_names}))
    if not found.rowcount:
        conn.execute(insert(table).values(dict(values)))


#: SQLSTATEs of PostgreSQL errors that a retried transaction may not meet again:
#: serialization_failure and deadlock_detected.
_PG_RETRYABLE = frozenset({"40001", "40P01"})


def is_transient(error: DBAPIError) -> bool:
    """True when a write failed for a reason that a retry of its transaction may not meet.

    That is a PostgreSQL serialization failure or deadlock, a dropped
    connection (SQLAlchemy invalidates it, so the retry gets a new one), or a
    SQLite writer that waited out ``busy_timeout``. Anything else (a full
    disk, a constraint, a bad value) fails the same way again.
    """
    if error.connection_invalidated:
        return True
    orig = error.orig
    if getattr(orig, "sqlstate", None) in _PG_RETRYABLE:
        return True
    if isinstance(orig, sqlite3.OperationalError):
        text = str(orig)
        return "database is locked" in text or "database is busy" in text
    return False
