"""Schedule entries: only approved drafts, workflow moves, publishing with URL, conflicts kept, auto-schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from planner import audit, auth
from planner.models import CampaignTrend, Draft, ScheduleEntry
from planner.schedule import (
    EarlyPublishConfirmationRequired,
    PauseConfirmationRequired,
    ScheduleError,
    calendar,
    entries,
    pauses,
    solver,
)
from planner.schedule.cadence import cadence_for, set_cadence, violations
from tests.planfixtures import make_campaign
from tests.schedule_helpers import NOW, draft, respond_trend, world


def test_only_approved_drafts_are_scheduled(session, reviewer):
    chans, camp = world(session)
    unapproved = draft(session, camp, [chans["x"]], "Not yet", status="in_review", approved=False)
    stale = draft(session, camp, [chans["x"]], "Edited after approval")
    stale.variants[0].text = "changed after the approval"
    session.commit()
    for d in (unapproved, stale):
        with pytest.raises(ScheduleError, match="cannot schedule"):
            entries.add_entry(session, reviewer, d.variants[0].id, NOW + timedelta(hours=3), now=NOW)
    assert session.query(ScheduleEntry).count() == 0


def test_scheduling_moves_the_draft_and_publishing_records_the_url(session, reviewer):
    chans, camp = world(session)
    d = draft(session, camp, [chans["x"], chans["telegram"]])
    e1 = entries.add_entry(session, reviewer, d.variants[0].id, NOW + timedelta(hours=3), now=NOW)
    assert session.get(Draft, d.id).status == "scheduled"
    with pytest.raises(ScheduleError, match="not an http"):
        entries.mark_published(session, reviewer, e1.id, "javascript:alert(1)", now=NOW)
    with pytest.raises(EarlyPublishConfirmationRequired, match="confirm that it really went out early"):
        entries.mark_published(session, reviewer, e1.id, "https://social.example/x/1", now=NOW)
    assert session.get(ScheduleEntry, e1.id).status == "planned"  # nothing half-written
    entries.mark_published(
        session, reviewer, e1.id, "https://social.example/x/1", platform_post_id="1", confirm_early=True, now=NOW
    )
    got = session.get(ScheduleEntry, e1.id)
    assert (got.status, got.published_url, got.platform_post_id, got.published_at) == (
        "published",
        "https://social.example/x/1",
        "1",
        NOW,
    )
    assert session.get(Draft, d.id).status == "published"
    actions = set(audit.entries(session)["action"])
    assert {"schedule.add", "draft.schedule", "schedule.publish", "draft.publish"} <= actions


def test_cancel_returns_the_draft_to_approved_when_nothing_is_left(session, reviewer):
    chans, camp = world(session)
    d = draft(session, camp, [chans["x"]])
    e = entries.add_entry(session, reviewer, d.variants[0].id, NOW + timedelta(hours=3), now=NOW)
    entries.cancel_entry(session, reviewer, e.id, "event moved")
    assert session.get(Draft, d.id).status == "approved"


def test_viewers_and_drafters_cannot_schedule(session, viewer, drafter):
    chans, camp = world(session)
    d = draft(session, camp, [chans["x"]])
    for who in (viewer, drafter):
        with pytest.raises(auth.PermissionDenied):
            entries.add_entry(session, who, d.variants[0].id, NOW + timedelta(hours=3), now=NOW)


def test_two_posts_at_the_same_minute_are_both_kept_and_flagged(session, reviewer):
    chans, camp = world(session)
    a = draft(session, camp, [chans["telegram"]], "First")
    b = draft(session, camp, [chans["telegram"]], "Second")
    at = NOW + timedelta(hours=5, minutes=30)
    ids = [entries.add_entry(session, reviewer, d.variants[0].id, at, now=NOW).id for d in (a, b)]
    frame = calendar.calendar_frame(session, NOW, NOW + timedelta(days=1))
    assert sorted(frame["id"]) == sorted(ids)
    notes = dict(zip(frame["id"], frame["conflict_note"], strict=True))
    assert notes[ids[0]] == f"same minute as #{ids[1]}" and notes[ids[1]] == f"same minute as #{ids[0]}"


def test_scheduling_inside_a_pause_is_refused(session, reviewer):
    chans, camp = world(session)
    d = draft(session, camp, [chans["x"]])
    pauses.pause(session, reviewer, f"campaign:{camp.name}", "incident", now=NOW)
    with pytest.raises(ScheduleError, match="paused"):
        entries.add_entry(session, reviewer, d.variants[0].id, NOW + timedelta(hours=3), now=NOW)


def test_publishing_during_a_pause_needs_confirmation(session, reviewer):
    chans, camp = world(session)
    d = draft(session, camp, [chans["x"]])
    e = entries.add_entry(session, reviewer, d.variants[0].id, NOW + timedelta(hours=3), now=NOW)
    pauses.pause(session, reviewer, "all", "incident", now=NOW + timedelta(hours=1))
    later = NOW + timedelta(hours=3)
    with pytest.raises(PauseConfirmationRequired, match="confirm"):
        entries.mark_published(session, reviewer, e.id, "https://social.example/x/2", now=later)
    assert session.get(ScheduleEntry, e.id).status == "planned"
    entries.mark_published(session, reviewer, e.id, "https://social.example/x/2", confirm_during_pause=True, now=later)
    got = session.get(ScheduleEntry, e.id)
    assert got.status == "published" and got.published_during_pause
    assert "during a pause (confirmed)" in audit.entries(session)["summary"].iloc[0]


def test_auto_schedule_skips_unapproved_and_paused_and_keeps_cadence(session, reviewer):
    chans, camp = world(session)
    other = make_campaign(session, name="Second campaign")
    set_cadence(session, reviewer, chans["x"], time_zone="Europe/London", posts_per_day=2, min_gap_minutes=180)
    good = [draft(session, camp, [chans["x"]], f"Approved {k}") for k in range(5)]
    draft(session, camp, [chans["x"]], "Unapproved", status="in_review", approved=False)
    paused = draft(session, other, [chans["x"]], "In a paused campaign")
    pauses.pause(session, reviewer, "campaign:Second campaign", "review of the messenger", now=NOW)
    end = datetime(2026, 11, 12, tzinfo=UTC)  # two local days (London is on UTC in November)
    result = solver.auto_schedule(session, reviewer, start=NOW, end=end, now=NOW)
    placed = session.query(ScheduleEntry).all()
    assert {e.draft_id for e in placed} <= {d.id for d in good}
    assert len(placed) == 4  # 2 a day for 2 days
    assert violations(cadence_for(session, chans["x"]), [e.scheduled_at for e in placed]) == []
    reasons = {result.labels[u.key].split(" on ")[0]: u.reason for u in result.plan.unplaced}
    assert "paused" in reasons["In a paused campaign"]
    assert any("higher-scoring" in r for r in reasons.values())
    assert result.plan.score >= result.greedy_score - 1e-9
    assert all(session.get(Draft, d.id).status == "approved" for d in (paused,))
    assert {e.why != "" for e in placed} == {True}


def test_auto_schedule_answers_a_trend_inside_its_response_window(session, reviewer):
    chans, camp = world(session)
    trend = respond_trend(session, detected_at=NOW - timedelta(hours=6), series=[3] * 30)
    d = draft(session, camp, [chans["x"]], "Answer", trends=[trend.id])
    solver.auto_schedule(session, reviewer, start=NOW, end=NOW + timedelta(days=7), now=NOW)
    e = session.query(ScheduleEntry).filter_by(draft_id=d.id).one()
    assert NOW <= e.scheduled_at < trend.detected_at + timedelta(hours=48)
    assert e.trend_id == trend.id and "h left to respond" in e.why


def test_auto_schedule_answers_a_trend_linked_only_through_the_campaign(session, reviewer):
    chans, camp = world(session)
    trend = respond_trend(session, detected_at=NOW - timedelta(hours=6), series=[3] * 30)
    session.add(CampaignTrend(campaign_id=camp.id, trend_id=trend.id))
    session.commit()
    d = draft(session, camp, [chans["x"]], "Answer via the campaign")  # the draft itself names no trend
    other = make_campaign(session, name="Unrelated")
    elsewhere = draft(session, other, [chans["telegram"]], "Not an answer")
    assert [t.id for t in entries.answered_trends(session, [d])[d.id]] == [trend.id]
    assert entries.answered_trends(session, [elsewhere])[elsewhere.id] == []
    offered = entries.schedulable_variants(session).set_index("draft_id")["trend_ids"]
    assert offered[d.id] == [trend.id] and offered[elsewhere.id] == []  # the page suggests the window too
    solver.auto_schedule(session, reviewer, start=NOW, end=NOW + timedelta(days=7), now=NOW)
    e = session.query(ScheduleEntry).filter_by(draft_id=d.id).one()
    assert NOW <= e.scheduled_at < trend.detected_at + timedelta(hours=48)
    assert e.trend_id == trend.id and "h left to respond" in e.why
    assert session.query(ScheduleEntry).filter_by(draft_id=elsewhere.id).one().trend_id is None


def test_entries_store_utc_and_show_the_channel_zone(session, reviewer):
    chans, camp = world(session)
    set_cadence(session, reviewer, chans["x"], time_zone="America/New_York")
    d = draft(session, camp, [chans["x"]])
    local = datetime(2026, 11, 12, 19, 0, tzinfo=ZoneInfo("America/New_York"))
    e = entries.add_entry(session, reviewer, d.variants[0].id, local, now=NOW)
    assert session.get(ScheduleEntry, e.id).scheduled_at == datetime(2026, 11, 13, 0, 0, tzinfo=UTC)
    row = calendar.list_view(entries.entries_frame(session), ZoneInfo("UTC")).iloc[0]
    assert row["channel_time"] == "Thu 12 Nov 19:00 (America/New_York)"
