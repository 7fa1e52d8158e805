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
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is list or kind is tuple:
        return [to_json(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: to_json(getattr(value, name)) for name in _fields(kind)}
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


_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(kind: type) -> tuple[str, ...]:
    """Field names of a dataclass type (looked up once per type)."""
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(kind))
    return names


def iso(value: datetime) -> str:
    """``2026-01-02T23:30:00Z`` (microseconds kept when there are any)."""
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def change_pct(now: float, before: float) -> float | None:
    """Change from ``before`` to ``now`` in percent; None when ``before`` is 0."""
    if before == 0:
        return None if now else 0.0
    return 100.0 * (now - before) / before
