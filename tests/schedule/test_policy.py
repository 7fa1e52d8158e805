from __future__ import annotations

from datetime import datetime, timezone

import pytest

from wattprint.model import BudgetState
from wattprint.schedule.job import Job, Tier
from wattprint.schedule.policy import apply_decision, decide
from wattprint.store.ledger import Ledger
from wattprint.testing import FakeClock

USED = BudgetState("vision", "2026-11", 50.0, 41.2, budget_month="*")


def _job(tier: Tier, name: str = "retrain") -> Job:
    return Job(duration_s=4 * 3600, zones=("DE", "FR"), energy_kwh=30.0, tier=tier,
               project="vision", name=name)


@pytest.mark.parametrize("tier", list(Tier))
def test_under_budget_every_tier_runs_and_is_charged(tier: Tier) -> None:
    d = decide(_job(tier), 8.0, USED)
    assert (d.action, d.charged_co2e_kg, d.overrun_kg) == ("run", 8.0, 0.0)
    assert d.runs and (d.project, d.month, d.expected_co2e_kg) == ("vision", "2026-11", 8.0)
    assert d.message == ("run: project vision has used 41.2 of 50.0 kg CO2e in 2026-11; "
                         "this job expects 8.0 kg and fits (0.8 kg left after it)")


@pytest.mark.parametrize("tier", [Tier.STANDARD, Tier.FLEXIBLE])
def test_over_budget_non_critical_is_held(tier: Tier) -> None:
    d = decide(_job(tier), 12.0, USED)
    assert (d.action, d.charged_co2e_kg, d.overrun_kg, d.runs) == ("hold", 0.0, 0.0, False)
    assert d.message == (
        "held: project vision has used 41.2 of 50.0 kg CO2e in 2026-11; this job expects "
        "12.0 kg (over by 3.2 kg); raise the budget (wattprint budget set vision 53.2 "
        "--month 2026-11) or run it as critical")


def test_over_budget_critical_runs_and_reports_overrun() -> None:
    d = decide(_job(Tier.CRITICAL), 12.0, USED)
    assert (d.action, d.charged_co2e_kg) == ("run", 12.0)
    assert d.overrun_kg == pytest.approx(3.2)
    assert d.message == ("run (critical): project vision has used 41.2 of 50.0 kg CO2e in "
                         "2026-11; this job expects 12.0 kg and goes over by 3.2 kg "
                         "(overrun recorded)")


def test_already_over_budget_counts_the_whole_job() -> None:
    over = BudgetState("vision", "2026-11", 50.0, 55.0)
    assert decide(_job(Tier.CRITICAL), 2.0, over).overrun_kg == pytest.approx(2.0)
    held = decide(_job(Tier.FLEXIBLE), 2.0, over)
    assert held.action == "hold" and "budget set vision 57 --month 2026-11" in held.message


def test_exactly_filling_the_budget_runs() -> None:
    d = decide(_job(Tier.STANDARD), 8.0, BudgetState("vision", "2026-11", 50.0, 42.0))
    assert d.action == "run" and d.overrun_kg == 0.0


@pytest.mark.parametrize("tier", list(Tier))
def test_no_budget_runs(tier: Tier) -> None:
    assert decide(_job(tier), 1e6, None).message == "run: project vision has no carbon budget"
    unset = decide(_job(tier), 1e6, BudgetState("vision", "2026-11", None, 3.0))
    assert unset.action == "run" and unset.overrun_kg == 0.0
    assert unset.message == "run: project vision has no carbon budget in 2026-11"


def test_zero_budget_holds_any_emitting_job() -> None:
    zero = BudgetState("vision", "2026-11", 0.0, 0.0)
    assert decide(_job(Tier.STANDARD), 0.0, zero).action == "run"
    assert decide(_job(Tier.STANDARD), 0.1, zero).action == "hold"


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_bad_expected_emissions(bad: float) -> None:
    with pytest.raises(ValueError, match="expected emissions"):
        decide(_job(Tier.STANDARD), bad, USED)


def test_apply_decision_records_only_overruns(tmp_path) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock(now=datetime(2026, 11, 20, tzinfo=timezone.utc))
    with Ledger(f"sqlite:///{tmp_path}/l.db", clock=clock) as ledger:
        ledger.set_budget("vision", 50.0)
        state = ledger.budget_state("vision", "2026-11")
        assert apply_decision(ledger, _job(Tier.STANDARD), decide(_job(Tier.STANDARD), 60, state)
                              ) is None
        assert apply_decision(ledger, _job(Tier.STANDARD), decide(_job(Tier.STANDARD), 6, state)
                              ) is None
        job = _job(Tier.CRITICAL, name="hotfix")
        recorded = apply_decision(ledger, job, decide(job, 60.0, state), run_id="slurm:42")
        assert recorded is not None
        assert ledger.overruns() == [recorded]
        assert (recorded.project, recorded.month, recorded.tier, recorded.job_name,
                recorded.run_id, recorded.expected_co2e_kg, recorded.overrun_kg) == (
            "vision", "2026-11", "critical", "hotfix", "slurm:42", 60.0, 10.0)
        assert recorded.reason.startswith("run (critical): project vision")
        after = ledger.budget_state("vision", "2026-11")
        assert (after.overruns, after.overrun_co2e_kg) == (1, 10.0)
