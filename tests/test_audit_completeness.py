"""Audit completeness: every state-changing core function writes an audit entry in the same transaction.

Two checks. Static: every public function in planner/ (outside the UI, CLI and migrations) that opens a write
transaction (planner.db.atomic) either calls audit.record itself, calls a core function that does, or is on an
allow-list with its reason. Runtime: while a scenario drives the core through a whole campaign, every committed
transaction that changed a row also added an audit entry (bookkeeping tables listed with reasons).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

import planner
from planner import audit, auth, campaigns, channels, drafts, ingest, watchlists, workflow
from planner.models import AuditEntry
from tests.conftest import PASSWORD
from tests.planfixtures import make_campaign, make_channels

# Functions that write without an audit entry of their own, and why that is right.
NOT_AUDITED = {
    "planner.db.atomic": "the transaction helper itself",
    "planner.auth.touch_last_seen": "bookkeeping for 'new since your last visit', not a change anyone acts on",
    "planner.schedule.subscription.feed": "stamps a calendar token's last use when a calendar app polls the feed",
    "planner.sessions.redeem_ticket": "swaps a one-time ticket for the cookie token of a session audited at its start",
}
SKIPPED_PACKAGES = ("planner.ui", "planner.cli", "planner.migrations")


def _core_functions():
    for info in pkgutil.walk_packages(planner.__path__, "planner."):
        if info.name.startswith(SKIPPED_PACKAGES):
            continue
        module = importlib.import_module(info.name)
        for name, fn in vars(module).items():
            if inspect.isfunction(fn) and fn.__module__ == module.__name__:
                yield f"{module.__name__}.{name}", name, inspect.getsource(fn)


def _audited_names(functions) -> set[str]:
    """Return the names of functions that write an audit entry, directly or through one that does."""
    audited = {short for _, short, src in functions if "audit.record(" in src}
    changed = True
    while changed:
        changed = False
        for _, short, src in functions:
            if short not in audited and any(re.search(rf"\b{re.escape(a)}\(", src) for a in audited):
                audited.add(short)
                changed = True
    return audited


def test_every_writing_function_writes_an_audit_entry_or_says_why_not():
    functions = list(_core_functions())
    audited = _audited_names(functions)
    writers = [(full, short) for full, short, src in functions if "atomic(" in src and not short.startswith("_")]
    assert len(writers) > 40  # the scan found the core's writers
    missing = [full for full, short in writers if short not in audited and full not in NOT_AUDITED]
    assert missing == [], f"state-changing functions without an audit entry: {missing}"
    stale = [full for full in NOT_AUDITED if full not in {f for f, _ in writers}]
    assert stale == []


def test_static_check_catches_a_writer_without_audit():
    fake = [
        ("planner.x.audited", "audited", "def audited(s, a):\n    with atomic(s):\n        audit.record(s, a)"),
        ("planner.x.via", "via", "def via(s, a):\n    with atomic(s):\n        audited(s, a)"),
        ("planner.x.silent", "silent", "def silent(s, a):\n    with atomic(s):\n        s.add(1)"),
    ]
    assert _audited_names(fake) == {"audited", "via"}


# ---- runtime -------------------------------------------------------------------------------------------------

# Tables a transaction may change without an audit entry, and why.
BOOKKEEPING = {
    "login_throttles": "failed-login counters (the login itself is audited, and so is throttling)",
    "user_sessions": "a session's last use and its ticket swap (its start and end are audited)",
    "users": "last_seen_at and last_login_at stamps (role, status and password changes are audited)",
    "calendar_tokens": "last use of a calendar feed",
}


class Watch:
    """Record, per committed transaction, which tables changed and whether an audit entry was added."""

    def __init__(self):
        self.pending: dict[int, set[str]] = {}
        self.unaudited: list[set[str]] = []
        self.transactions = 0

    def after_flush(self, session, _context):
        tables = self.pending.setdefault(id(session), set())
        for obj in [*session.new, *session.dirty, *session.deleted]:
            if session.is_modified(obj) or obj in session.new or obj in session.deleted:
                tables.add(obj.__table__.name)

    def before_commit(self, session):
        session.flush()
        tables = self.pending.pop(id(session), set())
        if not tables:
            return
        self.transactions += 1
        if "audit_log" not in tables and not tables <= set(BOOKKEEPING):
            self.unaudited.append(tables)

    def after_rollback(self, session):
        self.pending.pop(id(session), None)


@pytest.fixture
def watch():
    w = Watch()
    event.listen(Session, "after_flush", w.after_flush)
    event.listen(Session, "before_commit", w.before_commit)
    event.listen(Session, "after_soft_rollback", lambda s, _t: w.after_rollback(s))
    yield w
    event.remove(Session, "after_flush", w.after_flush)
    event.remove(Session, "before_commit", w.before_commit)


def test_a_whole_campaign_leaves_no_unaudited_change(session, watch, tmp_path):
    from planner.briefs import brief, settings
    from planner.metrics import snapshots
    from planner.schedule import entries, pauses, subscription, windows

    admin = auth.actor_for(auth.create_user(session, auth.CLI_ACTOR, "ada", PASSWORD, "admin"))
    wren = auth.actor_for(auth.create_user(session, admin, "wren", PASSWORD, "drafter"))
    sol = auth.actor_for(auth.create_user(session, admin, "sol", PASSWORD, "reviewer"))
    auth.authenticate(session, "sol", PASSWORD)
    with pytest.raises(auth.AuthError):
        auth.authenticate(session, "sol", "wrong password")
    auth.touch_last_seen(session, sol)
    auth.set_time_zone(session, sol, "Europe/Berlin")
    auth.change_password(session, sol, "sol", PASSWORD + "!", PASSWORD)
    chans = make_channels(session, admin)
    extra = channels.create_channel(session, admin, "x", "@valley_second")
    channels.set_channel_active(session, admin, extra.id, False)
    camp = make_campaign(session, wren)
    campaigns.update_campaign(session, wren, camp.id, camp.version, {"goal": camp.goal + " (sharper)"})
    csv = "id,date,text\n1,2026-11-01T00:00:00Z,#GreyLanternRises at dusk\n2,2026-11-01T00:00:05Z,market day\n"
    report = ingest.import_posts(
        session, wren, ingest.Source.from_bytes("p.csv", csv.encode()), ingest.ImportOptions(platform="x")
    )
    ingest.undo_batch(session, sol, report.batch_id)
    wl = watchlists.create_watchlist(session, wren, "Lantern terms", "fictional")
    item = watchlists.add_item(session, wren, wl.id, "hashtag", "#greylantern")
    watchlists.remove_item(session, wren, item.id)
    watchlists.delete_watchlist(session, wren, wl.id)
    d = drafts.create_draft(
        session, wren, camp.id, {"title": "Friday", "variants": {chans["x"]: "Join us on Friday at the youth centre"}}
    )
    drafts.update_draft(session, wren, d.id, d.version, {"title": "Friday evening"})
    drafts.add_comment(session, sol, d.id, "nice")
    workflow.submit(session, wren, d.id)
    workflow.approve(session, sol, d.id)
    settings.save_settings(
        session, wren, camp.id, executive_summary="Summary.", handling_label="Internal", author="Wren"
    )
    brief.export(session, wren, camp.id, "md", brief.BriefOptions())
    windows.set_window_hours(session, sol, 48)
    token = subscription.create_token(session, sol, "phone")
    subscription.revoke_token(session, sol, token[0].id if isinstance(token, tuple) else token.id)
    variant = drafts.get_draft(session, d.id).variants[0]
    at = datetime.now(UTC) + timedelta(days=2)
    entry = entries.add_entry(session, sol, variant.id, at)
    pauses.pause(session, sol, "all", "a quiet day")
    pauses.resume(session, sol, "all")
    entries.mark_published(
        session, sol, entry.id, "https://x.com/valley/status/1860000000000000999", confirm_early=True
    )
    snapshots.record_snapshot(session, sol, entry.id, datetime.now(UTC), {"impressions": 120})
    campaigns.set_status(session, sol, camp.id, "active")
    auth.set_role(session, admin, "sol", "drafter")
    auth.set_active(session, admin, "wren", False)
    assert watch.transactions >= 30
    assert watch.unaudited == []
    assert audit.verify(session).ok


def test_runtime_watch_catches_an_unaudited_change(session, watch):
    from planner.db import atomic
    from planner.models import Watchlist

    with atomic(session):
        session.add(Watchlist(name="silent", description=""))
    assert watch.unaudited == [{"watchlists"}]
    assert AuditEntry.__tablename__ == "audit_log"
