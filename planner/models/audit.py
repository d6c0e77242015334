"""The append-only audit log table."""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import UTC, datetime

from sqlalchemy import ForeignKey, Index, String, Text, event, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from planner.models.base import Base, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"), Index("ix_audit_log_object", "object_type", "object_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # The user id is kept even if the user is later deactivated; the name is copied so the entry reads on its own.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    actor_name: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    # SHA-256 over this entry's canonical fields and the previous entry's hash (planner.audit.entry_hash).
    hash: Mapped[str] = mapped_column(String(64), default="")


# The "previous hash" of the first entry.
GENESIS = "0" * 64


def _canonical_time(at: datetime | str) -> str:
    if isinstance(at, str):  # a raw SQLite value read without the ORM (migrations)
        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(
    previous: str,
    at: datetime | str,
    actor_id: int | None,
    actor_name: str,
    action: str,
    object_type: str,
    object_id: str,
    summary: str,
) -> str:
    """Return the SHA-256 (hex) chaining an entry to `previous`: over canonical JSON of its fields and that hash."""
    fields = [previous, _canonical_time(at), actor_id, actor_name, action, object_type, object_id or "", summary or ""]
    canonical = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# PostgreSQL advisory lock that serialises appends, so two transactions never chain to the same previous entry.
# (SQLite writers already hold the database lock from their first statement: see planner.db.)
CHAIN_LOCK_KEY = 0x0A0D17C4A1
_order = itertools.count()


@event.listens_for(AuditEntry, "init")
def _number(target: AuditEntry, _args, _kwargs) -> None:
    target._chain_order = next(_order)


@event.listens_for(Session, "before_flush")
def _chain(session: Session, _context, _instances) -> None:
    """Give new audit entries their hashes, in the order they were created, after the newest stored entry."""
    new = sorted((o for o in session.new if isinstance(o, AuditEntry)), key=lambda o: o._chain_order)
    if not new:
        return
    with session.no_autoflush:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
        previous = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS
    for entry in new:
        if entry.at is None:
            entry.at = utcnow()
        previous = entry.hash = entry_hash(
            previous,
            entry.at,
            entry.actor_id,
            entry.actor_name,
            entry.action,
            entry.object_type,
            entry.object_id or "",
            entry.summary or "",
        )
