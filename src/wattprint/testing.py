"""Fakes for testing pipelines that use wattprint, shipped with the package.

``FakeClock`` never sleeps; ``FakeSensor`` replays a scripted power or energy
trace. wattprint's own tests use these same classes.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from wattprint.model import Device, DeviceKind, Method, Reading


class FakeClock:
    """A clock that moves only when the test moves it.

    ``advance()`` moves both clocks; ``jump_wall()`` moves only the wall
    clock, like an NTP step. ``wait()`` returns once the event is set or the
    fake time has reached the deadline, so a sampler thread driven by a fake
    clock samples exactly when the test advances time past its interval.
    """

    def __init__(
        self,
        monotonic_s: float = 1000.0,
        now: datetime = datetime(2024, 1, 1, tzinfo=timezone.utc),
    ) -> None:
        if now.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._mono = monotonic_s
        self._now = now
        self._cond = threading.Condition()

    def monotonic(self) -> float:
        """Fake monotonic seconds."""
        with self._cond:
            return self._mono

    def now(self) -> datetime:
        """Fake UTC now."""
        with self._cond:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move both clocks forward by ``seconds`` and wake waiters."""
        with self._cond:
            self._mono += seconds
            self._now += timedelta(seconds=seconds)
            self._cond.notify_all()

    def jump_wall(self, seconds: float) -> None:
        """Move only the wall clock (an NTP step or manual change); monotonic stays."""
        with self._cond:
            self._now += timedelta(seconds=seconds)

    def wait(self, event: threading.Event, timeout_s: float) -> bool:
        """Block until ``event`` is set or fake time passes ``timeout_s``."""
        with self._cond:
            deadline = self._mono + timeout_s
            while not event.is_set() and self._mono < deadline:
                # Short real waits only to notice the event, which cannot notify us.
                self._cond.wait(0.005)
            return event.is_set()


class FakeSensor:
    """Replays a power trace for one device, for tests and demos.

    Args:
        trace_w: ``(t_s, power_w)`` points relative to :meth:`start`; power is
            held constant after the last point. Read times are relative to the
            first ``read()`` call's ``t_s``.
        kind: Device kind to report.
        as_counter: Report a cumulative energy counter (exact integral of the
            piecewise-linear trace) instead of power samples.
        counter_max_j: Wrap the counter at this value, to test wrap-around.
        fail_after_reads: Raise ``SensorError`` on every read after this many.
    """

    name = "fake"

    def __init__(
        self,
        trace_w: Sequence[tuple[float, float]] = ((0.0, 100.0),),
        *,
        kind: DeviceKind = DeviceKind.CPU,
        index: int = 0,
        as_counter: bool = False,
        counter_max_j: float | None = None,
        fail_after_reads: int | None = None,
    ) -> None:
        if not trace_w:
            raise ValueError("trace_w needs at least one (t_s, power_w) point")
        self._trace = sorted(trace_w)
        self._as_counter = as_counter
        self._counter_max_j = counter_max_j
        self._fail_after = fail_after_reads
        self._reads = 0
        self._t0: float | None = None
        method = Method.COUNTER if as_counter else Method.SAMPLED
        self._device = Device(
            id=f"{kind.value}:{index}" if kind is not DeviceKind.RAM else "ram",
            kind=kind,
            index=index,
            name="Fake device",
            method=method,
            sensor="fake",
            source="scripted trace",
        )

    @property
    def devices(self) -> tuple[Device, ...]:
        """The one fake device."""
        return (self._device,)

    def start(self) -> None:
        """Nothing to detect."""

    def power_at(self, rel_s: float) -> float:
        """Trace power at ``rel_s`` seconds (linear between points)."""
        pts = self._trace
        if rel_s <= pts[0][0]:
            return pts[0][1]
        for (t0, p0), (t1, p1) in zip(pts, pts[1:], strict=False):
            if t0 <= rel_s <= t1:
                return p0 if t1 == t0 else p0 + (p1 - p0) * (rel_s - t0) / (t1 - t0)
        return pts[-1][1]

    def energy_between(self, a_s: float, b_s: float, steps: int = 2000) -> float:
        """Exact-enough integral of the trace from ``a_s`` to ``b_s`` (J)."""
        if b_s <= a_s:
            return 0.0
        h = (b_s - a_s) / steps
        total = 0.5 * (self.power_at(a_s) + self.power_at(b_s))
        total += sum(self.power_at(a_s + i * h) for i in range(1, steps))
        return total * h

    def read(self, t_s: float) -> list[Reading]:
        """Power (or counter) at ``t_s``."""
        from wattprint.errors import SensorError

        self._reads += 1
        if self._fail_after is not None and self._reads > self._fail_after:
            raise SensorError("fake sensor failure")
        if self._t0 is None:
            self._t0 = t_s
        rel = t_s - self._t0
        if self._as_counter:
            energy = self.energy_between(0.0, rel)
            if self._counter_max_j:
                energy %= self._counter_max_j
            return [
                Reading(self._device.id, t_s, energy_j=energy, counter_max_j=self._counter_max_j)
            ]
        return [Reading(self._device.id, t_s, power_w=self.power_at(rel))]

    def close(self) -> None:
        """Nothing to release."""


class FakeProvider:
    """An intensity provider that serves series given in advance, for tests and demos.

    ``current()`` answers the value at the injected clock's now; ``history``
    and ``forecast`` slice the stored series. A zone without a series raises
    :class:`~wattprint.errors.ProviderError`, like a live provider would.

    Example::

        provider = FakeProvider({"DE": series}, clock=FakeClock(now=...))
    """

    name = "fake"

    def __init__(self, series: dict[str, Any], clock: Any = None) -> None:
        self._series = dict(series)
        self._clock = clock
        self.calls: list[tuple[str, str]] = []

    def _get(self, zone: str) -> Any:
        from wattprint.errors import ProviderError

        if zone not in self._series:
            raise ProviderError(f"fake provider has no data for zone {zone}")
        return self._series[zone]

    def current(self, zone: str) -> Any:
        """Value at the clock's now (or the last value without a clock)."""
        from wattprint.model import Intensity

        self.calls.append(("current", zone))
        series = self._get(zone)
        now = self._clock.now() if self._clock is not None else series.end_utc - timedelta(
            seconds=series.step_s)
        return Intensity(zone, series.value_at(now), series.source or "fake", None,
                         f"{series.step_s}s")

    def history(self, zone: str, start_utc: datetime, end_utc: datetime) -> Any:
        """The stored series between the two instants."""
        self.calls.append(("history", zone))
        return self._get(zone).between(start_utc, end_utc)

    def forecast(self, zone: str, start_utc: datetime, end_utc: datetime) -> Any:
        """The stored series between the two instants, marked as a forecast."""
        from dataclasses import replace

        self.calls.append(("forecast", zone))
        return replace(self._get(zone).between(start_utc, end_utc), kind="forecast")

    def probe(self) -> Any:
        """Always available."""
        from wattprint.intensity.providers.base import ProviderStatus

        return ProviderStatus(self.name, True)
