"""Render a brief as Markdown, every value escaped so that it shows as written (no links, images or HTML)."""

from __future__ import annotations

import re
from pathlib import Path

from planner.briefs import templates

TEMPLATE = "brief.md"


def render_markdown(context: dict, template_dir: str | Path | None = None) -> str:
    """Return the brief as Markdown text (at most one blank line in a row)."""
    text = templates.render("md", TEMPLATE, context, template_dir)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
