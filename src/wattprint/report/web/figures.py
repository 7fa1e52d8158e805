"""Plotly figures as plain data (``{"data", "layout", "config"}``), drawn by plotly.js as SVG.

The figures are built here from query results and embedded in the page as
JSON; ``static/app.js`` hands each one to ``Plotly.newPlot``. User text that
Plotly draws (trace names, axis categories, phase labels) goes through
:func:`label`: Plotly renders a small HTML subset in SVG text, so ``<`` and
``&`` are escaped to show literally; hover templates read names through
``%{fullData.name}`` so that a ``%{`` in a name is never a template.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from wattprint.report.grid import Heatmap
from wattprint.report.queries import DailyPoint, GroupRow, ModelRow

Figure = dict[str, Any]
#: Okabe-Ito colours (readable with colour-blindness), then a few more.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000", "#999999", "#882255")
_CONFIG = {"displaylogo": False, "responsive": True}
#: Traces with at most this many points per device are drawn with markers as well.
SHORT_TRACE = 50
_FONT = {"family": "system-ui, sans-serif", "size": 12}


def label(text: str) -> str:
    """User text as Plotly should show it (literally)."""
    return html.escape(text or "(none)", quote=False)


def _figure(data: list[dict[str, Any]], **layout: Any) -> Figure:
    base: dict[str, Any] = {"font": _FONT, "margin": {"l": 60, "r": 60, "t": 30, "b": 50},
                            "legend": {"orientation": "h", "y": -0.2}, "hovermode": "closest"}
    base.update(layout)
    return {"data": data, "layout": base, "config": _CONFIG}


def overview(days: Sequence[date], points: Sequence[DailyPoint]) -> Figure:
    """Daily CO2e stacked by project (bars, left axis) and total energy (line, right axis)."""
    x = [d.isoformat() for d in days]
    index = {d: i for i, d in enumerate(days)}
    projects = sorted({p.project for p in points})
    co2e = {p: [0.0] * len(days) for p in projects}
    energy = [0.0] * len(days)
    for point in points:
        i = index.get(point.day)
        if i is not None:
            co2e[point.project][i] += point.co2e_kg
            energy[i] += point.energy_kwh
    data = [{"type": "bar", "name": label(p), "x": x, "y": co2e[p],
             "marker": {"color": PALETTE[n % len(PALETTE)]},
             "hovertemplate": "%{x}<br>%{fullData.name}: %{y:.4g} kg CO2e<extra></extra>"}
            for n, p in enumerate(projects)]
    data.append({"type": "scatter", "mode": "lines+markers", "name": "energy (all projects)",
                 "x": x, "y": energy, "yaxis": "y2", "line": {"color": "#333333"},
                 "hovertemplate": "%{x}<br>energy: %{y:.4g} kWh<extra></extra>"})
    return _figure(data, barmode="stack",
                   xaxis={"type": "date", "title": {"text": "day (UTC)"}},
                   yaxis={"title": {"text": "kg CO2e"}, "rangemode": "tozero"},
                   yaxis2={"title": {"text": "kWh"}, "overlaying": "y", "side": "right",
                           "rangemode": "tozero", "showgrid": False})


def power_trace(
    trace: Mapping[str, tuple[list[float], list[float]]], devices: Mapping[str, str],
    phases: Sequence[tuple[str, float, float]],
) -> Figure:
    """Power per device over the run, phases as shaded spans with their names.

    Args:
        trace: Device id -> (seconds from start, watts).
        devices: Device id -> legend text (``"gpu:0 NVIDIA H100 (counter)"``).
        phases: (name, start s, end s) from the run's start.
    """
    # Short traces get markers too: a line through one point draws nothing.
    data = [{"type": "scatter", "mode": "lines" if len(t) > SHORT_TRACE else "lines+markers",
             "name": label(devices.get(d, d)), "x": t, "y": w,
             "line": {"color": PALETTE[n % len(PALETTE)]},
             "hovertemplate": "%{x:.1f} s: %{y:.1f} W<extra>%{fullData.name}</extra>"}
            for n, (d, (t, w)) in enumerate(sorted(trace.items()))]
    shapes = [{"type": "rect", "xref": "x", "yref": "paper", "x0": a, "x1": b, "y0": 0, "y1": 1,
               "fillcolor": PALETTE[(n + 4) % len(PALETTE)], "opacity": 0.12,
               "line": {"width": 0}, "layer": "below"} for n, (_, a, b) in enumerate(phases)]
    notes = [{"x": (a + b) / 2, "y": 1.0, "xref": "x", "yref": "paper", "yanchor": "bottom",
              "text": label(name), "showarrow": False} for name, a, b in phases]
    return _figure(data, shapes=shapes, annotations=notes,
                   xaxis={"title": {"text": "seconds since start"}},
                   yaxis={"title": {"text": "W"}, "rangemode": "tozero"})


def bars(names: Sequence[str], values: Sequence[float], unit: str, colour: str) -> Figure:
    """One bar per name (energy by component, by phase)."""
    data = [{"type": "bar", "x": [label(n) for n in names], "y": list(values),
             "marker": {"color": colour}, "name": unit,
             "hovertemplate": "%{x}: %{y:.4g} " + unit + "<extra></extra>"}]
    return _figure(data, showlegend=False, yaxis={"title": {"text": unit}},
                   xaxis={"type": "category"})


def groups(rows: Sequence[GroupRow]) -> Figure:
    """CO2e and energy per project, side by side on two axes."""
    x = [label(r.project) for r in rows]
    return _two_measures(x, [r.co2e_kg for r in rows], [r.energy_kwh for r in rows])


def models(rows: Sequence[ModelRow]) -> Figure:
    """CO2e and energy per model (within its project), side by side on two axes."""
    x = [label(f"{r.model or '(no model)'} · {r.project}") for r in rows]
    return _two_measures(x, [r.co2e_kg for r in rows], [r.energy_kwh for r in rows])


def efficiency(rows: Sequence[ModelRow]) -> Figure:
    """Energy per unit of each metric: one bar group per metric, one bar per model."""
    metrics = sorted({name for r in rows for name in r.kwh_per_metric})
    data = []
    for n, row in enumerate(r for r in rows if r.kwh_per_metric):
        data.append({"type": "bar", "name": label(f"{row.model or '(no model)'} · {row.project}"),
                     "x": [label(m) for m in metrics],
                     "y": [row.kwh_per_metric.get(m) for m in metrics],
                     "marker": {"color": PALETTE[n % len(PALETTE)]},
                     "hovertemplate": "%{fullData.name}<br>%{y:.4g} kWh per unit of %{x}"
                                      "<extra></extra>"})
    return _figure(data, barmode="group", yaxis={"title": {"text": "kWh per unit of metric"}},
                   xaxis={"type": "category", "title": {"text": "metric"}})


def _two_measures(x: list[str], co2e: list[float], energy: list[float]) -> Figure:
    data = [{"type": "bar", "name": "kg CO2e", "x": x, "y": co2e, "offsetgroup": "co2e",
             "marker": {"color": PALETTE[5]},
             "hovertemplate": "%{x}: %{y:.4g} kg CO2e<extra></extra>"},
            {"type": "bar", "name": "kWh", "x": x, "y": energy, "yaxis": "y2",
             "offsetgroup": "energy", "marker": {"color": PALETTE[0]},
             "hovertemplate": "%{x}: %{y:.4g} kWh<extra></extra>"}]
    return _figure(data, barmode="group", xaxis={"type": "category"},
                   yaxis={"title": {"text": "kg CO2e"}, "rangemode": "tozero"},
                   yaxis2={"title": {"text": "kWh"}, "overlaying": "y", "side": "right",
                           "rangemode": "tozero", "showgrid": False})


def heatmap(h: Heatmap) -> Figure:
    """Intensity by UTC hour (rows) and day (columns); green is clean."""
    data = [{"type": "heatmap", "x": [d.isoformat() for d in h.days], "y": list(range(24)),
             "z": [list(row) for row in h.values_g_per_kwh], "colorscale": "RdYlGn",
             "reversescale": False, "colorbar": {"title": {"text": "g/kWh"}},
             "hovertemplate": "%{x} %{y}:00 UTC: %{z:.0f} g/kWh<extra></extra>"}]
    return _figure(data, xaxis={"type": "category", "title": {"text": "day (UTC)"}},
                   yaxis={"title": {"text": "hour (UTC)"}, "dtick": 3, "autorange": "reversed"})


def ranking(names: Sequence[str], values: Sequence[float], highlight: set[str]) -> Figure:
    """Horizontal bars of zone intensity, cleanest at the top; ledger zones highlighted."""
    colours = [PALETTE[5] if n in highlight else PALETTE[0] for n in names]
    data = [{"type": "bar", "orientation": "h", "y": [label(n) for n in names],
             "x": list(values), "marker": {"color": colours},
             "hovertemplate": "%{y}: %{x:.0f} g/kWh<extra></extra>"}]
    return _figure(data, showlegend=False, height=max(300, 18 * len(names) + 80),
                   xaxis={"title": {"text": "g CO2e/kWh (annual average)"}},
                   yaxis={"type": "category", "autorange": "reversed"},
                   margin={"l": 210, "r": 30, "t": 20, "b": 50})
