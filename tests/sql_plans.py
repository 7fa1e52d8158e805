"""What a piece of code asks the database, and the plan the database makes for it.

A helper of the query-plan tests (imported as a top-level module: pytest puts
this directory on sys.path).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, event


@contextmanager
def statements(conn: Connection) -> Iterator[list[tuple[str, Any]]]:
    """Collect ``(statement, parameters)`` of everything ``conn`` executes in the block."""
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        seen.append((statement, params))

    event.listen(conn, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(conn, "before_cursor_execute", capture)


def plan(conn: Connection, statement: str, params: Any) -> str:
    """The database's plan of ``statement``, its lines joined by `` | ``.

    SQLite: ``EXPLAIN QUERY PLAN``. PostgreSQL: ``EXPLAIN``.
    """
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
        return " | ".join(row[-1] for row in rows)
    return " | ".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, params))
