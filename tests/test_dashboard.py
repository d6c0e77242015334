"""Home's working list: reviews waiting for me, my drafts sent back, trends marked respond or new."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from planfixtures import make_campaign, make_channels, make_trend

from planner import auth, dashboard, drafts, workflow
from planner.metrics import snapshots
from planner.schedule import entries, pauses

TEXT = "Join us on Friday at the youth centre"


def _people(session):
    make = auth.create_user
    wren = auth.actor_for(make(session, auth.CLI_ACTOR, "wren", "correct horse battery", "drafter"))
    sol = auth.actor_for(make(session, auth.CLI_ACTOR, "sol", "correct horse battery", "reviewer"))
    ivy = auth.actor_for(make(session, auth.CLI_ACTOR, "ivy", "correct horse battery", "reviewer"))
    return wren, sol, ivy


def test_reviews_waiting_and_changes_requested(session):
    wren, sol, ivy = _people(session)
    camp, chans = make_campaign(session, wren, required_approvals=2), make_channels(session)
    d = drafts.create_draft(session, wren, camp.id, {"title": "Friday", "variants": {chans["x"]: TEXT}})
    assert dashboard.reviews_waiting(session, sol).empty  # still a draft
    workflow.submit(session, wren, d.id)
    waiting = dashboard.reviews_waiting(session, sol)
    assert waiting[["title", "campaign", "approvals"]].values.tolist() == [["Friday", "Valley Together", "0/2"]]
    assert dashboard.reviews_waiting(session, wren).empty  # a drafter cannot approve, nor can the author
    workflow.approve(session, sol, d.id)
    assert dashboard.reviews_waiting(session, sol).empty  # sol already approved this content
    assert dashboard.reviews_waiting(session, ivy)["approvals"].tolist() == ["1/2"]
    workflow.request_changes(session, ivy, d.id, note="Name the venue")
    sent_back = dashboard.changes_requested(session, wren)
    assert sent_back[["title", "request"]].values.tolist() == [["Friday", "Name the venue"]]
    assert dashboard.changes_requested(session, sol).empty
    assert dashboard.changes_requested(session, auth.CLI_ACTOR).empty


def test_trends_to_answer_puts_respond_first(session):
    low = make_trend(session, "#new_low")
    high = make_trend(session, "#new_high")
    answer = make_trend(session, "#answer_me")
    ignored = make_trend(session, "#ignored")
    low.score, high.score, answer.score, ignored.score = 1.0, 9.0, 2.0, 50.0
    answer.status, ignored.status = "respond", "ignored"
    session.commit()
    frame = dashboard.trends_to_answer(session)
    assert frame["key"].tolist() == ["#answer_me", "#new_high", "#new_low"]
    assert dashboard.trends_to_answer(session, limit=1)["status"].tolist() == ["respond"]
    assert dashboard.triage_counts(session) == {"new": 2, "respond": 1, "ignored": 1}


def test_due_next_lists_planned_and_paused_posts_soonest_first(session):
    from tests.schedule_helpers import NOW, draft, world

    reviewer = auth.actor_for(auth.create_user(session, auth.CLI_ACTOR, "rhea", "correct horse battery", "reviewer"))
    chans, camp = world(session)
    late = draft(session, camp, [chans["x"]], "Late one")
    soon = draft(session, camp, [chans["telegram"]], "Soon one")
    past = draft(session, camp, [chans["facebook"]], "Already due")
    entries.add_entry(session, reviewer, late.variants[0].id, NOW + timedelta(days=3), now=NOW)
    entries.add_entry(session, reviewer, soon.variants[0].id, NOW + timedelta(hours=2), now=NOW)
    entries.add_entry(session, reviewer, past.variants[0].id, NOW + timedelta(hours=1), now=NOW)
    assert dashboard.due_next(session, NOW)["title"].tolist() == ["Already due", "Soon one", "Late one"]
    later = NOW + timedelta(hours=1, minutes=30)  # "Already due" is now in the past: not due next any more
    assert dashboard.due_next(session, later)["title"].tolist() == ["Soon one", "Late one"]
    assert dashboard.due_next(session, later, limit=1)["title"].tolist() == ["Soon one"]
    pauses.pause(session, reviewer, "all", "Storm warning", now=later)
    held = dashboard.due_next(session, later)
    assert held["status"].tolist() == ["paused", "paused"] and set(held["pause_reason"]) == {"Storm warning"}


def test_active_pauses_say_what_why_who_and_since(session):
    from tests.schedule_helpers import NOW, world

    rhea = auth.actor_for(auth.create_user(session, auth.CLI_ACTOR, "rhea", "correct horse battery", "reviewer"))
    chans, camp = world(session)
    assert dashboard.active_pauses(session, NOW).empty
    pauses.pause(session, rhea, "all", "Storm warning in the valley", now=NOW)
    pauses.pause(session, auth.CLI_ACTOR, f"campaign:{camp.name}", "Partner asked us to wait", now=NOW)
    frame = dashboard.active_pauses(session, NOW + timedelta(minutes=5))
    assert frame[["scope", "reason", "set_by"]].values.tolist() == [
        [f"Campaign {camp.name}", "Partner asked us to wait", "someone no longer listed"],
        ["Everything", "Storm warning in the valley", "rhea"],
    ]
    assert frame["starts_at"].iloc[1] == NOW and frame["ends_at"].isna().all()
    pauses.resume(session, rhea, "all", now=NOW + timedelta(hours=1))
    assert dashboard.active_pauses(session, NOW + timedelta(hours=2))["scope"].tolist() == [f"Campaign {camp.name}"]


def test_week_kpis_compare_the_last_seven_days_with_the_week_before(session):
    from tests.metrics_helpers import build

    ids = build(session)  # five posts published 3 to 5 Nov 2026
    now = datetime(2026, 11, 9, 12, tzinfo=UTC)
    assert dashboard.week_kpis(session, now) is None  # no metrics recorded yet: nothing to show
    staff = auth.CLI_ACTOR
    at = datetime(2026, 11, 8, tzinfo=UTC)
    snapshots.record_snapshot(session, staff, ids["launch"], at, {"impressions": 1000, "reach": 800, "likes": 30})
    snapshots.record_snapshot(session, staff, ids["guide"], at, {"impressions": 500, "reach": 300, "likes": 10})
    week = dashboard.week_kpis(session, now)
    assert (week.posts, week.measured, week.posts_before) == (5, 2, 0)
    shown = {f.key: (f.value, f.change) for f in week.figures}
    assert shown == {
        "reach": ("1,100", None),
        "impressions": ("1,500", None),
        "engagements": ("40", None),
        "engagement_rate_impressions": ("2.67 %", None),
    }
    # A week later those posts are the week before; nothing published since.
    later = dashboard.week_kpis(session, now + timedelta(days=7))
    assert (later.posts, later.posts_before) == (0, 5)
    assert {f.key: f.value for f in later.figures}["impressions"] == "n/a"
    # Half-way, both weeks have posts: the change is the difference.
    mid = datetime(2026, 11, 11, 0, tzinfo=UTC)  # launch (3 Nov 09:00) falls in the week before, guide (4 Nov) not
    changes = {f.key: f.change for f in dashboard.week_kpis(session, mid).figures}
    assert changes["impressions"] == "-500" and changes["engagement_rate_impressions"] == "-1.00 points"
