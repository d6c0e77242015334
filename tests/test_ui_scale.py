"""Pages read bounded data: the rows the monitoring pages fetch do not grow with the monitored posts, reads are
cached until the workspace changes, and the login page loads no heavy library."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys

import pandas as pd
import pytest
from sqlalchemy import delete, event, insert, select
from sqlalchemy.engine import Engine

from planner import auth, narratives
from planner.config import load_settings
from planner.db import open_workspace
from planner.models import Narrative, NarrativePost, Post
from tests.conftest import ROOT, copy_demo
from tests.ui_helpers import app_as

# The pages' queries are re-run on the SQLite file to count their rows; the login check uses a data folder.
pytestmark = pytest.mark.sqlite_only

PAGES = {
    "Home": "planner/ui/home.py",
    "Import": "planner/ui/import_posts.py",
    "Trends": "planner/ui/trends.py",
    "Narratives": "planner/ui/narratives.py",
    "Networks": "planner/ui/networks.py",
}
EXTRA_POSTS = 6000


def _add_posts(n: int) -> None:
    """Add n fictional posts to the workspace, each joined to a stored narrative, as a bigger import would."""
    ws = open_workspace(load_settings().database_url)
    try:
        with ws.session() as session:
            batch = session.scalar(select(Post.batch_id).limit(1))
            start = pd.Timestamp(session.scalar(select(Post.created_at).order_by(Post.created_at).limit(1)))
            rows = [
                {
                    "platform": "x",
                    "external_id": f"extra{i}",
                    "author_id": f"extra{i % 300}",
                    "author_handle": f"extra{i % 300}",
                    "created_at": (start + pd.Timedelta(minutes=i)).to_pydatetime(),
                    "text": f"harbour lantern river market story number {i}",
                    "batch_id": batch,
                }
                for i in range(n)
            ]
            session.execute(insert(Post), rows)
            ids = list(session.scalars(select(Narrative.id)))
            new = session.scalars(select(Post.id).where(Post.external_id.like("extra%"))).all()
            session.execute(insert(NarrativePost), [{"narrative_id": ids[p % len(ids)], "post_id": p} for p in new])
            narratives.refresh_volume(session)
            session.commit()
    finally:
        ws.dispose()


class Reads:
    """Record every SELECT the app sends, then count the rows each one returns (re-run on the SQLite file)."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, object]] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            self.statements.append((statement, parameters))

    def rows(self, path) -> int:
        with sqlite3.connect(path) as db:
            return sum(len(db.execute(sql, params or ()).fetchall()) for sql, params in self.statements)


def _rows_read(page: str, user_id: int, path) -> int:
    import streamlit as st

    st.cache_data.clear()
    reads = Reads()
    event.listen(Engine, "before_cursor_execute", reads)
    try:
        at = app_as(user_id, page)
        assert not at.exception, at.exception
    finally:
        event.remove(Engine, "before_cursor_execute", reads)
    return reads.rows(path)


@pytest.fixture
def demo_app(app_env, demo_template):
    path = copy_demo(demo_template, app_env).removeprefix("sqlite:///")  # a URL; this module is SQLite-only
    ws = open_workspace(load_settings().database_url)
    with ws.session() as session:
        user_id = auth.get_user(session, "ada").id
    ws.dispose()
    return path, user_id


def test_monitoring_pages_read_the_same_rows_with_more_posts(demo_app):
    path, user_id = demo_app
    before = {title: _rows_read(page, user_id, path) for title, page in PAGES.items()}
    _add_posts(EXTRA_POSTS)
    after = {title: _rows_read(page, user_id, path) for title, page in PAGES.items()}
    for title in PAGES:
        # A few more rows are fine (the new posts' time buckets, an hour more on a chart); one per post is not.
        assert after[title] - before[title] < 100, f"{title} read {before[title]} rows, then {after[title]}"


def test_narrative_volume_reads_stored_counts_not_posts(demo_ws):
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    with demo_ws.session() as session:
        table = narratives.list_narratives(session)
        event.listen(Engine, "before_cursor_execute", record)
        try:
            volume = narratives.narrative_volume(session, "6h")
        finally:
            event.remove(Engine, "before_cursor_execute", record)
        assert volume["posts"].sum() == table["size"].sum()
        assert not any(re.search(r"\bposts\b", s.split("FROM", 1)[-1]) for s in statements), statements
        # Posts removed since (an undone import): the stored counts no longer add up, so those are counted again.
        gone = session.scalars(select(NarrativePost.post_id).limit(500)).all()
        session.execute(delete(Post).where(Post.id.in_(gone)))
        session.flush()
        assert narratives.narrative_volume(session, "6h")["posts"].sum() == table["size"].sum() - 500
        session.rollback()
        # Stored before hourly counts existed: counted in SQL, one row per narrative and bucket, the same figures.
        for narrative in session.scalars(select(Narrative)):
            narrative.params = narrative.params.replace('"hourly"', '"old_hourly"')
        session.flush()
        legacy = narratives.narrative_volume(session, "6h")
        pd.testing.assert_frame_equal(
            legacy.sort_values(["bucket_start", "narrative"], ignore_index=True),
            volume.sort_values(["bucket_start", "narrative"], ignore_index=True),
            check_dtype=False,
        )
        # Sub-hour buckets always come from SQL.
        assert narratives.narrative_volume(session, "30min")["posts"].sum() == table["size"].sum()


def test_reads_are_cached_until_the_workspace_changes(demo_app):
    path, user_id = demo_app
    at = app_as(user_id, PAGES["Narratives"])
    reads = Reads()
    event.listen(Engine, "before_cursor_execute", reads)
    try:
        at.run()
    finally:
        event.remove(Engine, "before_cursor_execute", reads)
    assert not any("narrative_posts" in sql or "FROM narratives" in sql for sql, _ in reads.statements)
    ws = open_workspace(load_settings().database_url)
    with ws.session() as session:  # a change (with its audit entry) is seen on the next run
        narratives.build_narratives(session, auth.CLI_ACTOR, n_clusters=3, seed=1)
    ws.dispose()
    at.run()
    assert next(m for m in at.metric if m.label == "Narratives").value == "3"


def test_the_login_page_loads_no_heavy_library(tmp_path):
    code = (
        "import sys; sys.path.insert(0, '.');"
        "from planner.ui import common; common.WARM_DELAY_S = 600;"  # the warm-up thread comes later, on purpose
        "from streamlit.testing.v1 import AppTest;"
        "at = AppTest.from_file('app.py', default_timeout=60); at.run();"
        "assert not at.exception and at.button, at;"
        "heavy = ('pandas', 'sklearn', 'scipy', 'networkx', 'matplotlib', 'weasyprint', 'docx');"
        "print('HEAVY', [m for m in heavy if m in sys.modules])"
    )
    env = {"PLANNER_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr
