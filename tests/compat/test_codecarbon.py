from __future__ import annotations

import csv
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wattprint.compat.codecarbon import (
    EmissionsTracker,
    OfflineEmissionsTracker,
    _options,
    track_emissions,
)
from wattprint.errors import ConfigError, UnknownZoneError
from wattprint.intensity.zones import load_catalog
from wattprint.model import RunStatus
from wattprint.store.ledger import Ledger
from wattprint.testing import FakeClock

J_PER_KWH = 3_600_000.0

RunFor = Callable[..., EmissionsTracker]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_context_manager_records_failure_and_reraises(
    tmp_path: Path, clock: FakeClock, hook: dict[str, Any], ledger: Ledger
) -> None:
    tracker = EmissionsTracker(
        country_iso_code="FRA", output_dir=str(tmp_path),
        _wattprint_tracker_kwargs=hook,
    )
    with pytest.raises(RuntimeError, match="boom"), tracker:
        clock.advance(3.0)
        raise RuntimeError("boom")
    assert ledger.get_run(tracker.run_id).status is RunStatus.FAILED
    assert len(_rows(tmp_path / "emissions.csv")) == 1


def test_stop_without_start_returns_none_and_second_stop_repeats(
    tmp_path: Path, run_for: RunFor
) -> None:
    never = EmissionsTracker(country_iso_code="FRA", save_to_file=False)
    assert never.stop() is None
    tracker = run_for(1.0)
    assert tracker.stop() == tracker.final_emissions
    assert len(_rows(tmp_path / "emissions.csv")) == 1


def test_tasks_map_to_phases(
    tmp_path: Path, clock: FakeClock, hook: dict[str, Any], ledger: Ledger
) -> None:
    tracker = EmissionsTracker(
        country_iso_code="FRA", output_dir=str(tmp_path),
        _wattprint_tracker_kwargs=hook,
    )
    tracker.start()
    clock.advance(2.0)
    tracker.start_task("train")
    clock.advance(3.0)
    task = tracker.stop_task("train")
    assert task is not None
    assert task.duration == pytest.approx(3.0)
    assert task.energy_consumed == pytest.approx(300.0 / J_PER_KWH)
    fr = load_catalog().intensity("FR").g_per_kwh
    assert task.emissions == pytest.approx(300.0 / J_PER_KWH * fr / 1000.0)
    assert tracker.stop_task("nope") is None
    tracker.start_task("eval")  # left open: stop() closes it
    clock.advance(1.0)
    tracker.stop()
    run = ledger.get_run(tracker.run_id)
    phases = {p.name: p for p in run.phases}
    assert phases["train"].energy_j == pytest.approx(300.0)
    assert phases["eval"].energy_j == pytest.approx(100.0)


def test_start_task_without_start_starts_the_tracker(
    clock: FakeClock, hook: dict[str, Any]
) -> None:
    tracker = EmissionsTracker(
        country_iso_code="FRA", save_to_file=False, _wattprint_tracker_kwargs=hook
    )
    tracker.start_task()
    clock.advance(2.0)
    task = tracker.stop_task()
    assert task is not None and task.energy_consumed == pytest.approx(200.0 / J_PER_KWH)
    tracker.stop()


def test_offline_tracker_needs_a_location() -> None:
    with pytest.raises(ConfigError, match="country_iso_code"):
        OfflineEmissionsTracker(save_to_file=False)


def test_offline_tracker_with_country(
    tmp_path: Path, clock: FakeClock, hook: dict[str, Any], ledger: Ledger
) -> None:
    with OfflineEmissionsTracker(
        country_iso_code="FRA", output_dir=str(tmp_path),
        _wattprint_tracker_kwargs=hook,
    ) as tracker:
        clock.advance(1.0)
    assert tracker.run is not None and tracker.run.zone_choice.zone == "FR"
    assert tracker.run.footprint.intensity == load_catalog().intensity("FR")


def test_unknown_keyword_is_a_type_error_naming_it() -> None:
    with pytest.raises(TypeError, match="projet_name"):
        EmissionsTracker(projet_name="x")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="measure_powr_secs"):
        OfflineEmissionsTracker(country_iso_code="FRA", measure_powr_secs=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="projet_name"):
        track_emissions(projet_name="x")


def test_unknown_country_is_an_unknown_zone_error() -> None:
    with pytest.raises(UnknownZoneError):
        EmissionsTracker(country_iso_code="XYZ", save_to_file=False)


def test_cloud_provider_and_region(tmp_path: Path, run_for: RunFor) -> None:
    tracker = run_for(
        1.0, country_iso_code=None, cloud_provider="aws", cloud_region="us-east-1"
    )
    (row,) = _rows(tmp_path / "emissions.csv")
    assert tracker.run is not None and tracker.run.zone_choice.zone == "aws:us-east-1"
    cloud = (row["cloud_provider"], row["cloud_region"], row["on_cloud"])
    assert cloud == ("aws", "us-east-1", "Y")
    assert row["country_iso_code"] == "USA" and row["country_name"]
    assert float(row["pue"]) == tracker.run.footprint.pue


def test_cloud_provider_needs_region() -> None:
    with pytest.raises(ConfigError, match="cloud_region"):
        EmissionsTracker(cloud_provider="gcp", save_to_file=False)


def test_unknown_cloud_region_falls_back_to_country(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="wattprint"):
        tracker = EmissionsTracker(
            cloud_provider="aws", cloud_region="mars-north-1", country_iso_code="DEU",
            save_to_file=False,
        )
    assert tracker.wattprint_tracker.settings.zone == "DE"
    assert "mars-north-1" in caplog.text


@pytest.mark.parametrize(
    ("country", "region", "zone"),
    [("USA", "washington", "US-WA"), ("USA", "georgia", "US-GA"), ("CAN", "quebec", "CA-QC"),
     ("USA", "New York", "US-NY")],
)
def test_region_maps_to_subnational_zone(country: str, region: str, zone: str) -> None:
    tracker = EmissionsTracker(country_iso_code=country, region=region, save_to_file=False)
    assert tracker.wattprint_tracker.settings.zone == zone


def test_unknown_region_falls_back_to_country(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="wattprint"):
        tracker = EmissionsTracker(country_iso_code="USA", region="atlantis", save_to_file=False)
    assert tracker.wattprint_tracker.settings.zone == "US"
    assert "atlantis" in caplog.text


def test_mapped_settings(tmp_path: Path) -> None:
    tracker = EmissionsTracker(
        country_iso_code="FRA", gpu_ids="0, 2", tracking_mode="machine", measure_power_secs=5,
        pue=1.2, experiment_name="sweep", save_to_file=False,
    )
    settings = tracker.wattprint_tracker.settings
    assert settings.gpu_ids == (0, 2) and settings.scope == "machine"
    assert settings.interval_s == 5.0 and settings.pue == 1.2
    assert tracker.wattprint_tracker.experiment == "sweep"
    listed = EmissionsTracker(gpu_ids=[1], save_to_file=False)
    assert listed.wattprint_tracker.settings.gpu_ids == (1,)
    with pytest.raises(ConfigError, match="tracking_mode"):
        EmissionsTracker(tracking_mode="gpu", save_to_file=False)


def test_ignored_arguments_warn_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_options, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="wattprint"):
        EmissionsTracker(country_iso_code="FRA", save_to_api=True, api_key="k", save_to_file=False)
        EmissionsTracker(country_iso_code="FRA", save_to_api=True, save_to_file=False)
        EmissionsTracker(country_iso_code="FRA", allow_multiple_runs=True, save_to_file=False)
    messages = [r.getMessage() for r in caplog.records if "ignores" in r.getMessage()]
    assert len(messages) == 1
    assert "save_to_api" in messages[0] and "api_key" in messages[0]


def test_log_level_sets_only_the_wattprint_logger() -> None:
    logger = logging.getLogger("wattprint")
    before, handlers = logger.level, list(logger.handlers)
    try:
        EmissionsTracker(country_iso_code="FRA", log_level="error", save_to_file=False)
        assert logger.level == logging.ERROR and logger.handlers == handlers
        with pytest.raises(ConfigError, match="log_level"):
            EmissionsTracker(country_iso_code="FRA", log_level="loud", save_to_file=False)
    finally:
        logger.setLevel(before)


def test_decorator_with_arguments_returns_and_reraises(
    tmp_path: Path, clock: FakeClock, hook: dict[str, Any], ledger: Ledger
) -> None:

    @track_emissions(
        project_name="deco", country_iso_code="FRA", output_dir=str(tmp_path),
        _wattprint_tracker_kwargs=hook,
    )
    def work(x: int, fail: bool = False) -> int:
        clock.advance(2.0)
        if fail:
            raise ValueError("bad input")
        return x * 2

    assert work(21) == 42
    with pytest.raises(ValueError, match="bad input"):
        work(1, fail=True)
    rows = _rows(tmp_path / "emissions.csv")
    assert len(rows) == 2 and {r["project_name"] for r in rows} == {"deco"}
    statuses = [ledger.get_run(r["run_id"]).status for r in rows]
    assert statuses == [RunStatus.FINISHED, RunStatus.FAILED]
    assert work.__name__ == "work"


def test_decorator_offline_needs_location_at_decoration() -> None:
    with pytest.raises(ConfigError, match="country_iso_code"):
        track_emissions(offline=True, save_to_file=False)


def test_bare_decorator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Real sensors, real clock, default ledger: the zero-configuration path.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WATTPRINT_ZONE", "SE")
    monkeypatch.setenv("WATTPRINT_DB", f"sqlite:///{tmp_path}/default.db")

    @track_emissions
    def work() -> str:
        return "done"

    assert work() == "done"
    (row,) = _rows(tmp_path / "emissions.csv")
    assert row["country_iso_code"] == "SWE" and float(row["emissions"]) >= 0.0
    with Ledger(f"sqlite:///{tmp_path}/default.db") as led:
        assert "compat:codecarbon" in led.get_run(row["run_id"]).tags
