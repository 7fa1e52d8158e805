"""``wattprint submit``: plan a job, check its carbon budget, hand it to an executor.

Exit codes: 0 submitted (or, for ``--executor local``, the command's own
exit code), 2 bad input (unknown zone, no partition for the planned zone),
3 held by the budget policy (nothing submitted), 1 executor failure.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Any

import click

from wattprint.cli.common import json_option, open_ledger, print_json
from wattprint.cli.plan_cmd import build_plan, job_options
from wattprint.errors import ConfigError

#: Exit code of a job held because it would exceed its project's budget.
EXIT_HELD = 3


@click.command(context_settings={"allow_interspersed_args": False})
@job_options
@click.option("--executor", "executor_name", type=click.Choice(["local", "slurm", "ray"]),
              default="local", show_default=True, help="Where the job runs.")
@click.option("--partition", "partitions", multiple=True, metavar="ZONE=NAME",
              help="Slurm partition for a zone (repeat per zone).")
@click.option("--cluster", "clusters", multiple=True, metavar="ZONE=NAME",
              help="Slurm cluster for a zone (--clusters), where it matters.")
@click.option("--cluster-tz", default="UTC", show_default=True,
              help="Time zone Slurm reads --begin in (IANA name, e.g. Europe/Berlin).")
@click.option("--sbatch", default="sbatch", show_default=True, help="The sbatch executable.")
@click.option("--ray-address", "ray_addresses", multiple=True, metavar="ZONE=URL",
              help="Ray job server (dashboard, :8265) for a zone (repeat per zone).")
@click.option("--dry-run", is_flag=True, help="Print what would be submitted; run nothing.")
@json_option
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
def submit(command: tuple[str, ...], executor_name: str, partitions: tuple[str, ...],
           clusters: tuple[str, ...], cluster_tz: str, sbatch: str,
           ray_addresses: tuple[str, ...], dry_run: bool, as_json: bool, **options: Any) -> int:
    """Plan a job, check its project's carbon budget, then submit it.

    With Slurm the job is submitted at once with --begin at the planned start
    (converted to --cluster-tz) on the planned zone's partition. A standard or
    flexible job that would exceed the budget is held (exit 3); a critical
    one is submitted and the overrun recorded. With Ray it waits here until
    the planned start, then submits the job to the planned zone's cluster
    (--ray-address ZONE=URL).

    \b
    Examples:
      wattprint submit --executor slurm --zones DE,FR --duration 4h --deadline 24h \\
          --energy 12kWh --partition DE=gpu-de --partition FR=gpu-fr -- train.sbatch
      wattprint submit --executor slurm --zones DE,FR --duration 4h --series de_fr.csv \\
          --now 2023-03-01T00:00Z --power 700W --partition DE=a --partition FR=b \\
          --dry-run --json -- train.sbatch --epochs 3
    """
    if not command:
        raise ConfigError("give the command or batch script to submit after --: -- SCRIPT ARGS")
    executor = _executor(executor_name, partitions, clusters, cluster_tz, sbatch, ray_addresses)
    result, _series = build_plan(options)
    if executor_name == "slurm":
        executor.command_for(result, command)  # no partition for the zone: fail before asking
    elif executor_name == "ray":
        executor.request_for(result, command)  # no cluster for the zone: fail before asking
    decision = _decide(result)
    if not as_json:
        _print_plan(result, decision)
    if not decision.runs:
        if as_json:
            _print_json(result, decision, None)
        return EXIT_HELD
    submission = executor.submit(result, command, dry_run=dry_run)
    if not dry_run and decision.overrun_kg > 0:
        _record_overrun(result, decision, submission)
    if as_json:
        _print_json(result, decision, submission)
    elif submission.dry_run:
        click.echo(shlex.join(submission.command))
    else:
        click.echo(submission.message, err=True)
        if submission.job_id and submission.executor in ("slurm", "ray"):
            click.echo(submission.job_id)
    return submission.exit_code or 0


def _executor(name: str, partitions: Sequence[str], clusters: Sequence[str], tz_name: str,
              sbatch: str, ray_addresses: Sequence[str] = ()) -> Any:
    if name == "local":
        from wattprint.schedule.executors.local import LocalExecutor

        return LocalExecutor()
    if name == "ray":
        from wattprint.schedule.executors.ray import RayExecutor

        if not ray_addresses:
            raise ConfigError("--executor ray needs a job server per zone: "
                              "--ray-address DE=http://HEAD:8265")
        return RayExecutor(_pairs(ray_addresses, "--ray-address"))
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from wattprint.schedule.executors.slurm import SlurmExecutor

    if not partitions:
        raise ConfigError("--executor slurm needs a partition per zone: --partition DE=NAME")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"invalid --cluster-tz {tz_name!r}: expected an IANA time zone "
                          "such as UTC or Europe/Berlin") from None
    return SlurmExecutor(_pairs(partitions, "--partition"), _pairs(clusters, "--cluster"),
                         sbatch, cluster_tz=tz)


def _pairs(items: Sequence[str], name: str) -> dict[str, str]:
    """``ZONE=NAME`` options as a dict."""
    out: dict[str, str] = {}
    for item in items:
        zone, sep, value = item.partition("=")
        if not sep or not zone.strip() or not value.strip():
            raise ConfigError(f"invalid {name} {item!r}: expected ZONE=NAME, e.g. FR=gpu-paris")
        out[zone.strip()] = value.strip()
    return out


def _decide(result: Any) -> Any:
    from wattprint.schedule.policy import decide
    from wattprint.store.budgets import month_of

    ledger = open_ledger()
    try:
        state = ledger.budget_state(result.job.project, month_of(result.start_utc))
    finally:
        ledger.close()
    return decide(result.job, result.expected_co2e_kg, state)


def _record_overrun(result: Any, decision: Any, submission: Any) -> None:
    from wattprint.schedule.policy import apply_decision

    run_id = f"{submission.executor}:{submission.job_id}" if submission.job_id else None
    ledger = open_ledger()
    try:
        apply_decision(ledger, result.job, decision, run_id=run_id)
    finally:
        ledger.close()


def _print_json(result: Any, decision: Any, submission: Any) -> None:
    print_json({
        "plan": result.to_dict(),
        "budget": {"action": decision.action, "project": decision.project,
                   "month": decision.month, "charged_co2e_kg": decision.charged_co2e_kg,
                   "overrun_kg": decision.overrun_kg, "message": decision.message},
        "submission": None if submission is None else submission.to_dict(),
    })


def _print_plan(result: Any, decision: Any) -> None:
    from wattprint.cli.common import fmt_mass

    click.echo(
        f"plan: {result.zone} from {result.start_utc:%Y-%m-%d %H:%M} UTC, expected "
        f"{fmt_mass(result.expected_co2e_kg)} vs {fmt_mass(result.baseline_co2e_kg)} now in "
        f"{result.baseline_zone} ({result.saving_pct:.1f} % saved)", err=True)
    click.echo(decision.message, err=True)
