"""Render a brief as PDF with WeasyPrint from the print HTML, in DejaVu Sans shipped with matplotlib.

Matplotlib's DejaVu Sans covers Latin, Cyrillic and Arabic, so Russian and Arabic text render on a machine with
only the pip requirements and Debian's Pango (which WeasyPrint needs). Only data: URIs and those font files may be
loaded: nothing from the network, whatever a template or a text contains.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

from planner.briefs.blocks import charts_of, prerender
from planner.briefs.render_html import render_html

FONT_FAMILY = "Counterpoint Sans"
FONT_FILES = {
    ("normal", "normal"): "DejaVuSans.ttf",
    ("bold", "normal"): "DejaVuSans-Bold.ttf",
    ("normal", "italic"): "DejaVuSans-Oblique.ttf",
    ("bold", "italic"): "DejaVuSans-BoldOblique.ttf",
}


# Pango measures an unbroken run character by character when it must break it anywhere, which takes seconds for a
# 5,000-character "word"; a zero-width space every 30 characters of a long run gives it cheap break points.
_LONG_RUN = re.compile(r"(\S{30})(?=\S)")
ZWSP = "\u200b"


def soft_wrap(text: str) -> str:
    """Return `text` with a zero-width space after every 30 characters of an unbroken run (words stay whole)."""
    return _LONG_RUN.sub(r"\1" + ZWSP, text) if len(text) > 30 else text


def _wrapped(block):
    out = copy.copy(block)
    if hasattr(block, "text"):
        out.text = soft_wrap(block.text)
    if hasattr(block, "items"):
        out.items = [(soft_wrap(k), soft_wrap(v)) for k, v in block.items]
    if hasattr(block, "rows"):
        out.rows = [[soft_wrap(v) for v in row] for row in block.rows]
        out.caption = soft_wrap(block.caption)
    if hasattr(block, "alt"):
        out.caption = soft_wrap(block.caption)
    return out


def breakable(context: dict) -> dict:
    """Return a copy of a brief's context whose long unbroken runs can wrap cheaply."""
    out = {k: soft_wrap(v) if isinstance(v, str) else v for k, v in context.items()}
    out["sections"] = [{**s, "blocks": [_wrapped(b) for b in s["blocks"]]} for s in context["sections"]]
    return out


def font_dir() -> Path:
    """Return matplotlib's folder of bundled TrueType fonts (found without importing matplotlib: 0.5 s)."""
    from importlib.util import find_spec

    spec = find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "matplotlib is not installed: it ships the fonts of the PDF brief (pip install -r requirements.txt)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"


def font_faces() -> str:
    """Return @font-face rules binding 'Counterpoint Sans' to the bundled DejaVu Sans files."""
    folder = font_dir()
    return "\n".join(
        f'@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: {weight}; font-style: {style}; '
        f'src: url("{(folder / name).as_uri()}"); }}'
        for (weight, style), name in FONT_FILES.items()
    )


def _fetcher():
    from weasyprint.urls import URLFetcher

    allowed = {(font_dir() / name).as_uri() for name in FONT_FILES.values()}

    class LocalOnly(URLFetcher):
        """Fetch data: URIs and our font files; refuse everything else (no network, no other local files)."""

        def fetch(self, url, headers=None):
            if url.startswith("data:") or url in allowed:
                return super().fetch(url, headers)
            raise ValueError(f"briefs load nothing but inline data and their fonts: {url[:80]}")

    return LocalOnly(allowed_protocols=("data", "file"))


def render_pdf(context: dict, template_dir: str | Path | None = None) -> bytes:
    """Return the brief as PDF bytes (A4, page numbers, contents with page numbers, handling label on every page)."""
    # The print HTML embeds each chart as a PNG: while a child process starts drawing them, this one loads WeasyPrint.
    html_class, fonts, fetcher, faces = prerender(charts_of(context), "png", meanwhile=_load_weasyprint)
    html = render_html(breakable(context), template_dir, for_print=True)
    document = html_class(string=html, url_fetcher=fetcher, media_type="print")
    return document.write_pdf(stylesheets=[faces], font_config=fonts)


def _load_weasyprint():
    """Import WeasyPrint (about 1 s) and read the font faces; return (HTML, font configuration, fetcher, faces)."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    fetcher = _fetcher()
    faces = CSS(string=font_faces(), font_config=fonts, url_fetcher=fetcher)
    return HTML, fonts, fetcher, faces
