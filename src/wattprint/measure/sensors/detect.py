"""Pick the best sensor for each device kind, and say what was given up.

Order of preference (counters before samples before models):

* CPU: RAPL package counters → :class:`~.cpu_model.CpuModelSensor`.
* RAM: the RAPL DRAM domain → :class:`~.ram_model.RamModelSensor`.
* GPU: NVML → AMD SMI → none.

GPU libraries are imported only when a driver is present (``/proc/driver/nvidia``
or ``/dev/nvidiactl``; ``/dev/kfd``) or a module is passed in, so detection on
a GPU-less machine costs no import. Every fallback adds one human-readable
note; :func:`probes` gives ``wattprint doctor`` the full picture.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from wattprint.errors import MissingExtraError, SensorError, SensorPermissionError
from wattprint.measure.sensors import amd as amd_backend
from wattprint.measure.sensors import cpu_model, ram_model, rapl, tdp
from wattprint.measure.sensors import nvml as nvml_backend
from wattprint.measure.sensors.base import Probe, Sensor
from wattprint.model import Device, DeviceKind

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

_NVIDIA_HINTS = (Path("/proc/driver/nvidia"), Path("/dev/nvidiactl"))
_AMD_HINTS = (Path("/dev/kfd"),)


def _driver_present(hints: Sequence[Path]) -> bool:
    if sys.platform.startswith("linux"):
        return any(p.exists() for p in hints)
    return sys.platform == "win32"  # no cheap check there: let the import decide


def _start_rapl(root: Path, proc_root: Path, notes: list[str]) -> rapl.RaplSensor | None:
    sensor = rapl.RaplSensor(root, cpuinfo=proc_root / "cpuinfo")
    try:
        sensor.start()
    except SensorPermissionError as e:
        notes.append(f"RAPL not readable: {e}; CPU energy is modelled")
        return None
    except SensorError as e:
        notes.append(f"RAPL not available ({e}); CPU energy is modelled")
        return None
    return sensor


def _start_gpu(
    *,
    gpu_ids: Sequence[int] | None,
    nvml_module: Any,
    amdsmi_module: Any,
    env: Mapping[str, str] | None,
    notes: list[str],
) -> Sensor | None:
    candidates: list[tuple[str, Sensor]] = []
    if nvml_module is not None or _driver_present(_NVIDIA_HINTS):
        candidates.append(("NVML", nvml_backend.NvmlSensor(nvml_module, gpu_ids, env)))
    if amdsmi_module is not None or _driver_present(_AMD_HINTS):
        candidates.append(("AMD SMI", amd_backend.AmdSmiSensor(amdsmi_module, gpu_ids)))
    for label, sensor in candidates:
        try:
            sensor.start()
            return sensor
        except MissingExtraError as e:
            notes.append(f"a GPU driver is present but {e}; GPU energy is not measured")
        except SensorError as e:
            notes.append(f"{label} unusable ({e}); GPU energy is not measured")
        except Exception as e:  # a vendor library's surprise must not stop the run
            logger.debug("%s start failed", label, exc_info=True)
            notes.append(f"{label} failed unexpectedly ({e!r}); GPU energy is not measured")
    return None


def default_sensors(
    *,
    pid: int | None,
    gpu_ids: Sequence[int] | None = None,
    powercap_root: Path = rapl.DEFAULT_ROOT,
    nvml: Any = None,
    amdsmi: Any = None,
    env: Mapping[str, str] | None = None,
    proc_root: Path = Path("/proc"),
    cgroup_root: Path = Path("/sys/fs/cgroup"),
    psutil: Any = None,
) -> tuple[list[Sensor], list[str]]:
    """Start the best available sensors for CPU, RAM and GPUs.

    Args:
        pid: Process tree the models attribute energy to (None: whole
            machine). Counters (RAPL, NVML) always measure whole devices.
        gpu_ids: GPU indices to read (default: ``CUDA_VISIBLE_DEVICES`` or all).
        powercap_root: The powercap sysfs root for RAPL.
        nvml: An NVML module to use instead of importing ``pynvml``.
        amdsmi: An AMD SMI module to use instead of importing ``amdsmi``.
        env: Environment for ``CUDA_VISIBLE_DEVICES`` (default ``os.environ``).
        proc_root: The ``/proc`` the models read.
        cgroup_root: The cgroup v2 mount the CPU model reads.
        psutil: A ``psutil`` stand-in for the models.

    Returns:
        The started sensors and one note per fallback taken.
    """
    notes: list[str] = []
    sensors: list[Sensor] = []
    rapl_sensor = _start_rapl(powercap_root, proc_root, notes)
    if rapl_sensor is not None:
        sensors.append(rapl_sensor)
    else:
        model = cpu_model.CpuModelSensor(
            pid, proc_root=proc_root, cgroup_root=cgroup_root, psutil=psutil
        )
        _start_or_note(model, sensors, notes, "CPU model")
        if model.plan_note and "not in the TDP table" in model.plan_note:
            notes.append(f"CPU model: {model.plan_note}")
    if rapl_sensor is None or not rapl_sensor.has_dram:
        if rapl_sensor is not None:
            notes.append("RAPL has no DRAM domain; RAM energy is modelled")
        else:
            notes.append(f"RAM energy is modelled ({ram_model.W_PER_GB_SOURCE})")
        _start_or_note(ram_model.RamModelSensor(pid, psutil=psutil), sensors, notes, "RAM model")
    gpu = _start_gpu(gpu_ids=gpu_ids, nvml_module=nvml, amdsmi_module=amdsmi, env=env, notes=notes)
    if gpu is not None:
        sensors.append(gpu)
    return sensors, notes


def _start_or_note(sensor: Sensor, sensors: list[Sensor], notes: list[str], label: str) -> None:
    try:
        sensor.start()
    except SensorError as e:
        notes.append(f"{label} unavailable ({e}); that energy is not measured")
        return
    sensors.append(sensor)


def fallback_sensor(
    device: Device,
    *,
    pid: int | None,
    proc_root: Path = Path("/proc"),
    psutil: Any = None,
) -> Sensor | None:
    """A started model to stand in for ``device`` after its sensor failed mid-run.

    CPU devices get a :class:`~.cpu_model.CpuModelSensor`, RAM devices a
    :class:`~.ram_model.RamModelSensor`, both reporting under ``device.id``.
    When the device is one of several packages (``cpu:N``/``ram:N`` on a
    multi-socket machine) the model is scaled to ``1 / packages`` so that
    replacing every package does not count the machine several times.
    GPUs and other devices get None (the sampler holds their mean power),
    as does a model that cannot start.
    """
    sockets = tdp.detect_cpu(proc_root).sockets if ":" in device.id else 1
    share = 1.0 / max(sockets, 1)
    sensor: Sensor
    if device.kind is DeviceKind.CPU:
        sensor = cpu_model.CpuModelSensor(
            pid, proc_root=proc_root, psutil=psutil, device_id=device.id, share=share
        )
    elif device.kind is DeviceKind.RAM:
        sensor = ram_model.RamModelSensor(pid, psutil=psutil, device_id=device.id, share=share)
    else:
        return None
    try:
        sensor.start()
    except SensorError as e:
        logger.warning("no fallback for %s: %s", device.id, e)
        return None
    return sensor


def probes(
    *,
    powercap_root: Path = rapl.DEFAULT_ROOT,
    nvml: Any = None,
    amdsmi: Any = None,
    env: Mapping[str, str] | None = None,
    proc_root: Path = Path("/proc"),
    cgroup_root: Path = Path("/sys/fs/cgroup"),
    psutil: Any = None,
) -> list[Probe]:
    """One probe per backend, for ``wattprint doctor``; never raises."""
    return [
        rapl.probe(powercap_root),
        nvml_backend.probe(nvml, env),
        amd_backend.probe(amdsmi),
        cpu_model.probe(proc_root=proc_root, cgroup_root=cgroup_root, psutil=psutil),
        ram_model.probe(psutil=psutil),
    ]
