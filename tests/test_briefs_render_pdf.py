"""PDF briefs: Russian and Arabic in the bundled font, contents with page numbers, nothing fetched from outside."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from planner import auth, briefs
from planner.briefs import BriefOptions
from planner.briefs.render_pdf import FONT_FILES, ZWSP, _fetcher, font_dir, soft_wrap
from tests.planfixtures import make_campaign

RUSSIAN = "Долина строится людьми, которые остаются"
ARABIC = "الوادي يبنيه الناس الذين يبقون"


def _fonts(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            names.add(str(ref.get_object()["/BaseFont"]))
    return names


def test_russian_and_arabic_render_in_the_bundled_font(session):
    camp = make_campaign(session, key_message=f"{RUSSIAN}\n{ARABIC}", audience_languages=["ru", "ar"])
    data = briefs.export(session, auth.CLI_ACTOR, camp.id, "pdf", BriefOptions(sections=("plan",)))
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert RUSSIAN in text
    assert len(re.findall(r"[\u0600-\u06ff\ufe70-\ufeff]", text)) >= 20  # Arabic letters, shaped by Pango
    # Every glyph came from our DejaVu Sans: no fallback to whatever fonts the machine has.
    fonts = _fonts(reader)
    assert fonts and all("Counterpoint-Sans" in f for f in fonts), fonts


def test_contents_lists_sections_with_their_page_numbers(session):
    camp = make_campaign(session)
    data = briefs.export(session, auth.CLI_ACTOR, camp.id, "pdf", BriefOptions())
    reader = PdfReader(io.BytesIO(data))
    contents = reader.pages[1].extract_text()
    pages = {}
    for title in (s.title for s in briefs.SECTIONS.values()):
        match = re.search(re.escape(title) + r"[ .]*?(\d+)\s*$", contents, re.MULTILINE)
        assert match, (title, contents)
        pages[title] = int(match.group(1))
    # Each section's heading is on the page the contents give.
    for title, number in pages.items():
        assert title in reader.pages[number - 1].extract_text(), title
    assert list(pages.values()) == sorted(pages.values())
    assert f"Page 2 of {len(reader.pages)}" in contents


def test_fetcher_allows_inline_data_and_our_fonts_only(tmp_path):
    fetcher = _fetcher()
    assert fetcher.fetch("data:text/plain;base64,aGk=") is not None
    assert fetcher.fetch((font_dir() / FONT_FILES[("normal", "normal")]).as_uri()) is not None
    other = tmp_path / "secret.txt"
    other.write_text("x")
    for url in ("https://evil.example/x.png", "http://127.0.0.1/x", other.as_uri(), "ftp://evil.example/x"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_soft_wrap_breaks_only_long_runs():
    assert soft_wrap("short words stay whole") == "short words stay whole"
    wrapped = soft_wrap("x" * 95 + " end")
    assert wrapped.replace(ZWSP, "") == "x" * 95 + " end"
    assert [len(p) for p in wrapped.split(" ")[0].split(ZWSP)] == [30, 30, 30, 5]
