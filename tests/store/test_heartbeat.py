"""A running run that is not written again in time reads as interrupted."""

from __future__ import annotations

import pytest
from sample_runs import make_run

from wattprint.errors import LedgerError
from wattprint.model import RunStatus
from wattprint.store.ledger import Ledger
from wattprint.testing import FakeClock


def test_a_silent_running_run_is_interrupted_on_the_next_look(ledger_url: str) -> None:
    clock = FakeClock()
    with Ledger(ledger_url, clock=clock) as ledger:
        ledger.save_run(make_run(status=RunStatus.RUNNING), stale_after_s=90)
        clock.advance(89)
        assert ledger.get_run("run-0001").status is RunStatus.RUNNING
        assert [r.id for r in ledger.list_runs(status="running")] == ["run-0001"]
        clock.advance(2)
        assert ledger.list_runs(status="running") == []
        run = ledger.get_run("run-0001")
    assert run.status is RunStatus.INTERRUPTED
    assert run.error == "no heartbeat (tracker killed or host lost)"
    assert run.ended_utc is not None
    assert (run.ended_utc - run.started_utc).total_seconds() == pytest.approx(run.duration_s)
    assert any(w.startswith("no heartbeat since ") and "counted up to its last write" in w
               for w in run.warnings)
    # The energy is that of the last write: nothing is invented.
    assert run.energy_kwh == pytest.approx(make_run().energy_kwh)


def test_the_reaper_runs_before_aggregate_reads(ledger_url: str) -> None:
    clock = FakeClock()
    with Ledger(ledger_url, clock=clock) as ledger:
        ledger.save_run(make_run(status=RunStatus.RUNNING), stale_after_s=10)
        clock.advance(11)
        with ledger.reading():
            pass
        assert ledger.reap_stale() == []  # already done by reading()
        assert ledger.list_runs(status="interrupted")[0].id == "run-0001"


def test_a_tracker_that_writes_again_makes_its_run_running_again(ledger_url: str) -> None:
    clock = FakeClock()
    with Ledger(ledger_url, clock=clock) as ledger:
        ledger.save_run(make_run(status=RunStatus.RUNNING), stale_after_s=10)
        clock.advance(11)
        assert ledger.reap_stale() == ["run-0001"]
        ledger.save_run(make_run(status=RunStatus.RUNNING), stale_after_s=10)
        assert ledger.get_run("run-0001").status is RunStatus.RUNNING


def test_ended_runs_and_runs_without_heartbeat_never_go_stale(ledger_url: str) -> None:
    clock = FakeClock()
    with Ledger(ledger_url, clock=clock) as ledger:
        ledger.save_run(make_run("old-writer", status=RunStatus.RUNNING))  # no heartbeat
        ledger.save_run(make_run("done"), stale_after_s=1)
        clock.advance(10 ** 6)
        assert ledger.reap_stale() == []
        assert ledger.get_run("old-writer").status is RunStatus.RUNNING
        assert ledger.get_run("done").status is RunStatus.FINISHED


@pytest.mark.parametrize("bad", [0, -5.0, float("nan")])
def test_a_heartbeat_that_is_not_positive_is_refused(ledger_url: str, bad: float) -> None:
    with Ledger(ledger_url) as ledger, pytest.raises(
            ValueError, match="stale_after_s must be a positive number of seconds"):
        ledger.save_run(make_run(status=RunStatus.RUNNING), stale_after_s=bad)


def test_a_read_only_ledger_reads_without_reaping(ledger_url: str) -> None:
    if not ledger_url.startswith("sqlite"):
        pytest.skip("read-only file: SQLite only")
    clock = FakeClock()
    with Ledger(ledger_url, clock=clock) as ledger:
        ledger.save_run(make_run(status=RunStatus.RUNNING), stale_after_s=10)
    path = ledger_url.removeprefix("sqlite:///")
    clock.advance(11)
    reader = Ledger(f"sqlite:///file:{path}?mode=ro&uri=true", clock=clock)
    try:
        reader.open()
    except LedgerError:
        pytest.skip("this SQLite build cannot open a migrated file read-only")
    with reader:
        assert reader.get_run("run-0001").status is RunStatus.RUNNING
