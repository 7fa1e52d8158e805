"""The executor protocol and the values it returns.

An executor takes a :class:`~wattprint.schedule.job.Plan` and a command and
makes the command run where and when the plan says: now-or-later on this
machine, or through a batch scheduler that holds the job until the planned
start. ``submit(..., dry_run=True)`` only says what it would do. ``probe()``
never raises; ``wattprint doctor`` can print it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from wattprint.intensity.providers.base import ProviderStatus
from wattprint.schedule.job import Plan
from wattprint.store.serialize import format_utc


@dataclass(frozen=True)
class Submission:
    """What an executor did (or, on a dry run, would do) with a plan.

    Attributes:
        executor: Executor name (``"local"``, ``"slurm"``).
        command: The command line it ran or would run (for Slurm: the ``sbatch`` call).
        dry_run: True when nothing was run.
        zone: The plan's zone.
        start_utc: The planned start.
        job_id: The scheduler's job id (Slurm) or process id (local), once known.
        cluster: The Slurm cluster, when one was named.
        exit_code: The command's exit status (local, once it has finished).
        message: One line for the user.
    """

    executor: str
    command: tuple[str, ...]
    dry_run: bool
    zone: str
    start_utc: datetime
    job_id: str | None = None
    cluster: str | None = None
    exit_code: int | None = None
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Stable JSON keys (``wattprint submit --json`` puts these under ``submission``)."""
        return {
            "executor": self.executor, "command": list(self.command), "dry_run": self.dry_run,
            "zone": self.zone, "start": format_utc(self.start_utc), "job_id": self.job_id,
            "cluster": self.cluster, "exit_code": self.exit_code, "message": self.message,
        }


#: What :meth:`Executor.probe` returns (the same value as a provider probe).
ExecutorStatus = ProviderStatus


@runtime_checkable
class Executor(Protocol):
    """Runs a planned job where and when its plan says."""

    #: Short name used on the command line (``--executor slurm``) and in messages.
    name: str

    def submit(self, plan: Plan, command: Sequence[str], *, dry_run: bool = False) -> Submission:
        """Run or schedule ``command`` according to ``plan``; on a dry run, only describe it."""
        ...

    def probe(self) -> ExecutorStatus:
        """Whether this executor can be used here; never raises."""
        ...
