"""Several local processes play the ranks of a job on two (simulated) hosts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wattprint.model import RunStatus
from wattprint.store.ledger import Ledger

# A rank: two trackers in a row (two logical runs), each over ~1 s of CPU work.
_RANK = textwrap.dedent(
    """
    import json, time
    from wattprint import Tracker
    out = []
    for step in ("train", "eval"):
        with Tracker(project="ddp", zone="DE", model="tiny", interval_s=0.1) as t:
            end = time.monotonic() + 0.8
            x = 0
            while time.monotonic() < end:
                x += 1
            if t.measures:
                t.log_metric("steps", float(x > 0))
        out.append({"id": t.id, "host": t.host, "measures": t.measures,
                    "kwh": t.run.footprint.it_energy_kwh})
    print(json.dumps(out))
    """
)

LAUNCHERS = {
    "torchrun": lambda rank: {"WORLD_SIZE": "4", "RANK": str(rank), "LOCAL_RANK": str(rank % 2),
                              "TORCHELASTIC_RUN_ID": "rdzv-test-1"},
    "slurm": lambda rank: {"SLURM_JOB_ID": "777", "SLURM_STEP_ID": "0", "SLURM_NTASKS": "4",
                           "SLURM_PROCID": str(rank), "SLURM_LOCALID": str(rank % 2)},
    "explicit": lambda rank: {"WATTPRINT_RUN_ID": "job-explicit", "LOCAL_RANK": str(rank % 2)},
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path}/ledger.db"


@pytest.mark.parametrize("launcher", sorted(LAUNCHERS))
def test_ranks_on_two_hosts_make_one_run_summed_over_hosts(url: str, launcher: str) -> None:
    Ledger(url).open().close()
    base = {k: v for k, v in os.environ.items() if not k.startswith("WATTPRINT_")}
    procs = []
    for rank in range(4):
        env = {**base, **LAUNCHERS[launcher](rank), "WATTPRINT_DB": url,
               "WATTPRINT_HOST": "node-a" if rank < 2 else "node-b",
               "WATTPRINT_FLUSH_INTERVAL_S": "1"}
        procs.append(subprocess.Popen([sys.executable, "-c", _RANK], env=env, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    ids = {r[0]["id"] for r in results}, {r[1]["id"] for r in results}
    assert len(ids[0]) == len(ids[1]) == 1 and ids[0] != ids[1]  # every rank, same two runs
    assert [[step["measures"] for step in r] for r in results] == [
        [True, True], [False, False], [True, True], [False, False]]
    with Ledger(url) as ledger:
        runs = ledger.list_runs()
        assert sorted(r.id for r in runs) == sorted([*ids[0], *ids[1]])
        for run_id, step in ((next(iter(ids[0])), 0), (next(iter(ids[1])), 1)):
            run = ledger.get_run(run_id)
            parts = ledger.run_parts(run_id)
            assert run.status is RunStatus.FINISHED and run.model == "tiny"
            assert [p.host for p in parts] == ["node-a", "node-b"]
            assert run.host == "node-a, node-b"
            # Each host counted once: by its local rank 0, whose figure is its part.
            measured = {r[step]["host"]: r[step]["kwh"] for r in results if r[step]["measures"]}
            assert run.footprint.it_energy_kwh == pytest.approx(sum(measured.values()))
            assert all(p.energy_kwh > 0 for p in parts)
            assert {d.device.id.split("/")[0] for d in run.devices} == {"node-a", "node-b"}
            assert run.metrics == {"steps": 1.0}
    if launcher == "explicit":
        assert ids == ({"job-explicit"}, {"job-explicit.1"})
