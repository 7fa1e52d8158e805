"""Backtest a log of past jobs: what carbon-aware scheduling would have saved.

Each past job (submitted at some instant, running for a duration, using
some energy, due by a deadline, in a home zone) is replayed four ways
against recorded intensity, with perfect foresight:

* **as run** — started at submission in the home zone;
* **time shift** — the planner's best start in the home zone before the deadline;
* **region shift** — started at submission, in the cleanest of the allowed zones;
* **both** — the best zone and the best start.

Every variant goes through :func:`wattprint.schedule.planner.plan`, so the
backtest measures exactly what the planner would have done had it known the
intensity in advance: an upper bound on the saving that a real forecast
approaches (see ``wattprint forecast-eval`` for how close).

:func:`parse_jobs_csv` reads the job log (pure, from text); the CLI reads
the file. :func:`backtest_jobs` is pure too.

Example::

    jobs = parse_jobs_csv(Path("jobs.csv").read_text(), "jobs.csv")
    report = backtest_jobs(jobs, {"DE": de, "FR": fr}, zones=("DE", "FR"))
    report.total.both_saving_pct
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from wattprint.errors import ConfigError, PlanError
from wattprint.intensity.series import IntensitySeries
from wattprint.schedule.job import Job, Plan
from wattprint.schedule.planner import plan

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


@dataclass(frozen=True)
class PastJob:
    """One row of a job log.

    Attributes:
        job_id: Identifier from the log (or the row number).
        submit_utc: When the job was submitted (aware, UTC).
        duration_s: How long it ran (whole seconds).
        energy_kwh: Facility energy it used.
        deadline_utc: When it had to be finished.
        zone: Home zone, or ``None`` for the first allowed zone.
        interruptible: Whether it could have been paused and resumed.
        where: ``"jobs.csv line 4"``, for messages.
    """

    job_id: str
    submit_utc: datetime
    duration_s: float
    energy_kwh: float
    deadline_utc: datetime
    zone: str | None = None
    interruptible: bool = False
    where: str = ""


@dataclass(frozen=True)
class JobOutcome:
    """Emissions of one past job under each variant (kg CO2e)."""

    job: PastJob
    zone: str
    as_run_co2e_kg: float
    time_shift_co2e_kg: float
    region_shift_co2e_kg: float
    both_co2e_kg: float
    time_shift_start_utc: datetime
    region_shift_zone: str
    both_zone: str
    both_start_utc: datetime

    def to_dict(self) -> dict[str, object]:
        """Stable JSON keys for ``wattprint backtest --json``."""
        return {
            "job_id": self.job.job_id, "zone": self.zone, "submit": _iso(self.job.submit_utc),
            "duration_s": self.job.duration_s, "energy_kwh": self.job.energy_kwh,
            "deadline": _iso(self.job.deadline_utc), "interruptible": self.job.interruptible,
            "as_run_co2e_kg": self.as_run_co2e_kg,
            "time_shift_co2e_kg": self.time_shift_co2e_kg,
            "region_shift_co2e_kg": self.region_shift_co2e_kg,
            "both_co2e_kg": self.both_co2e_kg,
            "time_shift_start": _iso(self.time_shift_start_utc),
            "region_shift_zone": self.region_shift_zone,
            "both_zone": self.both_zone, "both_start": _iso(self.both_start_utc),
            **_savings(self.as_run_co2e_kg, self.time_shift_co2e_kg,
                       self.region_shift_co2e_kg, self.both_co2e_kg),
        }


@dataclass(frozen=True)
class BacktestTotals:
    """Summed emissions of all jobs under each variant (kg CO2e)."""

    as_run_co2e_kg: float
    time_shift_co2e_kg: float
    region_shift_co2e_kg: float
    both_co2e_kg: float

    def to_dict(self) -> dict[str, object]:
        """Stable JSON keys, with savings in kg and %."""
        return {
            "as_run_co2e_kg": self.as_run_co2e_kg,
            "time_shift_co2e_kg": self.time_shift_co2e_kg,
            "region_shift_co2e_kg": self.region_shift_co2e_kg,
            "both_co2e_kg": self.both_co2e_kg,
            **_savings(self.as_run_co2e_kg, self.time_shift_co2e_kg,
                       self.region_shift_co2e_kg, self.both_co2e_kg),
        }


@dataclass(frozen=True)
class BacktestReport:
    """Per-job outcomes, their totals and the zones that were allowed."""

    jobs: tuple[JobOutcome, ...]
    total: BacktestTotals
    zones: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """Stable JSON keys: ``zones``, ``jobs`` and ``total``."""
        return {"zones": list(self.zones), "jobs": [j.to_dict() for j in self.jobs],
                "total": self.total.to_dict()}


def backtest_jobs(
    jobs: Sequence[PastJob], series: Mapping[str, IntensitySeries], zones: Sequence[str]
) -> BacktestReport:
    """Replay ``jobs`` against recorded ``series`` as run, time-, region- and both-shifted.

    Args:
        jobs: The job log.
        series: Recorded intensity per zone (used as a perfect forecast).
        zones: Zones a job may move to; the first is the home of jobs without one.

    Returns:
        Outcomes per job, in log order, and totals.

    Raises:
        PlanError: A job cannot be planned (e.g. no data for its home zone at
            its submission); the message names the job and its line.
    """
    if not zones:
        raise ConfigError("backtest: give at least one zone")
    outcomes = tuple(_replay(job, series, tuple(zones)) for job in jobs)
    total = BacktestTotals(*(sum(getattr(o, name) for o in outcomes) for name in (
        "as_run_co2e_kg", "time_shift_co2e_kg", "region_shift_co2e_kg", "both_co2e_kg")))
    return BacktestReport(outcomes, total, tuple(zones))


def _replay(past: PastJob, series: Mapping[str, IntensitySeries], zones: tuple[str, ...]
            ) -> JobOutcome:
    home = past.zone or zones[0]
    everywhere = (home, *(z for z in zones if z != home))
    window = {z: s.between(past.submit_utc, past.deadline_utc) for z, s in series.items()
              if z in everywhere}
    run_end = past.submit_utc + timedelta(seconds=past.duration_s)
    try:
        time_plan = _plan(past, (home,), past.deadline_utc, past.interruptible, window)
        region_plan = _plan(past, everywhere, run_end, False, window)
        both_plan = _plan(past, everywhere, past.deadline_utc, past.interruptible, window)
    except PlanError as exc:
        raise PlanError(f"{past.where} (job {past.job_id}): {exc}") from exc
    return JobOutcome(
        job=past, zone=home, as_run_co2e_kg=time_plan.baseline_co2e_kg,
        time_shift_co2e_kg=time_plan.expected_co2e_kg,
        region_shift_co2e_kg=region_plan.expected_co2e_kg,
        both_co2e_kg=both_plan.expected_co2e_kg, time_shift_start_utc=time_plan.start_utc,
        region_shift_zone=region_plan.zone, both_zone=both_plan.zone,
        both_start_utc=both_plan.start_utc,
    )


def _plan(past: PastJob, zones: tuple[str, ...], deadline_utc: datetime, interruptible: bool,
          series: Mapping[str, IntensitySeries]) -> Plan:
    job = Job(duration_s=past.duration_s, zones=zones, energy_kwh=past.energy_kwh,
              earliest_start_utc=past.submit_utc, deadline_utc=deadline_utc,
              interruptible=interruptible, home_zone=zones[0], name=past.job_id)
    return plan(job, series, past.submit_utc)


# -- reading the job log (pure: from text) ------------------------------------------------


def parse_jobs_csv(text: str, source: str = "jobs.csv") -> list[PastJob]:
    """Jobs from CSV text.

    Columns: ``submit_utc`` (ISO 8601), ``duration_h``, ``energy_kwh``, and
    ``deadline_h`` (hours after submission the job had to finish) or
    ``deadline_utc``; optional ``job_id``, ``zone`` (home) and
    ``interruptible`` (true/false).

    Raises:
        ConfigError: A missing column or a bad cell, naming ``source``, the
            line and the column.
    """
    reader = csv.reader(io.StringIO(text))
    header = [name.strip() for name in next(reader, [])]
    missing = [c for c in ("submit_utc", "duration_h", "energy_kwh") if c not in header]
    if not ({"deadline_h", "deadline_utc"} & set(header)):
        missing.append("deadline_h (or deadline_utc)")
    if missing:
        raise ConfigError(f"{source}: missing column {', '.join(missing)} "
                          f"(columns: {', '.join(header) or 'none'})")
    jobs: list[PastJob] = []
    for row in reader:
        if not row or all(not cell.strip() for cell in row):
            continue
        cells = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        jobs.append(_parse_job(cells, f"{source} line {reader.line_num}", len(jobs) + 1))
    if not jobs:
        raise ConfigError(f"{source}: no jobs (only a header)")
    return jobs


def _parse_job(cells: Mapping[str, str], where: str, number: int) -> PastJob:
    submit = _when(cells, "submit_utc", where)
    duration_h = _number(cells, "duration_h", where, positive=True)
    energy_kwh = _number(cells, "energy_kwh", where, positive=False)
    if cells.get("deadline_utc"):
        deadline, column = _when(cells, "deadline_utc", where), "deadline_utc"
    else:
        deadline = submit + timedelta(hours=_number(cells, "deadline_h", where, positive=True))
        column = "deadline_h"
    duration_s = float(round(duration_h * 3600))
    if (deadline - submit).total_seconds() < duration_s:
        raise ConfigError(f"{where}, column {column}: the deadline leaves "
                          f"{(deadline - submit).total_seconds() / 3600:g} h after submission "
                          f"but the job ran {duration_h:g} h")
    flag = cells.get("interruptible", "").lower()
    if flag not in _TRUE | _FALSE:
        raise ConfigError(f"{where}, column interruptible: expected true or false, "
                          f"got {cells['interruptible']!r}")
    return PastJob(job_id=cells.get("job_id") or str(number), submit_utc=submit,
                   duration_s=duration_s, energy_kwh=energy_kwh, deadline_utc=deadline,
                   zone=cells.get("zone") or None, interruptible=flag in _TRUE, where=where)


def _when(cells: Mapping[str, str], column: str, where: str) -> datetime:
    text = cells.get(column, "")
    try:
        value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z"))
                                       else text)
    except ValueError:
        raise ConfigError(f"{where}, column {column}: expected an ISO 8601 time like "
                          f"2023-03-01T08:00:00Z, got {text!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _number(cells: Mapping[str, str], column: str, where: str, *, positive: bool) -> float:
    text = cells.get(column, "")
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        wanted = "a number > 0" if positive else "a number >= 0"
        raise ConfigError(f"{where}, column {column}: expected {wanted}, got {text!r}")
    return value


def _savings(as_run: float, time: float, region: float, both: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in (("time_shift", time), ("region_shift", region), ("both", both)):
        out[f"{name}_saving_kg"] = as_run - value
        out[f"{name}_saving_pct"] = round(100.0 * (as_run - value) / as_run, 3) if as_run > 0 \
            else 0.0
    return out


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
