from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from wattprint.assess.spec import deadline_for, fingerprint, load_spec, parse_spec
from wattprint.errors import ConfigError

UTC = timezone.utc


def _plan(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "t5-base", "workload": {
        "device": "A100 80GB", "count": 8, "hours": 48, "zone": "DE"}}
    data.update(extra)
    return data


def test_minimal_plan() -> None:
    spec = parse_spec(_plan(), source="p.yaml")
    assert spec.name == "t5-base" and spec.project == "default"
    assert spec.workload.device == "A100 80GB" and spec.workload.count == 8
    assert spec.workload.hours == 48 and spec.home_zone == "DE"
    assert spec.schedule is None and spec.alternatives == ()
    assert len(spec.fingerprint) == 64 and spec.source == "p.yaml"


def test_durations_and_schedule() -> None:
    spec = parse_spec(_plan(
        workload={"instance": "p4d.24xlarge", "count": 2, "hours": "1d12h", "zone": "DE"},
        schedule={"zones": ["FR", "GB"], "earliest": "2026-12-05T00:00Z", "deadline": "7d",
                  "interruptible": True, "min_chunk": "2h", "tier": "standard"}))
    assert spec.workload.hours == 36
    sched = spec.schedule
    assert sched is not None
    assert sched.zones == ("DE", "FR", "GB")  # the home zone is always allowed, first
    assert sched.earliest_utc == datetime(2026, 12, 5, tzinfo=UTC)
    assert sched.deadline_s == 7 * 86400 and sched.min_chunk_s == 7200
    assert deadline_for(sched, datetime(2026, 12, 5, tzinfo=UTC)) == datetime(2026, 12, 12,
                                                                               tzinfo=UTC)


def test_absolute_deadline() -> None:
    spec = parse_spec(_plan(schedule={"deadline": "2026-12-20T06:00Z"}))
    assert spec.schedule is not None and spec.schedule.zones == ("DE",)
    assert spec.schedule.deadline_utc == datetime(2026, 12, 20, 6, tzinfo=UTC)


def test_fingerprint_ignores_key_order_but_not_values() -> None:
    a = {"name": "x", "workload": {"device": "V100", "hours": 1}}
    b = {"workload": {"hours": 1, "device": "V100"}, "name": "x"}
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint({"name": "x", "workload": {"device": "V100", "hours": 2}})


@pytest.mark.parametrize(("data", "message"), [
    ({"workload": {"device": "V100", "hours": 1, "zone": "DE"}}, "name: is required"),
    ({"name": "x"}, "'workload' is required"),
    (_plan(gpus=3), "unknown key 'gpus'; known: name, project"),
    (_plan(workload={"device": "V100", "hours": 1, "zone": "DE", "gpu": 1}),
     "unknown key 'workload.gpu'"),
    (_plan(workload={"device": "V100", "hours": 1}), "workload.zone is required"),
    (_plan(workload={"device": "V100", "count": 0, "hours": 1, "zone": "DE"}),
     "workload.count: must be a whole number > 0, got 0"),
    (_plan(workload={"device": "V100", "count": 2.5, "hours": 1, "zone": "DE"}),
     "workload.count: must be a whole number > 0, got 2.5"),
    (_plan(workload={"device": "V100", "hours": 0, "zone": "DE"}),
     "workload.hours: must be > 0, got 0"),
    (_plan(workload={"device": "V100", "hours": "soon", "zone": "DE"}),
     "workload.hours: expected hours (96) or a duration"),
    (_plan(workload={"device": "V100", "hours": 1, "zone": "DE", "pue": "high"}),
     "workload.pue: expected a number, got 'high'"),
    (_plan(workload={"device": "V100", "hours": 1, "zone": "DE", "utilisation": -0.5}),
     "workload.utilisation: must be > 0"),
    (_plan(schedule={"deadline": "whenever"}), "schedule.deadline: expected a duration"),
    (_plan(schedule={"tier": "urgent"}), "schedule.tier: expected one of critical"),
    (_plan(schedule={"zones": "DE,,FR"}), "schedule.zones: expected a list of zone ids"),
    (_plan(schedule={"earliest": "next week"}), "schedule.earliest: expected an ISO date"),
    (_plan(schedule={"interruptible": "yes"}), "schedule.interruptible: expected true or false"),
    (_plan(model={"precision": "fp12"}), "model.precision: expected one of fp32"),
    (_plan(model={"parameters": 1e9, "smaller_parameters": 2e9}),
     "model.smaller_parameters: must be below model.parameters"),
    (_plan(model={"tokens": 1e9, "fine_tune_tokens": 1e10}),
     "model.fine_tune_tokens: must be below model.tokens"),
    (_plan(alternatives=[{"energy_factor": 0.5}]), "alternatives[0].name: is required"),
    (_plan(alternatives=[{"name": "a", "energy_factor": 0.5, "count": 2}]),
     "alternatives[0]: give either energy_factor or changed workload inputs"),
    (_plan(alternatives=[{"name": "a"}]), "give either energy_factor or changed workload"),
    (_plan(alternatives=[{"name": "a", "energy_factor": -1}]),
     "alternatives[0].energy_factor: must be > 0"),
    (_plan(alternatives={"name": "a"}), "alternatives: expected a list"),
])
def test_bad_plans_name_the_key_and_the_file(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_spec(data, source="plans/t5.yaml")
    assert message in str(info.value)
    assert str(info.value).startswith("plans/t5.yaml")


def test_load_yaml_toml_and_json(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "name: a\nworkload:\n  device: V100\n  hours: 2\n  zone: FR\n"
        "justification: Needed because.\n", "utf-8")
    (tmp_path / "b.toml").write_text(
        'name = "a"\njustification = "Needed because."\n'
        '[workload]\ndevice = "V100"\nhours = 2\nzone = "FR"\n', "utf-8")
    (tmp_path / "c.json").write_text(json.dumps(
        {"name": "a", "workload": {"device": "V100", "hours": 2, "zone": "FR"},
         "justification": "Needed because."}), "utf-8")
    specs = [load_spec(tmp_path / n) for n in ("a.yaml", "b.toml", "c.json")]
    assert {s.fingerprint for s in specs} == {specs[0].fingerprint}
    assert specs[0].justification == "Needed because."


def test_unreadable_and_unparsable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read plan file .*missing.yaml"):
        load_spec(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n", "utf-8")
    with pytest.raises(ConfigError, match="cannot parse plan file .*bad.yaml"):
        load_spec(bad)
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n- b\n", "utf-8")
    with pytest.raises(ConfigError, match="expected a mapping of keys"):
        load_spec(listy)
