"""Ray executor: at the planned start, submit a Ray job to the cluster of the planned zone.

Each zone maps to the address of a Ray cluster's job server (its dashboard,
port 8265 by default), e.g. ``{"DE": "http://ray-fra:8265", "FR":
"http://ray-par:8265"}``. Ray has no "start at" for jobs, so the executor
waits on this machine until ``plan.start_utc`` (on an injected clock, so
tests never sleep; setting ``cancel`` stops the wait and nothing is
submitted) and then calls
``JobSubmissionClient(address).submit_job(entrypoint=..., metadata=...,
runtime_env=...)``. The job's metadata carries the plan (``wattprint_zone``,
``wattprint_planned_start``, ...), and its runtime environment sets
``WATTPRINT_ZONE`` to the planned zone (unless given), so the job's own
trackers (:func:`wattprint.integrations.ray.track_cluster`) file it there.

The job server needs ``ray[default]`` on the submitting machine
(``pip install 'wattprint[ray]'``) and a cluster started with its dashboard.

Example:
    >>> ray_exec = RayExecutor({"DE": "http://127.0.0.1:8265"})
    >>> ray_exec.name
    'ray'
"""

from __future__ import annotations

import json
import re
import shlex
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from wattprint.clock import Clock, SystemClock
from wattprint.errors import ConfigError, ExecutorError, MissingExtraError, PlanError
from wattprint.schedule.executors.base import ExecutorStatus, Submission
from wattprint.schedule.job import Plan
from wattprint.store.serialize import format_utc

#: How long a probe waits for each job server's ``/api/version``.
PROBE_TIMEOUT_S = 3.0
#: Job states after which a job never changes again.
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "STOPPED"})
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_.]*(Error|Exception): ")


class RayExecutor:
    """Submit planned jobs to the Ray cluster of the planned zone, at the planned start.

    Args:
        addresses: Job-server address per zone (``http://host:8265``; a bare
            ``host:port`` means ``http://``); a plan for a zone without one is refused.
        runtime_env: Ray runtime environment of every job (``working_dir``,
            ``pip``, ``env_vars``...).
        metadata: Extra job metadata (text values).
        entrypoint_num_cpus: CPUs reserved for the job's driver (default: none).
        wait: After submitting, wait for the job to end and report its exit
            code (0 when it succeeded).
        poll_s: How often to ask for the job's status while waiting.
        clock: Clock to wait on (default: the system clock).
        cancel: Set it to stop waiting for the start (raises ``Cancelled``)
            or for the job's end (the job keeps running).

    Raises:
        ConfigError: No addresses, an empty zone, or an address that is not
            ``http(s)://host:port``.
    """

    name = "ray"

    def __init__(
        self, addresses: Mapping[str, str], *, runtime_env: Mapping[str, Any] | None = None,
        metadata: Mapping[str, str] | None = None, entrypoint_num_cpus: float | None = None,
        wait: bool = False, poll_s: float = 2.0, clock: Clock | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        if not addresses:
            raise ConfigError("ray executor: map at least one zone to a Ray cluster's job "
                              "server (--ray-address DE=http://head-de:8265)")
        self.addresses = {zone: _address(zone, value) for zone, value in addresses.items()}
        self.runtime_env = dict(runtime_env or {})
        self.metadata = {str(k): str(v) for k, v in (metadata or {}).items()}
        self.entrypoint_num_cpus = entrypoint_num_cpus
        self.wait = wait
        self.poll_s = poll_s
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._cancel = cancel if cancel is not None else threading.Event()

    def request_for(self, plan: Plan, command: Sequence[str]) -> dict[str, Any]:
        """The job request for ``plan`` (pure): address, entrypoint, metadata, runtime_env.

        Raises:
            ConfigError: No command, or no address mapped for the plan's zone.
            PlanError: The plan has several slots (a Ray job runs in one piece).
        """
        if not command:
            raise ConfigError("ray executor: give the job's entrypoint (-- python train.py ...)")
        if len(plan.slots) > 1:
            raise PlanError(f"the ray executor runs a job in one piece, but this plan has "
                            f"{len(plan.slots)} slots; plan it without --interruptible")
        address = self.addresses.get(plan.zone)
        if address is None:
            known = ", ".join(f"{z}={a}" for z, a in self.addresses.items())
            raise ConfigError(f"no Ray cluster for zone {plan.zone} (the planned zone); add "
                              f"--ray-address {plan.zone}=http://HEAD:8265 (known: {known})")
        metadata = {
            "wattprint_zone": plan.zone, "wattprint_planned_start": format_utc(plan.start_utc),
            "wattprint_expected_co2e_kg": f"{plan.expected_co2e_kg:.6g}",
            "wattprint_job": plan.job.name, "wattprint_project": plan.job.project,
            **self.metadata,
        }
        runtime_env = dict(self.runtime_env)
        env_vars = dict(runtime_env.get("env_vars") or {})
        env_vars.setdefault("WATTPRINT_ZONE", plan.zone)
        runtime_env["env_vars"] = env_vars
        request: dict[str, Any] = {"address": address, "entrypoint": shlex.join(command),
                                   "metadata": metadata, "runtime_env": runtime_env}
        if self.entrypoint_num_cpus is not None:
            request["entrypoint_num_cpus"] = self.entrypoint_num_cpus
        return request

    def submit(self, plan: Plan, command: Sequence[str], *, dry_run: bool = False) -> Submission:
        """Wait until the planned start, then submit (on a dry run, only describe it).

        Raises:
            ConfigError: See :meth:`request_for`.
            PlanError: See :meth:`request_for`.
            Cancelled: ``cancel`` was set while waiting for the start.
            MissingExtraError: ``ray[default]`` is not installed.
            ExecutorError: The job server cannot be reached or refused the job.
        """
        request = self.request_for(plan, command)
        argv = _cli(request)
        address = request["address"]
        base = Submission("ray", argv, dry_run, plan.zone, plan.start_utc, cluster=address)
        if dry_run:
            return replace(base, message=f"dry run: would wait until {format_utc(plan.start_utc)}"
                                         f", then run {shlex.join(argv)}")
        from wattprint.schedule.runner import wait_for_start

        wait_for_start(plan, clock=self._clock, cancel=self._cancel)
        client = _client(address)
        job_kwargs = {k: v for k, v in request.items() if k != "address"}
        try:
            job_id = str(client.submit_job(**job_kwargs))
        except Exception as e:  # the SDK raises RuntimeError with the server's traceback
            raise ExecutorError(f"the Ray job server at {address} refused the job: "
                                f"{_first_line(e)}") from e
        submitted = replace(base, job_id=job_id,
                            message=f"submitted Ray job {job_id} to {address} at "
                                    f"{format_utc(self._clock.now())}")
        return self._follow(client, submitted) if self.wait else submitted

    def _follow(self, client: Any, submission: Submission) -> Submission:
        """Wait for the job's end; exit code 0 when it succeeded, its driver's otherwise."""
        status = _status(client, submission)
        while status not in TERMINAL:
            if self._clock.wait(self._cancel, self.poll_s):
                return replace(submission, message=f"{submission.message}; stopped waiting "
                                                   f"(cancelled) while {status}, the job goes on")
            status = _status(client, submission)
        code = 0 if status == "SUCCEEDED" else _driver_exit_code(client, submission) or 1
        return replace(submission, exit_code=code,
                       message=f"{submission.message}; it ended {status} (exit code {code})")

    def probe(self) -> ExecutorStatus:
        """Whether ``ray[default]`` is installed and every job server answers; never raises."""
        try:
            import ray.job_submission  # noqa: F401
        except ImportError:
            return ExecutorStatus("ray", False, "ray[default] is not installed",
                                  "pip install 'wattprint[ray]'")
        import httpx

        down = []
        for zone, address in self.addresses.items():
            try:
                httpx.get(f"{address}/api/version", timeout=PROBE_TIMEOUT_S).raise_for_status()
            except httpx.HTTPError as e:
                down.append(f"{zone}={address} ({_first_line(e) or type(e).__name__})")
        if down:
            return ExecutorStatus("ray", False, "job server not reachable: " + "; ".join(down),
                                  "start the cluster with its dashboard (ray start --head "
                                  "--dashboard-host 0.0.0.0) or fix --ray-address")
        return ExecutorStatus("ray", True, f"{len(self.addresses)} job server(s) answer")


def _address(zone: str, value: str) -> str:
    text = value.strip().rstrip("/")
    if not zone.strip() or not text:
        raise ConfigError(f"ray executor: empty zone or address in {zone}={value}")
    if "://" not in text:
        text = f"http://{text}"
    scheme = text.split("://", 1)[0]
    if scheme not in ("http", "https"):
        raise ConfigError(f"ray executor: the address for {zone} must be the job server's "
                          f"http(s)://HOST:PORT (the dashboard, port 8265), not {value!r}")
    return text


def _cli(request: Mapping[str, Any]) -> tuple[str, ...]:
    """The ``ray job submit`` command line that makes the same request."""
    argv = ["ray", "job", "submit", "--address", request["address"], "--no-wait",
            "--metadata-json", json.dumps(request["metadata"], sort_keys=True),
            "--runtime-env-json", json.dumps(request["runtime_env"], sort_keys=True)]
    if "entrypoint_num_cpus" in request:
        argv += ["--entrypoint-num-cpus", f"{request['entrypoint_num_cpus']:g}"]
    return (*argv, "--", *shlex.split(request["entrypoint"]))


def _client(address: str) -> Any:
    try:
        from ray.job_submission import JobSubmissionClient
    except ImportError as e:
        raise MissingExtraError("ray[default]", "ray") from e
    try:
        return JobSubmissionClient(address)
    except (ConnectionError, RuntimeError) as e:
        raise ExecutorError(f"cannot reach the Ray job server at {address}: {_first_line(e)} "
                            "(is the cluster up, with its dashboard?)") from e


def _status(client: Any, submission: Submission) -> str:
    try:
        return str(client.get_job_status(submission.job_id).value)
    except Exception as e:
        raise ExecutorError(f"lost track of Ray job {submission.job_id} at "
                            f"{submission.cluster}: {_first_line(e)}") from e


def _driver_exit_code(client: Any, submission: Submission) -> int | None:
    try:
        code = client.get_job_info(submission.job_id).driver_exit_code
    except Exception:  # the status is known; the code is a detail
        return None
    return int(code) if code else None


def _first_line(error: BaseException) -> str:
    """The reason in an error's text: the SDK puts the server's traceback before it."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip(" .")]
    if not lines:
        return ""
    if lines[0].startswith("Request failed"):
        reasons = [line for line in lines if _EXCEPTION_LINE.match(line)]
        if reasons:
            return reasons[-1]
    return lines[0]
