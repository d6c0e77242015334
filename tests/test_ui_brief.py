"""Brief page: choose campaign and sections, edit the summary (not as a viewer), preview, download buttons."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from planner import auth, briefs, campaigns, wording
from planner.config import load_settings
from planner.db import open_workspace
from tests.conftest import PASSWORD, ROOT, copy_demo
from tests.ui_helpers import unescaped

PAGE = "planner/ui/brief.py"


@pytest.fixture
def demo_ws(app_env, demo_template):
    copy_demo(demo_template, app_env)
    ws = open_workspace(load_settings().database_url)
    with ws.session() as s:
        users = {
            name: auth.create_user(s, auth.CLI_ACTOR, name, PASSWORD, role).id
            for name, role in (("dora", "drafter"), ("vic", "viewer"))
        }
        valley = campaigns.get_campaign(s, "Valley Together").id
    yield ws, users, valley
    ws.dispose()


def open_page(user_id: int, preview: bool = False, campaign: int | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["user_id"] = user_id
    if campaign is not None:
        at.query_params["campaign"] = str(campaign)
    at.session_state["brief_preview"] = preview
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def test_page_shows_campaign_sections_metrics_and_four_downloads(demo_ws):
    _ws, users, valley = demo_ws
    at = open_page(users["vic"], campaign=valley)
    assert at.title[0].value == "Brief"
    assert at.selectbox(key="brief_campaign").value == valley
    assert [m.label for m in at.metric] == ["Sections", "Drafts", "Trends answered", "Handling label"]
    assert [m.value for m in at.metric] == ["11 of 11", "16", "2", "OFFICIAL-SENSITIVE"]
    buttons = at.get("download_button")
    assert len(buttons) == 4
    assert [b.proto.label for b in buttons] == ["PDF", "Word", "HTML", "Markdown"]
    # A viewer may export but not change what the planner wrote.
    assert at.text_area(key=f"brief_summary_{valley}").disabled


def test_fewer_sections_and_the_preview(demo_ws):
    _ws, users, valley = demo_ws
    at = open_page(users["dora"], preview=True, campaign=valley)
    at.pills(key="brief_sections").set_value(["plan", "adjustments"]).run()
    assert not at.exception, at.exception
    assert at.metric[0].value == "2 of 11"
    assert [h.value for h in at.header] == ["GAMMMA+ plan", "Adjustments log"]
    texts = [t.value for t in at.text]
    assert "OFFICIAL-SENSITIVE" in texts
    assert any("Week 1 results: most replies came after 21:00." in str(df.value.values) for df in at.dataframe)


def test_no_section_chosen_warns(demo_ws):
    _ws, users, _valley = demo_ws
    at = open_page(users["dora"])
    at.pills(key="brief_sections").set_value([]).run()
    assert at.warning[0].value == "Choose at least one section above."
    assert not at.get("download_button")


def test_drafter_saves_summary_and_label(demo_ws):
    ws, users, valley = demo_ws
    at = open_page(users["dora"], campaign=valley)
    at.text_area(key=f"brief_summary_{valley}").input("New summary <b>bold?</b>")
    at.text_input(key=f"brief_label_{valley}").input("OFFICIAL")
    at.button(key=f"FormSubmitter:brief_settings_{valley}-Save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with ws.session() as s:
        stored = briefs.get_settings(s, valley)
    assert (stored.executive_summary, stored.handling_label, stored.updated_by) == (
        "New summary <b>bold?</b>",
        "OFFICIAL",
        "dora",
    )
    assert at.metric[3].value == "OFFICIAL"


def test_too_long_label_shows_the_error(demo_ws):
    _ws, users, valley = demo_ws
    at = open_page(users["dora"], campaign=valley)
    at.text_input(key=f"brief_label_{valley}").input("L" * 200)
    at.button(key=f"FormSubmitter:brief_settings_{valley}-Save").click().run()
    assert unescaped(at.error[0].value).startswith("handling label: use at most 120 characters")


def test_no_campaigns_yet(app_env):
    from tests.ui_helpers import make_user

    at = open_page(make_user("ada", "admin"))
    assert "No campaigns yet" in at.info[0].value


def test_preview_names_the_signed_in_planner_by_default(demo_ws):
    ws, users, valley = demo_ws
    with ws.session() as s:
        stored = briefs.get_settings(s, valley)
        briefs.save_settings(
            s,
            auth.CLI_ACTOR,
            valley,
            executive_summary=stored.executive_summary,
            handling_label=stored.handling_label,
            author="",
        )
    at = open_page(users["dora"], preview=True, campaign=valley)
    at.pills(key="brief_sections").set_value(["plan"]).run()
    assert not at.exception, at.exception
    title_page = next(t.value for t in at.text if t.value.startswith("Campaign brief: Valley Together"))
    assert title_page.endswith(" · dora") and "not named" not in title_page
    assert at.text_input(key=f"brief_author_{valley}").value == "dora"


def test_brief_context_says_the_status_in_words(demo_ws):
    ws, _users, valley = demo_ws
    with ws.session() as s:
        campaign = campaigns.get_campaign(s, valley)
        context = briefs.build(s, campaign, briefs.BriefOptions(sections=("plan",)))
        assert context["status"] == wording.label(campaign.status, "campaign_status") != campaign.status
