"""Helpers shared by CLI commands: options, parsing, JSON and rich output."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import Any

import click

from wattprint import units
from wattprint.errors import ConfigError

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON (stable keys) instead of a table."
)
zone_option = click.option(
    "--zone", default=None, help="Grid zone id, e.g. DE, US-CAL-CISO, aws:eu-west-1."
)


def print_json(data: Any) -> None:
    """Write ``data`` as indented JSON to stdout."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def parse_when(text: str | None, name: str) -> datetime | None:
    """Parse a date or ISO datetime option; naive values are taken as UTC."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"{name}: expected a date like 2024-05-01 or 2024-05-01T12:00, got {text!r}"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def open_ledger() -> Any:
    """Open the ledger named by the settings (``WATTPRINT_DB`` or default)."""
    from wattprint.config import load_settings
    from wattprint.store.ledger import Ledger

    ledger = Ledger(load_settings().db)
    ledger.open()
    return ledger


def fmt_energy(kwh: float) -> str:
    """Energy with a unit that keeps small runs readable."""
    if kwh >= 1.0:
        return f"{kwh:,.3f} kWh"
    if kwh >= 1e-3:
        return f"{kwh * 1e3:,.3f} Wh"
    return f"{kwh * 3.6e6:,.1f} J"


def fmt_mass(kg: float) -> str:
    """Emissions with a unit that keeps small runs readable."""
    if kg >= 1.0:
        return f"{kg:,.3f} kg CO2e"
    if kg >= 1e-3:
        return f"{kg * 1e3:,.3f} g CO2e"
    return f"{kg * 1e6:,.1f} mg CO2e"


def fmt_duration(seconds: float) -> str:
    """Seconds as h:mm:ss (or s.s under a minute)."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{sec:02d}"


_ENERGY_UNITS = {"wh": 1e-3, "kwh": 1.0, "mwh": 1e3, "j": 1 / 3.6e6, "kj": 1 / 3.6e3,
                 "mj": 1 / 3.6}
_POWER_UNITS = {"w": 1.0, "kw": 1e3, "mw": 1e6}


def parse_duration_s(text: str, name: str) -> float:
    """Parse ``4h``, ``90m``, ``1h30m``, ``2d``, ``45s`` or plain seconds into seconds."""
    try:
        return _positive(float(text.strip()), name, text)
    except ValueError:
        pass
    try:
        seconds = units.duration_s(text)
    except ValueError:
        raise ConfigError(f"{name}: expected a duration like 4h, 90m, 1h30m or 2d, "
                          f"got {text!r}") from None
    return _positive(seconds, name, text)


def parse_energy_kwh(text: str, name: str = "--energy") -> float:
    """Parse ``12kWh``, ``500Wh``, ``3.6MJ`` (plain numbers are kWh) into kWh."""
    value, unit = _split_unit(text, name, "an energy like 12kWh or 500Wh")
    if unit and unit not in _ENERGY_UNITS:
        raise ConfigError(f"{name}: unknown energy unit {unit!r} in {text!r} "
                          "(use Wh, kWh, MWh, J, kJ or MJ)")
    return _positive(value * _ENERGY_UNITS.get(unit, 1.0), name, text)


def parse_power_w(text: str, name: str = "--power") -> float:
    """Parse ``700W``, ``1.2kW`` (plain numbers are W) into watts."""
    value, unit = _split_unit(text, name, "a power like 700W or 1.2kW")
    if unit and unit not in _POWER_UNITS:
        raise ConfigError(f"{name}: unknown power unit {unit!r} in {text!r} (use W, kW or MW)")
    return _positive(value * _POWER_UNITS.get(unit, 1.0), name, text)


def _split_unit(text: str, name: str, expected: str) -> tuple[float, str]:
    import re

    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*([a-zA-Z]*)\s*", text)
    if not match:
        raise ConfigError(f"{name}: expected {expected}, got {text!r}")
    return float(match.group(1)), match.group(2).lower()


def _positive(value: float, name: str, text: str) -> float:
    if not value > 0:
        raise ConfigError(f"{name}: must be > 0, got {text!r}")
    return value


def parse_zones(text: str, name: str = "--zones") -> tuple[str, ...]:
    """Split ``DE,FR,GB`` into zone ids (order kept, duplicates dropped)."""
    zones = tuple(dict.fromkeys(z.strip() for z in text.split(",") if z.strip()))
    if not zones:
        raise ConfigError(f"{name}: give at least one zone, e.g. DE,FR,GB")
    return zones
