"""Recorded runs with realistic traces and phases for the advise tests (imported as a
top-level module: pytest puts this directory on sys.path)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
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

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
STEP_S = 10.0
#: (power W, utilisation %) of a device at a time of the run.
Profile = Callable[[float], tuple[float, float | None]]


def device(kind: DeviceKind, name: str, index: int = 0) -> Device:
    method = Method.COUNTER
    dev_id = "ram" if kind is DeviceKind.RAM else f"{kind.value}:{index}"
    return Device(dev_id, kind, index, name, method, "nvml" if kind is DeviceKind.GPU else "rapl")


def build_run(
    run_id: str,
    profiles: dict[Device, Profile],
    *,
    duration_s: float = 3600.0,
    phases: tuple[tuple[str, float, float], ...] = (),
    tags: tuple[str, ...] = (),
    zone: str = "DE",
    intensity_g_per_kwh: float = 380.0,
    pue: float = 1.2,
    command: str = "python train.py",
    model: str = "resnet50",
) -> Run:
    """A finished run whose trace, device energies, phase energies and footprint agree.

    ``phases`` are ``(name, start_s, end_s)``; every device's energy (and each
    phase's) is the integral of its profile, sampled every ``STEP_S``.
    """
    trace: list[TracePoint] = []
    energy: dict[str, float] = {}
    phase_energy: list[dict[str, float]] = [{} for _ in phases]
    steps = int(duration_s / STEP_S)
    for dev, profile in profiles.items():
        for i in range(steps):
            t = i * STEP_S
            power, util = profile(t)
            trace.append(TracePoint(dev.id, t, power, utilisation_pct=util))
            energy[dev.id] = energy.get(dev.id, 0.0) + power * STEP_S
            for k, (_, a, b) in enumerate(phases):
                if a <= t < b:
                    phase_energy[k][dev.id] = phase_energy[k].get(dev.id, 0.0) + power * STEP_S
    by_kind: dict[str, float] = {}
    for dev in profiles:
        by_kind[dev.kind.value] = by_kind.get(dev.kind.value, 0.0) + energy[dev.id] / 3.6e6
    return Run(
        id=run_id, project="vision", status=RunStatus.FINISHED, started_utc=T0,
        ended_utc=T0 + timedelta(seconds=duration_s), duration_s=duration_s, host="gpu-node-3",
        footprint=Footprint(by_kind, pue, "given", Intensity(zone, intensity_g_per_kwh,
                                                              "test figure", 2024)),
        zone_choice=ZoneChoice(zone, "argument"),
        devices=tuple(DeviceEnergy(dev, energy[dev.id], max(p for p, _ in map(
            profile, [i * STEP_S for i in range(steps)])), steps)
            for dev, profile in profiles.items()),
        phases=tuple(Phase(name, T0 + timedelta(seconds=a), T0 + timedelta(seconds=b), b - a,
                           phase_energy[k]) for k, (name, a, b) in enumerate(phases)),
        trace=tuple(trace), tags=tags, command=command, model=model,
    )


A100 = device(DeviceKind.GPU, "NVIDIA A100-SXM4-40GB")
CPU = device(DeviceKind.CPU, "AMD EPYC 7763 64-Core Processor")
RAM = device(DeviceKind.RAM, "RAM 256 GB")

#: Three epochs: 400 s of data loading, then 800 s of training.
EPOCHS = tuple(x for e in range(3) for x in (
    ("data_loading", e * 1200.0, e * 1200.0 + 400.0), ("train", e * 1200.0 + 400.0,
                                                      (e + 1) * 1200.0)))


def _in_data(t: float) -> bool:
    return any(a <= t < b for name, a, b in EPOCHS if name == "data_loading")


def data_bound_run(**kw: object) -> Run:
    """An A100 at 10 % utilisation and 80 W while data loads (a third of the run), else 80 %."""
    def gpu(t: float) -> tuple[float, float | None]:
        return (80.0, 10.0) if _in_data(t) else (350.0, 80.0)

    def cpu(t: float) -> tuple[float, float | None]:
        return (180.0, None) if _in_data(t) else (120.0, None)

    args: dict[str, object] = {"phases": EPOCHS, "tags": ("precision:bf16",)}
    args.update(kw)
    return build_run("run-data", {A100: gpu, CPU: cpu, RAM: lambda t: (30.0, None)},
                     **args)  # type: ignore[arg-type]


def busy_run(gpu_name: str = "NVIDIA H100 80GB HBM3", **kw: object) -> Run:
    """A GPU at 95 % utilisation all along; the CPU steady: nothing idles."""
    gpu = replace(A100, name=gpu_name)
    args: dict[str, object] = {"phases": (("train", 0.0, 3600.0),)}
    args.update(kw)
    return build_run("run-busy", {gpu: lambda t: (600.0, 95.0), CPU: lambda t: (150.0, None)},
                     **args)  # type: ignore[arg-type]


def idle_run(**kw: object) -> Run:
    """The GPU idles (2 %, 60 W) for the first half; the CPU (RAPL, no utilisation) idles 40 %."""
    def gpu(t: float) -> tuple[float, float | None]:
        return (60.0, 2.0) if t < 1800.0 else (300.0, 95.0)

    def cpu(t: float) -> tuple[float, float | None]:
        return (30.0, None) if t < 1440.0 else (150.0, None)

    args: dict[str, object] = {"tags": ("precision:amp",)}
    args.update(kw)
    return build_run("run-idle", {A100: gpu, CPU: cpu}, **args)  # type: ignore[arg-type]
