"""Import history: list and undo batches, their rejected rows, the post count, and the QUT export."""

from __future__ import annotations

import io
from typing import TextIO

import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from planner import audit, csvsafe
from planner.audit import Actor
from planner.auth import Action, require
from planner.db import atomic
from planner.errors import PlannerError
from planner.ingest.pipeline import Rejected
from planner.models import ImportBatch, ImportReject, Post

QUT_HEADER = ("message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls")


class BatchNotFound(PlannerError):
    """No import batch has that id."""


def list_batches(session: Session, limit: int = 200) -> pd.DataFrame:
    """Return the newest import batches (id, created_at, filename, format, platform, counts, pseudonymised)."""
    rows = session.execute(
        select(
            ImportBatch.id,
            ImportBatch.created_at,
            ImportBatch.filename,
            ImportBatch.format,
            ImportBatch.platform,
            ImportBatch.rows_read,
            ImportBatch.imported,
            ImportBatch.duplicates,
            ImportBatch.rejected,
            ImportBatch.pseudonymised,
        )
        .order_by(ImportBatch.id.desc())
        .limit(limit)
    ).all()
    cols = [
        "id",
        "created_at",
        "filename",
        "format",
        "platform",
        "rows_read",
        "imported",
        "duplicates",
        "rejected",
        "pseudonymised",
    ]
    return pd.DataFrame(rows, columns=cols)


def undo_batch(session: Session, actor: Actor, batch_id: int) -> int:
    """Delete an import batch with its posts and rejects; return how many posts were deleted."""
    require(actor, Action.UNDO_IMPORT)
    with atomic(session):
        batch = session.get(ImportBatch, batch_id)
        if batch is None:
            raise BatchNotFound(f"import batch {batch_id}: there is no such batch (it may have been undone)")
        deleted = session.execute(delete(Post).where(Post.batch_id == batch_id)).rowcount
        session.execute(delete(ImportReject).where(ImportReject.batch_id == batch_id))
        filename = batch.filename
        session.delete(batch)
        audit.record(
            session, actor, "posts.undo_import", "import_batch", batch_id, f"undid {filename}: {deleted} posts deleted"
        )
    return deleted


def write_rejects(rejects: list[Rejected], fh: TextIO, *, raw: bool = False) -> int:
    """Write rejected rows as CSV (row, field, reason, raw) to `fh`, formula-like text neutralised unless `raw`;
    return how many."""
    writer = csvsafe.writer(fh, raw=raw)
    writer.writerow(["row", "field", "reason", "raw"])
    for r in rejects:
        writer.writerow([r.row, r.field, r.reason, r.raw])
    return len(rejects)


def batch_rejects(session: Session, batch_id: int) -> list[Rejected]:
    """Return the rows an import batch skipped, in file order."""
    rows = session.scalars(
        select(ImportReject).where(ImportReject.batch_id == batch_id).order_by(ImportReject.row_number)
    ).all()
    return [Rejected(r.row_number, r.field, r.reason, r.raw) for r in rows]


def rejects_csv(rejects: list[Rejected]) -> str:
    """Return rejected rows as CSV text."""
    buf = io.StringIO()
    write_rejects(rejects, buf)
    return buf.getvalue()


def count_posts(session: Session) -> int:
    """Return the number of stored monitored posts."""
    return session.scalar(select(func.count(Post.id))) or 0


def export_qut(session: Session, actor: Actor, fh: TextIO, platform: str | None = None, *, raw: bool = False) -> int:
    """Write the stored posts as a coordination-network-toolkit CSV to `fh`; return how many rows.

    Columns message_id, user_id, username, repost_id, reply_id, message, timestamp (epoch seconds), urls
    (space-separated), in time order, so the same posts can be fed to that toolkit. Text a spreadsheet would run as a
    formula gets a leading quote unless `raw` (planner.csvsafe).
    """
    require(actor, Action.VIEW)
    stmt = select(
        Post.external_id,
        Post.author_id,
        Post.author_handle,
        Post.repost_of,
        Post.reply_to,
        Post.text,
        Post.created_at,
        Post.urls,
    ).order_by(Post.created_at, Post.id)
    if platform:
        stmt = stmt.where(Post.platform == platform)
    writer = csvsafe.writer(fh, raw=raw)
    writer.writerow(QUT_HEADER)
    count = 0
    for row in session.execute(stmt.execution_options(yield_per=10_000)):
        stamp = row.created_at.timestamp()
        writer.writerow(
            [
                row.external_id,
                row.author_id,
                row.author_handle,
                row.repost_of or "",
                row.reply_to or "",
                row.text,
                int(stamp) if stamp == int(stamp) else stamp,
                row.urls,
            ]
        )
        count += 1
    return count
