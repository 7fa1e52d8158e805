from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wattprint.assess.policy import Policy, check, load_policy, parse_policy
from wattprint.assess.spec import parse_spec
from wattprint.config import load_settings
from wattprint.errors import ConfigError

WORDS = "We need this model for the product launch and no smaller model reached the target."


def _spec(justification: str = "") -> Any:
    return parse_spec({"name": "j", "justification": justification, "workload": {
        "device": "V100", "hours": 1, "zone": "DE"}}, source="plans/j.yaml")


def _policy(**values: Any) -> Policy:
    return parse_policy(values, "wattprint.toml")


def test_below_the_threshold_needs_nothing() -> None:
    result = check(_policy(assessment_required_above_kg=100), _spec(), 99.0, {"a.md": None})
    assert result.ok and not result.assessment_required
    assert "not above 100 kg: no assessment needed" in result.notes[0]


def test_above_the_threshold_needs_a_current_document() -> None:
    policy, spec = _policy(assessment_required_above_kg=100), _spec()
    missing = check(policy, spec, 150.0, {"plans/j.assessment.md": None})
    assert not missing.ok
    assert missing.problems == ("no assessment document (plans/j.assessment.md); make it with "
                                "`wattprint assess plans/j.yaml`",)
    stale = check(policy, spec, 150.0, {"a.md": "<!-- wattprint-plan-sha256: " + "0" * 64})
    assert "made from a different version of the plan; re-run" in stale.problems[0]
    meta = f'<meta name="wattprint-plan-sha256" content="{spec.fingerprint}">'
    current = check(policy, spec, 150.0, {"a.md": None, "a.html": meta})
    assert current.ok and current.assessment_required


def test_above_the_second_threshold_needs_a_justification() -> None:
    policy = _policy(assessment_required_above_kg=100, justification_required_above_kg=1000,
                     justification_min_words=10)
    doc = {"a.md": f"wattprint-plan-sha256: {_spec().fingerprint}"}
    none = check(policy, _spec(), 2000.0, doc)
    assert none.problems == ("2,000.0 kg CO2e is above 1,000 kg: a written justification is "
                             "required (add 'justification:' to the plan)",)
    short = _spec("Because.")
    short_doc = {"a.md": f"wattprint-plan-sha256: {short.fingerprint}"}
    assert "has 1 words; the policy asks for at least 10" in check(
        policy, short, 2000.0, short_doc).problems[0]
    good = _spec(WORDS)
    assert check(policy, good, 2000.0, {"a.md": f"wattprint-plan-sha256: {good.fingerprint}"}).ok


@pytest.mark.parametrize(("table", "message"), [
    ({}, "sets no threshold"),
    ({"assessment_required_above": 1}, "unknown policy key 'assessment_required_above'"),
    ({"assessment_required_above_kg": -1}, "must be >= 0, got -1"),
    ({"assessment_required_above_kg": "lots"}, "expected kg CO2e, got 'lots'"),
    ({"assessment_required_above_kg": True}, "expected kg CO2e, got True"),
    ({"assessment_required_above_kg": 500, "justification_required_above_kg": 100},
     "justification_required_above_kg (100) is below assessment_required_above_kg (500)"),
    ({"assessment_required_above_kg": 1, "justification_min_words": 0},
     "justification_min_words from wattprint.toml: expected a whole number >= 1"),
    ({"assessment_required_above_kg": 1, "plans": [3]}, "policy.plans from wattprint.toml"),
])
def test_bad_policies_name_the_key_and_file(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_policy(table, "wattprint.toml")
    assert message in str(info.value)


def test_policy_from_wattprint_toml_and_pyproject(tmp_path: Path) -> None:
    (tmp_path / "wattprint.toml").write_text(
        'zone = "DE"\n[policy]\nassessment_required_above_kg = 250\nplans = "plans/*.yaml"\n',
        "utf-8")
    found = load_policy(tmp_path)
    assert found is not None
    policy, root = found
    assert policy.assessment_required_above_kg == 250 and policy.plans == ("plans/*.yaml",)
    assert root == tmp_path and policy.source.endswith("wattprint.toml")
    # the [policy] table does not upset the settings loader
    assert load_settings(cwd=tmp_path, env={}).zone == "DE"
    other = tmp_path / "other"
    other.mkdir()
    (other / "pyproject.toml").write_text(
        '[tool.wattprint.policy]\njustification_required_above_kg = 9\n'
        'assessments_dir = "docs/assessments"\n', "utf-8")
    found = load_policy(other)
    assert found is not None and found[0].justification_required_above_kg == 9
    assert found[0].document_path(Path("plans/x.yaml"), ".md", other) == (
        other / "docs/assessments/x.assessment.md")


def test_no_policy_section_means_none(tmp_path: Path) -> None:
    (tmp_path / "wattprint.toml").write_text('zone = "DE"\n', "utf-8")
    assert load_policy(tmp_path) is None
    (tmp_path / "wattprint.toml").write_text('policy = 3\n', "utf-8")
    with pytest.raises(ConfigError, match=r"must be a table \(\[policy\]\)"):
        load_policy(tmp_path)
