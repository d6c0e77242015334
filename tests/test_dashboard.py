"""Home's working list: reviews waiting for me, my drafts sent back, trends marked respond or new."""

from __future__ import annotations

from planfixtures import make_campaign, make_channels, make_trend

from planner import auth, dashboard, drafts, workflow

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
