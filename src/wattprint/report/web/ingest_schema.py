"""The shape an ingested run must have, checked field by field — pure.

:func:`check_run` walks a decoded JSON body against the ``wattprint show
--json`` shape (:mod:`wattprint.store.serialize`) and raises
:class:`ValueError` naming the first bad field by its path
(``footprint.intensity.g_per_kwh: missing``), so a client learns what to fix
instead of reading a ``KeyError``. Derived figures (``energy_kwh``,
``co2e_kg``, ...) are not required: :func:`~wattprint.store.serialize.run_from_dict`
rebuilds them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from wattprint.model import DeviceKind, Method, RunStatus
from wattprint.store.serialize import parse_utc

#: Longest run id accepted (the tracker's are 36-character UUIDs).
MAX_ID_CHARS = 200

Check = Callable[[Any, str], None]


def _fail(path: str, reason: str) -> None:
    raise ValueError(f"{path}: {reason}")


def _text(value: Any, path: str) -> None:
    if not isinstance(value, str):
        _fail(path, f"expected text, got {type(value).__name__}")


def _number(value: Any, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(path, f"expected a number, got {type(value).__name__}")


def _bool(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        _fail(path, f"expected true or false, got {type(value).__name__}")


def _positive(value: Any, path: str) -> None:
    _number(value, path)
    if not value > 0:
        _fail(path, f"expected a positive number of seconds, got {value}")


def _integer(value: Any, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(path, f"expected an integer, got {type(value).__name__}")


def _time(value: Any, path: str) -> None:
    _text(value, path)
    try:
        parse_utc(value)
    except ValueError as e:
        _fail(path, f"expected an ISO 8601 UTC time, {e}")


def _enum(values: tuple[str, ...]) -> Check:
    def check(value: Any, path: str) -> None:
        if value not in values:
            _fail(path, f"expected one of {', '.join(values)}, got {value!r}")
    return check


def _nullable(inner: Check) -> Check:
    def check(value: Any, path: str) -> None:
        if value is not None:
            inner(value, path)
    return check


def _list(inner: Check) -> Check:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, list):
            _fail(path, f"expected a list, got {type(value).__name__}")
        for i, item in enumerate(value):
            inner(item, f"{path}[{i}]")
    return check


def _map(inner: Check) -> Check:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, Mapping):
            _fail(path, f"expected an object, got {type(value).__name__}")
        for key, item in value.items():
            inner(item, f"{path}.{key}")
    return check


def _object(required: Mapping[str, Check], optional: Mapping[str, Check] | None = None) -> Check:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, Mapping):
            _fail(path or "run", f"expected an object, got {type(value).__name__}")
        prefix = f"{path}." if path else ""
        for key, inner in required.items():
            if key not in value:
                _fail(prefix + key, "missing")
            inner(value[key], prefix + key)
        for key, inner in (optional or {}).items():
            if key in value:
                inner(value[key], prefix + key)
    return check


def _run_id(value: Any, path: str) -> None:
    _text(value, path)
    if not value.strip() or len(value) > MAX_ID_CHARS:
        _fail(path, f"expected 1 to {MAX_ID_CHARS} characters, got {len(value)}")


_INTENSITY = _object({"zone": _text, "g_per_kwh": _number, "source": _text},
                     {"year": _nullable(_integer), "resolution": _text})
_FOOTPRINT = _object(
    {"energy_kwh_by_kind": _map(_number), "pue": _number, "pue_source": _text,
     "intensity": _INTENSITY},
    {"embodied_co2e_kg": _nullable(_number), "water_l": _nullable(_number)},
)
_DEVICE = _object(
    {"id": _text, "kind": _enum(tuple(k.value for k in DeviceKind)), "index": _integer,
     "name": _text, "method": _enum(tuple(m.value for m in Method)), "sensor": _text,
     "energy_j": _number},
    {"source": _text, "note": _text, "peak_power_w": _number, "samples": _integer},
)
_PHASE = _object({"name": _text, "started_utc": _time, "ended_utc": _time,
                  "duration_s": _number, "energy_by_device_j": _map(_number)})
_TRACE = _object({"device_id": _text, "t_s": _number, "power_w": _number},
                 {"utilisation_pct": _nullable(_number),
                  "memory_used_bytes": _nullable(_number),
                  "temperature_c": _nullable(_number)})
_RUN = _object(
    {"id": _run_id, "project": _text, "status": _enum(tuple(s.value for s in RunStatus)),
     "started_utc": _time, "duration_s": _number, "host": _text,
     "zone": _object({"zone": _text, "how": _text}, {"note": _text}),
     "footprint": _FOOTPRINT},
    {"ended_utc": _nullable(_time), "experiment": _text, "model": _text,
     "tags": _list(_text), "command": _text, "exit_code": _nullable(_integer),
     "error": _text, "flops": _nullable(_number), "warnings": _list(_text),
     "metrics": _map(_number), "devices": _list(_DEVICE), "phases": _list(_PHASE),
     "trace": _list(_TRACE),
     # Delivery fields, not part of the run: one host's part of a shared run,
     # and the writer's heartbeat (Ledger.save_part / save_run(stale_after_s=)).
     "part": _bool, "stale_after_s": _nullable(_positive)},
)


def check_run(value: Any) -> None:
    """Check ``value`` has the run JSON shape.

    Raises:
        ValueError: ``<field path>: <reason>`` for the first bad field.
    """
    _RUN(value, "")
