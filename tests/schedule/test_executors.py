from __future__ import annotations

import json
import os
import stat
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from wattprint.errors import ConfigError, PlanError, WattprintError
from wattprint.schedule.executors.base import Executor
from wattprint.schedule.executors.local import LocalExecutor
from wattprint.schedule.executors.slurm import SlurmExecutor, slurm_time
from wattprint.schedule.job import Job, Plan, Slot
from wattprint.testing import FakeClock

NOW = datetime(2026, 11, 3, 0, 0, tzinfo=timezone.utc)
START = datetime(2026, 11, 3, 2, 30, tzinfo=timezone.utc)


def _plan(zone: str = "FR", *, start: datetime = START, slots: int = 1, name: str = "train",
          duration_s: float = 4 * 3600) -> Plan:
    job = Job(duration_s=duration_s, zones=("DE", "FR"), energy_kwh=12.0, name=name)
    pieces = tuple(
        Slot(start + timedelta(hours=3 * n), start + timedelta(hours=3 * n + 4 / slots), 40.0,
             0.48 / slots)
        for n in range(slots)
    )
    return Plan(job=job, zone=zone, slots=pieces, expected_co2e_kg=0.48, baseline_co2e_kg=4.2,
                baseline_zone="DE", planned_at_utc=NOW, mode="window")


def _fake_sbatch(folder: Path, *, stdout: str = "Submitted batch job 4242", stderr: str = "",
                 code: int = 0) -> Path:
    """A real executable named sbatch that records its argv next to itself."""
    script = folder / "sbatch"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys, pathlib\n"
        "log = pathlib.Path(__file__).with_name('calls.jsonl')\n"
        "with log.open('a') as f: f.write(json.dumps(sys.argv[1:]) + '\\n')\n"
        f"sys.stdout.write({stdout!r} + '\\n')\n"
        f"sys.stderr.write({stderr!r})\n"
        f"sys.exit({code})\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return folder / "calls.jsonl"


@pytest.fixture
def on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return bin_dir


def _calls(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_executors_implement_the_protocol() -> None:
    assert isinstance(LocalExecutor(), Executor)
    assert isinstance(SlurmExecutor({"DE": "p"}), Executor)


def test_slurm_dry_run_builds_the_command_and_runs_nothing(on_path: Path) -> None:
    log = _fake_sbatch(on_path)
    slurm = SlurmExecutor({"DE": "gpu-de", "FR": "gpu-fr"}, clusters={"FR": "paris"})
    sub = slurm.submit(_plan(), ["job.sh", "--epochs", "3"], dry_run=True)
    assert list(sub.command) == ["sbatch", "--begin=2026-11-03T02:30:00", "--partition=gpu-fr",
                                 "--clusters=paris", "--time=4:00:00", "--job-name=train",
                                 "job.sh", "--epochs", "3"]
    assert sub.message == ("dry run: sbatch --begin=2026-11-03T02:30:00 --partition=gpu-fr "
                           "--clusters=paris --time=4:00:00 --job-name=train job.sh --epochs 3")
    assert sub.dry_run and sub.job_id is None and sub.cluster == "paris"
    assert not log.exists()
    assert sub.to_dict()["start"] == "2026-11-03T02:30:00Z"


def test_begin_is_converted_to_the_cluster_time_zone() -> None:
    berlin = SlurmExecutor({"FR": "p"}, cluster_tz=ZoneInfo("Europe/Berlin"), time_limit=False)
    argv = berlin.command_for(_plan(name=""), ["job.sh"])
    assert argv == ["sbatch", "--begin=2026-11-03T03:30:00", "--partition=p", "job.sh"]
    summer = _plan(start=datetime(2026, 7, 1, 22, 15, tzinfo=timezone.utc), name="")
    assert berlin.command_for(summer, ["j"])[1] == "--begin=2026-07-02T00:15:00"  # CEST, +2


@pytest.mark.parametrize(("seconds", "text"), [
    (1, "0:01:00"), (60, "0:01:00"), (61, "0:02:00"), (4 * 3600, "4:00:00"),
    (86400, "1-00:00:00"), (90000 + 59, "1-01:01:00"),
])
def test_slurm_time(seconds: float, text: str) -> None:
    assert slurm_time(seconds) == text


def test_slurm_submission_through_a_real_fake_sbatch(on_path: Path) -> None:
    log = _fake_sbatch(on_path)
    slurm = SlurmExecutor({"FR": "gpu-fr"})
    sub = slurm.submit(_plan(), ["job.sh", "a b"])
    assert sub.job_id == "4242" and not sub.dry_run
    assert sub.message == ("submitted Slurm job 4242, held until 2026-11-03T02:30:00 "
                           "(cluster time)")
    assert _calls(log) == [["--begin=2026-11-03T02:30:00", "--partition=gpu-fr",
                            "--time=4:00:00", "--job-name=train", "job.sh", "a b"]]


def test_slurm_reads_the_cluster_from_sbatch_output(on_path: Path) -> None:
    _fake_sbatch(on_path, stdout="Submitted batch job 77 on cluster paris")
    sub = SlurmExecutor({"FR": "gpu-fr"}, clusters={"FR": "paris"}).submit(_plan(), ["j.sh"])
    assert (sub.job_id, sub.cluster) == ("77", "paris")
    assert "job 77 on cluster paris" in sub.message


def test_sbatch_failure_is_one_line_with_its_stderr(on_path: Path) -> None:
    _fake_sbatch(on_path, stdout="", code=1,
                 stderr="sbatch: error: invalid partition specified: gpu-fr\n"
                        "sbatch: error: Batch job submission failed\n")
    with pytest.raises(WattprintError) as info:
        SlurmExecutor({"FR": "gpu-fr"}).submit(_plan(), ["job.sh"])
    assert str(info.value) == (
        "sbatch failed (exit 1): sbatch: error: invalid partition specified: gpu-fr "
        "sbatch: error: Batch job submission failed")


def test_sbatch_without_job_id(on_path: Path) -> None:
    _fake_sbatch(on_path, stdout="queued, somehow")
    with pytest.raises(WattprintError, match=r"printed no job id \(it printed: queued"):
        SlurmExecutor({"FR": "gpu-fr"}).submit(_plan(), ["job.sh"])


def test_sbatch_missing(tmp_path: Path) -> None:
    slurm = SlurmExecutor({"FR": "p"}, sbatch=str(tmp_path / "no-sbatch"))
    with pytest.raises(ConfigError, match="sbatch not found"):
        slurm.submit(_plan(), ["job.sh"])
    status = slurm.probe()
    assert not status.available and "not found on PATH" in str(status)


def test_probe_finds_sbatch(on_path: Path) -> None:
    _fake_sbatch(on_path)
    status = SlurmExecutor({"FR": "p"}).probe()
    assert status.available and str(status) == f"slurm: available (sbatch at {on_path}/sbatch)"


def test_missing_partition_names_the_zone() -> None:
    with pytest.raises(ConfigError) as info:
        SlurmExecutor({"DE": "gpu-de"}).submit(_plan("FR"), ["job.sh"], dry_run=True)
    assert str(info.value) == ("no Slurm partition for zone FR (the planned zone); "
                               "add --partition FR=NAME (known: DE=gpu-de)")


@pytest.mark.parametrize(("partitions", "clusters", "message"), [
    ({}, None, "map at least one zone to a partition"),
    ({"FR": " "}, None, "empty zone or partition in FR= "),
    ({"FR": "p"}, {"": "c"}, "empty zone or cluster in =c"),
])
def test_bad_slurm_config(partitions: dict[str, str], clusters: dict[str, str] | None,
                          message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SlurmExecutor(partitions, clusters)


def test_multi_slot_plans_and_empty_commands_are_refused() -> None:
    slurm = SlurmExecutor({"FR": "p"})
    with pytest.raises(PlanError, match="has 2 slots; plan it without --interruptible"):
        slurm.submit(_plan(slots=2), ["job.sh"], dry_run=True)
    with pytest.raises(ConfigError, match="give the batch script"):
        slurm.submit(_plan(), [], dry_run=True)
    with pytest.raises(PlanError, match="has 2 slots"):
        LocalExecutor().submit(_plan(slots=2), ["true"])


def test_local_dry_run() -> None:
    sub = LocalExecutor().submit(_plan(), ["python", "train.py"], dry_run=True)
    assert sub.message == "dry run: would wait until 2026-11-03T02:30:00Z, then run python train.py"
    assert sub.exit_code is None and LocalExecutor().probe().available


def test_local_runs_at_once_when_the_start_has_passed(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    clock = FakeClock(now=START + timedelta(minutes=1))
    sub = LocalExecutor(clock=clock).submit(
        _plan(), [sys.executable, "-c", f"open({str(marker)!r}, 'w').write('x'); exit(3)"])
    assert marker.read_text() == "x"
    assert sub.exit_code == 3 and sub.job_id is not None and "exit code 3" in sub.message


def test_local_waits_on_the_clock_until_the_start(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    clock = FakeClock(now=NOW)
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(LocalExecutor(clock=clock).submit(
        _plan(), [sys.executable, "-c", f"open({str(marker)!r}, 'w')"])))
    worker.start()
    clock.advance(3600)
    worker.join(0.2)
    assert worker.is_alive() and not marker.exists()  # 1 h in, 1.5 h still to wait
    clock.advance(5400)
    worker.join(30)
    assert not worker.is_alive() and marker.exists()
    assert getattr(result[0], "exit_code") == 0  # noqa: B009


def test_local_cancel_runs_nothing(tmp_path: Path) -> None:
    from wattprint.schedule.runner import Cancelled

    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        LocalExecutor(clock=FakeClock(now=NOW), cancel=cancel).submit(
            _plan(), [sys.executable, "-c", f"open({str(tmp_path / 'x')!r}, 'w')"])
    assert not (tmp_path / "x").exists()


def test_local_command_not_found() -> None:
    with pytest.raises(ConfigError, match="command not found: definitely-not-a-command-xyz"):
        LocalExecutor(clock=FakeClock(now=START)).submit(_plan(), ["definitely-not-a-command-xyz"])
