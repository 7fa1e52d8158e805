"""A dashboard over a real SQLite ledger: hand-made runs plus runs recorded by a real
Tracker with fake sensors and a fake clock (a top-level module: pytest puts this
directory on sys.path)."""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta
from typing import Any

from report_runs import UTC, make_run, quarter_runs

from wattprint.intensity.providers.static import StaticProvider
from wattprint.measure.tracker import Tracker
from wattprint.model import CarbonAwareRecord, DeviceKind, Run
from wattprint.report.web import create_app
from wattprint.store.ledger import Ledger
from wattprint.testing import FakeClock, FakeSensor

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 for its test client and warns once on import when it
    # finds only httpx; the client works the same with either.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

#: "Now" of every dashboard under test.
NOW = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)
EVIL = "<script>alert(1)</script>"
EVIL_TAG = "<img src=x onerror=alert(2)>"
EVIL_COMMAND = "python -c 'print(\"</script><script>alert(3)</script>\")'"


def tracked_run(ledger: Ledger, started: datetime, *, model: str, accuracy: float) -> Run:
    """A run recorded by a real Tracker: 10 s, a CPU (power) and a GPU (counter)."""
    clock = FakeClock(now=started)
    sensors = [FakeSensor([(0, 100.0), (10, 140.0)], kind=DeviceKind.CPU),
               FakeSensor([(0, 300.0)], kind=DeviceKind.GPU, as_counter=True)]
    with Tracker(project="tracked", zone="FR", model=model, tags=("tracker", "fake"),
                 sensors=sensors, ledger=ledger, clock=clock, interval_s=1.0,
                 command="python train.py --epochs 3") as t:
        with t.phase("data_loading"):
            clock.advance(2.0)
        with t.phase("train"):
            clock.advance(8.0)
        t.log_metric("accuracy", accuracy)
    assert t.run is not None
    return t.run


def fill(ledger: Ledger) -> dict[str, Run]:
    """Save the hand-made runs, two tracked runs, an evil run and a carbon-aware plan."""
    runs = {r.id: r for r in quarter_runs()}
    runs["evil"] = make_run("evil", started=NOW - timedelta(days=2), project=EVIL,
                            model=EVIL, tags=(EVIL_TAG,), command=EVIL_COMMAND)
    for run in runs.values():
        ledger.save_run(run)
    for n, (model, acc) in enumerate((("mlp-small", 0.91), ("mlp-large", 0.93))):
        run = tracked_run(ledger, NOW - timedelta(days=3, hours=n), model=model, accuracy=acc)
        runs[run.id] = run
    r06 = runs["r06"]
    ledger.save_carbon_aware(CarbonAwareRecord(
        run_id="r06", planned_zone="FR", planned_start_utc=r06.started_utc,
        planned_end_utc=r06.started_utc + timedelta(hours=1), planned_intensity_g_per_kwh=52.0,
        achieved_intensity_g_per_kwh=58.5, expected_co2e_kg=0.2, baseline_co2e_kg=1.9,
        mode="window", tier="standard", waited_s=3600.0, intensity_source="test series"))
    return runs


def client(ledger: Ledger, **kwargs: Any) -> TestClient:
    """A test client for a dashboard over ``ledger`` at :data:`NOW`, on 127.0.0.1."""
    kwargs.setdefault("provider", StaticProvider())
    app = create_app(ledger, clock=FakeClock(now=NOW), **kwargs)
    return TestClient(app, base_url="http://127.0.0.1")
