"""Runs recorded by several hosts: one part per host, merged into one run.

A distributed job (``torchrun`` on four nodes, a Slurm job step, a Ray
cluster) is one logical run. Each host records its own devices once, as a
*part* of that run (``run_parts``: the host's figures, its heartbeat and the
whole part as JSON), and the ``runs`` row is rebuilt from every part in the
same transaction, so the usual tables (devices, phases, trace) and every
report see one run whose totals are the sums over hosts.

The merge (:func:`merge_parts`, pure) takes, in order:

* status: ``running`` while any part runs (and has a fresh heartbeat), else
  ``failed`` if any part failed, else ``interrupted`` if any was interrupted or
  went stale, else ``finished``;
* start the earliest part start, end the latest part end (none while
  running), duration the span between them;
* IT energy per device kind, flops, embodied emissions and water: summed;
  facility energy and CO2e: summed as well, so when hosts differ in PUE or
  grid intensity the run's PUE is the IT-energy-weighted one and its
  intensity the facility-energy-weighted one, and the note says so;
* devices, phases and trace: those of every part, device ids prefixed with the
  host (``node-a/cpu:0``), trace times shifted to the run's start;
* project, experiment, model, command and zone from the *primary* part (the
  earliest started, host name breaking ties); tags, warnings and metrics
  from every part (the primary's value wins for a metric logged twice).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from wattprint.model import (
    Device,
    DeviceEnergy,
    Footprint,
    Intensity,
    Phase,
    Run,
    RunPart,
    RunStatus,
    TracePoint,
    ZoneChoice,
)
from wattprint.store.engine import upsert
from wattprint.store.schema import run_parts
from wattprint.store.serialize import format_utc, run_from_dict, run_to_dict


@dataclass(frozen=True)
class StoredPart:
    """A part as read back: the host's run and its effective status."""

    run: Run
    status: RunStatus
    stale_utc: datetime | None
    updated_utc: datetime


def part_values(run: Run, *, now: datetime, stale_utc: datetime | None) -> dict[str, Any]:
    """The ``run_parts`` row of ``run`` (the part of host ``run.host``)."""
    return {
        "run_id": run.id, "host": run.host, "status": run.status.value,
        "started_utc": run.started_utc, "ended_utc": run.ended_utc,
        "duration_s": run.duration_s, "energy_kwh": run.energy_kwh, "co2e_kg": run.co2e_kg,
        "stale_utc": stale_utc, "updated_utc": now,
        "body": json.dumps(run_to_dict(run), separators=(",", ":")),
    }


def put_part(conn: Connection, values: Mapping[str, Any]) -> None:
    """Insert or replace one host's part (``values`` from :func:`part_values`)."""
    upsert(conn, run_parts, values, ["run_id", "host"])


def stored_parts(conn: Connection, run_id: str, now: datetime) -> list[StoredPart]:
    """Every part of ``run_id``, by host; a running part past its heartbeat counts interrupted."""
    stmt = select(run_parts).where(run_parts.c.run_id == run_id).order_by(run_parts.c.host)
    out = []
    for r in conn.execute(stmt).mappings():
        status = effective_status(RunStatus(r["status"]), r["stale_utc"], now)
        out.append(StoredPart(run_from_dict(json.loads(r["body"])), status, r["stale_utc"],
                              r["updated_utc"]))
    return out


def summaries(conn: Connection, run_id: str, now: datetime) -> list[RunPart]:
    """The parts of ``run_id`` without their bodies, by host."""
    stmt = (select(*(c for c in run_parts.c if c.name != "body"))
            .where(run_parts.c.run_id == run_id).order_by(run_parts.c.host))
    return [
        RunPart(
            run_id=r["run_id"], host=r["host"],
            status=effective_status(RunStatus(r["status"]), r["stale_utc"], now),
            started_utc=r["started_utc"], ended_utc=r["ended_utc"], duration_s=r["duration_s"],
            energy_kwh=r["energy_kwh"], co2e_kg=r["co2e_kg"], updated_utc=r["updated_utc"],
            stale=_is_stale(RunStatus(r["status"]), r["stale_utc"], now),
        )
        for r in conn.execute(stmt).mappings()
    ]


def effective_status(status: RunStatus, stale_utc: datetime | None, now: datetime) -> RunStatus:
    """``interrupted`` for a running record whose heartbeat deadline has passed."""
    return RunStatus.INTERRUPTED if _is_stale(status, stale_utc, now) else status


def _is_stale(status: RunStatus, stale_utc: datetime | None, now: datetime) -> bool:
    return status is RunStatus.RUNNING and stale_utc is not None and stale_utc < now


def merged_stale_utc(parts: Sequence[StoredPart]) -> datetime | None:
    """The merged run's heartbeat deadline: the latest of its live parts' (None when none runs)."""
    live = [p.stale_utc for p in parts if p.status is RunStatus.RUNNING]
    if not live or any(s is None for s in live):
        return None
    return max(s for s in live if s is not None)


def merge_parts(run_id: str, parts: Sequence[StoredPart]) -> Run:
    """One run of the parts of ``run_id`` (see the module docstring for the rules).

    Raises:
        ValueError: ``parts`` is empty.
    """
    if not parts:
        raise ValueError(f"run {run_id} has no parts to merge")
    ordered = sorted(parts, key=lambda p: (p.run.started_utc, p.run.host))
    primary = ordered[0].run
    started = primary.started_utc
    status = _merged_status([p.status for p in parts])
    ends = [_end_of(p) for p in parts]
    ended = None if status is RunStatus.RUNNING else max(ends)
    duration_s = max((e - started).total_seconds() for e in ends)
    metrics: dict[str, float] = {}
    for p in reversed(ordered):
        metrics.update(p.run.metrics)
    return Run(
        id=run_id,
        project=primary.project,
        status=status,
        started_utc=started,
        ended_utc=ended,
        duration_s=duration_s,
        host=", ".join(sorted(p.run.host for p in parts)),
        footprint=_merged_footprint([p.run for p in ordered]),
        zone_choice=_merged_zone([p.run for p in ordered]),
        devices=tuple(d for p in ordered for d in _devices(p.run)),
        phases=tuple(sorted((ph for p in ordered for ph in _phases(p.run)),
                            key=lambda ph: ph.started_utc)),
        trace=tuple(sorted((t for p in ordered for t in _trace(p.run, started)),
                           key=lambda t: t.t_s)),
        experiment=primary.experiment,
        tags=tuple(dict.fromkeys(t for p in ordered for t in p.run.tags)),
        command=primary.command,
        exit_code=next((p.run.exit_code for p in ordered if p.run.exit_code), primary.exit_code),
        error="; ".join(f"{p.run.host}: {_error_of(p)}" for p in ordered if _error_of(p)),
        flops=_sum_or_none(p.run.flops for p in parts),
        warnings=tuple(dict.fromkeys(w for p in ordered for w in _warnings_of(p))),
        model=primary.model,
        metrics=metrics,
    )


def _merged_status(statuses: Sequence[RunStatus]) -> RunStatus:
    for status in (RunStatus.RUNNING, RunStatus.FAILED, RunStatus.INTERRUPTED):
        if status in statuses:
            return status
    return RunStatus.FINISHED


def _end_of(part: StoredPart) -> datetime:
    run = part.run
    if run.ended_utc is not None:
        return run.ended_utc
    return run.started_utc + timedelta(seconds=run.duration_s)


def _error_of(part: StoredPart) -> str:
    if part.run.error:
        return part.run.error
    if part.status is RunStatus.INTERRUPTED and part.run.status is RunStatus.RUNNING:
        return "no heartbeat (tracker killed or host lost)"
    return ""


def _warnings_of(part: StoredPart) -> list[str]:
    out = list(part.run.warnings)
    if part.status is RunStatus.INTERRUPTED and part.run.status is RunStatus.RUNNING:
        out.append(f"host {part.run.host}: no heartbeat since {format_utc(part.updated_utc)}; "
                   "its energy is counted up to its last write")
    return out


def _sum_or_none(values: Any) -> float | None:
    present = [float(v) for v in values if v is not None]
    return sum(present) if present else None


def _merged_footprint(runs: Sequence[Run]) -> Footprint:
    kinds: dict[str, float] = {}
    for run in runs:
        for kind, kwh in run.footprint.energy_kwh_by_kind.items():
            kinds[kind] = kinds.get(kind, 0.0) + kwh
    first = runs[0].footprint
    it_kwh = sum(kinds.values())
    facility_kwh = sum(r.footprint.energy_kwh for r in runs)
    co2e_kg = sum(r.footprint.co2e_kg for r in runs)
    same_pue = all(r.footprint.pue == first.pue for r in runs)
    pue, pue_source = first.pue, first.pue_source
    if not same_pue and it_kwh > 0:
        pue = facility_kwh / it_kwh
        pue_source = "IT-energy-weighted mean of the hosts' PUEs: " + _per_host(
            runs, lambda r: f"{r.footprint.pue:g}")
    intensity = first.intensity
    if not all(r.footprint.intensity == first.intensity for r in runs) and facility_kwh > 0:
        intensity = Intensity(
            zone=first.intensity.zone,
            g_per_kwh=co2e_kg * 1000.0 / facility_kwh,
            source="energy-weighted mean over hosts: " + _per_host(
                runs, lambda r: f"{r.footprint.intensity.g_per_kwh:.1f} g/kWh "
                                f"({r.footprint.intensity.zone})"),
            year=first.intensity.year if all(
                r.footprint.intensity.year == first.intensity.year for r in runs) else None,
            resolution=first.intensity.resolution,
        )
    return Footprint(
        energy_kwh_by_kind=kinds, pue=pue, pue_source=pue_source, intensity=intensity,
        embodied_co2e_kg=_sum_or_none(r.footprint.embodied_co2e_kg for r in runs),
        water_l=_sum_or_none(r.footprint.water_l for r in runs),
    )


def _per_host(runs: Sequence[Run], describe: Any) -> str:
    return ", ".join(f"{r.host} {describe(r)}" for r in runs)


def _merged_zone(runs: Sequence[Run]) -> ZoneChoice:
    first = runs[0].zone_choice
    zones = list(dict.fromkeys(r.zone_choice.zone for r in runs))
    if len(zones) == 1:
        return first
    note = ("hosts in several zones: " + _per_host(runs, lambda r: r.zone_choice.zone)
            + f"; the run is filed under {first.zone}, the primary host's zone")
    return replace(first, note=f"{first.note}; {note}" if first.note else note)


def _prefixed(host: str, device_id: str) -> str:
    return f"{host}/{device_id}"


def _devices(run: Run) -> list[DeviceEnergy]:
    out = []
    for de in run.devices:
        device: Device = replace(de.device, id=_prefixed(run.host, de.device.id))
        out.append(replace(de, device=device))
    return out


def _phases(run: Run) -> list[Phase]:
    return [
        replace(p, energy_by_device_j={_prefixed(run.host, d): j
                                       for d, j in p.energy_by_device_j.items()})
        for p in run.phases
    ]


def _trace(run: Run, run_started: datetime) -> list[TracePoint]:
    shift_s = (run.started_utc - run_started).total_seconds()
    return [replace(t, device_id=_prefixed(run.host, t.device_id), t_s=t.t_s + shift_s)
            for t in run.trace]
