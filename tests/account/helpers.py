"""Hand-made runs for the accounting tests (imported as a top-level module)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from wattprint.model import (
    Device,
    DeviceEnergy,
    DeviceKind,
    Footprint,
    Intensity,
    Method,
    Run,
    RunStatus,
    TracePoint,
    ZoneChoice,
)

T0 = datetime(2026, 3, 1, 0, 30, tzinfo=timezone.utc)
GPU = Device("gpu:0", DeviceKind.GPU, 0, "NVIDIA H100", Method.COUNTER, "nvml")
CPU = Device("cpu:0", DeviceKind.CPU, 0, "AMD EPYC", Method.COUNTER, "rapl")


def run(
    run_id: str = "r1", *, started: datetime = T0, hours: float = 2.0, it_kwh: float = 2.0,
    pue: float = 1.5, zone: str = "DE", annual: float = 400.0,
    trace: tuple[TracePoint, ...] | None = None, project: str = "vision",
    devices: tuple[DeviceEnergy, ...] | None = None,
) -> Run:
    """A GPU run of ``it_kwh`` IT energy over ``hours``, flat 1 kW trace by default."""
    duration_s = hours * 3600
    if trace is None:
        trace = tuple(TracePoint("gpu:0", float(t), 1000.0)
                      for t in range(0, int(duration_s) + 1, 600))
    return Run(
        id=run_id, project=project, status=RunStatus.FINISHED, started_utc=started,
        ended_utc=started + timedelta(seconds=duration_s), duration_s=duration_s, host="h",
        footprint=Footprint({"gpu": it_kwh}, pue, "given", Intensity(zone, annual, "annual src",
                                                                     2024)),
        zone_choice=ZoneChoice(zone, "argument"),
        devices=(DeviceEnergy(GPU, it_kwh * 3.6e6),) if devices is None else devices,
        trace=trace,
    )
