"""Draft history: two versions side by side, line by line, with linked trends named by their key."""

from __future__ import annotations

import pytest
from planfixtures import make_campaign, make_channels, make_trend

from planner import drafts, history


def test_compare_pairs_changed_lines_and_names_trends():
    old = {"title": "Friday", "master_text": "Join us\nat six", "trend_ids": [1], "variants": {"3": "Join us"}}
    new = {"title": "Friday", "master_text": "Join us\nat seven\nbring a friend", "trend_ids": [1, 2]}
    frame = history.compare(old, new, {"3": "X @valley"}, {1: "#lanterncalls", 2: "greylantern.example"})
    sections = dict(zip(frame["after"], frame["section"], strict=True))
    assert sections["bring a friend"] == "Master text" and sections["Trend: greylantern.example"] == "Details"
    rows = {tuple(r)[:3] for r in frame.itertuples(index=False)}
    assert ("same", "Title: Friday", "Title: Friday") in rows
    assert ("same", "Trend: #lanterncalls", "Trend: #lanterncalls") in rows
    assert ("added", "", "Trend: greylantern.example") in rows
    assert ("changed", "at six", "at seven") in rows
    assert ("added", "", "bring a friend") in rows
    assert ("removed", "== X @valley ==", "") in rows
    assert not frame.apply(lambda r: "Trend: 1" in (r["before"] + r["after"]), axis=1).any()
    found = history.counts(frame)
    assert (found["changed"], found["added"]) == (1, 2) and found["removed"] >= 2


def test_compare_versions_of_a_stored_draft(session, drafter):
    camp, chans = make_campaign(session, drafter), make_channels(session)
    trend = make_trend(session, "#lanterncalls")
    d = drafts.create_draft(
        session,
        drafter,
        camp.id,
        {"title": "Friday", "master_text": "Join us on Friday", "variants": {chans["x"]: "Join us on Friday"}},
    )
    drafts.update_draft(session, drafter, d.id, d.version, {"trend_ids": [trend.id], "master_text": "Join us Saturday"})
    frame = history.compare_versions(session, d.id, 1, 2)
    changed = frame[frame["change"] != "same"]
    found = {r[:3] for r in changed.itertuples(index=False, name=None)}
    assert ("added", "", "Trend: #lanterncalls") in found
    assert ("changed", "Join us on Friday", "Join us Saturday") in found
    with pytest.raises(drafts.DraftError, match="no version 7"):
        history.compare_versions(session, d.id, 1, 7)


def test_inline_marks_the_changed_words():
    left, right = history.inline("Join us on Friday at six", "Join us on Saturday at six")
    assert ("removed", "Friday") in left and ("added", "Saturday") in right
    assert "".join(t for _, t in left) == "Join us on Friday at six"
    assert "".join(t for _, t in right) == "Join us on Saturday at six"
    assert history.inline("", "new line") == ([], [("added", "new line")])
