from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from wattprint.errors import ConfigError, WattprintError
from wattprint.measure.metrics import (
    METRICS_FILE_ENV,
    MetricLog,
    MetricsFile,
    append_metric,
    check_metric,
    read_metrics_file,
)


def test_check_metric_returns_name_and_float() -> None:
    assert check_metric("accuracy", 1) == ("accuracy", 1.0)
    assert isinstance(check_metric("accuracy", 1)[1], float)
    assert check_metric("loss", -0.0) == ("loss", 0.0)


def test_file_round_trip_last_value_wins(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    for name, value in (("accuracy", 0.5), ("loss", 1.0), ("accuracy", 0.9)):
        append_metric(path, name, value)
    found = read_metrics_file(path)
    assert found.values == {"loss": 1.0, "accuracy": 0.9}
    assert list(found.values) == ["loss", "accuracy"]  # order of last logging
    assert found.problems == () and found.warning() is None


def test_missing_or_empty_file_means_no_metrics(tmp_path: Path) -> None:
    assert read_metrics_file(tmp_path / "absent.jsonl") == MetricsFile()
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    assert read_metrics_file(empty) == MetricsFile()


def test_malformed_lines_are_reported_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text("\n".join([
        '{"name": "accuracy", "value": 0.9}',
        "not json",
        '["accuracy", 0.1]',
        '{"name": "accuracy"}',
        '{"name": "", "value": 1}',
        '{"name": "loss", "value": NaN}',
        '{"name": "loss", "value": "low"}',
        '{"name": "bleu", "value": 31.5}',
        '{"name": "cut", "val',  # a write cut short
    ]) + "\n")
    found = read_metrics_file(path)
    assert found.values == {"accuracy": 0.9, "bleu": 31.5}
    assert [p.split(":")[0] for p in found.problems] == [
        "line 2", "line 3", "line 4", "line 5", "line 6", "line 7", "line 9"]
    assert found.problems[0].startswith("line 2: not JSON")
    assert found.problems[2] == 'line 4: expected {"name": ..., "value": ...}'
    assert "metric 'loss': value must be a finite number, got nan" in found.problems[4]
    warning = found.warning()
    assert warning is not None
    assert warning.startswith("metrics: ignored 7 malformed line(s) (line 2: not JSON")
    assert warning.endswith("; and 4 more)")


def test_unreadable_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    found = read_metrics_file(tmp_path)  # a directory
    assert found.values == {} and len(found.problems) == 1
    assert str(tmp_path) in found.problems[0]


def test_append_to_unwritable_path_names_file_and_metric(tmp_path: Path) -> None:
    target = tmp_path / "no-such-dir" / "m.jsonl"
    with pytest.raises(WattprintError) as info:
        append_metric(target, "accuracy", 0.9)
    message = str(info.value)
    assert message.startswith(f"cannot log metric 'accuracy' to {target} ({METRICS_FILE_ENV})")
    assert "No such file or directory" in message


_WRITER = """
import sys
from pathlib import Path
from wattprint.measure.metrics import append_metric
for n in range(200):
    append_metric(Path(sys.argv[1]), f"rank{sys.argv[2]}", float(n))
"""


def test_concurrent_writers_never_interleave_lines(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(rank)])
             for rank in range(4)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0, 0]
    lines = path.read_text().splitlines()
    assert len(lines) == 800
    assert all(set(json.loads(line)) == {"name", "value"} for line in lines)
    assert read_metrics_file(path).values == {f"rank{r}": 199.0 for r in range(4)}


def test_metric_log_replaces_and_closes() -> None:
    log = MetricLog()
    log.put("a", 1, run="r1")
    log.put("b", 2.5, run="r1")
    log.put("a", 3, run="r1")
    assert log.values() == {"b": 2.5, "a": 3.0}
    log.close()
    with pytest.raises(WattprintError, match="metric 'a' not recorded: run r1 has already"):
        log.put("a", 4, run="r1")
    with pytest.raises(ConfigError, match="metric name must be non-empty"):
        log.put("", 4, run="r1")  # validation comes first
