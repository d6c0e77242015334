"""Demo part for campaigns: channels, two full plans, drafts in every state, an acknowledged amplification warning."""

from __future__ import annotations

from sqlalchemy import select

from planner import auth, campaigns, drafts
from planner.demo.campaigns import DEMO_USERS
from planner.models import ApprovalAcknowledgement, Channel, User


def test_demo_part(demo_session):
    session = demo_session
    assert {c.platform for c in session.scalars(select(Channel))} == {"x", "facebook", "instagram", "telegram", "web"}
    frame = campaigns.list_campaigns(session)
    assert set(frame["name"]) == {"Valley Together", "Open Doors for Parents"}
    for name in frame["name"]:
        plan = campaigns.plan(campaigns.get_campaign(session, name))
        assert plan["goal"] and plan["kpi_targets"] and plan["messengers"] and plan["funder"]
        assert plan["audience_languages"] and plan["call_to_action"] and plan["monitoring_plan"]
        assert "fictional" in plan["funder"]
    assert set(drafts.list_drafts(session)["status"]) == set(drafts.STATUSES)
    (ack,) = session.scalars(select(ApprovalAcknowledgement)).all()
    assert ack.check_id == "adversary_hashtag" and ack.reason
    valley = campaigns.get_campaign(session, "Valley Together")
    assert not campaigns.adjustments(session, valley.id).empty


def test_demo_colleagues_have_unknown_passwords(demo_session):
    session = demo_session
    for username, _display, role in DEMO_USERS:
        user = session.scalar(select(User).where(User.username == username))
        assert user.role == role and "fictional" in user.display_name
        for guess in ("", "demo", username, "password", "correct horse battery"):
            assert not auth.verify_password(user.password_hash, guess)
