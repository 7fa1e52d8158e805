"""Default power usage effectiveness (PUE) per provider, and its validation.

PUE is facility energy divided by IT energy. Figures come from ``pue.csv``:
each cloud's own published fleet average (Google, AWS, Microsoft), 1.0 for
on-premise machines (where the user knows best: set ``pue`` to override), and
the Uptime Institute survey average for users who want an industry default.

Example:
    >>> default_pue(None)
    (1.0, 'on-premise default (set pue to override)')
"""

from __future__ import annotations

import functools
import math

from wattprint.errors import ConfigError
from wattprint.intensity._data import read_table

ON_PREMISE = "on-premise"
_ALIASES = {
    "google": "gcp", "gce": "gcp", "google-cloud": "gcp",
    "amazon": "aws", "ec2": "aws",
    "microsoft": "azure",
    "onprem": ON_PREMISE, "on-prem": ON_PREMISE, "local": ON_PREMISE, "none": ON_PREMISE,
    "industry": "industry-average", "uptime": "industry-average",
}


@functools.lru_cache(maxsize=1)
def pue_table() -> dict[str, tuple[float, str]]:
    """Return ``{provider: (pue, source)}`` from the embedded table."""
    table = {}
    for row in read_table("pue.csv"):
        source = row["source"] if not row["url"] else f"{row['source']}, {row['url']}"
        table[row["provider"]] = (float(row["pue"]), source)
    return table


def default_pue(provider: str | None) -> tuple[float, str]:
    """Return the default PUE for a provider and where the figure comes from.

    Args:
        provider: ``"aws"``, ``"gcp"``, ``"azure"``, ``"industry-average"``,
            ``"on-premise"`` or ``None`` (on-premise); a cloud zone id such as
            ``"aws:us-east-1"`` uses its provider.

    Raises:
        ConfigError: The provider is not in the table.
    """
    key = ON_PREMISE if provider is None else provider.strip().lower().split(":", 1)[0]
    key = _ALIASES.get(key, key) or ON_PREMISE
    table = pue_table()
    if key not in table:
        known = ", ".join(sorted(table))
        raise ConfigError(f"no default PUE for provider {provider!r}; known: {known}")
    return table[key]


def check_pue(value: float, source: str) -> float:
    """Return ``value`` as a float if it is a possible PUE, else raise.

    Args:
        value: The PUE to check.
        source: Where it came from, for the message (``"WATTPRINT_PUE"``,
            ``"wattprint.toml"``, ``"argument pue"``).

    Raises:
        ConfigError: ``value`` is not a finite number of at least 1.0 — a
            facility cannot use less energy than the IT equipment inside it.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{source}: pue={value!r} is not a number")
    if not math.isfinite(value) or value < 1.0:
        raise ConfigError(
            f"{source}: pue={value!r} is impossible; PUE is facility energy / IT energy "
            "and must be at least 1.0 (use 1.0 for IT energy only)"
        )
    return float(value)
