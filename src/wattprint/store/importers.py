"""Import runs recorded by other tools: CodeCarbon's ``emissions.csv``.

CodeCarbon writes one row per run (energies in kWh, emissions in kg CO2e,
``timestamp`` at the end of the run, usually local time without an offset).
Its columns changed across versions 2.x and 3.x; only ``timestamp``,
``duration``, ``emissions`` and ``energy_consumed`` are required, anything
else may be missing, and unknown columns are ignored.

Each row becomes a finished :class:`~wattprint.model.Run` tagged
``imported:codecarbon`` with a stable id (uuid5 of CodeCarbon's ``run_id``,
``timestamp``, ``project_name`` and ``experiment_id``), so importing the
same file twice saves the same runs again instead of duplicating them.
"""

from __future__ import annotations

import csv
import math
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path

from wattprint.errors import ConfigError
from wattprint.model import (
    Device,
    DeviceEnergy,
    DeviceKind,
    Footprint,
    Intensity,
    Method,
    Run,
    RunStatus,
    ZoneChoice,
)
from wattprint.units import G_PER_KG, kwh_to_j

TAG = "imported:codecarbon"
REQUIRED_COLUMNS = ("timestamp", "duration", "emissions", "energy_consumed")
#: Namespace of imported run ids (a fixed, arbitrary uuid).
_ID_NAMESPACE = uuid.UUID("6f1c0d52-3b9e-4f5e-9a57-0c6a2e1d8b41")
_NOTE = "imported from CodeCarbon; its measurement method (RAPL, NVML or TDP model) is unknown"


def import_codecarbon_csv(path: Path | str, *, naive_tz: tzinfo | None = None) -> list[Run]:
    """Read a CodeCarbon ``emissions.csv`` into runs, in file order.

    Args:
        path: The CSV file.
        naive_tz: Time zone of timestamps without an offset; default: this
            machine's local zone (CodeCarbon writes local time).

    Raises:
        ConfigError: The file cannot be read, lacks a required column, or a
            row holds a bad number or time (the message names the line).
    """
    path = Path(path)
    try:
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                columns = ", ".join(missing)
                raise ConfigError(f"{path}: not a CodeCarbon emissions file (no {columns} column)")
            runs = []
            for row in reader:
                try:
                    runs.append(_row_to_run(row, naive_tz))
                except ValueError as e:
                    raise ConfigError(f"{path}, line {reader.line_num}: {e}") from e
            return runs
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read CodeCarbon file {path}: {e}") from e


def _number(row: Mapping[str, str | None], column: str, *, required: bool = False) -> float | None:
    text = (row.get(column) or "").strip()
    if not text:
        if required:
            raise ValueError(f"column {column!r} is empty")
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"column {column!r} has {text!r}, not a number") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"column {column!r} has {text!r}, not a finite number >= 0")
    return value


def _text(row: Mapping[str, str | None], column: str) -> str:
    return (row.get(column) or "").strip()


def _end_time(row: Mapping[str, str | None], naive_tz: tzinfo | None) -> datetime:
    text = _text(row, "timestamp")
    try:
        value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise ValueError(f"column 'timestamp' has {text!r}, not an ISO 8601 time") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=naive_tz) if naive_tz else value.astimezone()
    return value.astimezone(timezone.utc)


def _row_to_run(row: Mapping[str, str | None], naive_tz: tzinfo | None) -> Run:
    ended = _end_time(row, naive_tz)
    duration_s = _number(row, "duration", required=True) or 0.0
    emissions_kg = _number(row, "emissions", required=True) or 0.0
    total_kwh = _number(row, "energy_consumed", required=True) or 0.0
    devices, by_kind = _devices(row, total_kwh)
    zone = _zone(row)
    if total_kwh > 0:
        intensity = Intensity(zone.zone, emissions_kg * G_PER_KG / total_kwh, "CodeCarbon import",
                              resolution="imported")
    else:
        intensity = Intensity(zone.zone, 0.0, "CodeCarbon import (no energy recorded)",
                              resolution="imported")
    pue = _number(row, "pue")
    footprint = Footprint(
        energy_kwh_by_kind=by_kind,
        pue=1.0,
        pue_source=f"CodeCarbon energies taken as reported (its pue column: {pue})"
        if pue is not None else "CodeCarbon energies taken as reported",
        intensity=intensity,
        water_l=_number(row, "water_consumed"),
    )
    key = "|".join(_text(row, c) for c in ("run_id", "timestamp", "project_name", "experiment_id"))
    return Run(
        id=str(uuid.uuid5(_ID_NAMESPACE, key)),
        project=_text(row, "project_name") or "codecarbon",
        status=RunStatus.FINISHED,
        started_utc=ended - timedelta(seconds=duration_s),
        ended_utc=ended,
        duration_s=duration_s,
        host="",
        footprint=footprint,
        zone_choice=zone,
        devices=devices,
        experiment=_text(row, "experiment_id"),
        tags=(TAG,),
        warnings=_warnings(row),
    )


def _devices(
    row: Mapping[str, str | None], total_kwh: float
) -> tuple[tuple[DeviceEnergy, ...], dict[str, float]]:
    """CPU, RAM (and GPU when present) devices; energy by kind sums to ``total_kwh``."""
    parts = [
        (DeviceKind.CPU, "cpu:0", _text(row, "cpu_model") or "CPU", "cpu"),
        (DeviceKind.GPU, "gpu:0", _text(row, "gpu_model") or "GPU", "gpu"),
        (DeviceKind.RAM, "ram", f"RAM {_text(row, 'ram_total_size') or '?'} GB", "ram"),
    ]
    devices, by_kind = [], {}
    for kind, device_id, name, prefix in parts:
        energy_kwh = _number(row, f"{prefix}_energy")
        if kind is DeviceKind.GPU and not energy_kwh and not _text(row, "gpu_model"):
            continue
        power_w = _number(row, f"{prefix}_power")
        note = _NOTE + (f"; last reported power {power_w:g} W" if power_w is not None else "")
        device = Device(device_id, kind, 0, name, Method.MODELLED, "codecarbon", note=note)
        devices.append(DeviceEnergy(device, kwh_to_j(energy_kwh or 0.0)))
        by_kind[kind.value] = energy_kwh or 0.0
    # Whatever energy_consumed holds beyond the parts (a PUE factor, a newer
    # component) is kept as "other" so the imported total matches CodeCarbon's.
    rest = total_kwh - sum(by_kind.values())
    if rest > 1e-12 * max(total_kwh, 1.0):
        by_kind[DeviceKind.OTHER.value] = rest
    return tuple(devices), by_kind


def _zone(row: Mapping[str, str | None]) -> ZoneChoice:
    iso, region = _text(row, "country_iso_code"), _text(row, "region")
    zone = f"{iso}/{region}" if iso and region else iso or region or "unknown"
    details = [
        f"{label} {value}" for label, value in (
            ("country", _text(row, "country_name")), ("cloud", _text(row, "cloud_provider")),
            ("cloud region", _text(row, "cloud_region")),
        ) if value
    ]
    return ZoneChoice(zone, "imported", "from CodeCarbon: " + (", ".join(details) or "no details"))


def _warnings(row: Mapping[str, str | None]) -> tuple[str, ...]:
    version = _text(row, "codecarbon_version") or "unknown"
    mode = _text(row, "tracking_mode") or "unknown"
    return (f"imported from CodeCarbon {version} (tracking mode {mode}); "
            "device energies are CodeCarbon's own figures",)
