"""Hostile text in a brief: escaped in HTML and Markdown, inert in Word, wrapped in the PDF, never loaded from."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from markdown_it import MarkdownIt

from planner import auth, briefs
from planner.briefs import BriefOptions
from tests.brief_helpers import LONG_WORD, docx_document, hostile_campaign, html_resources, pdf_text

BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def hostile(session):
    return hostile_campaign(session)


def export(session, camp, fmt: str) -> bytes:
    return briefs.export(session, auth.CLI_ACTOR, camp.id, fmt, BriefOptions())


def test_html_escapes_everything_and_loads_nothing(session, hostile):
    html = export(session, hostile, "html").decode()
    res = html_resources(html)
    assert set(res.tags) <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "header",
        "p",
        "h1",
        "h2",
        "h3",
        "dl",
        "dt",
        "dd",
        "div",
        "nav",
        "ol",
        "li",
        "a",
        "main",
        "section",
        "table",
        "caption",
        "colgroup",
        "col",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "figure",
        "img",
        "figcaption",
    }
    assert all(u.startswith(("data:image/svg+xml;base64,", "#sec-")) for u in res.urls)
    assert not re.search(r"https?://", " ".join(res.urls))
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "<b>campaign</b>" not in html and "Hostile &lt;b&gt;campaign&lt;/b&gt;" in html
    assert "OFFICIAL-SENSITIVE &lt;i&gt;x&lt;/i&gt;" in html
    assert not BIDI.search(html)
    assert LONG_WORD in html


def test_markdown_renders_as_the_literal_text(session, hostile):
    md = export(session, hostile, "md").decode()
    assert "<script" not in md and "<img" not in md and "[click me](javascript:" not in md and "![pixel](" not in md
    assert not BIDI.search(md)
    rendered = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(md)
    tags = set(re.findall(r"<([a-z0-9]+)", rendered))
    assert tags <= {
        "p",
        "h1",
        "h2",
        "h3",
        "strong",
        "em",
        "ol",
        "ul",
        "li",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "blockquote",
    }, tags
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in rendered  # shown as text, exactly as written
    assert "![pixel](https://evil.example/p.png)" in rendered and "[click me](javascript:alert(1))" in rendered
    assert "# not a heading | not a cell *not bold* $x^2$" in rendered
    # The goal's hostile cell stays one table row of the plan.
    assert "<li><strong>Call to action:</strong> =cmd|' /C calc'!A0</li>" in rendered


def test_word_keeps_hostile_text_as_inert_plain_text(session, hostile):
    data = export(session, hostile, "docx")
    doc = docx_document(data)
    text = "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        c.text for t in doc.tables for r in t.rows for c in r.cells
    )
    assert "<script>alert('x')</script>" in text and "=cmd|' /C calc'!A0" in text and LONG_WORD in text
    assert not BIDI.search(text)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        body = z.read("word/document.xml").decode()
        rels = z.read("word/_rels/document.xml.rels").decode()
    # No fields, links or external targets come from the content (the only field is our PAGE in the footer).
    assert "instrText" not in body and "fldSimple" not in body and "<w:hyperlink" not in body
    assert 'TargetMode="External"' not in rels


def test_pdf_wraps_the_long_word_and_escapes_markup(session, hostile):
    data = export(session, hostile, "pdf")
    text = pdf_text(data).replace("\u200b", "")  # the zero-width break points the PDF renderer adds
    assert "<script>alert('x')</script>" in text
    runs = re.findall(r"Q+", text)  # per line: the extracted text has one line per printed line
    # The 5,000-character word is broken over many lines, none wider than the page.
    assert sum(len(r) for r in runs) >= 5000 * 3
    assert max(len(r) for r in runs) < 120
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    width = float(reader.pages[0].mediabox.width)
    xs = []
    for page in reader.pages:
        page.extract_text(visitor_text=lambda t, cm, tm, fd, fs: xs.append((tm[4] * cm[0] + cm[4], t)))
    assert xs and all(0 <= x <= width for x, t in xs if t.strip())
