from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest

from wattprint.assess.alternatives import default_factors
from wattprint.assess.assessment import build_assessment, estimate_for, planning_window
from wattprint.assess.spec import parse_spec
from wattprint.errors import ConfigError, UnknownHardwareError
from wattprint.intensity.series import IntensitySeries

UTC = timezone.utc
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _spec(workload: dict[str, Any] | None = None, **extra: Any) -> Any:
    data: dict[str, Any] = {"name": "job", "workload": workload or {
        "device": "A100 80GB", "count": 8, "hours": 4, "zone": "DE"}}
    data.update(extra)
    return parse_spec(data)


def _series(zone: str, values: list[float]) -> IntensitySeries:
    return IntensitySeries(zone, NOW, 3600, np.array(values, dtype=float), source=f"test {zone}")


def test_estimate_is_the_estimators_figure_for_the_home_zone() -> None:
    result = build_assessment(_spec(), {}, NOW)
    # 8 × 400 W (A100 80GB SXM TDP, default fraction 1.0) × 4 h, on-premise PUE 1.0
    assert result.estimate.it_energy_kwh == pytest.approx(8 * 400 * 4 / 1000)
    assert result.estimate.zone == "DE"
    assert result.co2e_kg == pytest.approx(result.estimate.co2e_kg
                                           + result.estimate.embodied_co2e_kg)
    assert result.schedule is None


def test_schedule_finds_the_cleanest_zone_and_hour_against_the_baseline() -> None:
    spec = _spec(schedule={"zones": ["DE", "FR"], "deadline": "24h"})
    de = _series("DE", [400.0] * 24)
    fr = _series("FR", [300.0] * 10 + [50.0] * 4 + [300.0] * 10)
    result = build_assessment(spec, {"DE": de, "FR": fr}, NOW)
    sched = result.schedule
    assert sched is not None
    energy = result.estimate.energy_kwh
    assert sched.baseline.zone == "DE" and sched.baseline.start_utc == NOW
    assert sched.baseline.co2e_kg == pytest.approx(energy * 0.4)
    assert sched.best.zone == "FR" and sched.best.start_utc == NOW + timedelta(hours=10)
    assert sched.best.co2e_kg == pytest.approx(energy * 0.05)
    assert sched.saving_pct == pytest.approx(87.5)
    assert [o.zone for o in sched.by_zone] == ["DE", "FR"]
    assert sched.best.source == "test FR"


def test_each_zone_is_planned_with_its_own_pue() -> None:
    spec = _spec({"device": "A100 80GB", "count": 8, "hours": 4, "zone": "aws:eu-central-1"},
                 schedule={"zones": ["gcp:europe-west1"], "deadline": "8h"})
    flat = [100.0] * 8
    result = build_assessment(spec, {"aws:eu-central-1": _series("aws:eu-central-1", flat),
                                     "gcp:europe-west1": _series("gcp:europe-west1", flat)},
                              NOW)
    assert result.schedule is not None
    by_zone = {o.zone: o for o in result.schedule.by_zone}
    aws, gcp = by_zone["aws:eu-central-1"], by_zone["gcp:europe-west1"]
    assert aws.energy_kwh / gcp.energy_kwh == pytest.approx(
        estimate_for(spec).pue / estimate_for(spec, "gcp:europe-west1").pue)
    assert result.schedule.best.zone == "gcp:europe-west1"  # same intensity, lower PUE


def test_missing_data_is_noted_and_a_missing_home_zone_means_no_schedule() -> None:
    spec = _spec(schedule={"zones": ["DE", "FR"], "deadline": "24h"})
    result = build_assessment(spec, {"DE": _series("DE", [400.0] * 24)}, NOW,
                              notes=["FR: provider down"])
    assert result.schedule is not None and result.schedule.best.zone == "DE"
    assert "FR: provider down" in result.notes
    assert any("FR: no intensity data" in n for n in result.notes)
    none = build_assessment(spec, {"FR": _series("FR", [100.0] * 24)}, NOW)
    assert none.schedule is None
    assert any("no baseline" in n for n in none.notes)


def test_deadline_too_short_for_a_zone_is_a_note_not_a_crash() -> None:
    spec = _spec(schedule={"zones": ["DE"], "deadline": "2h"})
    result = build_assessment(spec, {"DE": _series("DE", [400.0] * 24)}, NOW)
    assert result.schedule is None
    assert any("the deadline leaves" in n for n in result.notes)


def test_planning_window_defaults_to_the_tier_and_respects_earliest() -> None:
    spec = _spec(schedule={"earliest": "2026-12-03T00:00Z"})
    start, end = planning_window(spec, estimate_for(spec), NOW)
    assert start == datetime(2026, 12, 3, tzinfo=UTC)
    assert end - start == timedelta(days=7)  # flexible by default
    past = _spec(schedule={"earliest": "2026-11-01T00:00Z", "tier": "standard"})
    start, end = planning_window(past, estimate_for(past), NOW)
    assert start == NOW and end == NOW + timedelta(hours=24)


def test_default_alternatives_with_published_factors() -> None:
    result = build_assessment(_spec(), {}, NOW)
    by_key = {a.key: a for a in result.alternatives}
    assert set(by_key) == {"mixed_precision", "smaller_model", "fine_tune"}
    energy = result.estimate.energy_kwh
    for key, alt in by_key.items():
        factor = default_factors()[key]
        assert alt.energy_kwh == pytest.approx(energy * factor.value)
        assert alt.co2e_kg == pytest.approx(result.co2e_kg * factor.value)
        assert alt.source == factor.source and alt.source
    assert by_key["mixed_precision"].saving_pct == pytest.approx(50.0)
    assert "fp32 assumed" in by_key["mixed_precision"].basis
    assert by_key["fine_tune"].factor == pytest.approx(24 / 82432, rel=1e-3)


def test_alternatives_follow_the_model_section() -> None:
    spec = _spec(model={"parameters": 7e9, "smaller_parameters": 3.5e9 / 2, "tokens": 1e12,
                        "fine_tune_tokens": 1e9, "precision": "bf16"})
    by_key = {a.key: a for a in build_assessment(spec, {}, NOW).alternatives}
    assert "mixed_precision" not in by_key  # already reduced precision
    assert by_key["smaller_model"].factor == pytest.approx(0.25)
    assert by_key["fine_tune"].factor == pytest.approx(1e-3)
    tuned = _spec(model={"from_scratch": False})
    assert "fine_tune" not in {a.key for a in build_assessment(tuned, {}, NOW).alternatives}


def test_no_mixed_precision_alternative_without_tensor_cores() -> None:
    spec = _spec({"device": "P100", "count": 8, "hours": 4, "zone": "DE"})
    assert "mixed_precision" not in {a.key for a in build_assessment(spec, {}, NOW).alternatives}


def test_custom_alternatives_scale_or_re_estimate() -> None:
    spec = _spec(alternatives=[
        {"name": "distilled", "energy_factor": 0.3, "note": "check BLEU"},
        {"name": "on H100", "device": "H100 SXM", "hours": 2},
    ])
    result = build_assessment(spec, {}, NOW)
    distilled, h100 = [a for a in result.alternatives if a.key == "custom"]
    assert distilled.energy_kwh == pytest.approx(0.3 * result.estimate.energy_kwh)
    assert distilled.note == "check BLEU"
    expected = estimate_for(_spec({"device": "H100 SXM", "count": 8, "hours": 2, "zone": "DE"}))
    assert h100.energy_kwh == pytest.approx(expected.energy_kwh)
    assert "re-estimated with device = H100 SXM, hours = 2" in h100.basis


def test_bad_workload_inputs_are_the_estimators_errors() -> None:
    with pytest.raises(UnknownHardwareError, match="did you mean"):
        build_assessment(_spec({"device": "A10O", "hours": 4, "zone": "DE"}), {}, NOW)
    with pytest.raises(ConfigError, match="PUE"):
        build_assessment(_spec({"device": "V100", "hours": 4, "zone": "DE", "pue": 0.9}), {}, NOW)


def test_to_dict_has_stable_keys() -> None:
    data = build_assessment(_spec(justification="because"), {}, NOW).to_dict()
    assert {"name", "project", "plan", "plan_sha256", "generated", "co2e_kg", "estimate",
            "schedule", "alternatives", "justification", "notes"} <= set(data)
    assert data["generated"] == "2026-12-01T00:00:00Z"
    assert data["estimate"]["energy_kwh"] > 0
