"""Metrics import: presets on sample exports with the real headers, matching, proposals, all-or-nothing, dry run."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from planner import auth
from planner.ingest.source import FormatError, Source
from planner.metrics import importer, snapshots
from planner.models import AuditEntry, MetricImport, MetricPostRef, MetricSnapshot
from tests.metrics_helpers import FIXTURES, build

AS_OF = datetime(2026, 11, 10, 12, tzinfo=UTC)


def run(session, name, preset, dry_run=False, actor=auth.CLI_ACTOR, **kw):
    options = importer.MetricsImportOptions(preset=preset, captured_at=AS_OF, **kw)
    return importer.import_metrics(session, actor, Source.from_path(FIXTURES / name), options, dry_run=dry_run)


def stored(session, entry_id):
    return session.scalars(select(MetricSnapshot).where(MetricSnapshot.entry_id == entry_id)).all()


def test_x_content_export_matches_by_link_and_proposes_by_text(session):
    ids = build(session)
    report = run(session, "x_content.csv", "x")
    assert report.platform == "x" and report.rows_read == 2 and report.matched == 1 and report.recorded == 1
    assert report.mapping["saves"] == "Bookmarks" and "Engagements" in report.ignored_columns
    (snap,) = stored(session, ids["launch"])
    assert (snap.impressions, snap.likes, snap.replies, snap.reposts, snap.shares, snap.saves) == (
        12480,
        211,
        37,
        41,
        9,
        14,
    )
    assert (snap.link_clicks, snap.follows_gained, snap.reach, snap.captured_at) == (134, 23, None, AS_OF)
    # The second row has no link we know: it is proposed for the football post by its text and date.
    (proposal,) = report.proposals
    assert proposal.row == 2 and proposal.candidates[0].entry_id == ids["football"]
    assert proposal.candidates[0].score > 0.7 and "alike" in proposal.candidates[0].why
    assert not stored(session, ids["football"])
    assert session.scalar(select(MetricImport.recorded)) == 1
    assert report.sentence() == "Imported 1 row for 1 post from x_content.csv; 1 row did not match a post: row 2."


def test_confirmed_proposal_is_recorded_and_remembered(session):
    ids = build(session)
    report = run(session, "x_content.csv", "x")
    proposal = report.proposals[0]
    assert (
        importer.confirm_proposals(session, auth.CLI_ACTOR, [(proposal, ids["football"])], "x", report.import_id) == 1
    )
    (snap,) = stored(session, ids["football"])
    assert snap.impressions == 8030 and snap.link_clicks == 63
    assert session.scalar(select(MetricPostRef.ref).where(MetricPostRef.entry_id == ids["football"])) == (
        "id:1860000000000000202"
    )
    # Re-importing the same file at the same moment: both rows now match, nothing new, nothing to confirm.
    again = run(session, "x_content.csv", "x")
    assert (again.matched, again.recorded, again.unchanged, again.unmatched) == (2, 0, 2, 0)


def test_x_legacy_export_reads_decimals_and_dashes(session):
    ids = build(session)
    report = run(session, "x_legacy.csv", "x")
    assert report.recorded == 1 and report.mapping["likes"] == "likes" and report.mapping["reposts"] == "retweets"
    (snap,) = stored(session, ids["launch"])
    assert (snap.impressions, snap.likes, snap.reposts, snap.link_clicks, snap.follows_gained) == (424, 11, 4, 9, 1)


def test_meta_facebook_export_with_bom(session):
    ids = build(session)
    report = run(session, "meta_facebook.csv", "meta")
    assert report.platform == "facebook" and report.recorded == 1
    (snap,) = stored(session, ids["guide"])
    assert (snap.impressions, snap.reach, snap.likes, snap.replies, snap.reposts, snap.link_clicks) == (
        5210,
        3175,
        98,
        21,
        27,
        175,
    )
    assert snap.shares is None


def test_meta_instagram_export_matches_by_post_id(session):
    ids = build(session)
    report = run(session, "meta_instagram.csv", "meta")
    assert report.platform == "instagram" and report.recorded == 1
    (snap,) = stored(session, ids["insta"])
    assert (snap.impressions, snap.reach, snap.likes, snap.shares, snap.follows_gained, snap.saves) == (
        4120,
        2890,
        301,
        12,
        17,
        44,
    )


def test_youtube_table_skips_total_and_keeps_leading_dash_ids(session):
    ids = build(session)
    report = run(session, "youtube_table.csv", "youtube")
    assert report.skipped_total_rows == 1 and report.rows_read == 3 and report.recorded == 1
    (snap,) = stored(session, ids["jo"])
    assert (snap.video_views, snap.impressions, snap.follows_gained) == (3900, 42000, 31)
    (proposal,) = report.proposals  # the other video is not one of ours
    assert proposal.post_id == "dEf456UvW78" and proposal.candidates == []


def test_generic_mapping_and_captured_at_column(session):
    ids = build(session)
    mapping = {"url": "link", "captured_at": "as of", "impressions": "views", "reach": "people reached"}
    mapping |= {"likes": "likes", "replies": "comments", "link_clicks": "clicks"}
    report = run(session, "generic.csv", "generic", mapping=mapping)
    assert report.recorded == 1
    (snap,) = stored(session, ids["launch"])
    assert snap.captured_at == datetime(2026, 11, 6, 12, tzinfo=UTC) and snap.impressions == 15000
    assert snap.reach is None and snap.link_clicks == 160


def test_mapping_errors_name_the_field_or_column(session):
    build(session)
    with pytest.raises(FormatError, match="'nope' is not a field"):
        run(session, "generic.csv", "generic", mapping={"nope": "views"})
    with pytest.raises(FormatError, match="no column 'missing'"):
        run(session, "generic.csv", "generic", mapping={"impressions": "missing"})
    with pytest.raises(FormatError, match="no metric column"):
        run(session, "generic.csv", "generic", mapping={"url": "link", "likes": ""})


def test_malformed_file_changes_nothing_and_names_rows_and_fields(session):
    ids = build(session)
    before = session.scalar(select(func.count()).select_from(AuditEntry))
    dry = run(session, "bad.csv", "x", dry_run=True)
    assert not dry.ok and dry.error_count == 3
    assert [str(e) for e in dry.errors] == [
        "row 2, impressions: 'lots' is not a whole number of 0 or more",
        "row 2, reposts: '-3' is not a whole number of 0 or more",
        "row 3, published at: 'not a date' is not a date and time we can read",
    ]
    with pytest.raises(importer.MetricsImportRefused, match="refused, nothing recorded: row 2, impressions"):
        run(session, "bad.csv", "x")
    assert session.scalar(select(func.count()).select_from(MetricSnapshot)) == 0
    assert session.scalar(select(func.count()).select_from(MetricImport)) == 0
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == before
    assert not stored(session, ids["launch"])


def test_dry_run_writes_nothing(session):
    build(session)
    report = run(session, "x_content.csv", "x", dry_run=True)
    assert report.recorded == 1 and report.dry_run and "would record 1" in report.summary()
    assert report.sentence().startswith("A dry run would import 1 row for 1 post")
    assert session.scalar(select(func.count()).select_from(MetricSnapshot)) == 0


def test_conflict_with_stored_history_refuses_the_file(session):
    ids = build(session)
    snapshots.record_snapshot(session, auth.CLI_ACTOR, ids["launch"], AS_OF, {"impressions": 999})
    with pytest.raises(importer.MetricsImportRefused, match="history is never overwritten") as info:
        run(session, "x_content.csv", "x")
    (conflict,) = info.value.report.conflicts
    assert conflict.row == 1 and conflict.differences["impressions"] == (999, 12480)
    assert [s.impressions for s in stored(session, ids["launch"])] == [999]


def test_viewer_may_not_import(session, viewer):
    build(session)
    with pytest.raises(auth.PermissionDenied):
        run(session, "x_content.csv", "x", actor=viewer)


def test_drafter_may_import(session, drafter):
    build(session)
    assert run(session, "x_content.csv", "x", actor=drafter).recorded == 1
