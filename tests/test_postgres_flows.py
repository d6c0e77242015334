"""Every CLI flow on PostgreSQL: schema, import, trends and coordination, demo, drafts and approvals, scheduling,
metrics, briefs, and backups with pg_dump/pg_restore."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from planner import audit, auth, workflow
from planner.cli import cli
from planner.db import open_workspace
from tests import workspaces
from tests.conftest import PASSWORD
from tests.metrics_helpers import FIXTURES, build
from tests.trend_helpers import synthetic_posts

pytestmark = pytest.mark.postgres

# The planted burst's link, with capitals in its path (kept by URL normalisation): PostgreSQL's LIKE is
# case-sensitive where SQLite's is not, which once left URL trends without a coordination share on PostgreSQL.
LINK = "https://www.greylantern-news.example/Lantern/A?x=1"


def _database(template: str = "template0") -> str:
    """Return the URL of a new PostgreSQL database copied from `template` (dropped when the test ends)."""
    try:
        return workspaces.pg_url_of(workspaces.create_database(template=template))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no server here"
        if workspaces.POSTGRES:
            pytest.fail(f"PostgreSQL is required here but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")


@pytest.fixture
def empty(tmp_path):
    """A CLI runner on a new, empty PostgreSQL database; its URL as `.url`."""
    return Cli(_database(), tmp_path)


@pytest.fixture
def demo(tmp_path):
    """A CLI runner on a fresh copy of the demo workspace in PostgreSQL (admin 'ada')."""
    _database()  # skips cleanly when there is no server, before building the template
    return Cli(_database(workspaces.template("demo")), tmp_path)


class Cli:
    def __init__(self, url, tmp_path):
        self.url, self.tmp_path = url, tmp_path
        self.env = {"PLANNER_DATABASE_URL": url, "PLANNER_DATA_DIR": str(tmp_path / "unused")}

    def __call__(self, *args, ok=True):
        result = CliRunner().invoke(cli, [str(a) for a in args], env=self.env)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    def json(self, *args):
        return json.loads(self(*args).output)


def test_schema_users_and_audit(empty):
    assert empty("db", "upgrade").output.startswith("Upgraded schema empty -> ")
    assert empty("db", "upgrade").output.startswith("Already up to date")
    status = empty("db", "status").output
    assert "postgresql+psycopg://" in status and "Schema: 0" in status
    assert empty("users", "add", "ada", "--role", "admin", "--password", PASSWORD).output == "Created ada (admin).\n"
    assert empty("users", "set-role", "ada", "reviewer", ok=False).exit_code == 1  # the last admin stays an admin
    assert empty("audit", "verify").output.startswith("OK: 1 audit entries, chain head ")


def test_import_trends_and_coordination(empty, tmp_path):
    frame = synthetic_posts()
    frame["text"] = frame["text"].str.replace("https://www.greylantern-news.example/a?x=1", LINK, regex=False)
    posts = tmp_path / "posts.csv"
    frame.assign(
        user=frame["author_id"],
        handle=frame["author_handle"],
        date=frame["created_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )[["id", "user", "handle", "date", "text", "lang"]].to_csv(posts, index=False)
    assert "imported 6,660, duplicates 0" in empty("import-posts", "--platform", "x", posts).output
    assert "imported 0, duplicates 6,660" in empty("import-posts", "--platform", "x", posts).output
    assert empty("posts", "count").output.strip() == "6660"

    hashtags = empty.json("detect-trends", "--kind", "hashtag", "--format", "json")
    assert [t["key"] for t in hashtags] == ["#rising", "#blitz"]
    links = empty.json("detect-trends", "--kind", "url", "--format", "json")
    assert [t["key"] for t in links] == ["https://greylantern-news.example/Lantern/A?x=1"]
    assert links[0]["coordination_share"] is None  # no coordination run yet
    assert [t["key"] for t in empty.json("detect-trends", "--kind", "domain", "--format", "json")] == [
        "greylantern-news.example"
    ]

    edges = tmp_path / "edges.csv"
    run = empty("detect-coordination", "--type", "co-link", "--window", "60", "--min-weight", "2", "--out", edges)
    assert "61 edges, 48 accounts in 9 coordinated clusters (from 6,660 monitored posts)" in run.output
    assert len(edges.read_text().splitlines()) == 62
    by_key = {
        t["key"]: t
        for kind in ("hashtag", "url", "domain")
        for t in empty.json("detect-trends", "--kind", kind, "--format", "json")
    }
    # The same shares as on SQLite: 60% of the burst's posts came from clustered accounts, none of #rising's.
    assert by_key["#blitz"]["coordination_share"] == pytest.approx(0.6)
    assert by_key["https://greylantern-news.example/Lantern/A?x=1"]["coordination_share"] == pytest.approx(0.6)
    assert by_key["greylantern-news.example"]["coordination_share"] == pytest.approx(0.6)
    assert by_key["#rising"]["coordination_share"] == 0
    assert "Run 2: co-post" in empty("detect-coordination", "--type", "co-post", "--window", "60").output
    assert empty("audit", "verify").output.startswith("OK: ")


def test_demo_loads_once(empty):
    assert "fictional monitored posts" in empty("demo").output
    assert "already loaded" in empty("demo", ok=False).output
    assert {c["name"] for c in empty.json("campaigns", "list", "--format", "json")} >= {"Valley Together"}


def test_drafts_approval_and_scheduling(demo):
    rows = demo.json("drafts", "list", "--status", "in_review", "--format", "json")
    draft = rows[0]
    demo("users", "add", "rhea", "--role", "reviewer", "--password", PASSWORD)
    ws = open_workspace(demo.url)
    try:
        with ws.session() as s:
            reviewer = auth.actor_for(auth.get_user(s, "rhea"))
            for _ in range(int(draft["approvals"].split("/")[1])):
                if workflow.approve(s, reviewer, draft["id"]).status == "approved":
                    break
                reviewer = auth.actor_for(auth.get_user(s, "ada"))
    finally:
        ws.dispose()
    approved = demo.json("drafts", "list", "--status", "approved", "--format", "json")
    assert draft["id"] in {r["id"] for r in approved}

    plan = demo.json("schedule", "auto", "--from", "2030-01-07T00:00Z", "--to", "2030-01-14T00:00Z", "--format", "json")
    placed = {p["label"].split(" on ")[0] for p in plan["placed"]}
    assert draft["title"] in placed and "Answer: the valley sees you" in placed
    listed = demo.json("schedule", "list", "--format", "json")
    assert {"planned", "published", "missed"} <= {r["status"] for r in listed}
    assert demo("pause", "--scope", "all", "--reason", "incident").output.startswith("paused all")
    assert {r["status"] for r in demo.json("schedule", "list", "--format", "json")} >= {"paused"}
    assert " missed during the pause" in demo("resume", "--scope", "all").output
    entry = next(r for r in demo.json("schedule", "list", "--format", "json") if r["status"] == "planned")
    demo("schedule", "publish", entry["id"], "--url", "https://x.example/valleyvoices/status/1", "--confirm-early")
    published = next(r for r in demo.json("schedule", "list", "--format", "json") if r["id"] == entry["id"])
    assert published["status"] == "published"
    ics = demo.tmp_path / "s.ics"
    demo("schedule", "export", "--format", "ics", "-o", ics)
    assert ics.read_text().count("BEGIN:VEVENT") == len(listed)


def test_metrics_import_and_summary(empty):
    ws = open_workspace(empty.url)
    with ws.session() as s:
        build(s)
    ws.dispose()
    result = empty("metrics", "import", FIXTURES / "meta_facebook.csv", "--preset", "meta")
    assert "recorded 1 snapshots" in result.output
    data = empty.json("metrics", "summary", "--campaign", "Valley Together", "--format", "json")
    assert (data["impressions"], data["reach"], data["engagements"]) == (5210, 3175, 321)


@pytest.mark.parametrize("fmt", ["pdf", "docx", "html", "md"])
def test_export_brief_each_format(demo, fmt):
    out = demo.tmp_path / f"brief.{fmt}"
    result = demo("export-brief", "--campaign", "Valley Together", "--format", fmt, "-o", out)
    assert result.output.startswith(f"Wrote {out} (") and "11 sections)" in result.output
    data = out.read_bytes()
    assert data.startswith(b"%PDF") if fmt == "pdf" else (fmt == "docx" or b"Message matrix" in data)


@pytest.mark.skipif(not (shutil.which("pg_dump") and shutil.which("pg_restore")), reason="no pg_dump/pg_restore")
def test_backup_is_pg_dump_and_restore_is_pg_restore(demo, tmp_path):
    backup = demo("backup", tmp_path / "copy.db", ok=False)
    assert backup.exit_code == 1 and "pg_dump" in backup.output and "Traceback" not in backup.output
    dump = tmp_path / "workspace.dump"
    dump.write_bytes(b"PGDMP not SQLite")
    restore = demo("restore", "--yes", dump, ok=False)
    assert restore.exit_code == 1 and "pg_restore" in restore.output and "Traceback" not in restore.output

    # What the README tells a team to do: pg_dump the workspace, pg_restore it into a new database.
    libpq = demo.url.replace("postgresql+psycopg://", "postgresql://")
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", libpq], check=True)
    target = _database()
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={target.replace('+psycopg', '')}", str(dump)],
        check=True,
    )
    restored = Cli(target, tmp_path)
    assert restored("posts", "count").output == demo("posts", "count").output
    assert restored("audit", "verify").output == demo("audit", "verify").output
    assert restored("db", "upgrade").output.startswith("Already up to date")
    ws = open_workspace(target)
    with ws.session() as s:
        assert audit.verify(s).ok and auth.get_user(s, "ada").role == "admin"
    ws.dispose()
