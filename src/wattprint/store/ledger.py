"""The ledger: every run, in SQLite (default) or PostgreSQL.

:class:`Ledger` stores and returns :class:`~wattprint.model.Run` values.
It is a thin shell: the row mapping lives in :mod:`wattprint.store.rows`,
URL and SQLite handling in :mod:`wattprint.store.engine`, schema upgrades in
:mod:`wattprint.store.migrate`, writing runs and their parts in
:mod:`wattprint.store.writes`, the accounting records (instruments,
targets, offsets, per-run figures) in :mod:`wattprint.store.accounts`, and
budgets, overruns and carbon-aware plans in :mod:`wattprint.store.planning`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from wattprint.clock import Clock, SystemClock
from wattprint.errors import LedgerError, RunNotFoundError
from wattprint.model import (
    Footprint,
    Run,
    RunPart,
    RunStatus,
    ZoneChoice,
)
from wattprint.store import migrate, parts, rows, writes
from wattprint.store.accounts import AccountsMixin
from wattprint.store.engine import (
    ensure_parent,
    is_transient,
    make_engine,
    mask,
    sqlite_path,
    to_url,
    writing,
)
from wattprint.store.planning import PlanningMixin
from wattprint.store.schema import run_tags, runs

logger = logging.getLogger(__name__)


def default_url(env: Mapping[str, str] = os.environ) -> str:
    """The ledger URL: ``WATTPRINT_DB`` if set, else ``<user data dir>/ledger.db``.

    ``WATTPRINT_DB`` may be a SQLAlchemy URL (``postgresql://user@host/db``)
    or a plain file path, which means a SQLite file.
    """
    value = env.get("WATTPRINT_DB", "").strip()
    if value:
        return to_url(value).render_as_string(hide_password=False)
    import platformdirs

    path = Path(platformdirs.user_data_dir("wattprint")) / "ledger.db"
    return URL.create("sqlite", database=str(path)).render_as_string(hide_password=False)


class Ledger(AccountsMixin, PlanningMixin):
    """Stores runs; SQLite by default, PostgreSQL for teams.

    The constructor only parses the URL; :meth:`open` (or ``with``) creates
    the SQLite directory, connects and migrates the schema. Each
    :meth:`save_run` replaces the whole run in one transaction, so the tracker
    may call it at start, on every flush and at the end. The ledger may be
    shared between threads (a flush thread writing while the main thread
    reads); with SQLite in WAL mode, several processes may write at once.

    Example:
        >>> with Ledger("sqlite://") as ledger:      # in-memory
        ...     ledger.list_runs(project="demo")
        []

    Args:
        url: SQLAlchemy URL or SQLite file path; default :func:`default_url`.
        clock: Source of ``updated_utc`` stamps.
        retry_delays_s: Waits before each retry of a transiently failed
            :meth:`save_run` (real seconds; their count bounds the retries).

    Raises:
        LedgerError: ``url`` cannot be parsed.
    """

    def __init__(
        self, url: str | None = None, *, clock: Clock | None = None,
        retry_delays_s: Sequence[float] = (0.05, 0.2, 1.0),
    ) -> None:
        self._url = to_url(default_url() if url is None else url)
        self._clock: Clock = clock or SystemClock()
        self._retry_delays_s = tuple(retry_delays_s)
        self._engine: Engine | None = None
        self._open_lock = threading.Lock()
        # An in-memory SQLite database is one shared connection: serialise its use.
        in_memory = self._url.get_backend_name() == "sqlite" and sqlite_path(self._url) is None
        self._use_lock: contextlib.AbstractContextManager[Any] = (
            threading.RLock() if in_memory else contextlib.nullcontext()
        )

    @property
    def url(self) -> str:
        """The ledger URL with any password masked."""
        return mask(self._url)

    def __repr__(self) -> str:
        return f"Ledger({self.url!r})"

    def open(self) -> Ledger:
        """Connect and migrate; a second call does nothing.

        Raises:
            LedgerError: The path is not writable, the server unreachable,
                the database locked too long or the migration failed.
            MissingExtraError: The PostgreSQL driver is missing.
        """
        with self._open_lock:
            if self._engine is not None:
                return self
            ensure_parent(self._url)
            engine = make_engine(self._url)
            try:
                with self._errors("open ledger"):
                    migrate.upgrade(engine)
            except BaseException:
                engine.dispose()
                raise
            self._engine = engine
        return self

    def close(self) -> None:
        """Release connections; the ledger can be opened again."""
        with self._open_lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    def __enter__(self) -> Ledger:
        return self.open()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def save_run(self, run: Run, *, stale_after_s: float | None = None) -> None:
        """Insert or replace ``run`` (row, tags, devices, phases, trace, metrics) atomically.

        The stored metric set becomes exactly ``run.metrics``: a metric the
        new value lacks is removed. Saving the same run again (a retry, a
        flush, another process) replaces it: nothing is ever counted twice. A
        transaction that fails for a transient reason (PostgreSQL
        serialization failure or deadlock, a dropped connection, SQLite busy
        past its timeout) rolls back whole and is retried after each of
        ``retry_delays_s``.

        Args:
            run: The run as it stands.
            stale_after_s: The writer's heartbeat: a ``running`` run not
                saved again within this many seconds reads as ``interrupted``
                (its tracker was killed). The tracker passes three flush
                intervals; None (or an ended run) sets no deadline.

        Raises:
            LedgerError: The database cannot be written, or a metric value is
                not a finite number.
        """
        now = self._clock.now()
        values = rows.run_values(run, now)
        values["stale_utc"] = writes.stale_deadline(run, now, stale_after_s)
        children = rows.child_rows(run)
        self._retrying(f"save run {run.id}", lambda conn: writes.write_run(conn, values, children))

    def save_part(self, run: Run, *, stale_after_s: float | None = None) -> Run:
        """Record ``run`` as host ``run.host``'s part of run ``run.id``; returns the merged run.

        For runs that several hosts record under one id (a distributed job):
        each host saves its own part as often as it likes (an upsert by run
        and host, retried like :meth:`save_run`), and the run row, devices,
        phases and trace become the merge of every part
        (:mod:`wattprint.store.parts`): totals are sums over hosts.
        ``stale_after_s`` is the part's heartbeat, as in :meth:`save_run`.

        Raises:
            LedgerError: The database cannot be written, or a metric value is
                not a finite number.
        """
        now = self._clock.now()
        stale_utc = writes.stale_deadline(run, now, stale_after_s)
        rows.child_rows(run)  # validate (metrics) before writing anything
        merged: Run = self._retrying(f"save part {run.host!r} of run {run.id}",
                                     lambda conn: writes.write_part(conn, run, now, stale_utc))
        return merged

    def run_parts(self, run_id: str) -> list[RunPart]:
        """The per-host parts of the run with exactly this id, by host ([] for a one-host run)."""
        with self._errors(f"read parts of run {run_id}"), self._connect() as conn:
            return parts.summaries(conn, run_id, self._clock.now())

    def _retrying(self, action: str, write: Any) -> Any:
        """``write(conn)`` in one write transaction, retried on transient failures."""
        with self._errors(action):
            for attempt, delay_s in enumerate((*self._retry_delays_s, None)):
                try:
                    with self._connect(write=True) as conn:
                        return write(conn)
                except DBAPIError as e:
                    if delay_s is None or not is_transient(e):
                        raise
                    logger.info("%s failed (%s); retry %d", action, e.orig, attempt + 1)
                threading.Event().wait(delay_s)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def reap_stale(self) -> list[str]:
        """Record running runs past their heartbeat deadline as ``interrupted``; their ids.

        Every read (:meth:`get_run`, :meth:`list_runs`, :meth:`reading`) does
        this first, so a killed tracker's run shows as interrupted on the next
        look. It writes only when such a run exists; on a read-only ledger it
        logs why and changes nothing.
        """
        now = self._clock.now()
        try:
            with self._connect() as conn:
                if not writes.any_stale(conn, now):
                    return []
            with self._connect(write=True) as conn:
                return writes.reap_stale(conn, now)
        except SQLAlchemyError as e:
            logger.info("cannot mark stale runs interrupted in %s: %s", self.url, _reason(e))
            return []

    def get_run(self, id_or_prefix: str) -> Run:
        """The run with this id, or the only run whose id starts with it.

        Raises:
            RunNotFoundError: No run matches, or the prefix matches several.
        """
        self.reap_stale()
        with self._errors("read run"), self._connect() as conn:
            run_id = self._resolve(conn, id_or_prefix)
            row = conn.execute(select(runs).where(runs.c.id == run_id)).mappings().one()
            children = writes.load_children(conn, [run_id], trace=True)
        return rows.build_run(row, children[run_id])

    def list_runs(
        self, *, project: str | None = None, tag: str | None = None,
        status: RunStatus | str | None = None, since: datetime | None = None,
        until: datetime | None = None, limit: int | None = None, model: str | None = None,
    ) -> list[Run]:
        """Runs matching every given filter, newest first, without their traces.

        ``since`` is inclusive and ``until`` exclusive, both on ``started_utc``
        and both aware datetimes. ``model`` matches the model name exactly
        (``""`` selects the runs recorded without one).
        """
        for name, value in (("since", since), ("until", until)):
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} must be an aware datetime, got {value.isoformat()}")
        stmt = select(runs).order_by(runs.c.started_utc.desc(), runs.c.id.desc())
        if project is not None:
            stmt = stmt.where(runs.c.project == project)
        if model is not None:
            stmt = stmt.where(runs.c.model == model)
        if status is not None:
            stmt = stmt.where(runs.c.status == RunStatus(status).value)
        if tag is not None:
            stmt = stmt.where(runs.c.id.in_(select(run_tags.c.run_id).where(run_tags.c.tag == tag)))
        if since is not None:
            stmt = stmt.where(runs.c.started_utc >= since)
        if until is not None:
            stmt = stmt.where(runs.c.started_utc < until)
        if limit is not None:
            stmt = stmt.limit(limit)
        self.reap_stale()
        with self._errors("list runs"), self._connect() as conn:
            found = conn.execute(stmt).mappings().all()
            children = writes.load_children(conn, [r["id"] for r in found], trace=False)
        return [rows.build_run(r, children[r["id"]]) for r in found]

    def delete_run(self, run_id: str) -> None:
        """Delete the run with exactly this id (and its tags, devices, phases, trace, metrics).

        Raises:
            RunNotFoundError: No run has this id.
        """
        with self._errors(f"delete run {run_id}"), self._connect(write=True) as conn:
            gone = conn.execute(delete(runs).where(runs.c.id == run_id)).rowcount
        if not gone:
            raise RunNotFoundError(f"no run with id {run_id!r} in ledger {self.url}")

    def update_footprint(self, run_id: str, footprint: Footprint, zone_choice: ZoneChoice) -> None:
        """Replace a stored run's footprint and zone choice (``wattprint recompute``).

        Raises:
            RunNotFoundError: No run has this id.
        """
        values = rows.footprint_values(footprint, zone_choice)
        values["updated_utc"] = self._clock.now()
        stmt = update(runs).where(runs.c.id == run_id).values(values)
        with self._errors(f"update run {run_id}"), self._connect(write=True) as conn:
            changed = conn.execute(stmt).rowcount
        if not changed:
            raise RunNotFoundError(f"no run with id {run_id!r} in ledger {self.url}")

    def import_fallbacks(self, directory: Path | None = None) -> list[str]:
        """Save runs from JSON fallback files, deleting each file once saved.

        Args:
            directory: Where the files are; default: both default fallback dirs.

        Returns:
            Ids of the imported runs.
        """
        from wattprint.store.serialize import is_part_file, load_fallbacks

        imported = []
        for path, run in load_fallbacks(directory).items():
            if is_part_file(path):
                self.save_part(run)
            else:
                self.save_run(run)
            path.unlink(missing_ok=True)
            imported.append(run.id)
        return imported

    def _resolve(self, conn: Connection, id_or_prefix: str) -> str:
        if conn.execute(select(runs.c.id).where(runs.c.id == id_or_prefix)).first():
            return id_or_prefix
        # substr, not LIKE: exact and case-sensitive on every backend.
        prefix = func.substr(runs.c.id, 1, len(id_or_prefix))
        stmt = select(runs.c.id).where(prefix == id_or_prefix).order_by(runs.c.id).limit(6)
        ids = list(conn.execute(stmt).scalars()) if id_or_prefix else []
        if len(ids) == 1:
            return str(ids[0])
        if not ids:
            raise RunNotFoundError(f"no run with id or id prefix {id_or_prefix!r} in {self.url}")
        shown = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
        raise RunNotFoundError(
            f"run id prefix {id_or_prefix!r} is ambiguous (matches {shown}); give more characters"
        )

    @contextlib.contextmanager
    def reading(self) -> Iterator[Connection]:
        """One read transaction for aggregate queries (dashboard, reports).

        Raises:
            LedgerError: The ledger is not open, or a query failed.
        """
        self.reap_stale()
        with self._errors("read the ledger"), self._connect() as conn:
            yield conn

    @contextlib.contextmanager
    def _connect(self, *, write: bool = False) -> Iterator[Connection]:
        if self._engine is None:
            raise LedgerError(f"ledger {self.url} is not open; call open() or use `with`")
        with self._use_lock, self._engine.connect() as conn:
            if write:
                writing(conn)
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as e:
            raise LedgerError(f"cannot {action} in {self.url}: {_reason(e)}") from e


def _reason(e: SQLAlchemyError) -> str:
    """One line saying why a database call failed."""
    cause: Any = e.orig if isinstance(e, DBAPIError) else e
    text = " ".join(str(cause).split())
    if "database is locked" in text:
        text += " (another process held the database for more than 30 s)"
    return text

