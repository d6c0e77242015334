"""Monitored posts (the adversary's content, hostile input) and the import batches they came in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from planner.models.base import Base, utcnow


def _text_hash_default(context) -> int:
    from planner.postkeys import text_hash_of

    return text_hash_of(context.get_current_parameters().get("text"))


def _author_key_default(context) -> int:
    from planner.postkeys import author_key_of

    params = context.get_current_parameters()
    return author_key_of(params.get("platform"), params.get("author_id"))


class ImportBatch(Base):
    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255), default="")
    format: Mapped[str] = mapped_column(String(32), default="")
    platform: Mapped[str] = mapped_column(String(32), default="")
    rows_read: Mapped[int] = mapped_column(default=0)
    imported: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    pseudonymised: Mapped[bool] = mapped_column(default=False)
    # Free-form JSON: mapping used, time zone, encoding.
    options: Mapped[str] = mapped_column(Text, default="{}")


class Post(Base):
    """A monitored post. Hashtags, URLs and mentions are space-separated normalised forms for fast matching."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("platform", "external_id", name="uq_posts_platform_external_id"),
        Index("ix_posts_created_at", "created_at"),
        Index("ix_posts_author", "platform", "author_id"),
        Index("ix_posts_batch", "batch_id"),
        Index("ix_posts_text_hash", "text_hash"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,  # SQLite needs INTEGER for a rowid key
    )
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    author_id: Mapped[str] = mapped_column(String(128), default="")
    author_handle: Mapped[str] = mapped_column(String(128), default="")
    author_name: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text, default="")
    lang: Mapped[str] = mapped_column(String(16), default="")
    hashtags: Mapped[str] = mapped_column(Text, default="")
    urls: Mapped[str] = mapped_column(Text, default="")
    mentions: Mapped[str] = mapped_column(Text, default="")
    repost_of: Mapped[str | None] = mapped_column(String(128))
    reply_to: Mapped[str | None] = mapped_column(String(128))
    quote_of: Mapped[str | None] = mapped_column(String(128))
    likes: Mapped[int | None] = mapped_column(BigInteger)
    reposts: Mapped[int | None] = mapped_column(BigInteger)
    replies: Mapped[int | None] = mapped_column(BigInteger)
    views: Mapped[int | None] = mapped_column(BigInteger)
    url: Mapped[str] = mapped_column(String(512), default="")  # the post's own link, when the source gives one
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"))
    # Integer keys for co-post detection (planner.postkeys); NULL only in rows a raw insert wrote without them.
    text_hash: Mapped[int | None] = mapped_column(BigInteger, default=_text_hash_default)
    author_key: Mapped[int | None] = mapped_column(BigInteger, default=_author_key_default)


class ImportReject(Base):
    """A row an import skipped (the user asked to skip bad rows), kept so the rejects CSV can be downloaded later."""

    __tablename__ = "import_rejects"
    __table_args__ = (Index("ix_import_rejects_batch", "batch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"))
    row_number: Mapped[int]
    field: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[str] = mapped_column(Text, default="")  # the source row as JSON, cut to RAW_MAX characters
