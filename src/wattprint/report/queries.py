"""Aggregates over the ledger, computed in SQL: totals, daily series, groups, pages of runs.

Every function takes an open connection (``with ledger.reading() as conn:``)
and returns frozen dataclasses. Filtering, grouping, sorting and pagination
happen in the database (``GROUP BY`` over the ``runs`` indexes), so a page
costs the same with ten runs or a hundred thousand; no function loads every
run into Python. Times are aware UTC; a window is ``[start_utc, end_utc)`` on
``started_utc``; days are UTC days. A run *failed* when its status is
``failed`` or ``interrupted``; it is *modelled* when any of its devices is.

Example:
    >>> with Ledger("sqlite://") as ledger, ledger.reading() as conn:
    ...     totals(conn, datetime(2026, 1, 1, tzinfo=timezone.utc),
    ...            datetime(2026, 4, 1, tzinfo=timezone.utc)).runs
    0

Bad arguments (naive times, an unknown sort key or status) raise
:class:`~wattprint.errors.ConfigError` naming the argument.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, func, select, true

from wattprint.errors import ConfigError
from wattprint.model import Method, RunStatus
from wattprint.report._sql import (
    check_aware,
    count_if,
    failed,
    total,
    total_if,
    utc_day,
    window,
)
from wattprint.store.schema import devices, run_metrics, run_tags, runs

#: Sort keys of :func:`runs_page` and the column each one orders by.
SORT_KEYS: Mapping[str, Any] = {
    "started": runs.c.started_utc,
    "energy": runs.c.energy_kwh,
    "co2e": runs.c.co2e_kg,
    "duration": runs.c.duration_s,
    "project": runs.c.project,
}
#: Values of :attr:`RunFilter.method` and :attr:`RunRow.method`.
METHODS = ("measured", "modelled")
#: Largest page :func:`runs_page` and :func:`top_runs` return.
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Totals:
    """Sums over the runs of a window; ``failed_*`` count failed and interrupted runs."""

    runs: int
    energy_kwh: float
    co2e_kg: float
    embodied_co2e_kg: float
    water_l: float
    duration_s: float
    failed_runs: int
    failed_energy_kwh: float


@dataclass(frozen=True)
class DailyPoint:
    """One project's runs started on one UTC day."""

    day: date
    project: str
    runs: int
    energy_kwh: float
    co2e_kg: float


@dataclass(frozen=True)
class GroupRow:
    """One project's runs in a window."""

    project: str
    runs: int
    energy_kwh: float
    co2e_kg: float
    failed_runs: int
    failed_energy_kwh: float
    duration_s: float


@dataclass(frozen=True)
class ModelRow:
    """One model's runs within one project, and its energy per unit of logged metric.

    Attributes:
        model: Model name (``""`` for runs that named none).
        project: Project.
        runs: Number of runs.
        energy_kwh: Facility energy of every run, failed ones included.
        co2e_kg: Operational emissions of every run.
        failed_runs: Failed or interrupted runs.
        failed_energy_kwh: Energy those spent.
        metrics: Mean final value of each metric, over the runs that logged it.
        kwh_per_metric: Energy of the runs that logged a metric divided by the
            sum of their values (kWh per accuracy point); absent when that sum is 0.
    """

    model: str
    project: str
    runs: int
    energy_kwh: float
    co2e_kg: float
    failed_runs: int
    failed_energy_kwh: float
    metrics: Mapping[str, float] = field(default_factory=dict)
    kwh_per_metric: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RunRow:
    """One run as a table row: ``method`` is ``"modelled"`` when any device is modelled."""

    id: str
    project: str
    model: str
    status: str
    started_utc: datetime
    duration_s: float
    zone: str
    energy_kwh: float
    co2e_kg: float
    method: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ZoneRow:
    """Runs in one grid zone; ``intensity_g_per_kwh`` is their energy-weighted mean."""

    zone: str
    runs: int
    energy_kwh: float
    co2e_kg: float

    @property
    def intensity_g_per_kwh(self) -> float | None:
        """Emissions over energy (g/kWh), None without energy."""
        return 1000.0 * self.co2e_kg / self.energy_kwh if self.energy_kwh > 0 else None


@dataclass(frozen=True)
class RunFilter:
    """Which runs :func:`runs_page` returns; every given condition must hold.

    Attributes:
        project: Exact project name.
        tags: Tags the run must all carry.
        status: ``running``, ``finished``, ``failed`` or ``interrupted``.
        since: Started at or after (aware).
        until: Started before (aware).
        zone: Exact zone id the run was accounted in.
        method: ``"measured"`` or ``"modelled"``.

    Raises:
        ConfigError: Unknown status or method, or a naive time; names the field.
    """

    project: str | None = None
    tags: tuple[str, ...] = ()
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    zone: str | None = None
    method: str | None = None

    def __post_init__(self) -> None:
        statuses = [s.value for s in RunStatus]
        if self.status is not None and self.status not in statuses:
            raise ConfigError(f"invalid status {self.status!r}: expected one of "
                              f"{', '.join(statuses)}")
        if self.method is not None and self.method not in METHODS:
            raise ConfigError(f"invalid method {self.method!r}: expected measured or modelled")
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                check_aware(name, value)


def totals(
    conn: Connection, start_utc: datetime, end_utc: datetime, *, project: str | None = None
) -> Totals:
    """Sums over the runs started in ``[start_utc, end_utc)`` (of ``project``)."""
    stmt = select(
        func.count(), total(runs.c.energy_kwh), total(runs.c.co2e_kg),
        total(runs.c.embodied_co2e_kg), total(runs.c.water_l), total(runs.c.duration_s),
        count_if(failed()), total_if(failed(), runs.c.energy_kwh),
    ).where(window(start_utc, end_utc, project))
    n, energy, co2e, embodied, water, duration, n_failed, failed_kwh = conn.execute(stmt).one()
    return Totals(int(n), float(energy), float(co2e), float(embodied), float(water),
                  float(duration), int(n_failed), float(failed_kwh))


def daily(
    conn: Connection, start_utc: datetime, end_utc: datetime, *, project: str | None = None
) -> list[DailyPoint]:
    """Runs, energy and emissions per UTC day and project, by day then project.

    Days without runs are absent (the caller fills gaps for charts).
    """
    day = utc_day(runs.c.started_utc)
    stmt = (
        select(day, runs.c.project, func.count(), total(runs.c.energy_kwh),
               total(runs.c.co2e_kg))
        .where(window(start_utc, end_utc, project))
        .group_by(day, runs.c.project)
        .order_by(day, runs.c.project)
    )
    return [DailyPoint(date.fromisoformat(d), p, int(n), float(e), float(c))
            for d, p, n, e, c in conn.execute(stmt)]


def by_project(
    conn: Connection, start_utc: datetime, end_utc: datetime, *, project: str | None = None
) -> list[GroupRow]:
    """Per-project sums in the window, the largest emitter first."""
    co2e = total(runs.c.co2e_kg)
    stmt = (
        select(runs.c.project, func.count(), total(runs.c.energy_kwh), co2e,
               count_if(failed()), total_if(failed(), runs.c.energy_kwh),
               total(runs.c.duration_s))
        .where(window(start_utc, end_utc, project))
        .group_by(runs.c.project)
        .order_by(co2e.desc(), runs.c.project)
    )
    return [GroupRow(p, int(n), float(e), float(c), int(nf), float(fe), float(d))
            for p, n, e, c, nf, fe, d in conn.execute(stmt)]


def by_model(
    conn: Connection, start_utc: datetime, end_utc: datetime, *, project: str | None = None
) -> list[ModelRow]:
    """Per (model, project) sums and metric efficiency in the window, largest emitter first."""
    where = window(start_utc, end_utc, project)
    co2e = total(runs.c.co2e_kg)
    groups = (
        select(runs.c.model, runs.c.project, func.count(), total(runs.c.energy_kwh), co2e,
               count_if(failed()), total_if(failed(), runs.c.energy_kwh))
        .where(where)
        .group_by(runs.c.model, runs.c.project)
        .order_by(co2e.desc(), runs.c.model, runs.c.project)
    )
    per_metric = (
        select(runs.c.model, runs.c.project, run_metrics.c.name,
               func.avg(run_metrics.c.value), total(runs.c.energy_kwh),
               total(run_metrics.c.value))
        .select_from(run_metrics.join(runs, runs.c.id == run_metrics.c.run_id))
        .where(where)
        .group_by(runs.c.model, runs.c.project, run_metrics.c.name)
        .order_by(run_metrics.c.name)
    )
    means: dict[tuple[str, str], dict[str, float]] = {}
    per_unit: dict[tuple[str, str], dict[str, float]] = {}
    for model, proj, name, mean, kwh, value_sum in conn.execute(per_metric):
        means.setdefault((model, proj), {})[name] = float(mean)
        if value_sum:
            per_unit.setdefault((model, proj), {})[name] = float(kwh) / float(value_sum)
    return [
        ModelRow(m, p, int(n), float(e), float(c), int(nf), float(fe),
                 means.get((m, p), {}), per_unit.get((m, p), {}))
        for m, p, n, e, c, nf, fe in conn.execute(groups)
    ]


def by_zone(
    conn: Connection, start_utc: datetime, end_utc: datetime, *, project: str | None = None
) -> list[ZoneRow]:
    """Per-zone sums in the window, the largest emitter first."""
    co2e = total(runs.c.co2e_kg)
    stmt = (
        select(runs.c.zone, func.count(), total(runs.c.energy_kwh), co2e)
        .where(window(start_utc, end_utc, project))
        .group_by(runs.c.zone)
        .order_by(co2e.desc(), runs.c.zone)
    )
    return [ZoneRow(z, int(n), float(e), float(c)) for z, n, e, c in conn.execute(stmt)]


def top_runs(
    conn: Connection, start_utc: datetime, end_utc: datetime, *, project: str | None = None,
    limit: int = 10,
) -> list[RunRow]:
    """The ``limit`` runs of the window with the largest emissions."""
    _check_page(0, limit)
    order = (runs.c.co2e_kg.desc(), runs.c.id.asc())
    return _page(conn, window(start_utc, end_utc, project), order, 0, limit)


def runs_page(
    conn: Connection, filters: RunFilter, *, sort: str = "started", descending: bool = True,
    offset: int = 0, limit: int = 50,
) -> tuple[list[RunRow], int]:
    """One page of the runs matching ``filters``, and how many match in all.

    Args:
        conn: Open connection.
        filters: Conditions every returned run meets.
        sort: One of :data:`SORT_KEYS`; ties are broken by run id.
        descending: Largest (newest) first.
        offset: Rows to skip.
        limit: Page size, 1 to :data:`MAX_LIMIT`.

    Raises:
        ConfigError: Unknown ``sort``, or ``offset``/``limit`` out of range.
    """
    if sort not in SORT_KEYS:
        raise ConfigError(f"invalid sort {sort!r}: expected one of {', '.join(SORT_KEYS)}")
    _check_page(offset, limit)
    cond = _filter(filters)
    column = SORT_KEYS[sort]
    order = (column.desc(), runs.c.id.desc()) if descending else (column.asc(), runs.c.id.asc())
    count = conn.execute(select(func.count()).select_from(runs).where(cond)).scalar_one()
    return _page(conn, cond, order, offset, limit), int(count)


def projects(conn: Connection) -> list[str]:
    """Every project in the ledger, sorted."""
    stmt = select(runs.c.project).distinct().order_by(runs.c.project)
    return [str(p) for p in conn.execute(stmt).scalars()]


def zones(conn: Connection) -> list[str]:
    """Every zone a run was accounted in, sorted."""
    stmt = select(runs.c.zone).distinct().order_by(runs.c.zone)
    return [str(z) for z in conn.execute(stmt).scalars()]


# -- internals --------------------------------------------------------------------------


def _modelled() -> ColumnElement[bool]:
    # IN (subquery) rather than a correlated EXISTS: the database reads the
    # modelled devices once (through the devices(method, run_id) index).
    return runs.c.id.in_(
        select(devices.c.run_id).where(devices.c.method == Method.MODELLED.value))


def _row_select() -> Select[Any]:
    return select(runs.c.id, runs.c.project, runs.c.model, runs.c.status, runs.c.started_utc,
                  runs.c.duration_s, runs.c.zone, runs.c.energy_kwh, runs.c.co2e_kg)


def _filter(f: RunFilter) -> ColumnElement[bool]:
    conds: list[ColumnElement[bool]] = []
    for column, value in ((runs.c.project, f.project), (runs.c.status, f.status),
                          (runs.c.zone, f.zone)):
        if value is not None:
            conds.append(column == value)
    if f.since is not None:
        conds.append(runs.c.started_utc >= f.since)
    if f.until is not None:
        conds.append(runs.c.started_utc < f.until)
    for tag in dict.fromkeys(f.tags):
        conds.append(select(run_tags.c.run_id).where(
            run_tags.c.run_id == runs.c.id, run_tags.c.tag == tag).exists())
    if f.method == "modelled":
        conds.append(_modelled())
    elif f.method == "measured":
        conds.append(runs.c.id.not_in(
            select(devices.c.run_id).where(devices.c.method == Method.MODELLED.value)))
    return and_(true(), *conds)


def _check_page(offset: int, limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise ConfigError(f"invalid limit {limit}: expected 1 to {MAX_LIMIT}")
    if offset < 0:
        raise ConfigError(f"invalid offset {offset}: must be >= 0")


def _page(
    conn: Connection, cond: ColumnElement[bool], order: tuple[Any, ...], offset: int, limit: int
) -> list[RunRow]:
    """The rows of one page, with their tags and method.

    The page's ids are chosen first (an index-only scan where the window
    index covers the condition and the order), then only those rows are read;
    tags and methods come from one query each over those ids.
    """
    ids = select(runs.c.id).where(cond).order_by(*order).offset(offset).limit(limit)
    found = conn.execute(_row_select().where(runs.c.id.in_(ids)).order_by(*order)).all()
    page: Sequence[str] = [r.id for r in found]
    tags: dict[str, list[str]] = {}
    modelled: set[str] = set()
    if page:
        tag_stmt = (select(run_tags.c.run_id, run_tags.c.tag)
                    .where(run_tags.c.run_id.in_(page))
                    .order_by(run_tags.c.run_id, run_tags.c.seq))
        for rid, tag in conn.execute(tag_stmt):
            tags.setdefault(rid, []).append(tag)
        modelled = set(conn.execute(
            select(devices.c.run_id).distinct()
            .where(devices.c.run_id.in_(page), devices.c.method == Method.MODELLED.value)
        ).scalars())
    return [
        RunRow(r.id, r.project, r.model, r.status, r.started_utc, float(r.duration_s), r.zone,
               float(r.energy_kwh), float(r.co2e_kg),
               "modelled" if r.id in modelled else "measured", tuple(tags.get(r.id, ())))
        for r in found
    ]
