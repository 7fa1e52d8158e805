"""Budgets, budget overruns and carbon-aware plans: the planning records of the ledger.

:class:`PlanningMixin` gives :class:`~wattprint.store.ledger.Ledger` these
methods; the SQL lives in :mod:`wattprint.store.budgets` and
:mod:`wattprint.store.carbon_aware`.
"""

from __future__ import annotations

import contextlib

from sqlalchemy import Connection, insert

from wattprint.clock import Clock
from wattprint.model import Budget, BudgetOverrun, BudgetState, CarbonAwareRecord
from wattprint.store import budgets, carbon_aware
from wattprint.store.schema import budget_overruns


class PlanningMixin:
    """Budget and plan methods of the ledger (needs ``_connect``, ``_errors``, ``_clock``)."""

    _clock: Clock

    def _connect(self, *, write: bool = False) -> contextlib.AbstractContextManager[Connection]:
        raise NotImplementedError  # pragma: no cover - provided by Ledger

    def _errors(self, action: str) -> contextlib.AbstractContextManager[None]:
        raise NotImplementedError  # pragma: no cover - provided by Ledger

    def set_budget(self, project: str, limit_co2e_kg: float, month: str | None = None) -> Budget:
        """Set a project's carbon budget for a UTC month (``YYYY-MM``) or, by default, every month.

        Raises:
            ConfigError: Negative limit or malformed month.
        """
        key = budgets.EVERY_MONTH if month is None else budgets.parse_month(month)
        limit = budgets.check_limit(limit_co2e_kg)
        with self._errors(f"set budget of {project}"), self._connect(write=True) as conn:
            budgets.put_budget(conn, project, key, limit, self._clock.now())
            return next(b for b in budgets.select_budgets(conn, project) if b.month == key)

    def budgets(self, project: str | None = None) -> list[Budget]:
        """Budgets (of one project, or all), by project then month."""
        with self._errors("list budgets"), self._connect() as conn:
            return budgets.select_budgets(conn, project)

    def spent_co2e_kg(self, project: str, month: str) -> float:
        """Emissions (kg CO2e) of the project's runs started in the UTC month ``YYYY-MM``."""
        month = budgets.parse_month(month)
        with self._errors(f"sum emissions of {project}"), self._connect() as conn:
            return budgets.spent(conn, project, month)

    def budget_state(self, project: str, month: str) -> BudgetState:
        """Limit (None if unset), spending and overruns of a project in a UTC month."""
        month = budgets.parse_month(month)
        with self._errors(f"read budget of {project}"), self._connect() as conn:
            return budgets.state(conn, project, month)

    def record_overrun(
        self, *, project: str, month: str, expected_co2e_kg: float, overrun_kg: float,
        tier: str, reason: str, run_id: str | None = None, job_name: str = "",
        actual_co2e_kg: float | None = None,
    ) -> BudgetOverrun:
        """Record that a (critical) job runs over its project's budget for ``month``."""
        values = budgets.overrun_values(
            project=project, month=month, expected_co2e_kg=expected_co2e_kg,
            overrun_kg=overrun_kg, tier=tier, reason=reason, recorded_utc=self._clock.now(),
            run_id=run_id, job_name=job_name, actual_co2e_kg=actual_co2e_kg,
        )
        with self._errors(f"record overrun of {project}"), self._connect(write=True) as conn:
            conn.execute(insert(budget_overruns).values(values))
        return BudgetOverrun(**values)

    def overruns(self, project: str | None = None, month: str | None = None) -> list[BudgetOverrun]:
        """Recorded overruns, oldest first."""
        with self._errors("list overruns"), self._connect() as conn:
            return budgets.select_overruns(conn, project, month)

    def save_carbon_aware(self, record: CarbonAwareRecord) -> None:
        """Insert or replace the planned-vs-achieved record of a saved run.

        Raises:
            RunNotFoundError: The run is not in the ledger.
        """
        with self._errors(f"save plan of run {record.run_id}"), self._connect(write=True) as c:
            carbon_aware.put(c, record, self._clock.now())

    def carbon_aware(self, run_id: str) -> CarbonAwareRecord | None:
        """The carbon-aware record of the run with exactly this id, or None."""
        with self._errors(f"read plan of run {run_id}"), self._connect() as conn:
            return carbon_aware.get(conn, run_id)
