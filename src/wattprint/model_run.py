"""Run-level records: one tracked run and one host's part of it.

:class:`Run` gathers a run's identity, life cycle, device energy, phases,
trace and :class:`~wattprint.model_energy.Footprint`; :class:`RunPart` is one
host's share of a run recorded by several hosts. :mod:`wattprint.model`
re-exports every one of them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from wattprint.model_energy import DeviceEnergy, Footprint, Phase, TracePoint, ZoneChoice
from wattprint.units import kwh_to_j


class RunStatus(str, enum.Enum):
    """Life-cycle state of a run."""

    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class Run:
    """One tracked run: who, where, when, how measured and what it cost.

    ``model`` names the model the run trained or served (``"resnet50"``; empty
    when not given) and ``metrics`` holds the final value of each quality
    metric the user logged (``{"accuracy": 0.97}``), so runs can be compared
    per model and per unit of metric (kWh per accuracy point).
    """

    id: str
    project: str
    status: RunStatus
    started_utc: datetime
    ended_utc: datetime | None
    duration_s: float
    host: str
    footprint: Footprint
    zone_choice: ZoneChoice
    devices: tuple[DeviceEnergy, ...] = ()
    phases: tuple[Phase, ...] = ()
    trace: tuple[TracePoint, ...] = ()
    experiment: str = ""
    tags: tuple[str, ...] = ()
    command: str = ""
    exit_code: int | None = None
    error: str = ""
    flops: float | None = None
    warnings: tuple[str, ...] = ()
    model: str = ""
    metrics: Mapping[str, float] = field(default_factory=dict)

    @property
    def energy_kwh(self) -> float:
        """Facility energy of the run (kWh)."""
        return self.footprint.energy_kwh

    @property
    def co2e_kg(self) -> float:
        """Operational emissions of the run (kg CO2e)."""
        return self.footprint.co2e_kg

    @property
    def flops_per_w(self) -> float | None:
        """FLOP per joule (= FLOPS/W) when a FLOP count was given."""
        it_j = kwh_to_j(self.footprint.it_energy_kwh)
        if self.flops is None or it_j <= 0:
            return None
        return self.flops / it_j


@dataclass(frozen=True)
class RunPart:
    """One host's share of a run that several hosts record under one id.

    ``status`` is as of the read: a running part whose tracker stopped
    writing (killed, or its host lost) reads ``interrupted`` with ``stale``
    True. Energy is facility energy (kWh), emissions operational (kg CO2e).
    """

    run_id: str
    host: str
    status: RunStatus
    started_utc: datetime
    ended_utc: datetime | None
    duration_s: float
    energy_kwh: float
    co2e_kg: float
    updated_utc: datetime
    stale: bool = False
