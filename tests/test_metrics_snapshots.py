"""Snapshots: validation, history never overwritten, conflicts reported, permissions and audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from planner import auth
from planner.metrics import snapshots
from planner.models import AuditEntry, ScheduleEntry
from tests.metrics_helpers import T0, build

AT = T0 + timedelta(days=1)


def test_history_keeps_every_snapshot(session, drafter):
    ids = build(session)
    snapshots.record_snapshot(session, drafter, ids["launch"], AT, {"impressions": 100, "likes": 4})
    snapshots.record_snapshot(
        session, drafter, ids["launch"], AT + timedelta(hours=6), {"impressions": 250, "likes": 9}
    )
    frame = snapshots.history(session, ids["launch"])
    assert frame["impressions"].tolist() == [100, 250] and frame["engagements"].tolist() == [4, 9]
    assert frame["reach"].isna().all()
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "metrics.record").order_by(AuditEntry.id))
    assert entry.actor_name == "dora" and "impressions 100" in entry.summary


def test_same_moment_same_values_is_kept_once(session):
    ids = build(session)
    first = snapshots.record_snapshot(session, auth.CLI_ACTOR, ids["launch"], AT, {"impressions": 100})
    again = snapshots.record_snapshot(session, auth.CLI_ACTOR, ids["launch"], AT, {"impressions": 100})
    assert first.id == again.id and len(snapshots.history(session, ids["launch"])) == 1


def test_same_moment_other_values_is_a_conflict_not_a_replacement(session):
    ids = build(session)
    snapshots.record_snapshot(session, auth.CLI_ACTOR, ids["launch"], AT, {"impressions": 100})
    with pytest.raises(snapshots.SnapshotConflict, match="impressions 100 vs 120") as info:
        snapshots.record_snapshot(session, auth.CLI_ACTOR, ids["launch"], AT, {"impressions": 120})
    assert info.value.conflicts[0].differences == {"impressions": (100, 120)}
    assert snapshots.history(session, ids["launch"])["impressions"].tolist() == [100]


def test_conflicts_inside_one_batch_name_both_rows(session):
    ids = build(session)
    plan = snapshots.plan(
        session,
        [
            snapshots.SnapshotInput(ids["launch"], AT, {"impressions": 1}, row=3),
            snapshots.SnapshotInput(ids["launch"], AT, {"impressions": 2}, row=7),
        ],
    )
    (conflict,) = plan.conflicts
    assert (conflict.row, conflict.other_row) == (7, 3) and "differs from row 3" in conflict.describe()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"impressions": -1}, "impressions: -1 is not a whole number"),
        ({"likes": 2.5}, "likes: 2.5 is not a whole number"),
        ({"reach": "many"}, "reach: 'many' is not a number"),
        ({"views": 3}, "unknown metric"),
        ({}, "no metric values"),
    ],
)
def test_bad_values_name_the_field(session, values, message):
    ids = build(session)
    with pytest.raises(snapshots.SnapshotError, match=message):
        snapshots.record_snapshot(session, auth.CLI_ACTOR, ids["launch"], AT, values)


def test_moments_and_entries_are_checked(session):
    ids = build(session)
    with pytest.raises(snapshots.SnapshotError, match="before the post was published"):
        snapshots.record_snapshot(session, auth.CLI_ACTOR, ids["launch"], T0 - timedelta(days=1), {"likes": 1})
    with pytest.raises(snapshots.SnapshotError, match="in the future"):
        snapshots.record_snapshot(session, auth.CLI_ACTOR, ids["launch"], AT + timedelta(days=3650), {"likes": 1})
    session.get(ScheduleEntry, ids["guide"]).status = "planned"
    session.commit()
    with pytest.raises(snapshots.SnapshotError, match="is planned, not published"):
        snapshots.record_snapshot(session, auth.CLI_ACTOR, ids["guide"], AT, {"likes": 1})
    with pytest.raises(snapshots.SnapshotError, match="no scheduled post with id 9999"):
        snapshots.record_snapshot(session, auth.CLI_ACTOR, 9999, AT, {"likes": 1})


def test_viewers_may_not_record(session, viewer):
    ids = build(session)
    with pytest.raises(auth.PermissionDenied):
        snapshots.record_snapshot(session, viewer, ids["launch"], AT, {"likes": 1})


def test_published_entries_labels(session):
    ids = build(session)
    labels = dict(snapshots.published_entries(session))
    assert labels[ids["launch"]] == "Launch post · x @valley_x · 2026-11-03"
    assert len(snapshots.published_entries(session, campaign_id=ids["campaign"])) == 5
