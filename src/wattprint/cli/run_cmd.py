"""``wattprint run -- CMD ARGS...``: track a command's process tree.

The tracking itself is :func:`wattprint.measure.command.run_command`. The
command gets ``WATTPRINT_METRICS_FILE``, a fresh temporary file that
``wattprint.log_metric`` appends to from inside it; when the command ends the
file is read (the last value per name wins, a malformed line becomes a run
warning), the metrics are stored with the run and the file is deleted.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any

import click

from wattprint.cli.common import json_option, print_json, zone_option
from wattprint.measure.command import CommandResult, run_command
from wattprint.model import Run

if TYPE_CHECKING:
    from wattprint.measure.tracker import Tracker


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False}
)
@click.option("--project", default=None, help="Project name (default from settings).")
@click.option("--experiment", default="", help="Experiment name.")
@click.option("--model", default="", help="Name of the model the command trains or serves "
              "(resnet50); its logged metrics are stored with the run.")
@click.option("--tag", "tags", multiple=True, help="Tag the run (repeatable).")
@zone_option
@click.option("--pue", type=float, default=None, help="Power usage effectiveness (>= 1).")
@click.option("--interval", "interval_s", type=float, default=None,
              help="Sampling interval in seconds (default 1, down to 0.01).")
@click.option("--scope", type=click.Choice(["process", "machine"]), default=None,
              help="Attribute the command's process tree (default) or the whole machine.")
@click.option("--gpu-ids", default=None, help="Comma-separated GPU indices to measure.")
@click.option("--flops", type=float, default=None, help="FLOP count of the job, for FLOPS/W.")
@click.option("--no-save", is_flag=True, help="Do not record the run in the ledger.")
@click.option("--when", type=click.Choice(["now", "green"]), default="now", show_default=True,
              help="green: wait for the cleanest time before the deadline, then run.")
@click.option("--deadline", default=None, help="With --when green: finish within (12h) or by "
              "an ISO time (default: the tier's window).")
@click.option("--duration", default=None, help="With --when green: expected run time "
              "(default: median of past runs of this command, else 1h).")
@click.option("--max-intensity", type=float, default=None,
              help="With --when green: start as soon as intensity < this (g/kWh).")
@click.option("--power", "power_text", default=None,
              help="With --when green: expected average power (700W), for budget checks.")
@click.option("--interruptible", is_flag=True,
              help="With --when green: pause the command (SIGSTOP/SIGCONT) outside clean slots.")
@click.option("--min-chunk", default=None, help="Shortest uninterrupted piece (2h).")
@click.option("--checkpoint-hook", default=None,
              help="Run this instead of SIGSTOP/SIGCONT; WATTPRINT_EVENT=pause|resume.")
@click.option("--tier", type=click.Choice(["critical", "standard", "flexible"]),
              default="standard", show_default=True, help="Urgency (critical never waits).")
@click.option("--series", "series_files", multiple=True, help="Intensity CSV/Parquet file(s).")
@click.option("--column", default="carbon_intensity_g_per_kwh", show_default=True,
              help="Intensity column of --series files.")
@click.option("--check-every", default="5m", show_default=True,
              help="How often to check the current intensity while waiting.")
@json_option
@click.argument("command", nargs=-1, type=click.UNPROCESSED, required=True)
def run(
    project: str | None, experiment: str, model: str, tags: tuple[str, ...], zone: str | None,
    pue: float | None, interval_s: float | None, scope: str | None, gpu_ids: str | None,
    flops: float | None, no_save: bool, as_json: bool, command: tuple[str, ...],
    **green_options: Any,
) -> int:
    """Run COMMAND, track its energy and carbon, and record the run.

    The command's output streams unchanged; the summary goes to stderr (or
    the run as JSON to stdout with --json). The exit code is the command's.
    SIGINT/SIGTERM are forwarded to the command and the run is recorded as
    interrupted. Metrics the command logs with wattprint.log_metric(name,
    value) are stored with the run (the last value of each name).

    \b
    Examples:
      wattprint run -- python train.py --epochs 3
      wattprint run --project bert --zone DE --tag baseline -- make train
      wattprint run --model resnet50 -- python train.py
      wattprint run --interval 0.1 --json -- ./bench.sh > run.json
      wattprint run --when green --deadline 12h --max-intensity 200 -- python train.py

    With --when green the run waits (live countdown; Ctrl-C cancels, exit
    130) for the cleanest start before the deadline in its zone, then records
    planned vs achieved intensity. Exit 3 when the project's budget holds it.
    """
    from wattprint.config import load_settings
    from wattprint.measure.tracker import Tracker

    cmd = list(command[1:] if command and command[0] == "--" else command)
    if not cmd:
        raise click.UsageError("no command given: wattprint run [OPTIONS] -- CMD ARGS...")
    settings = load_settings({
        "project": project, "zone": zone, "pue": pue, "interval_s": interval_s,
        "scope": scope, "gpu_ids": gpu_ids,
    })
    tracker = Tracker(settings=settings, experiment=experiment, model=model, tags=tags,
                      flops=flops, save=not no_save, command=shlex.join(cmd))
    tracker.locate()
    green = _green(green_options, tracker, shlex.join(cmd), save=not no_save)
    try:
        outcome = _execute(cmd, tracker, green)
    finally:
        tracker.close_ledger()  # else a PostgreSQL connection outlives the run
    for message in outcome.ledger_warnings:
        click.echo(f"wattprint: {message}", err=True)
    result = outcome.run
    if green is not None:
        result = green.finish(result)
    _report(result, as_json)
    return outcome.exit_code


def _execute(cmd: list[str], tracker: Tracker, green: _Green | None) -> CommandResult:
    """Run the command under the tracker; a ``--when green --interruptible`` run gets its slots."""
    slots: list[Any] = []

    def started(pid: int) -> None:
        if green is not None:
            slots.append(green.start_slots(pid))

    def exited(returncode: int) -> None:
        if slots and slots[0] is not None:
            slots[0][1].set()

    return run_command(cmd, tracker, on_start=started, on_exit=exited)


class _Green:
    """State of a ``--when green`` run: its plan, provider and wait outcome."""

    def __init__(self, options: Any, plan: Any, provider: Any, tracker: Any,
                 clock: Any, save: bool) -> None:
        self.options, self.plan, self.provider = options, plan, provider
        self.tracker, self.clock, self.save = tracker, clock, save
        self.outcome: Any = None
        self.decision: Any = None

    def start_slots(self, pid: int) -> Any:
        from wattprint.cli import green

        if not self.options.interruptible:
            return None
        return green.slot_controller(self.plan, self.options, pid, clock=self.clock)

    def finish(self, result: Run) -> Run:
        from wattprint.cli import green

        return green.record(self.plan, self.provider, result, self.outcome, self.tracker,
                            save=self.save, decision=self.decision)


def _green(options: dict[str, Any], tracker: Any, command: str, *, save: bool) -> _Green | None:
    """Plan and wait for a ``--when green`` run; None for a plain run."""
    from wattprint.cli import green

    if options.pop("when") != "green":
        used = [k for k, v in options.items() if v and k not in {"tier", "column", "check_every"}]
        if used:
            raise click.UsageError(f"--{used[0].replace('_', '-').removesuffix('-text')} "
                                   "needs --when green")
        return None
    power = options.pop("power_text")
    opts = green.GreenOptions(**options)
    clock = green.default_clock()
    plan, provider = green.prepare(opts, tracker, command, clock=clock, power=power)
    green.echo_plan(plan)
    decision = green.check_budget(plan, tracker, power_known=power is not None, save=save)
    state = _Green(opts, plan, provider, tracker, clock, save)
    state.decision = decision
    state.outcome = green.wait(plan, provider, opts, clock=clock)
    return state


def _report(result: Run, as_json: bool) -> None:
    if as_json:
        from wattprint.store.serialize import run_to_dict

        print_json(run_to_dict(result, trace=False))
        return
    from rich.console import Console

    from wattprint.cli.ledger_cmds import model_table
    from wattprint.cli.render import print_run

    console = Console(stderr=True)
    print_run(console, result, detail=False)
    table = model_table(result)
    if table is not None:
        console.print(table)
