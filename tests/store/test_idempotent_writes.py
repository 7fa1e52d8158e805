"""A run saved twice (a retry, two writers at once, a failed transaction) is stored once."""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sample_runs import make_run
from sqlalchemy import Engine, event, func, select

from wattprint.errors import LedgerError
from wattprint.model import Run, RunStatus
from wattprint.store.ledger import Ledger
from wattprint.store.schema import devices, phases, run_metrics, run_tags, runs, trace_points

_CHILDREN = (run_tags, devices, phases, trace_points, run_metrics)


def _counts(ledger: Ledger) -> dict[str, int]:
    with ledger.reading() as conn:
        out = {"runs": conn.execute(select(func.count()).select_from(runs)).scalar_one()}
        for table in _CHILDREN:
            out[table.name] = conn.execute(select(func.count()).select_from(table)).scalar_one()
    return out


def _expected(run: Run) -> dict[str, int]:
    return {"runs": 1, "run_tags": len(set(run.tags)), "devices": len(run.devices),
            "phases": len(run.phases), "trace_points": len(run.trace),
            "run_metrics": len(run.metrics)}


def _failing(
    ledger_url: str, table: str, error: Callable[[], BaseException], times: int
) -> Callable[..., None]:
    """A cursor hook: the first ``times`` inserts into ``table`` on ``ledger_url``'s
    database raise ``error()``, as the DB-API driver would, mid-transaction."""
    left = [times]
    backend = ledger_url.split(":", 1)[0].split("+", 1)[0]

    def hook(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if conn.dialect.name != backend or not statement.startswith(f"INSERT INTO {table}"):
            return
        if left[0] > 0:
            left[0] -= 1
            raise error()

    return hook


@pytest.fixture
def cursor_hook() -> Iterator[Callable[[Callable[..., None]], None]]:
    installed: list[Callable[..., None]] = []

    def install(hook: Callable[..., None]) -> None:
        event.listen(Engine, "before_cursor_execute", hook)
        installed.append(hook)

    yield install
    for hook in installed:
        event.remove(Engine, "before_cursor_execute", hook)


def test_saving_the_same_run_again_replaces_it(ledger: Ledger) -> None:
    run = make_run("again", trace_points=12)
    for _ in range(3):
        ledger.save_run(run)
    assert _counts(ledger) == _expected(run)
    assert ledger.get_run("again") == run


def test_two_connections_saving_one_run_at_once_store_one_copy(ledger_url: str) -> None:
    # Two ledgers (two engines, two connections) write versions of one run in
    # lock step, as a tracker's flush thread and a retried final save might.
    versions = [
        dataclasses.replace(make_run("shared", trace_points=n), status=RunStatus.RUNNING)
        for n in range(4, 40, 3)
    ]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(ordered: list[Run]) -> None:
        try:
            with Ledger(ledger_url) as mine:
                for run in ordered:
                    barrier.wait(timeout=30)
                    mine.save_run(run)
        except BaseException as e:  # reported below, in the test's thread
            errors.append(e)
            barrier.abort()

    Ledger(ledger_url).open().close()  # migrate once, outside the race
    threads = [threading.Thread(target=writer, args=(order,))
               for order in (versions, versions[::-1])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    with Ledger(ledger_url) as ledger:
        stored = ledger.get_run("shared")
        assert stored in versions  # one writer's whole version, never a mix
        assert _counts(ledger) == _expected(stored)


def test_a_failure_mid_transaction_leaves_the_previous_version(
    ledger: Ledger, ledger_url: str, cursor_hook: Callable[[Callable[..., None]], None]
) -> None:
    first = dataclasses.replace(make_run("mid", trace_points=5), status=RunStatus.RUNNING)
    ledger.save_run(first)
    final = make_run("mid", trace_points=9)
    # Not transient (a full disk): no retry inside save_run; the caller sees it.
    error: Callable[[], BaseException] = (
        (lambda: sqlite3.OperationalError("database or disk is full"))
        if ledger_url.startswith("sqlite") else _pg_error("DiskFull")
    )
    cursor_hook(_failing(ledger_url, "trace_points", error, times=1))
    with pytest.raises(LedgerError, match="(?i)full"):
        ledger.save_run(final)
    assert ledger.get_run("mid") == first  # rolled back whole: old trace, old status
    assert _counts(ledger) == _expected(first)
    ledger.save_run(final)  # the caller's retry
    assert ledger.get_run("mid") == final
    assert _counts(ledger) == _expected(final)


def test_a_transient_failure_is_retried_inside_save_run(
    ledger_url: str, cursor_hook: Callable[[Callable[..., None]], None]
) -> None:
    error: Callable[[], BaseException] = (
        (lambda: sqlite3.OperationalError("database is locked"))
        if ledger_url.startswith("sqlite") else _pg_error("SerializationFailure")
    )
    cursor_hook(_failing(ledger_url, "devices", error, times=2))
    run = make_run("retried", trace_points=7)
    with Ledger(ledger_url, retry_delays_s=(0.0, 0.0)) as ledger:
        ledger.save_run(run)
        assert ledger.get_run("retried") == run
        assert _counts(ledger) == _expected(run)


def test_retries_are_bounded(
    ledger_url: str, cursor_hook: Callable[[Callable[..., None]], None]
) -> None:
    error: Callable[[], BaseException] = (
        (lambda: sqlite3.OperationalError("database is locked"))
        if ledger_url.startswith("sqlite") else _pg_error("DeadlockDetected")
    )
    cursor_hook(_failing(ledger_url, "phases", error, times=3))
    with Ledger(ledger_url, retry_delays_s=(0.0, 0.0)) as ledger:
        with pytest.raises(LedgerError, match="save run bounded"):
            ledger.save_run(make_run("bounded"))
        assert ledger.list_runs() == []
        ledger.save_run(make_run("bounded"))  # the hook is spent: a later save works
        assert _counts(ledger) == _expected(make_run("bounded"))


def _pg_error(name: str) -> Callable[[], BaseException]:
    import psycopg.errors

    cls = getattr(psycopg.errors, name)
    return lambda: cls(f"simulated {name}")
