"""Import platform analytics exports: read by preset or mapping, validate every row, match, record all or nothing."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy.orm import Session

from planner import audit
from planner.audit import Actor
from planner.auth import Action, require
from planner.db import atomic
from planner.errors import Refused
from planner.ingest.source import FormatError, Source, open_text
from planner.ingest.timestamps import parse_timestamps, zone
from planner.metrics import matching, snapshots
from planner.metrics.kpis import COMPONENT_LABELS, COMPONENTS
from planner.metrics.presets import YOUTUBE, Preset, get_preset, parse_counts
from planner.models import MetricImport, MetricPostRef, utcnow
from planner.wording import plural

MAX_ROWS = 100_000
# An export is read whole; anything larger than this is not an analytics export of MAX_ROWS rows.
MAX_BYTES = 64 << 20
REPORT_ERRORS = 200
MESSAGE_ERRORS = 5


@dataclass
class MetricsImportOptions:
    preset: str = "generic"
    mapping: dict[str, str] = field(default_factory=dict)
    timezone: str = "UTC"  # for naive publish and capture times
    captured_at: datetime | None = None  # when the figures were read; default: now (exports hold lifetime totals)
    encoding: str | None = None


@dataclass
class RowError:
    """A bad row: its number (1 = the first record after the header), the field and why."""

    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.reason}"


@dataclass
class Proposal:
    """A row no post id or link matched: its figures and the entries it may be about, for a person to confirm."""

    row: int
    post_id: str
    url: str
    text: str
    published_at: datetime | None
    captured_at: datetime
    values: dict[str, int | None]
    candidates: list[matching.Candidate]

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "post_id": self.post_id,
            "url": self.url,
            "text": self.text,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "candidates": [c.__dict__ for c in self.candidates],
        }


@dataclass
class MetricsImportReport:
    """What an import (or dry run) read, matched, recorded, and what needs a person's confirmation."""

    filename: str
    preset: str
    platform: str
    dry_run: bool
    captured_at: datetime | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    rows_read: int = 0
    skipped_total_rows: int = 0
    matched: int = 0
    recorded: int = 0
    posts: int = 0  # how many of our posts the recorded rows are about
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    conflicts: list[snapshots.Conflict] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    import_id: int | None = None

    @property
    def unmatched(self) -> int:
        return len(self.proposals)

    @property
    def ok(self) -> bool:
        return not self.error_count and not self.conflicts

    def summary(self) -> str:
        """Return the one-line outcome."""
        verb = "would record" if self.dry_run else "recorded"
        return (
            f"{self.filename}: {verb} {self.recorded:,} snapshots, unchanged {self.unchanged:,}, "
            f"to confirm {self.unmatched:,}, bad rows {self.error_count:,}, conflicts {len(self.conflicts):,}"
        )

    def sentence(self) -> str:
        """Return the outcome for people: 'Imported 42 rows for 3 posts; 2 rows did not match a post: rows 5, 9.'"""
        verb = "A dry run would import" if self.dry_run else "Imported"
        parts = [f"{verb} {plural(self.recorded, 'row')} for {plural(self.posts, 'post')} from {self.filename}"]
        if self.unchanged:
            parts.append(f"{plural(self.unchanged, 'row')} repeated figures already recorded")
        if self.proposals:
            rows = ", ".join(str(p.row) for p in self.proposals[:10]) + (", ..." if len(self.proposals) > 10 else "")
            label = "row" if len(self.proposals) == 1 else "rows"
            parts.append(f"{plural(self.unmatched, 'row')} did not match a post: {label} {rows}")
        if self.error_count:
            parts.append(f"{plural(self.error_count, 'row')} could not be read")
        if self.conflicts:
            parts.append(f"{plural(len(self.conflicts), 'row')} disagreed with figures already recorded")
        return "; ".join(parts) + "."

    def lines(self) -> list[str]:
        """Return the report as printable lines."""
        out = [f"File: {self.filename} (preset {self.preset}, platform {self.platform or 'any'})"]
        if self.captured_at:
            out.append(f"Figures as of: {self.captured_at:%Y-%m-%d %H:%M:%S} UTC")
        if self.mapping:
            out.append("Mapping: " + ", ".join(f"{k}={v}" for k, v in self.mapping.items()))
        if self.ignored_columns:
            out.append("Ignored columns: " + ", ".join(self.ignored_columns))
        out.append(f"Rows read: {self.rows_read:,}; matched to our posts {self.matched:,}")
        if self.skipped_total_rows:
            out.append(f"Skipped {self.skipped_total_rows} total row(s)")
        out += [f"Bad {e}" for e in self.errors]
        if self.error_count > len(self.errors):
            out.append(f"... and {self.error_count - len(self.errors):,} more bad rows")
        out += [f"Conflict, {c.describe()}" for c in self.conflicts]
        for p in self.proposals:
            what = p.post_id or p.url or p.text[:60]
            if p.candidates:
                best = p.candidates[0]
                out.append(f"To confirm, row {p.row} ({what}): maybe {best.label} [{best.why}]")
            else:
                out.append(f"Unmatched, row {p.row} ({what}): no published post of ours looks like it")
        out.append(self.summary())
        return out


class MetricsImportRefused(Refused):
    """The file has bad rows or conflicts with stored history: nothing was recorded."""


@dataclass
class Export:
    """A read export: one canonical row per post (fields of presets.FIELDS), its mapping and platform."""

    frame: pd.DataFrame
    columns: list[str]
    mapping: dict[str, str]
    ignored: list[str]
    platform: str | None
    preset: Preset
    skipped: int


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    return max(counts, key=counts.get) if any(counts.values()) else ","


def read_columns(source: Source, encoding: str | None = None) -> list[str]:
    """Return the header names of an export (BOM and spaces stripped); raise FormatError."""
    return _read_raw(source, encoding, nrows=0).columns.tolist()


def _read_raw(source: Source, encoding: str | None, nrows: int | None = None) -> pd.DataFrame:
    if source.size > MAX_BYTES:
        raise FormatError(
            f"{source.name}: {source.size:,} bytes; split the export into files under {MAX_BYTES >> 20} MB"
        )
    raw, stream = open_text(source, encoding)
    try:
        text = stream.read()
    finally:
        raw.close()
    if not text.strip():
        raise FormatError(f"{source.name}: the file is empty")
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=_delimiter(text.split("\n", 1)[0]),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            index_col=False,
            nrows=nrows,
        )
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        detail = str(exc).strip().removeprefix("Error tokenizing data. C error: ")
        raise FormatError(f"{source.name}: the CSV cannot be read: {detail}") from exc
    except pd.errors.EmptyDataError as exc:
        raise FormatError(f"{source.name}: the file is empty") from exc
    frame.columns = [str(c).replace("\ufeff", "").strip() for c in frame.columns]
    if len(frame) > MAX_ROWS:
        raise FormatError(f"{source.name}: {len(frame):,} rows; split the export into files of {MAX_ROWS:,} rows")
    return frame


def read_export(source: Source, options: MetricsImportOptions) -> Export:
    """Read `source` with the options' preset and mapping; raise FormatError when it cannot be used at all."""
    preset = get_preset(options.preset)
    raw = _read_raw(source, options.encoding)
    columns = raw.columns.tolist()
    mapping = preset.resolve_mapping(columns, options.mapping)
    skip = preset.skip_rows(raw, mapping)
    rows = pd.Series(range(1, len(raw) + 1), index=raw.index)
    raw, rows = raw[~skip], rows[~skip]
    frame = pd.DataFrame({fld: raw[col] for fld, col in mapping.items()}, index=raw.index)
    frame["_row"] = rows
    used = set(mapping.values())
    return Export(
        frame=frame.reset_index(drop=True),
        columns=columns,
        mapping=mapping,
        ignored=[c for c in columns if c not in used],
        platform=preset.platform_for(columns),
        preset=preset,
        skipped=int(skip.sum()),
    )


def _parse_times(values: pd.Series, preset: Preset, tz) -> tuple[pd.Series, pd.Series]:
    """Return (UTC times, date-only mask): the preset's formats first, then every format the post importer reads."""
    text = values.fillna("").astype(str).str.strip()
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    date_only = pd.Series(False, index=text.index)
    todo = text != ""
    for fmt in preset.date_formats:
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce", utc="%z" in fmt)
        ok = parsed.notna()
        if not ok.any():
            continue
        if "%z" not in fmt:
            parsed = parsed[ok].dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").dt.tz_convert(UTC)
        else:
            parsed = parsed[ok]
        out[parsed.index] = parsed.astype("datetime64[us, UTC]")
        if "%H" not in fmt:
            date_only[parsed.index] = True
        todo &= out.isna()
    if todo.any():
        out[todo] = parse_timestamps(text[todo], tz).astype("datetime64[us, UTC]")
    return out, date_only


def _validate(export: Export, options: MetricsImportOptions, captured_default: datetime):
    """Return (per-row dicts of clean values, errors) for every row of the export."""
    frame, preset = export.frame, export.preset
    tz = zone(options.timezone)
    errors: list[RowError] = []
    counts = {}
    bad_rows: set[int] = set()
    for name in COMPONENTS:
        if name not in frame:
            continue
        values, bad = parse_counts(frame[name])
        for row, value in zip(frame["_row"][bad], frame[name][bad], strict=True):
            errors.append(
                RowError(int(row), COMPONENT_LABELS[name].lower(), f"{value!r} is not a whole number of 0 or more")
            )
        counts[name] = values
        bad_rows.update(int(r) for r in frame["_row"][bad])
    published, date_only = (
        _parse_times(frame["published_at"], preset, tz)
        if "published_at" in frame
        else (pd.Series(pd.NaT, index=frame.index), pd.Series(False, index=frame.index))
    )
    if "published_at" in frame:
        bad = (frame["published_at"].str.strip() != "") & published.isna()
        for row, value in zip(frame["_row"][bad], frame["published_at"][bad], strict=True):
            errors.append(RowError(int(row), "published at", f"{value!r} is not a date and time we can read"))
    if "captured_at" in frame:
        captured, _ = _parse_times(frame["captured_at"], preset, tz)
        bad = (frame["captured_at"].str.strip() != "") & captured.isna()
        for row, value in zip(frame["_row"][bad], frame["captured_at"][bad], strict=True):
            errors.append(RowError(int(row), "captured at", f"{value!r} is not a date and time we can read"))
        captured = captured.fillna(pd.Timestamp(captured_default))
    else:
        captured = pd.Series(pd.Timestamp(captured_default), index=frame.index)
    post_ids = (
        preset.clean_post_id(frame["post_id"].astype(str)) if "post_id" in frame else pd.Series("", index=frame.index)
    )
    urls = frame["url"].str.strip() if "url" in frame else pd.Series("", index=frame.index)
    if preset is YOUTUBE:
        urls = urls.where(urls != "", post_ids.map(lambda v: YOUTUBE.url_for(v) if v else ""))
    texts = frame["text"].astype(str) if "text" in frame else pd.Series("", index=frame.index)
    records = []
    for i in frame.index:
        row = int(frame.at[i, "_row"])
        values = {name: (None if pd.isna(v := counts[name][i]) else int(v)) for name in counts}
        if not post_ids[i] and not urls[i] and not texts[i].strip():
            errors.append(RowError(row, "post", "no post id, link or text to tell which post it is"))
        if counts and all(v is None for v in values.values()) and row not in bad_rows:
            errors.append(RowError(row, "metrics", "every metric is empty"))
        records.append(
            {
                "row": row,
                "post_id": post_ids[i],
                "url": urls[i],
                "text": texts[i],
                "published_at": None if pd.isna(published[i]) else published[i].to_pydatetime(),
                "date_only": bool(date_only[i]),
                "captured_at": captured[i].to_pydatetime(),
                "values": {c: values.get(c) for c in COMPONENTS},
            }
        )
    errors.sort(key=lambda e: e.row)
    return records, errors


def import_metrics(
    session: Session,
    actor: Actor,
    source: Source,
    options: MetricsImportOptions | None = None,
    *,
    dry_run: bool = False,
) -> MetricsImportReport:
    """Import an analytics export in one transaction and return the report (a dry run writes nothing).

    Rows whose post id or link names one of our published posts are recorded as snapshots; the others come back
    as proposals to confirm (confirm_proposals). Raises FormatError when the file cannot be read,
    MetricsImportRefused when a row is bad or conflicts with stored history (nothing is recorded), PermissionDenied.
    """
    options = options or MetricsImportOptions()
    require(actor, Action.RECORD_METRICS)
    zone(options.timezone)
    captured_default = (options.captured_at or utcnow()).astimezone(UTC).replace(microsecond=0)
    export = read_export(source, options)
    report = MetricsImportReport(
        filename=source.name,
        preset=export.preset.name,
        platform=export.platform or "",
        dry_run=dry_run,
        captured_at=captured_default,
        mapping=dict(export.mapping),
        ignored_columns=export.ignored,
        rows_read=len(export.frame) + export.skipped,
        skipped_total_rows=export.skipped,
    )
    records, errors = _validate(export, options, captured_default)
    index = matching.ref_index(session, export.platform)
    posts: list[matching.PublishedPost] | None = None
    inputs: list[snapshots.SnapshotInput] = []
    entries: dict[int, object] = {}
    for rec in records:
        entry_id = matching.match(index, rec["post_id"], rec["url"])
        if entry_id is None:
            if posts is None:
                posts = matching.published_posts(session, export.platform)
            found = matching.candidates(posts, rec["text"], rec["published_at"], rec["date_only"])
            report.proposals.append(
                Proposal(
                    rec["row"],
                    rec["post_id"],
                    rec["url"],
                    rec["text"],
                    rec["published_at"],
                    rec["captured_at"],
                    rec["values"],
                    found,
                )
            )
            continue
        entry = entries.get(entry_id) or snapshots.published_entry(session, entry_id)
        entries[entry_id] = entry
        problem = snapshots.check_moment(entry, rec["captured_at"])
        if problem:
            errors.append(RowError(rec["row"], "captured at", problem.removeprefix("captured at: ")))
            continue
        inputs.append(snapshots.SnapshotInput(entry_id, rec["captured_at"], rec["values"], rec["row"]))
    report.matched = len(inputs)
    report.error_count = len(errors)
    report.errors = errors[:REPORT_ERRORS]
    result = snapshots.plan(session, inputs)
    report.conflicts = result.conflicts
    report.unchanged = len(result.unchanged)
    report.recorded = len(result.new)
    report.posts = len({i.entry_id for i in result.new})
    if dry_run:
        return report
    if not report.ok:
        problems = [str(e) for e in errors[:MESSAGE_ERRORS]] + [c.describe() for c in result.conflicts[:MESSAGE_ERRORS]]
        total = report.error_count + len(report.conflicts)
        more = f" (and {total - len(problems):,} more)" if total > len(problems) else ""
        raise MetricsImportRefused(
            f"{source.name}: refused, nothing recorded: {'; '.join(problems[:MESSAGE_ERRORS])}{more}", report
        )
    with atomic(session):
        run = MetricImport(
            created_by=actor.user_id,
            filename=source.name[:255],
            preset=export.preset.name,
            platform=export.platform or "",
            rows_read=report.rows_read,
            recorded=report.recorded,
            unchanged=report.unchanged,
            unmatched=report.unmatched,
            options=json.dumps(
                {"mapping": report.mapping, "timezone": options.timezone, "captured_at": captured_default.isoformat()}
            ),
        )
        session.add(run)
        session.flush()
        snapshots.write(session, actor, result.new, "import", run.id)
        report.import_id = run.id
        audit.record(session, actor, "metrics.import", "metric_import", run.id, report.summary())
    return report


def confirm_proposals(
    session: Session,
    actor: Actor,
    choices: list[tuple[Proposal, int]],
    platform: str = "",
    import_id: int | None = None,
) -> int:
    """Record the figures of proposals a person matched to entries (proposal, entry id); return how many were new.

    The post id and link of each confirmed row are remembered, so later imports match it by themselves. Raises
    SnapshotConflict or SnapshotError (nothing recorded), PermissionDenied.
    """
    require(actor, Action.RECORD_METRICS)
    if not choices:
        return 0
    with atomic(session):
        inputs = []
        for proposal, entry_id in choices:
            entry = snapshots.published_entry(session, entry_id)
            problem = snapshots.check_moment(entry, proposal.captured_at)
            if problem:
                raise snapshots.SnapshotError(f"row {proposal.row}: {problem}")
            inputs.append(snapshots.SnapshotInput(entry_id, proposal.captured_at, proposal.values, proposal.row))
        result = snapshots.plan(session, inputs)
        if result.conflicts:
            raise snapshots.SnapshotConflict(result.conflicts[0].describe(), result.conflicts)
        written = snapshots.write(session, actor, result.new, "import", import_id)
        known = matching.ref_index(session, platform or None)
        for proposal, entry_id in choices:
            for ref in matching.refs(proposal.post_id, proposal.url):
                if ref not in known:
                    session.add(
                        MetricPostRef(entry_id=entry_id, platform=platform, ref=ref[:512], confirmed_by=actor.user_id)
                    )
                    known[ref] = entry_id
        pairs = ", ".join(f"row {p.row} -> entry {e}" for p, e in choices)
        audit.record(session, actor, "metrics.confirm", "metric_import", import_id or "", f"confirmed {pairs}")
    return written
