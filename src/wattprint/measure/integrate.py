"""Pure energy integration: counters exactly, power samples by trapezoid.

No threads, files or clocks here: the sampler feeds :class:`DeviceIntegrator`
readings stamped with monotonic time, and tests feed it scripted ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from wattprint.model import Reading, TracePoint


@dataclass
class DeviceIntegrator:
    """Accumulates one device's energy from successive readings.

    Counter readings (``energy_j`` set) contribute the difference to the
    previous counter value. A decrease means the counter wrapped: with a known
    ``counter_max_j`` the wrap is unwound (``delta + max``); without one the
    counter was reset (driver reload), so that interval counts nothing and
    ``resets`` is incremented rather than guessing. Power readings contribute
    the trapezoid ``(p0 + p1) / 2 × dt``. Readings whose time does not advance
    are ignored for energy, so duplicate or out-of-order stamps cannot add
    energy.
    """

    device_id: str
    energy_j: float = 0.0
    peak_power_w: float = 0.0
    samples: int = 0
    resets: int = 0
    last_power_w: float | None = None
    _last_t: float | None = field(default=None, repr=False)
    _last_counter_j: float | None = field(default=None, repr=False)

    def feed(self, reading: Reading) -> float:
        """Add one reading; return the energy it added (J)."""
        t = reading.t_s
        self.samples += 1
        if self._last_t is not None and t <= self._last_t:
            return 0.0
        dt = None if self._last_t is None else t - self._last_t
        added = 0.0
        if reading.energy_j is not None:
            added = self._feed_counter(reading.energy_j, reading.counter_max_j)
            power = reading.power_w
            if power is None and dt:
                power = added / dt
        else:
            power = reading.power_w
            if power is not None and dt and self.last_power_w is not None:
                added = 0.5 * (self.last_power_w + power) * dt
        if power is not None:
            self.last_power_w = power
            self.peak_power_w = max(self.peak_power_w, power)
        self._last_t = t
        self.energy_j += added
        return added

    @property
    def last_t(self) -> float | None:
        """Monotonic time of the last accepted reading."""
        return self._last_t

    def rebase(self) -> None:
        """Forget the last counter value (the device's source changed)."""
        self._last_counter_j = None

    def _feed_counter(self, counter_j: float, counter_max_j: float | None) -> float:
        last = self._last_counter_j
        self._last_counter_j = counter_j
        if last is None:
            return 0.0
        delta = counter_j - last
        if delta >= 0:
            return delta
        if counter_max_j:
            return delta + counter_max_j
        self.resets += 1
        return 0.0


def integrate(readings: Iterable[Reading]) -> float:
    """Energy (J) of one device's readings, in time order."""
    integ = DeviceIntegrator(device_id="")
    for reading in readings:
        integ.feed(reading)
    return integ.energy_j


@dataclass
class _Bucket:
    start_s: float
    power_sum: float = 0.0
    util_sum: float = 0.0
    util_n: int = 0
    mem_max: float | None = None
    temp_max: float | None = None
    n: int = 0


class TraceDownsampler:
    """Keeps a bounded, evenly down-sampled power trace for one device.

    Points are averaged into buckets of ``resolution_s``; when a device has
    more than ``max_points`` buckets, neighbours are merged and the resolution
    doubles, so memory stays bounded for runs of any length.
    """

    def __init__(self, device_id: str, resolution_s: float = 1.0, max_points: int = 2000) -> None:
        if resolution_s <= 0 or max_points < 2:
            raise ValueError("resolution_s must be > 0 and max_points >= 2")
        self.device_id = device_id
        self.resolution_s = resolution_s
        self.max_points = max_points
        self._buckets: list[_Bucket] = []

    def add(self, rel_s: float, reading: Reading, power_w: float) -> None:
        """Add a point at ``rel_s`` seconds from the run start."""
        start = rel_s - rel_s % self.resolution_s
        if not self._buckets or self._buckets[-1].start_s < start:
            self._buckets.append(_Bucket(start))
            if len(self._buckets) > self.max_points:
                self._halve()
        b = self._buckets[-1]
        b.n += 1
        b.power_sum += power_w
        if reading.utilisation_pct is not None:
            b.util_sum += reading.utilisation_pct
            b.util_n += 1
        if reading.memory_used_bytes is not None:
            b.mem_max = max(b.mem_max or 0.0, reading.memory_used_bytes)
        if reading.temperature_c is not None:
            b.temp_max = max(b.temp_max or -273.15, reading.temperature_c)

    def _halve(self) -> None:
        self.resolution_s *= 2
        merged: list[_Bucket] = []
        for b in self._buckets:
            start = b.start_s - b.start_s % self.resolution_s
            if merged and merged[-1].start_s == start:
                m = merged[-1]
                m.n += b.n
                m.power_sum += b.power_sum
                m.util_sum += b.util_sum
                m.util_n += b.util_n
                m.mem_max = _max_opt(m.mem_max, b.mem_max)
                m.temp_max = _max_opt(m.temp_max, b.temp_max)
            else:
                b.start_s = start
                merged.append(b)
        self._buckets = merged

    def points(self) -> list[TracePoint]:
        """The trace so far, one point per bucket."""
        return [
            TracePoint(
                device_id=self.device_id,
                t_s=b.start_s,
                power_w=b.power_sum / b.n,
                utilisation_pct=b.util_sum / b.util_n if b.util_n else None,
                memory_used_bytes=b.mem_max,
                temperature_c=b.temp_max,
            )
            for b in self._buckets
            if b.n
        ]


def _max_opt(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)
