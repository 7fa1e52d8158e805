"""The Ray integration and executor without a cluster: pure parts and bad input.

Nothing here starts Ray (``test_ray.py`` does, once, for the real runs).
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import ray

from wattprint.cli.main import main
from wattprint.config import load_settings
from wattprint.errors import (
    ConfigError,
    ExecutorError,
    MissingExtraError,
    PlanError,
    UnknownZoneError,
    WattprintError,
)
from wattprint.integrations._ray_setup import (
    Node,
    actor_name,
    alive_nodes,
    ledger_url,
    merge_locally,
    node_settings,
)
from wattprint.integrations._ray_shares import ShareBook, busy_cpu_s, with_shares
from wattprint.integrations.ray import ClusterTracker, attribute, tracked
from wattprint.model import (
    Device,
    DeviceEnergy,
    DeviceKind,
    Footprint,
    Intensity,
    Method,
    Run,
    RunStatus,
    ZoneChoice,
)
from wattprint.schedule.executors.base import Executor
from wattprint.schedule.executors.ray import RayExecutor
from wattprint.schedule.job import Job, Plan, Slot
from wattprint.schedule.runner import Cancelled
from wattprint.testing import FakeClock

T0 = datetime(2026, 11, 3, 2, 30, tzinfo=timezone.utc)
NOW = datetime(2026, 11, 3, 0, 0, tzinfo=timezone.utc)
DOWN = "http://127.0.0.1:1"  # nothing listens on port 1


# -- task shares (pure) ---------------------------------------------------------------
def _device(id_: str, kind: DeviceKind, joules: float) -> DeviceEnergy:
    return DeviceEnergy(Device(id_, kind, 0, id_, Method.COUNTER, "test"), joules)


def _part(host: str = "node-a", *devices: DeviceEnergy) -> Run:
    devices = devices or (_device("cpu:0", DeviceKind.CPU, 120.0),
                          _device("cpu:1", DeviceKind.CPU, 60.0),
                          _device("gpu:0", DeviceKind.GPU, 500.0),
                          _device("ram", DeviceKind.RAM, 9.0))
    total_kwh = sum(d.energy_j for d in devices) / 3.6e6
    return Run(id="r1", project="p", status=RunStatus.FINISHED, started_utc=T0,
               ended_utc=T0 + timedelta(seconds=60), duration_s=60.0, host=host,
               footprint=Footprint({"cpu": total_kwh}, 1.0, "given", Intensity("DE", 400.0, "t")),
               zone_choice=ZoneChoice("DE", "argument"), devices=devices)


def _book(*calls: tuple[str, float, float]) -> ShareBook:
    book = ShareBook()
    for n, (name, cpu_s, wall_s) in enumerate(calls):
        book.add(name, cpu_s, wall_s, T0 + timedelta(seconds=n), T0 + timedelta(seconds=n + 5))
    return book


def test_each_task_name_gets_its_cpu_time_fraction_of_each_cpu_device() -> None:
    book = _book(("tokenize", 1.5, 2.0), ("embed", 1.0, 1.2), ("tokenize", 0.5, 0.6))
    run = with_shares(_part(), book.shares(), machine_busy_cpu_s=6.0)
    phases = {p.name: p for p in run.phases}
    assert list(phases) == ["ray:embed@node-a", "ray:tokenize@node-a"]
    tok = phases["ray:tokenize@node-a"]
    assert tok.energy_by_device_j == pytest.approx({"cpu:0": 120.0 * 2 / 6, "cpu:1": 60.0 * 2 / 6})
    assert tok.duration_s == pytest.approx(2.6)  # the calls' wall time, summed
    assert (tok.started_utc, tok.ended_utc) == (T0, T0 + timedelta(seconds=7))
    assert phases["ray:embed@node-a"].energy_j == pytest.approx(180.0 / 6)
    assert sum(p.energy_j for p in run.phases) == pytest.approx(180.0 * 3 / 6)  # not GPU, RAM
    assert run.warnings[-1] == (
        "ray on node-a: 3 task calls of 2 names used 3.00 of the machine's 6.00 busy CPU-s "
        "(50.0 %): 90.0 J of 180.0 J CPU energy attributed to them (phases ray:*); GPU and "
        "memory energy are not split")


def test_one_call_of_one_name_is_said_in_the_singular() -> None:
    run = with_shares(_part(), _book(("embed", 1.0, 1.0)).shares(), machine_busy_cpu_s=4.0)
    assert run.warnings[-1].startswith("ray on node-a: 1 task call of 1 name used 1.00 of ")


def test_shares_never_exceed_the_cpu_energy() -> None:
    # Task CPU time above the machine's busy time (a task begun before the tracker).
    run = with_shares(_part(), _book(("a", 3.0, 3.0), ("b", 1.0, 1.0)).shares(), 2.0)
    assert sum(p.energy_j for p in run.phases) == pytest.approx(180.0)
    assert [p.energy_j for p in run.phases] == pytest.approx([135.0, 45.0])


def test_no_shares_leave_the_part_alone_and_no_cpu_device_is_said() -> None:
    part = _part()
    assert with_shares(part, [], 5.0) is part
    gpu_only = _part("node-b", _device("gpu:0", DeviceKind.GPU, 10.0))
    run = with_shares(gpu_only, _book(("a", 1.0, 1.0)).shares(), 5.0)
    assert run.phases[0].energy_by_device_j == {}
    assert "node-b: 1 task names reported CPU time, but this node measured no CPU device" in (
        run.warnings[-1])


def test_busy_cpu_time_leaves_out_idle_iowait_and_guest() -> None:
    times = {"user": 10.0, "nice": 1.0, "system": 4.0, "idle": 100.0, "iowait": 3.0, "irq": 0.5,
             "softirq": 0.5, "steal": 0.0, "guest": 2.0, "guest_nice": 0.0}
    assert busy_cpu_s(times) == 16.0


# -- nodes, ledger and settings (pure) ------------------------------------------------
def _nodes(*rows: tuple[str, str, str, bool]) -> list[dict[str, Any]]:
    return [{"NodeID": i, "NodeManagerHostname": h, "NodeManagerAddress": a, "Alive": alive}
            for i, h, a, alive in rows]


def test_nodes_are_named_by_host_name_made_unique_by_node_id() -> None:
    nodes = alive_nodes(_nodes(("aa11bb22cc", "gpu-1", "10.0.0.1", True),
                               ("dd33ee44ff", "gpu-2", "10.0.0.2", True),
                               ("0011223344", "gpu-3", "10.0.0.3", False)))
    assert [n.host for n in nodes] == ["gpu-1", "gpu-2"]
    local = alive_nodes(_nodes(("aa11bb22cc", "vm", "10.0.0.1", True),
                               ("dd33ee44ff", "vm", "10.0.0.1", True)))
    assert [n.host for n in local] == ["vm-aa11bb22", "vm-dd33ee44"]
    assert actor_name("aa11bb22cc", "run:1") == "wattprint:aa11bb22cc:run:1"
    with pytest.raises(ConfigError, match="no alive node"):
        alive_nodes(_nodes(("x", "vm", "10.0.0.1", False)))


def test_a_sqlite_ledger_is_refused_for_nodes_on_several_machines(tmp_path: Path) -> None:
    two = [Node("a", "n1", "10.0.0.1"), Node("b", "n2", "10.0.0.2")]
    one = [Node("a", "n1", "10.0.0.1"), Node("b", "n2", "10.0.0.1")]
    settings = load_settings({"db": str(tmp_path / "l.db")})
    with pytest.raises(ConfigError) as info:
        ledger_url(settings, two, shared_sqlite=False)
    assert str(info.value).startswith(f"the ledger is the SQLite file {tmp_path / 'l.db'} (db "
                                      "argument), but the cluster's nodes are on 2 machines "
                                      "(10.0.0.1, 10.0.0.2)")
    assert "Set WATTPRINT_DB to a PostgreSQL URL" in str(info.value)
    assert ledger_url(settings, two, shared_sqlite=True) == f"sqlite:///{tmp_path / 'l.db'}"
    assert ledger_url(settings, one, shared_sqlite=False) == f"sqlite:///{tmp_path / 'l.db'}"
    with pytest.raises(ConfigError, match="in-memory database, which each node would hold"):
        ledger_url(load_settings({"db": "sqlite://"}), one, shared_sqlite=False)
    pg = load_settings({"db": "postgresql://wp:secret@db.internal/wattprint"})
    assert ledger_url(pg, two, shared_sqlite=False) == (
        "postgresql+psycopg://wp:secret@db.internal/wattprint")
    collector = load_settings({"collector_url": "https://c.example", "collector_token": "t"})
    assert ledger_url(collector, two, shared_sqlite=False) is None


def test_relative_sqlite_paths_are_made_absolute_for_the_nodes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings({"db": "sqlite:///rel.db"})
    assert ledger_url(settings, [Node("a", "n", "10.0.0.1")], shared_sqlite=False) == (
        f"sqlite:///{tmp_path / 'rel.db'}")


def test_node_settings_keep_the_drivers_values_and_say_where_they_came_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WATTPRINT_ZONE", "FR")
    settings = load_settings({"project": "etl", "interval_s": 0.5})
    node = node_settings(settings, "gpu-7", "sqlite:////x.db")
    assert (node.host, node.scope, node.db, node.zone, node.project) == (
        "gpu-7", "machine", "sqlite:////x.db", "FR", "etl")
    assert node.source_of("zone") == "driver env"  # not looked up in the actor's own env
    assert node.source_of("project") == "argument" and node.source_of("host") == "argument"


def test_parts_merge_locally_like_the_ledger() -> None:
    run, parts = merge_locally("r1", [_part("node-b"), _part("node-a")], T0)
    assert run.host == "node-a, node-b" and [p.host for p in parts] == ["node-a", "node-b"]
    assert run.energy_kwh == pytest.approx(2 * _part().energy_kwh)


# -- the driver side without a cluster ------------------------------------------------
def test_track_cluster_needs_ray_initialised() -> None:
    assert not ray.is_initialized()
    with pytest.raises(ConfigError, match=r"Ray is not initialised in this process: call "
                                          r"ray.init\(\) \(or ray.init\(address=...\)\) before"):
        ClusterTracker("etl").start()


def test_an_unknown_zone_fails_before_any_node_is_asked() -> None:
    with pytest.raises(UnknownZoneError, match="did you mean DE"):
        ClusterTracker("etl", zone="Germny").start()


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ConfigError, match="run_id must be non-empty"):
        ClusterTracker(run_id="  ")
    with pytest.raises(ConfigError, match="must be positive"):
        ClusterTracker(stop_timeout_s=0)
    with pytest.raises(WattprintError, match="cluster tracker not started: use `with track_"):
        ClusterTracker().stop()


def test_attribution_outside_a_ray_job_runs_the_code_and_reports_nothing() -> None:
    @tracked
    def add(a: int, b: int) -> int:
        return a + b

    @tracked(name="sub")
    def sub(a: int, b: int) -> int:
        return a - b

    assert (add(2, 3), sub(2, 3)) == (5, -1)
    assert add.__name__ == "add" and add.__wrapped__ is not None
    with attribute("block"):
        pass
    with pytest.raises(ConfigError, match="@tracked wraps plain functions, not the async or "
                                          "generator function .*fetch; use `with attribute"):
        @tracked
        async def fetch() -> None:
            return None
    with pytest.raises(ConfigError, match="needs a task name"):
        with attribute(" "):
            pass


def test_missing_ray_names_the_pip_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # its import now raises ImportError
    with pytest.raises(MissingExtraError) as info:
        ClusterTracker().start()
    assert str(info.value) == "ray is not installed; run: pip install 'wattprint[ray]'"
    status = RayExecutor({"DE": DOWN}).probe()
    assert not status.available and status.fix == "pip install 'wattprint[ray]'"


# -- the executor without a cluster ---------------------------------------------------
def _plan(zone: str = "FR", *, slots: int = 1) -> Plan:
    job = Job(duration_s=3600, zones=("DE", "FR"), energy_kwh=2.0, name="etl", project="nlp")
    pieces = tuple(Slot(T0 + timedelta(hours=2 * n), T0 + timedelta(hours=2 * n + 1), 40.0, 0.04)
                   for n in range(slots))
    return Plan(job=job, zone=zone, slots=pieces, expected_co2e_kg=0.08, baseline_co2e_kg=0.8,
                baseline_zone="DE", planned_at_utc=NOW, mode="window")


def test_the_ray_executor_implements_the_protocol() -> None:
    assert isinstance(RayExecutor({"DE": "head:8265"}), Executor)
    assert RayExecutor({"DE": "head:8265/"}).addresses == {"DE": "http://head:8265"}


def test_a_dry_run_says_what_it_would_submit_and_when() -> None:
    executor = RayExecutor({"DE": "http://ray-de:8265", "FR": "https://ray-fr:8443"},
                           runtime_env={"env_vars": {"HF_HOME": "/data"}, "working_dir": "."},
                           metadata={"team": "nlp"}, entrypoint_num_cpus=1)
    sub = executor.submit(_plan(), ["python", "train.py", "--epochs", "3"], dry_run=True)
    metadata = {"team": "nlp", "wattprint_expected_co2e_kg": "0.08", "wattprint_job": "etl",
                "wattprint_planned_start": "2026-11-03T02:30:00Z", "wattprint_project": "nlp",
                "wattprint_zone": "FR"}
    env = {"env_vars": {"HF_HOME": "/data", "WATTPRINT_ZONE": "FR"}, "working_dir": "."}
    assert list(sub.command) == [
        "ray", "job", "submit", "--address", "https://ray-fr:8443", "--no-wait",
        "--metadata-json", json.dumps(metadata, sort_keys=True),
        "--runtime-env-json", json.dumps(env, sort_keys=True), "--entrypoint-num-cpus", "1",
        "--", "python", "train.py", "--epochs", "3"]
    assert sub.dry_run and sub.job_id is None and sub.cluster == "https://ray-fr:8443"
    assert sub.message.startswith("dry run: would wait until 2026-11-03T02:30:00Z, then run ray "
                                  "job submit --address https://ray-fr:8443")
    # A zone the user set in the runtime environment is kept.
    own = RayExecutor({"FR": "h:1"}, runtime_env={"env_vars": {"WATTPRINT_ZONE": "FR-COR"}})
    assert own.request_for(_plan(), ["x"])["runtime_env"]["env_vars"]["WATTPRINT_ZONE"] == (
        "FR-COR")


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda: RayExecutor({"DE": "http://ray-de:8265"}).request_for(_plan("FR"), ["x"]),
     ConfigError, "no Ray cluster for zone FR (the planned zone); add --ray-address "
                  "FR=http://HEAD:8265 (known: DE=http://ray-de:8265)"),
    (lambda: RayExecutor({"FR": "h:1"}).request_for(_plan(slots=2), ["x"]),
     PlanError, "the ray executor runs a job in one piece, but this plan has 2 slots; "
                "plan it without --interruptible"),
    (lambda: RayExecutor({"FR": "h:1"}).request_for(_plan(), []),
     ConfigError, "ray executor: give the job's entrypoint (-- python train.py ...)"),
    (lambda: RayExecutor({}), ConfigError, "ray executor: map at least one zone to a Ray "
                                           "cluster's job server (--ray-address DE=http://"),
    (lambda: RayExecutor({"DE": "ray://head:10001"}), ConfigError,
     "ray executor: the address for DE must be the job server's http(s)://HOST:PORT "
     "(the dashboard, port 8265), not 'ray://head:10001'"),
    (lambda: RayExecutor({"DE": " "}), ConfigError, "ray executor: empty zone or address in DE= "),
])
def test_bad_executor_input_is_refused_with_the_fix(
    make: Callable[[], object], error: type[Exception], message: str,
) -> None:
    with pytest.raises(error) as info:
        make()
    assert str(info.value).startswith(message)


def test_an_unreachable_job_server_is_probed_and_reported() -> None:
    executor = RayExecutor({"FR": DOWN}, clock=FakeClock(now=T0))
    status = executor.probe()
    assert not status.available and status.reason.startswith(
        f"job server not reachable: FR={DOWN} (")
    with pytest.raises(ExecutorError, match=f"cannot reach the Ray job server at {DOWN}: "):
        executor.submit(_plan(), ["python", "x.py"])


def test_cancel_while_waiting_submits_nothing() -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        RayExecutor({"FR": DOWN}, clock=FakeClock(now=NOW), cancel=cancel).submit(
            _plan(), ["python", "x.py"])  # nothing could be submitted: the server is down


# -- wattprint submit --executor ray ----------------------------------------------------
@pytest.fixture
def series(tmp_path: Path, ledger_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """DE at 400 g/kWh; FR at 100, 20 from 05:00 to 09:00 UTC."""
    monkeypatch.setenv("WATTPRINT_DB", ledger_url)
    lines = ["timestamp,zone,carbon_intensity_g_per_kwh"]
    for hour in range(48):
        stamp = f"2023-03-{1 + hour // 24:02d}T{hour % 24:02d}:00:00Z"
        lines += [f"{stamp},DE,400", f"{stamp},FR,{20 if 5 <= hour < 9 else 100}"]
    path = tmp_path / "de_fr.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _submit(series: Path, *extra: str) -> list[str]:
    return ["submit", "--executor", "ray", "--zones", "DE,FR", "--duration", "4h", "--deadline",
            "24h", "--energy", "10kWh", "--series", str(series), "--now", "2023-03-01T00:00Z",
            *extra]


def test_submit_dry_run_with_the_ray_executor(
    series: Path, capfd: pytest.CaptureFixture[str],
) -> None:
    args = _submit(series, "--ray-address", "DE=http://ray-de:8265", "--ray-address",
                   "FR=http://ray-fr:8265", "--dry-run", "--json", "--", "python", "etl.py")
    assert main(args) == 0
    data = json.loads(capfd.readouterr().out)
    sub = data["submission"]
    assert data["plan"]["zone"] == "FR" and sub["executor"] == "ray" and sub["dry_run"]
    assert sub["command"][:5] == ["ray", "job", "submit", "--address", "http://ray-fr:8265"]
    assert sub["command"][-3:] == ["--", "python", "etl.py"] and sub["start"] == (
        "2023-03-01T05:00:00Z")


def test_submit_with_the_ray_executor_needs_the_planned_zones_cluster(
    series: Path, capfd: pytest.CaptureFixture[str],
) -> None:
    assert main(_submit(series, "--dry-run", "--", "python", "etl.py")) == 2
    assert "--executor ray needs a job server per zone: --ray-address DE=http://HEAD:8265" in (
        capfd.readouterr().err)
    args = _submit(series, "--ray-address", "DE=http://ray-de:8265", "--", "python", "etl.py")
    assert main(args) == 2
    assert "no Ray cluster for zone FR (the planned zone)" in capfd.readouterr().err
