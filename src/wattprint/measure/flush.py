"""When the tracker writes its running run: at most one flush interval between readings kept.

A kill -9 loses the energy since the reading of the last *committed* write.
A write is a snapshot (a sensor read, which can wait for the sampler, e.g.
during a process-tree rescan) plus a commit, so writes that merely *start*
every interval leave up to one interval plus that cost unrecorded. The
schedule therefore starts each write early by a margin: 1.5 × the longest of
the last few writes (capped at half an interval), so a write usually commits
before the next interval is up. Pure: times come from the caller's monotonic
clock.
"""

from __future__ import annotations

from collections import deque


class FlushSchedule:
    """Deadlines on a fixed grid of ``interval_s``, each moved earlier by the margin.

    Args:
        first_due: Monotonic time of the first periodic write (start + interval).
        interval_s: The flush interval: the bound on what a kill loses.
        window: How many recent write costs the margin looks at.
    """

    def __init__(self, first_due: float, interval_s: float, *, window: int = 8) -> None:
        self.interval_s = interval_s
        self._due = first_due
        self._costs: deque[float] = deque(maxlen=window)

    @property
    def margin_s(self) -> float:
        """How much earlier than the grid the next write starts."""
        if not self._costs:
            return 0.0
        return min(0.5 * self.interval_s, 1.5 * max(self._costs))

    def wait_s(self, now: float) -> float:
        """Seconds to wait from ``now`` until the next write should start."""
        return max(0.0, self._due - self.margin_s - now)

    def observe(self, began: float, ended: float) -> None:
        """Record the cost of a write off the grid (the first one, at start)."""
        self._costs.append(max(0.0, ended - began))

    def wrote(self, began: float, ended: float) -> None:
        """Record one write's cost and move to the next grid point (skipping missed ones)."""
        self.observe(began, ended)
        self._due += self.interval_s
        while self._due - self.margin_s < ended:
            self._due += self.interval_s
