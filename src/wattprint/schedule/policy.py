"""Tiers against carbon budgets: may this job run, and what does it cost the budget?

:func:`decide` is pure: given a job, its expected emissions and the budget
state of its project for the month it would start in, it says ``run`` or
``hold``. The rule (issue 3, item 4):

* ``critical`` always runs and is charged; whatever does not fit the
  remaining budget is an *overrun*, which :func:`apply_decision` records.
* ``standard`` and ``flexible`` run only if they fit the remaining budget;
  otherwise they are held with a message that says by how much and what to do.
* Without a budget every job runs.

Example:
    >>> from wattprint.model import BudgetState
    >>> from wattprint.schedule.job import Job
    >>> job = Job(duration_s=3600, zones=("DE",), energy_kwh=30, project="vision")
    >>> state = BudgetState("vision", "2026-11", 50.0, 41.2)
    >>> decide(job, 12.0, state).message
    'held: project vision has used 41.2 of 50.0 kg CO2e in 2026-11; this job expects \
12.0 kg (over by 3.2 kg); raise the budget (wattprint budget set vision 53.2 --month \
2026-11) or run it as critical'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from wattprint.model import BudgetOverrun, BudgetState
from wattprint.schedule.job import Job, Tier

if TYPE_CHECKING:
    from wattprint.store.ledger import Ledger

Action = Literal["run", "hold"]


@dataclass(frozen=True)
class Decision:
    """What the budget policy says about one job.

    Attributes:
        action: ``"run"`` or ``"hold"``.
        charged_co2e_kg: What running it adds to the month's spending (0 when held).
        overrun_kg: How far it takes the project over budget (critical jobs only;
            0 when it fits or is held).
        message: One line for the user.
        expected_co2e_kg: The job's expected emissions.
        project: The project charged.
        month: The UTC month charged (``YYYY-MM``); empty without a budget state.
    """

    action: Action
    charged_co2e_kg: float
    overrun_kg: float
    message: str
    expected_co2e_kg: float = 0.0
    project: str = ""
    month: str = ""

    @property
    def runs(self) -> bool:
        """True when the job may run."""
        return self.action == "run"


def decide(job: Job, expected_co2e_kg: float, state: BudgetState | None) -> Decision:
    """Apply the tier and budget rule to a job.

    Args:
        job: The job; its ``tier`` and ``project`` matter here.
        expected_co2e_kg: What the job is expected to emit (the plan's figure).
        state: The project's budget state for the UTC month the job starts in,
            or None when there is none to respect.

    Raises:
        ValueError: ``expected_co2e_kg`` is negative or not a number.
    """
    if not (math.isfinite(expected_co2e_kg) and expected_co2e_kg >= 0):
        raise ValueError(f"expected emissions must be >= 0 kg, got {expected_co2e_kg}")
    month = state.month if state is not None else ""

    def make(action: Action, overrun_kg: float, message: str) -> Decision:
        charged_kg = expected_co2e_kg if action == "run" else 0.0
        return Decision(action, charged_kg, overrun_kg, message, expected_co2e_kg,
                        job.project, month)

    remaining = None if state is None else state.remaining_co2e_kg
    if state is None or state.limit_co2e_kg is None or remaining is None:
        where = f" in {month}" if month else ""
        return make("run", 0.0, f"run: project {job.project} has no carbon budget{where}")
    over_kg = expected_co2e_kg - max(remaining, 0.0)
    if over_kg <= 0:
        return make("run", 0.0,
                    f"run: {_usage(job, state)}; this job expects {expected_co2e_kg:.1f} kg "
                    f"and fits ({remaining - expected_co2e_kg:.1f} kg left after it)")
    if job.tier is Tier.CRITICAL:
        return make("run", over_kg,
                    f"run (critical): {_usage(job, state)}; this job expects "
                    f"{expected_co2e_kg:.1f} kg and goes over by {over_kg:.1f} kg "
                    "(overrun recorded)")
    # Round up to 0.1 kg so the suggested budget really fits the job.
    needed_kg = math.ceil(round((state.spent_co2e_kg + expected_co2e_kg) * 10, 6)) / 10
    return make(
        "hold", 0.0,
        f"held: {_usage(job, state)}; this job expects {expected_co2e_kg:.1f} kg "
        f"(over by {over_kg:.1f} kg); raise the budget (wattprint budget set {job.project} "
        f"{needed_kg:g} --month {state.month}) or run it as critical",
    )


def _usage(job: Job, state: BudgetState) -> str:
    assert state.limit_co2e_kg is not None
    return (f"project {job.project} has used {state.spent_co2e_kg:.1f} of "
            f"{state.limit_co2e_kg:.1f} kg CO2e in {state.month}")


def apply_decision(
    ledger: Ledger, job: Job, decision: Decision, *, run_id: str | None = None,
    actual_co2e_kg: float | None = None,
) -> BudgetOverrun | None:
    """Record the overrun of a decision in the ledger, if it has one.

    Call it when a job that the policy let run over budget is started (or
    submitted); held jobs and jobs within budget record nothing.

    Args:
        ledger: An open ledger.
        job: The job decided on.
        decision: What :func:`decide` returned for it.
        run_id: The run or scheduler job id, when already known.
        actual_co2e_kg: Measured emissions, when already known.

    Returns:
        The recorded overrun, or None when there was nothing to record.
    """
    if decision.action != "run" or decision.overrun_kg <= 0 or not decision.month:
        return None
    return ledger.record_overrun(
        project=job.project, month=decision.month, expected_co2e_kg=decision.expected_co2e_kg,
        overrun_kg=decision.overrun_kg, tier=job.tier.value, reason=decision.message,
        run_id=run_id, job_name=job.name, actual_co2e_kg=actual_co2e_kg,
    )
