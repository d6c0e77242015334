"""Briefs end to end: every format for the demo campaigns and an empty campaign, section choice, audit, errors."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from planner import audit, auth, briefs, campaigns
from planner.auth import PermissionDenied
from planner.briefs import BriefError, BriefOptions
from planner.metrics import results
from planner.metrics.kpis import format_value
from planner.models import Draft, ScheduleEntry
from tests.brief_helpers import docx_headings, html_resources, pdf_text
from tests.planfixtures import make_campaign

ALL = tuple(briefs.SECTIONS)


def titles(names=ALL) -> list[str]:
    return [briefs.SECTIONS[n].title for n in names]


@pytest.mark.parametrize("name", ["Valley Together", "Open Doors for Parents"])
def test_html_and_markdown_of_the_demo_campaigns_have_every_section(demo_session, demo_admin, name):
    html = briefs.export(demo_session, demo_admin, name, "html", BriefOptions()).decode()
    md = briefs.export(demo_session, demo_admin, name, "md", BriefOptions()).decode()
    for title in titles():
        assert f"<h2>{title}</h2>" in html
        assert f"\n## {title}\n" in md
    assert f'<h1 dir="auto">{name}</h1>' in html


def test_demo_brief_reads_the_real_plan_and_matrix(demo_session, demo_admin):
    md = briefs.export(demo_session, demo_admin, "Valley Together", "md", BriefOptions()).decode()
    assert md.startswith("**OFFICIAL-SENSITIVE**")  # the demo's stored handling label
    assert "Valley Together answers with an alternative, not an argument" in md  # the stored executive summary
    assert "| mentoring evening sign-ups from Valleyton | 150 | people |" in md
    assert "Sam Rivers (fictional)" in md and "Jo Ashdown (fictional)" in md
    assert "\\#greylanternrises" in md and "signal of possible coordination, not proof" in md
    assert "audience active hours: \\[18, 19, 20\\] -&gt; \\[18, 19, 20, 21, 22\\]" in md  # the adjustments log
    assert "| Redirect: searching the Lantern tag | Scheduled | 1/1 |" in md
    # The demo is dated relative to the moment it was loaded: read the expected times back from the workspace.
    missed = demo_session.scalar(
        select(ScheduleEntry.scheduled_at)
        .join(Draft, Draft.id == ScheduleEntry.draft_id)
        .where(Draft.title == "Mentoring evening this Friday", ScheduleEntry.status == "missed")
    )
    at = missed.strftime("%Y-%m-%d %H:%M")
    assert f"| {at} UTC | X @ValleyVoicesNet | Mentoring evening this Friday | Missed (during a pause) |" in md
    minutes = results.summary(demo_session, "Valley Together").values["time_to_response_minutes"]
    took = format_value("time_to_response_minutes", minutes)
    assert f"| Time to response | {took} | first counter-post published - trend detected |" in md


def test_pdf_of_the_demo_campaign_has_every_section_page_numbers_and_label(demo_session, demo_admin):
    data = briefs.export(demo_session, demo_admin, "Valley Together", "pdf", BriefOptions())
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    for title in titles():
        assert text.count(title) >= 2, title  # in the contents and as the section's heading
    assert "Page 1 of" in text and "OFFICIAL-SENSITIVE" in text
    assert "Valley Together answers with an alternative" in text


def test_docx_of_the_demo_campaign_has_real_headings_tables_and_charts(demo_session, demo_admin):
    data = briefs.export(demo_session, demo_admin, "Valley Together", "docx", BriefOptions())
    heads = docx_headings(data)
    assert ("Title", "Valley Together") in heads
    assert [t for s, t in heads if s == "Heading 1"] == ["Contents", *titles()]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        images = [n for n in z.namelist() if n.startswith("word/media/")]
        header = z.read("word/header1.xml").decode()
    assert len(images) == 5  # two trend charts, drafts by status, the schedule timeline, reach over time: PNG
    assert "OFFICIAL-SENSITIVE" in header


@pytest.mark.parametrize("fmt", list(briefs.FORMATS))
def test_every_format_for_an_empty_campaign(session, fmt):
    make_campaign(session, name="Empty one")
    data = briefs.export(session, auth.CLI_ACTOR, "Empty one", fmt, BriefOptions())
    if fmt == "pdf":
        text = pdf_text(data)
        assert "No drafts yet for this campaign." in text and "No trends are linked" in text
    elif fmt == "docx":
        assert [t for s, t in docx_headings(data) if s == "Heading 1"] == ["Contents", *titles()]
    else:
        text = data.decode()
        assert "No drafts yet for this campaign." in text
        assert "No coordination detection has been run" in text


def test_chosen_sections_only_and_in_the_brief_order(demo_session, demo_admin):
    options = BriefOptions(sections=briefs.parse_sections("matrix, plan"))
    data = briefs.export(demo_session, demo_admin, "Valley Together", "docx", options)
    assert [t for s, t in docx_headings(data) if s == "Heading 1"] == ["Contents", "GAMMMA+ plan", "Message matrix"]
    html = briefs.export(demo_session, demo_admin, "Valley Together", "html", options).decode()
    assert "Threat picture" not in html and "Appendix" not in html


def test_unknown_section_and_format_are_named(demo_session, demo_admin):
    with pytest.raises(BriefError, match="'timeline' is not a section; choose from summary, threat"):
        briefs.parse_sections("plan,timeline")
    with pytest.raises(BriefError, match="'odt' is not one of pdf, docx, html, md"):
        briefs.export(demo_session, demo_admin, "Valley Together", "odt", BriefOptions())


def test_export_is_audited_and_needs_the_export_permission(demo_session, demo_admin):
    briefs.export(demo_session, demo_admin, "Valley Together", "md", BriefOptions(sections=("plan",)))
    entries = audit.entries(demo_session, audit.AuditFilter(action_prefix="brief.export"))
    assert entries.iloc[0]["summary"] == "Valley Together: md (plan)"
    nobody = audit.Actor(user_id=None, username="ghost", role="nobody")
    with pytest.raises(PermissionDenied):
        briefs.export(demo_session, nobody, "Valley Together", "md", BriefOptions())


def test_options_override_the_stored_label_author_and_date(demo_session, demo_admin):
    from datetime import date

    camp = campaigns.get_campaign(demo_session, "Valley Together")
    ctx = briefs.build(
        demo_session, camp, BriefOptions(handling_label="", author="Ada", date=date(2026, 12, 1), sections=("plan",))
    )
    assert (ctx["label"], ctx["author"], ctx["date"]) == ("", "Ada", "2026-12-01")
    html = briefs.render(ctx, "html").decode()
    assert 'class="handling"' not in html


def test_html_is_self_contained(demo_session, demo_admin):
    html = briefs.export(demo_session, demo_admin, "Valley Together", "html", BriefOptions()).decode()
    res = html_resources(html)
    assert "script" not in res.tags and "link" not in res.tags
    charts = [u for u in res.urls if u.startswith("data:image/svg+xml;base64,")]
    assert len(charts) == 5
    assert all(u.startswith(("data:", "#sec-")) for u in res.urls), [u[:40] for u in res.urls]
    assert "default-src 'none'" in html  # and nothing may load even if something slipped through
