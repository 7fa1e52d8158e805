"""An on-disk JSON cache with a time-to-live for live provider answers.

Live intensity APIs are rate limited and change at most every few minutes,
so the shared HTTP client (:mod:`wattprint.intensity.providers.http`) keeps
each decoded JSON answer in one small file per request. The key is a SHA-256
of the URL and its query parameters only: credentials travel in headers or
basic auth, never in the key or the stored file, so two users with different
tokens share (public) intensity data but never a secret.

Writes are atomic (temporary file + ``os.replace``); a corrupt or foreign
file reads as a miss. Time comes from an injected clock, so tests expire
entries by advancing a :class:`~wattprint.testing.FakeClock`.

Example::

    cache = JsonCache(tmp_path, ttl_s=600, clock=FakeClock())
    cache.put("https://api.example/v3/latest", {"zone": "DE"}, {"carbonIntensity": 300})
    cache.get("https://api.example/v3/latest", {"zone": "DE"})   # -> {...}
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wattprint.clock import Clock, SystemClock

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: Stored-file format version; bump when the layout changes so old files read as misses.
_FORMAT = 1


def default_cache_dir() -> Path:
    """``<user cache dir>/wattprint/http`` (platformdirs)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("wattprint")) / "http"


class JsonCache:
    """JSON answers on disk, keyed by URL and query parameters, valid for ``ttl_s``.

    Args:
        directory: Where the files live; default :func:`default_cache_dir`
            (resolved here, not at import time). Created on first write.
        ttl_s: Seconds an entry stays fresh; ``0`` disables reading and writing.
        clock: Source of UTC wall time (default: the system clock).
    """

    def __init__(
        self, directory: Path | None = None, ttl_s: float = 600.0, clock: Clock | None = None
    ) -> None:
        if ttl_s < 0:
            raise ValueError(f"cache ttl_s must be >= 0, got {ttl_s}")
        self.directory = directory if directory is not None else default_cache_dir()
        self.ttl_s = float(ttl_s)
        self._clock: Clock = clock if clock is not None else SystemClock()

    @staticmethod
    def key(url: str, params: Mapping[str, Any] | None = None) -> str:
        """Hex digest naming the entry of one request (URL + sorted parameters)."""
        canonical = json.dumps([url, sorted((str(k), str(v)) for k, v in (params or {}).items())])
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def path_for(self, url: str, params: Mapping[str, Any] | None = None) -> Path:
        """The file that holds (or would hold) the entry."""
        return self.directory / f"{self.key(url, params)}.json"

    def get(self, url: str, params: Mapping[str, Any] | None = None) -> Any | None:
        """The stored body when present and younger than ``ttl_s``, else ``None``."""
        if self.ttl_s <= 0:
            return None
        path = self.path_for(url, params)
        try:
            entry = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("format") != _FORMAT:
            return None
        age_s = self._now_s() - float(entry.get("stored_at_s", 0.0))
        if not 0 <= age_s < self.ttl_s:
            logger.debug("cache entry for %s expired (%.0f s old)", url, age_s)
            return None
        return entry.get("body")

    def put(self, url: str, params: Mapping[str, Any] | None, body: Any) -> None:
        """Store ``body``; a failure to write is logged and otherwise ignored."""
        if self.ttl_s <= 0:
            return
        entry = {
            "format": _FORMAT, "url": url,
            "params": {str(k): str(v) for k, v in (params or {}).items()},
            "stored_at_s": self._now_s(), "body": body,
        }
        target = self.path_for(url, params)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entry, fh)
            os.replace(tmp, target)
        except OSError as exc:
            # A read-only home must not break a run: the answer is still returned.
            logger.warning("cannot write provider cache %s: %s", target, exc)

    def clear(self) -> int:
        """Delete every entry; return how many files were removed."""
        removed = 0
        for path in self.directory.glob("*.json") if self.directory.is_dir() else ():
            path.unlink(missing_ok=True)
            removed += 1
        return removed

    def _now_s(self) -> float:
        return self._clock.now().timestamp()
