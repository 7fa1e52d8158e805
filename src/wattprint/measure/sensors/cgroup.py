"""cgroup v2 CPU quota and usage, read from files under injectable roots.

A container limited to two CPUs on a 64-CPU host may only burn two CPUs'
worth of power; the CPU model uses the quota found here as its CPU count.
Only cgroup v2 (the unified hierarchy, ``0::/path`` in ``/proc/<pid>/cgroup``)
is read; on v1 hosts no quota is found and the whole machine is assumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath


def parse_cpu_max(text: str) -> float | None:
    """CPUs allowed by a ``cpu.max`` line: ``"200000 100000"`` → 2.0, ``"max …"`` → None.

    Malformed content gives None (no limit assumed) rather than an error.
    """
    parts = text.split()
    if not parts or parts[0] == "max":
        return None
    try:
        quota_us = float(parts[0])
        period_us = float(parts[1]) if len(parts) > 1 else 100_000.0
    except ValueError:
        return None
    if quota_us <= 0 or period_us <= 0:
        return None
    return quota_us / period_us


def cgroup_path(proc_cgroup_text: str) -> str | None:
    """The v2 cgroup path from ``/proc/<pid>/cgroup`` content (the ``0::`` line)."""
    for line in proc_cgroup_text.splitlines():
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if hierarchy == "0" and controllers == "":
            return path.strip() or "/"
    return None


@dataclass(frozen=True)
class CpuLimit:
    """The tightest cgroup v2 CPU quota over a cgroup and its ancestors.

    Attributes:
        cpus: Allowed CPUs (quota / period), or None when unlimited.
        directory: The process's own cgroup directory (for ``cpu.stat``).
    """

    cpus: float | None
    directory: Path | None


def cpu_limit(pid: int | None, proc_root: Path, cgroup_root: Path) -> CpuLimit:
    """Find the CPU quota that applies to ``pid`` (``None``: this process).

    Every ``cpu.max`` from the process's cgroup up to ``cgroup_root`` is read
    and the smallest quota wins, as the kernel enforces all of them.
    """
    who = "self" if pid is None else str(pid)
    try:
        text = (proc_root / who / "cgroup").read_text(encoding="utf-8")
    except OSError:
        return CpuLimit(None, None)
    rel = cgroup_path(text)
    if rel is None:
        return CpuLimit(None, None)
    own = cgroup_root / rel.lstrip("/")
    limits = []
    for part in [PurePosixPath(rel), *PurePosixPath(rel).parents]:
        directory = cgroup_root / str(part).lstrip("/")
        try:
            limit = parse_cpu_max((directory / "cpu.max").read_text(encoding="ascii"))
        except OSError:
            continue
        if limit is not None:
            limits.append(limit)
    return CpuLimit(min(limits) if limits else None, own)


def usage_s(directory: Path) -> float | None:
    """CPU seconds used by a cgroup so far (``usage_usec`` of ``cpu.stat``)."""
    try:
        text = (directory / "cpu.stat").read_text(encoding="ascii")
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == "usage_usec":
            try:
                return float(value) / 1e6
            except ValueError:
                return None
    return None
