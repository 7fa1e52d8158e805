"""The background sampler: reads sensors on a monotonic clock and integrates.

One daemon thread wakes every ``interval_s`` (measured on the injected
clock's monotonic time), reads every sensor, and feeds each reading to its
device's :class:`~wattprint.measure.integrate.DeviceIntegrator`. Other
threads may call :meth:`Sampler.sample_now` at any time (phase boundaries,
stop, a tracker's flush snapshot) to take an extra reading; a lock keeps them
apart.

Slow upkeep stays out of that lock: after each of its readings the thread
calls :meth:`Sampler.refresh`, which runs ``refresh()`` of every sensor that
has one (:class:`~wattprint.measure.sensors.base.Refreshing`; the process-tree
models rescan ``/proc`` there) without holding it, so a reading or snapshot
taken meanwhile does not wait for the scan; the sensor swaps what it found in
at its next ``read()``.

When a sensor raises mid-run, its devices fall back to a modelled estimate
and are flagged: a replacement sensor from ``fallback`` when one is given for
that device, otherwise the device's mean power so far, held constant.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from wattprint.clock import Clock, SystemClock
from wattprint.measure.integrate import DeviceIntegrator, TraceDownsampler
from wattprint.measure.sensors.base import Refreshing, Sensor
from wattprint.model import Device, DeviceEnergy, Method, Reading, TracePoint

logger = logging.getLogger(__name__)

MIN_INTERVAL_S = 0.01

FallbackFactory = Callable[[Device], "Sensor | None"]


@dataclass
class _Held:
    """A device whose sensor failed and that is held at a constant power."""

    power_w: float


class Sampler:
    """Reads sensors in a background thread and integrates their energy.

    Args:
        sensors: Started sensors to read.
        clock: Time source; a ``FakeClock`` makes tests deterministic.
        interval_s: Seconds between readings (≥ 0.01).
        trace_resolution_s: Initial bucket width of the per-device trace.
        fallback: Gives a started replacement sensor for a failed device.
    """

    def __init__(
        self,
        sensors: Sequence[Sensor],
        *,
        clock: Clock | None = None,
        interval_s: float = 1.0,
        trace_resolution_s: float = 1.0,
        fallback: FallbackFactory | None = None,
    ) -> None:
        if not interval_s > 0:
            raise ValueError(f"interval_s must be > 0, got {interval_s}")
        if interval_s < MIN_INTERVAL_S:
            raise ValueError(f"interval_s must be >= {MIN_INTERVAL_S}, got {interval_s}")
        self._sensors = list(sensors)
        self._clock = clock or SystemClock()
        self.interval_s = interval_s
        self._fallback = fallback
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._devices: dict[str, Device] = {}
        self._owner: dict[str, int] = {}
        self._integ: dict[str, DeviceIntegrator] = {}
        self._trace: dict[str, TraceDownsampler] = {}
        self._held: dict[str, _Held] = {}
        self._relabel: dict[int, str] = {}
        self._t0 = 0.0
        self._t_last = 0.0
        self.warnings: list[str] = []
        for i, sensor in enumerate(self._sensors):
            for dev in sensor.devices:
                self._devices[dev.id] = dev
                self._owner[dev.id] = i
                self._integ[dev.id] = DeviceIntegrator(dev.id)
                self._trace[dev.id] = TraceDownsampler(dev.id, trace_resolution_s)

    @property
    def devices(self) -> tuple[Device, ...]:
        """Current devices (with fallback flags once a sensor failed)."""
        with self._lock:
            return tuple(self._devices.values())

    def start(self) -> None:
        """Take the baseline reading and start the thread."""
        self._t0 = self._clock.monotonic()
        self.sample_now()
        self._thread = threading.Thread(target=self._loop, name="wattprint-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and take a final reading."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self.sample_now()

    def _loop(self) -> None:
        next_t = self._clock.monotonic() + self.interval_s
        while True:
            timeout = max(0.0, next_t - self._clock.monotonic())
            if self._clock.wait(self._stop, timeout):
                return
            self.sample_now()
            self.refresh()
            # Keep a fixed cadence; after a long stall, resume from now.
            next_t = max(next_t + self.interval_s, self._clock.monotonic())

    def sample_now(self) -> None:
        """Read every sensor once, now."""
        with self._lock:
            t = self._clock.monotonic()
            self._t_last = t
            for i, sensor in enumerate(self._sensors):
                try:
                    readings = sensor.read(t)
                except Exception as exc:  # noqa: BLE001 — any sensor fault degrades, never aborts
                    self._fail(i, sensor, exc, t)
                    continue
                self._ingest(i, readings, t)
            for dev_id, held in self._held.items():
                self._ingest_one(Reading(dev_id, t, power_w=held.power_w), t)

    def refresh(self) -> None:
        """Run the sensors' slow upkeep (a process-tree rescan) outside the lock.

        The background thread calls this after each of its readings; readings
        and snapshots on other threads proceed meanwhile. The sensor still
        reads, but without what the upkeep would have found (processes started
        since), so the first failure of each sensor goes to :attr:`warnings`
        (and so into the run) and the log.
        """
        with self._lock:
            sensors = [s for s in self._sensors if isinstance(s, Refreshing)]
        for sensor in sensors:
            try:
                sensor.refresh()
            except Exception as exc:  # noqa: BLE001 — upkeep degrades, never aborts the thread
                note = (f"{sensor.name}: upkeep failed ({exc}); processes started since "
                        "are not counted")
                with self._lock:
                    if any(w.startswith(f"{sensor.name}: upkeep failed") for w in self.warnings):
                        continue
                    self.warnings.append(note)
                logger.warning("%s", note)

    def _ingest(self, sensor_index: int, readings: Sequence[Reading], t: float) -> None:
        relabel = self._relabel.get(sensor_index)
        for r in readings:
            if relabel is not None:
                r = replace(r, device_id=relabel)
            elif self._owner.get(r.device_id) != sensor_index:
                continue
            self._ingest_one(r, t)

    def _ingest_one(self, r: Reading, t: float) -> None:
        integ = self._integ[r.device_id]
        integ.feed(r)
        if integ.last_power_w is not None and integ.samples > 1:
            self._trace[r.device_id].add(t - self._t0, r, integ.last_power_w)

    def _fail(self, index: int, sensor: Sensor, exc: Exception, t: float) -> None:
        rel = t - self._t0
        failed = [d for d, owner in self._owner.items() if owner == index]
        for dev_id in failed:
            self._owner[dev_id] = -1
        self._sensors[index] = _DeadSensor()
        try:
            sensor.close()
        except Exception:  # noqa: BLE001 — already failing; closing is best effort
            logger.debug("closing failed sensor %s raised", sensor.name, exc_info=True)
        for dev_id in failed:
            self._fall_back(self._devices[dev_id], sensor.name, exc, rel)

    def _fall_back(self, dev: Device, sensor_name: str, exc: Exception, rel: float) -> None:
        replacement = self._fallback(dev) if self._fallback else None
        if replacement is not None:
            self._sensors.append(replacement)
            index = len(self._sensors) - 1
            self._relabel[index] = dev.id
            self._owner[dev.id] = index
            self._integ[dev.id].rebase()
            how = f"modelled by {replacement.name}"
        else:
            integ = self._integ[dev.id]
            elapsed = max((integ.last_t or self._t0) - self._t0, 1e-9)
            power = integ.energy_j / elapsed if integ.energy_j > 0 else (integ.last_power_w or 0.0)
            self._held[dev.id] = _Held(power)
            how = f"held at its mean power so far, {power:.1f} W"
        note = f"{sensor_name} failed at {rel:.1f} s ({exc}); {how} from then on"
        self._devices[dev.id] = replace(
            dev, method=Method.MODELLED, note="; ".join(x for x in (dev.note, note) if x)
        )
        self.warnings.append(f"{dev.id}: {note}")
        logger.warning("%s: %s", dev.id, note)

    def energy_by_device_j(self) -> dict[str, float]:
        """Energy so far per device id (J)."""
        with self._lock:
            return {d: i.energy_j for d, i in self._integ.items()}

    def power_by_device_w(self) -> dict[str, float | None]:
        """Power of each device at its latest reading (W); None before one is known.

        A power sensor gives its last sample; a counter gives the mean power
        between its last two readings. The Prometheus exporter shows these.
        """
        with self._lock:
            return {d: i.last_power_w for d, i in self._integ.items()}

    def elapsed_s(self) -> float:
        """Monotonic seconds from start to the last reading."""
        return self._t_last - self._t0

    def results(self) -> tuple[DeviceEnergy, ...]:
        """Per-device energy, peak power and sample counts."""
        with self._lock:
            return tuple(
                DeviceEnergy(self._devices[d], i.energy_j, i.peak_power_w, i.samples)
                for d, i in self._integ.items()
            )

    def trace(self) -> tuple[TracePoint, ...]:
        """The down-sampled trace of every device."""
        with self._lock:
            return tuple(p for ds in self._trace.values() for p in ds.points())

    def close(self) -> None:
        """Close every sensor."""
        for sensor in self._sensors:
            try:
                sensor.close()
            except Exception:  # noqa: BLE001 — closing is best effort
                logger.debug("closing sensor %s raised", sensor.name, exc_info=True)


class _DeadSensor:
    """Stands in for a failed sensor so indices stay stable."""

    name = "failed"
    devices: tuple[Device, ...] = ()

    def start(self) -> None:
        """Nothing to start."""

    def read(self, t_s: float) -> list[Reading]:
        """No readings."""
        return []

    def close(self) -> None:
        """Nothing to close."""
