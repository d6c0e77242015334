"""Approval workflow: every transition per role from every state, self-approval, hash-bound approvals, conflicts."""

from __future__ import annotations

import pytest
from planfixtures import make_campaign, make_channels, make_watchlist

from planner import audit, auth, drafts, workflow
from planner.auth import PermissionDenied
from planner.models import Approval

STATES = ("draft", "in_review", "changes_requested", "approved", "scheduled", "published", "archived")
# The state machine as the issue describes it: transition -> (states it may start from, state it ends in).
VALID = {
    "submit": (("draft", "changes_requested"), "in_review"),
    "withdraw": (("in_review",), "draft"),
    "approve": (("in_review",), "approved"),
    "request_changes": (("in_review", "approved"), "changes_requested"),
    "schedule": (("approved",), "scheduled"),
    "unschedule": (("scheduled",), "approved"),
    "publish": (("scheduled",), "published"),
    "archive": (("draft", "changes_requested", "approved", "published"), "archived"),
}
ALL_VALID = {(t, s) for t, (sources, _) in VALID.items() for s in sources}
ALLOWED = {
    "viewer": set(),
    # The drafts are wren's: a drafter may not withdraw a colleague's draft (test_allowed_actions covers their own).
    "drafter": {
        ("submit", "draft"),
        ("submit", "changes_requested"),
        ("archive", "draft"),
        ("archive", "changes_requested"),
    },
    "reviewer": ALL_VALID,
    "admin": ALL_VALID,
}
OK_TEXT = "Join us on Friday at the youth centre"


@pytest.fixture
def world(session):
    author = auth.actor_for(auth.create_user(session, auth.CLI_ACTOR, "wren", "correct horse battery", "drafter"))
    second = auth.actor_for(auth.create_user(session, auth.CLI_ACTOR, "sol", "correct horse battery", "reviewer"))
    camp = make_campaign(session, author)
    return author, second, camp, make_channels(session)


def draft_in(session, world, state, text=OK_TEXT):
    """A draft written by `wren`, forced into `state` (with a valid approval by `sol` where the state needs one)."""
    author, second, camp, chans = world
    d = drafts.create_draft(session, author, camp.id, {"title": f"in {state}", "variants": {chans["x"]: text}})
    d.status = state
    if state in ("approved", "scheduled", "published"):
        session.add(
            Approval(
                draft_id=d.id, reviewer_id=second.user_id, reviewer_name="sol", content_hash=drafts.content_hash(d)
            )
        )
    session.commit()
    return d


@pytest.mark.parametrize("role", ["viewer", "drafter", "reviewer", "admin"])
def test_every_transition_from_every_state(session, world, role, request):
    actor = request.getfixturevalue(
        {"viewer": "viewer", "drafter": "drafter", "reviewer": "reviewer", "admin": "admin"}[role]
    )
    for name, (_, target) in VALID.items():
        for state in STATES:
            d = draft_in(session, world, state)
            note = "please fix" if name == "request_changes" else ""
            if (name, state) in ALLOWED[role]:
                workflow.transition(session, actor, d.id, name, note=note)
                assert d.status == target, (role, name, state)
                entry = audit.entries(session, audit.AuditFilter(action_prefix=f"draft.{name}"), limit=1).iloc[0]
                assert entry["actor"] == actor.username and entry["object_id"] == str(d.id)
                assert f"{state} -> {target}" in entry["summary"]
            else:
                expected = (
                    PermissionDenied if (name, state) in ALL_VALID else (PermissionDenied, workflow.WorkflowError)
                )
                with pytest.raises(expected):
                    workflow.transition(session, actor, d.id, name, note=note)
                session.expire_all()
                assert drafts.get_draft(session, d.id).status == state, (role, name, state)


def test_available_matches_the_table(session, world, drafter, reviewer, viewer):
    for role, actor in (("drafter", drafter), ("reviewer", reviewer), ("viewer", viewer)):
        for state in STATES:
            d = draft_in(session, world, state)
            names = {t.name for t in workflow.available(session, actor, d)}
            assert names == {t for t, s in ALLOWED[role] if s == state}, (role, state)


def test_nobody_approves_their_own_draft(session, world, reviewer):
    _author, _second, camp, chans = world
    d = drafts.create_draft(session, reviewer, camp.id, {"title": "mine", "variants": {chans["x"]: OK_TEXT}})
    workflow.submit(session, reviewer, d.id)
    with pytest.raises(workflow.SelfApprovalError, match="may not approve"):
        workflow.approve(session, reviewer, d.id)
    assert "approve" not in {t.name for t in workflow.available(session, reviewer, d)}
    assert d.status == "in_review"


def test_the_command_line_cannot_approve(session, world):
    d = draft_in(session, world, "in_review")
    with pytest.raises(workflow.SelfApprovalError, match="named reviewer account"):
        workflow.approve(session, auth.CLI_ACTOR, d.id)


def test_a_reviewer_who_edited_may_not_approve(session, world, reviewer):
    d = draft_in(session, world, "draft")
    drafts.update_draft(session, reviewer, d.id, d.version, {"variants": {world[3]["x"]: OK_TEXT + "!"}})
    workflow.submit(session, world[0], d.id)
    with pytest.raises(workflow.SelfApprovalError):
        workflow.approve(session, reviewer, d.id)


def test_campaign_requiring_two_approvals(session, world, reviewer):
    author, second, camp, chans = world
    camp2 = make_campaign(session, author, name="Two keys", required_approvals=2)
    d = drafts.create_draft(session, author, camp2.id, {"title": "t", "variants": {chans["x"]: OK_TEXT}})
    workflow.submit(session, author, d.id)
    workflow.approve(session, reviewer, d.id)
    assert d.status == "in_review"
    with pytest.raises(workflow.WorkflowError, match="already approved"):
        workflow.approve(session, reviewer, d.id)
    workflow.approve(session, second, d.id)
    assert d.status == "approved"
    assert [a.reviewer_name for a in drafts.valid_approvals(session, d)] == ["rhea", "sol"]


def test_edit_after_approval_invalidates_it(session, world, reviewer):
    author, _second, _camp, chans = world
    d = draft_in(session, world, "in_review")
    workflow.approve(session, reviewer, d.id, note="fine")
    (approval,) = drafts.approvals(session, d.id)
    assert approval.content_hash == drafts.content_hash(d) and d.status == "approved"
    drafts.update_draft(session, author, d.id, d.version, {"variants": {chans["x"]: OK_TEXT + " tonight"}})
    session.refresh(approval)
    assert d.status == "draft"
    assert not approval.valid and "edited by wren after approval" in approval.invalidated_reason
    assert drafts.valid_approvals(session, d) == []
    assert audit.count(session, audit.AuditFilter(action_prefix="approval.invalidate")) == 1


def test_schedule_refuses_content_that_no_longer_matches_the_approval(session, world):
    d = draft_in(session, world, "approved")
    d.variants[0].text = "changed behind the workflow's back"
    session.commit()
    with pytest.raises(workflow.WorkflowError, match="0 of 1 approval"):
        workflow.transition(session, auth.CLI_ACTOR, d.id, "schedule")


def test_check_errors_block_submission(session, world):
    d = draft_in(session, world, "draft", text="x" * 281)
    with pytest.raises(workflow.ChecksFailedError, match="X allows 280") as info:
        workflow.submit(session, world[0], d.id)
    assert [f.id for f in info.value.findings] == ["length"]
    assert d.status == "draft"


def test_amplification_warning_needs_a_reviewer_reason(session, world, reviewer):
    make_watchlist(session, [("hashtag", "#lanterncalls")])
    d = draft_in(session, world, "in_review", text="Questions about #LanternCalls? Talk to us")
    with pytest.raises(workflow.AcknowledgementRequired, match="risk 'Uses the adversary's hashtag' with") as info:
        workflow.approve(session, reviewer, d.id)
    assert info.value.findings[0].amplification and info.value.findings[0].id == "adversary_hashtag"
    with pytest.raises(workflow.AcknowledgementRequired):
        workflow.approve(session, reviewer, d.id, acknowledgements={"adversary_hashtag": "  "})
    workflow.approve(session, reviewer, d.id, acknowledgements={"adversary_hashtag": "redirect post after peak"})
    (approval,) = drafts.approvals(session, d.id)
    (ack,) = approval.acknowledgements
    assert (ack.check_id, ack.reason, ack.channel) == ("adversary_hashtag", "redirect post after peak", "X @valley_x")
    entry = audit.entries(session, audit.AuditFilter(action_prefix="draft.approve"), limit=1).iloc[0]
    assert "acknowledged adversary_hashtag" in entry["summary"]


def test_request_changes_needs_a_note_and_comments_it(session, world, reviewer):
    d = draft_in(session, world, "in_review")
    with pytest.raises(workflow.WorkflowError, match="say what needs to change"):
        workflow.request_changes(session, reviewer, d.id, " ")
    workflow.request_changes(session, reviewer, d.id, "Add the source")
    assert d.status == "changes_requested"
    assert drafts.comments(session, d.id)[-1].body == "Changes requested: Add the source"


def test_stale_transition_is_a_conflict(session, world, reviewer):
    d = draft_in(session, world, "in_review")
    loaded = d.version
    drafts.update_draft(session, world[0], d.id, loaded, {"master_text": "new master"})
    with pytest.raises(drafts.ConflictError):
        workflow.approve(session, reviewer, d.id, expected_version=loaded)


def test_unknown_transition(session, world, reviewer):
    d = draft_in(session, world, "draft")
    with pytest.raises(workflow.WorkflowError, match="not one of"):
        workflow.transition(session, reviewer, d.id, "teleport")


@pytest.mark.postgres
def test_full_flow_on_postgres(pg_url):
    from planfixtures import make_trend

    from planner import checks
    from planner.db import open_workspace

    ws = open_workspace(pg_url)
    try:
        with ws.session() as s:
            writer = auth.actor_for(auth.create_user(s, auth.CLI_ACTOR, "wren", "correct horse battery", "drafter"))
            rev = auth.actor_for(auth.create_user(s, auth.CLI_ACTOR, "rhea", "correct horse battery", "reviewer"))
            camp = make_campaign(s, writer)
            chans = make_channels(s)
            trend = make_trend(s, "#lanterncalls", ("only the order keeps the valley safe 100%_sure",))
            make_watchlist(s, [("hashtag", "#lanterncalls")])
            d = drafts.create_draft(
                s, writer, camp.id, {"title": "pg", "variants": {chans["x"]: OK_TEXT}, "trend_ids": [trend.id]}
            )
            assert checks.context_for(s, draft=d).trend_texts == ["only the order keeps the valley safe 100%_sure"]
            workflow.submit(s, writer, d.id)
            workflow.approve(s, rev, d.id)
            loaded = d.version
            drafts.update_draft(s, writer, d.id, loaded, {"master_text": "edited"})
            with pytest.raises(drafts.ConflictError):
                drafts.update_draft(s, rev, d.id, loaded, {"master_text": "stale"})
            assert d.status == "draft" and drafts.valid_approvals(s, d) == []
            assert drafts.list_drafts(s, campaign="valley together").iloc[0]["approvals"] == "0/1"
    finally:
        ws.dispose()
