"""Terminal output of a plan: summary, zones compared, and a small intensity chart."""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from wattprint.cli.common import fmt_duration, fmt_mass
from wattprint.intensity.series import IntensitySeries, to_epoch_s
from wattprint.schedule.job import Plan

BLOCKS = "▁▂▃▄▅▆▇█"
CHART_WIDTH = 60


def render_plan(plan: Plan, series: dict[str, IntensitySeries],
                budget: dict[str, Any] | None = None, console: Console | None = None) -> None:
    """Print the plan, the per-zone comparison, the chart and the notes."""
    console = console or Console()
    console.print(summary(plan))
    if len(plan.by_zone) > 1:
        console.print(zones_table(plan))
    console.print(chart(plan, series))
    if budget is not None:
        style = "green" if budget["action"] == "run" else "bold red"
        console.print(Text(f"budget: {budget['message']}", style=style))
    for note in plan.notes:
        console.print(Text(f"note: {note}", style="dim"))


def summary(plan: Plan) -> Table:
    """Two-column summary: where, when, expected, baseline, saving."""
    table = Table(title=f"plan ({plan.mode})", show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("zone", plan.zone)
    for n, slot in enumerate(plan.slots):
        label = "run" if len(plan.slots) == 1 else f"slot {n + 1}"
        table.add_row(label, f"{_t(slot.start_utc)} → {_t(slot.end_utc)}  "
                             f"[dim]{slot.intensity_g_per_kwh:,.0f} g/kWh[/dim]")
    table.add_row("waits", fmt_duration(plan.wait_s))
    unc = f" ± {fmt_mass(plan.uncertainty_co2e_kg)}" if plan.uncertainty_co2e_kg else ""
    table.add_row("expected", f"{fmt_mass(plan.expected_co2e_kg)}{unc}  "
                              f"[dim]{plan.expected_intensity_g_per_kwh:,.0f} g/kWh[/dim]")
    table.add_row("baseline", f"{fmt_mass(plan.baseline_co2e_kg)}  "
                              f"[dim]start now in {plan.baseline_zone}[/dim]")
    table.add_row("saving", f"[bold green]{fmt_mass(plan.saving_kg)} "
                            f"({plan.saving_pct:.1f} %)[/bold green]")
    return table


def zones_table(plan: Plan) -> Table:
    """Best expected emissions per zone."""
    table = Table(title="best per zone")
    table.add_column("zone")
    table.add_column("expected", justify="right")
    table.add_column("source")
    for zone, kg in sorted(plan.by_zone.items(), key=lambda kv: kv[1]):
        mark = " ◀" if zone == plan.zone else ""
        table.add_row(zone + mark, fmt_mass(kg), escape(plan.sources.get(zone, "")))
    return table


def chart(plan: Plan, series: dict[str, IntensitySeries]) -> Table:
    """One sparkline per zone from now to the deadline; the planned time in green."""
    table = Table(title="intensity, now → deadline (UTC)", show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    table.add_column(style="dim")
    start = to_epoch_s(plan.planned_at_utc)
    end = to_epoch_s(plan.job.deadline_utc) if plan.job.deadline_utc else to_epoch_s(plan.end_utc)
    end = max(end, to_epoch_s(plan.end_utc))
    edges = np.linspace(start, end, CHART_WIDTH + 1)
    rows = {z: _means(s, edges) for z, s in series.items() if z in plan.job.zones}
    finite = [v for vals in rows.values() for v in vals if np.isfinite(v)]
    if not finite:
        return table
    low, high = min(finite), max(finite)
    planned = [(to_epoch_s(s.start_utc), to_epoch_s(s.end_utc)) for s in plan.slots]
    for zone, vals in rows.items():
        text = Text()
        for i, value in enumerate(vals):
            mid = (edges[i] + edges[i + 1]) / 2
            chosen = zone == plan.zone and any(a <= mid < b for a, b in planned)
            text.append(_block(value, low, high), style="bold green" if chosen else "")
        table.add_row(zone, text, f"{low:,.0f}–{high:,.0f} g/kWh")
    table.add_row("", Text(f"{_t_epoch(start)}{' ' * max(1, CHART_WIDTH - 34)}"
                           f"{_t_epoch(end)}"), "")
    return table


def _means(data: IntensitySeries, edges: np.ndarray[Any, Any]) -> list[float]:
    from wattprint.intensity.series import window_means

    means = window_means(data, edges[:-1], edges[1:])
    end = data.start_epoch_s + data.step_s * len(data)
    outside = (edges[:-1] < data.start_epoch_s) | (edges[1:] > end)
    means[outside] = np.nan
    return [float(v) for v in means]


def _block(value: float, low: float, high: float) -> str:
    if not np.isfinite(value):
        return " "
    if high <= low:
        return BLOCKS[0]
    return BLOCKS[min(len(BLOCKS) - 1, int((value - low) / (high - low) * len(BLOCKS)))]


def _t(when: Any) -> str:
    return str(when.strftime("%Y-%m-%d %H:%M"))


def _t_epoch(epoch_s: float) -> str:
    from wattprint.intensity.series import from_epoch_s

    return _t(from_epoch_s(epoch_s)) + "Z"
