"""Workspace-wide facts: settings such as the pseudonym secret, and the overview the home page shows."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from planner.models import AuditEntry, ImportBatch, Post, User, WorkspaceSetting

PSEUDONYM_SECRET_KEY = "pseudonym_secret"
DEMO_KEY = "demo_loaded_at"


def get_setting(session: Session, key: str) -> str | None:
    """Return the workspace setting `key`, or None."""
    row = session.get(WorkspaceSetting, key)
    return row.value if row else None


def set_setting(session: Session, key: str, value: str) -> None:
    """Set the workspace setting `key` in the session's transaction (the caller commits)."""
    row = session.get(WorkspaceSetting, key)
    if row is None:
        session.add(WorkspaceSetting(key=key, value=value))
    else:
        row.value = value


def pseudonym_secret(session: Session) -> bytes:
    """Return the workspace's secret key for pseudonyms, creating it once (it never leaves the database)."""
    value = get_setting(session, PSEUDONYM_SECRET_KEY)
    if value is None:
        candidate = secrets.token_hex(32)
        try:
            with session.begin_nested():
                session.add(WorkspaceSetting(key=PSEUDONYM_SECRET_KEY, value=candidate))
            session.commit()
            value = candidate
        except IntegrityError:  # another process created it first
            session.rollback()
            value = get_setting(session, PSEUDONYM_SECRET_KEY)
    return bytes.fromhex(value)


@dataclass
class Overview:
    users: int
    posts: int
    batches: int
    first_post_at: datetime | None
    last_post_at: datetime | None
    audit_entries: int
    demo_loaded: bool
    next_steps: list[str] = field(default_factory=list)


def overview(session: Session) -> Overview:
    """Return counts that describe the workspace and the next steps a newcomer should take."""
    # Three queries, not one: each alone is answered from an index, together they scan every post.
    posts = session.scalar(select(func.count(Post.id)))
    first = session.scalar(select(func.min(Post.created_at)))
    last = session.scalar(select(func.max(Post.created_at)))
    ov = Overview(
        users=session.scalar(select(func.count(User.id)).where(User.active.is_(True))) or 0,
        posts=posts or 0,
        batches=session.scalar(select(func.count(ImportBatch.id))) or 0,
        first_post_at=first,
        last_post_at=last,
        audit_entries=session.scalar(select(func.count(AuditEntry.id))) or 0,
        demo_loaded=get_setting(session, DEMO_KEY) is not None,
    )
    if ov.posts == 0:
        ov.next_steps.append("Import monitored posts (Monitor > Import), or load the fictional demo workspace.")
    if ov.users <= 1:
        ov.next_steps.append("Invite your team: add drafters and reviewers (Admin > Users).")
    return ov
