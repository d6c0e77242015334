"""The building blocks of a brief section (paragraphs, facts, tables, charts, notes) and text cleaning."""

from __future__ import annotations

import base64
import mmap
import os
import re
import struct
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

T = TypeVar("T")
# Loading matplotlib costs about as much as drawing three charts: a process that has not loaded it joins the drawing
# only when more than this many charts are still waiting.
JOIN_AFTER = 3

# Bidi embeddings, overrides and isolates (they can make text read in a different order than it is stored) and
# control characters other than tab and newline (Word's XML cannot hold them).
_UNSAFE = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(value: Any) -> str:
    """Return `value` as display text with bidi controls and control characters removed ('' for None)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return _UNSAFE.sub("", str(value))


def when(value: datetime | None) -> str:
    """Return a UTC datetime as '2026-11-05 12:00 UTC' ('' for None)."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


@dataclass
class Paragraph:
    text: str
    kind: str = "paragraph"

    def __post_init__(self) -> None:
        self.text = clean(self.text)


@dataclass
class Subheading:
    text: str
    kind: str = "subheading"

    def __post_init__(self) -> None:
        self.text = clean(self.text)


@dataclass
class Note:
    """A highlighted caution, such as 'coordination is a signal, not attribution'."""

    text: str
    kind: str = "note"

    def __post_init__(self) -> None:
        self.text = clean(self.text)


@dataclass
class Facts:
    """Label: value pairs (a definition list)."""

    items: list[tuple[str, str]]
    kind: str = "facts"

    def __post_init__(self) -> None:
        self.items = [(clean(k), clean(v)) for k, v in self.items]


@dataclass
class Table:
    """A captioned table; `widths` are relative column widths for print (None: equal)."""

    caption: str
    columns: list[str]
    rows: list[list[str]]
    widths: list[float] | None = None
    kind: str = "table"

    def __post_init__(self) -> None:
        self.caption = clean(self.caption)
        self.columns = [clean(c) for c in self.columns]
        self.rows = [[clean(v) for v in row] for row in self.rows]
        if self.widths:
            total = sum(self.widths)
            self.widths = [round(100 * w / total, 1) for w in self.widths]


@dataclass
class Chart:
    """A captioned static chart, drawn only when a format asks for it (SVG for HTML/PDF, PNG for Word)."""

    caption: str
    alt: str
    draw: Callable[[], Any]  # returns a matplotlib Figure
    kind: str = "chart"
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.caption = clean(self.caption)
        self.alt = clean(self.alt)

    def _render(self, fmt: str) -> bytes:
        if fmt not in self._cache:
            from planner.briefs import charts

            self._cache[fmt] = charts.render(self.draw, fmt)
        return self._cache[fmt]

    @property
    def svg(self) -> str:
        """The chart as an SVG document (text drawn as paths, so it looks the same without fonts)."""
        return self._render("svg").decode("utf-8")

    @property
    def svg_data_uri(self) -> str:
        """The SVG as a data: URI, for an <img> that loads nothing from anywhere and runs nothing."""
        return "data:image/svg+xml;base64," + base64.b64encode(self._render("svg")).decode("ascii")

    @property
    def png(self) -> bytes:
        return self._render("png")

    @property
    def png_data_uri(self) -> str:
        """The PNG as a data: URI: WeasyPrint embeds a picture much faster than it draws SVG node by node."""
        return "data:image/png;base64," + base64.b64encode(self._render("png")).decode("ascii")


def charts_of(context: dict) -> list[Chart]:
    """Return the charts of a built brief, in order."""
    return [b for sec in context["sections"] for b in sec["blocks"] if isinstance(b, Chart)]


def prerender(charts: list[Chart], fmt: str, meanwhile: Callable[[], T] | None = None) -> T | None:
    """Draw the pictures of `charts` as `fmt` ahead of rendering, sharing the work with a forked process when safe.

    Drawing is pure-Python work (matplotlib holds the GIL), so threads would not help; a fork does, on a machine with
    two cores or more. It is used only in a single-threaded process (the CLI): forking a threaded server such as
    Streamlit's could copy a lock held by another thread. The child draws from the first chart on and sends each
    picture through a pipe as it finishes; this process first runs `meanwhile` (say, importing the renderer), then
    draws from the last chart back until it meets the child's (unless so few are left that the child finishes them
    sooner than this process could load matplotlib). A shared byte per chart says who took it (if both
    take one at the same instant, both draw it: same bytes, no harm). If anything goes wrong in the child, this
    process draws what is missing. Returns what `meanwhile` returned.
    """
    todo = [c for c in charts if fmt not in c._cache]
    forkable = hasattr(os, "fork") and threading.active_count() == 1 and (os.cpu_count() or 1) >= 2
    if not forkable or not todo or (len(todo) < 2 and meanwhile is None):
        result = meanwhile() if meanwhile is not None else None
        for chart in todo:
            chart._render(fmt)
        return result
    taken = mmap.mmap(-1, len(todo))  # anonymous and shared: the child sees this process's writes and vice versa
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: draw, send, and leave at once (no cleanup of the parent's files or connections)
        status = 1
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as pipe:
                for i, chart in enumerate(todo):
                    if taken[i]:
                        break  # the parent drew the rest
                    taken[i] = 1
                    picture = chart._render(fmt)
                    pipe.write(struct.pack("<QQ", i, len(picture)) + picture)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    try:
        result = meanwhile() if meanwhile is not None else None
        waiting = sum(1 for i in range(len(todo)) if not taken[i])
        if meanwhile is not None and waiting <= JOIN_AFTER and "matplotlib.figure" not in sys.modules:
            waiting = 0  # loading matplotlib here would take as long as the child needs to finish them
        for i in reversed(range(len(todo))):
            if not waiting or taken[i]:
                break  # the child has this one and every one before it
            taken[i] = 1
            todo[i]._render(fmt)
    finally:  # collect the child even when this side failed, so no process is left behind
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        _pid, status = os.waitpid(pid, 0)
        taken.close()
    offset = 0
    while status == 0 and offset + 16 <= len(data):
        i, size = struct.unpack_from("<QQ", data, offset)
        if i >= len(todo) or size > len(data) - offset - 16:
            break
        todo[i]._cache.setdefault(fmt, data[offset + 16 : offset + 16 + size])
        offset += 16 + size
    for chart in todo:  # what the child failed to draw
        if fmt not in chart._cache:
            chart._render(fmt)
    return result


Block = Paragraph | Subheading | Note | Facts | Table | Chart


def paragraphs(text: str) -> list[Paragraph]:
    """Split text on blank lines into paragraphs (single newlines stay inside a paragraph)."""
    parts = re.split(r"\n\s*\n", clean(text).strip())
    return [Paragraph(p.strip()) for p in parts if p.strip()]


def table(caption: str, columns: Iterable[str], rows: Iterable[Iterable[Any]], widths=None) -> Table:
    """Return a Table from any iterables of values."""
    return Table(caption, list(columns), [list(r) for r in rows], list(widths) if widths else None)
