"""Helpers shared by CLI commands: options, parsing, JSON and rich output."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import Any

import click

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
