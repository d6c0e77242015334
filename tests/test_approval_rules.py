"""Approval rules: approvals count only from active reviewers, who changes required approvals, late-account flags,
and allowed_actions agreeing with the core for every role x relation x state x action."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import update

from planner import audit, auth, campaigns, drafts, workflow
from planner.errors import PlannerError
from planner.models import Approval, DraftVersion, User
from tests.conftest import PASSWORD
from tests.planfixtures import make_campaign, make_channels

OK_TEXT = "Join us on Friday at the youth centre"
STATES = drafts.STATUSES
ROLES = ("viewer", "drafter", "reviewer", "admin")


def _user(session, name, role):
    return auth.actor_for(auth.create_user(session, auth.CLI_ACTOR, name, PASSWORD, role))


@pytest.fixture
def world(session):
    wren = _user(session, "wren", "drafter")
    sol = _user(session, "sol", "reviewer")
    zed = _user(session, "zed", "reviewer")
    camp = make_campaign(session, wren, required_approvals=2)
    return {"wren": wren, "sol": sol, "zed": zed, "camp": camp, "chans": make_channels(session)}


def _in_review(session, world):
    d = drafts.create_draft(
        session, world["wren"], world["camp"].id, {"title": "Friday", "variants": {world["chans"]["x"]: OK_TEXT}}
    )
    workflow.submit(session, world["wren"], d.id)
    return d


def test_demoted_reviewer_approval_stops_counting_and_says_why(session, world, admin):
    d = _in_review(session, world)
    workflow.approve(session, world["sol"], d.id)
    workflow.approve(session, world["zed"], d.id)
    assert d.status == "approved" and len(drafts.valid_approvals(session, d)) == 2
    auth.set_role(session, admin, "sol", "drafter")
    assert [a.reviewer_name for a in drafts.valid_approvals(session, d)] == ["zed"]
    voided = next(a for a in drafts.approvals(session, d.id) if a.reviewer_name == "sol")
    assert not voided.valid and voided.invalidated_reason == "sol no longer reviews (role reviewer -> drafter)"
    assert drafts.get_draft(session, d.id).status == "in_review"
    log = audit.entries(session, limit=5)["summary"].tolist()
    assert any("approval by sol: sol no longer reviews" in s for s in log)
    assert any("approved -> in_review; 1 of 2 approvals count" in s for s in log)
    with pytest.raises(workflow.WorkflowError, match="it is in review"):
        workflow.transition(session, admin, d.id, "schedule")


def test_deactivated_reviewer_approval_is_voided(session, world, admin):
    d = _in_review(session, world)
    workflow.approve(session, world["zed"], d.id)
    auth.set_active(session, admin, "zed", False)
    approval = drafts.approvals(session, d.id)[0]
    assert not approval.valid and approval.invalidated_reason == "zed was deactivated"
    auth.set_active(session, admin, "zed", True)  # coming back does not revive a voided approval
    assert drafts.valid_approvals(session, d) == []


def test_approval_does_not_count_when_role_changes_behind_the_core(session, world):
    d = _in_review(session, world)
    workflow.approve(session, world["zed"], d.id)
    session.execute(update(User).where(User.username == "zed").values(role="viewer"))
    session.commit()
    assert drafts.valid_approvals(session, d) == []


def test_only_reviewers_and_admins_change_required_approvals(session, world, reviewer):
    camp = world["camp"]
    with pytest.raises(auth.PermissionDenied, match="may not change how many approvals"):
        campaigns.update_campaign(session, world["wren"], camp.id, camp.version, {"required_approvals": 1})
    assert campaigns.get_campaign(session, camp.id).required_approvals == 2
    campaigns.update_campaign(session, world["wren"], camp.id, camp.version, {"goal": camp.goal + " (edited)"})
    campaigns.update_campaign(session, reviewer, camp.id, camp.version, {"required_approvals": 1})
    assert campaigns.get_campaign(session, camp.id).required_approvals == 1
    assert not campaigns.may_change_required_approvals(world["wren"])
    assert campaigns.may_change_required_approvals(reviewer)


def test_approval_by_an_account_created_after_the_last_edit_is_flagged(session, world):
    from planner.briefs import brief, sections

    d = _in_review(session, world)
    workflow.approve(session, world["zed"], d.id)
    newcomer = _user(session, "nell", "reviewer")
    workflow.approve(session, newcomer, d.id)
    flags = drafts.approval_flags(session, d.id)
    nell = next(a for a in drafts.approvals(session, d.id) if a.reviewer_name == "nell")
    assert list(flags) == [nell.id]
    assert flags[nell.id].startswith("nell's account was created ") and "after the draft's last edit" in flags[nell.id]
    entry = audit.entries(session, audit.AuditFilter(action_prefix="draft.approve"), limit=1).iloc[0]
    assert "FLAGGED: nell's account was created" in entry["summary"]
    opts = brief.complete(session, world["camp"], brief.BriefOptions())
    table = next(b for b in sections.build_approvals(session, world["camp"], opts)["blocks"] if hasattr(b, "rows"))
    states = {row[1]: row[4] for row in table.rows}
    assert "flagged: nell's account" in states["nell"] and "flagged" not in states["zed"]


# ---- allowed_actions against the core --------------------------------------------------------------------------


def _draft_for(session, world, actor, relation, state):
    """A draft by wren in `state`, which `actor` wrote (author), edited (editor) or neither (other)."""
    d = drafts.create_draft(
        session,
        world["wren"],
        world["camp"].id,
        {"title": f"{relation} {state}", "variants": {world["chans"]["x"]: OK_TEXT}},
    )
    if relation == "author":
        d.created_by = actor.user_id
    elif relation == "editor":
        session.add(
            DraftVersion(
                draft_id=d.id,
                number=2,
                draft_version=d.version,
                author_id=actor.user_id,
                author_name=actor.username,
                summary="edited",
                content=json.dumps(drafts.snapshot(session, d)),
            )
        )
    d.status = state
    if state in ("approved", "scheduled", "published"):
        for name in ("sol", "zed"):
            reviewer = world[name]
            session.add(
                Approval(
                    draft_id=d.id,
                    reviewer_id=reviewer.user_id,
                    reviewer_name=name,
                    content_hash=drafts.content_hash(d),
                )
            )
    session.commit()
    return d


def _attempt(session, actor, draft, action):
    if action == "edit":
        return drafts.update_draft(session, actor, draft.id, draft.version, {"title": "changed"})
    if action == "comment":
        return drafts.add_comment(session, actor, draft.id, "looks good")
    return workflow.transition(session, actor, draft.id, action, note="please change the date")


@pytest.mark.parametrize("role", ROLES)
def test_allowed_actions_match_the_core(session, world, role):
    actor = _user(session, f"{role}1", role)
    checked = 0
    mismatches = []
    for relation in workflow.RELATIONS:
        for state in STATES:
            probe = _draft_for(session, world, actor, relation, state)
            assert workflow.relation(session, actor, probe) == relation
            allowed = workflow.allowed_actions(session, actor, probe)
            for action in workflow.ACTIONS:
                d = _draft_for(session, world, actor, relation, state)
                before = (d.status, d.version)
                try:
                    _attempt(session, actor, d, action)
                    accepted = True
                except PlannerError:
                    session.rollback()
                    accepted = False
                    d = drafts.get_draft(session, d.id)
                    assert (d.status, d.version) == before, (role, relation, state, action)
                checked += 1
                if accepted != (action in allowed):
                    mismatches.append((relation, state, action, "offered" if action in allowed else "hidden"))
    assert mismatches == []
    assert checked == len(workflow.RELATIONS) * len(STATES) * len(workflow.ACTIONS)


def test_the_holes_of_the_issue_are_closed(session, world, reviewer, drafter, viewer):
    mine = _draft_for(session, world, reviewer, "author", "in_review")
    assert "request_changes" not in workflow.allowed_actions(session, reviewer, mine)
    with pytest.raises(auth.PermissionDenied, match="may not request changes"):
        workflow.request_changes(session, reviewer, mine.id, "redo")
    colleague = _draft_for(session, world, drafter, "other", "in_review")
    assert "withdraw" not in workflow.allowed_actions(session, drafter, colleague)
    with pytest.raises(auth.PermissionDenied, match="may not withdraw"):
        workflow.transition(session, drafter, colleague.id, "withdraw")
    own = _draft_for(session, world, drafter, "author", "in_review")
    assert "withdraw" in workflow.allowed_actions(session, drafter, own)
    approved = _draft_for(session, world, viewer, "other", "approved")
    assert workflow.allowed_actions(session, viewer, approved) == frozenset()
