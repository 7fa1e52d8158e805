"""A real ``torchrun`` job on two (simulated) hosts: one run, one part per host."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from wattprint.model import RunStatus
from wattprint.store.ledger import Ledger

pytest.importorskip("torch")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ddp_digits.py"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _objects(text: str) -> list[dict[str, object]]:
    """Every JSON object printed on the agent's stdout, in order."""
    decoder, found, i = json.JSONDecoder(), [], text.find("{")
    while i >= 0:
        obj, end = decoder.raw_decode(text, i)
        found.append(obj)
        i = text.find("{", end)
    return found


def test_two_torchrun_agents_record_one_run_summed_over_hosts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ledger.db"
    Ledger(url).open().close()
    base = {k: v for k, v in os.environ.items() if not k.startswith("WATTPRINT_")}
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "2",
                "--nproc-per-node", "2", "--rdzv-id", "wp-test", "--rdzv-backend", "c10d",
                "--rdzv-endpoint", f"127.0.0.1:{_free_port()}", str(EXAMPLE)]
    agents = [subprocess.Popen(torchrun, env={**base, "WATTPRINT_DB": url, "WATTPRINT_HOST": h,
                                              "WATTPRINT_ZONE": "DE"},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for h in ("node-a", "node-b")]
    outputs = []
    try:
        for agent in agents:
            outputs.append(agent.communicate(timeout=180))
    finally:
        for agent in agents:  # never leave an agent (or its pipes) behind
            if agent.poll() is None:
                agent.kill()
                agent.communicate()
    ranks = []
    for agent, (out, err) in zip(agents, outputs, strict=True):
        assert agent.returncode == 0, err[-3000:]
        ranks += _objects(out)
    assert sorted(r["rank"] for r in ranks) == [0, 1, 2, 3]
    assert len({r["run_id"] for r in ranks}) == 1
    assert sorted((r["host"], r["local_rank"], r["measures"]) for r in ranks) == [
        ("node-a", 0, True), ("node-a", 1, False), ("node-b", 0, True), ("node-b", 1, False)]
    with Ledger(url) as ledger:
        (run,) = ledger.list_runs()
        parts = ledger.run_parts(run.id)
    assert run.id == ranks[0]["run_id"] and run.status is RunStatus.FINISHED
    assert [p.host for p in parts] == ["node-a", "node-b"]
    assert run.energy_kwh == pytest.approx(sum(p.energy_kwh for p in parts))
    assert 0.5 < run.metrics["accuracy"] <= 1.0 and run.model == "mlp-256"
    assert any("process tree of the launcher" in w for w in run.warnings)
