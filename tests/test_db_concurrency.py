"""Concurrency with real processes: simultaneous saves and approvals, and four writers at once on one SQLite file."""

from __future__ import annotations

import multiprocessing as mp
import time
import traceback
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from planner import auth, drafts, workflow
from planner.db import open_workspace
from planner.models import AuditEntry, DraftVersion, MetricSnapshot, Post
from tests.conftest import PASSWORD, workspace_url
from tests.planfixtures import make_campaign, make_channels

ROUNDS = 5
TEXT = "Join us on Friday at the youth centre"
CTX = mp.get_context("spawn")


def _actor(session, username):
    return auth.actor_for(auth.get_user(session, username))


def _save_worker(url, username, draft_id, barrier, results, rounds):
    """Each round: load the draft (a read transaction stays open, as on a page), wait for the other, save."""
    ws = open_workspace(url)
    try:
        with ws.session() as session:
            actor = _actor(session, username)
            for r in range(rounds):
                draft = drafts.get_draft(session, draft_id)
                session.refresh(draft)  # a page's fresh read; no row lock (one held here would block the other)
                version = draft.version
                barrier.wait(timeout=60)
                try:
                    drafts.update_draft(session, actor, draft_id, version, {"master_text": f"{username} round {r}"})
                    results.put((r, username, "ok", ""))
                except drafts.ConflictError as exc:
                    results.put((r, username, "conflict", f"{exc} | theirs={exc.theirs.get('master_text')}"))
                except Exception as exc:  # noqa: BLE001 - the test reports any other error by name
                    results.put((r, username, "error", f"{type(exc).__name__}: {exc}"))
                barrier.wait(timeout=60)
    finally:
        ws.dispose()


def _approve_worker(url, username, draft_id, barrier, results):
    ws = open_workspace(url)
    try:
        with ws.session() as session:
            actor = _actor(session, username)
            version = drafts.get_draft(session, draft_id).version
            barrier.wait(timeout=60)
            try:
                workflow.approve(session, actor, draft_id, expected_version=version)
                results.put((0, username, "ok", ""))
            except drafts.ConflictError as exc:
                results.put((0, username, "conflict", str(exc)))
            except Exception as exc:  # noqa: BLE001
                results.put((0, username, "error", f"{type(exc).__name__}: {exc}"))
    finally:
        ws.dispose()


def _workspace_with_draft(tmp_path, required=1):
    url = workspace_url(tmp_path)
    ws = open_workspace(url)
    with ws.session() as s:
        for name, role in (("dora", "drafter"), ("dan", "drafter"), ("rhea", "reviewer"), ("remy", "reviewer")):
            auth.create_user(s, auth.CLI_ACTOR, name, PASSWORD, role)
        chans = make_channels(s)
        camp = make_campaign(s, required_approvals=required)
        dora = _actor(s, "dora")
        draft = drafts.create_draft(s, dora, camp.id, {"title": "Friday", "variants": {chans["x"]: TEXT}})
        ids = {"draft": draft.id, "channels": chans, "campaign": camp.id}
    return url, ws, ids


def _collect(results, n):
    return [results.get(timeout=120) for _ in range(n)]


def _run(processes):
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=300)
        assert p.exitcode == 0


def test_two_simultaneous_saves_give_one_success_and_one_named_conflict(tmp_path):
    url, ws, ids = _workspace_with_draft(tmp_path)
    barrier, results = CTX.Barrier(2), CTX.Queue()
    workers = [
        CTX.Process(target=_save_worker, args=(url, name, ids["draft"], barrier, results, ROUNDS))
        for name in ("dora", "dan")
    ]
    _run(workers)
    outcomes = _collect(results, 2 * ROUNDS)
    assert not [o for o in outcomes if o[2] == "error"], outcomes
    for r in range(ROUNDS):
        this = sorted(o[2] for o in outcomes if o[0] == r)
        assert this == ["conflict", "ok"], outcomes
        winner = next(o[1] for o in outcomes if o[0] == r and o[2] == "ok")
        loser_message = next(o[3] for o in outcomes if o[0] == r and o[2] == "conflict")
        assert f"was changed by {winner} after you opened it" in loser_message
        assert f"theirs={winner} round {r}" in loser_message
    with ws.session() as s:
        assert s.scalar(select(func.count(DraftVersion.id)).where(DraftVersion.draft_id == ids["draft"])) == 1 + ROUNDS
    ws.dispose()


def test_two_simultaneous_approvals_give_one_success_and_one_conflict(tmp_path):
    url, ws, ids = _workspace_with_draft(tmp_path, required=2)
    with ws.session() as s:
        workflow.submit(s, _actor(s, "dora"), ids["draft"])
    barrier, results = CTX.Barrier(2), CTX.Queue()
    workers = [
        CTX.Process(target=_approve_worker, args=(url, name, ids["draft"], barrier, results))
        for name in ("rhea", "remy")
    ]
    _run(workers)
    outcomes = _collect(results, 2)
    assert sorted(o[2] for o in outcomes) == ["conflict", "ok"], outcomes
    with ws.session() as s:
        assert len(drafts.valid_approvals(s, drafts.get_draft(s, ids["draft"]))) == 1
    ws.dispose()


IMPORT_ROWS = 1500
EDITS = 25
SNAPSHOTS = 25


def _import_worker(url, tag, barrier, results):
    from planner import ingest

    try:
        ws = open_workspace(url)
        with ws.session() as s:
            lines = ["id,date,text"] + [
                f"{tag}-{i},2026-11-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z,lantern walk {tag} {i}"
                for i in range(IMPORT_ROWS)
            ]
            source = ingest.Source.from_bytes(f"{tag}.csv", "\n".join(lines).encode())
            barrier.wait(timeout=60)
            for half in (0, 1):  # two batches per process, to interleave with the others
                part = ingest.Source.from_bytes(
                    f"{tag}-{half}.csv",
                    "\n".join(
                        [lines[0]] + lines[1 + half * IMPORT_ROWS // 2 : 1 + (half + 1) * IMPORT_ROWS // 2]
                    ).encode(),
                )
                ingest.import_posts(s, auth.CLI_ACTOR, part, ingest.ImportOptions(platform="x"))
            del source
        ws.dispose()
        results.put((tag, "ok", ""))
    except Exception as exc:  # noqa: BLE001
        results.put((tag, "error", traceback.format_exc(limit=3) + repr(exc)))


def _edit_worker(url, draft_id, barrier, results):
    try:
        ws = open_workspace(url)
        with ws.session() as s:
            actor = _actor(s, "dora")
            barrier.wait(timeout=60)
            for i in range(EDITS):
                version = drafts.get_draft(s, draft_id, for_update=True).version
                drafts.update_draft(s, actor, draft_id, version, {"master_text": f"edit {i}"})
                drafts.add_comment(s, actor, draft_id, f"comment {i}")
        ws.dispose()
        results.put(("edits", "ok", ""))
    except Exception as exc:  # noqa: BLE001
        results.put(("edits", "error", traceback.format_exc(limit=3) + repr(exc)))


def _metrics_worker(url, entry_id, barrier, results):
    from planner.metrics import snapshots

    try:
        ws = open_workspace(url)
        with ws.session() as s:
            barrier.wait(timeout=60)
            start = datetime(2026, 11, 10, tzinfo=UTC)
            for i in range(SNAPSHOTS):
                snapshots.record_snapshot(
                    s, auth.CLI_ACTOR, entry_id, start + timedelta(hours=i), {"impressions": 100 * (i + 1)}
                )
        ws.dispose()
        results.put(("metrics", "ok", ""))
    except Exception as exc:  # noqa: BLE001
        results.put(("metrics", "error", traceback.format_exc(limit=3) + repr(exc)))


def test_four_writers_at_once_lose_nothing(tmp_path):
    from tests.metrics_helpers import build

    url = workspace_url(tmp_path)
    ws = open_workspace(url)
    with ws.session() as s:
        built = build(s)
        entry_id = built["launch"]
        auth.create_user(s, auth.CLI_ACTOR, "dora", PASSWORD, "drafter")
        draft = drafts.create_draft(
            s, _actor(s, "dora"), built["campaign"], {"title": "Friday", "variants": {built["channels"]["x"]: TEXT}}
        )
        ids = {"draft": draft.id}
        audit_before = s.scalar(select(func.count(AuditEntry.id)))
    barrier, results = CTX.Barrier(4), CTX.Queue()
    workers = [
        CTX.Process(target=_import_worker, args=(url, "alpha", barrier, results)),
        CTX.Process(target=_import_worker, args=(url, "beta", barrier, results)),
        CTX.Process(target=_edit_worker, args=(url, ids["draft"], barrier, results)),
        CTX.Process(target=_metrics_worker, args=(url, entry_id, barrier, results)),
    ]
    started = time.monotonic()
    _run(workers)
    outcomes = [results.get(timeout=60) for _ in workers]
    elapsed = time.monotonic() - started
    assert [o for o in outcomes if o[1] != "ok"] == [], outcomes
    with ws.session() as s:
        assert s.scalar(select(func.count(Post.id))) == 2 * IMPORT_ROWS
        assert s.scalar(select(func.count(DraftVersion.id)).where(DraftVersion.draft_id == ids["draft"])) == 1 + EDITS
        assert s.scalar(select(func.count(MetricSnapshot.id)).where(MetricSnapshot.entry_id == entry_id)) == SNAPSHOTS
        # 4 imports, each edit (update + comment) and each snapshot are audited
        added = s.scalar(select(func.count(AuditEntry.id))) - audit_before
        assert added == 4 + 2 * EDITS + SNAPSHOTS
        from planner import audit

        assert audit.verify(s).ok
    ws.dispose()
    print(f"four writers finished in {elapsed:.1f} s")


@pytest.mark.sqlite_only
def test_write_transactions_begin_immediate(ws):
    from sqlalchemy import event

    statements = []
    event.listen(ws.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with ws.session() as s:
        auth.list_users(s)  # a read transaction first, as pages do
        auth.create_user(s, auth.CLI_ACTOR, "newt", PASSWORD, "viewer")
    assert "BEGIN IMMEDIATE" in statements
