"""The ledger's accounting records: instruments, targets, offsets and per-run figures.

:class:`AccountsMixin` gives :class:`~wattprint.store.ledger.Ledger` its
accounting methods; the row mapping is here too. Like the rest of the store
it knows only the values of :mod:`wattprint.model`: the rules (overlapping
instruments, offset validation) live in :mod:`wattprint.account` and are
passed in where they must run inside the write transaction.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from wattprint.clock import Clock
from wattprint.errors import ConfigError, RunNotFoundError
from wattprint.model import AccountedFigure, CarbonAwareRecord, Instrument, Offset, Target
from wattprint.store import carbon_aware as carbon_aware_rows
from wattprint.store.engine import upsert
from wattprint.store.schema import (
    accounting,
    carbon_aware,
    instruments,
    offsets,
    runs,
    targets,
)

#: Called inside the write transaction with the new instrument and those
#: already recorded for its zone; raises to refuse it.
InstrumentCheck = Callable[[Instrument, Sequence[Instrument]], None]


def new_id() -> str:
    """A fresh, short record id."""
    return uuid.uuid4().hex[:12]


class AccountsMixin:
    """Accounting methods of the ledger (needs ``_connect``, ``_errors``, ``_clock``)."""

    _clock: Clock

    def _connect(self, *, write: bool = False) -> contextlib.AbstractContextManager[Connection]:
        raise NotImplementedError  # pragma: no cover - provided by Ledger

    def _errors(self, action: str) -> contextlib.AbstractContextManager[None]:
        raise NotImplementedError  # pragma: no cover - provided by Ledger

    # -- contractual instruments --------------------------------------------------------

    def add_instrument(self, inst: Instrument, check: InstrumentCheck | None = None) -> Instrument:
        """Record a contractual instrument (a fresh id and ``created_utc`` are set).

        Args:
            inst: The instrument; its ``id`` is replaced when empty.
            check: Run with the zone's recorded instruments before inserting
                (e.g. :func:`wattprint.account.market.check_overlap`).
        """
        saved = dataclasses.replace(inst, id=inst.id or new_id(), created_utc=self._clock.now())
        with self._errors("record instrument"), self._connect(write=True) as conn:
            if check is not None:
                check(saved, _select_instruments(conn, None))
            conn.execute(instruments.insert().values(dataclasses.asdict(saved)))
        return saved

    def instruments(self, zone: str | None = None) -> list[Instrument]:
        """Recorded instruments (of one zone, case-insensitive), by start date, then as recorded."""
        with self._errors("list instruments"), self._connect() as conn:
            found = _select_instruments(conn, None)
        return [i for i in found if zone is None or i.zone.lower() == zone.lower()]

    # -- targets ------------------------------------------------------------------------

    def set_target(self, target: Target) -> Target:
        """Insert or replace the target of ``(project, metric)``."""
        now = self._clock.now()
        values = dataclasses.asdict(target)
        values.update(created_utc=now, updated_utc=now)
        with self._errors(f"set target of {target.project}"), self._connect(write=True) as conn:
            upsert(conn, targets, values, ["project", "metric"], keep=["created_utc"])
            row = conn.execute(select(targets).where(
                targets.c.project == target.project, targets.c.metric == target.metric,
            )).mappings().one()
        return _target(row)

    def targets(self, project: str | None = None) -> list[Target]:
        """Targets (of one project), by project then metric."""
        stmt = select(targets).order_by(targets.c.project, targets.c.metric)
        if project is not None:
            stmt = stmt.where(targets.c.project == project)
        with self._errors("list targets"), self._connect() as conn:
            return [_target(row) for row in conn.execute(stmt).mappings()]

    # -- offsets ------------------------------------------------------------------------

    def add_offset(self, offset: Offset) -> Offset:
        """Record an offset (fresh id, ``created_utc``).

        Raises:
            ConfigError: The registry already holds this serial.
        """
        saved = dataclasses.replace(offset, id=offset.id or new_id(),
                                    created_utc=self._clock.now())
        with self._errors("record offset"), self._connect(write=True) as conn:
            dup = conn.execute(select(offsets.c.id).where(
                offsets.c.registry == saved.registry, offsets.c.serial == saved.serial)).first()
            if dup is not None:
                raise ConfigError(f"offset {saved.registry} {saved.serial} is already in the "
                                  f"register (id {dup[0]}); credits can be claimed once")
            conn.execute(offsets.insert().values(dataclasses.asdict(saved)))
        return saved

    def offsets(self, project: str | None = None) -> list[Offset]:
        """The offsets register (of one project), oldest record first."""
        stmt = select(offsets).order_by(offsets.c.created_utc, offsets.c.id)
        if project is not None:
            stmt = stmt.where(offsets.c.project == project)
        with self._errors("list offsets"), self._connect() as conn:
            return [Offset(**dict(row)) for row in conn.execute(stmt).mappings()]

    # -- per-run figures ----------------------------------------------------------------

    def save_accounting(self, figures: Sequence[AccountedFigure]) -> list[AccountedFigure]:
        """Insert or replace figures (one per run and kind), stamped ``computed_utc``.

        Raises:
            RunNotFoundError: A figure's run is not in the ledger.
        """
        now = self._clock.now()
        saved = [dataclasses.replace(f, computed_utc=now) for f in figures]
        with self._errors("save accounting"), self._connect(write=True) as conn:
            for run_id in sorted({f.run_id for f in saved}):
                if conn.execute(select(runs.c.id).where(runs.c.id == run_id)).first() is None:
                    raise RunNotFoundError(f"no run with id {run_id!r}; save the run first")
            for fig in saved:
                upsert(conn, accounting, _figure_values(fig), ["run_id", "kind"])
        return saved

    def accounting(self, run_ids: Sequence[str]) -> dict[str, dict[str, AccountedFigure]]:
        """Stored figures of these runs: run id → kind → figure (every id has an entry)."""
        out: dict[str, dict[str, AccountedFigure]] = {rid: {} for rid in run_ids}
        with self._errors("read accounting"), self._connect() as conn:
            for start in range(0, len(run_ids), 500):
                chunk = list(run_ids[start:start + 500])
                stmt = select(accounting).where(accounting.c.run_id.in_(chunk))
                for row in conn.execute(stmt).mappings():
                    out[row["run_id"]][row["kind"]] = _figure(row)
        return out

    def shifts(
        self, since: datetime, until: datetime, project: str | None = None
    ) -> list[tuple[CarbonAwareRecord, float]]:
        """Carbon-aware records of runs started in ``[since, until)``.

        Each comes with the run's stored (achieved) emissions in kg CO2e.
        """
        stmt = (
            select(carbon_aware, runs.c.co2e_kg.label("run_co2e_kg"))
            .join(runs, runs.c.id == carbon_aware.c.run_id)
            .where(runs.c.started_utc >= since, runs.c.started_utc < until)
            .order_by(runs.c.started_utc, runs.c.id)
        )
        if project is not None:
            stmt = stmt.where(runs.c.project == project)
        with self._errors("read carbon-aware records"), self._connect() as conn:
            return [(carbon_aware_rows.from_row(row), float(row["run_co2e_kg"]))
                    for row in conn.execute(stmt).mappings()]


def _select_instruments(conn: Connection, zone: str | None) -> list[Instrument]:
    stmt = select(instruments).order_by(
        instruments.c.start_date, instruments.c.created_utc, instruments.c.id)
    if zone is not None:
        stmt = stmt.where(instruments.c.zone == zone)
    return [Instrument(**dict(row)) for row in conn.execute(stmt).mappings()]


def _target(row: Mapping[Any, Any]) -> Target:
    return Target(project=row["project"], metric=row["metric"], baseline=row["baseline"],
                  reduce_pct=row["reduce_pct"], by_date=row["by_date"],
                  created_utc=row["created_utc"])


def _figure_values(fig: AccountedFigure) -> dict[str, Any]:
    return {"run_id": fig.run_id, "kind": fig.kind, "value": fig.value, "unit": fig.unit,
            "method": fig.method, "inputs": json.dumps(dict(fig.inputs), default=str),
            "computed_utc": fig.computed_utc}


def _figure(row: Mapping[Any, Any]) -> AccountedFigure:
    return AccountedFigure(run_id=row["run_id"], kind=row["kind"], value=row["value"],
                           unit=row["unit"], method=row["method"],
                           inputs=json.loads(row["inputs"]), computed_utc=row["computed_utc"])
