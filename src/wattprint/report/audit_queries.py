"""The SQL aggregates the audit report needs beyond :mod:`wattprint.report.queries`.

:mod:`~wattprint.report.queries` gives totals, the daily series and the top
projects, models and runs; this module adds what only the audit asks:

* :func:`method_energy` — IT energy by how it was measured (counter, sampled
  power, modelled), summed over the ``devices`` rows of the window's runs;
  the part of the runs' IT energy no device row carries is "not itemised";
* :func:`usage` — runs and energy by PUE, by intensity source and
  resolution, and by zone and how the zone was chosen;
* :func:`accounting_methods` — stored accounting figures by kind and method;
* :func:`accounting_sources` — the distinct data sources named in the stored
  embodied, water, market and hourly figures' inputs (JSON text, which no SQL
  dialect both backends share can unpack, so the one ``inputs`` column of
  those figures is streamed and only the distinct sources are kept);
* :func:`wasted_runs` — failed or interrupted runs that used energy;
* :func:`quality` — counts behind the data-quality section.

Every function takes a connection from
:meth:`~wattprint.store.ledger.Ledger.reading` and a ``[start_utc, end_utc)``
window on ``runs.started_utc`` (of one project when given), and returns
frozen values. Portable across SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, exists, func, select

from wattprint.report._sql import count_if, failed, total, window
from wattprint.store.schema import accounting, devices, runs

#: Zone choices that are assumptions rather than facts (see ``ZoneChoice.how``).
ASSUMED_ZONE_HOWS = ("timezone", "world-default")
_J_PER_KWH = 3.6e6


@dataclass(frozen=True)
class Usage:
    """Runs and facility energy sharing one value of a grouping key."""

    key: tuple[str, ...]
    runs: int
    energy_kwh: float


@dataclass(frozen=True)
class UsageTables:
    """What the period's runs used: PUE, intensity figures and zones."""

    pue: tuple[Usage, ...]
    intensity: tuple[Usage, ...]
    zones: tuple[Usage, ...]


@dataclass(frozen=True)
class MethodUse:
    """Stored accounting figures of one kind and method: how many and their sum."""

    kind: str
    method: str
    runs: int
    total: float
    unit: str


@dataclass(frozen=True)
class WastedRun:
    """A failed or interrupted run and the energy it used."""

    id: str
    project: str
    model: str
    status: str
    started_utc: datetime
    duration_s: float
    energy_kwh: float
    co2e_kg: float
    error: str


@dataclass(frozen=True)
class Quality:
    """Counts behind the data-quality section (runs of the window)."""

    runs: int
    modelled_runs: int
    modelled_energy_kwh: float
    all_modelled_runs: int
    no_device_runs: int
    unaccounted_runs: int
    running_runs: int
    no_model_runs: int


def method_energy(conn: Connection, start_utc: datetime, end_utc: datetime,
                  project: str | None = None) -> dict[str, float]:
    """IT energy (kWh) by measurement method, with ``"not itemised"`` for the rest."""
    cond = window(start_utc, end_utc, project)
    stmt = (select(devices.c.method, total(devices.c.energy_j))
            .join(runs, runs.c.id == devices.c.run_id).where(cond)
            .group_by(devices.c.method).order_by(devices.c.method))
    out = {str(m): float(j) / _J_PER_KWH for m, j in conn.execute(stmt)}
    it_kwh = float(conn.execute(select(total(runs.c.it_energy_kwh)).where(cond)).scalar_one())
    rest = it_kwh - sum(out.values())
    # Device energies and the run's IT energy are rounded separately: ignore dust.
    if rest > 1e-9 * max(it_kwh, 1.0):
        out["not itemised"] = rest
    return out


def usage(conn: Connection, start_utc: datetime, end_utc: datetime,
          project: str | None = None) -> UsageTables:
    """Runs and energy by PUE, by intensity figure and by zone choice."""
    cond = window(start_utc, end_utc, project)
    return UsageTables(
        pue=_grouped(conn, cond, runs.c.pue, runs.c.pue_source),
        intensity=_grouped(conn, cond, runs.c.intensity_resolution, runs.c.intensity_source,
                           runs.c.intensity_year),
        zones=_grouped(conn, cond, runs.c.zone, runs.c.zone_how),
    )


def accounting_methods(conn: Connection, start_utc: datetime, end_utc: datetime,
                       project: str | None = None) -> tuple[MethodUse, ...]:
    """Stored figures by kind, method and unit: number of runs and the figures' sum."""
    a = accounting.c
    stmt = (select(a.kind, a.method, func.count(), total(a.value), a.unit)
            .join(runs, runs.c.id == a.run_id)
            .where(window(start_utc, end_utc, project))
            .group_by(a.kind, a.method, a.unit).order_by(a.kind, a.method, a.unit))
    return tuple(MethodUse(str(k), str(m), int(n), float(v), str(u))
                 for k, m, n, v, u in conn.execute(stmt))


def accounting_sources(conn: Connection, start_utc: datetime, end_utc: datetime,
                       project: str | None = None) -> dict[str, tuple[str, ...]]:
    """Distinct data sources named in stored figures, by kind (sorted)."""
    stmt = (select(accounting.c.kind, accounting.c.inputs)
            .join(runs, runs.c.id == accounting.c.run_id)
            .where(window(start_utc, end_utc, project),
                   accounting.c.kind.in_(("embodied", "water", "market", "location-hourly"))))
    found: dict[str, set[str]] = {}
    for kind, text in conn.execute(stmt):
        found.setdefault(str(kind), set()).update(_sources(str(kind), json.loads(text)))
    return {kind: tuple(sorted(s for s in found[kind] if s)) for kind in sorted(found)}


def wasted_runs(conn: Connection, start_utc: datetime, end_utc: datetime,
                project: str | None = None, *, limit: int = 10) -> tuple[WastedRun, ...]:
    """Failed or interrupted runs that used energy, most energy first."""
    stmt = (select(runs.c.id, runs.c.project, runs.c.model, runs.c.status,
                   runs.c.started_utc, runs.c.duration_s, runs.c.energy_kwh,
                   runs.c.co2e_kg, runs.c.error)
            .where(window(start_utc, end_utc, project), failed(), runs.c.energy_kwh > 0)
            .order_by(runs.c.energy_kwh.desc(), runs.c.id).limit(limit))
    return tuple(WastedRun(**dict(row)) for row in conn.execute(stmt).mappings())


def quality(conn: Connection, start_utc: datetime, end_utc: datetime,
            project: str | None = None) -> Quality:
    """Counts of runs whose figures rest on models, assumptions or nothing yet."""
    dev = devices.c
    has = exists().where(dev.run_id == runs.c.id)
    modelled = exists().where(dev.run_id == runs.c.id, dev.method == "modelled")
    measured = exists().where(dev.run_id == runs.c.id, dev.method != "modelled")
    accounted = exists().where(accounting.c.run_id == runs.c.id)
    stmt = select(
        func.count(), count_if(modelled), total(_where(modelled, runs.c.energy_kwh)),
        count_if(and_(modelled, ~measured)), count_if(~has), count_if(~accounted),
        count_if(runs.c.status == "running"), count_if(runs.c.model == ""),
    ).where(window(start_utc, end_utc, project))
    values = conn.execute(stmt).one()
    return Quality(int(values[0]), int(values[1]), float(values[2]), *map(int, values[3:]))


def _grouped(conn: Connection, cond: ColumnElement[bool], *columns: Any) -> tuple[Usage, ...]:
    stmt = (select(*columns, func.count(), total(runs.c.energy_kwh)).where(cond)
            .group_by(*columns).order_by(total(runs.c.energy_kwh).desc(), *columns))
    out = []
    for row in conn.execute(stmt):
        key = tuple("" if v is None else _text(v) for v in row[:len(columns)])
        out.append(Usage(key, int(row[-2]), float(row[-1])))
    return tuple(out)


def _where(cond: ColumnElement[bool], column: Any) -> Any:
    return case((cond, column), else_=0.0)


def _text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _sources(kind: str, inputs: Mapping[str, Any]) -> Iterable[str]:
    """The source texts one figure's inputs name."""
    if kind == "embodied":
        yield str(inputs.get("lifetime_source", ""))
        yield str(inputs.get("use_rate_source", ""))
        for device in inputs.get("devices", ()):
            yield str(device.get("source", ""))
    elif kind == "water":
        yield str(inputs.get("wue_source", ""))
        yield str(inputs.get("water_intensity_source", ""))
    elif kind == "market":
        yield str(inputs.get("uncovered_source", ""))
    else:
        yield str(inputs.get("series_source", ""))
