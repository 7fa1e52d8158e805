"""The spool: runs waiting for the collector, one JSON file per run id.

Files are ``run-<id>.json`` (the ``wattprint show --json`` shape) written
atomically (a temporary file, then :func:`os.replace`), so a reader never
sees half a run and a later record of the same run replaces the earlier
one. A file is deleted only after the collector answered 2xx for exactly
its content (:meth:`Spool.discard` compares first, so a newer record written
meanwhile stays). A run the collector refuses for good (400, 413, 422) is
moved to ``rejected/`` with the reason beside it, never silently dropped.

Several processes of one host may share a spool (trackers, ``wattprint
collector flush``): writes, discards and rejections hold the folder's
``.lock`` file (:mod:`filelock`) as well as a thread lock, so a discard's
compare-then-delete cannot remove a newer record another process wrote in
between.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def default_spool_dir() -> Path:
    """``<user data dir>/wattprint/spool``."""
    import platformdirs

    return Path(platformdirs.user_data_dir("wattprint")) / "spool"


class Spool:
    """A folder of runs not yet delivered; safe to share between threads and processes.

    Args:
        directory: The folder (created on first write).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._thread_lock = threading.Lock()

    @contextmanager
    def _lock(self) -> Iterator[None]:
        """Hold the folder against this process's threads and other processes."""
        with self._thread_lock:
            self.directory.mkdir(parents=True, exist_ok=True)
            with FileLock(self.lock_path):
                yield

    @property
    def lock_path(self) -> Path:
        """The file other processes lock to change the spool."""
        return self.directory / ".lock"

    def path_of(self, run_id: str) -> Path:
        """The file that holds ``run_id``."""
        return self.directory / f"run-{_UNSAFE_NAME.sub('_', run_id)}.json"

    def put(self, run_id: str, text: str) -> Path:
        """Write (or replace) the record of ``run_id`` atomically; returns its path.

        Raises:
            OSError: The folder cannot be written.
        """
        with self._lock():
            fd, tmp = tempfile.mkstemp(prefix=".run-", suffix=".tmp", dir=self.directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(text)
                    f.flush()
                    os.fsync(f.fileno())
                target = self.path_of(run_id)
                os.replace(tmp, target)
                return target
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

    def paths(self) -> list[Path]:
        """Spooled files, oldest first."""
        if not self.directory.is_dir():
            return []
        found = []
        for path in self.directory.glob("run-*.json"):
            try:
                found.append((path.stat().st_mtime_ns, path.name, path))
            except FileNotFoundError:  # delivered by another thread meanwhile
                continue
        return [path for _, _, path in sorted(found)]

    def discard(self, path: Path, sent: str) -> bool:
        """Delete ``path`` if it still holds ``sent``; True when deleted."""
        with self._lock():
            try:
                if path.read_text(encoding="utf-8") != sent:
                    return False
            except FileNotFoundError:
                return False
            path.unlink(missing_ok=True)
            return True

    def reject(self, path: Path, reason: str) -> Path:
        """Move ``path`` to ``rejected/`` with ``<name>.reason.txt``; returns the new path."""
        with self._lock():
            folder = self.directory / "rejected"
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / path.name
            os.replace(path, target)
            target.with_suffix(".reason.txt").write_text(reason + "\n", encoding="utf-8")
            return target

    def rejected(self) -> list[Path]:
        """Files the collector refused for good."""
        folder = self.directory / "rejected"
        return sorted(folder.glob("run-*.json")) if folder.is_dir() else []

    def size_bytes(self) -> int:
        """Total size of the spooled (not rejected) files."""
        total = 0
        for path in self.paths():
            try:
                total += path.stat().st_size
            except FileNotFoundError:
                continue
        return total
