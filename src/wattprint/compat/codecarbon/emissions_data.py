"""CodeCarbon-shaped rows built from wattprint values (pure: no I/O).

:class:`EmissionsData` has the fields of CodeCarbon 3.3.2's dataclass of the
same name, in the same order; :data:`COLUMNS` is that order and is the header
of ``emissions.csv``. Units follow CodeCarbon: ``duration`` s, ``emissions``
kg CO2e, ``emissions_rate`` kg/s, ``*_power`` W (mean over the span),
``*_energy`` and ``energy_consumed`` kWh, ``water_consumed`` litres,
``ram_total_size`` and ``ram_used_gb`` GiB (CodeCarbon divides bytes by
1024³).

Like CodeCarbon, the PUE is applied to every energy and power column, so
``energy_consumed`` is facility energy and ``emissions = energy_consumed ×
intensity``. ``energy_consumed`` also counts devices of kind ``other``, which
have no column of their own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields

from wattprint.model import DeviceEnergy, DeviceKind, Phase, Run, TracePoint
from wattprint.units import co2e_kg, j_to_kwh, kwh_to_j

# CodeCarbon's "GB" columns are bytes / 1024**3 (its B_TO_GB constant).
_BYTES_PER_GIB = 1024.0**3


@dataclass(frozen=True)
class HostInfo:
    """Facts about the machine, gathered once by the tracker.

    Attributes:
        os: ``platform.platform()``, as CodeCarbon writes it.
        python_version: ``platform.python_version()``.
        cpu_count: Logical CPUs.
        ram_total_size_gib: Total memory (GiB).
    """

    os: str
    python_version: str
    cpu_count: int
    ram_total_size_gib: float


@dataclass(frozen=True)
class Location:
    """The location columns of a row (see ``_location.location_fields``)."""

    country_name: str
    country_iso_code: str
    region: str
    cloud_provider: str
    cloud_region: str
    on_cloud: str


@dataclass(frozen=True)
class RowContext:
    """Everything a row needs besides the run: constant for one tracker.

    Attributes:
        experiment_id: Written to the ``experiment_id`` column.
        tracking_mode: ``"machine"`` or ``"process"`` (the tracker's scope).
        wue_l_per_kwh: Water usage effectiveness, used when the footprint
            carries no water figure of its own.
        codecarbon_version: Value of the ``codecarbon_version`` column.
        host: Machine facts.
        location: Location columns.
    """

    experiment_id: str
    tracking_mode: str
    wue_l_per_kwh: float
    codecarbon_version: str
    host: HostInfo
    location: Location


@dataclass(frozen=True)
class EmissionsData:
    """One row of ``emissions.csv``: CodeCarbon 3.3.2's fields, order and units."""

    timestamp: str
    project_name: str
    run_id: str
    experiment_id: str
    duration: float
    emissions: float
    emissions_rate: float
    cpu_power: float
    gpu_power: float
    ram_power: float
    cpu_energy: float
    gpu_energy: float
    ram_energy: float
    energy_consumed: float
    water_consumed: float
    country_name: str
    country_iso_code: str
    region: str
    cloud_provider: str
    cloud_region: str
    os: str
    python_version: str
    codecarbon_version: str
    cpu_count: float
    cpu_model: str
    gpu_count: float
    gpu_model: str
    longitude: float | None
    latitude: float | None
    ram_total_size: float
    tracking_mode: str
    cpu_utilization_percent: float = 0.0
    gpu_utilization_percent: float = 0.0
    ram_utilization_percent: float = 0.0
    ram_used_gb: float = 0.0
    on_cloud: str = "N"
    pue: float = 1.0
    wue: float = 0.0

    @property
    def values(self) -> dict[str, object]:
        """Column name → value, in CSV column order (CodeCarbon's ``values``)."""
        return asdict(self)


#: The ``emissions.csv`` header: CodeCarbon 3.3.2's ``EmissionsData`` field order.
COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(EmissionsData))


def run_row(run: Run, ctx: RowContext, *, timestamp: str) -> EmissionsData:
    """The row for a whole run (finished, or a running snapshot)."""
    fp = run.footprint
    energy_kwh = {kind: kwh * fp.pue for kind, kwh in fp.energy_kwh_by_kind.items()}
    water_l = fp.water_l if fp.water_l is not None else ctx.wue_l_per_kwh * fp.energy_kwh
    return _row(
        run, ctx, timestamp=timestamp, duration_s=run.duration_s,
        energy_kwh_by_kind=energy_kwh, energy_total_kwh=fp.energy_kwh,
        co2e=fp.co2e_kg, water_l=water_l, trace=run.trace,
    )


def phase_row(phase: Phase, run: Run, ctx: RowContext, *, timestamp: str) -> EmissionsData:
    """The row for one phase (a CodeCarbon task) of ``run``, at the run's PUE and intensity."""
    fp = run.footprint
    kinds = {dev.device.id: dev.device.kind.value for dev in run.devices}
    energy_kwh = {kind.value: 0.0 for kind in DeviceKind}
    for device_id, energy_j in phase.energy_by_device_j.items():
        kind = kinds.get(device_id, DeviceKind.OTHER.value)
        energy_kwh[kind] += j_to_kwh(energy_j) * fp.pue
    total_kwh = sum(energy_kwh.values())
    start_s = (phase.started_utc - run.started_utc).total_seconds()
    trace = [p for p in run.trace if start_s <= p.t_s <= start_s + phase.duration_s]
    return _row(
        run, ctx, timestamp=timestamp, duration_s=phase.duration_s,
        energy_kwh_by_kind=energy_kwh, energy_total_kwh=total_kwh,
        co2e=co2e_kg(total_kwh, fp.intensity.g_per_kwh),
        water_l=ctx.wue_l_per_kwh * total_kwh, trace=trace,
    )


def _row(
    run: Run,
    ctx: RowContext,
    *,
    timestamp: str,
    duration_s: float,
    energy_kwh_by_kind: Mapping[str, float],
    energy_total_kwh: float,
    co2e: float,
    water_l: float,
    trace: Iterable[TracePoint],
) -> EmissionsData:
    def kwh(kind: DeviceKind) -> float:
        return energy_kwh_by_kind.get(kind.value, 0.0)

    def mean_w(kind: DeviceKind) -> float:
        return kwh_to_j(kwh(kind)) / duration_s if duration_s > 0 else 0.0

    usage = _usage(run.devices, list(trace))
    gpus = [d.device.name for d in run.devices if d.device.kind is DeviceKind.GPU]
    loc, host = ctx.location, ctx.host
    return EmissionsData(
        timestamp=timestamp, project_name=run.project, run_id=run.id,
        experiment_id=ctx.experiment_id, duration=duration_s, emissions=co2e,
        emissions_rate=co2e / duration_s if duration_s > 0 else 0.0,
        cpu_power=mean_w(DeviceKind.CPU), gpu_power=mean_w(DeviceKind.GPU),
        ram_power=mean_w(DeviceKind.RAM), cpu_energy=kwh(DeviceKind.CPU),
        gpu_energy=kwh(DeviceKind.GPU), ram_energy=kwh(DeviceKind.RAM),
        energy_consumed=energy_total_kwh, water_consumed=water_l,
        country_name=loc.country_name, country_iso_code=loc.country_iso_code,
        region=loc.region, cloud_provider=loc.cloud_provider, cloud_region=loc.cloud_region,
        os=host.os, python_version=host.python_version,
        codecarbon_version=ctx.codecarbon_version, cpu_count=host.cpu_count,
        cpu_model=_models(d.device.name for d in run.devices
                          if d.device.kind is DeviceKind.CPU),
        gpu_count=len(gpus),
        # CodeCarbon writes "<count> x <name>" per distinct GPU model.
        gpu_model=", ".join(f"{n} x {name}" for name, n in Counter(gpus).items()),
        longitude=None, latitude=None, ram_total_size=host.ram_total_size_gib,
        tracking_mode=ctx.tracking_mode,
        cpu_utilization_percent=usage["cpu"], gpu_utilization_percent=usage["gpu"],
        ram_utilization_percent=usage["ram"], ram_used_gb=usage["ram_used_gib"],
        on_cloud=loc.on_cloud, pue=run.footprint.pue, wue=ctx.wue_l_per_kwh,
    )


def _models(names: Iterable[str]) -> str:
    return ", ".join(dict.fromkeys(name for name in names if name))


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _usage(devices: Iterable[DeviceEnergy], trace: list[TracePoint]) -> dict[str, float]:
    """Mean utilisation per kind and mean RAM used, from the trace (0 when absent)."""
    kinds = {d.device.id: d.device.kind for d in devices}
    util: dict[DeviceKind, list[float]] = {kind: [] for kind in DeviceKind}
    ram_used: list[float] = []
    for point in trace:
        kind = kinds.get(point.device_id, DeviceKind.OTHER)
        if point.utilisation_pct is not None:
            util[kind].append(point.utilisation_pct)
        if kind is DeviceKind.RAM and point.memory_used_bytes is not None:
            ram_used.append(point.memory_used_bytes / _BYTES_PER_GIB)
    return {
        "cpu": _mean(util[DeviceKind.CPU]),
        "gpu": _mean(util[DeviceKind.GPU]),
        "ram": _mean(util[DeviceKind.RAM]),
        "ram_used_gib": _mean(ram_used),
    }
