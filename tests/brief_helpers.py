"""Builders for the brief tests: hostile text in every field a brief shows, and readers of each format."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

from planner import auth, briefs, campaigns, drafts
from planner.models import CampaignAdjustment
from tests.planfixtures import make_campaign, make_channels, make_trend

LONG_WORD = "Q" * 5000
HOSTILE = (
    "<script>alert('x')</script> <img src=x onerror=alert(1)> ![pixel](https://evil.example/p.png) "
    '[click me](javascript:alert(1)) =HYPERLINK("https://evil.example","x") @SUM(1+1) '
    "\u202egnp.exe\u202c # not a heading | not a cell *not bold* $x^2$ "
)


def hostile_campaign(session):
    """Return a campaign whose plan, draft, trend, adjustment and brief settings all carry hostile text."""
    trend = make_trend(session, key="#<script>x</script>", texts=("#x",))
    chans = make_channels(session)
    camp = make_campaign(
        session,
        name="Hostile <b>campaign</b>",
        goal=HOSTILE + LONG_WORD,
        key_message=HOSTILE,
        call_to_action="=cmd|' /C calc'!A0",
        status="active",
    )
    campaigns.set_links(session, auth.CLI_ACTOR, camp.id, trend_ids=[trend.id], channel_ids=[chans["x"]])
    drafts.create_draft(
        session,
        auth.CLI_ACTOR,
        camp.id,
        {"title": "<script>t</script>", "master_text": HOSTILE + LONG_WORD, "variants": {chans["x"]: HOSTILE}},
    )
    session.add(CampaignAdjustment(campaign_id=camp.id, author_name="x", what="=1+1", why=HOSTILE))
    session.commit()
    briefs.save_settings(
        session,
        auth.CLI_ACTOR,
        camp.id,
        executive_summary=HOSTILE + "\n\n" + LONG_WORD,
        handling_label="OFFICIAL-SENSITIVE <i>x</i>",
        author="<script>author</script>",
    )
    return camp


class Resources(HTMLParser):
    """Collect every tag name and every URL-bearing attribute of an HTML document."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.urls += [v or "" for k, v in attrs if k in ("src", "href", "srcset", "action", "data", "poster")]


def html_resources(html: str) -> Resources:
    parser = Resources()
    parser.feed(html)
    return parser


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def docx_document(data: bytes):
    from docx import Document

    return Document(io.BytesIO(data))


def docx_headings(data: bytes) -> list[tuple[str, str]]:
    """Return (style, text) of every heading or title paragraph of a .docx."""
    doc = docx_document(data)
    return [(p.style.name, p.text) for p in doc.paragraphs if re.match(r"(Heading \d|Title)", p.style.name)]
