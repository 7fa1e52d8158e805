from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest
from sample_runs import make_run

from wattprint.errors import RunNotFoundError
from wattprint.model import CarbonAwareRecord
from wattprint.store.carbon_aware import to_dict
from wattprint.store.ledger import Ledger

START = datetime(2026, 11, 3, 2, 0, tzinfo=timezone.utc)
RECORD = CarbonAwareRecord(
    run_id="run-0001", planned_zone="FR", planned_start_utc=START,
    planned_end_utc=START + timedelta(hours=4), planned_intensity_g_per_kwh=31.5,
    achieved_intensity_g_per_kwh=None, expected_co2e_kg=0.378, baseline_co2e_kg=4.2,
    mode="window", tier="standard", waited_s=7200.0, intensity_source="file: de_fr.csv",
)


def test_round_trip_and_idempotent_upsert(ledger: Ledger) -> None:
    ledger.save_run(make_run())
    assert ledger.carbon_aware("run-0001") is None
    ledger.save_carbon_aware(RECORD)
    ledger.save_carbon_aware(RECORD)
    back = ledger.carbon_aware("run-0001")
    assert back == RECORD
    assert back is not None and back.planned_start_utc.tzinfo is timezone.utc
    achieved = dataclasses.replace(RECORD, achieved_intensity_g_per_kwh=35.0)
    ledger.save_carbon_aware(achieved)
    assert ledger.carbon_aware("run-0001") == achieved


def test_record_needs_its_run_and_goes_with_it(ledger: Ledger) -> None:
    with pytest.raises(RunNotFoundError, match="save the run before"):
        ledger.save_carbon_aware(RECORD)
    ledger.save_run(make_run())
    ledger.save_carbon_aware(RECORD)
    ledger.save_run(make_run())  # re-saving the run keeps its record
    assert ledger.carbon_aware("run-0001") == RECORD
    ledger.delete_run("run-0001")
    assert ledger.carbon_aware("run-0001") is None


def test_json_shape() -> None:
    out = to_dict(dataclasses.replace(RECORD, achieved_intensity_g_per_kwh=35.0))
    assert out["planned_start_utc"] == "2026-11-03T02:00:00Z"
    assert out["planned_end_utc"] == "2026-11-03T06:00:00Z"
    assert out["saving_kg"] == pytest.approx(3.822)
    assert out["intensity_delta_g_per_kwh"] == pytest.approx(3.5)
    assert to_dict(RECORD)["intensity_delta_g_per_kwh"] is None
    for key in ("run_id", "planned_zone", "planned_intensity_g_per_kwh",
                "achieved_intensity_g_per_kwh", "expected_co2e_kg", "baseline_co2e_kg", "mode",
                "tier", "waited_s", "intensity_source"):
        assert key in out
