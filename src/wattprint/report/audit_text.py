"""Building blocks of the laid-out audit report, and how its numbers are written. Pure.

Blocks are plain values: an :data:`Inline` paragraph (text and
:class:`Code` spans), :class:`Heading`, :class:`Bullets`, :class:`Table`,
:class:`Chart` and :class:`Kpis`. Text is never pre-escaped; each renderer
escapes for its own format.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Code:
    """A command or identifier we wrote (never ledger data), set as code."""

    text: str


#: A paragraph: plain text and code spans, in order.
Inline = tuple[str | Code, ...]


@dataclass(frozen=True)
class Heading:
    """A sub-heading within a section."""

    text: str


@dataclass(frozen=True)
class Bullets:
    """A bulleted list."""

    items: tuple[Inline, ...]


@dataclass(frozen=True)
class Table:
    """A table; ``align`` has one letter per column (``l`` or ``r``); ``empty`` if no rows."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: str = ""
    empty: str = "None."


@dataclass(frozen=True)
class Chart:
    """A chart: ``draw`` returns its image as a data: URI; ``alt`` describes it."""

    alt: str
    draw: Callable[[], str] = field(compare=False, repr=False)


@dataclass(frozen=True)
class Kpis:
    """Headline figures: ``(label, value, detail)`` each."""

    items: tuple[tuple[str, str, str], ...]


Block = Inline | Heading | Bullets | Table | Chart | Kpis


@dataclass(frozen=True)
class Section:
    """A titled part of the report (``id`` is its HTML anchor)."""

    id: str
    title: str
    blocks: tuple[Block, ...]


def plain_text(parts: Inline) -> str:
    """A paragraph as one plain string (code spans as their text)."""
    return "".join(p.text if isinstance(p, Code) else p for p in parts)


def num(value: float) -> str:
    """A figure with the precision a reader needs: ``12,345``, ``123.4``, ``1.23``, ``0.0123``."""
    if not math.isfinite(value):
        return str(value)
    size = abs(value)
    if size == 0:
        return "0"
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 100:
        return f"{value:,.1f}"
    if size >= 1:
        return f"{value:,.2f}"
    return f"{value:#.3g}"


def amount(value: float | None, unit: str) -> str:
    """A figure and its unit; whole numbers for ``runs``; ``not accounted`` for None."""
    if value is None:
        return "not accounted"
    return f"{value:,.0f} {unit}" if unit == "runs" else f"{num(value)} {unit}"


def runs(n: int) -> str:
    """``1 run``, ``2 runs``."""
    return f"{n} run" if n == 1 else f"{n} runs"


def signed(value: float | None, unit: str = "") -> str:
    """A change with its sign: ``+1.25``, ``-0.300``, ``0`` (``+6`` runs); ``n/a`` for None."""
    if value is None:
        return "n/a"
    return ("+" if value > 0 else "") + (f"{value:,.0f}" if unit == "runs" else num(value))


def pct(value: float | None) -> str:
    """A change in %: ``+12.5 %``; ``n/a`` when the previous value was 0."""
    return "n/a" if value is None else f"{value:+.1f} %"


def kwh(value: float) -> str:
    """Energy in kWh."""
    return f"{num(value)} kWh"


def kg(value: float) -> str:
    """Emissions in kg CO2e."""
    return f"{num(value)} kg CO2e"
