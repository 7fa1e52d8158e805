"""NVIDIA GPUs through NVML (the ``nvidia-ml-py`` package, module ``pynvml``).

Per GPU the sensor uses the driver's total-energy counter
(``nvmlDeviceGetTotalEnergyConsumption``, Volta and newer) when it works, and
only otherwise samples ``nvmlDeviceGetPowerUsage``. Sampled power is never
integrated where the counter exists: on A100/H100 the instantaneous power
reading is an average over a short window that covers only about a quarter of
each update period, so integrating it misses most of the signal (Yang et al.,
2024, "Part-time Power Measurements: nvidia-smi's Lack of Attention",
arXiv:2312.02741). The counter integrates in hardware and has no such gap.

Device ids are ``gpu:N`` with N the NVML index (PCI bus order).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wattprint.errors import MissingExtraError, SensorError
from wattprint.measure.sensors.base import Probe
from wattprint.model import Device, DeviceKind, Method, Reading
from wattprint.units import mj_to_j

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

_MW_PER_W = 1000.0


def load_nvml(nvml: Any = None) -> Any:
    """Return ``nvml`` or the imported ``pynvml`` module.

    Raises:
        MissingExtraError: ``nvidia-ml-py`` is not installed.
    """
    if nvml is not None:
        return nvml
    try:
        import pynvml  # type: ignore[import-untyped, unused-ignore]
    except ImportError as e:
        raise MissingExtraError("nvidia-ml-py", "nvidia") from e
    return pynvml


def _text(value: object) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def select_gpus(
    uuids: Sequence[str],
    *,
    gpu_ids: Sequence[int] | None = None,
    visible: str | None = None,
) -> list[int]:
    """NVML indices to read, from explicit ids or a ``CUDA_VISIBLE_DEVICES`` value.

    ``gpu_ids`` wins; else ``visible`` is parsed like CUDA does: comma-separated
    indices or UUIDs (``GPU-…``, a unique prefix is enough); an empty string
    means no GPU, and parsing stops at the first entry that names no GPU.
    ``None`` for both selects every GPU. Integers are taken as NVML indices,
    which match CUDA's numbering when ``CUDA_DEVICE_ORDER=PCI_BUS_ID`` or the
    GPUs are identical; UUIDs are unambiguous.

    Args:
        uuids: The UUID of each GPU, by NVML index.
        gpu_ids: Explicit NVML indices.
        visible: The ``CUDA_VISIBLE_DEVICES`` value, if set.
    """
    count = len(uuids)
    if gpu_ids is not None:
        return [i for i in dict.fromkeys(gpu_ids) if 0 <= i < count]
    if visible is None:
        return list(range(count))
    chosen: list[int] = []
    for token in (t.strip() for t in visible.split(",")):
        index = _resolve_token(token, uuids)
        if index is None:
            break
        if index not in chosen:
            chosen.append(index)
    return chosen


def _resolve_token(token: str, uuids: Sequence[str]) -> int | None:
    if not token:
        return None
    if token.lstrip("-").isdigit():
        index = int(token)
        return index if 0 <= index < len(uuids) else None
    wanted = token.lower()
    if not wanted.startswith("gpu-"):
        wanted = "gpu-" + wanted
    hits = [i for i, u in enumerate(uuids) if u.lower().startswith(wanted)]
    return hits[0] if len(hits) == 1 else None


@dataclass(frozen=True)
class _Gpu:
    handle: Any
    device: Device


class NvmlSensor:
    """Energy (or power) of NVIDIA GPUs; see the module docstring for the rules.

    Readings also carry utilisation (%), memory used (bytes) and temperature
    (°C) when the driver gives them. ``start()`` calls ``nvmlInit`` and
    ``close()`` calls ``nvmlShutdown``.

    Args:
        nvml: The NVML module (``pynvml``) or a stand-in; imported on start
            when not given.
        gpu_ids: NVML indices to read; default: those in
            ``CUDA_VISIBLE_DEVICES``, or all.
        env: Environment to read ``CUDA_VISIBLE_DEVICES`` from (default
            ``os.environ``).

    Example:
        >>> sensor = NvmlSensor(gpu_ids=[0])           # doctest: +SKIP
        >>> sensor.start(); sensor.read(t_s=0.0)       # doctest: +SKIP
    """

    name = "nvml"

    def __init__(
        self,
        nvml: Any = None,
        gpu_ids: Sequence[int] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._nvml_arg = nvml
        self._gpu_ids = None if gpu_ids is None else tuple(gpu_ids)
        self._env = env
        self._nvml: Any = None
        self._gpus: tuple[_Gpu, ...] = ()

    @property
    def devices(self) -> tuple[Device, ...]:
        """The selected GPUs (valid after :meth:`start`)."""
        return tuple(g.device for g in self._gpus)

    def start(self) -> None:
        """Initialise NVML and pick GPUs and their method.

        Raises:
            MissingExtraError: ``nvidia-ml-py`` is not installed.
            SensorError: NVML fails, or no GPU is selected.
        """
        nvml = load_nvml(self._nvml_arg)
        try:
            nvml.nvmlInit()
        except nvml.NVMLError as e:
            raise SensorError(f"NVML init failed ({e}); is the NVIDIA driver loaded?") from e
        self._nvml = nvml
        try:
            self._gpus = tuple(self._open_gpus(nvml))
        except nvml.NVMLError as e:
            self.close()
            raise SensorError(f"NVML device query failed: {e}") from e
        except BaseException:
            self.close()  # keep nvmlInit/nvmlShutdown paired whatever went wrong
            raise
        if not self._gpus:
            self.close()
            env = os.environ if self._env is None else self._env
            raise SensorError(
                "no NVIDIA GPU selected (CUDA_VISIBLE_DEVICES="
                f"{env.get('CUDA_VISIBLE_DEVICES', '<unset>')!r}, gpu_ids={self._gpu_ids})"
            )

    def _open_gpus(self, nvml: Any) -> list[_Gpu]:
        env = os.environ if self._env is None else self._env
        handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(nvml.nvmlDeviceGetCount())]
        uuids = [_text(nvml.nvmlDeviceGetUUID(h)) for h in handles]
        chosen = select_gpus(uuids, gpu_ids=self._gpu_ids, visible=env.get("CUDA_VISIBLE_DEVICES"))
        return [self._describe(nvml, i, handles[i], uuids[i]) for i in chosen]

    def _describe(self, nvml: Any, index: int, handle: Any, uuid: str) -> _Gpu:
        try:
            nvml.nvmlDeviceGetTotalEnergyConsumption(handle)
            method, note = Method.COUNTER, ""
            source = "NVML nvmlDeviceGetTotalEnergyConsumption (mJ counter)"
        except nvml.NVMLError:
            # Pre-Volta GPUs have no energy counter; power samples are the
            # only measurement left.
            method = Method.SAMPLED
            source = "NVML nvmlDeviceGetPowerUsage (mW samples)"
            note = "no energy counter on this GPU; power is sampled and integrated"
        device = Device(
            id=f"gpu:{index}",
            kind=DeviceKind.GPU,
            index=index,
            name=_text(nvml.nvmlDeviceGetName(handle)),
            method=method,
            sensor=self.name,
            source=f"{source}; {uuid}",
            note=note,
        )
        return _Gpu(handle, device)

    def read(self, t_s: float) -> list[Reading]:
        """One reading per GPU: counter (J) or power (W), plus extras."""
        nvml = self._nvml
        if nvml is None:
            raise SensorError("NvmlSensor.read() before start()")
        readings = []
        for gpu in self._gpus:
            try:
                if gpu.device.method is Method.COUNTER:
                    energy_mj = nvml.nvmlDeviceGetTotalEnergyConsumption(gpu.handle)
                    main: dict[str, float] = {"energy_j": mj_to_j(float(energy_mj))}
                else:
                    power_mw = nvml.nvmlDeviceGetPowerUsage(gpu.handle)
                    main = {"power_w": float(power_mw) / _MW_PER_W}
            except nvml.NVMLError as e:
                raise SensorError(f"NVML read of {gpu.device.id} failed: {e}") from e
            readings.append(Reading(gpu.device.id, t_s, **main, **self._extras(gpu.handle)))
        return readings

    def _extras(self, handle: Any) -> dict[str, float | None]:
        nvml = self._nvml
        extras: dict[str, float | None] = {}
        calls: dict[str, Callable[[], Any]] = {
            "utilisation_pct": lambda: nvml.nvmlDeviceGetUtilizationRates(handle).gpu,
            "memory_used_bytes": lambda: nvml.nvmlDeviceGetMemoryInfo(handle).used,
            "temperature_c": lambda: nvml.nvmlDeviceGetTemperature(
                handle, nvml.NVML_TEMPERATURE_GPU
            ),
        }
        for key, call in calls.items():
            try:
                extras[key] = float(call())
            except (nvml.NVMLError, AttributeError, TypeError, ValueError):
                extras[key] = None  # extras are best effort; energy is what matters
        return extras

    def close(self) -> None:
        """Shut NVML down; safe to call twice."""
        nvml, self._nvml = self._nvml, None
        if nvml is None:
            return
        try:
            nvml.nvmlShutdown()
        except nvml.NVMLError as e:
            logger.debug("nvmlShutdown failed: %s", e)


def probe(nvml: Any = None, env: Mapping[str, str] | None = None) -> Probe:
    """Say whether NVML works here and how each GPU is measured; never raises."""
    sensor = NvmlSensor(nvml, env=env)
    try:
        sensor.start()
        found = "; ".join(f"{d.id} {d.name} ({d.method.value})" for d in sensor.devices)
        return Probe("nvml", True, f"available: {found}")
    except MissingExtraError as e:
        return Probe("nvml", False, "nvidia-ml-py is not installed", str(e).split("run: ")[-1])
    except SensorError as e:
        return Probe(
            "nvml", False, str(e), "install the NVIDIA driver, or check CUDA_VISIBLE_DEVICES"
        )
    except Exception as e:  # a probe reports, it never raises
        return Probe("nvml", False, f"unexpected error: {e!r}")
    finally:
        sensor.close()
