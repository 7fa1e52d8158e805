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

New descendants are found by :meth:`ProcessTree.rescan`, a walk of every
``/proc`` entry. It is slow on a busy machine, so it is kept apart from the
reads: the sampler runs it outside its lock (in its own thread), and the next
:meth:`ProcessTree.cpu_seconds_delta` only swaps the processes it found in.
"""

from __future__ import annotations

import threading
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


_Key = tuple[int, float]  # (pid, create time): a pid reused later is another process


class ProcessTree:
    """CPU seconds and resident memory of a process and its descendants.

    Thread use: :meth:`rescan` may run in one thread while another calls
    :meth:`cpu_seconds_delta` (the two share only the hand-over of the found
    processes, under a short lock); calls of ``cpu_seconds_delta`` itself are
    serialised by the caller (the sampler's lock).

    Args:
        pid: Root of the tree.
        psutil: The ``psutil`` module or a stand-in with ``Process``,
            ``NoSuchProcess`` and ``AccessDenied``.
        rediscover_s: Least seconds between two scans by :meth:`rescan`.
        monotonic: Time source of that spacing.

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
        # Every process a scan has found (only scans touch it, one at a time).
        self._seen: set[_Key] = set()
        self._scanning = threading.Lock()
        # Found by a rescan, not yet taken up by cpu_seconds_delta.
        self._found: dict[_Key, _Tracked] = {}
        self._found_lock = threading.Lock()
        # CPU seconds already counted for dead children, per parent pid, that
        # the parent's children_* fields have not shown yet (the reap may land
        # after the read that saw the child gone).
        self._pending: dict[int, float] = {}
        self._tracked: dict[_Key, _Tracked] = self._scan()  # the baseline

    def rescan(self) -> None:
        """Look for new descendants, if ``rediscover_s`` has passed since the last scan.

        Reads every ``/proc`` entry, so callers run it outside any lock a
        reader waits on. Returns at once while another thread is scanning.
        The next :meth:`cpu_seconds_delta` counts what it found.
        """
        if not self._scanning.acquire(blocking=False):
            return
        try:
            now = self._monotonic()
            if now - self._last_scan < self._rediscover_s:
                return
            self._last_scan = now
            found = self._scan()
            with self._found_lock:
                for key, item in found.items():
                    self._found.setdefault(key, item)
        finally:
            self._scanning.release()

    def _scan(self) -> dict[_Key, _Tracked]:
        """The processes of the tree not seen before, with their CPU times now."""
        try:
            procs = [self._root, *self._root.children(recursive=True)]
        except self._gone:
            return {}
        found: dict[_Key, _Tracked] = {}
        for proc in procs:
            try:
                key = (int(proc.pid), float(proc.create_time()))
                if key in self._seen:
                    continue
                own, reaped = _times(proc)
                found[key] = _Tracked(proc, int(proc.ppid()), own, reaped)
            except self._gone:
                continue
        self._seen.update(found)
        return found

    def _adopt(self) -> float:
        """Track the processes the last rescan found; their CPU seconds until then.

        They were born since the baseline, so all of their time is new; what
        they use after the scan is counted by the read that follows.
        """
        with self._found_lock:
            found, self._found = self._found, {}
        self._tracked.update(found)
        return sum(item.own_s + item.reaped_s for item in found.values())

    def cpu_seconds_delta(self) -> float:
        """CPU seconds (user + system) the tree used since the last call.

        Includes the processes found by :meth:`rescan` since the last call.
        """
        delta = self._adopt()
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
        return delta

    def rss_bytes(self) -> float:
        """Resident memory of the live processes of the tree now (bytes).

        Shared pages are counted once per process, so this is an upper bound
        (PSS would be exact but costs a full ``smaps`` read per process).
        Covers the processes taken up by :meth:`cpu_seconds_delta` so far
        (see :meth:`rescan`).
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
