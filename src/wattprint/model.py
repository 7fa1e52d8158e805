"""The plain values that flow through wattprint.

Every arrow of the data flow (sensors → sampler → integrator → run →
accounting → ledger) carries one of these frozen dataclasses. They hold no
behaviour beyond small derived properties, so they are safe to pass between
threads and to serialise.

The values are defined, grouped by meaning, in three modules and all
imported from here (``from wattprint.model import Run``):

- :mod:`wattprint.model_energy`: devices, readings, the trace, energy per
  device and phase, zones, intensity and the footprint;
- :mod:`wattprint.model_run`: the run, its status and one host's part of it;
- :mod:`wattprint.model_accounting`: budgets, carbon-aware records,
  accounted figures, instruments, targets and offsets.
"""

from __future__ import annotations

from wattprint.model_accounting import (
    AccountedFigure,
    Budget,
    BudgetOverrun,
    BudgetState,
    CarbonAwareRecord,
    Instrument,
    Offset,
    Target,
    TargetProgress,
)
from wattprint.model_energy import (
    Device,
    DeviceEnergy,
    DeviceKind,
    Footprint,
    Intensity,
    Method,
    Phase,
    Reading,
    TracePoint,
    Zone,
    ZoneChoice,
)
from wattprint.model_run import Run, RunPart, RunStatus

__all__ = [
    "AccountedFigure",
    "Budget",
    "BudgetOverrun",
    "BudgetState",
    "CarbonAwareRecord",
    "Device",
    "DeviceEnergy",
    "DeviceKind",
    "Footprint",
    "Instrument",
    "Intensity",
    "Method",
    "Offset",
    "Phase",
    "Reading",
    "Run",
    "RunPart",
    "RunStatus",
    "Target",
    "TargetProgress",
    "TracePoint",
    "Zone",
    "ZoneChoice",
]
