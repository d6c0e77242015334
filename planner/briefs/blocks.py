"""The building blocks of a brief section (paragraphs, facts, tables, charts, notes) and text cleaning."""

from __future__ import annotations

import base64
import os
import re
import struct
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

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


def prerender(charts: list[Chart], fmt: str) -> None:
    """Draw the pictures of `charts` as `fmt` ahead of rendering, sharing the work with a forked process when safe.

    Drawing is pure-Python work (matplotlib holds the GIL), so threads would not help; a fork does, on a machine with
    two cores or more. It is used only in a single-threaded process (the CLI): forking a threaded server such as
    Streamlit's could copy a lock held by another thread. The child draws the second half and sends the bytes back
    through a pipe; if anything goes wrong there, this process draws those charts itself.
    """
    todo = [c for c in charts if fmt not in c._cache]
    if len(todo) < 2 or not hasattr(os, "fork") or threading.active_count() > 1 or (os.cpu_count() or 1) < 2:
        for chart in todo:
            chart._render(fmt)
        return
    mine, theirs = todo[: len(todo) // 2], todo[len(todo) // 2 :]
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: draw, send, and leave at once (no cleanup of the parent's files or connections)
        status = 1
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as pipe:
                for chart in theirs:
                    picture = chart._render(fmt)
                    pipe.write(struct.pack("<Q", len(picture)) + picture)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    for chart in mine:
        chart._render(fmt)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _pid, status = os.waitpid(pid, 0)
    offset = 0
    for chart in theirs:
        size = struct.unpack_from("<Q", data, offset)[0] if status == 0 and offset + 8 <= len(data) else -1
        if 0 <= size <= len(data) - offset - 8:
            chart._cache[fmt] = data[offset + 8 : offset + 8 + size]
            offset += 8 + size
        else:  # the child failed: draw it here
            chart._render(fmt)


Block = Paragraph | Subheading | Note | Facts | Table | Chart


def paragraphs(text: str) -> list[Paragraph]:
    """Split text on blank lines into paragraphs (single newlines stay inside a paragraph)."""
    parts = re.split(r"\n\s*\n", clean(text).strip())
    return [Paragraph(p.strip()) for p in parts if p.strip()]


def table(caption: str, columns: Iterable[str], rows: Iterable[Iterable[Any]], widths=None) -> Table:
    """Return a Table from any iterables of values."""
    return Table(caption, list(columns), [list(r) for r in rows], list(widths) if widths else None)
