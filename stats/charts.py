"""PNG charts of released statistics (matplotlib, Agg canvas: no display, safe in a server thread).

Only published cells are drawn: a withheld or undefined figure is a gap in the line, never a zero.
"""

from __future__ import annotations

import io
import math
from collections import defaultdict

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from stats.service import StatsTable

CHARTS = ("bridging-share", "reciprocity-classes")
CLASSES = (
    ("members_gave_only", "gave only"),
    ("members_gave_and_received", "gave and received"),
    ("members_received_only", "received only"),
)


def _value(cell: object) -> float:
    value = getattr(cell, "value", None)
    return math.nan if value is None else float(value)


def draw(name: str, table: StatsTable) -> bytes:
    figure = Figure(figsize=(9, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
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
            line = axes.plot(x, values, marker="o", label=antenna, linewidth=2 if antenna == "all" else 1)[0]
            lower = [math.nan if c is None or getattr(c, "lower", None) is None else c.lower for c in row]  # type: ignore[attr-defined]  # getattr just checked that the cell has the bound
            upper = [math.nan if c is None or getattr(c, "upper", None) is None else c.upper for c in row]  # type: ignore[attr-defined]  # getattr just checked that the cell has the bound
            axes.fill_between(x, lower, upper, alpha=0.15, color=line.get_color())
        axes.set_ylim(0, 1)
        axes.set_ylabel("external share E/(E+I)")
        axes.set_title(f"Bridging share ({dimension}), with the 95% range of its noise")
    else:
        antenna = table.antennas[0]
        for measure, label in CLASSES:
            shares = []
            for period in periods:
                parts = [_value(cells[antenna].get((period, m))) for m, _ in CLASSES]
                total = sum(parts)
                own = _value(cells[antenna].get((period, measure)))
                shares.append(own / total if total and not math.isnan(total) else math.nan)
            axes.plot(x, shares, marker="o", label=label)
        axes.set_ylim(0, 1)
        axes.set_ylabel("share of active members")
        axes.set_title(f"Reciprocity classes ({antenna})")
    axes.set_xticks(x, periods, rotation=45, ha="right")
    if axes.get_legend_handles_labels()[0]:
        axes.legend(fontsize="small", ncol=2)
    note = "withheld figures are gaps; figures are noisy (differential privacy)"
    axes.text(0.99, 0.01, note, transform=axes.transAxes, ha="right", fontsize="x-small")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
