"""``wattprint show`` of a run recorded by several hosts: the hosts table and ``parts``."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone

import pytest

from wattprint.cli.main import main
from wattprint.model import Footprint, Intensity, Run, RunStatus, ZoneChoice
from wattprint.store.ledger import Ledger

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)


def _part(host: str, kwh: float) -> Run:
    return Run(
        id="ddp-1", project="llm", status=RunStatus.FINISHED, started_utc=T0,
        ended_utc=T0 + timedelta(hours=1), duration_s=3600.0, host=host,
        footprint=Footprint({"gpu": kwh}, 1.0, "given", Intensity("DE", 400.0, "test")),
        zone_choice=ZoneChoice("DE", "argument"),
    )


def test_show_lists_each_host_and_the_sum(
    ledger_url: str, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WATTPRINT_DB", ledger_url)
    with Ledger(ledger_url) as ledger:
        ledger.save_part(_part("gpu-node-1", 2.0))
        ledger.save_part(_part("gpu-node-2", 3.0))
        ledger.save_run(dataclasses.replace(_part("solo", 1.0), id="solo-1"))
    assert main(["show", "ddp-1", "--json"]) == 0
    data = json.loads(capfd.readouterr().out)
    assert data["host"] == "gpu-node-1, gpu-node-2"
    assert data["footprint"]["energy_kwh"] == pytest.approx(5.0)
    assert [(p["host"], p["energy_kwh"], p["status"], p["stale"]) for p in data["parts"]] == [
        ("gpu-node-1", 2.0, "finished", False), ("gpu-node-2", 3.0, "finished", False)]
    assert data["parts"][0]["ended_utc"] == "2026-11-02T09:00:00Z"
    assert main(["show", "ddp-1"]) == 0
    out = capfd.readouterr().out
    assert "hosts" in out and "gpu-node-2" in out and "total" in out and "5.000 kWh" in out
    assert main(["show", "solo-1", "--json"]) == 0
    assert json.loads(capfd.readouterr().out)["parts"] == []
