"""Checks of the values in a variants file (``wattprint compare``), one message per bad value.

Each check takes the raw value, the key it was read from and where it came
from (the file), and returns the value in its proper type or raises
:class:`~wattprint.errors.ConfigError` naming the key and the source.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Mapping
from typing import Any

from wattprint.errors import ConfigError


def seconds(value: Any, key: str = "timeout_s", source: str = "") -> float | None:
    """A number of seconds > 0 (finite), as a float; None stays None.

    Raises:
        ConfigError: ``"[<source>: ]<key>: expected a number of seconds > 0, got <value>"``.
    """
    if value is None:
        return None
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not math.isfinite(value) or value <= 0):
        where = f"{source}: {key}" if source else key
        raise ConfigError(f"{where}: expected a number of seconds > 0, got {value!r}")
    return float(value)


def setup(raw: Any, source: str) -> tuple[str, ...]:
    """The ``setup`` command as arguments (a string is split like a shell)."""
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = shlex.split(raw)
    if not isinstance(raw, list) or not raw or not all(isinstance(a, str) for a in raw):
        raise ConfigError(f"{source}: setup: expected a command (a string or a list of "
                          f"arguments), got {raw!r}")
    return tuple(raw)


def env(raw: Any, where: str) -> dict[str, str]:
    """A variant's ``env``: names to text (numbers are written out)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: env: expected a mapping of NAME: value")
    found = {}
    for name, value in raw.items():
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ConfigError(f"{where}: env.{name}: expected text or a number, got {value!r}")
        found[str(name)] = str(value)
    return found


def known(data: Mapping[str, Any], keys: tuple[str, ...], prefix: str, source: str) -> None:
    """Refuse a key that is not one of ``keys``."""
    for key in data:
        if key not in keys:
            raise ConfigError(f"{source}: unknown key '{prefix}{key}'; known: {', '.join(keys)}")


def mapping(value: Any, key: str, source: str) -> None:
    """Refuse a value that is not a mapping."""
    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: {key}: expected a mapping, got {value!r}")


def text(value: Any, key: str, source: str) -> str:
    """Text (a number is written out), stripped; None is ``""``."""
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ConfigError(f"{source}: {key}: expected text, got {value!r}")
    return str(value).strip()


def repeat(value: Any, key: str, source: str) -> int:
    """A whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{source}: {key}: expected a whole number >= 1, got {value!r}")
    return value


def number(value: Any, key: str, source: str, *, minimum: float) -> float | None:
    """A number >= ``minimum``, as a float; None stays None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise ConfigError(f"{source}: {key}: expected a number >= {minimum:g}, got {value!r}")
    return float(value)
