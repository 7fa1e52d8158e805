"""Slurm executor: ``sbatch --begin=<planned start>`` on the partition of the planned zone.

Slurm holds the job until ``--begin`` and then queues it as usual, so the
planned start is the earliest start; a busy cluster may start it later.
Each zone maps to a partition (and optionally a cluster, for federations
and ``--clusters``), e.g. ``{"DE": "gpu-frankfurt", "FR": "gpu-paris"}``.

Slurm reads ``--begin`` in the *cluster's local time*; wattprint plans in
UTC. Give the cluster's time zone as ``cluster_tz`` (default UTC, right for
clusters whose controllers run on UTC) and the start is converted before it
is written as ``YYYY-MM-DDTHH:MM:SS``.

Example:
    >>> from zoneinfo import ZoneInfo
    >>> slurm = SlurmExecutor({"DE": "gpu-de", "FR": "gpu-fr"},
    ...                       cluster_tz=ZoneInfo("Europe/Berlin"))
    >>> slurm.probe().available in (True, False)
    True
"""

from __future__ import annotations

import math
import re
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timezone, tzinfo

from wattprint.errors import ConfigError, ExecutorError, PlanError
from wattprint.schedule.executors.base import ExecutorStatus, Submission
from wattprint.schedule.job import Plan

_SUBMITTED = re.compile(r"Submitted batch job (\d+)(?: on cluster (\S+))?")
#: How long sbatch may take to answer (it only talks to the controller).
SBATCH_TIMEOUT_S = 60.0


class SlurmExecutor:
    """Submit planned jobs with ``sbatch``, held until the planned start.

    Args:
        partitions: Partition per zone; a plan for a zone without one is refused.
        clusters: Cluster per zone (``--clusters``), where it matters.
        sbatch: The ``sbatch`` executable (a name on ``PATH`` or a path).
        cluster_tz: Time zone Slurm reads ``--begin`` in (default UTC).
        time_limit: Pass ``--time`` = the job's duration rounded up to a minute,
            so the scheduler can backfill; False leaves the limit to the script
            (``#SBATCH --time``) or the partition default.
        timeout_s: How long to wait for ``sbatch``.

    Raises:
        ConfigError: No partitions, or an empty zone or partition name.
    """

    name = "slurm"

    def __init__(
        self, partitions: Mapping[str, str], clusters: Mapping[str, str] | None = None,
        sbatch: str = "sbatch", *, cluster_tz: tzinfo = timezone.utc, time_limit: bool = True,
        timeout_s: float = SBATCH_TIMEOUT_S,
    ) -> None:
        if not partitions:
            raise ConfigError("slurm executor: map at least one zone to a partition "
                              "(--partition DE=gpu-de)")
        for kind, mapping in (("partition", partitions), ("cluster", clusters or {})):
            for zone, value in mapping.items():
                if not zone.strip() or not value.strip():
                    raise ConfigError(f"slurm executor: empty zone or {kind} in {zone}={value}")
        self.partitions = dict(partitions)
        self.clusters = dict(clusters or {})
        self.sbatch = sbatch
        self.cluster_tz = cluster_tz
        self.time_limit = time_limit
        self.timeout_s = timeout_s

    def command_for(self, plan: Plan, command: Sequence[str]) -> list[str]:
        """The ``sbatch`` command line for ``plan`` (pure; nothing runs).

        Raises:
            ConfigError: No partition is mapped for the plan's zone, or no script.
            PlanError: The plan has several slots (Slurm cannot pause a job).
        """
        if not command:
            raise ConfigError("slurm executor: give the batch script to submit (-- SCRIPT ARGS)")
        if len(plan.slots) > 1:
            raise PlanError(
                f"the slurm executor runs a job in one piece, but this plan has "
                f"{len(plan.slots)} slots; plan it without --interruptible"
            )
        partition = self.partitions.get(plan.zone)
        if partition is None:
            known = ", ".join(f"{z}={p}" for z, p in self.partitions.items())
            raise ConfigError(
                f"no Slurm partition for zone {plan.zone} (the planned zone); "
                f"add --partition {plan.zone}=NAME (known: {known})"
            )
        begin = plan.start_utc.astimezone(self.cluster_tz).strftime("%Y-%m-%dT%H:%M:%S")
        argv = [self.sbatch, f"--begin={begin}", f"--partition={partition}"]
        if plan.zone in self.clusters:
            argv.append(f"--clusters={self.clusters[plan.zone]}")
        if self.time_limit:
            argv.append(f"--time={slurm_time(plan.job.duration_s)}")
        if plan.job.name:
            argv.append(f"--job-name={plan.job.name}")
        return [*argv, *command]

    def submit(self, plan: Plan, command: Sequence[str], *, dry_run: bool = False) -> Submission:
        """Run ``sbatch`` (or, on a dry run, only build its command line).

        Raises:
            ConfigError: See :meth:`command_for`; ``sbatch`` is not installed.
            PlanError: See :meth:`command_for`.
            ExecutorError: ``sbatch`` failed, timed out or printed no job id.
        """
        argv = self.command_for(plan, command)
        cluster = self.clusters.get(plan.zone)
        base = Submission("slurm", tuple(argv), dry_run, plan.zone, plan.start_utc,
                          cluster=cluster)
        if dry_run:
            return replace(base, message="dry run: " + shlex.join(argv))
        job_id, printed_cluster = _run_sbatch(argv, self.timeout_s)

        cluster = printed_cluster or cluster
        where = f" on cluster {cluster}" if cluster else ""
        return replace(base, job_id=job_id, cluster=cluster,
                       message=f"submitted Slurm job {job_id}{where}, held until "
                               f"{argv[1].removeprefix('--begin=')} (cluster time)")

    def probe(self) -> ExecutorStatus:
        """Whether ``sbatch`` can be found; never raises."""
        found = shutil.which(self.sbatch)
        if found:
            return ExecutorStatus("slurm", True, f"sbatch at {found}")
        return ExecutorStatus("slurm", False, f"{self.sbatch!r} not found on PATH",
                              "install the Slurm client tools or point to sbatch")


def slurm_time(duration_s: float) -> str:
    """A duration as Slurm's ``--time``: ``H:MM:SS``, or ``D-HH:MM:SS`` from a day on.

    Rounded up to whole minutes, and at least one minute.
    """
    minutes = max(1, math.ceil(duration_s / 60 - 1e-9))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    return f"{days}-{hours:02d}:{mins:02d}:00" if days else f"{hours}:{mins:02d}:00"


def _run_sbatch(argv: list[str], timeout_s: float) -> tuple[str, str | None]:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s,
                              check=False)
    except FileNotFoundError as e:
        raise ConfigError(f"sbatch not found: {argv[0]!r} is not on PATH "
                          "(install the Slurm client tools or give the path to sbatch)") from e
    except subprocess.TimeoutExpired as e:
        raise ExecutorError(f"sbatch did not answer within {timeout_s:g} s") from e
    if done.returncode != 0:
        detail = " ".join(done.stderr.split()) or " ".join(done.stdout.split()) or "no output"
        raise ExecutorError(f"sbatch failed (exit {done.returncode}): {detail}")
    match = _SUBMITTED.search(done.stdout)
    if match is None:
        shown = " ".join(done.stdout.split()) or "nothing"
        raise ExecutorError(f"sbatch succeeded but printed no job id (it printed: {shown})")
    return match.group(1), match.group(2)
