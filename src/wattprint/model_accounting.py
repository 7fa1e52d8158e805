"""Records that govern and account for runs.

Carbon budgets and their overruns, carbon-aware plans next to what they
achieved, accounted figures, contractual instruments, reduction targets and
offsets. They refer to runs by id only; :mod:`wattprint.model` re-exports
every one of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Budget:
    """A project's carbon budget for one UTC month (``"2026-11"``) or every month (``"*"``)."""

    project: str
    month: str
    limit_co2e_kg: float
    created_utc: datetime
    updated_utc: datetime


@dataclass(frozen=True)
class BudgetState:
    """How much of a project's carbon budget a UTC month has used.

    Attributes:
        project: The project.
        month: The UTC month asked about (``"2026-11"``).
        limit_co2e_kg: The budget that applies, or None when none is set.
        spent_co2e_kg: Emissions of the project's runs that started in the month.
        budget_month: Which budget applies: ``month`` itself or ``"*"`` (every
            month); empty when none is set.
        overruns: Number of recorded overruns (critical jobs run over budget).
        overrun_co2e_kg: Their total amount over budget.
    """

    project: str
    month: str
    limit_co2e_kg: float | None
    spent_co2e_kg: float
    budget_month: str = ""
    overruns: int = 0
    overrun_co2e_kg: float = 0.0

    @property
    def remaining_co2e_kg(self) -> float | None:
        """Limit minus spent (negative once over), or None without a budget."""
        if self.limit_co2e_kg is None:
            return None
        return self.limit_co2e_kg - self.spent_co2e_kg

    @property
    def used_pct(self) -> float | None:
        """Spent as a percentage of the limit, or None without a budget.

        A zero limit counts as 100 % used once anything is spent.
        """
        if self.limit_co2e_kg is None:
            return None
        if self.limit_co2e_kg <= 0:
            return 100.0 if self.spent_co2e_kg > 0 else 0.0
        return 100.0 * self.spent_co2e_kg / self.limit_co2e_kg


@dataclass(frozen=True)
class BudgetOverrun:
    """A job that ran over its project's monthly budget (a critical job is never held).

    ``actual_co2e_kg`` stays None until the run has been measured.
    """

    id: str
    project: str
    month: str
    expected_co2e_kg: float
    overrun_kg: float
    tier: str
    reason: str
    recorded_utc: datetime
    run_id: str | None = None
    job_name: str = ""
    actual_co2e_kg: float | None = None


@dataclass(frozen=True)
class CarbonAwareRecord:
    """What a carbon-aware run planned next to what it achieved.

    Attributes:
        run_id: The tracked run.
        planned_zone: Zone the plan chose.
        planned_start_utc: Planned start (first slot).
        planned_end_utc: Planned end (last slot).
        planned_intensity_g_per_kwh: Energy-weighted mean intensity the plan expected.
        achieved_intensity_g_per_kwh: Mean intensity while it actually ran (None
            until known).
        expected_co2e_kg: Emissions the plan expected.
        baseline_co2e_kg: Emissions had it started at once in the home zone.
        mode: ``"window"``, ``"slots"``, ``"threshold"`` or ``"now"``.
        tier: ``"critical"``, ``"standard"`` or ``"flexible"``.
        waited_s: How long the job waited before starting.
        intensity_source: Where the intensity series came from.
    """

    run_id: str
    planned_zone: str
    planned_start_utc: datetime
    planned_end_utc: datetime
    planned_intensity_g_per_kwh: float
    achieved_intensity_g_per_kwh: float | None
    expected_co2e_kg: float
    baseline_co2e_kg: float
    mode: str
    tier: str
    waited_s: float
    intensity_source: str


@dataclass(frozen=True)
class AccountedFigure:
    """One accounted figure of a run, with the method and the inputs behind it.

    Attributes:
        run_id: The run.
        kind: ``"location"``, ``"location-hourly"``, ``"market"``, ``"embodied"``
            or ``"water"``.
        value: The figure, in ``unit``.
        unit: ``"kg CO2e"`` or ``"L"``.
        method: How it was computed, in a short phrase (``"hourly"``,
            ``"annual-mean (fallback)"``, ``"ghg-scope2-market"``...).
        inputs: Every input the figure rests on (JSON-serialisable), including
            any default used and the reason for any fallback.
        computed_utc: When it was computed; set by the ledger when stored.
    """

    run_id: str
    kind: str
    value: float
    unit: str
    method: str
    inputs: Mapping[str, object] = field(default_factory=dict)
    computed_utc: datetime | None = None


@dataclass(frozen=True)
class Instrument:
    """A contractual instrument (GHG Protocol Scope 2, market-based) for one zone.

    Exactly one of ``volume_mwh`` (a fixed volume, consumed by runs in start
    order) and ``share`` (a fraction 0-1 of all consumption in the zone) is set.

    Attributes:
        id: Ledger key.
        zone: Grid zone the instrument applies to.
        type: ``"ppa"``, ``"rec"``, ``"go"`` or ``"supplier"``.
        start_date: First day covered (UTC).
        end_date: Last day covered, inclusive (UTC).
        volume_mwh: Volume it covers, or None.
        share: Share of consumption it covers (0 < share <= 1), or None.
        factor_g_per_kwh: Emission factor of the covered energy; None means 0
            for PPAs, RECs and GOs (renewable), and is not allowed for ``supplier``.
        supplier: Supplier name.
        certificate: Certificate or contract id.
        created_utc: When it was recorded.
    """

    id: str
    zone: str
    type: str
    start_date: date
    end_date: date
    volume_mwh: float | None
    share: float | None
    factor_g_per_kwh: float | None
    supplier: str = ""
    certificate: str = ""
    created_utc: datetime | None = None


@dataclass(frozen=True)
class Target:
    """A reduction target: ``metric`` down ``reduce_pct`` % from a baseline period by a date.

    ``project`` is ``"*"`` for a target over every project.
    """

    project: str
    metric: str
    baseline: str
    reduce_pct: float
    by_date: date
    created_utc: datetime | None = None


@dataclass(frozen=True)
class TargetProgress:
    """How far a target is met, from the ledger's monthly values.

    Attributes:
        target: The target.
        unit: Unit of every value (``"kg CO2e"``, ``"kWh"``, ``"kg CO2e/run"``).
        baseline_value: Metric over the baseline period.
        current_period: Label of the period (same length as the baseline) that
            holds the as-of date.
        current_value: Metric over the current period at its run rate (value so
            far scaled to the full period; a per-run metric is not scaled).
        required_value: Baseline × (1 − reduce_pct / 100).
        progress_pct: (baseline − current) ÷ (baseline − required) × 100.
        projected_value: Metric of the period that ends on the target date,
            projected from a linear fit of the monthly values.
        on_track: ``projected_value <= required_value``.
        monthly: ``(month, value)`` pairs the trend was fitted on.
        notes: Assumptions and caveats, in words.
    """

    target: Target
    unit: str
    baseline_value: float
    current_period: str
    current_value: float
    required_value: float
    progress_pct: float
    projected_value: float
    on_track: bool
    monthly: tuple[tuple[str, float], ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Offset:
    """A carbon offset (credit) in the register; never netted silently.

    Attributes:
        id: Ledger key.
        tonnes: Tonnes CO2e the credits represent (> 0).
        registry: Registry (``"Gold Standard"``, ``"Verra"``).
        serial: Serial number (range) of the credits.
        vintage: Vintage year.
        project: Project the credits are held for ("" for none).
        retired_on: Retirement date; only retired credits count in a period.
        created_utc: When it was recorded.
    """

    id: str
    tonnes: float
    registry: str
    serial: str
    vintage: int
    project: str = ""
    retired_on: date | None = None
    created_utc: datetime | None = None
