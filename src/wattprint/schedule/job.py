"""``Job`` (what must run) and ``Plan`` (where and when it will run).

Both are frozen values: the planner turns a ``Job`` and intensity series
into a ``Plan``; runners and executors act on the ``Plan``; the ledger
records what was planned next to what was achieved.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from wattprint.errors import PlanError


class Tier(str, enum.Enum):
    """How urgent a job is.

    ``critical`` runs now regardless of intensity or budget (and is charged);
    ``standard`` may wait, at most until its deadline (default 24 h);
    ``flexible`` may wait days (default window 7 days).
    """

    CRITICAL = "critical"
    STANDARD = "standard"
    FLEXIBLE = "flexible"

    @property
    def default_window(self) -> timedelta:
        """How long a job of this tier may wait when no deadline is given."""
        return {"critical": timedelta(0), "standard": timedelta(hours=24),
                "flexible": timedelta(days=7)}[self.value]


@dataclass(frozen=True)
class Job:
    """A unit of work to place in time and space.

    Attributes:
        duration_s: Run time of the job (s).
        energy_kwh: Expected facility energy of the whole job (kWh); give this
            or ``power_w``.
        power_w: Expected average facility power (W); energy = power × duration.
        earliest_start_utc: Not before this instant (default: the planning "now").
        deadline_utc: The job must have *finished* by this instant (default:
            now + the tier's window).
        interruptible: May be paused and resumed between slots.
        min_chunk_s: Shortest uninterrupted piece when interruptible.
        zones: Zones it may run in, in order of preference; the first is home
            unless ``home_zone`` says otherwise.
        home_zone: Where it would run by default (the baseline).
        tier: Urgency (see :class:`Tier`).
        max_intensity_g_per_kwh: Threshold mode: start as soon as the intensity
            is below this, or at the latest possible start.
        name: Free-text label.
        project: Project whose carbon budget the job is charged to.
    """

    duration_s: float
    zones: tuple[str, ...]
    energy_kwh: float | None = None
    power_w: float | None = None
    earliest_start_utc: datetime | None = None
    deadline_utc: datetime | None = None
    interruptible: bool = False
    min_chunk_s: float = 0.0
    home_zone: str | None = None
    tier: Tier = Tier.STANDARD
    max_intensity_g_per_kwh: float | None = None
    name: str = ""
    project: str = "default"

    def __post_init__(self) -> None:
        if not self.duration_s > 0:
            raise PlanError(f"job duration must be > 0, got {self.duration_s} s")
        if not self.zones:
            raise PlanError("a job needs at least one allowed zone")
        if (self.energy_kwh is None) == (self.power_w is None):
            raise PlanError("give the job's expected energy or its average power (one of them)")
        if (self.energy_kwh is not None and self.energy_kwh < 0) or (
            self.power_w is not None and self.power_w < 0
        ):
            raise PlanError("a job's energy and power cannot be negative")
        if self.min_chunk_s < 0:
            raise PlanError(f"minimum chunk must be >= 0, got {self.min_chunk_s} s")
        if self.max_intensity_g_per_kwh is not None and self.max_intensity_g_per_kwh < 0:
            raise PlanError("the intensity threshold cannot be negative")
        if self.home_zone is not None and self.home_zone not in self.zones:
            raise PlanError(f"home zone {self.home_zone} is not among the allowed zones "
                            f"{', '.join(self.zones)}")
        for name in ("earliest_start_utc", "deadline_utc"):
            value = getattr(self, name)
            if value is not None:
                if value.tzinfo is None:
                    value = value.replace(tzinfo=timezone.utc)
                object.__setattr__(self, name, value.astimezone(timezone.utc))
        object.__setattr__(self, "tier", Tier(self.tier))

    @property
    def home(self) -> str:
        """The baseline zone."""
        return self.home_zone or self.zones[0]

    def deadline_or_default(self, earliest_utc: datetime) -> datetime:
        """The deadline, or ``earliest_utc`` + the tier's window (never shorter than the job)."""
        if self.deadline_utc is not None:
            return self.deadline_utc
        window_s = max(self.tier.default_window.total_seconds(), self.duration_s)
        return earliest_utc + timedelta(seconds=window_s)

    @property
    def total_energy_kwh(self) -> float:
        """Expected facility energy of the whole job (kWh)."""
        if self.energy_kwh is not None:
            return self.energy_kwh
        assert self.power_w is not None
        return self.power_w * self.duration_s / 3.6e6


@dataclass(frozen=True)
class Slot:
    """One contiguous piece of a plan, with its mean intensity and emissions."""

    start_utc: datetime
    end_utc: datetime
    intensity_g_per_kwh: float
    co2e_kg: float

    @property
    def duration_s(self) -> float:
        """Length of the slot (s)."""
        return (self.end_utc - self.start_utc).total_seconds()


@dataclass(frozen=True)
class Plan:
    """Where and when a job runs, what it should emit, and against what baseline.

    Attributes:
        job: The planned job.
        zone: Chosen zone.
        slots: When it runs: one slot for a contiguous job, several when interruptible.
        expected_co2e_kg: Expected emissions of the plan.
        baseline_co2e_kg: Emissions if started now in the home zone.
        baseline_zone: The home zone.
        planned_at_utc: The planning "now".
        mode: ``"window"``, ``"slots"``, ``"threshold"`` or ``"now"`` (critical tier).
        uncertainty_co2e_kg: ± on ``expected_co2e_kg`` from the forecast's error, if known.
        sources: Series source per zone that was used.
        by_zone: Best expected emissions per allowed zone (kg), for comparison.
        notes: Assumptions and anything clipped or skipped, in words.
    """

    job: Job
    zone: str
    slots: tuple[Slot, ...]
    expected_co2e_kg: float
    baseline_co2e_kg: float
    baseline_zone: str
    planned_at_utc: datetime
    mode: str
    uncertainty_co2e_kg: float | None = None
    sources: dict[str, str] = field(default_factory=dict)
    by_zone: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def start_utc(self) -> datetime:
        """Start of the first slot."""
        return self.slots[0].start_utc

    @property
    def end_utc(self) -> datetime:
        """End of the last slot."""
        return self.slots[-1].end_utc

    @property
    def saving_kg(self) -> float:
        """Baseline minus expected emissions (kg CO2e)."""
        return self.baseline_co2e_kg - self.expected_co2e_kg

    @property
    def saving_pct(self) -> float:
        """Saving as a percentage of the baseline (0 when the baseline is 0)."""
        if self.baseline_co2e_kg <= 0:
            return 0.0
        return 100.0 * self.saving_kg / self.baseline_co2e_kg

    @property
    def expected_intensity_g_per_kwh(self) -> float:
        """Energy-weighted mean intensity of the plan."""
        energy = self.job.total_energy_kwh
        return self.expected_co2e_kg * 1000.0 / energy if energy > 0 else float("nan")

    @property
    def wait_s(self) -> float:
        """How long after planning the job starts (s)."""
        return max(0.0, (self.start_utc - self.planned_at_utc).total_seconds())

    def to_dict(self) -> dict[str, object]:
        """Stable JSON keys for ``wattprint plan --json``."""
        return {
            "zone": self.zone,
            "start": _iso(self.start_utc),
            "end": _iso(self.end_utc),
            "slots": [{"start": _iso(s.start_utc), "end": _iso(s.end_utc),
                       "intensity_g_per_kwh": round(s.intensity_g_per_kwh, 3),
                       "co2e_kg": s.co2e_kg} for s in self.slots],
            "mode": self.mode,
            "tier": self.job.tier.value,
            "interruptible": self.job.interruptible,
            "energy_kwh": self.job.total_energy_kwh,
            "expected_co2e_kg": self.expected_co2e_kg,
            "expected_intensity_g_per_kwh": round(self.expected_intensity_g_per_kwh, 3),
            "baseline_zone": self.baseline_zone,
            "baseline_co2e_kg": self.baseline_co2e_kg,
            "saving_kg": self.saving_kg,
            "saving_pct": round(self.saving_pct, 3),
            "uncertainty_co2e_kg": self.uncertainty_co2e_kg,
            "planned_at": _iso(self.planned_at_utc),
            "wait_s": self.wait_s,
            "by_zone": self.by_zone,
            "sources": self.sources,
            "notes": list(self.notes),
        }


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
