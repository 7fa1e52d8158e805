"""``wattprint run --when green``: plan, wait with a countdown, run, record planned vs achieved.

The command's duration comes from ``--duration``, else the median of its
past finished runs in the ledger, else one hour (announced). Its zone is the
run's zone (``--zone`` / settings / detection). Exit codes: the command's
own; 130 when cancelled while waiting; 3 when the project's carbon budget
holds the job.
"""

from __future__ import annotations

import signal
import statistics
import threading
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import click

from wattprint.cli.common import fmt_duration, parse_duration_s
from wattprint.clock import Clock, SystemClock
from wattprint.errors import WattprintError
from wattprint.model import CarbonAwareRecord, Intensity, Run

#: Exit code when the budget policy holds a job.
HELD_EXIT = 3


class BudgetHeld(WattprintError):
    """The project's carbon budget holds this job."""

    exit_code = HELD_EXIT


@dataclass(frozen=True)
class GreenOptions:
    """What ``--when green`` needs besides the command."""

    deadline: str | None
    duration: str | None
    max_intensity: float | None
    interruptible: bool
    min_chunk: str | None
    tier: str
    series_files: tuple[str, ...]
    column: str
    check_every: str
    checkpoint_hook: str | None


def prepare(opts: GreenOptions, tracker: Any, command: str, *, clock: Clock,
            power: str | None = None) -> tuple[Any, Any]:
    """Plan the command in the tracker's zone; return ``(plan, provider)``."""
    from wattprint.cli.common import parse_power_w
    from wattprint.cli.plan_cmd import parse_deadline, provider_for
    from wattprint.schedule.inputs import gather_series
    from wattprint.schedule.job import Job, Tier
    from wattprint.schedule.planner import plan as make_plan

    zone = tracker.locate().zone
    now = clock.now()
    duration_s, how = _duration(opts.duration, tracker, command)
    deadline = parse_deadline(opts.deadline, now)
    power_w = parse_power_w(power) if power else 1000.0  # nominal: only the timing matters
    job = Job(duration_s=duration_s, zones=(zone,), power_w=power_w, deadline_utc=deadline,
              interruptible=opts.interruptible,
              min_chunk_s=parse_duration_s(opts.min_chunk, "--min-chunk") if opts.min_chunk
              else 0.0, tier=Tier(opts.tier), max_intensity_g_per_kwh=opts.max_intensity,
              name=command, project=tracker.settings.project)
    provider = provider_for(opts.series_files, opts.column, [zone])
    end = job.deadline_or_default(now)
    series, notes = gather_series(provider, [zone], now, end)
    result = make_plan(job, series, now)
    notes.append(f"expected duration {fmt_duration(duration_s)} ({how})")
    return replace(result, notes=(*result.notes, *notes)), provider


def _duration(text: str | None, tracker: Any, command: str) -> tuple[float, str]:
    if text:
        return parse_duration_s(text, "--duration"), "--duration"
    try:
        from wattprint.store.ledger import Ledger

        with Ledger(tracker.settings.db) as ledger:
            past = [r.duration_s for r in ledger.list_runs(
                project=tracker.settings.project, status="finished", limit=200)
                if r.command == command and r.duration_s > 0]
    except WattprintError:
        past = []
    if past:
        return statistics.median(past), f"median of {len(past)} past run(s) of this command"
    return 3600.0, "assumed: no --duration and no past runs of this command"



def check_budget(plan: Any, tracker: Any, *, power_known: bool, save: bool = True) -> Any:
    """Hold a non-critical job that would overrun its project's budget.

    Needs the job's power (``--power``); without it only an already
    exhausted budget holds the job.
    """
    from wattprint.schedule.policy import decide
    from wattprint.store.ledger import Ledger

    if not save:
        return None
    expected = plan.expected_co2e_kg if power_known else 1e-9  # held only if exhausted
    month = plan.start_utc.strftime("%Y-%m")
    with Ledger(tracker.settings.db) as ledger:
        state = ledger.budget_state(tracker.settings.project, month)
    decision = decide(plan.job, expected, state)
    if decision.action == "hold":
        raise BudgetHeld(decision.message)
    if decision.overrun_kg > 0:
        click.echo(f"wattprint: {decision.message}", err=True)
    return decision


def wait(plan: Any, provider: Any, opts: GreenOptions, *, clock: Clock) -> Any:
    """Wait for the start with a live countdown on stderr; Ctrl-C cancels cleanly."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from wattprint.schedule.runner import Cancelled, wait_for_start

    cancel = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: cancel.set())
    total = max(plan.wait_s, 1.0)
    console = Console(stderr=True)
    progress = Progress(TextColumn("[bold]waiting for green power[/bold]"), BarColumn(),
                        TimeRemainingColumn(), TextColumn("{task.fields[info]}"),
                        console=console, transient=True)

    def show(status: Any) -> None:
        info = f"starts {status.start_utc:%Y-%m-%d %H:%M}Z"
        if status.current_g_per_kwh is not None:
            info += f" · now {status.current_g_per_kwh:,.0f} g/kWh"
        if status.next_check_utc is not None:
            info += f" · next check {status.next_check_utc:%H:%M}Z"
        progress.update(task, completed=total - status.remaining_s, info=info)

    task = progress.add_task("wait", total=total, info="")
    try:
        with progress:
            return wait_for_start(
                plan, clock=clock, cancel=cancel, provider=provider,
                threshold_g_per_kwh=opts.max_intensity,
                check_every_s=parse_duration_s(opts.check_every, "--check-every"),
                on_status=show)
    except KeyboardInterrupt:
        raise Cancelled("cancelled while waiting for the planned start; nothing ran") from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def slot_controller(plan: Any, opts: GreenOptions, pid: int, *, clock: Clock) -> Any:
    """A started thread pausing the child outside its slots, or None if one slot."""
    from wattprint.schedule.runner import SlotController, hook_runner, signal_tree

    if len(plan.slots) < 2:
        return None
    if opts.checkpoint_hook:
        pause, resume = (hook_runner(opts.checkpoint_hook, "pause", pid),
                         hook_runner(opts.checkpoint_hook, "resume", pid))
    else:
        def pause() -> None:
            signal_tree(pid, signal.SIGSTOP)

        def resume() -> None:
            signal_tree(pid, signal.SIGCONT)
    controller = SlotController(plan.slots, clock=clock, pause=pause, resume=resume)
    cancel = threading.Event()
    thread = threading.Thread(target=controller.run, args=(cancel,), name="wattprint-slots",
                              daemon=True)
    thread.start()
    return thread, cancel


def record(plan: Any, provider: Any, run: Run, outcome: Any, tracker: Any, *,
           save: bool = True, decision: Any = None) -> Run:
    """Re-account the run with the intensity achieved over its real time; save both."""
    from wattprint.account.footprint import recompute
    from wattprint.store.ledger import Ledger

    achieved, source, resolution = achieved_intensity(plan, provider, run)
    new = run
    if achieved is not None:
        intensity = Intensity(plan.zone, achieved, source, run.started_utc.year, resolution)
        new = recompute(run, intensity=intensity, zone_choice=run.zone_choice)
    rec = CarbonAwareRecord(
        run_id=run.id, planned_zone=plan.zone, planned_start_utc=plan.start_utc,
        planned_end_utc=plan.end_utc,
        planned_intensity_g_per_kwh=plan.expected_intensity_g_per_kwh,
        achieved_intensity_g_per_kwh=achieved,
        expected_co2e_kg=plan.expected_co2e_kg, baseline_co2e_kg=plan.baseline_co2e_kg,
        mode=plan.mode, tier=plan.job.tier.value, waited_s=outcome.waited_s,
        intensity_source=source)
    if save:
        from wattprint.schedule.policy import apply_decision

        with Ledger(tracker.settings.db) as ledger:
            if new is not run:
                ledger.update_footprint(new.id, new.footprint, new.zone_choice)
            ledger.save_carbon_aware(rec)
            if decision is not None:  # a critical job let through over budget
                apply_decision(ledger, plan.job, decision, run_id=run.id,
                               actual_co2e_kg=new.co2e_kg)
    return new


def achieved_intensity(plan: Any, provider: Any, run: Run) -> tuple[float | None, str, str]:
    """Time-weighted intensity over the run's real start..end, from history or forecast."""
    from wattprint.errors import ProviderError

    end = run.ended_utc or run.started_utc
    if end <= run.started_utc:
        end = run.started_utc + timedelta(seconds=max(run.duration_s, 1.0))
    for ask in ("history", "forecast"):
        try:
            series = getattr(provider, ask)(plan.zone, run.started_utc - timedelta(hours=1),
                                            end + timedelta(hours=1))
        except ProviderError:
            continue
        value = series.mean_between(run.started_utc, end)
        if value == value:  # not NaN
            label = "measured" if ask == "history" else "forecast"
            return (value, f"{series.source or provider.name} ({label}, mean over the run)",
                    f"{series.step_s // 60} min")
    return None, "unavailable", ""


def echo_plan(plan: Any) -> None:
    """One-paragraph plan on stderr before waiting."""
    start = plan.start_utc
    click.echo(
        f"wattprint: plan for {plan.zone}: start {start:%Y-%m-%d %H:%M}Z "
        f"(in {fmt_duration(plan.wait_s)}), expected {plan.expected_intensity_g_per_kwh:,.0f} "
        f"g/kWh vs {plan.baseline_co2e_kg * 1000 / plan.job.total_energy_kwh:,.0f} now "
        f"({plan.saving_pct:.1f} % less)", err=True)
    for note in plan.notes:
        click.echo(f"wattprint: note: {note}", err=True)


def default_clock() -> Clock:
    """The real clock (tests pass a fake through the Python API)."""
    return SystemClock()
