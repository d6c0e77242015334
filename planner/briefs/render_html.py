"""Render a brief as one self-contained HTML file (inline CSS, charts as data: images, nothing from the network)."""

from __future__ import annotations

from pathlib import Path

from planner.briefs import templates

TEMPLATE = "brief.html"


def render_html(context: dict, template_dir: str | Path | None = None, *, for_print: bool = False) -> str:
    """Return the brief as HTML; `for_print` adds the print CSS (pages, header label, contents page numbers)."""
    return templates.render("html", TEMPLATE, {**context, "print": for_print}, template_dir)
