"""wattprint.integrations.ray and the Ray executor on a real local Ray cluster.

One cluster for the module (``ray.cluster_utils.Cluster``): a head with its
dashboard (the job server) and a second node, both on this machine, one CPU
each. Both simulated nodes measure the same machine, so the run's total counts
this box twice: each part is real, the sum is not a figure for one machine.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import ray
from ray.cluster_utils import Cluster
from ray.job_submission import JobSubmissionClient
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from wattprint.cli.main import main
from wattprint.errors import ConfigError, WattprintError
from wattprint.integrations.ray import ClusterTracker, track_cluster, tracked
from wattprint.model import DeviceKind, Run, RunStatus
from wattprint.schedule.executors.ray import RayExecutor
from wattprint.schedule.job import Job, Plan, Slot
from wattprint.store.ledger import Ledger
from wattprint.testing import FakeClock

pytestmark = pytest.mark.slow

# The workers cannot import this test module: ship its functions and classes by value.
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])

MB = 1024 * 1024
TRACKING: dict[str, Any] = {"zone": "DE", "interval_s": 0.2, "flush_interval_s": 1.0}
_NOTE = re.compile(r"ray on (\S+): (\d+) task calls? of \d+ names? used ([\d.]+) of the machine's "
                   r"([\d.]+) busy CPU-s \([\d.]+ %\): ([\d.]+) J of ([\d.]+) J CPU energy")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def cluster() -> Iterator[dict[str, Any]]:
    """Head (with the job server) + one node; the driver connected."""
    port = _free_port()
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("WATTPRINT_"):
                mp.delenv(name)
        mp.setenv("RAY_USAGE_STATS_ENABLED", "0")
        c = Cluster(initialize_head=True, head_node_args={
            "num_cpus": 1, "object_store_memory": 80 * MB, "include_dashboard": True,
            "dashboard_host": "127.0.0.1", "dashboard_port": port})
        c.add_node(num_cpus=1, object_store_memory=80 * MB)
        ray.init(address=c.address)
        c.wait_for_nodes()
        try:
            yield {"cluster": c, "dashboard": f"http://127.0.0.1:{port}",
                   "nodes": [n["NodeID"] for n in ray.nodes() if n["Alive"]]}
        finally:
            ray.shutdown()
            c.shutdown()


def _burn(seconds: float) -> int:
    """Spin for ``seconds`` of this process' CPU time."""
    end, x = time.process_time() + seconds, 0
    while time.process_time() < end:
        x += 1
    return x


@ray.remote(num_cpus=1)
@tracked
def burn(seconds: float) -> int:
    return _burn(seconds)


@ray.remote(num_cpus=1)
@tracked(name="bad_shard")
def bad_shard(seconds: float) -> None:
    _burn(seconds)
    raise ValueError("bad shard 7")


@ray.remote(num_cpus=0)
class Tokenizer:
    @tracked(name="tokenize")
    def work(self, seconds: float) -> int:
        return _burn(seconds)


def _on(node_id: str) -> NodeAffinitySchedulingStrategy:
    return NodeAffinitySchedulingStrategy(node_id, soft=False)


def _notes(run: Run) -> dict[str, tuple[int, float, float, float, float]]:
    """host -> (calls, task CPU-s, machine busy CPU-s, attributed J, CPU J) from the notes."""
    out = {}
    for w in run.warnings:
        m = _NOTE.search(w)
        if m:
            out[m.group(1)] = (int(m.group(2)), *(float(m.group(i)) for i in range(3, 7)))
    return out


def test_one_run_with_a_part_per_node_and_task_shares(
    cluster: dict[str, Any], ledger_url: str, monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    head, worker = cluster["nodes"]
    with track_cluster(project="ray-etl", model="tok", ledger_url=ledger_url, **TRACKING) as c:
        assert len(c.started) == 2 and all("cpu:0" in s.devices for s in c.started.values())
        tokenizer = Tokenizer.options(scheduling_strategy=_on(worker)).remote()
        ray.get([burn.options(scheduling_strategy=_on(n)).remote(0.3)
                 for n in (head, worker, head, worker)] + [tokenizer.work.remote(0.2)])
        live = c.snapshot()
        assert live.status is RunStatus.RUNNING and live.energy_kwh > 0
    hosts = {n.node_id: n.host for n in c.nodes}
    run = c.run
    assert run is not None and run.status is RunStatus.FINISHED and run.model == "tok"
    with Ledger(ledger_url) as ledger:
        assert [r.id for r in ledger.list_runs()] == [c.run_id]  # one run for the whole job
        parts = ledger.run_parts(c.run_id)
    assert sorted(p.host for p in parts) == sorted(hosts.values())
    assert all(p.status is RunStatus.FINISHED and p.energy_kwh > 0 for p in parts)
    assert run.energy_kwh == pytest.approx(sum(p.energy_kwh for p in parts))
    assert {d.device.id.split("/")[0] for d in run.devices} == set(hosts.values())

    phases = {p.name: p for p in run.phases}
    assert set(phases) == {f"ray:burn@{hosts[head]}", f"ray:burn@{hosts[worker]}",
                           f"ray:tokenize@{hosts[worker]}"}
    notes = _notes(run)
    # CPU seconds each node's tasks burnt (psutil counts in clock ticks of 10 ms).
    for node, calls, burnt_s in ((head, 2, 0.6), (worker, 3, 0.8)):
        host = hosts[node]
        cpu_j = {d.device.id: d.energy_j for d in run.devices
                 if d.device.kind is DeviceKind.CPU and d.device.id.startswith(f"{host}/")}
        mine = [p for p in run.phases if p.name.endswith(f"@{host}")]
        n_calls, task_cpu_s, busy_s, attributed_j, note_cpu_j = notes[host]
        assert n_calls == calls and burnt_s - 0.05 <= task_cpu_s < burnt_s + 0.3
        # Shares: only CPU devices, and together the task CPU time's fraction of the CPU energy.
        assert all(set(p.energy_by_device_j) <= set(cpu_j) for p in mine)
        assert sum(p.energy_j for p in mine) == pytest.approx(attributed_j, abs=0.06)
        assert sum(cpu_j.values()) == pytest.approx(note_cpu_j, abs=0.06)
        assert attributed_j == pytest.approx(note_cpu_j * task_cpu_s / busy_s, rel=0.02)
    assert phases[f"ray:burn@{hosts[head]}"].duration_s >= 0.6  # two calls' wall time

    monkeypatch.setenv("WATTPRINT_DB", ledger_url)
    assert main(["show", c.run_id[:8]]) == 0
    shown = capfd.readouterr().out
    assert f"ray:burn@{hosts[head]}" in shown and "(outside phases)" in shown
    assert all(h in shown for h in hosts.values())


def test_an_exception_records_every_part_failed_and_keeps_the_shares(
    cluster: dict[str, Any], ledger_url: str,
) -> None:
    head = cluster["nodes"][0]
    with pytest.raises(ValueError, match="bad shard 7"):
        with track_cluster(project="ray-etl", ledger_url=ledger_url, **TRACKING) as c:
            ray.get(bad_shard.options(scheduling_strategy=_on(head)).remote(0.2))
    host = next(n.host for n in c.nodes if n.node_id == head)
    with Ledger(ledger_url) as ledger:
        run = ledger.get_run(c.run_id)
        parts = ledger.run_parts(c.run_id)
    assert run.status is RunStatus.FAILED and [p.status for p in parts] == [RunStatus.FAILED] * 2
    assert f"{host}: RayTaskError(ValueError): bad shard 7" in run.error
    assert f"ray:bad_shard@{host}" in {p.name for p in run.phases}  # the failed call's CPU time


def test_a_run_id_is_tracked_once_per_namespace(
    cluster: dict[str, Any], ledger_url: str,
) -> None:
    first = ClusterTracker("dup", run_id="job-42", ledger_url=ledger_url, **TRACKING).start()
    try:
        with pytest.raises(ConfigError, match="run job-42 is already tracked on node"):
            ClusterTracker("dup", run_id="job-42", ledger_url=ledger_url, **TRACKING).start()
    finally:
        run = first.stop()
    assert run.status is RunStatus.FINISHED and len(first.parts) == 2


def test_trackers_that_do_not_start_in_time_name_their_node(
    cluster: dict[str, Any], ledger_url: str,
) -> None:
    tracker = ClusterTracker("slow", ledger_url=ledger_url, start_timeout_s=0.001, **TRACKING)
    with pytest.raises(WattprintError, match=r"^the tracker on node \S+ did not start: no "
                                             r"answer in time \(could a worker process start"):
        tracker.start()
    with pytest.raises(WattprintError, match="not started"):
        tracker.stop()


def test_a_lost_node_is_recorded_interrupted_with_its_energy_so_far(
    cluster: dict[str, Any], ledger_url: str,
) -> None:
    c3 = cluster["cluster"]
    extra = c3.add_node(num_cpus=1, object_store_memory=80 * MB)
    c3.wait_for_nodes()
    with track_cluster(project="ray-etl", ledger_url=ledger_url, **TRACKING) as c:
        assert len(c.nodes) == 3
        lost_host = next(n.host for n in c.nodes if n.node_id == extra.node_id)
        with Ledger(ledger_url) as ledger:  # every part is written at start
            deadline = time.monotonic() + 30
            while len(ledger.run_parts(c.run_id)) < 3 and time.monotonic() < deadline:
                time.sleep(0.1)
        c3.remove_node(extra)
    assert c.lost == [lost_host]
    assert c.run is not None and c.run.status is RunStatus.INTERRUPTED
    by_host = {p.host: p for p in c.parts}
    assert by_host[lost_host].status is RunStatus.INTERRUPTED
    assert by_host[lost_host].energy_kwh > 0
    assert [p.status for h, p in by_host.items() if h != lost_host] == [RunStatus.FINISHED] * 2
    assert f"{lost_host}: node lost: ActorDiedError" in c.run.error
    assert any(w.startswith(f"node {lost_host} lost before its tracker stopped")
               for w in c.run.warnings)


class _Collector:
    """The dashboard's ingest endpoint on real uvicorn, in a thread, on loopback."""

    def __init__(self, ledger: Ledger, token: str) -> None:
        import uvicorn

        from wattprint.report.web import create_app

        self.url = f"http://127.0.0.1:{_free_port()}"
        config = uvicorn.Config(create_app(ledger, ingest_tokens={"etl": token}),
                                host="127.0.0.1", port=int(self.url.rsplit(":", 1)[1]),
                                log_level="warning", access_log=False, lifespan="off", ws="none")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> _Collector:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive()
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def test_nodes_without_database_credentials_send_their_parts_to_a_collector(
    cluster: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = "etl-team-token-0123456789"
    head = cluster["nodes"][0]
    with Ledger(f"sqlite:///{tmp_path}/server.db") as server, _Collector(server, token) as col:
        monkeypatch.setenv("WATTPRINT_COLLECTOR_URL", col.url)
        monkeypatch.setenv("WATTPRINT_COLLECTOR_TOKEN", token)
        monkeypatch.setenv("WATTPRINT_COLLECTOR_SPOOL", str(tmp_path / "spool"))
        with track_cluster(project="ray-etl", **TRACKING) as c:
            ray.get(burn.options(scheduling_strategy=_on(head)).remote(0.2))
        stored = server.get_run(c.run_id)
        parts = server.run_parts(c.run_id)
    assert c.run is not None and c.run.status is RunStatus.FINISHED  # merged from the parts
    assert sorted(p.host for p in parts) == sorted(p.host for p in c.parts)
    assert stored.energy_kwh == pytest.approx(c.run.energy_kwh)
    assert "team:etl" in stored.tags
    host = next(n.host for n in c.nodes if n.node_id == head)
    assert [p.name for p in stored.phases] == [p.name for p in c.run.phases] == [
        f"ray:burn@{host}"]
    assert list((tmp_path / "spool").glob("*.json")) == []  # every part delivered


# -- the executor, against the head's job server ------------------------------------
NOW = datetime(2026, 11, 3, 0, 0, tzinfo=timezone.utc)
START = datetime(2026, 11, 3, 2, 30, tzinfo=timezone.utc)

_JOB = textwrap.dedent(
    """
    import json, ray, time
    from wattprint.integrations.ray import track_cluster, tracked

    @ray.remote(num_cpus=1)
    @tracked
    def step(seconds):
        end = time.process_time() + seconds
        while time.process_time() < end:
            pass

    ray.init()
    with track_cluster(project="planned", interval_s=0.2) as c:
        ray.get([step.remote(0.2) for _ in range(2)])
    print(json.dumps({"run_id": c.run_id, "zone": c.run.zone_choice.zone}))
    """
)


def _plan(start: datetime = START) -> Plan:
    job = Job(duration_s=600, zones=("DE", "FR"), energy_kwh=1.0, name="etl", project="planned")
    return Plan(job=job, zone="FR", slots=(Slot(start, start + timedelta(minutes=10), 40.0, 0.04),),
                expected_co2e_kg=0.04, baseline_co2e_kg=0.4, baseline_zone="DE",
                planned_at_utc=NOW, mode="window")


def _wait_for_end(client: Any, job_id: str, timeout_s: float = 90) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = str(client.get_job_status(job_id).value)
        if status in ("SUCCEEDED", "FAILED", "STOPPED"):
            return status
        time.sleep(0.25)  # a real job in real processes: nothing to fake here
    raise AssertionError(f"job {job_id} still running")


def test_the_executor_submits_at_the_planned_start_and_the_job_is_tracked_in_its_zone(
    cluster: dict[str, Any], ledger_url: str, tmp_path: Path,
) -> None:
    script = tmp_path / "job.py"
    script.write_text(_JOB)
    address = cluster["dashboard"]
    assert RayExecutor({"FR": address}).probe().available
    client = JobSubmissionClient(address)
    before = {j.submission_id for j in client.list_jobs()}
    clock = FakeClock(now=NOW)
    executor = RayExecutor({"FR": address}, clock=clock,
                           runtime_env={"env_vars": {"WATTPRINT_DB": ledger_url}})
    result: list[Any] = []
    worker = threading.Thread(target=lambda: result.append(
        executor.submit(_plan(), [sys.executable, str(script)])))
    worker.start()
    clock.advance(3600)
    worker.join(0.3)
    assert worker.is_alive() and {j.submission_id for j in client.list_jobs()} == before
    clock.advance(5400)  # the planned start
    worker.join(60)
    sub = result[0]
    assert sub.job_id not in before and sub.cluster == address and not sub.dry_run
    assert sub.message == f"submitted Ray job {sub.job_id} to {address} at 2026-11-03T02:30:00Z"
    assert _wait_for_end(client, sub.job_id) == "SUCCEEDED", client.get_job_logs(sub.job_id)
    info = client.get_job_info(sub.job_id)
    assert info.metadata["wattprint_zone"] == "FR"
    assert info.metadata["wattprint_planned_start"] == "2026-11-03T02:30:00Z"
    printed = json.loads(client.get_job_logs(sub.job_id).strip().splitlines()[-1])
    assert printed["zone"] == "FR"  # WATTPRINT_ZONE from the plan reached every node's tracker
    with Ledger(ledger_url) as ledger:
        run = ledger.get_run(printed["run_id"])
        assert run.project == "planned" and len(ledger.run_parts(run.id)) == 2
    assert {p.name.split("@")[0] for p in run.phases} == {"ray:step"}


def test_the_executor_can_wait_for_the_job_and_report_its_exit_code(
    cluster: dict[str, Any],
) -> None:
    executor = RayExecutor({"FR": cluster["dashboard"]}, wait=True, poll_s=0.2)
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    sub = executor.submit(_plan(past), [sys.executable, "-c", "import sys; sys.exit(3)"])
    assert sub.exit_code == 3 and sub.message.endswith("it ended FAILED (exit code 3)")
