"""CPU time and memory of a process tree, for the process-scoped models.

CPU time is already an integral, so the tree's CPU seconds between two reads
are exact — as long as no process's time is lost when it exits. Three rules
keep it:

* every process ever seen stays tracked by its ``psutil.Process`` object, so a
  grandchild re-parented to init when its parent dies is still counted;
* a process that has gone keeps the CPU time it had when last seen;
* when a tracked parent reaps children, the kernel adds their final times to
  the parent's ``children_user``/``children_system``; the growth of those
  fields, minus what was already counted for the reaped children (carried
  until the parent shows it, as the reap may land after the read), adds the
  CPU time they used after the last read (and all of it for children born and
  reaped between two reads). Where the parent ignores ``SIGCHLD`` the kernel
  adds nothing, and only the part after the last read is lost.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Seconds between scans for new descendants. A scan reads every /proc entry,
#: and in a sampler thread each read gives the GIL away to a CPU-bound main
#: thread for up to the switch interval, so scans are kept rare; the CPU time
#: of a child born and reaped between scans still arrives through its parent's
#: ``children_*`` times.
REDISCOVER_S = 5.0


@dataclass
class _Tracked:
    proc: Any
    ppid: int
    own_s: float
    reaped_s: float
    alive: bool = True


def _times(proc: Any) -> tuple[float, float]:
    """(own CPU s, reaped children's CPU s) of one process."""
    t = proc.cpu_times()
    own = float(t.user) + float(t.system)
    reaped = float(getattr(t, "children_user", 0.0)) + float(getattr(t, "children_system", 0.0))
    return own, reaped


class ProcessTree:
    """CPU seconds and resident memory of a process and its descendants.

    Args:
        pid: Root of the tree.
        psutil: The ``psutil`` module or a stand-in with ``Process``,
            ``NoSuchProcess`` and ``AccessDenied``.

    Raises:
        psutil.NoSuchProcess: From the constructor when ``pid`` does not exist.
    """

    def __init__(
        self,
        pid: int,
        psutil: Any,
        *,
        rediscover_s: float = REDISCOVER_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ps = psutil
        self._rediscover_s = rediscover_s
        self._monotonic = monotonic
        self._last_scan = monotonic()
        self._gone = (psutil.NoSuchProcess, psutil.AccessDenied)
        self._root = psutil.Process(pid)
        self._tracked: dict[tuple[int, float], _Tracked] = {}
        # CPU seconds already counted for dead children, per parent pid, that
        # the parent's children_* fields have not shown yet (the reap may land
        # after the read that saw the child gone).
        self._pending: dict[int, float] = {}
        self._discover(baseline=True)

    def _key(self, proc: Any) -> tuple[int, float]:
        return int(proc.pid), float(proc.create_time())

    def _discover(self, *, baseline: bool = False) -> float:
        """Track new descendants; return CPU seconds of those new since baseline."""
        now = self._monotonic()
        if not baseline and now - self._last_scan < self._rediscover_s:
            return 0.0
        self._last_scan = now
        try:
            procs = [self._root, *self._root.children(recursive=True)]
        except self._gone:
            procs = []
        added = 0.0
        for proc in procs:
            try:
                key = self._key(proc)
                if key in self._tracked:
                    continue
                own, reaped = _times(proc)
                self._tracked[key] = _Tracked(proc, int(proc.ppid()), own, reaped)
            except self._gone:
                continue
            if not baseline:
                added += own + reaped  # born since the last read: all of it is new
        return added

    def cpu_seconds_delta(self) -> float:
        """CPU seconds (user + system) the tree used since the last call."""
        delta = 0.0
        newly_dead: list[_Tracked] = []
        grew: dict[int, float] = {}
        for item in self._tracked.values():
            if not item.alive:
                continue
            try:
                own, reaped = _times(item.proc)
            except self._gone:
                item.alive = False
                newly_dead.append(item)
                continue
            delta += max(own - item.own_s, 0.0)
            grew[int(item.proc.pid)] = max(reaped - item.reaped_s, 0.0)
            item.own_s, item.reaped_s = own, reaped
        for item in newly_dead:
            self._pending[item.ppid] = (
                self._pending.get(item.ppid, 0.0) + item.own_s + item.reaped_s
            )
        for pid, growth in grew.items():
            already = min(growth, self._pending.get(pid, 0.0))
            delta += growth - already
            self._pending[pid] = self._pending.get(pid, 0.0) - already
        # A parent that is gone can no longer reap: forget what it owed.
        self._pending = {p: v for p, v in self._pending.items() if p in grew and v > 0}
        return delta + self._discover()

    def rss_bytes(self) -> float:
        """Resident memory of the live processes of the tree now (bytes).

        Shared pages are counted once per process, so this is an upper bound
        (PSS would be exact but costs a full ``smaps`` read per process).
        Covers the processes found by the last scan (see ``REDISCOVER_S``).
        """
        total = 0.0
        for proc in [t.proc for t in self._tracked.values() if t.alive]:
            try:
                total += float(proc.memory_info().rss)
            except self._gone:
                continue  # exited (or a zombie): holds no memory
        return total

    @property
    def alive(self) -> bool:
        """Whether any process of the tree is still running."""
        return any(item.alive for item in self._tracked.values())
