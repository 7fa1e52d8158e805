"""Which logical run a tracker joins, and whether it measures, in a distributed job.

Every rank of a distributed job runs the same script, so every rank creates
the same trackers in the same order. The *n*-th tracker of each rank joins
one logical run whose id all ranks derive alike, from (first found):

1. ``WATTPRINT_RUN_ID`` (any job launcher): the first tracker's id is the value
   itself, later ones ``<value>.<n>``;
2. ``torchrun``: ``TORCHELASTIC_RUN_ID`` (the ``--rdzv-id``; torchrun's
   default ``none`` is no id) when ``WORLD_SIZE`` > 1;
3. Slurm: ``SLURM_CLUSTER_NAME``, ``SLURM_JOB_ID`` and ``SLURM_STEP_ID`` when
   the step has more than one task (``SLURM_NTASKS`` or ``SLURM_STEP_NUM_TASKS``).

A derived id is a UUID (version 5) of that text and *n*, so reruns of the
job (new job id, new rendezvous id) never collide.

Only local rank 0 of each host measures (``LOCAL_RANK``, else
``SLURM_LOCALID``, else ``WATTPRINT_LOCAL_RANK``): the devices of a host are
read once however many ranks share it. Its tracker records the host's part of
the run (:meth:`~wattprint.store.ledger.Ledger.save_part`), and the run's total
is the sum over hosts. When the id comes from torchrun or Slurm and the scope
was not set, it measures the process tree of its parent, the launcher
(torchrun's agent, ``slurmstepd``), which holds every local rank. Other local
ranks get a *passive* tracker: no sensors and nothing saved.

A job with ``WORLD_SIZE`` > 1 but no id (``torch.multiprocessing.spawn``
without ``WATTPRINT_RUN_ID``) records one run per rank that measures, with a
warning saying how to join them.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

#: Namespace of the derived run ids (uuid5 of ``"<source>:<key>:<n>"``).
RUN_ID_NAMESPACE = uuid.UUID("6f1d2c7e-3b0a-5d4e-9f60-2a8b7c1e0d35")

_counter = itertools.count()
_counter_lock = threading.Lock()


@dataclass(frozen=True)
class Identity:
    """Where a tracker stands in a (possibly) distributed job.

    Attributes:
        run_id: The logical run to join, or None for a run of its own.
        host: The name of this host's part (and of the run's host).
        measures: False on local ranks other than 0: no sensors, nothing saved.
        source: Where the id came from (``"argument"``, ``"WATTPRINT_RUN_ID"``,
            ``"torchrun"``, ``"slurm"``), or ``""``.
        launcher_pid: The process tree to measure instead of this process
            (torchrun's agent, ``slurmstepd``), or None.
        notes: Lines for the run's warnings.
    """

    run_id: str | None
    host: str
    measures: bool = True
    source: str = ""
    launcher_pid: int | None = None
    notes: tuple[str, ...] = ()


def host_name(configured: str | None) -> str:
    """``configured`` (the ``host`` setting, ``WATTPRINT_HOST``) or the system host name."""
    return configured.strip() if configured and configured.strip() else socket.gethostname()


def next_sequence() -> int:
    """The per-process number of the next tracker that joins a shared run (0, 1, ...)."""
    with _counter_lock:
        return next(_counter)


def _int(env: Mapping[str, str], *names: str) -> int | None:
    for name in names:
        value = env.get(name, "").strip()
        if value.lstrip("-").isdigit():
            return int(value)
    return None


def _shared_key(env: Mapping[str, str]) -> tuple[str, str] | None:
    """(source, key) of the job-wide id in ``env``, or None."""
    world = _int(env, "WORLD_SIZE") or 1
    rdzv = env.get("TORCHELASTIC_RUN_ID", "").strip()
    if world > 1 and rdzv and rdzv.lower() != "none":
        return "torchrun", rdzv
    job = env.get("SLURM_JOB_ID", "").strip()
    tasks = _int(env, "SLURM_STEP_NUM_TASKS", "SLURM_NTASKS") or 1
    if job and tasks > 1:
        cluster = env.get("SLURM_CLUSTER_NAME", "").strip()
        step = env.get("SLURM_STEP_ID", "").strip() or "batch"
        return "slurm", f"{cluster}:{job}.{step}"
    return None


def detect(
    env: Mapping[str, str] = os.environ, *, run_id: str | None = None, host: str | None = None,
    scope_given: bool = False, sequence: int | None = None,
) -> Identity:
    """The identity of a tracker created now in a process with environment ``env``.

    Args:
        env: The process environment.
        run_id: An explicit id (``Tracker(run_id=...)``): joined as is, by every rank.
        host: The configured host name (else the system's).
        scope_given: The user chose the scope: never switch to the launcher's tree.
        sequence: This tracker's number among the joining trackers of this
            process (default: the next of a process-wide counter).
    """
    name = host_name(host)
    local_rank = _int(env, "LOCAL_RANK", "SLURM_LOCALID", "WATTPRINT_LOCAL_RANK")
    measures = local_rank is None or local_rank == 0
    notes: list[str] = []
    if not measures:
        notes.append(f"local rank {local_rank} on host {name}: not measured here; local rank 0 "
                     "records this host's devices")
    if run_id is not None:
        if not run_id.strip():
            from wattprint.errors import ConfigError

            raise ConfigError("run_id must be non-empty text (the id every rank shares)")
        return Identity(run_id.strip(), name, measures, "argument", notes=tuple(notes))
    explicit = env.get("WATTPRINT_RUN_ID", "").strip()
    shared = None if explicit else _shared_key(env)
    if not explicit and shared is None:
        world = _int(env, "WORLD_SIZE") or 1
        if world > 1 and measures:
            notes.append(f"distributed job (WORLD_SIZE={world}) without a shared run id: this "
                         "host's ranks are recorded as a run of their own; set "
                         "WATTPRINT_RUN_ID (or torchrun --rdzv-id) to join the hosts in one run")
        return Identity(None, name, measures, notes=tuple(notes))
    n = next_sequence() if sequence is None else sequence
    if explicit:
        joined = explicit if n == 0 else f"{explicit}.{n}"
        return Identity(joined, name, measures, "WATTPRINT_RUN_ID", notes=tuple(notes))
    assert shared is not None
    source, key = shared
    joined = str(uuid.uuid5(RUN_ID_NAMESPACE, f"{source}:{key}:{n}"))
    launcher = None if scope_given else os.getppid()
    if measures and launcher is not None:
        notes.append(f"measuring the process tree of the launcher (pid {launcher}), which "
                     f"holds every local rank on host {name}")
    return Identity(joined, name, measures, source, launcher, tuple(notes))
