from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from wattprint.cli.main import main

T0 = datetime(2026, 12, 1, tzinfo=timezone.utc)
WHY = ("The model backs the search ranking of three products; a smaller model missed the "
       "quality bar in last quarter's trial and fine-tuning is not possible for this domain.")
PLAN = """\
name: ranker-xl
project: search
workload:
  device: A100 80GB
  count: 16
  hours: 8
  zone: DE
schedule:
  zones: [DE, FR]
  deadline: 24h
model:
  parameters: 3e9
  tokens: 6e10
justification: {why}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WATTPRINT_DB", f"sqlite:///{tmp_path / 'ledger.db'}")
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "ranker.yaml").write_text(PLAN.format(why=WHY), "utf-8")
    rows = ["timestamp,zone,carbon_intensity_g_per_kwh"]
    for h in range(24):
        when = (T0 + timedelta(hours=h)).isoformat().replace("+00:00", "Z")
        rows += [f"{when},DE,400", f"{when},FR,{30 if 12 <= h < 20 else 90}"]
    (tmp_path / "grid.csv").write_text("\n".join(rows) + "\n", "utf-8")
    return tmp_path


def _policy(root: Path, **values: object) -> None:
    lines = ["[policy]"] + [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    (root / "wattprint.toml").write_text("\n".join(lines) + "\n", "utf-8")


ASSESS = ["assess", "plans/ranker.yaml", "--now", "2026-12-01T00:00Z", "--series", "grid.csv"]


def test_assess_writes_markdown_and_html_and_prints_the_summary(
        project: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(ASSESS) == 0
    out = capfd.readouterr().out
    assert "ranker-xl (plans/ranker.yaml)" in out
    assert "cleanest        FR from 2026-12-01T12:00:00Z" in out
    assert "alternative     mixed precision" in out
    md = (project / "plans" / "ranker.assessment.md").read_text("utf-8")
    html = (project / "plans" / "ranker.assessment.html").read_text("utf-8")
    assert "# Carbon impact assessment: ranker-xl" in md and "<svg" in html
    assert "wrote           plans/ranker.assessment.md" in out


def test_assess_json_has_the_estimate_schedule_and_alternatives(
        project: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert main([*ASSESS, "--json", "--format", "md", "--out", "out"]) == 0
    data = json.loads(capfd.readouterr().out)
    est = data["estimate"]
    assert est["it_energy_kwh"] == pytest.approx(16 * 400 * 8 / 1000)
    sched = data["schedule"]
    assert sched["baseline"]["zone"] == "DE" and sched["best"]["zone"] == "FR"
    assert sched["best"]["co2e_kg"] == pytest.approx(est["energy_kwh"] * 0.030)
    assert sched["saving_pct"] == pytest.approx(100 * (1 - 30 / 400))
    assert {a["key"] for a in data["alternatives"]} == {"mixed_precision", "smaller_model",
                                                       "fine_tune"}
    assert data["documents"] == ["out/ranker.assessment.md"]
    assert (project / "out" / "ranker.assessment.md").is_file()
    assert not (project / "out" / "ranker.assessment.html").exists()
    assert data["policy"] is None


def test_assess_offline_uses_the_embedded_profiles(
        project: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["assess", "plans/ranker.yaml", "--now", "2026-12-01T00:00Z", "--json"]) == 0
    data = json.loads(capfd.readouterr().out)
    sources = {o["zone"]: o["source"] for o in data["schedule"]["by_zone"]}
    assert "Electricity Maps" in sources["DE"] and "Electricity Maps" in sources["FR"]
    assert any("typical hour" in n for n in data["notes"])


def test_check_passes_after_assess_and_fails_when_the_plan_changes(
        project: Path, capfd: pytest.CaptureFixture[str]) -> None:
    _policy(project, assessment_required_above_kg=10, justification_required_above_kg=15,
            justification_min_words=20, plans=["plans/*.yaml"])
    assert main(["assess", "--check"]) == 3
    out = capfd.readouterr().out
    assert "FAIL" in out and "no assessment document" in out
    assert "`wattprint assess " in out
    assert main(ASSESS) == 0
    capfd.readouterr()
    assert main(["assess", "--check"]) == 0
    assert "PASS" in capfd.readouterr().out
    plan = project / "plans" / "ranker.yaml"
    plan.write_text(plan.read_text("utf-8").replace("hours: 8", "hours: 12"), "utf-8")
    assert main(["assess", "--check", "--json"]) == 3
    data = json.loads(capfd.readouterr().out)
    assert data["ok"] is False
    assert "made from a different version of the plan" in data["plans"][0]["problems"][0]


def test_check_requires_a_justification_above_the_second_threshold(
        project: Path, capfd: pytest.CaptureFixture[str]) -> None:
    _policy(project, assessment_required_above_kg=10, justification_required_above_kg=15)
    plan = project / "plans" / "ranker.yaml"
    plan.write_text(PLAN.format(why="Because."), "utf-8")
    assert main(ASSESS) == 0
    assert "does not meet the policy" in capfd.readouterr().out
    assert main(["assess", "--check", "plans/ranker.yaml"]) == 3
    assert "has 1 words; the policy asks for at least 30" in capfd.readouterr().out


def test_check_below_the_threshold_passes_without_a_document(
        project: Path, capfd: pytest.CaptureFixture[str]) -> None:
    _policy(project, assessment_required_above_kg=1e6)
    assert main(["assess", "--check", "plans/ranker.yaml"]) == 0
    assert "no assessment needed" in capfd.readouterr().out


@pytest.mark.parametrize(("argv", "policy", "message"), [
    (["assess"], None, "give a plan file (wattprint assess plan.yaml), or --check"),
    (["assess", "--check"], None, "--check needs a policy: add a [policy] table"),
    (["assess", "--check"], {"assessment_required_above_kg": 1},
     "no plans to check: name plan files, or set policy.plans"),
    (["assess", "--check"], {"assessment_required_above_kg": 1, "plans": ["none/*.yaml"]},
     "matches no file"),
    (["assess", "--check"], {"assessment_required_above": 1}, "unknown policy key"),
    (["assess", "missing.yaml"], None, "cannot read plan file missing.yaml"),
])
def test_bad_usage_exits_2_with_a_message(
        project: Path, capfd: pytest.CaptureFixture[str], argv: list[str],
        policy: dict[str, object] | None, message: str) -> None:
    if policy is not None:
        _policy(project, **policy)
    assert main(argv) == 2
    assert message in capfd.readouterr().err


def test_unknown_device_in_a_plan_lists_close_matches(
        project: Path, capfd: pytest.CaptureFixture[str]) -> None:
    plan = project / "plans" / "ranker.yaml"
    plan.write_text(PLAN.format(why=WHY).replace("A100 80GB", "A100 80G8"), "utf-8")
    assert main(ASSESS) == 2
    err = capfd.readouterr().err
    assert "unknown device 'A100 80G8'; did you mean" in err and "a100" in err.lower()


def test_the_shipped_governance_example_meets_its_policy(
        monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    # examples/governance commits its plans, policy and assessment: the README shows them.
    monkeypatch.chdir(Path(__file__).parents[2] / "examples" / "governance")
    assert main(["assess", "--check"]) == 0
    out = capfd.readouterr().out
    assert "PASS plans/llm-1b-pretrain.yaml" in out and "PASS plans/vit-finetune.yaml" in out
