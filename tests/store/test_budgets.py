from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from sample_runs import make_run

from wattprint.errors import ConfigError
from wattprint.model import BudgetState
from wattprint.store.budgets import month_bounds, month_of, parse_month, state_to_dict
from wattprint.store.ledger import Ledger
from wattprint.testing import FakeClock

NOV = datetime(2026, 11, 1, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(now=datetime(2026, 11, 15, 9, 30, tzinfo=timezone.utc))


@pytest.fixture
def ledger(ledger_url: str, clock: FakeClock) -> Iterator[Ledger]:
    with Ledger(ledger_url, clock=clock) as opened:
        yield opened


def _run_with_co2e(run_id: str, project: str, started: datetime, co2e_kg: float):  # type: ignore[no-untyped-def]
    """A sample run rescaled so its stored co2e_kg is exactly ``co2e_kg``."""
    base = make_run(run_id, project=project, started=started, tags=(), trace_points=0)
    fp = dataclasses.replace(base.footprint, energy_kwh_by_kind={"gpu": 1.0}, pue=1.0,
                             intensity=dataclasses.replace(base.footprint.intensity,
                                                           g_per_kwh=co2e_kg * 1000.0))
    return dataclasses.replace(base, footprint=fp)


def test_set_and_list_budgets(ledger: Ledger, clock: FakeClock) -> None:
    every = ledger.set_budget("vision", 50.0)
    assert (every.project, every.month, every.limit_co2e_kg) == ("vision", "*", 50.0)
    ledger.set_budget("vision", 30.0, month="2026-12")
    ledger.set_budget("nlp", 5.0, month="2026-11")
    assert [(b.project, b.month, b.limit_co2e_kg) for b in ledger.budgets()] == [
        ("nlp", "2026-11", 5.0), ("vision", "*", 50.0), ("vision", "2026-12", 30.0)]
    assert [b.month for b in ledger.budgets("vision")] == ["*", "2026-12"]
    assert ledger.budgets("nobody") == []


def test_set_again_replaces_limit_and_keeps_created(ledger: Ledger, clock: FakeClock) -> None:
    first = ledger.set_budget("vision", 50.0)
    clock.advance(3600)
    second = ledger.set_budget("vision", 60.0)
    assert second.limit_co2e_kg == 60.0
    assert second.created_utc == first.created_utc
    assert second.updated_utc == first.updated_utc + timedelta(hours=1)
    assert second.created_utc.tzinfo is timezone.utc
    assert len(ledger.budgets()) == 1


@pytest.mark.parametrize(
    ("kg", "month", "message"),
    [
        (-1.0, None, "invalid budget -1 kg CO2e: must be a number >= 0"),
        (float("nan"), None, "invalid budget nan kg CO2e"),
        (5.0, "2026-13", "invalid month '2026-13': expected YYYY-MM, e.g. 2026-11"),
        (5.0, "nov", "invalid month 'nov'"),
        (5.0, "2026-1", "invalid month '2026-1'"),
    ],
)
def test_bad_budget_input(ledger: Ledger, kg: float, month: str | None, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        ledger.set_budget("vision", kg, month=month)
    assert message in str(info.value)
    assert ledger.budgets() == []


def test_spent_sums_runs_by_utc_month(ledger: Ledger) -> None:
    ledger.save_run(_run_with_co2e("a", "vision", NOV, 1.5))                    # first instant
    ledger.save_run(_run_with_co2e("b", "vision", NOV + timedelta(days=29, hours=23, minutes=59),
                                   2.0))                                           # last minute
    ledger.save_run(_run_with_co2e("c", "vision", NOV - timedelta(microseconds=1), 4.0))  # Oct
    ledger.save_run(_run_with_co2e("d", "vision", NOV + timedelta(days=30), 8.0))  # December
    ledger.save_run(_run_with_co2e("e", "nlp", NOV + timedelta(days=3), 16.0))    # other project
    # A start given with an offset still counts by its UTC month: 2026-12-01T00:30+01:00 is Nov.
    cet = timezone(timedelta(hours=1))
    ledger.save_run(_run_with_co2e("f", "vision", datetime(2026, 12, 1, 0, 30, tzinfo=cet), 0.25))
    assert ledger.spent_co2e_kg("vision", "2026-11") == pytest.approx(3.75)
    assert ledger.spent_co2e_kg("vision", "2026-10") == pytest.approx(4.0)
    assert ledger.spent_co2e_kg("vision", "2026-12") == pytest.approx(8.0)
    assert ledger.spent_co2e_kg("nlp", "2026-11") == pytest.approx(16.0)
    assert ledger.spent_co2e_kg("vision", "2027-01") == 0.0


def test_budget_state_prefers_month_over_every_month(ledger: Ledger) -> None:
    ledger.save_run(_run_with_co2e("a", "vision", NOV + timedelta(days=2), 41.2))
    assert ledger.budget_state("vision", "2026-11") == BudgetState("vision", "2026-11", None, 41.2)
    ledger.set_budget("vision", 50.0)
    state = ledger.budget_state("vision", "2026-11")
    assert (state.limit_co2e_kg, state.budget_month) == (50.0, "*")
    assert state.remaining_co2e_kg == pytest.approx(8.8)
    assert state.used_pct == pytest.approx(82.4)
    ledger.set_budget("vision", 40.0, month="2026-11")
    state = ledger.budget_state("vision", "2026-11")
    assert (state.limit_co2e_kg, state.budget_month) == (40.0, "2026-11")
    assert state.remaining_co2e_kg == pytest.approx(-1.2)
    assert ledger.budget_state("vision", "2026-12").limit_co2e_kg == 50.0


def test_overruns_are_recorded_and_counted(ledger: Ledger, clock: FakeClock) -> None:
    ledger.set_budget("vision", 10.0)
    first = ledger.record_overrun(project="vision", month="2026-11", expected_co2e_kg=12.0,
                                  overrun_kg=2.0, tier="critical", reason="critical job",
                                  job_name="retrain")
    clock.advance(60)
    ledger.record_overrun(project="vision", month="2026-11", expected_co2e_kg=3.0,
                          overrun_kg=3.0, tier="critical", reason="over", run_id="r-9",
                          actual_co2e_kg=3.5)
    ledger.record_overrun(project="vision", month="2026-12", expected_co2e_kg=1.0,
                          overrun_kg=1.0, tier="critical", reason="x")
    listed = ledger.overruns("vision", "2026-11")
    assert listed[0] == first
    assert [(o.run_id, o.actual_co2e_kg, o.job_name) for o in listed] == [
        (None, None, "retrain"), ("r-9", 3.5, "")]
    assert listed[0].recorded_utc == clock.now() - timedelta(seconds=60)
    state = ledger.budget_state("vision", "2026-11")
    assert (state.overruns, state.overrun_co2e_kg) == (2, pytest.approx(5.0))
    assert len(ledger.overruns()) == 3 and ledger.overruns("nlp") == []


def test_month_helpers() -> None:
    assert parse_month(" 2026-11 ") == "2026-11" and parse_month("*") == "*"
    assert month_bounds("2026-12") == (datetime(2026, 12, 1, tzinfo=timezone.utc),
                                       datetime(2027, 1, 1, tzinfo=timezone.utc))
    assert month_of(datetime(2026, 12, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))) == "2026-11"
    with pytest.raises(ValueError, match="naive"):
        month_of(datetime(2026, 1, 1))
    with pytest.raises(ConfigError, match="every month"):
        month_bounds("*")
    with pytest.raises(ConfigError, match="invalid --month '2026-00'"):
        parse_month("2026-00", "--month")


def test_state_json_keys() -> None:
    state = BudgetState("vision", "2026-11", 50.0, 41.2, "*", 1, 2.0)
    assert state_to_dict(state) == {
        "project": "vision", "month": "2026-11", "budget_month": "*", "limit_co2e_kg": 50.0,
        "spent_co2e_kg": 41.2, "remaining_co2e_kg": pytest.approx(8.8),
        "used_pct": 82.4, "overruns": 1, "overrun_co2e_kg": 2.0}
    unset = state_to_dict(BudgetState("x", "2026-11", None, 0.0))
    assert unset["limit_co2e_kg"] is None and unset["used_pct"] is None
    assert BudgetState("x", "m", 0.0, 1.0).used_pct == 100.0
