"""Hand-made runs for the store tests (imported as a top-level module: pytest puts
this directory on sys.path)."""

from __future__ import annotations

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

T0 = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)


def make_run(
    run_id: str = "run-0001",
    *,
    project: str = "demo",
    started: datetime = T0,
    status: RunStatus = RunStatus.FINISHED,
    tags: tuple[str, ...] = ("baseline", "bert"),
    trace_points: int = 6,
) -> Run:
    """A run using every field of every value."""
    cpu = Device("cpu:0", DeviceKind.CPU, 0, "AMD EPYC 9654", Method.COUNTER, "rapl",
                 source="", note="package-0")
    gpu = Device("gpu:1", DeviceKind.GPU, 1, "NVIDIA H100", Method.SAMPLED, "nvml",
                 source="", note="total-energy counter unsupported")
    ram = Device("ram", DeviceKind.RAM, 0, "RAM 512 GB", Method.MODELLED, "ram-model",
                 source="0.375 W/GB (DDR5 datasheet)", note="")
    ended = started + timedelta(seconds=3600.25)
    return Run(
        id=run_id,
        project=project,
        status=status,
        started_utc=started,
        ended_utc=None if status is RunStatus.RUNNING else ended,
        duration_s=3600.25,
        host="node-7",
        footprint=Footprint(
            energy_kwh_by_kind={"cpu": 0.1234567890123, "gpu": 1.5, "ram": 0.07, "other": 0.0},
            pue=1.58,
            pue_source="Uptime Institute 2023 survey average",
            intensity=Intensity("DE", 381.2, "embedded: Ember 2023", 2023, "annual"),
            embodied_co2e_kg=0.42,
            water_l=None,
        ),
        zone_choice=ZoneChoice("DE", "argument", "given with --zone"),
        devices=(
            DeviceEnergy(cpu, 444444.444, 280.5, 3600),
            DeviceEnergy(gpu, 5_400_000.0, 700.0, 36000),
            DeviceEnergy(ram, 252000.0, 70.0, 0),
        ),
        phases=(
            Phase("data_loading", started, started + timedelta(seconds=60), 60.0,
                  {"cpu:0": 6000.5, "gpu:1": 3000.0}),
            Phase("train", started + timedelta(seconds=60), ended, 3540.25,
                  {"cpu:0": 438443.9, "gpu:1": 5_397_000.0, "ram": 252000.0}),
        ),
        trace=tuple(
            TracePoint("gpu:1" if n % 2 else "cpu:0", n * 0.5, 100.0 + n,
                       utilisation_pct=None if n % 3 else 97.5,
                       memory_used_bytes=8e10 if n % 2 else None,
                       temperature_c=61.0 if n % 2 else None)
            for n in range(trace_points)
        ),
        experiment="lr-sweep",
        tags=tags,
        command="python train.py --lr 3e-4",
        exit_code=None if status is RunStatus.RUNNING else 0,
        error="",
        flops=1.2e18,
        warnings=("RAM is modelled: 0.375 W/GB", "GPU power sampled at 10 Hz"),
        model="bert-base",
        metrics={"accuracy": 0.9132456789012345, "eval_loss": 0.25, "tokens": 1_234_567.0},
    )
