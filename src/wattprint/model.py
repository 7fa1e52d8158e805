"""The plain values that flow through wattprint.

Every arrow of the data flow (sensors → sampler → integrator → run →
accounting → ledger) carries one of these frozen dataclasses. They hold no
behaviour beyond small derived properties, so they are safe to pass between
threads and to serialise.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from wattprint.units import kwh_to_j


class DeviceKind(str, enum.Enum):
    """What a measured device is."""

    CPU = "cpu"
    GPU = "gpu"
    RAM = "ram"
    OTHER = "other"


class Method(str, enum.Enum):
    """How a device's energy is obtained, from most to least trustworthy."""

    #: A hardware energy counter (RAPL ``energy_uj``, NVML total energy).
    COUNTER = "counter"
    #: Instantaneous power samples integrated with the trapezoid rule.
    SAMPLED = "sampled-power"
    #: A model: utilisation × TDP, W per GB, or a fallback estimate.
    MODELLED = "modelled"


class RunStatus(str, enum.Enum):
    """Life-cycle state of a run."""

    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class Device:
    """One measured device and how it is measured.

    Attributes:
        id: Stable key within a run, e.g. ``"cpu:0"``, ``"gpu:1"``, ``"ram"``.
        kind: CPU, GPU, RAM or other.
        index: Index among devices of its kind (socket, GPU index).
        name: Model name as reported by the hardware (``"NVIDIA H100"``).
        method: Counter, sampled power or modelled.
        sensor: Backend name (``"rapl"``, ``"nvml"``, ``"cpu-model"``, ...).
        source: Source of any constant used (TDP table row, W/GB figure).
        note: Anything the user must know (fallbacks, assumptions).
    """

    id: str
    kind: DeviceKind
    index: int
    name: str
    method: Method
    sensor: str
    source: str = ""
    note: str = ""


@dataclass(frozen=True)
class Reading:
    """One observation of one device at monotonic time ``t_s``.

    A counter sensor fills ``energy_j`` with the raw cumulative counter (not a
    delta) and ``counter_max_j`` with its wrap range when known; a power
    sensor fills ``power_w``. Utilisation, memory and temperature are optional
    extras for the trace.
    """

    device_id: str
    t_s: float
    energy_j: float | None = None
    power_w: float | None = None
    counter_max_j: float | None = None
    utilisation_pct: float | None = None
    memory_used_bytes: float | None = None
    temperature_c: float | None = None


@dataclass(frozen=True)
class TracePoint:
    """A down-sampled point of a device's power trace (``t_s`` from run start)."""

    device_id: str
    t_s: float
    power_w: float
    utilisation_pct: float | None = None
    memory_used_bytes: float | None = None
    temperature_c: float | None = None


@dataclass(frozen=True)
class DeviceEnergy:
    """Energy one device used during a run."""

    device: Device
    energy_j: float
    peak_power_w: float = 0.0
    samples: int = 0


@dataclass(frozen=True)
class Phase:
    """A named part of a run (``"data_loading"``, ``"train"``) and its energy.

    ``energy_by_device_j`` maps device id to joules spent while the phase was
    open. Nested phases each count their own full span.
    """

    name: str
    started_utc: datetime
    ended_utc: datetime
    duration_s: float
    energy_by_device_j: Mapping[str, float] = field(default_factory=dict)

    @property
    def energy_j(self) -> float:
        """IT energy of the phase, all devices (J)."""
        return float(sum(self.energy_by_device_j.values()))


@dataclass(frozen=True)
class Zone:
    """A grid zone with its annual average carbon intensity.

    ``kind`` is ``"country"``, ``"region"`` (sub-national grid) or ``"cloud"``
    (a cloud region; ``grid_zone`` then names the zone whose figure it uses).
    """

    id: str
    name: str
    kind: str
    intensity_g_per_kwh: float
    year: int
    source: str
    country: str = ""
    grid_zone: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ZoneChoice:
    """Which zone a run used and how it was chosen.

    ``how`` is one of ``"argument"``, ``"env"``, ``"config"``,
    ``"cloud-metadata"``, ``"cloud-dmi"``, ``"timezone"``, ``"world-default"``
    or ``"recomputed"``; ``note`` explains assumptions in words.
    """

    zone: str
    how: str
    note: str = ""


@dataclass(frozen=True)
class Intensity:
    """A carbon-intensity figure and where it came from."""

    zone: str
    g_per_kwh: float
    source: str
    year: int | None = None
    resolution: str = "annual"


@dataclass(frozen=True)
class Footprint:
    """Energy and emissions of a run, after PUE and grid intensity.

    ``energy_kwh_by_kind`` holds IT energy per device kind (``"cpu"``,
    ``"gpu"``, ``"ram"``, ``"other"``); facility energy is IT energy × PUE.
    """

    energy_kwh_by_kind: Mapping[str, float]
    pue: float
    pue_source: str
    intensity: Intensity
    embodied_co2e_kg: float | None = None
    water_l: float | None = None

    @property
    def it_energy_kwh(self) -> float:
        """Energy at the devices, before PUE (kWh)."""
        return float(sum(self.energy_kwh_by_kind.values()))

    @property
    def energy_kwh(self) -> float:
        """Facility energy: IT energy × PUE (kWh)."""
        return self.it_energy_kwh * self.pue

    @property
    def co2e_kg(self) -> float:
        """Operational emissions: facility energy × intensity (kg CO2e)."""
        return self.energy_kwh * self.intensity.g_per_kwh / 1000.0


@dataclass(frozen=True)
class Run:
    """One tracked run: who, where, when, how measured and what it cost.

    ``model`` names the model the run trained or served (``"resnet50"``; empty
    when not given) and ``metrics`` holds the final value of each quality
    metric the user logged (``{"accuracy": 0.97}``), so runs can be compared
    per model and per unit of metric (kWh per accuracy point).
    """

    id: str
    project: str
    status: RunStatus
    started_utc: datetime
    ended_utc: datetime | None
    duration_s: float
    host: str
    footprint: Footprint
    zone_choice: ZoneChoice
    devices: tuple[DeviceEnergy, ...] = ()
    phases: tuple[Phase, ...] = ()
    trace: tuple[TracePoint, ...] = ()
    experiment: str = ""
    tags: tuple[str, ...] = ()
    command: str = ""
    exit_code: int | None = None
    error: str = ""
    flops: float | None = None
    warnings: tuple[str, ...] = ()
    model: str = ""
    metrics: Mapping[str, float] = field(default_factory=dict)

    @property
    def energy_kwh(self) -> float:
        """Facility energy of the run (kWh)."""
        return self.footprint.energy_kwh

    @property
    def co2e_kg(self) -> float:
        """Operational emissions of the run (kg CO2e)."""
        return self.footprint.co2e_kg

    @property
    def flops_per_w(self) -> float | None:
        """FLOP per joule (= FLOPS/W) when a FLOP count was given."""
        it_j = kwh_to_j(self.footprint.it_energy_kwh)
        if self.flops is None or it_j <= 0:
            return None
        return self.flops / it_j


@dataclass(frozen=True)
class RunPart:
    """One host's share of a run that several hosts record under one id.

    ``status`` is as of the read: a running part whose tracker stopped
    writing (killed, or its host lost) reads ``interrupted`` with ``stale``
    True. Energy is facility energy (kWh), emissions operational (kg CO2e).
    """

    run_id: str
    host: str
    status: RunStatus
    started_utc: datetime
    ended_utc: datetime | None
    duration_s: float
    energy_kwh: float
    co2e_kg: float
    updated_utc: datetime
    stale: bool = False


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
