"""Injectable clocks.

Durations and energy integration use :meth:`Clock.monotonic`; records carry
UTC wall time from :meth:`Clock.now`. Tests pass a
:class:`wattprint.testing.FakeClock` so nothing sleeps in real time.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import Protocol


class Clock(Protocol):
    """Source of monotonic seconds, UTC wall time and waiting."""

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps (wall-clock changes do not affect it)."""
        ...

    def now(self) -> datetime:
        """The current time as an aware UTC datetime."""
        ...

    def wait(self, event: threading.Event, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for ``event``; return True if it was set."""
        ...


class SystemClock:
    """The real clock: ``time.monotonic`` and ``datetime.now(timezone.utc)``."""

    def monotonic(self) -> float:
        """Seconds from ``time.monotonic()``."""
        return time.monotonic()

    def now(self) -> datetime:
        """Aware UTC now."""
        return datetime.now(timezone.utc)

    def wait(self, event: threading.Event, timeout_s: float) -> bool:
        """Block on ``event`` for at most ``timeout_s`` seconds."""
        return event.wait(timeout_s)
