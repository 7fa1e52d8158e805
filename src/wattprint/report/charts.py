"""Charts of the audit report as images: SVG drawn by matplotlib, embedded as data: URIs.

Each function takes plain labels and values (no report types) and returns a
``data:image/svg+xml;base64,...`` URI that an ``<img>`` tag can hold, so the
HTML report stays one self-contained file and WeasyPrint draws the same
vector image into the PDF.

matplotlib is the ``report`` extra and is imported inside :func:`_figure`;
it draws on an explicit Agg canvas (``FigureCanvasAgg``), never through
``pyplot``, so no global backend or figure registry is touched and the charts
can be drawn from any thread. The SVG is deterministic for the same input:
no date in its metadata and a fixed ``svg.hashsalt`` for element ids, so a
regenerated report only changes where its figures change. Text is drawn as
paths (``svg.fonttype = "path"``): the image looks the same in any browser
or PDF engine, whatever fonts it has.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

from wattprint.errors import MissingExtraError

#: Colours (Okabe-Ito, readable with colour-blindness), by role.
ENERGY_COLOUR = "#0072B2"
CO2E_COLOUR = "#D55E00"
METHOD_COLOURS = {"counter": "#009E73", "sampled-power": "#56B4E9", "modelled": "#E69F00",
                  "not itemised": "#999999"}
_RC: dict[str, Any] = {"svg.hashsalt": "wattprint", "svg.fonttype": "path", "font.size": 9.0,
       "text.parse_math": False,
       "axes.spines.top": False, "axes.spines.right": False}


def trend_chart(labels: Sequence[str], energy_kwh: Sequence[float],
                co2e_kg: Sequence[float], *, title: str) -> str:
    """Energy per bucket as bars, CO2e as a line on a second axis.

    Args:
        labels: Bucket labels (months or weeks), in order.
        energy_kwh: Facility energy of each bucket.
        co2e_kg: Location-based CO2e of each bucket.
        title: Chart title.

    Returns:
        An SVG data: URI.
    """
    _same_length(labels, energy_kwh, co2e_kg)
    with _rc():
        fig, ax = _figure(6.4, 2.8)
        x = list(range(len(labels)))
        ax.bar(x, energy_kwh, color=ENERGY_COLOUR, width=0.6, label="energy (kWh)")
        ax.set_xticks(x, labels)
        ax.set_ylabel("kWh", color=ENERGY_COLOUR)
        right = ax.twinx()
        right.plot(x, co2e_kg, color=CO2E_COLOUR, marker="o", label="CO2e (kg)")
        right.set_ylabel("kg CO2e", color=CO2E_COLOUR)
        right.set_ylim(bottom=0, top=max([*co2e_kg, 0.0]) * 1.15 or 1.0)
        right.spines["right"].set_visible(True)
        ax.set_title(title, loc="left")
        return _svg_uri(fig)


def bar_chart(labels: Sequence[str], values: Sequence[float], *, title: str,
              unit: str) -> str:
    """Horizontal bars, largest on top (top emitters).

    Args:
        labels: One label per bar, largest value first.
        values: The bar lengths.
        title: Chart title.
        unit: Axis label (``"kg CO2e"``).

    Returns:
        An SVG data: URI.
    """
    _same_length(labels, values)
    with _rc():
        fig, ax = _figure(6.4, 0.9 + 0.32 * max(len(labels), 1))
        y = list(range(len(labels)))
        ax.barh(y, values, color=CO2E_COLOUR, height=0.6)
        ax.set_yticks(y, [_clip(label) for label in labels])
        ax.invert_yaxis()
        ax.set_xlabel(unit)
        ax.set_title(title, loc="left")
        return _svg_uri(fig)


def share_chart(shares: Sequence[tuple[str, float]], *, title: str) -> str:
    """One stacked horizontal bar of shares (how energy was measured).

    Args:
        shares: ``(label, fraction)`` pairs; fractions of one whole.
        title: Chart title.

    Returns:
        An SVG data: URI.
    """
    with _rc():
        fig, ax = _figure(6.4, 1.7)
        left = 0.0
        for label, share in shares:
            colour = METHOD_COLOURS.get(label, "#CC79A7")
            ax.barh([0], [share * 100], left=[left], color=colour, height=0.5,
                    label=f"{label} {share:.0%}")
            left += share * 100
        ax.set_xlim(0, 100)
        ax.set_yticks([])
        ax.set_xlabel("% of IT energy")
        fig.legend(loc="outside lower center", ncol=4, frameon=False)
        ax.set_title(title, loc="left")
        return _svg_uri(fig)


def _figure(width_in: float, height_in: float) -> tuple[Any, Any]:
    """A figure on its own Agg canvas and its one axes.

    Raises:
        MissingExtraError: matplotlib is not installed.
    """
    try:
        from matplotlib.backends.backend_agg import (  # type: ignore[import-not-found, unused-ignore]
            FigureCanvasAgg,
        )
        from matplotlib.figure import Figure  # type: ignore[import-not-found, unused-ignore]
    except ImportError as e:
        raise MissingExtraError("matplotlib", "report") from e
    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _rc() -> Any:
    try:
        import matplotlib  # type: ignore[import-not-found, unused-ignore]
    except ImportError as e:
        raise MissingExtraError("matplotlib", "report") from e
    return matplotlib.rc_context(dict(_RC))  # type: ignore[arg-type, unused-ignore]


def _svg_uri(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _same_length(*seqs: Sequence[Any]) -> None:
    if len({len(s) for s in seqs}) > 1:
        raise ValueError(f"chart series differ in length: {[len(s) for s in seqs]}")


def _clip(label: str, width: int = 32) -> str:
    return label if len(label) <= width else label[:width - 1] + "…"
