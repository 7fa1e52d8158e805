"""Runs recorded by several hosts: parts, their merge, and concurrent hosts."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sample_runs import T0, make_run

from wattprint.errors import LedgerError, RunNotFoundError
from wattprint.model import Footprint, Intensity, Run, RunStatus, ZoneChoice
from wattprint.store.ledger import Ledger
from wattprint.store.parts import StoredPart, merge_parts
from wattprint.testing import FakeClock


def _part(host: str, *, status: RunStatus = RunStatus.FINISHED, start_s: float = 0.0,
          duration_s: float = 3600.25, kwh: float = 1.0, **changes: object) -> Run:
    base = make_run("job-1", status=status, started=T0 + timedelta(seconds=start_s))
    fp = dataclasses.replace(base.footprint, energy_kwh_by_kind={"cpu": kwh * 0.25,
                                                                 "gpu": kwh * 0.75})
    ended = None if status is RunStatus.RUNNING else base.started_utc + timedelta(
        seconds=duration_s)
    return dataclasses.replace(base, host=host, footprint=fp, duration_s=duration_s,
                               ended_utc=ended, **changes)  # type: ignore[arg-type]


def test_parts_merge_into_one_run_whose_totals_are_the_sums(ledger: Ledger) -> None:
    a, b = _part("node-a", kwh=1.0), _part("node-b", kwh=3.0, start_s=2.0, duration_s=3700.0)
    ledger.save_part(a)
    merged = ledger.save_part(b)
    stored = ledger.get_run("job-1")
    assert stored.energy_kwh == pytest.approx(merged.energy_kwh) and stored.host == merged.host
    assert stored.energy_kwh == pytest.approx(a.energy_kwh + b.energy_kwh)
    assert stored.co2e_kg == pytest.approx(a.co2e_kg + b.co2e_kg)
    assert stored.footprint.energy_kwh_by_kind["gpu"] == pytest.approx(3.0)
    assert stored.host == "node-a, node-b"
    assert stored.started_utc == a.started_utc
    assert stored.ended_utc == b.ended_utc
    assert stored.duration_s == pytest.approx(3702.0)
    assert [d.device.id for d in stored.devices] == [
        "node-a/cpu:0", "node-a/gpu:1", "node-a/ram", "node-b/cpu:0", "node-b/gpu:1", "node-b/ram"]
    assert {p.name for p in stored.phases} == {"data_loading", "train"} and len(stored.phases) == 4
    assert set(stored.phases[0].energy_by_device_j) <= {d.device.id for d in stored.devices}
    # b started 2 s later: its trace is shifted onto the run's time axis.
    b_trace = [t for t in stored.trace if t.device_id.startswith("node-b/")]
    assert b_trace[0].t_s == pytest.approx(b.trace[0].t_s + 2.0)
    assert stored.footprint.embodied_co2e_kg == pytest.approx(0.84)
    parts = ledger.run_parts("job-1")
    assert [(p.host, p.status) for p in parts] == [("node-a", RunStatus.FINISHED),
                                                  ("node-b", RunStatus.FINISHED)]
    assert sum(p.energy_kwh for p in parts) == pytest.approx(stored.energy_kwh)
    assert ledger.run_parts("no-such-run") == []


def test_resaving_a_part_replaces_it_never_adds_it_twice(ledger: Ledger) -> None:
    ledger.save_part(_part("node-a", status=RunStatus.RUNNING, kwh=0.5))
    ledger.save_part(_part("node-b", kwh=2.0))
    for _ in range(3):
        ledger.save_part(_part("node-a", kwh=1.0))
    stored = ledger.get_run("job-1")
    assert stored.status is RunStatus.FINISHED
    assert stored.footprint.it_energy_kwh == pytest.approx(3.0)
    assert len(stored.devices) == 6 and len(ledger.run_parts("job-1")) == 2


def test_merged_status_running_then_failed_wins_over_finished(ledger: Ledger) -> None:
    ledger.save_part(_part("node-a"))
    assert ledger.save_part(_part("node-b", status=RunStatus.RUNNING)).status is RunStatus.RUNNING
    assert ledger.get_run("job-1").ended_utc is None
    merged = ledger.save_part(_part("node-b", status=RunStatus.FAILED, error="RuntimeError: oom"))
    assert merged.status is RunStatus.FAILED
    assert ledger.get_run("job-1").error == "node-b: RuntimeError: oom"
    assert ledger.list_runs(status="failed")[0].id == "job-1"


def test_a_part_whose_host_stopped_writing_counts_interrupted(ledger_url: str) -> None:
    clock = FakeClock()
    with Ledger(ledger_url, clock=clock) as ledger:
        ledger.save_part(_part("node-a", status=RunStatus.RUNNING), stale_after_s=90)
        ledger.save_part(_part("node-b", status=RunStatus.RUNNING), stale_after_s=90)
        clock.advance(60)
        ledger.save_part(_part("node-b", status=RunStatus.RUNNING), stale_after_s=90)
        clock.advance(60)  # node-a silent for 120 s, node-b for 60 s
        parts = {p.host: p for p in ledger.run_parts("job-1")}
        assert parts["node-a"].status is RunStatus.INTERRUPTED and parts["node-a"].stale
        assert parts["node-b"].status is RunStatus.RUNNING and not parts["node-b"].stale
        assert ledger.get_run("job-1").status is RunStatus.RUNNING  # node-b still beats
        merged = ledger.save_part(_part("node-b", kwh=2.0))
        assert merged.status is RunStatus.INTERRUPTED
        assert "node-a: no heartbeat (tracker killed or host lost)" in merged.error
        assert any("host node-a: no heartbeat since" in w for w in merged.warnings)
        assert merged.footprint.it_energy_kwh == pytest.approx(3.0)  # node-a's last write kept


def test_every_host_silent_makes_the_run_interrupted_on_the_next_look(ledger_url: str) -> None:
    clock = FakeClock()
    with Ledger(ledger_url, clock=clock) as ledger:
        for host in ("node-a", "node-b"):
            ledger.save_part(_part(host, status=RunStatus.RUNNING), stale_after_s=30)
        clock.advance(31)
        run = ledger.get_run("job-1")
    assert run.status is RunStatus.INTERRUPTED
    assert run.error == "no heartbeat (tracker killed or host lost)"


def test_hosts_with_different_pue_and_grid_keep_exact_sums() -> None:
    a = _part("node-a", kwh=1.0)
    b = _part("node-b", kwh=1.0)
    b = dataclasses.replace(b, footprint=Footprint(
        energy_kwh_by_kind=b.footprint.energy_kwh_by_kind, pue=1.1, pue_source="AWS",
        intensity=Intensity("FR", 56.0, "embedded: Ember 2023", 2023, "annual")),
        zone_choice=ZoneChoice("FR", "env", ""))
    now = T0
    merged = merge_parts("job-1", [StoredPart(a, a.status, None, now),
                                   StoredPart(b, b.status, None, now)])
    assert merged.energy_kwh == pytest.approx(a.energy_kwh + b.energy_kwh)
    assert merged.co2e_kg == pytest.approx(a.co2e_kg + b.co2e_kg)
    assert merged.footprint.pue == pytest.approx((1.58 + 1.1) / 2)
    assert "IT-energy-weighted" in merged.footprint.pue_source
    assert "node-b 56.0 g/kWh (FR)" in merged.footprint.intensity.source
    assert merged.zone_choice.zone == "DE" and "hosts in several zones" in merged.zone_choice.note


def test_merge_of_nothing_names_the_run() -> None:
    with pytest.raises(ValueError, match="run job-9 has no parts to merge"):
        merge_parts("job-9", [])


def test_deleting_a_run_deletes_its_parts(ledger: Ledger) -> None:
    ledger.save_part(_part("node-a"))
    ledger.delete_run("job-1")
    assert ledger.run_parts("job-1") == []
    with pytest.raises(RunNotFoundError):
        ledger.get_run("job-1")


def test_a_part_with_a_bad_metric_writes_nothing(ledger: Ledger) -> None:
    with pytest.raises(LedgerError, match="metric 'loss' is nan, not a finite number"):
        ledger.save_part(_part("node-a", metrics={"loss": float("nan")}))
    assert ledger.list_runs() == []


# Each host process saves its part 30 times (running, growing), then finished.
_HOST = textwrap.dedent(
    """
    import sys, time, dataclasses
    sys.path.insert(0, sys.argv[4])
    from test_parts import _part
    from wattprint.model import RunStatus
    from wattprint.store.ledger import Ledger

    url, host, start_at = sys.argv[1], sys.argv[2], float(sys.argv[3])
    time.sleep(max(0.0, start_at - time.time()))
    with Ledger(url) as ledger:
        for n in range(30):
            ledger.save_part(_part(host, status=RunStatus.RUNNING, kwh=n / 30),
                             stale_after_s=600)
        ledger.save_part(_part(host, kwh=1.0))
    """
)


def test_hosts_writing_parts_at_once_lose_nothing(ledger_url: str) -> None:
    Ledger(ledger_url).open().close()
    root = str(Path(__file__).resolve().parent)
    start_at = str(time.time() + 2.0)
    hosts = [f"node-{n}" for n in range(6)]
    procs = [subprocess.Popen([sys.executable, "-c", _HOST, ledger_url, h, start_at, root],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for h in hosts]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    with Ledger(ledger_url) as ledger:
        run = ledger.get_run("job-1")
        assert run.status is RunStatus.FINISHED
        assert run.footprint.it_energy_kwh == pytest.approx(6.0)
        assert len(run.devices) == 18
        assert [p.host for p in ledger.run_parts("job-1")] == hosts
