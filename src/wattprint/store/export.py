"""Export runs to CSV or Parquet, one flat row per run.

Columns (units in the names; times ISO 8601 UTC in CSV, ``timestamp[us, UTC]``
in Parquet; tags joined with ``;``; a device kind the run did not measure
counts as 0 kWh): see :data:`COLUMNS`, then one ``metric_<name>`` column
(float64) per metric name that any exported run logged, in name order, empty
(null) for a run without that metric. Traces, devices and phases are not
exported; use ``wattprint show --json`` for those.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal

from wattprint.errors import ConfigError, MissingExtraError
from wattprint.model import Run
from wattprint.store.serialize import format_utc

#: Column name → Parquet type name (``string``, ``float64``, ``int64``, ``timestamp``).
COLUMNS: dict[str, str] = {
    "id": "string", "project": "string", "experiment": "string", "model": "string",
    "tags": "string",
    "status": "string", "started_utc": "timestamp", "ended_utc": "timestamp",
    "duration_s": "float64", "host": "string", "command": "string", "exit_code": "int64",
    "zone": "string", "zone_how": "string",
    "cpu_kwh": "float64", "gpu_kwh": "float64", "ram_kwh": "float64", "other_kwh": "float64",
    "it_energy_kwh": "float64", "pue": "float64", "pue_source": "string",
    "energy_kwh": "float64", "intensity_g_per_kwh": "float64", "intensity_source": "string",
    "intensity_zone": "string", "intensity_year": "int64", "co2e_kg": "float64",
    "embodied_co2e_kg": "float64", "water_l": "float64", "flops": "float64",
    "flops_per_w": "float64",
}

#: Prefix of the per-metric columns (``metric_accuracy``).
METRIC_PREFIX = "metric_"

Format = Literal["csv", "parquet"]


def metric_columns(runs: Iterable[Run]) -> list[str]:
    """The ``metric_<name>`` columns for ``runs``: every metric name any of them has, sorted."""
    return [METRIC_PREFIX + name for name in sorted({n for r in runs for n in r.metrics})]


def run_record(run: Run, metrics: Sequence[str] | None = None) -> dict[str, Any]:
    """The flat export row of ``run`` (times as aware datetimes, ``None`` for unknown).

    Args:
        run: The run.
        metrics: Metric columns to fill (``metric_<name>``; ``None`` where the
            run lacks the metric); default: the run's own metrics.
    """
    fp = run.footprint
    by_kind = fp.energy_kwh_by_kind
    columns = metric_columns([run]) if metrics is None else metrics
    record: dict[str, Any] = {
        "id": run.id, "project": run.project, "experiment": run.experiment, "model": run.model,
        "tags": ";".join(run.tags), "status": run.status.value,
        "started_utc": run.started_utc, "ended_utc": run.ended_utc,
        "duration_s": run.duration_s, "host": run.host, "command": run.command,
        "exit_code": run.exit_code, "zone": run.zone_choice.zone, "zone_how": run.zone_choice.how,
        "cpu_kwh": by_kind.get("cpu", 0.0), "gpu_kwh": by_kind.get("gpu", 0.0),
        "ram_kwh": by_kind.get("ram", 0.0), "other_kwh": by_kind.get("other", 0.0),
        "it_energy_kwh": fp.it_energy_kwh, "pue": fp.pue, "pue_source": fp.pue_source,
        "energy_kwh": fp.energy_kwh, "intensity_g_per_kwh": fp.intensity.g_per_kwh,
        "intensity_source": fp.intensity.source, "intensity_zone": fp.intensity.zone,
        "intensity_year": fp.intensity.year, "co2e_kg": fp.co2e_kg,
        "embodied_co2e_kg": fp.embodied_co2e_kg, "water_l": fp.water_l,
        "flops": run.flops, "flops_per_w": run.flops_per_w,
    }
    for column in columns:
        record[column] = run.metrics.get(column.removeprefix(METRIC_PREFIX))
    return record


def export_runs(
    runs: Iterable[Run], path_or_stream: str | Path | IO[Any], format: Format = "csv"
) -> int:
    """Write ``runs`` to a file, a stream, or stdout (``"-"``).

    Args:
        runs: Runs to write, in order.
        path_or_stream: A path, ``"-"`` for stdout, or an open stream (text
            for CSV, binary for Parquet).
        format: ``"csv"`` or ``"parquet"``.

    Returns:
        Number of rows written.

    Raises:
        ConfigError: Unknown format.
        MissingExtraError: Parquet asked for but pyarrow is not installed.
    """
    runs = list(runs)
    metrics = metric_columns(runs)
    records = [run_record(r, metrics) for r in runs]
    if format == "csv":
        _write_csv(records, [*COLUMNS, *metrics], path_or_stream)
    elif format == "parquet":
        _write_parquet(records, metrics, path_or_stream)
    else:
        raise ConfigError(f"unknown export format {format!r}; use 'csv' or 'parquet'")
    return len(records)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_utc(value)
    return value


def _write_csv(
    records: list[dict[str, Any]], columns: list[str], target: str | Path | IO[Any]
) -> None:
    def write(stream: IO[str]) -> None:
        writer = csv.DictWriter(stream, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for record in records:
            writer.writerow({k: _csv_cell(v) for k, v in record.items()})

    if target == "-":
        write(sys.stdout)
    elif isinstance(target, (str, Path)):
        with open(target, "w", encoding="utf-8", newline="") as f:
            write(f)
    else:
        write(target)


def _write_parquet(
    records: list[dict[str, Any]], metrics: list[str], target: str | Path | IO[Any]
) -> None:
    try:
        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.parquet as pq  # type: ignore[import-untyped]
    except ImportError as e:
        raise MissingExtraError("pyarrow", "parquet") from e
    types = {
        "string": pa.string(), "float64": pa.float64(), "int64": pa.int64(),
        "timestamp": pa.timestamp("us", tz="UTC"),
    }
    schema = pa.schema(
        [(name, types[kind]) for name, kind in COLUMNS.items()]
        + [(name, pa.float64()) for name in metrics]
    )
    table = pa.Table.from_pylist(records, schema=schema)
    if target == "-":
        pq.write_table(table, sys.stdout.buffer)
    else:
        pq.write_table(table, target)
