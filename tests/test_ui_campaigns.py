"""Campaigns page: list, plan form by GAMMMA+ section, status and adjustments, role-based controls."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from planner import auth, campaigns, channels
from planner.config import load_settings
from planner.db import open_workspace
from tests.conftest import copy_demo
from tests.ui_helpers import assert_plain_words

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"


@pytest.fixture
def demo_ws(app_env, demo_template):
    copy_demo(demo_template, app_env)
    ws = open_workspace(load_settings().database_url)
    with ws.session() as s:
        users = {
            name: auth.create_user(s, auth.CLI_ACTOR, name, PASSWORD, role).id
            for name, role in (("dora", "drafter"), ("vic", "viewer"))
        }
    yield ws, users
    ws.dispose()


def open_page(user_id: int, campaign_id: int | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["user_id"] = user_id
    if campaign_id is not None:
        at.query_params["campaign"] = str(campaign_id)
    at.switch_page("planner/ui/campaigns.py").run()
    assert not at.exception, at.exception
    return at


def test_list_shows_demo_campaigns_and_new_form(demo_ws):
    _ws, users = demo_ws
    at = open_page(users["dora"])
    assert at.title[0].value == "Campaigns"
    assert [m.value for m in at.metric][:2] == ["2", "1"]
    assert at.subheader[0].value == "New campaign"
    assert len(at.tabs) == 7 and at.tabs[0].label == "Goal"
    assert set(at.dataframe[0].value["status"]) <= {"Planning", "Active", "Paused", "Closed"}
    assert_plain_words(at)


def test_plan_form_edits_a_campaign_and_logs_the_adjustment(demo_ws):
    ws, users = demo_ws
    with ws.session() as s:
        camp = campaigns.get_campaign(s, "Valley Together")
        version = camp.version
    key = f"camp_{camp.id}_{version}"
    at = open_page(users["dora"], camp.id)
    assert at.text_input(key=f"{key}_name").value == "Valley Together"
    at.text_input(key=f"{key}_cta").input("Join a Friday mentoring evening")
    at.text_input(key=f"{key}_reason").input("Friday evenings fill fastest")
    at.button(key=f"FormSubmitter:{key}_form-Save plan").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with ws.session() as s:
        camp = campaigns.get_campaign(s, "Valley Together")
        assert camp.call_to_action == "Join a Friday mentoring evening"
        log = campaigns.adjustments(s, camp.id)
    assert log.iloc[0]["why"] == "Friday evenings fill fastest"
    # Only the field the user changed counts as an adjustment, not every field the form sends back.
    assert (
        log.iloc[0]["what"]
        == "call to action: Join a mentoring evening at the youth centre -> Join a Friday mentoring evening"
    )


def test_running_campaign_change_without_reason_is_refused_in_the_page(demo_ws):
    ws, users = demo_ws
    with ws.session() as s:
        camp = campaigns.get_campaign(s, "Valley Together")
    key = f"camp_{camp.id}_{camp.version}"
    at = open_page(users["dora"], camp.id)
    at.text_area(key=f"{key}_goal").input("A different goal")
    at.button(key=f"FormSubmitter:{key}_form-Save plan").click().run()
    assert not at.exception
    assert "reason" in at.error[0].value


def test_new_campaign_without_messenger_names_the_field(demo_ws):
    _ws, users = demo_ws
    at = open_page(users["dora"])
    at.text_input(key="camp_new_0_name").input("Spring Voices")
    at.text_input(key="camp_new_0_funder").input("Northfield Civic Trust (fictional)")
    at.button(key="FormSubmitter:camp_new_0_form-Create campaign").click().run()
    assert not at.exception
    assert "messengers" in at.error[0].value


def test_viewer_sees_plan_but_cannot_save(demo_ws):
    ws, users = demo_ws
    with ws.session() as s:
        camp = campaigns.get_campaign(s, "Open Doors for Parents")
    at = open_page(users["vic"], camp.id)
    key = f"camp_{camp.id}_{camp.version}"
    assert at.button(key=f"FormSubmitter:{key}_form-Save plan").disabled
    assert not [b for b in at.button if b.key == "camp_new"]


def test_reviewer_adds_a_channel_drafter_cannot(demo_ws):
    ws, users = demo_ws
    with ws.session() as s:
        rhea = auth.create_user(s, auth.CLI_ACTOR, "rhea", PASSWORD, "reviewer").id
    at = open_page(rhea)
    at.selectbox(key="chan_p").select("youtube")
    at.text_input(key="chan_handle").input("Valley Voices")
    at.button(key="FormSubmitter:chan_add-Add channel").click().run()
    assert not at.exception and not at.error
    with ws.session() as s:
        assert [c.handle for c in channels.list_channels(s) if c.platform == "youtube"] == ["Valley Voices"]
    at = open_page(users["dora"])
    assert not [b for b in at.button if b.key == "FormSubmitter:chan_add-Add channel"]


def test_stale_plan_save_is_a_conflict_naming_their_changes(demo_ws):
    ws, users = demo_ws
    with ws.session() as s:
        camp = campaigns.get_campaign(s, "Open Doors for Parents")
    key = f"camp_{camp.id}_{camp.version}"
    at = open_page(users["dora"], camp.id)
    with ws.session() as s:
        campaigns.update_campaign(s, auth.CLI_ACTOR, camp.id, camp.version, {"key_message": "Someone else's words"})
    at.text_input(key=f"{key}_cta").input("Download the guide today")
    at.button(key=f"FormSubmitter:{key}_form-Save plan").click().run()
    assert not at.exception
    assert "they changed key message" in at.error[0].value
    (theirs,) = [d.value for d in at.dataframe if "now" in d.value.columns]
    assert theirs.iloc[0]["now"] == "Someone else's words"
    with ws.session() as s:
        camp = campaigns.get_campaign(s, camp.id)
        assert (camp.key_message, camp.call_to_action) == ("Someone else's words", "Download the parents' guide")
