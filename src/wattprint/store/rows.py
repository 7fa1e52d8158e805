"""Pure mapping between :class:`~wattprint.model.Run` values and ledger rows.

No I/O: :mod:`wattprint.store.ledger` executes the statements. Reading back
what :func:`run_values` and :func:`child_rows` wrote gives an equal ``Run``.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from wattprint.errors import LedgerError
from wattprint.model import (
    Device,
    DeviceEnergy,
    DeviceKind,
    Footprint,
    Intensity,
    Method,
    Phase,
    Run,
    RunStatus,
    TracePoint,
    ZoneChoice,
)

Row = Mapping[Any, Any]  # a RowMapping or a plain dict
_KIND_COLUMNS = {kind.value: f"{kind.value}_kwh" for kind in DeviceKind}


@dataclass
class ChildRows:
    """A run's rows in the child tables, keyed by table name."""

    tags: list[Row] = field(default_factory=list)
    devices: list[Row] = field(default_factory=list)
    phases: list[Row] = field(default_factory=list)
    trace_points: list[Row] = field(default_factory=list)
    metrics: list[Row] = field(default_factory=list)


def footprint_values(footprint: Footprint, zone_choice: ZoneChoice) -> dict[str, Any]:
    """``runs`` columns that hold the footprint and zone choice.

    Raises:
        LedgerError: ``energy_kwh_by_kind`` has a key that is not a device kind.
    """
    unknown = set(footprint.energy_kwh_by_kind) - set(_KIND_COLUMNS)
    if unknown:
        raise LedgerError(
            f"footprint has energy for unknown device kinds {sorted(unknown)}; "
            f"expected some of {sorted(_KIND_COLUMNS)}"
        )
    i = footprint.intensity
    values: dict[str, Any] = {
        column: footprint.energy_kwh_by_kind.get(kind) for kind, column in _KIND_COLUMNS.items()
    }
    values.update(
        zone=zone_choice.zone, zone_how=zone_choice.how, zone_note=zone_choice.note,
        pue=footprint.pue, pue_source=footprint.pue_source,
        intensity_g_per_kwh=i.g_per_kwh, intensity_source=i.source, intensity_zone=i.zone,
        intensity_year=i.year, intensity_resolution=i.resolution,
        it_energy_kwh=footprint.it_energy_kwh, energy_kwh=footprint.energy_kwh,
        co2e_kg=footprint.co2e_kg, embodied_co2e_kg=footprint.embodied_co2e_kg,
        water_l=footprint.water_l,
    )
    return values


def run_values(run: Run, updated_utc: datetime) -> dict[str, Any]:
    """The ``runs`` row of ``run``."""
    values = footprint_values(run.footprint, run.zone_choice)
    values.update(
        id=run.id, project=run.project, experiment=run.experiment, model=run.model,
        status=run.status.value,
        started_utc=run.started_utc, ended_utc=run.ended_utc, duration_s=run.duration_s,
        host=run.host, command=run.command, exit_code=run.exit_code, error=run.error,
        flops=run.flops, warnings=json.dumps(list(run.warnings)), updated_utc=updated_utc,
    )
    return values


def child_rows(run: Run, *, trace: bool = True) -> ChildRows:
    """Rows of ``run`` in the child tables; duplicate tags are kept once.

    Raises:
        LedgerError: A metric is malformed (see :func:`metric_rows`).
    """
    rid = run.id
    out = ChildRows()
    out.metrics = metric_rows(run)
    out.tags = [
        {"run_id": rid, "tag": tag, "seq": n} for n, tag in enumerate(dict.fromkeys(run.tags))
    ]
    for n, de in enumerate(run.devices):
        d = de.device
        out.devices.append({
            "run_id": rid, "device_id": d.id, "seq": n, "kind": d.kind.value, "idx": d.index,
            "name": d.name, "method": d.method.value, "sensor": d.sensor, "source": d.source,
            "note": d.note, "energy_j": de.energy_j, "peak_power_w": de.peak_power_w,
            "samples": de.samples,
        })
    out.phases = [
        {"run_id": rid, "seq": n, "name": p.name, "started_utc": p.started_utc,
         "ended_utc": p.ended_utc, "duration_s": p.duration_s,
         "energy_by_device_j": json.dumps(dict(p.energy_by_device_j))}
        for n, p in enumerate(run.phases)
    ]
    if trace:
        out.trace_points = [
            {"run_id": rid, "seq": n, "device_id": p.device_id, "t_s": p.t_s,
             "power_w": p.power_w, "utilisation_pct": p.utilisation_pct,
             "memory_used_bytes": p.memory_used_bytes, "temperature_c": p.temperature_c}
            for n, p in enumerate(run.trace)
        ]
    return out


def metric_rows(run: Run) -> list[Row]:
    """The ``run_metrics`` rows of ``run``.

    Raises:
        LedgerError: A metric name is not non-empty text, or a value is not a
            finite number (SQLite keeps no NaN, and JSON has none).
    """
    out: list[Row] = []
    for name, value in run.metrics.items():
        if not isinstance(name, str) or not name.strip():
            raise LedgerError(
                f"run {run.id} has a metric name that is not non-empty text: {name!r}"
            )
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise LedgerError(
                f"run {run.id}: metric {name!r} is {type(value).__name__} {value!r}, "
                "not a number"
            )
        if not math.isfinite(float(value)):
            raise LedgerError(f"run {run.id}: metric {name!r} is {value}, not a finite number")
        out.append({"run_id": run.id, "name": name, "value": float(value)})
    return out


def build_run(row: Row, children: ChildRows) -> Run:
    """The :class:`Run` of a ``runs`` row and its child rows (each sorted by ``seq``)."""
    return Run(
        id=row["id"],
        project=row["project"],
        status=RunStatus(row["status"]),
        started_utc=row["started_utc"],
        ended_utc=row["ended_utc"],
        duration_s=row["duration_s"],
        host=row["host"],
        footprint=_footprint(row),
        zone_choice=ZoneChoice(zone=row["zone"], how=row["zone_how"], note=row["zone_note"]),
        devices=tuple(_device(r) for r in children.devices),
        phases=tuple(_phase(r) for r in children.phases),
        trace=tuple(_trace_point(r) for r in children.trace_points),
        experiment=row["experiment"],
        tags=tuple(r["tag"] for r in children.tags),
        command=row["command"],
        exit_code=row["exit_code"],
        error=row["error"],
        flops=row["flops"],
        warnings=tuple(json.loads(row["warnings"])),
        model=row["model"],
        metrics={r["name"]: r["value"] for r in children.metrics},
    )


def _footprint(row: Row) -> Footprint:
    by_kind = {
        kind: row[column] for kind, column in _KIND_COLUMNS.items() if row[column] is not None
    }
    return Footprint(
        energy_kwh_by_kind=by_kind,
        pue=row["pue"],
        pue_source=row["pue_source"],
        intensity=Intensity(
            zone=row["intensity_zone"], g_per_kwh=row["intensity_g_per_kwh"],
            source=row["intensity_source"], year=row["intensity_year"],
            resolution=row["intensity_resolution"],
        ),
        embodied_co2e_kg=row["embodied_co2e_kg"],
        water_l=row["water_l"],
    )


def _device(r: Row) -> DeviceEnergy:
    device = Device(
        id=r["device_id"], kind=DeviceKind(r["kind"]), index=r["idx"], name=r["name"],
        method=Method(r["method"]), sensor=r["sensor"], source=r["source"], note=r["note"],
    )
    return DeviceEnergy(
        device=device, energy_j=r["energy_j"], peak_power_w=r["peak_power_w"],
        samples=r["samples"],
    )


def _phase(r: Row) -> Phase:
    return Phase(
        name=r["name"], started_utc=r["started_utc"], ended_utc=r["ended_utc"],
        duration_s=r["duration_s"], energy_by_device_j=json.loads(r["energy_by_device_j"]),
    )


def _trace_point(r: Row) -> TracePoint:
    return TracePoint(
        device_id=r["device_id"], t_s=r["t_s"], power_w=r["power_w"],
        utilisation_pct=r["utilisation_pct"], memory_used_bytes=r["memory_used_bytes"],
        temperature_c=r["temperature_c"],
    )


def group_by_run(rows: Iterable[Row]) -> dict[str, list[Row]]:
    """Rows grouped by ``run_id``, keeping their order."""
    out: dict[str, list[Row]] = {}
    for row in rows:
        out.setdefault(row["run_id"], []).append(row)
    return out


def chunks(items: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    """``items`` in slices of at most ``size`` (to bound SQL ``IN`` lists)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
