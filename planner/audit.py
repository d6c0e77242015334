"""Append-only audit log: write an entry with every change of state, read it with filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from planner import wording
from planner.models import AuditEntry, Campaign, Channel, Draft, ImportBatch, Trend, User, Watchlist
from planner.models.audit import GENESIS, entry_hash

if TYPE_CHECKING:
    import pandas as pd

SUMMARY_MAX = 2000


@dataclass(frozen=True)
class Actor:
    """Who performs an operation: a logged-in user, or the local operator at the command line."""

    user_id: int | None
    username: str
    role: str


def record(
    session: Session, actor: Actor, action: str, object_type: str, object_id: object = "", summary: str = ""
) -> AuditEntry:
    """Add an audit entry to the session's transaction (the caller commits it with the change)."""
    entry = AuditEntry(
        actor_id=actor.user_id,
        actor_name=actor.username,
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        summary=summary[:SUMMARY_MAX],
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class ChainReport:
    """The outcome of checking the audit log's hash chain."""

    count: int
    head: str  # hash of the newest entry checked (GENESIS for an empty log)
    broken_id: int | None = None  # the first entry whose hash does not follow from its fields and predecessor
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None

    def line(self) -> str:
        if self.ok:
            return f"OK: {self.count:,} audit entries, chain head {self.head}"
        return f"BROKEN at audit entry {self.broken_id}: {self.reason} ({self.count:,} entries before it verified)"


def verify(session: Session) -> ChainReport:
    """Recompute the hash chain from the first entry; report the first broken link, or the count and head."""
    previous = GENESIS
    count = 0
    rows = session.execute(
        select(
            AuditEntry.id,
            AuditEntry.at,
            AuditEntry.actor_id,
            AuditEntry.actor_name,
            AuditEntry.action,
            AuditEntry.object_type,
            AuditEntry.object_id,
            AuditEntry.summary,
            AuditEntry.hash,
        )
        .order_by(AuditEntry.id)
        .execution_options(yield_per=5000)
    )
    for row in rows:
        expected = entry_hash(previous, *row[1:8])
        if row.hash != expected:
            if not row.hash:
                reason = "it has no hash (written around the application, or its predecessor was removed)"
            else:
                reason = "its hash does not match its content and the entry before it (edited, inserted or removed)"
            return ChainReport(count, previous, row.id, reason)
        previous = row.hash
        count += 1
    return ChainReport(count, previous)


def last_id(session: Session) -> int:
    """Return the id of the newest audit entry (0 when none): every change the core makes records one, so the
    workspace has not changed while it stays the same (pages cache their reads on it)."""
    return session.scalar(select(func.max(AuditEntry.id))) or 0


def chain_head(session: Session) -> tuple[int, str]:
    """Return (number of entries, hash of the newest entry) without re-verifying the chain."""
    newest = session.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    return count(session), (newest.hash if newest else GENESIS)


@dataclass(frozen=True)
class AuditFilter:
    actor_name: str | None = None
    action_prefix: str | None = None
    object_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(stmt, flt: AuditFilter):
    if flt.actor_name:
        stmt = stmt.where(AuditEntry.actor_name == flt.actor_name)
    if flt.action_prefix:
        stmt = stmt.where(AuditEntry.action.startswith(flt.action_prefix))
    if flt.object_type:
        stmt = stmt.where(AuditEntry.object_type == flt.object_type)
    if flt.since:
        stmt = stmt.where(AuditEntry.at >= flt.since)
    if flt.until:
        stmt = stmt.where(AuditEntry.at < flt.until)
    return stmt


def entries(session: Session, flt: AuditFilter = AuditFilter(), limit: int = 500, offset: int = 0) -> pd.DataFrame:
    """Return the newest matching entries as a DataFrame (at, actor, action, object_type, object_id, summary)."""
    import pandas as pd

    stmt = _filtered(
        select(
            AuditEntry.id,
            AuditEntry.at,
            AuditEntry.actor_name.label("actor"),
            AuditEntry.action,
            AuditEntry.object_type,
            AuditEntry.object_id,
            AuditEntry.summary,
        ),
        flt,
    )
    rows = session.execute(stmt.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)).all()
    cols = ["id", "at", "actor", "action", "object_type", "object_id", "summary"]
    return pd.DataFrame(rows, columns=cols)


def count(session: Session, flt: AuditFilter = AuditFilter()) -> int:
    """Return how many entries match `flt`."""
    return session.scalar(_filtered(select(func.count(AuditEntry.id)), flt)) or 0


def facets(session: Session) -> dict[str, list[str]]:
    """Return the distinct actors, action families and object types, for filter widgets."""
    actors = session.scalars(select(AuditEntry.actor_name).distinct().order_by(AuditEntry.actor_name)).all()
    actions = session.scalars(select(AuditEntry.action).distinct()).all()
    types = session.scalars(select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)).all()
    families = sorted({a.split(".")[0] for a in actions})
    return {"actors": list(actors), "action_families": families, "object_types": list(types)}


# object_type -> (model, the column that names it)
_NAMED = {
    "draft": (Draft, Draft.title),
    "campaign": (Campaign, Campaign.name),
    "user": (User, User.username),
    "watchlist": (Watchlist, Watchlist.name),
    "trend": (Trend, Trend.key),
    "import_batch": (ImportBatch, ImportBatch.filename),
}


def object_names(session: Session, frame: pd.DataFrame) -> dict[tuple[str, str], str]:
    """Return the current names (draft title, username, trend key ...) of the objects in audit rows."""
    names: dict[tuple[str, str], str] = {}
    for object_type, group in frame.groupby("object_type"):
        ids = sorted({int(i) for i in group["object_id"] if str(i).isdigit()})
        if not ids:
            continue
        if object_type == "channel":
            for ch in session.scalars(select(Channel).where(Channel.id.in_(ids))):
                names[("channel", str(ch.id))] = f"{ch.platform} {ch.handle}"
        elif object_type in _NAMED:
            model, column = _NAMED[object_type]
            for oid, name in session.execute(select(model.id, column).where(model.id.in_(ids))).all():
                names[(object_type, str(oid))] = name
    return names


def readable(session: Session, frame: pd.DataFrame) -> pd.DataFrame:
    """Return audit rows (from `entries`) as at, actor, action family, sentence and details, for people."""
    import pandas as pd

    names = object_names(session, frame)
    sentences = [
        wording.audit_sentence(r.actor, r.action, r.object_type, r.object_id, r.summary, names)
        for r in frame.itertuples()
    ]
    return pd.DataFrame(
        {
            "at": frame["at"],
            "actor": frame["actor"],
            "what": sentences,
            "details": frame["summary"].map(wording.plain_summary),
        }
    )
