"""Drafts page: editor with live counters and checks, save, review with acknowledgement, comments, history."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from planner import auth, drafts, workflow
from planner.channels import list_channels as channels_list
from planner.config import load_settings
from planner.db import open_workspace
from tests.conftest import copy_demo
from tests.ui_helpers import assert_plain_words

ROOT = Path(__file__).resolve().parent.parent

TIMEOUT = 30


@pytest.fixture
def demo_ws(app_env, demo_template):
    copy_demo(demo_template, app_env)
    ws = open_workspace(load_settings().database_url)
    with ws.session() as s:
        admin = auth.get_user(s, "ada")
        users = {
            name: auth.create_user(s, auth.CLI_ACTOR, name, "correct horse battery", role).id
            for name, role in (("dora", "drafter"), ("rhea", "reviewer"), ("vic", "viewer"))
        }
        users["ada"] = admin.id
    yield ws, users
    ws.dispose()


def open_page(user_id: int, draft_id: int | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.session_state["user_id"] = user_id
    if draft_id is not None:
        at.query_params["draft"] = str(draft_id)
    at.switch_page("planner/ui/drafts.py").run()
    assert not at.exception, at.exception
    return at


def find_draft(ws, title):
    with ws.session() as s:
        frame = drafts.list_drafts(s)
    return int(frame[frame["title"] == title]["id"].iloc[0])


def test_list_and_detail_load_for_every_role(demo_ws):
    ws, users = demo_ws
    draft_id = find_draft(ws, "Redirect: searching the Lantern tag")
    for name in ("ada", "dora", "rhea", "vic"):
        at = open_page(users[name], draft_id)
        assert at.title[0].value == "Drafts"
        assert any("Redirect" in s.value for s in at.subheader)


def editor_keys(ws, draft_id):
    with ws.session() as s:
        d = drafts.get_draft(s, draft_id)
        return f"ed_{d.id}_{d.version}", d.version, [v.channel_id for v in d.variants]


def test_editor_counts_checks_and_saves(demo_ws):
    ws, users = demo_ws
    draft_id = find_draft(ws, "Football and mentoring")
    key, version, channel_ids = editor_keys(ws, draft_id)
    at = open_page(users["dora"], draft_id)
    assert any("/ 280" in c.value for c in at.caption)
    x_key = f"{key}_v{channel_ids[0]}"
    at.text_area(key=x_key).input("Friday football, then a mentor. Join us: https://valleyvoices.example/m").run()
    assert any(w.value.startswith("**Link without UTM tags**") for w in at.warning)
    at.button(key=f"{key}_tag").click().run()
    assert "utm_source=x" in at.text_area(key=x_key).value
    at.button(key=f"{key}_save").click().run()
    assert not at.exception and not at.error
    with ws.session() as s:
        d = drafts.get_draft(s, draft_id)
        text = {v.channel_id: v.text for v in d.variants}[channel_ids[0]]
        assert text.startswith("Friday football") and "utm_campaign=valley-together" in text
        assert drafts.versions(s, draft_id)[0].author_name == "dora"


def test_stale_save_shows_conflict_with_their_changes(demo_ws):
    ws, users = demo_ws
    draft_id = find_draft(ws, "Football and mentoring")
    key, version, _ = editor_keys(ws, draft_id)
    at = open_page(users["dora"], draft_id)
    with ws.session() as s:
        rhea = auth.actor_for(auth.get_user(s, "rhea"))
        drafts.update_draft(s, rhea, draft_id, version, {"master_text": "Rhea's wording"})
    at.text_area(key=f"{key}_master").input("Dora's wording")
    at.button(key=f"{key}_save").click().run()
    assert not at.exception
    assert "changed by rhea" in at.error[0].value
    assert any("+Rhea's wording" in c.value for c in at.code)
    with ws.session() as s:
        assert drafts.get_draft(s, draft_id).master_text == "Rhea's wording"


def test_reviewer_must_acknowledge_amplification_to_approve(demo_ws):
    ws, users = demo_ws
    with ws.session() as s:
        dora = auth.actor_for(auth.get_user(s, "dora"))
        camp = drafts.get_draft(s, find_draft(ws, "Launch post")).campaign_id
        x = next(c.id for c in channels_list(s) if c.platform == "x")
        d = drafts.create_draft(
            s, dora, camp, {"title": "Tag test", "variants": {x: "Questions about #GreyLanternRises? Talk to us."}}
        )
        workflow.submit(s, dora, d.id)
    key, _, _ = editor_keys(ws, d.id)
    at = open_page(users["rhea"], d.id)
    at.button(key=f"FormSubmitter:{key}_approve-Approve").click().run()
    assert "'Uses the adversary's hashtag'" in at.error[0].value
    at.text_input(key=f"{key}_ack_adversary_hashtag").input("Redirect post, after the peak")
    at.button(key=f"FormSubmitter:{key}_approve-Approve").click().run()
    assert not at.exception and not at.error
    # The reviewer stays on the Review tab and reads what happened (a toast would vanish with the rerun).
    assert [s.value for s in at.success if "Approve: done" in s.value] == ["Approve: done. The draft is now approved."]
    assert at.tabs[1].label.startswith("Review") and any("Approve: done" in s.value for s in at.tabs[1].success)
    with ws.session() as s:
        assert drafts.get_draft(s, d.id).status == "approved"
        (approval,) = drafts.approvals(s, d.id)
        assert approval.acknowledgements[0].reason == "Redirect post, after the peak"


def test_author_sees_no_approve_and_viewer_no_save(demo_ws):
    ws, users = demo_ws
    with ws.session() as s:
        rhea = auth.actor_for(auth.get_user(s, "rhea"))
        camp = drafts.get_draft(s, find_draft(ws, "Launch post")).campaign_id
        d = drafts.create_draft(s, rhea, camp, {"title": "Own draft", "master_text": "Join us on Friday."})
        workflow.submit(s, rhea, d.id)
    at = open_page(users["rhea"], d.id)
    assert not [b for b in at.button if "approve" in str(b.key)]
    assert any("another reviewer must approve" in c.value for c in at.caption)
    at = open_page(users["vic"], d.id)
    assert not [b for b in at.button if str(b.key).endswith("_save")]


def test_comment_and_history_diff(demo_ws):
    ws, users = demo_ws
    draft_id = find_draft(ws, "Football and mentoring")
    key, version, _ = editor_keys(ws, draft_id)
    with ws.session() as s:
        dora = auth.actor_for(auth.get_user(s, "dora"))
        drafts.update_draft(s, dora, draft_id, version, {"master_text": "Second wording"})
    key, _, _ = editor_keys(ws, draft_id)
    at = open_page(users["dora"], draft_id)
    assert any(":green-background[" in m.value and "Second" in m.value for m in at.markdown)
    assert any(m.value.startswith("**Version 1**") for m in at.markdown)
    at.toggle(key=f"{key}_whole").set_value(True).run()
    compared = at.dataframe[-1].value
    assert ("changed", "Second wording") in set(zip(compared["change"], compared["after"], strict=True))
    at.text_area(key=f"{key}_comment_body").input("Photo added?")
    at.button(key=f"FormSubmitter:{key}_comment-Comment").click().run()
    assert not at.exception
    with ws.session() as s:
        assert drafts.comments(s, draft_id)[-1].body == "Photo added?"


def test_plain_words_version_agrees_with_history(demo_ws):
    ws, users = demo_ws
    draft_id = find_draft(ws, "Jo's story")
    with ws.session() as s:
        d = drafts.get_draft(s, draft_id)
        number = drafts.current_number(s, draft_id)
        assert d.version != number  # the lock counter differs from what History lists
    at = open_page(users["rhea"], draft_id)
    assert_plain_words(at)
    caption = next(c.value for c in at.caption if c.value.startswith("Campaign"))
    assert caption.endswith(f"version {number}") and "In review" in caption
    assert f"History ({number} version{'s' if number != 1 else ''})" in [t.label for t in at.tabs]
    table = at.dataframe[0].value
    assert "In review" in set(table["status"]) and "in_review" not in set(table["status"])


def test_approvals_name_their_version_not_a_hash(demo_ws):
    ws, users = demo_ws
    draft_id = find_draft(ws, "Redirect: searching the Lantern tag")
    at = open_page(users["ada"], draft_id)
    assert_plain_words(at)
    approvals = next(f.value for f in at.dataframe if "Reviewer" in f.value.columns)
    assert approvals["What"].str.match(r"approved version \d+").all()
    assert approvals["When"].str.match(r"\w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d UTC").all()


def test_create_draft_closes_the_form_and_selects_it(demo_ws):
    ws, users = demo_ws
    at = open_page(users["dora"], find_draft(ws, "Launch post"))
    at.button(key="dr_start").click().run()
    at.text_input(key="dr_new_title").input("Brand new answer")
    at.button(key="FormSubmitter:dr_new-Create draft").click().run()
    assert not at.exception and not at.error
    new_id = find_draft(ws, "Brand new answer")
    assert at.query_params["draft"] in (str(new_id), [str(new_id)])
    assert at.subheader[0].value == "Brand new answer"
    assert not [b for b in at.button if b.key == "FormSubmitter:dr_new-Create draft"]
    assert at.button(key="dr_start").label == "Start a new draft"


def test_page_offers_exactly_the_actions_the_core_allows(demo_ws):
    ws, users = demo_ws
    with ws.session() as s:
        rhea = auth.actor_for(auth.get_user(s, "rhea"))
        camp = drafts.get_draft(s, find_draft(ws, "Launch post")).campaign_id
        d = drafts.create_draft(s, rhea, camp, {"title": "Rhea's draft", "master_text": "Join us on Friday."})
        workflow.submit(s, rhea, d.id)
    labels = {t.label for t in workflow.TRANSITIONS.values()}
    seen = {}
    for name in ("rhea", "dora", "vic", "ada"):
        with ws.session() as s:
            actor = auth.actor_for(auth.get_user(s, name))
            allowed = workflow.allowed_actions(s, actor, drafts.get_draft(s, d.id))
        at = open_page(users[name], d.id)
        shown = {b.label for b in at.button} & labels
        assert shown == {workflow.TRANSITIONS[n].label for n in allowed if n in workflow.TRANSITIONS}, name
        warned = any("voids its approvals" in w.value for w in at.warning)
        assert warned == ("edit" in allowed), name
        seen[name] = shown
    assert "Request changes" not in seen["rhea"] and "Withdraw from review" in seen["rhea"]
    assert "Withdraw from review" not in seen["dora"]
    assert seen["vic"] == set()
    assert {"Approve", "Request changes", "Withdraw from review"} <= seen["ada"]
