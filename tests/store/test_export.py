from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sample_runs import T0, make_run

from wattprint.errors import ConfigError
from wattprint.model import Run, RunStatus
from wattprint.store.export import COLUMNS, export_runs, metric_columns, run_record

METRICS = ["metric_accuracy", "metric_bleu", "metric_eval_loss", "metric_tokens"]


def _runs() -> list[Run]:
    other = make_run("b", status=RunStatus.RUNNING, tags=())
    return [make_run("a"),
            dataclasses.replace(other, model="", metrics={"bleu": 31.5, "accuracy": 0.5})]


def test_csv_file(tmp_path: Path) -> None:
    out = tmp_path / "runs.csv"
    assert export_runs(_runs(), out, "csv") == 2
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [*COLUMNS, *METRICS]
    a, b = rows
    assert a["model"] == "bert-base" and b["model"] == ""
    assert float(a["metric_accuracy"]) == 0.9132456789012345 and a["metric_bleu"] == ""
    assert float(b["metric_bleu"]) == 31.5 and b["metric_tokens"] == ""
    assert a["id"] == "a" and a["tags"] == "baseline;bert" and a["status"] == "finished"
    assert a["started_utc"] == "2024-05-01T12:00:00.123456Z"
    assert float(a["gpu_kwh"]) == 1.5 and float(a["pue"]) == 1.58
    assert float(a["co2e_kg"]) == pytest.approx(make_run().co2e_kg)
    assert a["intensity_source"] == "embedded: Ember 2023"
    assert b["ended_utc"] == "" and b["exit_code"] == "" and b["tags"] == ""


def test_csv_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    export_runs(_runs(), "-", "csv")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("id,project,experiment,model,tags,status,started_utc")
    assert lines[0].endswith(",flops_per_w," + ",".join(METRICS))
    assert len(lines) == 3


def test_csv_to_stream() -> None:
    buf = io.StringIO()
    export_runs(_runs(), buf)
    assert buf.getvalue().count("\n") == 3


def test_parquet(tmp_path: Path) -> None:
    out = tmp_path / "runs.parquet"
    export_runs(_runs(), out, "parquet")
    table = pq.read_table(out)
    assert table.column_names == [*COLUMNS, *METRICS]
    assert str(table.schema.field("started_utc").type) == "timestamp[us, tz=UTC]"
    assert {str(table.schema.field(m).type) for m in METRICS} == {"double"}
    rows = table.to_pylist()
    assert rows[0]["model"] == "bert-base" and rows[0]["metric_tokens"] == 1_234_567.0
    assert rows[0]["metric_bleu"] is None and rows[1]["metric_bleu"] == 31.5
    assert rows[0]["started_utc"] == T0
    assert rows[0]["gpu_kwh"] == 1.5 and rows[0]["intensity_year"] == 2023
    assert rows[1]["ended_utc"] is None and rows[1]["status"] == "running"


def test_runs_without_metrics_get_no_metric_columns(tmp_path: Path) -> None:
    bare = [dataclasses.replace(make_run("x"), model="", metrics={})]
    assert metric_columns(bare) == []
    out = tmp_path / "bare.csv"
    export_runs(bare, out)
    assert out.read_text().splitlines()[0] == ",".join(COLUMNS)


def test_run_record_defaults_to_its_own_metrics() -> None:
    record = run_record(make_run())
    assert [k for k in record if k.startswith("metric_")] == [
        "metric_accuracy", "metric_eval_loss", "metric_tokens"]
    assert run_record(make_run(), ["metric_bleu"])["metric_bleu"] is None


def test_empty_parquet_keeps_types(tmp_path: Path) -> None:
    out = tmp_path / "none.parquet"
    assert export_runs([], out, "parquet") == 0
    assert pq.read_table(out).num_rows == 0


def test_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown export format 'xlsx'"):
        export_runs(_runs(), tmp_path / "x", "xlsx")  # type: ignore[arg-type]
