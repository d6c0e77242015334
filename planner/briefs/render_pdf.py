"""Render a brief as PDF with WeasyPrint from the print HTML, in DejaVu Sans shipped with matplotlib.

Matplotlib's DejaVu Sans covers Latin, Cyrillic and Arabic, so Russian and Arabic text render on a machine with
only the pip requirements and Debian's Pango (which WeasyPrint needs). Only data: URIs and those font files may be
loaded: nothing from the network, whatever a template or a text contains.
"""

from __future__ import annotations

from pathlib import Path

from planner.briefs.render_html import render_html

FONT_FAMILY = "Counterpoint Sans"
FONT_FILES = {
    ("normal", "normal"): "DejaVuSans.ttf",
    ("bold", "normal"): "DejaVuSans-Bold.ttf",
    ("normal", "italic"): "DejaVuSans-Oblique.ttf",
    ("bold", "italic"): "DejaVuSans-BoldOblique.ttf",
}


def font_dir() -> Path:
    """Return matplotlib's folder of bundled TrueType fonts."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


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
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    html = render_html(context, template_dir, for_print=True)
    fonts = FontConfiguration()
    fetcher = _fetcher()
    faces = CSS(string=font_faces(), font_config=fonts, url_fetcher=fetcher)
    document = HTML(string=html, url_fetcher=fetcher, media_type="print")
    return document.write_pdf(stylesheets=[faces], font_config=fonts)
