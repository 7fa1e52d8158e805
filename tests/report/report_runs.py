"""Realistic runs for the report and dashboard tests (a top-level module: pytest puts
this directory on sys.path)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

from wattprint.model import (
    Device,
    DeviceEnergy,
    DeviceKind,
    Footprint,
    Intensity,
    Method,
    Phase,
    Run,
    RunStatus,
    TracePoint,
    ZoneChoice,
)

UTC = timezone.utc
#: Start of the quarter most fixtures fill: 2026Q1.
Q1 = datetime(2026, 1, 1, tzinfo=UTC)


def make_run(
    run_id: str,
    *,
    started: datetime,
    project: str = "vision",
    model: str = "resnet50",
    status: RunStatus = RunStatus.FINISHED,
    gpu_kwh: float = 1.0,
    cpu_kwh: float = 0.2,
    zone: str = "DE",
    intensity: float = 380.0,
    pue: float = 1.2,
    tags: tuple[str, ...] = ("baseline",),
    metrics: Mapping[str, float] | None = None,
    modelled_ram: bool = False,
    duration_s: float = 1800.0,
    embodied_co2e_kg: float | None = 0.1,
    water_l: float | None = 2.0,
    command: str = "python train.py",
) -> Run:
    """A finished run with a CPU counter, a sampled GPU and optionally a modelled RAM."""
    cpu = Device("cpu:0", DeviceKind.CPU, 0, "AMD EPYC 9654", Method.COUNTER, "rapl")
    gpu = Device("gpu:0", DeviceKind.GPU, 0, "NVIDIA H100", Method.SAMPLED, "nvml")
    devices = [DeviceEnergy(cpu, cpu_kwh * 3.6e6, 250.0, 10),
               DeviceEnergy(gpu, gpu_kwh * 3.6e6, 700.0, 10)]
    by_kind = {"cpu": cpu_kwh, "gpu": gpu_kwh}
    if modelled_ram:
        ram = Device("ram", DeviceKind.RAM, 0, "RAM 256 GB", Method.MODELLED, "ram-model",
                     source="0.3725 W/GB (Green Algorithms)")
        devices.append(DeviceEnergy(ram, 0.05 * 3.6e6, 95.0, 0))
        by_kind["ram"] = 0.05
    ended = started + timedelta(seconds=duration_s)
    half = started + timedelta(seconds=duration_s / 2)
    return Run(
        id=run_id, project=project, status=status, started_utc=started,
        ended_utc=None if status is RunStatus.RUNNING else ended, duration_s=duration_s,
        host="node-1",
        footprint=Footprint(by_kind, pue, "operator figure",
                            Intensity(zone, intensity, "embedded: Ember 2023", 2023, "annual"),
                            embodied_co2e_kg=embodied_co2e_kg, water_l=water_l),
        zone_choice=ZoneChoice(zone, "argument"),
        devices=tuple(devices),
        phases=(Phase("data_loading", started, half, duration_s / 2,
                      {"cpu:0": cpu_kwh * 3.6e6 / 2}),
                Phase("train", half, ended, duration_s / 2,
                      {"cpu:0": cpu_kwh * 3.6e6 / 2, "gpu:0": gpu_kwh * 3.6e6})),
        trace=tuple(TracePoint(dev, t * 60.0, power, utilisation_pct=90.0)
                    for t in range(4) for dev, power in (("cpu:0", 240.0 + t),
                                                         ("gpu:0", 690.0 + t))),
        tags=tags, command=command, exit_code=0 if status is RunStatus.FINISHED else 1,
        model=model, metrics=dict(metrics or {}),
    )


def quarter_runs() -> list[Run]:
    """Runs in 2026Q1 over three projects, two models, four statuses and two zones.

    Includes runs on both sides of a UTC midnight, one given in UTC+02:00 that
    falls on the previous UTC day, and one in 2025Q4 (outside the quarter).
    """
    plus2 = timezone(timedelta(hours=2))
    return [
        make_run("r01", started=Q1 + timedelta(hours=9), metrics={"accuracy": 0.90}),
        make_run("r02", started=Q1 + timedelta(hours=23, minutes=59, seconds=59),
                 gpu_kwh=2.0, metrics={"accuracy": 0.94, "f1": 0.8}, tags=("baseline", "sweep")),
        make_run("r03", started=Q1 + timedelta(days=1), status=RunStatus.FAILED,
                 gpu_kwh=0.5, tags=("sweep",)),
        # 01:30 at UTC+2 on Jan 3 is 23:30 UTC on Jan 2.
        make_run("r04", started=datetime(2026, 1, 3, 1, 30, tzinfo=plus2),
                 model="vit-b16", gpu_kwh=3.0, metrics={"accuracy": 0.96}, modelled_ram=True),
        make_run("r05", started=Q1 + timedelta(days=5), project="nlp", model="bert-base",
                 zone="FR", intensity=56.0, status=RunStatus.INTERRUPTED, gpu_kwh=0.8,
                 tags=("ablation",), water_l=None, embodied_co2e_kg=None),
        make_run("r06", started=Q1 + timedelta(days=40), project="nlp", model="bert-base",
                 zone="FR", intensity=56.0, gpu_kwh=4.0, metrics={"f1": 0.88},
                 modelled_ram=True, tags=("ablation", "long")),
        make_run("r07", started=Q1 + timedelta(days=80), project="speech", model="",
                 status=RunStatus.RUNNING, gpu_kwh=0.3, tags=()),
        make_run("r00", started=Q1 - timedelta(days=3), gpu_kwh=10.0),
    ]
