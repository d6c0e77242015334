"""Crisis pauses: scopes, paused status, resume marks missed posts, one-click rescheduling, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from planner import audit, auth
from planner.models import ScheduleEntry
from planner.schedule import ScheduleError, entries, pauses, solver
from tests.planfixtures import make_campaign
from tests.schedule_helpers import NOW, draft, world


def setup(session, reviewer):
    chans, camp = world(session)
    other = make_campaign(session, name="Open Doors")
    a = draft(session, camp, [chans["x"]], "A").variants[0].id
    b = draft(session, other, [chans["telegram"]], "B").variants[0].id
    e_x = entries.add_entry(session, reviewer, a, NOW + timedelta(hours=2), now=NOW)
    e_tg = entries.add_entry(session, reviewer, b, NOW + timedelta(hours=3), now=NOW)
    return chans, camp, other, e_x, e_tg


def statuses(session):
    frame = entries.entries_frame(session)
    return dict(zip(frame["id"], frame["status"], strict=True))


@pytest.mark.parametrize(
    ("scope", "paused"),
    [("all", {"x", "tg"}), ("channel:@valley_x", {"x"}), ("campaign:Open Doors", {"tg"})],
)
def test_scope_decides_what_shows_paused(session, reviewer, scope, paused):
    _chans, _camp, _other, e_x, e_tg = setup(session, reviewer)
    pauses.pause(session, reviewer, scope, "incident", now=NOW)
    got = statuses(session)
    assert {k for k, e in (("x", e_x), ("tg", e_tg)) if got[e.id] == "paused"} == paused


def test_pause_with_an_end_covers_only_until_then(session, reviewer):
    _c, _camp, _o, e_x, e_tg = setup(session, reviewer)
    pauses.pause(session, reviewer, "all", "short hold", ends_at=NOW + timedelta(hours=2, minutes=30), now=NOW)
    got = statuses(session)
    assert (got[e_x.id], got[e_tg.id]) == ("paused", "planned")


def test_resume_marks_missed_and_audits(session, reviewer):
    _c, _camp, _o, e_x, e_tg = setup(session, reviewer)
    pauses.pause(session, reviewer, "all", "flood warning", now=NOW)
    done = pauses.resume(session, reviewer, "all", now=NOW + timedelta(hours=2, minutes=30))
    assert [e.id for e in done.missed] == [e_x.id]
    got = statuses(session)
    assert (got[e_x.id], got[e_tg.id]) == ("missed", "planned")
    log = audit.entries(session)
    assert "paused all until resumed: flood warning" in set(log["summary"])
    assert any(s.startswith(f"resumed all; 1 post missed during the pause: #{e_x.id}") for s in log["summary"])
    with pytest.raises(ScheduleError, match="not paused now"):
        pauses.resume(session, reviewer, "all", now=NOW + timedelta(hours=3))


def test_missed_posts_reschedule_in_one_call(session, reviewer):
    _c, _camp, _o, e_x, _e_tg = setup(session, reviewer)
    pauses.pause(session, reviewer, "channel:@valley_x", "hold", now=NOW)
    later = NOW + timedelta(hours=4)
    done = pauses.resume(session, reviewer, "channel:@valley_x", now=later)
    variant_ids = entries.variants_of(session, [e.id for e in done.missed])
    result = solver.auto_schedule(session, reviewer, variant_ids=variant_ids, now=later)
    assert len(result.entries) == 1
    new = session.get(ScheduleEntry, result.entries[0])
    assert new.variant_id == e_x.variant_id and new.scheduled_at >= later and new.status == "planned"
    assert session.get(ScheduleEntry, e_x.id).status == "missed"  # the record of what was missed stays


def test_pause_rules(session, reviewer, drafter):
    setup(session, reviewer)
    with pytest.raises(ScheduleError, match="reason"):
        pauses.pause(session, reviewer, "all", "  ", now=NOW)
    with pytest.raises(ScheduleError, match="scope"):
        pauses.pause(session, reviewer, "team:everyone", "x", now=NOW)
    with pytest.raises(ScheduleError, match="no channel called"):
        pauses.pause(session, reviewer, "channel:@nobody", "x", now=NOW)
    with pytest.raises(ScheduleError, match="end after it starts"):
        pauses.pause(session, reviewer, "all", "x", ends_at=NOW - timedelta(hours=1), now=NOW)
    with pytest.raises(auth.PermissionDenied):
        pauses.pause(session, drafter, "all", "x", now=NOW)
    pauses.pause(session, reviewer, "all", "first", now=NOW)
    with pytest.raises(ScheduleError, match="already paused"):
        pauses.pause(session, reviewer, "all", "second", now=NOW)
    frame = pauses.pauses_frame(session, NOW + timedelta(hours=5))
    assert frame[["scope", "reason", "active", "missed"]].to_dict("records") == [
        {"scope": "all", "reason": "first", "active": True, "missed": 2}
    ]
