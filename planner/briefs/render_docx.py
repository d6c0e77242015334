"""Render a brief as an editable Word document with python-docx: real headings, tables, chart images, page numbers.

Every text goes in as a plain run (python-docx escapes it): no fields, links or formulas come from the content, so
a hostile '=cmd|...' or 'javascript:' stays inert text.
"""

from __future__ import annotations

import io
import re

from planner.briefs.blocks import charts_of, prerender

RTL = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
PAGE_WIDTH_CM, MARGIN_CM = 21.0, 2.0
LABEL_RED = (0x8B, 0x1E, 0x2D)


def _text(paragraph, text: str, bold: bool = False, size: float | None = None, colour=None):
    """Add `text` as one run; right-to-left scripts get Word's complex-script and paragraph direction flags."""
    from docx.oxml import OxmlElement
    from docx.shared import Pt, RGBColor

    run = paragraph.add_run(text)
    run.bold = bold or None
    if size:
        run.font.size = Pt(size)
    if colour:
        run.font.color.rgb = RGBColor(*colour)
    first = next((ch for ch in text if ch.isalpha()), "")
    if RTL.search(text):
        run.font.rtl = True
        if first and RTL.match(first):
            paragraph._p.get_or_add_pPr().append(OxmlElement("w:bidi"))
    return run


def _page_field(paragraph) -> None:
    """Append a PAGE field (our own, in the footer) so Word shows the page number."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = paragraph.add_run()
    for tag, attr in (("w:fldChar", "begin"), ("w:instrText", None), ("w:fldChar", "end")):
        el = OxmlElement(tag)
        if attr:
            el.set(qn("w:fldCharType"), attr)
        else:
            el.set(qn("xml:space"), "preserve")
            el.text = "PAGE"
        run._r.append(el)


def _repeat_header(row) -> None:
    from docx.oxml import OxmlElement

    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def _table(doc, block) -> None:
    from docx.shared import Cm

    if block.caption:
        _text(doc.add_paragraph(style="Caption"), block.caption)
    cols = len(block.columns)
    table = doc.add_table(rows=1 + len(block.rows), cols=cols)
    table.style = "Table Grid"
    usable = PAGE_WIDTH_CM - 2 * MARGIN_CM
    widths = block.widths or [100 / cols] * cols
    rows = table.rows
    for r, values in enumerate([block.columns, *block.rows]):
        cells = rows[r].cells
        for c, value in enumerate(values):
            cell = cells[c]
            cell.width = Cm(usable * widths[c] / 100)
            _text(cell.paragraphs[0], value, bold=r == 0, size=8.5)
    _repeat_header(rows[0])


def _facts(doc, block) -> None:
    from docx.shared import Cm

    table = doc.add_table(rows=len(block.items), cols=2)
    table.style = "Table Grid"
    usable = PAGE_WIDTH_CM - 2 * MARGIN_CM
    for row, (label, value) in zip(table.rows, block.items, strict=True):
        row.cells[0].width, row.cells[1].width = Cm(usable * 0.28), Cm(usable * 0.72)
        _text(row.cells[0].paragraphs[0], label, bold=True, size=9)
        _text(row.cells[1].paragraphs[0], value, size=9)
    doc.add_paragraph()


def _chart(doc, block) -> None:
    from docx.shared import Cm

    doc.add_picture(io.BytesIO(block.png), width=Cm(PAGE_WIDTH_CM - 2 * MARGIN_CM))
    shape = doc.inline_shapes[-1]
    shape._inline.docPr.set("descr", block.alt)  # alt text for screen readers
    shape._inline.docPr.set("title", block.caption[:200])
    _text(doc.add_paragraph(style="Caption"), block.caption)


def _block(doc, block) -> None:
    if block.kind == "paragraph":
        _text(doc.add_paragraph(), block.text)
    elif block.kind == "subheading":
        _text(doc.add_heading(level=2), block.text)
    elif block.kind == "note":
        _text(doc.add_paragraph(style="Intense Quote"), block.text)
    elif block.kind == "facts":
        _facts(doc, block)
    elif block.kind == "table":
        _table(doc, block)
    elif block.kind == "chart":
        _chart(doc, block)


def render_docx(context: dict) -> bytes:
    """Return the brief as .docx bytes (A4; handling label in the header, page number in the footer)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Cm

    prerender(charts_of(context), "png")
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(PAGE_WIDTH_CM), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(MARGIN_CM))
    props = doc.core_properties
    props.title, props.author, props.comments = context["title"][:250], context["author"][:250], "Counterpoint"
    if context["label"]:
        header = section.header.paragraphs[0]
        header.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _text(header, context["label"], bold=True, size=9, colour=LABEL_RED)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _text(footer, f"{context['campaign']} · page ", size=8)
    _page_field(footer)

    if context["label"]:
        _text(doc.add_paragraph(), context["label"], bold=True, colour=LABEL_RED)
    _text(doc.add_paragraph(), "Counterpoint campaign brief", size=10)
    _text(doc.add_heading(level=0), context["campaign"])
    meta = [
        ("Date", context["date"]),
        ("Author", context["author"]),
        ("Campaign status", context["status"]),
        ("Generated", context["generated_at"]),
    ]
    from planner.briefs.blocks import Facts

    _facts(doc, Facts(meta))
    _text(
        doc.add_paragraph(),
        "Monitored content quoted in this brief is reproduced as evidence, not endorsed. Coordination findings are "
        "signals, never attribution.",
        size=8,
    )
    doc.add_heading("Contents", level=1)
    for s in context["sections"]:
        _text(doc.add_paragraph(style="List Number"), s["title"])
    doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    for s in context["sections"]:
        _text(doc.add_heading(level=1), s["title"])
        for block in s["blocks"]:
            _block(doc, block)
        if not s["blocks"]:
            _text(doc.add_paragraph(), "Nothing to report.")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
