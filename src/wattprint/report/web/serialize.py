"""JSON shapes of the API: dataclasses to plain dicts, times as ISO 8601 UTC (``Z``).

Non-finite numbers become ``null``, so every answer is valid JSON (and
``JSON.parse`` accepts every embedded figure).
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any


def to_json(value: Any) -> Any:
    """``value`` as JSON-ready data (dataclass fields, mappings, sequences, times)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return to_json(value.value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


def iso(value: datetime) -> str:
    """``2026-01-02T23:30:00Z`` (microseconds kept when there are any)."""
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def change_pct(now: float, before: float) -> float | None:
    """Change from ``before`` to ``now`` in percent; None when ``before`` is 0."""
    if before == 0:
        return None if now else 0.0
    return 100.0 * (now - before) / before
