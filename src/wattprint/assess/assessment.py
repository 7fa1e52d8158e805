"""Build a carbon impact assessment from a plan: estimate, cleanest time/zone, alternatives.

Pure: the estimator reads only embedded tables; intensity series come in as
values (the CLI gathers them from a provider), "now" is an argument.

* The **estimate** is the estimator's figure for the home zone at its annual
  average intensity — deterministic, so a policy check gives the same answer
  in every CI run.
* The **schedule** plans the same work in each allowed zone (each with its own
  PUE and so its own facility energy) within the window, with the planner
  (:func:`wattprint.schedule.planner.plan`), against the baseline "start at
  the earliest start in the home zone". It compares operational CO2e only:
  embodied carbon does not depend on when or where the work runs.
* The **alternatives** scale the work (see :mod:`wattprint.assess.alternatives`).

Example::

    spec = parse_spec({"name": "t", "workload": {"device": "A100 80GB", "count": 8,
                                                  "hours": 48, "zone": "DE"}})
    result = build_assessment(spec, series={}, now_utc=now)
    result.estimate.energy_kwh, [a.name for a in result.alternatives]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from wattprint.assess.alternatives import AlternativeResult, alternatives_for
from wattprint.assess.spec import AssessSpec, deadline_for
from wattprint.errors import PlanError
from wattprint.estimate.calculator import compute
from wattprint.estimate.result import Estimate
from wattprint.intensity.series import IntensitySeries


@dataclass(frozen=True)
class ZoneOption:
    """One place and time the training could run, and what it would emit."""

    zone: str
    start_utc: datetime
    end_utc: datetime
    energy_kwh: float
    co2e_kg: float
    mode: str
    source: str

    @property
    def intensity_g_per_kwh(self) -> float:
        """Energy-weighted mean intensity over the option's slots."""
        return self.co2e_kg * 1000.0 / self.energy_kwh if self.energy_kwh > 0 else 0.0


@dataclass(frozen=True)
class ScheduleResult:
    """The cleanest feasible option against the baseline, with every zone's best."""

    window_start_utc: datetime
    deadline_utc: datetime
    baseline: ZoneOption
    best: ZoneOption
    by_zone: tuple[ZoneOption, ...]
    notes: tuple[str, ...] = ()

    @property
    def saving_kg(self) -> float:
        """Baseline minus best operational CO2e."""
        return self.baseline.co2e_kg - self.best.co2e_kg

    @property
    def saving_pct(self) -> float:
        """The saving as a share of the baseline (%)."""
        return 100.0 * self.saving_kg / self.baseline.co2e_kg if self.baseline.co2e_kg else 0.0


@dataclass(frozen=True)
class Assessment:
    """A carbon impact assessment of one planned training.

    Attributes:
        spec: The plan it assesses.
        estimate: The estimator's figures for the home zone (annual average).
        schedule: The cleanest feasible zone and time, or ``None`` when the plan
            has no schedule or no intensity data covered the home zone.
        alternatives: Cheaper variants with their estimated energy and CO2e.
        generated_utc: When it was made.
        notes: What was missing or assumed on the way.
    """

    spec: AssessSpec
    estimate: Estimate
    schedule: ScheduleResult | None
    alternatives: tuple[AlternativeResult, ...]
    generated_utc: datetime
    notes: tuple[str, ...] = ()

    @property
    def co2e_kg(self) -> float:
        """The figure a policy threshold is compared with: operational + embodied CO2e."""
        return self.estimate.total_co2e_kg

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary with stable keys."""
        spec = self.spec
        return {
            "name": spec.name, "project": spec.project, "plan": spec.source,
            "plan_sha256": spec.fingerprint, "generated": _iso(self.generated_utc),
            "co2e_kg": self.co2e_kg, "estimate": self.estimate.to_dict(),
            "schedule": None if self.schedule is None else _schedule_dict(self.schedule),
            "alternatives": [a.to_dict() for a in self.alternatives],
            "justification": spec.justification or None, "notes": list(self.notes),
        }


def estimate_for(spec: AssessSpec, zone: str | None = None) -> Estimate:
    """The estimator's figures for the plan's workload, optionally in another zone."""
    workload = spec.workload if zone is None else dataclasses.replace(spec.workload, zone=zone)
    return compute(workload)


def planning_window(spec: AssessSpec, estimate: Estimate,
                    now_utc: datetime) -> tuple[datetime, datetime]:
    """``(earliest start, deadline)`` for the schedule search.

    Without a deadline the window is the tier's (flexible: 7 days), and never
    shorter than the training itself.
    """
    schedule = spec.schedule
    if schedule is None:
        raise PlanError(f"{spec.source}: no schedule section to plan")
    earliest = max(now_utc, schedule.earliest_utc) if schedule.earliest_utc else now_utc
    duration = timedelta(hours=estimate.hours)
    deadline = deadline_for(schedule, earliest)
    if deadline is None:
        from wattprint.schedule.job import Tier

        deadline = earliest + max(Tier(schedule.tier).default_window, duration)
    return earliest, deadline


def build_assessment(
    spec: AssessSpec,
    series: Mapping[str, IntensitySeries],
    now_utc: datetime,
    *,
    notes: Sequence[str] = (),
) -> Assessment:
    """Assess ``spec`` as of ``now_utc`` with intensity ``series`` per allowed zone.

    Raises:
        ConfigError: A workload input is bad (unknown device or zone, out of range).
    """
    estimate = estimate_for(spec)
    found_notes = list(notes)
    schedule = None
    if spec.schedule is not None:
        schedule = _schedule(spec, estimate, series, now_utc, found_notes)
    return Assessment(spec=spec, estimate=estimate, schedule=schedule,
                      alternatives=alternatives_for(spec, estimate), generated_utc=now_utc,
                      notes=tuple(found_notes))


def _schedule(spec: AssessSpec, estimate: Estimate, series: Mapping[str, IntensitySeries],
              now_utc: datetime, notes: list[str]) -> ScheduleResult | None:
    from wattprint.schedule.job import Job, Tier
    from wattprint.schedule.planner import plan

    assert spec.schedule is not None
    sched = spec.schedule
    earliest, deadline = planning_window(spec, estimate, now_utc)
    options: list[ZoneOption] = []
    baseline: ZoneOption | None = None
    for zone in sched.zones:
        zone_est = estimate if zone == spec.home_zone else estimate_for(spec, zone)
        job = Job(duration_s=estimate.hours * 3600.0, zones=(zone,),
                  energy_kwh=zone_est.energy_kwh, earliest_start_utc=earliest,
                  deadline_utc=deadline, interruptible=sched.interruptible,
                  min_chunk_s=sched.min_chunk_s, tier=Tier(sched.tier), name=spec.name,
                  project=spec.project)
        data = series.get(zone)
        if data is None:
            notes.append(f"{zone}: no intensity data; not considered")
            continue
        try:
            result = plan(job, {zone: data}, now_utc)
        except PlanError as exc:
            notes.append(f"{zone}: {exc}; not considered")
            continue
        source = result.sources.get(zone, data.source)
        options.append(ZoneOption(zone, result.start_utc, result.end_utc, zone_est.energy_kwh,
                                  result.expected_co2e_kg, result.mode, source))
        notes.extend(f"{zone}: {n}" for n in result.notes)
        if zone == spec.home_zone:
            start = now_utc if sched.tier == "critical" else earliest
            baseline = ZoneOption(zone, start, start + timedelta(hours=estimate.hours),
                                  zone_est.energy_kwh, result.baseline_co2e_kg, "baseline",
                                  source)
    if baseline is None:
        notes.append(f"no intensity data for the home zone {spec.home_zone} over the window, "
                     "so there is no baseline to compare with: schedule not assessed")
        return None
    best = min(options, key=lambda o: (round(o.co2e_kg, 9), o.zone != spec.home_zone,
                                       o.start_utc))
    return ScheduleResult(earliest, deadline, baseline, best, tuple(options))


def _schedule_dict(s: ScheduleResult) -> dict[str, Any]:
    def option(o: ZoneOption) -> dict[str, Any]:
        return {"zone": o.zone, "start": _iso(o.start_utc), "end": _iso(o.end_utc),
                "energy_kwh": o.energy_kwh, "co2e_kg": o.co2e_kg,
                "intensity_g_per_kwh": o.intensity_g_per_kwh, "mode": o.mode,
                "source": o.source}

    return {"window_start": _iso(s.window_start_utc), "deadline": _iso(s.deadline_utc),
            "baseline": option(s.baseline), "best": option(s.best),
            "saving_kg": s.saving_kg, "saving_pct": s.saving_pct,
            "by_zone": [option(o) for o in s.by_zone]}


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")
