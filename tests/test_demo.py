"""Demo workspace: fictional, reproducible, live (dated up to its clock), loaded once, admin only, signals planted."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

from planner import auth, demo, workspace
from planner.demo import posts as demo_posts
from planner.models import AuditEntry, Post
from tests.conftest import workspace_url


def _post_frame(session):
    rows = session.execute(select(Post.author_id, Post.created_at, Post.text, Post.hashtags)).all()
    return pd.DataFrame(rows, columns=["author", "at", "text", "hashtags"])


NOW = pd.Timestamp("2026-12-02T14:37Z")


def test_demo_loads_once_with_planted_signals(session, admin):
    summaries = demo.load_demo(session, admin, now=NOW.to_pydatetime())
    assert summaries[0].startswith("Fictional world: Order of the Grey Lantern")
    assert workspace.overview(session).demo_loaded
    df = _post_frame(session)
    assert 45_000 <= len(df) <= 55_000
    start, end = demo_posts.window(NOW.floor("h"))  # the demo's clock is the load moment floored to the hour
    assert df["at"].min() >= start and df["at"].max() < end and df["at"].max() >= end - pd.Timedelta(minutes=30)
    blitz = demo_posts.planted_bursts(end)[0]
    tagged = df[df["hashtags"].str.split().apply(lambda tags: "greylanternrises" in tags)]
    inside = tagged[(tagged["at"] >= blitz["start"]) & (tagged["at"] < blitz["end"])]
    assert len(inside) >= blitz["posts"]
    assert len(inside) / 6 > 20 * (len(tagged) - len(inside)) / (len(df["at"].dt.floor("h").unique()) - 6)
    coordinated = df[df["author"].isin(demo_posts.COORDINATED_ACCOUNT_IDS)]
    same_text = coordinated.groupby("text")["author"].nunique()
    assert (same_text >= 28).sum() >= 3
    assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "demo.load")) == 1
    with pytest.raises(demo.DemoAlreadyLoaded):
        demo.load_demo(session, admin)


def test_demo_is_reproducible(tmp_path, ws, session, admin):
    from planner.db import open_workspace

    demo.load_demo(session, admin, seed=5, now=NOW.to_pydatetime())
    other = open_workspace(workspace_url(tmp_path, "other"))
    try:
        with other.session() as s2:
            demo.load_demo(s2, auth.CLI_ACTOR, seed=5, now=NOW.to_pydatetime())
            first = _post_frame(session).sort_values(["at", "author", "text"], ignore_index=True)
            second = _post_frame(s2).sort_values(["at", "author", "text"], ignore_index=True)
    finally:
        other.dispose()
    pd.testing.assert_frame_equal(first, second)


def test_demo_needs_admin(session, drafter):
    with pytest.raises(auth.PermissionDenied):
        demo.load_demo(session, drafter)
    assert session.scalar(select(func.count(Post.id))) == 0
