"""Collector down -> spooled -> collector up -> flush -> delivered once; real uvicorn, SQLite."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from wattprint.cli.main import cli
from wattprint.collector import CollectorClient, CollectorSink, Spool
from wattprint.model import DeviceKind
from wattprint.report.web import create_app
from wattprint.store.ledger import Ledger
from wattprint.store.serialize import run_to_dict
from wattprint.testing import FakeClock, FakeSensor

TOKEN = "vision-team-token-0123456789"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, app: Any, port: int) -> None:
        import uvicorn

        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                access_log=False, lifespan="off", ws="none")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive()
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(f"sqlite:///{tmp_path}/server.db") as opened:
        yield opened


def _tracked(sink: CollectorSink) -> str:
    from wattprint import Tracker

    clock = FakeClock()
    with Tracker(project="p", zone="DE", sensors=[FakeSensor([(0, 100.0)],
                 kind=DeviceKind.CPU)], clock=clock, ledger=sink) as t:
        clock.advance(2.0)
    return t.id


def test_down_spooled_up_flushed_exactly_once(
    tmp_path: Path, ledger: Ledger, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    port = _port()
    url = f"http://127.0.0.1:{port}"
    spool = Spool(tmp_path / "spool")
    sink = CollectorSink(CollectorClient(url, TOKEN, timeout_s=2, sleep=lambda s: None), spool)
    run_id = _tracked(sink)  # nobody listens: the run waits in the spool
    assert [p.name for p in spool.paths()] == [f"run-{run_id}.json"]
    app = create_app(ledger, ingest_tokens={"vision": TOKEN})
    with Server(app, port):
        monkeypatch.setenv("WATTPRINT_COLLECTOR_URL", url)
        monkeypatch.setenv("WATTPRINT_COLLECTOR_TOKEN", TOKEN)
        monkeypatch.setenv("WATTPRINT_COLLECTOR_SPOOL", str(spool.directory))
        out = CliRunner().invoke(cli, ["collector", "flush", "--json"])
        assert out.exit_code == 0, out.output
        assert f'"delivered": [\n    "{run_id}"' in out.output
        assert spool.paths() == []
        body = run_to_dict(ledger.get_run(run_id))
        replay = httpx.post(f"{url}/api/v1/runs", json=body,
                            headers={"Authorization": f"Bearer {TOKEN}"})
        assert replay.status_code == 200
        bad = httpx.post(f"{url}/api/v1/runs", json=body,
                         headers={"Authorization": "Bearer nope-nope-nope-nope"})
        assert bad.status_code == 401
        status = CliRunner().invoke(cli, ["collector", "status"])
        assert "0 run(s)" in status.output and TOKEN not in status.output
    runs = ledger.list_runs()
    assert [r.id for r in runs] == [run_id] and "team:vision" in runs[0].tags
    assert TOKEN not in caplog.text + out.output


def test_parts_of_a_shared_run_go_through_the_collector(tmp_path: Path, ledger: Ledger) -> None:
    from wattprint import Tracker

    port = _port()
    url = f"http://127.0.0.1:{port}"
    app = create_app(ledger, ingest_tokens={"vision": TOKEN})
    with Server(app, port):
        for host in ("node-a", "node-b"):
            spool = Spool(tmp_path / f"spool-{host}")
            sink = CollectorSink(CollectorClient(url, TOKEN, timeout_s=2), spool)
            clock = FakeClock()
            with Tracker(project="p", zone="DE", sensors=[FakeSensor([(0, 100.0)],
                         kind=DeviceKind.CPU)], clock=clock, ledger=sink, run_id="job-c",
                         host=host):
                clock.advance(36.0)
            assert spool.paths() == []
            sink.close()
    run = ledger.get_run("job-c")
    assert run.host == "node-a, node-b" and "team:vision" in run.tags
    assert run.footprint.it_energy_kwh == pytest.approx(2 * 100.0 * 36.0 / 3.6e6)
    assert [p.host for p in ledger.run_parts("job-c")] == ["node-a", "node-b"]
