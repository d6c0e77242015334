"""Run an import: detect the format, validate every row, write one batch in one transaction, report."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from planner import audit, dataaccess, wording, workspace
from planner.audit import Actor
from planner.auth import Action, require
from planner.db import atomic
from planner.errors import Refused
from planner.ingest.formats import Chunk, CsvFormat, Format, QutFormat, ReadState, sniff_text
from planner.ingest.jsonfmt import TelegramFormat, TwitterV1Format, TwitterV2Format
from planner.ingest.parallel import LISTED_RAWS, normalised, piece
from planner.ingest.pipeline import POST_COLUMNS, Context, Rejected
from planner.ingest.source import FormatError, Source, detect_encoding
from planner.ingest.store import defer_indexes, insert_posts, insert_staged_posts, restore_indexes, store_rejects
from planner.ingest.timestamps import zone
from planner.models import ImportBatch, Post

FORMATS: dict[str, Format] = {
    f.name: f for f in (CsvFormat(), QutFormat(), TwitterV1Format(), TwitterV2Format(), TelegramFormat())
}
FORMAT_CHOICES = ("auto", *FORMATS)
PLATFORM_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")
# Bad rows listed in a report, each with its source row (all are counted; with skip-bad-rows all are stored for the
# rejects CSV).
REPORT_REJECTS = LISTED_RAWS
# Bad rows quoted in the refusal message.
MESSAGE_REJECTS = 5
# Encodings a file proves (UTF-8 decodes, or a byte-order mark or NUL pattern says so); others are guesses.
SURE_ENCODINGS = frozenset({"utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"})
# Existing ids looked up per query during a dry run.
LOOKUP_BATCH = 500

Progress = Callable[[float, str], None]


class ImportRefused(Refused):
    """The file has bad rows and the user did not ask to skip them: nothing was imported."""


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
            out.append(f"... and {wording.plural(self.rejected - len(self.rejects), 'more bad row')}")
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
        first = piece(Chunk(frame, chunk.raw), ctx, state.bytes_read, all_raws=True)
        return first.valid, first.rejects
    return pd.DataFrame(columns=list(POST_COLUMNS)), []


def _context(options: ImportOptions, fmt: Format, state: ReadState, secret: bytes | None) -> Context:
    return Context(
        platform=_platform(options.platform, fmt, state.columns),
        tz=zone(options.timezone),
        now=datetime.now(UTC),
        secret=secret,
        detect_language=options.detect_language,
    )


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
    try:
        if dry_run:
            _run(session, fmt, source, options, report, secret, None, report_progress)
            return report
        return _write(session, actor, fmt, source, options, report, secret, report_progress)
    except (MemoryError, RecursionError) as exc:  # the last line of defence behind the parsers' own limits
        session.rollback()
        raise FormatError(f"{source.name}: too large or too deeply nested to import: refused") from exc
    except FormatError as exc:
        if str(exc).startswith(f"{source.name}:"):
            raise
        raise FormatError(f"{source.name}: {exc}") from exc


def _write(session, actor, fmt, source, options, report, secret, report_progress) -> ImportReport:
    staging = dataaccess.Staging() if dataaccess.Staging.available(session) else None
    try:
        return _write_batch(session, actor, fmt, source, options, report, secret, report_progress, staging)
    finally:
        if staging is not None:
            staging.close()  # after the commit or rollback: SQLite detaches nothing inside a transaction


def _write_batch(session, actor, fmt, source, options, report, secret, report_progress, staging) -> ImportReport:
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
        _run(session, fmt, source, options, report, secret, batch, report_progress, staging)
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


def _run(session, fmt, source, options, report, secret, batch, progress, staging=None) -> None:
    state = ReadState(skip_bad_rows=options.skip_bad_rows)
    staged: list[dataaccess.Staged] = []
    ctx: Context | None = None
    seen: set[str] = set()
    refused = False
    deferred: list[str] | None = None
    chunks = fmt.chunks(source, state, options.mapping, options.encoding)
    # Skipped rows are stored with their source row for the rejects CSV; otherwise a bad row refuses the file and
    # only the rows the report lists need theirs (a refused file of many bad rows is still counted to the end).
    all_raws = batch is not None and options.skip_bad_rows
    make_context = functools.partial(_context, options, fmt, state, secret)
    for ctx, part in normalised(chunks, state, source.size, make_context, all_raws, staging):
        valid, rejects = part.valid, part.rejects
        if not report.platform:
            report.platform, report.encoding = ctx.platform, state.encoding
            report.mapping, report.ignored_columns = dict(state.mapping), list(state.ignored_columns)
            if batch is not None:
                batch.platform = ctx.platform
        refused = refused or (bool(rejects) and not options.skip_bad_rows)
        listed = rejects[: max(REPORT_REJECTS - len(report.rejects), 0)]
        report.rows_read += part.rows
        report.valid += len(valid)
        report.rejected += len(rejects)
        report.rejects.extend(listed)
        if len(valid):
            first, last = valid["created_at"].min(), valid["created_at"].max()
            report.first_at = min(filter(None, [report.first_at, first.to_pydatetime()]))
            report.last_at = max(filter(None, [report.last_at, last.to_pydatetime()]))
        if batch is None:
            report.duplicates += _count_duplicates(session, ctx.platform, valid["external_id"], seen)
        elif not refused:
            if rejects:
                store_rejects(session, batch.id, rejects)
            if deferred is None:
                deferred = defer_indexes(session, source.size, part.bytes_read, report.rows_read)
            if part.staged is not None:
                # Parts come in file order, each file's after the one before: a part in a new file means the
                # earlier files are complete, and their parts are stored now (see planner.ingest.parallel).
                if staged and staged[-1].path != part.staged.path:
                    report.imported += insert_staged_posts(session, staging, staged, batch.id)
                    staged = []
                staged.append(part.staged)
            else:
                report.imported += insert_posts(session, valid, batch.id)
        progress(min(state.bytes_read / max(source.size, 1), 0.99), f"Read {report.rows_read:,} rows...")
    if ctx is None or report.rows_read == 0:
        raise FormatError(f"{source.name}: the file has no records")
    if staged and not refused:
        progress(0.98, f"Storing {report.valid:,} rows...")
        report.imported += insert_staged_posts(session, staging, staged, batch.id)
    if deferred:
        progress(0.99, "Building indexes...")
        restore_indexes(session, deferred)
    if state.stream is not None and state.stream.nuls_removed:
        state.warnings.append(f"removed {state.stream.nuls_removed:,} NUL characters")
    if not options.encoding and state.encoding and state.encoding not in SURE_ENCODINGS:
        state.warnings.append(
            f"the encoding was guessed as {state.encoding}: if the text looks wrong, state the file's encoding"
        )
    report.warnings.extend(state.warnings)
    if batch is None:
        report.imported = report.valid - report.duplicates
    if refused and batch is not None:
        quoted = "; ".join(f"row {r.row}: {r.reason}" for r in report.rejects[:MESSAGE_REJECTS])
        more = f" (and {report.rejected - MESSAGE_REJECTS:,} more)" if report.rejected > MESSAGE_REJECTS else ""
        raise ImportRefused(
            f"{source.name}: refused, nothing imported: {wording.plural(report.rejected, 'bad row')}: {quoted}{more}. "
            "Fix them, or skip bad rows to import the rest and get a rejects CSV.",
            report,
        )


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
