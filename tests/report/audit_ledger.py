"""A ledger of one realistic quarter (2026Q3) and the quarter before, for the audit tests.

Imported as a top-level module (pytest puts this directory on sys.path;
``tests/cli/test_report_cmd.py`` loads it by path). Runs come from the real
``Tracker`` driven by ``FakeSensor``/``FakeClock`` (no sleeping) and from the
store tests' hand-made ``sample_runs.make_run``; budgets, targets, offsets,
carbon-aware records and accounting figures are stored through the public
ledger methods.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from wattprint import Tracker
from wattprint.account.summary import account_run
from wattprint.account.targets import make_target
from wattprint.intensity.series import IntensitySeries
from wattprint.model import (
    AccountedFigure,
    CarbonAwareRecord,
    DeviceKind,
    Offset,
    Run,
    ZoneChoice,
)
from wattprint.store.ledger import Ledger
from wattprint.testing import FakeClock, FakeSensor

UTC = timezone.utc
Q3 = datetime(2026, 7, 1, tzinfo=UTC)
Q4 = datetime(2026, 10, 1, tzinfo=UTC)
Q2 = datetime(2026, 4, 1, tzinfo=UTC)
#: "Now" for the report: after the quarter, so it is complete.
NOW = datetime(2026, 10, 15, 9, 0, tzinfo=UTC)


def sample_runs() -> ModuleType:
    """tests/store/sample_runs.py, loaded by path."""
    if "sample_runs" not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "store" / "sample_runs.py"
        spec = importlib.util.spec_from_file_location("sample_runs", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["sample_runs"] = module
        spec.loader.exec_module(module)
    return sys.modules["sample_runs"]


@dataclass
class Filled:
    """What was put in the ledger, for computing expected figures independently."""

    runs: list[Run] = field(default_factory=list)
    figures: dict[str, list[AccountedFigure]] = field(default_factory=dict)
    avoided_kg: float = 0.0
    retired_q3_t: float = 0.0

    def between(self, start: datetime, end: datetime, project: str | None = None) -> list[Run]:
        return [r for r in self.runs if start <= r.started_utc < end
                and (project is None or r.project == project)]

    def by_id(self, run_id: str) -> Run:
        return next(r for r in self.runs if r.id == run_id)


def tracked(ledger: Ledger, *, project: str, model: str, started: datetime, hours: float,
            gpu_w: float, cpu_w: float = 100.0, zone: str = "DE",
            metrics: dict[str, float] | None = None, fail: BaseException | None = None) -> Run:
    """A run recorded by the real tracker (CPU sampled power, GPU counter) on a fake clock."""
    clock = FakeClock(now=started)
    sensors = [FakeSensor([(0, cpu_w)], kind=DeviceKind.CPU),
               FakeSensor([(0, gpu_w)], kind=DeviceKind.GPU, as_counter=True)]
    tracker = Tracker(project=project, model=model, zone=zone, pue=1.2, sensors=sensors,
                      clock=clock, ledger=ledger, interval_s=60.0)
    try:
        with tracker:
            with tracker.phase("train"):
                clock.advance(hours * 3600)
            for name, value in (metrics or {}).items():
                tracker.log_metric(name, value)
            if fail is not None:
                raise fail
    except (RuntimeError, KeyboardInterrupt):
        pass
    assert tracker.run is not None
    return tracker.run


def fill(ledger: Ledger) -> Filled:
    """Fill ``ledger``; returns every run saved and the figures stored."""
    out = Filled()
    sr = sample_runs()
    t1 = tracked(ledger, project="vision", model="resnet50",
                 started=datetime(2026, 7, 3, 10, 0, tzinfo=UTC), hours=1.0, gpu_w=300.0,
                 metrics={"accuracy": 0.9})
    t2 = tracked(ledger, project="vision", model="vit-b16",
                 started=datetime(2026, 8, 12, 2, 0, tzinfo=UTC), hours=2.0, gpu_w=600.0,
                 metrics={"accuracy": 0.6})
    t3 = tracked(ledger, project="nlp", model="bert-base",
                 started=datetime(2026, 9, 20, 14, 0, tzinfo=UTC), hours=0.5, gpu_w=400.0,
                 zone="FR", fail=RuntimeError("CUDA out of memory"))
    t4 = tracked(ledger, project="nlp", model="bert-base",
                 started=datetime(2026, 9, 21, 8, 0, tzinfo=UTC), hours=0.25, gpu_w=400.0,
                 zone="FR", fail=KeyboardInterrupt())
    assumed = dataclasses.replace(
        sr.make_run("s-speech", project="speech", started=datetime(2026, 9, 30, 23, 0,
                                                                   tzinfo=UTC)),
        zone_choice=ZoneChoice("DE", "timezone", "assumed from the system time zone"))
    saved = [
        sr.make_run("s-vision-q3", project="vision", started=datetime(2026, 7, 20, 9, tzinfo=UTC)),
        sr.make_run("s-nlp-q3", project="nlp", started=datetime(2026, 8, 5, 9, tzinfo=UTC)),
        assumed,
        sr.make_run("s-vision-q2", project="vision", started=datetime(2026, 5, 10, tzinfo=UTC)),
        sr.make_run("s-nlp-q2", project="nlp", started=datetime(2026, 4, 2, tzinfo=UTC)),
        sr.make_run("s-vision-q4", project="vision", started=Q4),
    ]
    for run in saved:
        ledger.save_run(run)
    out.runs = [t1, t2, t3, t4, *saved]
    _account(ledger, out, t1, hourly=True)
    _account(ledger, out, out.by_id("s-vision-q3"), hourly=False)
    _account(ledger, out, out.by_id("s-vision-q2"), hourly=False)
    _govern(ledger, out, t2)
    return out


def _account(ledger: Ledger, out: Filled, run: Run, *, hourly: bool) -> None:
    """Store the run's five figures; with a measured hourly series when ``hourly``."""
    stored = ledger.get_run(run.id)
    series = None
    if hourly:
        start = stored.started_utc.replace(minute=0, second=0, microsecond=0)
        series = IntensitySeries("DE", start, 3600, np.array([250.0, 450.0, 300.0]),
                                 source="test series")
    out.figures[run.id] = ledger.save_accounting(account_run(stored, series=series))


def _govern(ledger: Ledger, out: Filled, shifted: Run) -> None:
    """Budgets, an overrun, targets, offsets and one carbon-aware record."""
    ledger.set_budget("vision", 0.2)
    ledger.set_budget("nlp", 5.0, month="2026-08")
    ledger.record_overrun(project="vision", month="2026-08", expected_co2e_kg=0.5,
                          overrun_kg=0.3, tier="critical", reason="deadline",
                          run_id=shifted.id, actual_co2e_kg=shifted.co2e_kg)
    ledger.set_target(make_target("vision", "co2e", "2026Q2", "30%", date(2026, 12, 31)))
    ledger.set_target(make_target(None, "energy", "2025Q1", "20%", date(2026, 12, 31)))
    baseline = shifted.co2e_kg + 0.25
    ledger.save_carbon_aware(CarbonAwareRecord(
        run_id=shifted.id, planned_zone="DE", planned_start_utc=shifted.started_utc,
        planned_end_utc=shifted.started_utc + timedelta(hours=2),
        planned_intensity_g_per_kwh=300.0, achieved_intensity_g_per_kwh=310.0,
        expected_co2e_kg=shifted.co2e_kg, baseline_co2e_kg=baseline, mode="window",
        tier="flexible", waited_s=3600.0, intensity_source="test series"))
    out.avoided_kg = baseline - shifted.co2e_kg
    for serial, tonnes, retired, project in (
        ("GS-Q3-1", 0.0005, date(2026, 9, 15), "vision"),
        ("GS-Q3-2", 0.0002, date(2026, 7, 1), "nlp"),
        ("GS-Q2-1", 0.002, date(2026, 4, 1), "vision"),
        ("GS-HELD", 1.0, None, "vision"),
    ):
        ledger.add_offset(Offset("", tonnes, "Gold Standard", serial, 2026, project, retired))
    out.retired_q3_t = 0.0005 + 0.0002



def filled_ledger(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Filled]:
    """A SQLite ledger filled with :func:`fill`, for a module-scoped fixture.

    Filled under the isolation every test gets (no WATTPRINT_* variable, no
    user or project file), which the suite's function-scoped autouse fixture
    cannot give a module-scoped one.
    """
    home = tmp_path_factory.mktemp("audit-ledger")
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("WATTPRINT_"):
                mp.delenv(name)
        mp.setenv("WATTPRINT_CONFIG", str(home / "no-user-config.toml"))
        mp.setenv("XDG_CONFIG_HOME", str(home / "config"))
        mp.chdir(home)
        url = f"sqlite:///{home / 'ledger.db'}"
        with Ledger(url) as ledger:
            filled = fill(ledger)
    return url, filled


def pdf_engine_or_skip() -> None:
    """Skip a PDF test where WeasyPrint cannot load (fail instead in CI)."""
    from wattprint.report.audit_pdf import probe

    state = probe()
    if state != "available":
        if os.environ.get("CI") == "true":
            pytest.fail(f"PDF engine {state}; run .ci/install-report-deps.sh")
        pytest.skip(f"PDF engine {state}")
