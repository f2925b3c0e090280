"""PNG charts of released statistics (matplotlib, Agg canvas: no display, safe in a server thread).

Only published cells are drawn: a withheld or undefined figure is a gap in the line, never a zero. Titles,
axis labels, legends and the note are in the caller's language (`chart.*` in locales/*/charts.po).
"""

from __future__ import annotations

import io
import math
from collections import defaultdict

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from buurtbank.i18n import translate
from stats.service import StatsTable

CHARTS = ("bridging-share", "reciprocity-classes")
# The measures of the reciprocity chart, each with its legend's message key.
CLASSES = (
    ("members_gave_only", "chart.reciprocity.gave_only"),
    ("members_gave_and_received", "chart.reciprocity.gave_and_received"),
    ("members_received_only", "chart.reciprocity.received_only"),
)


def _value(cell: object) -> float:
    value = getattr(cell, "value", None)
    return math.nan if value is None else float(value)


def figure(name: str, table: StatsTable, lang: str) -> Figure:
    """The chart, drawn but not rendered: its texts can be read (the tests do) before it becomes a PNG."""
    drawn = Figure(figsize=(9, 4.5), dpi=100)
    FigureCanvasAgg(drawn)
    axes = drawn.add_subplot()
    periods = list(table.periods)
    x = list(range(len(periods)))
    cells: dict[str, dict[tuple[str, str], object]] = defaultdict(dict)
    for cell in table.cells:
        cells[cell.antenna][(cell.period, cell.measure)] = cell
    if name == "bridging-share":
        dimension = next((c.dimension for c in table.cells if c.dimension), "any")
        for antenna in table.antennas:
            row = [cells[antenna].get((p, "external_share")) for p in periods]
            values = [_value(c) for c in row]
            if all(math.isnan(v) for v in values):
                continue
            line = axes.plot(
                x, values, marker="o", label=_antenna(antenna, lang), linewidth=2 if antenna == "all" else 1
            )[0]
            lower = [math.nan if c is None or getattr(c, "lower", None) is None else c.lower for c in row]  # type: ignore[attr-defined]  # getattr just checked that the cell has the bound
            upper = [math.nan if c is None or getattr(c, "upper", None) is None else c.upper for c in row]  # type: ignore[attr-defined]  # getattr just checked that the cell has the bound
            axes.fill_between(x, lower, upper, alpha=0.15, color=line.get_color())
        axes.set_ylim(0, 1)
        axes.set_ylabel(translate("chart.bridging.y_label", lang))
        axes.set_title(translate("chart.bridging.title", lang, dimension=_dimension(dimension, lang)))
    else:
        antenna = table.antennas[0]
        for measure, label in CLASSES:
            shares = []
            for period in periods:
                parts = [_value(cells[antenna].get((period, m))) for m, _ in CLASSES]
                total = sum(parts)
                own = _value(cells[antenna].get((period, measure)))
                shares.append(own / total if total and not math.isnan(total) else math.nan)
            axes.plot(x, shares, marker="o", label=translate(label, lang))
        axes.set_ylim(0, 1)
        axes.set_ylabel(translate("chart.reciprocity.y_label", lang))
        axes.set_title(translate("chart.reciprocity.title", lang, antenna=_antenna(antenna, lang)))
    axes.set_xticks(x, periods, rotation=45, ha="right")
    if axes.get_legend_handles_labels()[0]:
        axes.legend(fontsize="small", ncol=2)
    axes.set_xlabel(translate("chart.x_label", lang))
    axes.text(0.99, 0.01, translate("chart.note", lang), transform=axes.transAxes, ha="right", fontsize="x-small")
    drawn.tight_layout()
    return drawn


def _dimension(dimension: str, lang: str) -> str:
    key = f"chart.dimension.{dimension}"
    text = translate(key, lang)
    return dimension if text == key else text


def _antenna(antenna: str, lang: str) -> str:
    return translate("chart.all_antennas", lang) if antenna == "all" else antenna


def draw(name: str, table: StatsTable, lang: str) -> bytes:
    out = io.BytesIO()
    figure(name, table, lang).savefig(out, format="png")
    return out.getvalue()
