"""Runs as JSON: the ``--json`` shape of ``wattprint show``/``runs`` and fallback files.

The shape is a public contract. Keys are snake_case and carry their unit;
times are ISO 8601 UTC with a ``Z`` suffix; enums are their string values.
Derived figures (``flops_per_w``, ``it_energy_kwh``, ``energy_kwh``,
``co2e_kg``, per-device and per-phase ``energy_kwh``) are written for
readers and ignored by :func:`run_from_dict`, which rebuilds them. ::

    {"id", "project", "experiment", "model", "tags": [str], "status",
     "started_utc", "ended_utc" (null while running), "duration_s", "host",
     "command", "exit_code", "error", "flops", "flops_per_w", "warnings": [str],
     "metrics": {name: value},
     "zone": {"zone", "how", "note"},
     "footprint": {"energy_kwh_by_kind": {kind: kWh}, "it_energy_kwh", "pue",
                   "pue_source", "energy_kwh",
                   "intensity": {"zone", "g_per_kwh", "source", "year", "resolution"},
                   "co2e_kg", "embodied_co2e_kg", "water_l"},
     "devices": [{"id", "kind", "index", "name", "method", "sensor", "source",
                  "note", "energy_kwh", "energy_j", "peak_power_w", "samples"}],
     "phases": [{"name", "started_utc", "ended_utc", "duration_s", "energy_kwh",
                 "energy_by_device_j": {device id: J}}],
     "trace": [{"device_id", "t_s", "power_w", "utilisation_pct",
                "memory_used_bytes", "temperature_c"}]}   # only with trace=True

``wattprint show --json`` adds ``"parts"``: one object per host of a run
that several hosts recorded under one id (``{"host", "status", "started_utc",
"ended_utc", "duration_s", "energy_kwh", "co2e_kg", "updated_utc", "stale"}``;
``[]`` for a one-host run), and ``"carbon_aware"``.

When the ledger cannot be written, :func:`write_fallback` keeps the run in a
JSON file of this shape; :meth:`wattprint.store.ledger.Ledger.import_fallbacks`
brings such files back. ``model`` (``""`` when none was given) and
``metrics`` (the final value per metric name) came with ledger schema 0004;
records written before that lack them and read back as ``""`` and ``{}``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
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
    RunPart,
    RunStatus,
    TracePoint,
    ZoneChoice,
)
from wattprint.units import j_to_kwh

logger = logging.getLogger(__name__)

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def format_utc(value: datetime) -> str:
    """ISO 8601 text of an aware time, in UTC with a ``Z`` suffix."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()}; runs carry aware UTC times")
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def parse_utc(text: str) -> datetime:
    """Parse :func:`format_utc` output (any explicit offset is accepted) to aware UTC."""
    value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    if value.tzinfo is None:
        raise ValueError(f"time {text!r} has no UTC offset")
    return value.astimezone(timezone.utc)


def run_to_dict(run: Run, *, trace: bool = True) -> dict[str, Any]:
    """The JSON-ready dict of ``run`` (see the module docstring for the shape)."""
    out: dict[str, Any] = {
        "id": run.id,
        "project": run.project,
        "experiment": run.experiment,
        "model": run.model,
        "tags": list(run.tags),
        "status": run.status.value,
        "started_utc": format_utc(run.started_utc),
        "ended_utc": None if run.ended_utc is None else format_utc(run.ended_utc),
        "duration_s": run.duration_s,
        "host": run.host,
        "command": run.command,
        "exit_code": run.exit_code,
        "error": run.error,
        "flops": run.flops,
        "flops_per_w": run.flops_per_w,
        "warnings": list(run.warnings),
        "metrics": dict(run.metrics),
        "zone": {"zone": run.zone_choice.zone, "how": run.zone_choice.how,
                 "note": run.zone_choice.note},
        "footprint": _footprint_to_dict(run.footprint),
        "devices": [_device_to_dict(d) for d in run.devices],
        "phases": [_phase_to_dict(p) for p in run.phases],
    }
    if trace:
        out["trace"] = [_trace_to_dict(p) for p in run.trace]
    return out


def part_to_dict(part: RunPart) -> dict[str, Any]:
    """One host's part (``wattprint show --json`` lists them under ``parts``)."""
    return {
        "host": part.host, "status": part.status.value,
        "started_utc": format_utc(part.started_utc),
        "ended_utc": None if part.ended_utc is None else format_utc(part.ended_utc),
        "duration_s": part.duration_s, "energy_kwh": part.energy_kwh, "co2e_kg": part.co2e_kg,
        "updated_utc": format_utc(part.updated_utc), "stale": part.stale,
    }


def _footprint_to_dict(fp: Footprint) -> dict[str, Any]:
    i = fp.intensity
    return {
        "energy_kwh_by_kind": dict(fp.energy_kwh_by_kind),
        "it_energy_kwh": fp.it_energy_kwh,
        "pue": fp.pue,
        "pue_source": fp.pue_source,
        "energy_kwh": fp.energy_kwh,
        "intensity": {"zone": i.zone, "g_per_kwh": i.g_per_kwh, "source": i.source,
                      "year": i.year, "resolution": i.resolution},
        "co2e_kg": fp.co2e_kg,
        "embodied_co2e_kg": fp.embodied_co2e_kg,
        "water_l": fp.water_l,
    }


def _device_to_dict(de: DeviceEnergy) -> dict[str, Any]:
    d = de.device
    return {
        "id": d.id, "kind": d.kind.value, "index": d.index, "name": d.name,
        "method": d.method.value, "sensor": d.sensor, "source": d.source, "note": d.note,
        "energy_kwh": j_to_kwh(de.energy_j), "energy_j": de.energy_j,
        "peak_power_w": de.peak_power_w, "samples": de.samples,
    }


def _phase_to_dict(p: Phase) -> dict[str, Any]:
    return {
        "name": p.name,
        "started_utc": format_utc(p.started_utc),
        "ended_utc": format_utc(p.ended_utc),
        "duration_s": p.duration_s,
        "energy_kwh": j_to_kwh(p.energy_j),
        "energy_by_device_j": dict(p.energy_by_device_j),
    }


def _trace_to_dict(p: TracePoint) -> dict[str, Any]:
    return {
        "device_id": p.device_id, "t_s": p.t_s, "power_w": p.power_w,
        "utilisation_pct": p.utilisation_pct, "memory_used_bytes": p.memory_used_bytes,
        "temperature_c": p.temperature_c,
    }


def run_from_dict(d: Mapping[str, Any]) -> Run:
    """Rebuild a :class:`Run` from :func:`run_to_dict` output.

    Raises:
        ValueError: A key is missing or a value has the wrong type or format.
    """
    try:
        return _run_from_dict(d)
    except (KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"not a wattprint run record: {type(e).__name__}: {e}") from e


def _run_from_dict(d: Mapping[str, Any]) -> Run:
    zone = d["zone"]
    return Run(
        id=str(d["id"]),
        project=str(d["project"]),
        status=RunStatus(d["status"]),
        started_utc=parse_utc(d["started_utc"]),
        ended_utc=None if d.get("ended_utc") is None else parse_utc(d["ended_utc"]),
        duration_s=float(d["duration_s"]),
        host=str(d["host"]),
        footprint=_footprint_from_dict(d["footprint"]),
        zone_choice=ZoneChoice(zone=zone["zone"], how=zone["how"], note=zone.get("note", "")),
        devices=tuple(_device_from_dict(x) for x in d.get("devices", ())),
        phases=tuple(_phase_from_dict(x) for x in d.get("phases", ())),
        trace=tuple(_trace_from_dict(x) for x in d.get("trace", ())),
        experiment=str(d.get("experiment", "")),
        tags=tuple(d.get("tags", ())),
        command=str(d.get("command", "")),
        exit_code=d.get("exit_code"),
        error=str(d.get("error", "")),
        flops=_opt_float(d.get("flops")),
        warnings=tuple(d.get("warnings", ())),
        model=str(d.get("model", "")),
        metrics=_metrics_from_dict(d.get("metrics", {})),
    )


def _metrics_from_dict(d: Mapping[str, Any]) -> dict[str, float]:
    out = {}
    for name, value in d.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"metric {name!r} is {value!r}, not a number")
        out[str(name)] = float(value)
    return out


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _footprint_from_dict(d: Mapping[str, Any]) -> Footprint:
    i = d["intensity"]
    return Footprint(
        energy_kwh_by_kind={str(k): float(v) for k, v in d["energy_kwh_by_kind"].items()},
        pue=float(d["pue"]),
        pue_source=str(d["pue_source"]),
        intensity=Intensity(
            zone=i["zone"], g_per_kwh=float(i["g_per_kwh"]), source=i["source"],
            year=i.get("year"), resolution=i.get("resolution", "annual"),
        ),
        embodied_co2e_kg=_opt_float(d.get("embodied_co2e_kg")),
        water_l=_opt_float(d.get("water_l")),
    )


def _device_from_dict(d: Mapping[str, Any]) -> DeviceEnergy:
    device = Device(
        id=d["id"], kind=DeviceKind(d["kind"]), index=int(d["index"]), name=d["name"],
        method=Method(d["method"]), sensor=d["sensor"], source=d.get("source", ""),
        note=d.get("note", ""),
    )
    return DeviceEnergy(
        device=device, energy_j=float(d["energy_j"]),
        peak_power_w=float(d.get("peak_power_w", 0.0)), samples=int(d.get("samples", 0)),
    )


def _phase_from_dict(d: Mapping[str, Any]) -> Phase:
    return Phase(
        name=d["name"],
        started_utc=parse_utc(d["started_utc"]),
        ended_utc=parse_utc(d["ended_utc"]),
        duration_s=float(d["duration_s"]),
        energy_by_device_j={str(k): float(v) for k, v in d["energy_by_device_j"].items()},
    )


def _trace_from_dict(d: Mapping[str, Any]) -> TracePoint:
    return TracePoint(
        device_id=d["device_id"], t_s=float(d["t_s"]), power_w=float(d["power_w"]),
        utilisation_pct=_opt_float(d.get("utilisation_pct")),
        memory_used_bytes=_opt_float(d.get("memory_used_bytes")),
        temperature_c=_opt_float(d.get("temperature_c")),
    )


def default_fallback_dirs() -> tuple[Path, Path]:
    """Where fallback files go: the user data dir, then the system temp dir."""
    import platformdirs

    return (
        Path(platformdirs.user_data_dir("wattprint")) / "fallback",
        Path(tempfile.gettempdir()) / "wattprint-fallback",
    )


def write_fallback(run: Run, directory: Path | None = None, *, part: bool = False) -> Path:
    """Write ``run`` as JSON to a fallback file and return its path.

    One file per run id (``run-<id>.json``; with ``part``, host ``run.host``'s
    part of a shared run: ``part-<id>-<host>.json``), replaced atomically, so repeated
    flushes of the same run leave one, current, file. If ``directory``
    (default: the user data dir's ``fallback``) cannot be written, the system
    temp dir is used instead: a run is never lost for want of a directory.

    Raises:
        LedgerError: No candidate directory could be written.
    """
    primary, temp = default_fallback_dirs()
    candidates = [directory or primary, temp]
    text = json.dumps(run_to_dict(run), indent=2)
    name = f"run-{_UNSAFE_NAME.sub('_', run.id)}.json"
    if part:
        name = f"part-{_UNSAFE_NAME.sub('_', run.id)}-{_UNSAFE_NAME.sub('_', run.host)}.json"
    errors = []
    for folder in candidates:
        try:
            return _write_atomic(folder, name, text)
        except OSError as e:
            errors.append(f"{folder}: {e.strerror or e}")
    raise LedgerError(f"cannot write fallback file for run {run.id}: {'; '.join(errors)}")


def _write_atomic(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".run-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        target = folder / name
        os.replace(tmp, target)
        return target
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_fallbacks(directory: Path | None = None) -> dict[Path, Run]:
    """Read fallback files, keyed by path, in file-name order.

    With ``directory=None`` both default locations are read. A file that is
    not a valid run record is skipped with a logged warning and left in place.
    Parts of shared runs (``part-*.json``, see :func:`is_part_file`) come after
    whole runs.
    """
    folders = [directory] if directory is not None else list(default_fallback_dirs())
    found: dict[Path, Run] = {}
    for folder in folders:
        paths = [*sorted(folder.glob("run-*.json")), *sorted(folder.glob("part-*.json"))]
        for path in paths if folder.is_dir() else ():
            try:
                found[path] = run_from_dict(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError) as e:
                logger.warning("skipping fallback file %s: %s", path, e)
    return found


def is_part_file(path: Path) -> bool:
    """Whether a fallback file holds one host's part of a shared run."""
    return path.name.startswith("part-")
