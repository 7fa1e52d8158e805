"""kill -9 of a tracked process: at most one flush interval lost, then interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from wattprint.model import RunStatus
from wattprint.store.ledger import Ledger
from wattprint.testing import FakeClock

FLUSH_INTERVAL_S = 1.0

_VICTIM = textwrap.dedent(
    """
    import time
    from wattprint import Tracker
    t = Tracker(project="k9", zone="DE", interval_s=0.1).start()
    print(t.id, flush=True)
    x = 0
    while True:
        x += 1
    """
)


def test_a_killed_tracker_loses_at_most_one_flush_interval(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ledger.db"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("WATTPRINT_")},
           "WATTPRINT_DB": url, "WATTPRINT_FLUSH_INTERVAL_S": str(FLUSH_INTERVAL_S)}
    with subprocess.Popen([sys.executable, "-c", _VICTIM], env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        run_id = proc.stdout.readline().strip()
        time.sleep(3.5)
        killed_utc = datetime.now(timezone.utc)
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=30)
    assert run_id, err
    assert proc.returncode == -signal.SIGKILL

    with Ledger(url) as ledger:  # right after the kill: still within its heartbeat
        run = ledger.get_run(run_id)
    assert run.status is RunStatus.RUNNING
    last_write_utc = run.started_utc + timedelta(seconds=run.duration_s)
    lost_s = (killed_utc - last_write_utc).total_seconds()
    # One interval, plus the scheduling slack of a loaded 2-core machine.
    assert 0.0 <= lost_s <= FLUSH_INTERVAL_S + 0.5, lost_s
    assert run.duration_s >= 2.0 and run.energy_kwh > 0

    clock = FakeClock(now=datetime.now(timezone.utc) + timedelta(seconds=3 * FLUSH_INTERVAL_S))
    with Ledger(url, clock=clock) as ledger:  # the next look, past three flush intervals
        later = ledger.get_run(run_id)
    assert later.status is RunStatus.INTERRUPTED
    assert later.error == "no heartbeat (tracker killed or host lost)"
    assert later.ended_utc == last_write_utc
    assert later.energy_kwh == pytest.approx(run.energy_kwh)
