"""AMD GPUs through AMD SMI (the ``amdsmi`` Python package shipped with ROCm).

Per GPU the sensor reads the energy accumulator
(``amdsmi_get_energy_count``: a dict with ``energy_accumulator`` — ``power``
before amdsmi 6.2.1 — in units of ``counter_resolution`` µJ) when the GPU
supports it, and otherwise samples ``amdsmi_get_power_info`` (W; the
``current_socket_power`` field on MI300-class GPUs, ``average_socket_power``
elsewhere). As with NVML, power is never integrated where the counter exists.
The accumulator is 64 bits wide, so no wrap range is passed on.

Device ids are ``gpu:N`` with N the index in ``amdsmi_get_processor_handles()``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wattprint.errors import MissingExtraError, SensorError
from wattprint.measure.sensors.base import Probe
from wattprint.model import Device, DeviceKind, Method, Reading
from wattprint.units import uj_to_j

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

_BYTES_PER_MB = 1024.0 * 1024.0


def load_amdsmi(amdsmi: Any = None) -> Any:
    """Return ``amdsmi`` or the imported module.

    Raises:
        MissingExtraError: ``amdsmi`` is not installed.
    """
    if amdsmi is not None:
        return amdsmi
    try:
        import amdsmi as module  # type: ignore[import-not-found, unused-ignore]
    except ImportError as e:
        raise MissingExtraError("amdsmi", "amd") from e
    return module


def _error_type(amdsmi: Any) -> type[BaseException]:
    error = getattr(amdsmi, "AmdSmiException", None)
    return error if isinstance(error, type) and issubclass(error, BaseException) else Exception


def _number(value: object) -> float | None:
    """A float from an AMD SMI field, or None for "N/A" and the like."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def energy_j_from(count: Mapping[str, Any]) -> float | None:
    """Joules from an ``amdsmi_get_energy_count`` result (old or new keys)."""
    accumulator = _number(count.get("energy_accumulator", count.get("power")))
    resolution_uj = _number(count.get("counter_resolution"))
    if accumulator is None or resolution_uj is None:
        return None
    return uj_to_j(accumulator * resolution_uj)


def power_w_from(info: Mapping[str, Any]) -> float | None:
    """Watts from an ``amdsmi_get_power_info`` result."""
    for key in ("current_socket_power", "average_socket_power"):
        value = _number(info.get(key))
        if value is not None and value > 0:
            return value
    return None


@dataclass(frozen=True)
class _Gpu:
    handle: Any
    device: Device


class AmdSmiSensor:
    """Energy (or power) of AMD GPUs via AMD SMI.

    Readings carry utilisation (``gfx_activity``, %), VRAM used and the
    hotspot (else edge) temperature when AMD SMI gives them.

    Args:
        amdsmi: The ``amdsmi`` module or a stand-in; imported on start when
            not given.
        gpu_ids: Indices into ``amdsmi_get_processor_handles()``; default all.

    Example:
        >>> sensor = AmdSmiSensor()                    # doctest: +SKIP
        >>> sensor.start(); sensor.read(t_s=0.0)       # doctest: +SKIP
    """

    name = "amdsmi"

    def __init__(self, amdsmi: Any = None, gpu_ids: Sequence[int] | None = None) -> None:
        self._amdsmi_arg = amdsmi
        self._gpu_ids = None if gpu_ids is None else tuple(gpu_ids)
        self._smi: Any = None
        self._gpus: tuple[_Gpu, ...] = ()

    @property
    def devices(self) -> tuple[Device, ...]:
        """The selected GPUs (valid after :meth:`start`)."""
        return tuple(g.device for g in self._gpus)

    def start(self) -> None:
        """Initialise AMD SMI and pick GPUs and their method.

        Raises:
            MissingExtraError: ``amdsmi`` is not installed.
            SensorError: AMD SMI fails, or no GPU is selected.
        """
        smi = load_amdsmi(self._amdsmi_arg)
        error = _error_type(smi)
        try:
            smi.amdsmi_init()
        except error as e:
            raise SensorError(f"AMD SMI init failed ({e}); is the amdgpu driver loaded?") from e
        self._smi = smi
        try:
            handles = list(smi.amdsmi_get_processor_handles())
            wanted = range(len(handles)) if self._gpu_ids is None else self._gpu_ids
            chosen = [i for i in dict.fromkeys(wanted) if 0 <= i < len(handles)]
            self._gpus = tuple(self._describe(i, handles[i]) for i in chosen)
        except error as e:
            self.close()
            raise SensorError(f"AMD SMI device query failed: {e}") from e
        except BaseException:
            self.close()  # keep init/shut_down paired whatever went wrong
            raise
        if not self._gpus:
            self.close()
            raise SensorError(f"no AMD GPU selected (gpu_ids={self._gpu_ids})")

    def _describe(self, index: int, handle: Any) -> _Gpu:
        smi = self._smi
        error = _error_type(smi)
        try:
            counter = energy_j_from(smi.amdsmi_get_energy_count(handle)) is not None
        except error:
            counter = False  # not supported on this GPU or in a VM guest
        try:
            name = str(smi.amdsmi_get_gpu_asic_info(handle).get("market_name") or "AMD GPU")
        except (error, AttributeError):
            name = "AMD GPU"
        device = Device(
            id=f"gpu:{index}",
            kind=DeviceKind.GPU,
            index=index,
            name=name,
            method=Method.COUNTER if counter else Method.SAMPLED,
            sensor=self.name,
            source=(
                "AMD SMI amdsmi_get_energy_count (accumulator × counter_resolution µJ)"
                if counter
                else "AMD SMI amdsmi_get_power_info (W samples)"
            ),
            note="" if counter else "no energy counter; power is sampled and integrated",
        )
        return _Gpu(handle, device)

    def read(self, t_s: float) -> list[Reading]:
        """One reading per GPU: counter (J) or power (W), plus extras."""
        smi = self._smi
        if smi is None:
            raise SensorError("AmdSmiSensor.read() before start()")
        error = _error_type(smi)
        readings = []
        for gpu in self._gpus:
            try:
                if gpu.device.method is Method.COUNTER:
                    energy_j = energy_j_from(smi.amdsmi_get_energy_count(gpu.handle))
                    main = {"energy_j": energy_j}
                else:
                    main = {"power_w": power_w_from(smi.amdsmi_get_power_info(gpu.handle))}
            except error as e:
                raise SensorError(f"AMD SMI read of {gpu.device.id} failed: {e}") from e
            if None in main.values():
                raise SensorError(f"AMD SMI gave no value for {gpu.device.id}")
            readings.append(Reading(gpu.device.id, t_s, **main, **self._extras(gpu.handle)))
        return readings

    def _extras(self, handle: Any) -> dict[str, float | None]:
        smi = self._smi
        out: dict[str, float | None] = {"utilisation_pct": None, "memory_used_bytes": None}
        try:
            out["utilisation_pct"] = _number(smi.amdsmi_get_gpu_activity(handle)["gfx_activity"])
        except Exception:  # extras are best effort; energy is what matters
            pass
        try:
            used_mb = _number(smi.amdsmi_get_gpu_vram_usage(handle)["vram_used"])
            out["memory_used_bytes"] = None if used_mb is None else used_mb * _BYTES_PER_MB
        except Exception:  # best effort, as above
            pass
        out["temperature_c"] = self._temperature(handle)
        return out

    def _temperature(self, handle: Any) -> float | None:
        smi = self._smi
        for sensor in ("HOTSPOT", "EDGE"):
            try:
                kind = getattr(smi.AmdSmiTemperatureType, sensor)
                metric = smi.AmdSmiTemperatureMetric.CURRENT
                value = _number(smi.amdsmi_get_temp_metric(handle, kind, metric))
            except Exception:  # best effort: MI300 has no EDGE sensor, older GPUs no HOTSPOT
                continue
            if value is not None:
                return value
        return None

    def close(self) -> None:
        """Shut AMD SMI down; safe to call twice."""
        smi, self._smi = self._smi, None
        if smi is None:
            return
        try:
            smi.amdsmi_shut_down()
        except Exception as e:  # nothing useful to do when shutdown fails
            logger.debug("amdsmi_shut_down failed: %s", e)


def probe(amdsmi: Any = None) -> Probe:
    """Say whether AMD SMI works here and how each GPU is measured; never raises."""
    sensor = AmdSmiSensor(amdsmi)
    try:
        sensor.start()
        found = "; ".join(f"{d.id} {d.name} ({d.method.value})" for d in sensor.devices)
        return Probe("amdsmi", True, f"available: {found}")
    except MissingExtraError as e:
        return Probe("amdsmi", False, "amdsmi is not installed", str(e).split("run: ")[-1])
    except SensorError as e:
        return Probe("amdsmi", False, str(e), "install ROCm and the amdgpu driver")
    except Exception as e:  # a probe reports, it never raises
        return Probe("amdsmi", False, f"unexpected error: {e!r}")
    finally:
        sensor.close()
