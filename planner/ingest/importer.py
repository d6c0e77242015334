"""Run an import: detect the format, validate every row, write one batch in one transaction, report, undo, export."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TextIO

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from planner import audit, workspace
from planner.audit import Actor
from planner.auth import Action, require
from planner.db import atomic
from planner.errors import PlannerError
from planner.ingest.formats import Chunk, CsvFormat, Format, QutFormat, ReadState, sniff_text
from planner.ingest.jsonfmt import TelegramFormat, TwitterV1Format, TwitterV2Format
from planner.ingest.pipeline import POST_COLUMNS, Context, Rejected, normalise_chunk
from planner.ingest.source import FormatError, Source
from planner.ingest.timestamps import zone
from planner.models import ImportBatch, ImportReject, Post

FORMATS: dict[str, Format] = {
    f.name: f for f in (CsvFormat(), QutFormat(), TwitterV1Format(), TwitterV2Format(), TelegramFormat())
}
FORMAT_CHOICES = ("auto", *FORMATS)
PLATFORM_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")
# Bad rows listed in a report (all are counted; with skip-bad-rows all are stored for the rejects CSV).
REPORT_REJECTS = 1000
# Bad rows quoted in the refusal message.
MESSAGE_REJECTS = 5
# Existing ids looked up per query during a dry run.
LOOKUP_BATCH = 500
# Imports expected to hold at least this many posts (and no fewer than the table) build the indexes afterwards.
BULK_ROWS = 200_000
# SQLite's page cache during such a load (KiB), and its default afterwards (negative: KiB).
BULK_CACHE_KIB = 256 * 1024
SQLITE_DEFAULT_CACHE = -2000
QUT_HEADER = ("message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls")

Progress = Callable[[float, str], None]


class ImportRefused(PlannerError):
    """The file has bad rows and the user did not ask to skip them: nothing was imported."""

    def __init__(self, message: str, report: ImportReport):
        super().__init__(message)
        self.report = report


class BatchNotFound(PlannerError):
    """No import batch has that id."""


@dataclass
class ImportOptions:
    format: str = "auto"
    mapping: dict[str, str] = field(default_factory=dict)
    platform: str | None = None
    timezone: str = "UTC"
    encoding: str | None = None
    skip_bad_rows: bool = False
    pseudonymise: bool = False
    detect_language: bool = True


@dataclass
class Detection:
    """What a file looks like before it is imported."""

    format: str
    label: str
    encoding: str
    platform: str
    has_columns: bool
    columns: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)


@dataclass
class ImportReport:
    """What an import (or dry run) read, kept, skipped and why."""

    filename: str
    format: str
    platform: str
    timezone: str
    dry_run: bool
    encoding: str = ""
    mapping: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    rows_read: int = 0
    valid: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejects: list[Rejected] = field(default_factory=list)
    first_at: datetime | None = None
    last_at: datetime | None = None
    warnings: list[str] = field(default_factory=list)
    batch_id: int | None = None
    pseudonymised: bool = False

    def summary(self) -> str:
        """Return the one-line outcome: imported, duplicates, rejected."""
        verb = "would import" if self.dry_run else "imported"
        return f"{self.filename}: {verb} {self.imported:,}, duplicates {self.duplicates:,}, rejected {self.rejected:,}"

    def lines(self) -> list[str]:
        """Return the report as printable lines."""
        out = [
            f"File: {self.filename} (format {self.format}, encoding {self.encoding or '?'}, platform {self.platform})",
            f"Rows read: {self.rows_read:,}; valid {self.valid:,}; rejected {self.rejected:,}",
            f"Naive timestamps read as: {self.timezone}",
        ]
        if self.mapping:
            out.append("Mapping: " + ", ".join(f"{k}={v}" for k, v in self.mapping.items()))
        if self.ignored_columns:
            out.append("Ignored columns: " + ", ".join(self.ignored_columns))
        if self.first_at and self.last_at:
            out.append(f"Time range (UTC): {self.first_at:%Y-%m-%d %H:%M:%S} .. {self.last_at:%Y-%m-%d %H:%M:%S}")
        out += [f"Warning: {w}" for w in self.warnings]
        out += [f"Row {r.row}: {r.reason}" for r in self.rejects[:REPORT_REJECTS]]
        if self.rejected > len(self.rejects):
            out.append(f"... and {self.rejected - len(self.rejects):,} more bad rows")
        out.append(self.summary())
        return out


def detect_format(source: Source) -> Format:
    """Return the format `source` is most likely in; raise FormatError when none fits."""
    head = sniff_text(source)
    if not head.strip():
        raise FormatError(f"{source.name}: the file is empty")
    scores = {name: fmt.sniff(head, source.name) for name, fmt in FORMATS.items()}
    best = max(scores, key=scores.get)
    if scores[best] <= 5:
        raise FormatError(f"{source.name}: not a format Counterpoint reads (CSV, Twitter JSON, Telegram export)")
    return FORMATS[best]


def _format(source: Source, name: str) -> Format:
    if name in (None, "", "auto"):
        return detect_format(source)
    if name not in FORMATS:
        raise FormatError(f"format: {name!r} is not one of {', '.join(FORMAT_CHOICES)}")
    return FORMATS[name]


def _platform(name: str | None, fmt: Format, columns: list[str]) -> str:
    platform = (name or "").strip().lower() or fmt.guess_platform(columns)
    if not PLATFORM_RE.match(platform):
        raise FormatError(f"platform: {name!r} must be 1-32 lower-case letters, digits, '.', '_' or '-'")
    return platform


def inspect(source: Source, options: ImportOptions | None = None) -> Detection:
    """Return the detected format, encoding, columns, guessed mapping and platform of `source`."""
    options = options or ImportOptions()
    fmt = _format(source, options.format)
    state = ReadState()
    columns: list[str] = []
    mapping: dict[str, str] = {}
    if fmt.has_columns or isinstance(fmt, QutFormat):
        columns = fmt.columns(source, options.encoding)
        mapping = fmt.resolve_mapping(columns, options.mapping) if columns else {}
    from planner.ingest.source import detect_encoding

    state.encoding = options.encoding or detect_encoding(source.head())
    return Detection(
        format=fmt.name,
        label=fmt.label,
        encoding=state.encoding,
        platform=_platform(options.platform, fmt, columns),
        has_columns=fmt.has_columns,
        columns=columns,
        mapping=mapping,
    )


def preview(source: Source, options: ImportOptions, rows: int = 20) -> tuple[pd.DataFrame, list[Rejected]]:
    """Return the first `rows` records as they would be stored, and the bad ones among them."""
    fmt = _format(source, options.format)
    state = ReadState()
    for chunk in fmt.chunks(source, state, options.mapping, options.encoding):
        ctx = _context(options, fmt, state, secret=None)
        frame = chunk.frame.head(rows)
        valid, rejects, positions = normalise_chunk(frame, ctx)
        _attach_raw(chunk, rejects, positions)
        return valid, rejects
    return pd.DataFrame(columns=list(POST_COLUMNS)), []


def _context(options: ImportOptions, fmt: Format, state: ReadState, secret: bytes | None) -> Context:
    return Context(
        platform=_platform(options.platform, fmt, state.columns),
        tz=zone(options.timezone),
        now=datetime.now(UTC),
        secret=secret,
        detect_language=options.detect_language,
    )


def _attach_raw(chunk: Chunk, rejects: list[Rejected], positions: list[int]) -> None:
    for reject, position in zip(rejects, positions, strict=True):
        reject.raw = chunk.raw_row(position)


def import_posts(
    session: Session,
    actor: Actor,
    source: Source,
    options: ImportOptions | None = None,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import `source` as one batch in one transaction and return the report (a dry run writes nothing).

    Raises FormatError when the file cannot be read, ImportRefused when rows are bad and skip_bad_rows is off
    (nothing is written either way), PermissionDenied when the actor may not import.
    """
    options = options or ImportOptions()
    require(actor, Action.IMPORT_POSTS)
    zone(options.timezone)
    fmt = _format(source, options.format)
    report_progress = progress or (lambda _f, _m: None)
    secret = None
    if options.pseudonymise and not dry_run:
        secret = workspace.pseudonym_secret(session)
    elif options.pseudonymise:  # a dry run creates no secret; without one yet, the pseudonyms shown are stand-ins
        stored = workspace.get_setting(session, workspace.PSEUDONYM_SECRET_KEY)
        secret = bytes.fromhex(stored) if stored else b"dry-run"
    report = ImportReport(
        filename=source.name,
        format=fmt.name,
        platform="",
        timezone=options.timezone or "UTC",
        dry_run=dry_run,
        pseudonymised=options.pseudonymise,
    )
    if dry_run:
        _run(session, fmt, source, options, report, secret, None, report_progress)
        return report
    with atomic(session):
        batch = ImportBatch(
            created_by=actor.user_id,
            filename=source.name[:255],
            format=fmt.name,
            platform="",
            pseudonymised=options.pseudonymise,
        )
        session.add(batch)
        session.flush()
        _run(session, fmt, source, options, report, secret, batch, report_progress)
        report_progress(1.0, "Counting what was stored...")
        report.imported = session.scalar(select(func.count(Post.id)).where(Post.batch_id == batch.id)) or 0
        report.duplicates = report.valid - report.imported
        batch.platform = report.platform
        batch.rows_read, batch.imported = report.rows_read, report.imported
        batch.duplicates, batch.rejected = report.duplicates, report.rejected
        batch.options = json.dumps(
            {
                "encoding": report.encoding,
                "mapping": report.mapping,
                "timezone": report.timezone,
                "skip_bad_rows": options.skip_bad_rows,
                "first_at": report.first_at.isoformat() if report.first_at else None,
                "last_at": report.last_at.isoformat() if report.last_at else None,
            }
        )
        if report.imported or report.rejected:
            report.batch_id = batch.id
        else:
            session.delete(batch)  # a re-import that adds nothing leaves no empty batch behind
        audit.record(
            session,
            actor,
            "posts.import",
            "import_batch",
            report.batch_id or "",
            f"{source.name} ({fmt.name}, platform {report.platform}"
            f"{', pseudonymised' if options.pseudonymise else ''}): imported {report.imported}, "
            f"duplicates {report.duplicates}, rejected {report.rejected}",
        )
    return report


def _run(session, fmt, source, options, report, secret, batch, progress) -> None:
    state = ReadState(skip_bad_rows=options.skip_bad_rows)
    ctx: Context | None = None
    seen: set[str] = set()
    refused = False
    deferred: list[str] | None = None
    for chunk in fmt.chunks(source, state, options.mapping, options.encoding):
        if ctx is None:
            ctx = _context(options, fmt, state, secret)
            report.platform, report.encoding = ctx.platform, state.encoding
            report.mapping, report.ignored_columns = dict(state.mapping), list(state.ignored_columns)
            if batch is not None:
                batch.platform = ctx.platform
        valid, rejects, positions = normalise_chunk(chunk.frame, ctx)
        _attach_raw(chunk, rejects, positions)
        report.rows_read += len(chunk.frame)
        report.valid += len(valid)
        report.rejected += len(rejects)
        room = REPORT_REJECTS - len(report.rejects)
        report.rejects.extend(rejects[: max(room, 0)])
        if len(valid):
            first, last = valid["created_at"].min(), valid["created_at"].max()
            report.first_at = min(filter(None, [report.first_at, first.to_pydatetime()]))
            report.last_at = max(filter(None, [report.last_at, last.to_pydatetime()]))
        refused = refused or (bool(rejects) and not options.skip_bad_rows)
        if batch is None:
            report.duplicates += _count_duplicates(session, ctx.platform, valid["external_id"], seen)
        elif not refused:
            if rejects:
                _store_rejects(session, batch.id, rejects)
            if deferred is None:
                deferred = _defer_indexes(session, source.size, state.bytes_read, len(chunk.frame))
            insert_posts(session, valid, batch.id)
        progress(min(state.bytes_read / max(source.size, 1), 0.99), f"Read {report.rows_read:,} rows...")
    if ctx is None or report.rows_read == 0:
        raise FormatError(f"{source.name}: the file has no records")
    if deferred:
        progress(0.99, "Building indexes...")
        _restore_indexes(session, deferred)
    if state.stream is not None and state.stream.nuls_removed:
        state.warnings.append(f"removed {state.stream.nuls_removed:,} NUL characters")
    report.warnings.extend(state.warnings)
    if batch is None:
        report.imported = report.valid - report.duplicates
    if refused and batch is not None:
        quoted = "; ".join(f"row {r.row}: {r.reason}" for r in report.rejects[:MESSAGE_REJECTS])
        more = f" (and {report.rejected - MESSAGE_REJECTS:,} more)" if report.rejected > MESSAGE_REJECTS else ""
        raise ImportRefused(
            f"{source.name}: refused, nothing imported: {report.rejected:,} bad rows: {quoted}{more}. "
            "Fix them, or skip bad rows to import the rest and get a rejects CSV.",
            report,
        )


def _defer_indexes(session: Session, file_size: int, bytes_read: int, rows: int) -> list[str]:
    """Drop the posts table's secondary indexes for a bulk load into SQLite; return the SQL that rebuilds them.

    Building an index once from sorted data is about twice as fast as updating it row by row, but rebuilding costs
    time proportional to the whole table, so this happens only when the file holds at least BULK_ROWS posts and
    at least as many as the table. The unique index stays (it skips duplicates). DDL is transactional in SQLite:
    a failed import gets its indexes back with the rollback. The page cache is enlarged for the load too.
    """
    conn = session.connection()
    if conn.dialect.name != "sqlite" or not rows or not bytes_read:
        return []
    expected = file_size / (bytes_read / rows)
    stored = session.scalar(select(func.max(Post.id))) or 0  # an upper bound of the row count, read in O(1)
    if expected < BULK_ROWS or expected < stored:
        return []
    indexes = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'posts' AND sql IS NOT NULL"
    ).all()
    for name, _sql in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    conn.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    return [sql for _name, sql in indexes]


def _restore_indexes(session: Session, statements: list[str]) -> None:
    conn = session.connection()
    for sql in statements:
        conn.exec_driver_sql(sql)
    conn.exec_driver_sql(f"PRAGMA cache_size = {SQLITE_DEFAULT_CACHE}")


def _count_duplicates(session: Session, platform: str, ids: pd.Series, seen: set[str]) -> int:
    values = ids.tolist()
    in_file = 0
    fresh = []
    for value in values:
        if value in seen:
            in_file += 1
        else:
            seen.add(value)
            fresh.append(value)
    stored = 0
    for start in range(0, len(fresh), LOOKUP_BATCH):
        part = fresh[start : start + LOOKUP_BATCH]
        stored += session.scalar(
            select(func.count(Post.id)).where(Post.platform == platform, Post.external_id.in_(part))
        )
    return in_file + stored


def _store_rejects(session: Session, batch_id: int, rejects: list[Rejected]) -> None:
    session.execute(
        insert(ImportReject),
        [
            {"batch_id": batch_id, "row_number": r.row, "field": r.field, "reason": r.reason, "raw": r.raw}
            for r in rejects
        ],
    )


def insert_posts(session: Session, rows: pd.DataFrame, batch_id: int) -> None:
    """Insert `rows` (POST_COLUMNS) into posts in the session's transaction, skipping ids already stored.

    Goes through the driver's executemany: the ORM's per-object work would cost more than the insert itself.
    """
    if rows.empty:
        return
    conn = session.connection()
    columns = [*POST_COLUMNS, "batch_id"]
    values = []
    for name in POST_COLUMNS:
        col = rows[name]
        if name == "created_at":
            if conn.dialect.name == "sqlite":
                # The text form SQLAlchemy's SQLite DATETIME stores: "YYYY-MM-DD HH:MM:SS.ffffff", UTC.
                stamps = col.dt.tz_convert(None).to_numpy(dtype="datetime64[us]")
                values.append(np.char.replace(np.datetime_as_string(stamps, unit="us"), "T", " ").tolist())
            else:
                values.append(col.dt.to_pydatetime().tolist())
        elif isinstance(col.dtype, pd.Int64Dtype):
            values.append(col.to_numpy(dtype=object, na_value=None).tolist())
        else:
            values.append(col.tolist())
    values.append([batch_id] * len(rows))
    params = zip(*values, strict=True)  # tuples made as the driver asks for them, not all at once
    names = ", ".join(columns)
    if conn.dialect.name == "sqlite":
        sql = f"INSERT OR IGNORE INTO posts ({names}) VALUES ({', '.join('?' * len(columns))})"
        conn.connection.driver_connection.executemany(sql, params)
    else:
        sql = (
            f"INSERT INTO posts ({names}) VALUES ({', '.join(['%s'] * len(columns))}) "
            "ON CONFLICT (platform, external_id) DO NOTHING"
        )
        conn.exec_driver_sql(sql, list(params))


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


def write_rejects(rejects: list[Rejected], fh: TextIO) -> int:
    """Write rejected rows as CSV (row, field, reason, raw) to `fh`; return how many."""
    writer = csv.writer(fh)
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


def export_qut(session: Session, actor: Actor, fh: TextIO, platform: str | None = None) -> int:
    """Write the stored posts as a coordination-network-toolkit CSV to `fh`; return how many rows.

    Columns message_id, user_id, username, repost_id, reply_id, message, timestamp (epoch seconds), urls
    (space-separated), in time order, so the same posts can be fed to that toolkit.
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
    writer = csv.writer(fh)
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


def report_dict(report: ImportReport) -> dict:
    """Return the report as plain data (for JSON)."""
    data = asdict(report)
    data["rejects"] = data["rejects"][:REPORT_REJECTS]
    return data
