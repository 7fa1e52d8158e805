from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from wattprint.store.ledger import Ledger

# Each writer waits for a common start time, then opens the (new) ledger and
# saves 50 runs, each in its own transaction, flushing every run twice as the
# tracker does (start and end).
_WRITER = textwrap.dedent(
    """
    import sys, time, dataclasses
    sys.path.insert(0, sys.argv[4])
    from sample_runs import make_run
    from wattprint.model import RunStatus
    from wattprint.store.ledger import Ledger

    url, name, start_at = sys.argv[1], sys.argv[2], float(sys.argv[3])
    time.sleep(max(0.0, start_at - time.time()))
    with Ledger(url) as ledger:
        for n in range(50):
            run = make_run(f"{name}-{n:03d}", trace_points=20)
            ledger.save_run(dataclasses.replace(run, status=RunStatus.RUNNING))
            ledger.save_run(run)
    """
)


def test_two_processes_write_one_sqlite_ledger(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/shared.db"
    root = str(Path(__file__).resolve().parent)
    start_at = str(time.time() + 1.5)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, url, name, start_at, root],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for name in ("p1", "p2")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with Ledger(url) as ledger:
        runs = ledger.list_runs()
        assert len(runs) == 100
        assert {r.id.split("-")[0] for r in runs} == {"p1", "p2"}
        assert len(ledger.get_run("p2-049").trace) == 20
