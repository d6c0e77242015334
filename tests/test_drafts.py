"""Drafts: fields and variants, UTM builder, content hash, versions with diffs and restore, conflicts, comments."""

from __future__ import annotations

import pytest
from planfixtures import make_campaign, make_channels, make_trend

from planner import audit, drafts
from planner.auth import PermissionDenied


@pytest.fixture
def setup(session, drafter):
    return make_campaign(session, drafter), make_channels(session)


def new(session, actor, camp, chans, **fields):
    data = {"title": "Friday", "master_text": "Join us on Friday", "variants": {chans["x"]: "Join us on Friday"}}
    return drafts.create_draft(session, actor, camp.id, {**data, **fields})


def test_create_records_version_one(session, drafter, setup):
    camp, chans = setup
    trend = make_trend(session)
    d = new(
        session,
        drafter,
        camp,
        chans,
        evidence=[{"title": "Council report", "url": "https://valleyvoices.org/r"}, {"title": "", "url": ""}],
        media=[{"ref": "poster.png", "alt_text": "Poster for Friday"}],
        links=["https://valleyvoices.org/m", "https://valleyvoices.org/m"],
        trend_ids=[trend.id],
        frame="truth_sandwich",
        ab_label="A",
    )
    assert (d.status, d.version) == ("draft", 1)
    snap = drafts.snapshot(session, d)
    assert snap["evidence"] == [{"title": "Council report", "url": "https://valleyvoices.org/r"}]
    assert snap["links"] == ["https://valleyvoices.org/m"]
    assert snap["variants"] == {str(chans["x"]): "Join us on Friday"}
    assert snap["trend_ids"] == [trend.id]
    (v1,) = drafts.versions(session, d.id)
    assert (v1.number, v1.author_name, v1.summary) == (1, "dora", "created")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": " "}, "title"),
        ({"frame": "rant"}, "frame"),
        ({"language": "English"}, "language"),
        ({"links": ["ftp://x.org"]}, "links"),
        ({"evidence": [{"title": "t", "url": "not a url"}]}, "evidence, row 1"),
        ({"media": [{"ref": "poster.png", "alt_text": ""}]}, "alt text"),
        ({"variants": {9999: "x"}}, "no channel with id 9999"),
        ({"trend_ids": [9999]}, "no trend with id 9999"),
        ({"ab_label": "x" * 17}, "A/B label"),
        ({"persona": "fake"}, "unknown draft field"),
    ],
)
def test_bad_fields_are_named(session, drafter, setup, fields, message):
    camp, chans = setup
    with pytest.raises(drafts.DraftError, match=message):
        new(session, drafter, camp, chans, **fields)


def test_viewer_cannot_draft(session, viewer, setup):
    camp, chans = setup
    with pytest.raises(PermissionDenied):
        new(session, viewer, camp, chans)


def test_utm_builder():
    url = drafts.utm_url(
        "https://valleyvoices.org/m?ref=1&utm_source=old", source="x", campaign="Valley Together", content="B"
    )
    assert url == (
        "https://valleyvoices.org/m?ref=1&utm_source=x&utm_medium=social&utm_campaign=valley-together&utm_content=b"
    )
    assert drafts.has_utm(url) and not drafts.has_utm("https://valleyvoices.org/m")
    text = drafts.tag_links(
        "Read https://valleyvoices.org/a. And https://valleyvoices.org/a!", platform="telegram", campaign="Open Doors"
    )
    assert text.count("utm_source=telegram&utm_medium=social&utm_campaign=open-doors") == 2
    assert text.endswith("open-doors!")
    with pytest.raises(drafts.DraftError, match="not an http"):
        drafts.utm_url("mailto:a@b.org", source="x", campaign="c")


def test_content_hash_covers_every_variant(session, drafter, setup):
    camp, chans = setup
    d = new(session, drafter, camp, chans, variants={chans["x"]: "one", chans["telegram"]: "two"})
    h = drafts.content_hash(d)
    assert len(h) == 64
    drafts.update_draft(session, drafter, d.id, d.version, {"variants": {chans["x"]: "one", chans["telegram"]: "two!"}})
    assert drafts.content_hash(d) != h
    drafts.update_draft(session, drafter, d.id, d.version, {"variants": {chans["x"]: "one", chans["telegram"]: "two"}})
    assert drafts.content_hash(d) == h


def test_update_versions_diff_and_restore(session, drafter, setup):
    camp, chans = setup
    d = new(session, drafter, camp, chans)
    drafts.update_draft(session, drafter, d.id, d.version, {"variants": {chans["x"]: "Join us on Saturday"}})
    assert [v.number for v in drafts.versions(session, d.id)] == [2, 1]
    diff = drafts.diff_versions(session, d.id, 1, 2)
    assert "-Join us on Friday" in diff and "+Join us on Saturday" in diff and "== X @valley_x ==" in diff
    drafts.restore_version(session, drafter, d.id, 1, d.version)
    assert d.variants[0].text == "Join us on Friday"
    latest = drafts.versions(session, d.id)[0]
    assert (latest.number, latest.summary) == (3, "restored version 1")
    with pytest.raises(drafts.DraftError, match="no version 9"):
        drafts.restore_version(session, drafter, d.id, 9, d.version)


def test_saving_nothing_new_makes_no_version(session, drafter, setup):
    camp, chans = setup
    d = new(session, drafter, camp, chans)
    drafts.update_draft(session, drafter, d.id, d.version, {"title": "Friday"})
    assert len(drafts.versions(session, d.id)) == 1


def test_stale_save_raises_conflict_with_their_changes(session, drafter, reviewer, setup):
    camp, chans = setup
    d = new(session, drafter, camp, chans)
    loaded = d.version
    drafts.update_draft(session, reviewer, d.id, loaded, {"master_text": "Reviewer wording"})
    with pytest.raises(drafts.ConflictError) as info:
        drafts.update_draft(session, drafter, d.id, loaded, {"master_text": "Drafter wording"})
    exc = info.value
    assert exc.by == ["rhea"] and exc.current_version == loaded + 1
    assert "-Join us on Friday" in exc.diff and "+Reviewer wording" in exc.diff
    assert exc.theirs["master_text"] == "Reviewer wording"
    assert "Nothing was overwritten" in str(exc)
    session.expire_all()
    assert drafts.get_draft(session, d.id).master_text == "Reviewer wording"
    assert len(drafts.versions(session, d.id)) == 2


def test_frozen_states_refuse_edits(session, drafter, setup):
    camp, chans = setup
    d = new(session, drafter, camp, chans)
    d.status = "scheduled"
    session.commit()
    with pytest.raises(drafts.DraftError, match="unschedule it first"):
        drafts.update_draft(session, drafter, d.id, d.version, {"master_text": "late change"})


def test_comments(session, drafter, viewer, setup):
    camp, chans = setup
    d = new(session, drafter, camp, chans)
    drafts.add_comment(session, drafter, d.id, "  First thought  ")
    assert [c.body for c in drafts.comments(session, d.id)] == ["First thought"]
    with pytest.raises(drafts.DraftError, match="comment"):
        drafts.add_comment(session, drafter, d.id, " ")
    with pytest.raises(PermissionDenied):
        drafts.add_comment(session, viewer, d.id, "hi")
    assert audit.count(session, audit.AuditFilter(action_prefix="draft.comment")) == 1


def test_list_drafts(session, drafter, setup):
    camp, chans = setup
    new(session, drafter, camp, chans, variants={chans["x"]: "a", chans["web"]: "b"})
    frame = drafts.list_drafts(session, campaign="Valley Together", status="draft")
    row = frame.iloc[0]
    assert (row["campaign"], row["status"], row["approvals"]) == ("Valley Together", "draft", "0/1")
    assert row["channels"] == ["X @valley_x", "Web @valley_web"]
    assert drafts.list_drafts(session, status="approved").empty
    with pytest.raises(drafts.DraftError, match="status"):
        drafts.list_drafts(session, status="bogus")


def test_find_urls_strips_punctuation():
    assert drafts.find_urls("See (https://a.org/x), then https://b.org.") == ["https://a.org/x", "https://b.org"]


def test_closed_campaign_takes_no_new_drafts(session, drafter, setup):
    from planner import campaigns

    camp, chans = setup
    campaigns.set_status(session, drafter, camp.id, "closed", "done")
    with pytest.raises(drafts.DraftError, match="closed"):
        new(session, drafter, camp, chans)


def test_version_numbers_agree_with_history_and_approvals_name_theirs(session, drafter, reviewer, setup):
    from planner import workflow

    camp, chans = setup
    d = new(session, drafter, camp, chans, master_text="Join us at the youth centre on Friday")
    centre = {"variants": {chans["x"]: "Join us at the centre on Friday"}}
    drafts.update_draft(session, drafter, d.id, d.version, centre)
    workflow.submit(session, drafter, d.id)
    assert drafts.current_number(session, d.id) == 2
    assert d.version > 2  # the lock counter moves with every save and status change; people never see it
    assert drafts.list_drafts(session)["version"].tolist() == [2]
    workflow.approve(session, reviewer, d.id)
    (approval,) = drafts.approvals(session, d.id)
    assert drafts.approved_versions(session, d.id) == {approval.id: 2}
    assert drafts.snapshot_hash(drafts.snapshot(session, d)) == drafts.content_hash(d)
    entry = audit.entries(session, audit.AuditFilter(action_prefix="draft.approve"), limit=1).iloc[0]
    assert "version 2" in entry["summary"] and "sha256" in entry["summary"]


def test_editor_text_fields_round_trip():
    snap = {
        "evidence": [{"title": "Council report", "url": "https://valleyvoices.org/r"}],
        "links": ["https://valleyvoices.org/m"],
        "media": [{"ref": "poster.png", "alt_text": "Poster"}],
    }
    text = drafts.fields_as_text(snap)
    assert text["evidence"] == "Council report | https://valleyvoices.org/r"
    assert drafts.fields_from_text(**text) == snap
    assert drafts.fields_from_text(evidence="\n  \nOnly a title") == {
        "evidence": [{"title": "Only a title", "url": ""}],
        "links": [],
        "media": [],
    }
