from __future__ import annotations

import csv
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wattprint.compat.codecarbon import COLUMNS, EmissionsTracker
from wattprint.errors import ConfigError
from wattprint.intensity.zones import load_catalog
from wattprint.model import RunStatus
from wattprint.store.ledger import Ledger
from wattprint.testing import FakeClock

# CodeCarbon 3.3.2, codecarbon/output_methods/emissions_data.py: EmissionsData field order.
CODECARBON_3_3_2_COLUMNS = [
    "timestamp", "project_name", "run_id", "experiment_id", "duration", "emissions",
    "emissions_rate", "cpu_power", "gpu_power", "ram_power", "cpu_energy", "gpu_energy",
    "ram_energy", "energy_consumed", "water_consumed", "country_name", "country_iso_code",
    "region", "cloud_provider", "cloud_region", "os", "python_version", "codecarbon_version",
    "cpu_count", "cpu_model", "gpu_count", "gpu_model", "longitude", "latitude",
    "ram_total_size", "tracking_mode", "cpu_utilization_percent", "gpu_utilization_percent",
    "ram_utilization_percent", "ram_used_gb", "on_cloud", "pue", "wue",
]

J_PER_KWH = 3_600_000.0

RunFor = Callable[..., EmissionsTracker]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _header(path: Path) -> list[str]:
    with path.open(newline="") as fh:
        return next(csv.reader(fh))


def test_header_is_codecarbon_3_3_2(tmp_path: Path, run_for: RunFor) -> None:
    assert list(COLUMNS) == CODECARBON_3_3_2_COLUMNS
    run_for(1.0)
    assert _header(tmp_path / "emissions.csv") == CODECARBON_3_3_2_COLUMNS


def test_values_units_and_return_value(
    tmp_path: Path, clock: FakeClock, hook: dict[str, Any], ledger: Ledger
) -> None:
    tracker = EmissionsTracker(
        project_name="bert", experiment_id="exp-1", country_iso_code="FRA", pue=1.5,
        output_dir=str(tmp_path), output_file="out.csv", _wattprint_tracker_kwargs=hook,
    )
    tracker.start()
    clock.advance(10.0)
    returned = tracker.stop()

    (row,) = _rows(tmp_path / "out.csv")
    fr = load_catalog().intensity("FR").g_per_kwh
    energy_kwh = 100.0 * 10.0 * 1.5 / J_PER_KWH  # PUE included, as in CodeCarbon
    assert float(row["duration"]) == pytest.approx(10.0)
    assert float(row["cpu_energy"]) == pytest.approx(energy_kwh)
    assert float(row["energy_consumed"]) == pytest.approx(energy_kwh)
    assert float(row["gpu_energy"]) == 0.0 and float(row["ram_energy"]) == 0.0
    assert float(row["cpu_power"]) == pytest.approx(150.0)
    assert float(row["emissions"]) == pytest.approx(energy_kwh * fr / 1000.0)
    assert float(row["emissions_rate"]) == pytest.approx(float(row["emissions"]) / 10.0)
    assert returned == pytest.approx(float(row["emissions"]))
    assert tracker.final_emissions == returned
    assert tracker.final_emissions_data is not None
    assert tracker.final_emissions_data.emissions == returned
    assert row["project_name"] == "bert" and row["experiment_id"] == "exp-1"
    assert row["run_id"] == tracker.run_id
    assert (row["country_name"], row["country_iso_code"], row["on_cloud"]) == ("France", "FRA", "N")
    assert row["cloud_provider"] == "" and row["longitude"] == "" and row["latitude"] == ""
    assert float(row["pue"]) == 1.5 and float(row["water_consumed"]) == 0.0
    assert row["cpu_model"] == "Fake device" and float(row["gpu_count"]) == 0
    assert row["codecarbon_version"].startswith("3.3.2+wattprint.")
    assert row["tracking_mode"] == "process"
    assert float(row["cpu_count"]) >= 1 and float(row["ram_total_size"]) > 0

    stored = ledger.get_run(tracker.run_id)
    assert stored.status is RunStatus.FINISHED and "compat:codecarbon" in stored.tags
    assert stored.project == "bert"
    assert stored.zone_choice.zone == "FR"
    assert stored.footprint.intensity.g_per_kwh == fr
    assert stored.co2e_kg == pytest.approx(returned)


def test_water_from_wue(tmp_path: Path, run_for: RunFor) -> None:
    run_for(36.0, wue=2.0)
    (row,) = _rows(tmp_path / "emissions.csv")
    assert float(row["water_consumed"]) == pytest.approx(2.0 * 3600 / J_PER_KWH)
    assert float(row["wue"]) == 2.0


def test_appends_rows_from_successive_runs(tmp_path: Path, run_for: RunFor) -> None:
    first = run_for(1.0)
    second = run_for(2.0)
    rows = _rows(tmp_path / "emissions.csv")
    assert [r["run_id"] for r in rows] == [first.run_id, second.run_id]
    assert _header(tmp_path / "emissions.csv") == CODECARBON_3_3_2_COLUMNS


@pytest.mark.parametrize(("mode", "durations"), [("append", [4.0, 10.0]), ("update", [10.0])])
def test_flush_then_stop(
    mode: str, durations: list[float], tmp_path: Path, clock: FakeClock, hook: dict[str, Any]
) -> None:
    tracker = EmissionsTracker(
        country_iso_code="DEU", output_dir=str(tmp_path), on_csv_write=mode,
        _wattprint_tracker_kwargs=hook,
    )
    tracker.start()
    clock.advance(4.0)
    flushed = tracker.flush()
    clock.advance(6.0)
    final = tracker.stop()
    rows = _rows(tmp_path / "emissions.csv")
    assert [float(r["duration"]) for r in rows] == pytest.approx(durations)
    assert {r["run_id"] for r in rows} == {tracker.run_id}
    assert flushed is not None and final is not None
    assert flushed == pytest.approx(final * 0.4)


def test_existing_file_with_other_header_is_backed_up(
    tmp_path: Path, run_for: RunFor, caplog: pytest.LogCaptureFixture
) -> None:
    old = tmp_path / "emissions.csv"
    old.write_text("timestamp,project_name,emissions\n2023-01-01,x,0.1\n")
    with caplog.at_level(logging.WARNING, logger="wattprint"):
        run_for(1.0)
    backup = (tmp_path / "emissions.csv.bak").read_text()
    assert backup.startswith("timestamp,project_name,emissions")
    assert _header(old) == CODECARBON_3_3_2_COLUMNS and len(_rows(old)) == 1
    assert "different CSV header" in caplog.text
    run_for(1.0)
    assert len(_rows(old)) == 2 and not (tmp_path / "emissions.csv_0.bak").exists()


def test_reordered_header_is_appended_in_file_order(tmp_path: Path, run_for: RunFor) -> None:
    path = tmp_path / "emissions.csv"
    path.write_text(",".join(reversed(CODECARBON_3_3_2_COLUMNS)) + "\n")
    tracker = run_for(1.0)
    (row,) = _rows(path)
    assert row["run_id"] == tracker.run_id and row["country_iso_code"] == "FRA"


def test_save_to_file_false_writes_no_csv(
    tmp_path: Path, run_for: RunFor, ledger: Ledger
) -> None:
    tracker = run_for(1.0, save_to_file=False)
    assert not (tmp_path / "emissions.csv").exists()
    assert ledger.get_run(tracker.run_id).status is RunStatus.FINISHED


def test_output_methods_without_csv_writes_no_csv(tmp_path: Path, run_for: RunFor) -> None:
    run_for(1.0, output_methods=["logger"])
    assert not (tmp_path / "emissions.csv").exists()
    run_for(1.0, output_methods="csv,api")
    assert (tmp_path / "emissions.csv").exists()


def test_missing_output_dir_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="output_dir"):
        EmissionsTracker(country_iso_code="FRA", output_dir=str(tmp_path / "nope"))


def test_csv_is_read_back_by_wattprint_importer(tmp_path: Path, run_for: RunFor) -> None:
    importers = pytest.importorskip("wattprint.store.importers")
    tracker = run_for(10.0)
    (run,) = importers.import_codecarbon_csv(tmp_path / "emissions.csv")
    assert run.energy_kwh == pytest.approx(1000.0 / J_PER_KWH)
    assert run.co2e_kg == pytest.approx(tracker.final_emissions)
    assert tracker.run is not None and run.project == tracker.run.project
