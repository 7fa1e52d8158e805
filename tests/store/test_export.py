from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sample_runs import T0, make_run

from wattprint.errors import ConfigError
from wattprint.model import Run, RunStatus
from wattprint.store.export import COLUMNS, export_runs


def _runs() -> list[Run]:
    return [make_run("a"), make_run("b", status=RunStatus.RUNNING, tags=())]


def test_csv_file(tmp_path: Path) -> None:
    out = tmp_path / "runs.csv"
    assert export_runs(_runs(), out, "csv") == 2
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == list(COLUMNS)
    a, b = rows
    assert a["id"] == "a" and a["tags"] == "baseline;bert" and a["status"] == "finished"
    assert a["started_utc"] == "2024-05-01T12:00:00.123456Z"
    assert float(a["gpu_kwh"]) == 1.5 and float(a["pue"]) == 1.58
    assert float(a["co2e_kg"]) == pytest.approx(make_run().co2e_kg)
    assert a["intensity_source"] == "embedded: Ember 2023"
    assert b["ended_utc"] == "" and b["exit_code"] == "" and b["tags"] == ""


def test_csv_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    export_runs(_runs(), "-", "csv")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("id,project,experiment,tags,status,started_utc")
    assert len(lines) == 3


def test_csv_to_stream() -> None:
    buf = io.StringIO()
    export_runs(_runs(), buf)
    assert buf.getvalue().count("\n") == 3


def test_parquet(tmp_path: Path) -> None:
    out = tmp_path / "runs.parquet"
    export_runs(_runs(), out, "parquet")
    table = pq.read_table(out)
    assert table.column_names == list(COLUMNS)
    assert str(table.schema.field("started_utc").type) == "timestamp[us, tz=UTC]"
    rows = table.to_pylist()
    assert rows[0]["started_utc"] == T0
    assert rows[0]["gpu_kwh"] == 1.5 and rows[0]["intensity_year"] == 2023
    assert rows[1]["ended_utc"] is None and rows[1]["status"] == "running"


def test_empty_parquet_keeps_types(tmp_path: Path) -> None:
    out = tmp_path / "none.parquet"
    assert export_runs([], out, "parquet") == 0
    assert pq.read_table(out).num_rows == 0


def test_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown export format 'xlsx'"):
        export_runs(_runs(), tmp_path / "x", "xlsx")  # type: ignore[arg-type]
