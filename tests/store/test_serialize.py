from __future__ import annotations

import json
from pathlib import Path

import pytest
from sample_runs import make_run

from wattprint.model import RunStatus
from wattprint.store import serialize
from wattprint.store.ledger import Ledger
from wattprint.store.serialize import (
    load_fallbacks,
    run_from_dict,
    run_to_dict,
    write_fallback,
)


def test_round_trip_through_json_text() -> None:
    for run in (make_run(), make_run(status=RunStatus.RUNNING, tags=(), trace_points=0)):
        assert run_from_dict(json.loads(json.dumps(run_to_dict(run)))) == run


def test_shape_is_the_documented_contract() -> None:
    d = run_to_dict(make_run())
    assert list(d) == [
        "id", "project", "experiment", "model", "tags", "status", "started_utc", "ended_utc",
        "duration_s", "host", "command", "exit_code", "error", "flops", "flops_per_w",
        "warnings", "metrics", "zone", "footprint", "devices", "phases", "trace",
    ]
    assert d["model"] == "bert-base"
    assert d["metrics"] == {"accuracy": 0.9132456789012345, "eval_loss": 0.25,
                            "tokens": 1_234_567.0}
    assert d["started_utc"] == "2024-05-01T12:00:00.123456Z"
    assert d["ended_utc"] == "2024-05-01T13:00:00.373456Z"
    assert d["status"] == "finished"
    assert d["zone"] == {"zone": "DE", "how": "argument", "note": "given with --zone"}
    fp = d["footprint"]
    assert list(fp) == [
        "energy_kwh_by_kind", "it_energy_kwh", "pue", "pue_source", "energy_kwh",
        "intensity", "co2e_kg", "embodied_co2e_kg", "water_l",
    ]
    assert fp["intensity"] == {"zone": "DE", "g_per_kwh": 381.2,
                               "source": "embedded: Ember 2023", "year": 2023,
                               "resolution": "annual"}
    assert fp["co2e_kg"] == pytest.approx(fp["energy_kwh"] * 381.2 / 1000)
    assert d["devices"][1] == {
        "id": "gpu:1", "kind": "gpu", "index": 1, "name": "NVIDIA H100",
        "method": "sampled-power", "sensor": "nvml", "source": "",
        "note": "total-energy counter unsupported", "energy_kwh": 1.5,
        "energy_j": 5_400_000.0, "peak_power_w": 700.0, "samples": 36000,
    }
    assert d["phases"][0]["energy_kwh"] == pytest.approx(9000.5 / 3.6e6)
    assert set(d["trace"][0]) == {"device_id", "t_s", "power_w", "utilisation_pct",
                                  "memory_used_bytes", "temperature_c"}
    assert d["flops_per_w"] == pytest.approx(1.2e18 / (1.6934567890123 * 3.6e6))


def test_records_without_model_and_metrics_read_as_none_given() -> None:
    d = run_to_dict(make_run())
    del d["model"], d["metrics"]  # a record written before schema 0004
    back = run_from_dict(d)
    assert (back.model, back.metrics) == ("", {})


@pytest.mark.parametrize("metrics", [{"accuracy": "0.9"}, {"accuracy": None},
                                     {"accuracy": True}, ["accuracy", 0.9]])
def test_bad_metrics_raise_value_error(metrics: object) -> None:
    d = {**run_to_dict(make_run()), "metrics": metrics}
    with pytest.raises(ValueError, match="accuracy|not a wattprint run record"):
        run_from_dict(d)


def test_integer_metric_reads_back_as_float() -> None:
    back = run_from_dict({**run_to_dict(make_run()), "metrics": {"epochs": 3}})
    assert back.metrics == {"epochs": 3.0} and isinstance(back.metrics["epochs"], float)


def test_without_trace() -> None:
    d = run_to_dict(make_run(), trace=False)
    assert "trace" not in d
    assert run_from_dict(d).trace == ()


def test_bad_records_raise_value_error() -> None:
    d = run_to_dict(make_run())
    for broken in ({**d, "status": "exploded"}, {k: v for k, v in d.items() if k != "zone"},
                   {**d, "started_utc": "2024-05-01T12:00:00"}):
        with pytest.raises(ValueError):
            run_from_dict(broken)


def test_fallback_write_and_load(tmp_path: Path) -> None:
    run = make_run("r/1")
    path = write_fallback(run, tmp_path)
    assert path == tmp_path / "run-r_1.json"
    assert write_fallback(run, tmp_path) == path  # a later flush replaces the file
    assert load_fallbacks(tmp_path) == {path: run}
    assert [p.name for p in tmp_path.iterdir()] == ["run-r_1.json"]


def test_fallback_goes_to_temp_dir_when_directory_is_unwritable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("")
    temp = tmp_path / "temp"
    monkeypatch.setattr(serialize.tempfile, "gettempdir", lambda: str(temp))
    path = write_fallback(make_run(), blocker / "fallback")
    assert path.parent == temp / "wattprint-fallback"
    assert run_from_dict(json.loads(path.read_text())) == make_run()


def test_corrupt_fallback_is_skipped_and_kept(tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    bad = tmp_path / "run-bad.json"
    bad.write_text("{not json")
    good = write_fallback(make_run(), tmp_path)
    assert list(load_fallbacks(tmp_path)) == [good]
    assert "run-bad.json" in caplog.text
    assert bad.exists()


def test_ledger_imports_and_removes_fallbacks(tmp_path: Path) -> None:
    folder = tmp_path / "fallback"
    write_fallback(make_run("f1"), folder)
    write_fallback(make_run("f2", status=RunStatus.INTERRUPTED), folder)
    with Ledger(f"sqlite:///{tmp_path}/l.db") as ledger:
        assert ledger.import_fallbacks(folder) == ["f1", "f2"]
        assert ledger.get_run("f2") == make_run("f2", status=RunStatus.INTERRUPTED)
        assert ledger.import_fallbacks(folder) == []
    assert list(folder.iterdir()) == []
