"""Static charts for briefs, drawn with matplotlib (Agg): SVG for HTML and PDF, PNG for Word.

Matplotlib needs nothing beyond the pip requirements (plotly's static export would need kaleido and a browser), and
its SVG draws text as paths, so a chart looks the same on any machine, with or without fonts.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

INK, ACCENT, BASELINE, BURST = "#1d3557", "#1f5f8b", "#8d99ae", "#edae49"
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e5e5e5",
    "text.parse_math": False,  # a '$' in a label is text, never mathtext (which could fail to parse)
    "svg.fonttype": "path",
    "svg.hashsalt": "counterpoint",  # the same chart gives the same SVG
    "figure.dpi": 100,
}
MAX_LABEL = 40


def short(label: str, limit: int = MAX_LABEL) -> str:
    """Return `label` cut to `limit` characters with an ellipsis."""
    label = str(label)
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _figure(width: float = 7.0, height: float = 2.8):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def render(draw: Callable[[], Any], fmt: str) -> bytes:
    """Draw a chart and return it as 'svg' or 'png' bytes."""
    import matplotlib

    with matplotlib.rc_context(STYLE):
        fig = draw()
        buf = io.BytesIO()
        if fmt == "png":  # light compression: the PDF re-encodes the picture anyway, so zlib's effort is wasted
            fig.savefig(buf, format=fmt, dpi=150, metadata=_metadata(fmt), pil_kwargs={"compress_level": 1})
        else:
            fig.savefig(buf, format=fmt, dpi=100, metadata=_metadata(fmt))
    return buf.getvalue()


def _metadata(fmt: str) -> dict:
    # No creation date, so the same chart gives the same bytes.
    return {"Date": None} if fmt == "svg" else {"Software": None}


def volume(
    times: Sequence,
    posts: Sequence[float],
    baseline: Sequence[float],
    bursts: Sequence[tuple],
    detected_at,
    *,
    title: str,
    ylabel: str,
):
    """Return a figure of posts per bucket with the expected count, bursts shaded and detection marked."""
    fig = _figure(7.0, 3.0)
    ax = fig.add_subplot()
    for i, (start, end) in enumerate(bursts):
        ax.axvspan(start, end, color=BURST, alpha=0.25, lw=0, label="burst" if i == 0 else None)
    ax.plot(times, posts, color=ACCENT, lw=1.6, label="monitored posts")
    ax.plot(times, baseline, color=BASELINE, lw=1.2, ls="--", label="expected count")
    if detected_at is not None:
        ax.axvline(detected_at, color=INK, lw=1, ls=":", label="detected")
    ax.set_title(short(title, 80), loc="left")
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    _time_axis(ax)
    fig.legend(loc="outside lower center", frameon=False, fontsize=8, ncols=4)
    return fig


def bars(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    colours: Sequence[str] | None = None,
):
    """Return a horizontal bar chart (labels on the y axis, values annotated at the bar ends)."""
    from matplotlib.ticker import MaxNLocator

    fig = _figure(7.0, 0.28 * len(labels) + 1.1)
    ax = fig.add_subplot()
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    y = list(range(len(labels)))
    ax.barh(y, values, color=list(colours) if colours else ACCENT, height=0.7)
    ax.set_yticks(y, [short(lbl) for lbl in labels])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    for yi, v in zip(y, values, strict=True):
        ax.annotate(f"{v:,.0f}", (v, yi), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_title(short(title, 80), loc="left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.margins(x=0.12)
    return fig


ENTRY_COLOURS = {
    "planned": "#1f5f8b",
    "paused": "#edae49",
    "published": "#264653",
    "missed": "#d1495b",
    "cancelled": "#adb5bd",
}
ENTRY_MARKERS = {"planned": "o", "paused": "s", "published": "D", "missed": "X", "cancelled": "x"}


def _time_axis(ax) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel("Time (UTC)")


def timeline(rows: Sequence[tuple], channels: Sequence[str], pauses: Sequence[tuple], *, title: str):
    """Return a timeline: one row per channel, a marker per scheduled post coloured by status, pauses shaded.

    `rows` are (time, channel, status); `pauses` are (start, end) with naive UTC datetimes.
    """
    fig = _figure(7.0, 0.35 * len(channels) + 1.6)
    ax = fig.add_subplot()
    y = {c: i for i, c in enumerate(channels)}
    for i, (start, end) in enumerate(pauses):
        ax.axvspan(start, end, color=ENTRY_COLOURS["paused"], alpha=0.2, lw=0, label="crisis pause" if i == 0 else None)
    for status, colour in ENTRY_COLOURS.items():
        pts = [(t, y[c]) for t, c, s in rows if s == status]
        if pts:
            xs, ys = zip(*pts, strict=True)
            ax.scatter(xs, ys, color=colour, marker=ENTRY_MARKERS[status], s=28, label=status, zorder=3)
    ax.set_yticks(list(y.values()), [short(c, 28) for c in channels])
    ax.set_ylim(-0.6, len(channels) - 0.4)
    ax.invert_yaxis()
    ax.set_ylabel("Channel")
    ax.grid(axis="y", visible=False)
    _time_axis(ax)
    ax.set_title(short(title, 80), loc="left")
    fig.legend(loc="outside lower center", frameon=False, fontsize=8, ncols=6)
    return fig


def lines(x: Sequence, series: dict[str, Sequence[float]], *, title: str, ylabel: str, xlabel: str = "Day (UTC)"):
    """Return a line chart of named series over days."""
    fig = _figure(7.0, 2.8)
    ax = fig.add_subplot()
    for (name, values), colour in zip(series.items(), (ACCENT, "#d1495b", "#2a9d8f", "#edae49"), strict=False):
        ax.plot(x, values, color=colour, lw=1.6, marker="o", ms=3, label=name)
    _time_axis(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")
    ax.set_title(short(title, 80), loc="left")
    fig.legend(loc="outside lower center", frameon=False, fontsize=8, ncols=4)
    return fig
