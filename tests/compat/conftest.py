"""Fixtures for the CodeCarbon drop-in: a fake 100 W CPU, a fake clock, an SQLite ledger."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from wattprint.compat.codecarbon import EmissionsTracker
from wattprint.model import DeviceKind
from wattprint.store.ledger import Ledger
from wattprint.testing import FakeClock, FakeSensor


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    led = Ledger(f"sqlite:///{tmp_path}/l.db")
    led.open()
    yield led
    led.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def hook(clock: FakeClock, ledger: Ledger) -> dict[str, Any]:
    """``_wattprint_tracker_kwargs``: one constant 100 W CPU, the fake clock, the ledger."""
    return {
        "sensors": [FakeSensor([(0.0, 100.0)], kind=DeviceKind.CPU)],
        "clock": clock,
        "ledger": ledger,
    }


@pytest.fixture
def run_for(tmp_path: Path, ledger: Ledger) -> Callable[..., EmissionsTracker]:
    """Run a fresh 100 W tracker for ``seconds`` of fake time, CSV in ``tmp_path``."""

    def run(seconds: float, **kwargs: Any) -> EmissionsTracker:
        clock = FakeClock()
        kwargs.setdefault("country_iso_code", "FRA")
        kwargs.setdefault("output_dir", str(tmp_path))
        tracker = EmissionsTracker(
            _wattprint_tracker_kwargs={
                "sensors": [FakeSensor([(0.0, 100.0)], kind=DeviceKind.CPU)],
                "clock": clock,
                "ledger": ledger,
            },
            **kwargs,
        )
        tracker.start()
        clock.advance(seconds)
        tracker.stop()
        return tracker

    return run
