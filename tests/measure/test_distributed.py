"""Which run a tracker joins in a distributed job, and who measures."""

from __future__ import annotations

import os
import uuid

import pytest

from wattprint import Tracker
from wattprint.errors import ConfigError
from wattprint.measure.distributed import RUN_ID_NAMESPACE, detect
from wattprint.model import DeviceKind, RunStatus
from wattprint.store.ledger import Ledger
from wattprint.testing import FakeClock, FakeSensor

TORCHRUN = {"WORLD_SIZE": "8", "RANK": "5", "LOCAL_RANK": "1", "TORCHELASTIC_RUN_ID": "rdzv-42",
            "MASTER_ADDR": "node-a", "MASTER_PORT": "29500"}
SLURM = {"SLURM_JOB_ID": "123456", "SLURM_STEP_ID": "0", "SLURM_NTASKS": "16",
         "SLURM_LOCALID": "0", "SLURM_CLUSTER_NAME": "hpc"}


def test_no_job_environment_means_a_run_of_its_own() -> None:
    ident = detect({}, host="laptop")
    assert ident.run_id is None and ident.measures and ident.host == "laptop"
    assert ident.launcher_pid is None and ident.notes == ()


def test_torchrun_ranks_share_a_uuid_and_only_local_rank_0_measures() -> None:
    rank5 = detect(TORCHRUN, host="node-b", sequence=0)
    rank4 = detect({**TORCHRUN, "RANK": "4", "LOCAL_RANK": "0"}, host="node-b", sequence=0)
    assert rank5.run_id == rank4.run_id == str(uuid.uuid5(RUN_ID_NAMESPACE,
                                                          "torchrun:rdzv-42:0"))
    assert rank4.measures and not rank5.measures
    assert rank5.notes[0] == ("local rank 1 on host node-b: not measured here; local rank 0 "
                              "records this host's devices")
    assert rank4.source == "torchrun" and rank4.launcher_pid == os.getppid()
    assert "process tree of the launcher" in rank4.notes[0]
    # The second tracker of every rank joins a second run.
    assert detect(TORCHRUN, sequence=1).run_id != rank5.run_id


def test_torchrun_default_rdzv_id_none_is_not_an_id() -> None:
    ident = detect({**TORCHRUN, "TORCHELASTIC_RUN_ID": "none", "LOCAL_RANK": "0"}, host="n")
    assert ident.run_id is None and ident.measures
    assert "WORLD_SIZE=8" in ident.notes[0] and "set WATTPRINT_RUN_ID" in ident.notes[0]


def test_slurm_step_with_several_tasks_is_one_run_per_step() -> None:
    step0 = detect(SLURM, host="c1", sequence=0)
    assert step0.run_id == str(uuid.uuid5(RUN_ID_NAMESPACE, "slurm:hpc:123456.0:0"))
    assert step0.source == "slurm" and step0.measures
    assert detect({**SLURM, "SLURM_STEP_ID": "1"}, sequence=0).run_id != step0.run_id
    assert not detect({**SLURM, "SLURM_LOCALID": "3"}, sequence=0).measures
    # One task: trackers in a batch script are runs of their own.
    assert detect({**SLURM, "SLURM_NTASKS": "1"}).run_id is None


def test_explicit_run_id_wins_and_later_trackers_are_numbered() -> None:
    env = {**TORCHRUN, "WATTPRINT_RUN_ID": "exp-7"}
    assert detect(env, sequence=0).run_id == "exp-7"
    assert detect(env, sequence=2).run_id == "exp-7.2"
    assert detect(env, sequence=0).source == "WATTPRINT_RUN_ID"
    assert detect(env, sequence=0).launcher_pid is None  # the user's launcher: scope unchanged
    assert detect(env, run_id="given").run_id == "given"


def test_a_chosen_scope_is_kept() -> None:
    ident = detect({**TORCHRUN, "LOCAL_RANK": "0"}, scope_given=True, sequence=0)
    assert ident.launcher_pid is None and ident.notes == ()


def test_empty_run_id_is_refused_with_a_message() -> None:
    with pytest.raises(ConfigError, match="run_id must be non-empty text"):
        detect({}, run_id="  ")


def _sensors() -> list[FakeSensor]:
    return [FakeSensor([(0, 100.0)], kind=DeviceKind.CPU)]


def test_tracker_with_run_id_records_its_hosts_part(ledger_url: str) -> None:
    clock = FakeClock()
    with Ledger(ledger_url) as ledger:
        for host in ("node-a", "node-b"):
            with Tracker(project="ddp", zone="DE", sensors=_sensors(), clock=clock,
                         ledger=ledger, run_id="job-9", host=host) as t:
                clock.advance(36.0)
            assert t.shared and t.id == "job-9" and t.run is not None and t.run.host == host
        run = ledger.get_run("job-9")
        parts = ledger.run_parts("job-9")
    assert run.status is RunStatus.FINISHED and run.host == "node-a, node-b"
    assert [p.host for p in parts] == ["node-a", "node-b"]
    assert run.footprint.it_energy_kwh == pytest.approx(2 * 100.0 * 36.0 / 3.6e6)


def test_a_passive_rank_measures_and_saves_nothing(
    ledger_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {**TORCHRUN, "LOCAL_RANK": "3"}.items():
        monkeypatch.setenv(name, value)
    clock = FakeClock()
    with Ledger(ledger_url) as ledger:
        with Tracker(project="ddp", zone="DE", sensors=_sensors(), clock=clock,
                     ledger=ledger) as t:
            clock.advance(10.0)
            t.log_metric("loss", 0.5)
        assert not t.measures and t.run is not None and t.run.devices == ()
        assert t.run.energy_kwh == 0.0
        assert "local rank 3" in t.run.warnings[0]
        assert ledger.list_runs() == []


def test_host_setting_names_the_part(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATTPRINT_HOST", "sim-host-3")
    t = Tracker(project="p", zone="DE", sensors=_sensors(), save=False)
    assert t.host == "sim-host-3" and not t.shared
