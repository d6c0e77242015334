"""Exports of the schedule (ICS calendar, bulk-upload CSV, full CSV) and import of planned posts from CSV as drafts."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.orm import Session

from planner import audit, campaigns, csvsafe
from planner.audit import Actor
from planner.auth import Action, require
from planner.db import atomic
from planner.drafts import URL_RE, find_urls, snapshot
from planner.errors import PlannerError
from planner.models import Draft, DraftComment, DraftVariant, DraftVersion, utcnow
from planner.schedule import ScheduleError
from planner.schedule.cadence import check_zone
from planner.schedule.pauses import find_channel

EVENT_MINUTES = 15
BULK_COLUMNS = ["date", "time", "message", "link"]
FULL_COLUMNS = [
    "id",
    "draft_id",
    "title",
    "campaign",
    "channel",
    "at_utc",
    "local_time",
    "time_zone",
    "status",
    "trend",
    "published_url",
    "published_at",
    "conflict",
    "text",
    "why",
]
MAX_IMPORT_ROWS = 1000


def _blank(value):
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else value


def _csv(rows: list[list], header: list[str], raw: bool) -> str:
    return csvsafe.rows_csv(header, ([_blank(c) for c in row] for row in rows), raw=raw)


def entry_uid(entry_id: int) -> str:
    """Return the stable iCalendar UID of a schedule entry (the same in every export and feed)."""
    return f"counterpoint-entry-{int(entry_id)}@counterpoint"


def draft_link(base_url: str, draft_id: int) -> str:
    """Return the link to a draft on the Drafts page."""
    return f"{base_url.rstrip('/')}/drafts?draft={int(draft_id)}"


def to_ics(frame: pd.DataFrame, *, base_url: str, name: str = "Counterpoint schedule") -> bytes:
    """Return an iCalendar file with one event per entry: stable UID, UTC start, text and draft link."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//Counterpoint//Schedule//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    stamp = utcnow().replace(microsecond=0)
    for row in frame.itertuples(index=False):
        start = row.at.to_pydatetime().astimezone(UTC)
        ev = Event()
        ev.add("uid", entry_uid(row.id))
        ev.add("dtstamp", stamp)
        ev.add("dtstart", start)
        ev.add("dtend", start + timedelta(minutes=EVENT_MINUTES))
        prefix = {"paused": "[PAUSED] ", "cancelled": "[CANCELLED] ", "missed": "[MISSED] "}.get(row.status, "")
        ev.add("summary", f"{prefix}{row.channel}: {row.title}")
        lines = [row.text, "", f"Campaign: {row.campaign}", f"Status: {row.status}"]
        if row.trend:
            lines.append(f"Answers trend: {row.trend}")
        if row.published_url:
            lines.append(f"Published: {row.published_url}")
        lines.append(f"Draft: {draft_link(base_url, row.draft_id)}")
        ev.add("description", "\n".join(lines))
        ev.add("url", draft_link(base_url, row.draft_id))
        ev.add("status", "CANCELLED" if row.status == "cancelled" else "CONFIRMED")
        ev.add("categories", [row.campaign])
        cal.add_component(ev)
    return cal.to_ical()


def _link(text: str) -> str:
    urls = find_urls(text or "")
    return urls[0] if urls else ""


def bulk_csv(frame: pd.DataFrame, *, raw: bool = False) -> str:
    """Return the planned posts in the bulk-upload layout social-media tools accept: date, time, message, link.

    Date and time are in each channel's own zone (the zone the tool's account posts in). Text that a spreadsheet
    would run as a formula gets a leading quote unless `raw` (planner.csvsafe).
    """
    rows = []
    for row in frame[frame["status"] == "planned"].itertuples(index=False):
        local = row.at.tz_convert(row.time_zone)
        rows.append([f"{local:%Y-%m-%d}", f"{local:%H:%M}", row.text, _link(row.text)])
    return _csv(rows, BULK_COLUMNS, raw)


def full_csv(frame: pd.DataFrame, *, raw: bool = False) -> str:
    """Return every entry with all its fields (UTC and channel-local times); formula-like text neutralised unless
    `raw`."""
    rows = []
    for row in frame.itertuples(index=False):
        local = row.at.tz_convert(row.time_zone)
        published = row.published_at.isoformat() if isinstance(row.published_at, datetime) else ""
        rows.append(
            [
                row.id,
                row.draft_id,
                row.title,
                row.campaign,
                row.channel,
                row.at.isoformat(),
                f"{local:%Y-%m-%d %H:%M}",
                row.time_zone,
                row.status,
                row.trend,
                row.published_url,
                published,
                getattr(row, "conflict_note", ""),
                row.text,
                row.why,
            ]
        )
    return _csv(rows, FULL_COLUMNS, raw)


# ---- import ------------------------------------------------------------------------------------------------------


@dataclass
class PlannedRow:
    row: int
    title: str
    message: str
    link: str
    channel_id: int | None
    at: datetime


@dataclass
class ImportResult:
    rows: list[PlannedRow]
    draft_ids: list[int] = field(default_factory=list)
    dry_run: bool = False


def _parse_time(row_no: int, day: str, clock: str, zone: ZoneInfo) -> datetime:
    try:
        d = date.fromisoformat(day.strip())
    except ValueError as exc:
        raise ScheduleError(f"row {row_no}, date: {day!r} is not a date (YYYY-MM-DD)") from exc
    try:
        t = time.fromisoformat(clock.strip()) if clock.strip() else time(9)
    except ValueError as exc:
        raise ScheduleError(f"row {row_no}, time: {clock!r} is not a time (HH:MM)") from exc
    return datetime.combine(d, t, tzinfo=zone).astimezone(UTC)


def parse_planned_csv(session: Session, data: bytes | str, default_zone: str = "UTC") -> list[PlannedRow]:
    """Read planned posts (date, time, message, optional link, channel, title, time_zone); raise ScheduleError
    naming the first bad row and field. Nothing is written."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    reader = csv.DictReader(io.StringIO(text))
    header = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
    missing = [c for c in ("date", "message") if c not in header]
    if missing:
        raise ScheduleError(f"CSV: missing column(s) {', '.join(missing)} (expected date, time, message, link)")
    out = []
    for row_no, raw in enumerate(reader, start=2):
        if len(out) >= MAX_IMPORT_ROWS:
            raise ScheduleError(f"CSV: more than {MAX_IMPORT_ROWS} rows; split the file")
        get = {k: (raw.get(h) or "").strip() for k, h in header.items()}
        if not any(get.values()):
            continue
        message = get.get("message", "")
        if not message:
            raise ScheduleError(f"row {row_no}, message: empty")
        link = get.get("link", "")
        if link and not URL_RE.fullmatch(link):
            raise ScheduleError(f"row {row_no}, link: {link!r} is not an http(s) URL")
        zone_name = get.get("time_zone") or default_zone
        try:
            zone = ZoneInfo(check_zone(zone_name))
        except ScheduleError as exc:
            raise ScheduleError(f"row {row_no}, {exc}") from exc
        channel_id = None
        if get.get("channel"):
            try:
                channel_id = find_channel(session, get["channel"]).id
            except ScheduleError as exc:
                raise ScheduleError(f"row {row_no}, channel: {exc}") from exc
        title = get.get("title") or message[:60].strip()
        at = _parse_time(row_no, get["date"], get.get("time", ""), zone)
        out.append(PlannedRow(row_no, title[:200], message, link, channel_id, at))
    if not out:
        raise ScheduleError("CSV: no planned posts in the file")
    return out


def import_planned_csv(
    session: Session, actor: Actor, campaign: int | str, data: bytes | str, *, dry_run: bool = False
) -> ImportResult:
    """Create one draft per planned post (status draft: it still needs review), all or nothing.

    Each draft gets the message as master text (and as its channel variant when a channel is named), the link, and
    a comment with the planned time. Raises ScheduleError naming the row and field, or PermissionDenied.
    """
    require(actor, Action.EDIT_DRAFTS)
    try:
        camp = campaigns.get_campaign(session, campaign)
    except PlannerError as exc:
        raise ScheduleError(str(exc)) from exc
    if camp.status == "closed":
        raise ScheduleError(f"campaign: {camp.name!r} is closed; reopen it to add drafts")
    rows = parse_planned_csv(session, data, camp.audience_time_zone or "UTC")
    result = ImportResult(rows, dry_run=dry_run)
    if dry_run:
        return result
    zone = ZoneInfo(camp.audience_time_zone or "UTC")
    with atomic(session):
        for r in rows:
            draft = Draft(
                campaign_id=camp.id,
                title=r.title,
                status="draft",
                master_text=r.message,
                links=json.dumps([r.link] if r.link else []),
                created_by=actor.user_id,
            )
            if r.channel_id is not None:
                draft.variants = [DraftVariant(channel_id=r.channel_id, text=r.message)]
            session.add(draft)
            session.flush()
            session.add(
                DraftVersion(
                    draft_id=draft.id,
                    number=1,
                    draft_version=draft.version,
                    author_id=actor.user_id,
                    author_name=actor.username,
                    summary="imported from CSV",
                    content=json.dumps(snapshot(session, draft), ensure_ascii=False),
                )
            )
            session.add(
                DraftComment(
                    draft_id=draft.id,
                    author_id=actor.user_id,
                    author_name=actor.username,
                    body=f"Planned for {r.at.astimezone(zone):%Y-%m-%d %H:%M} {zone.key} "
                    f"(imported from CSV row {r.row}); schedule it once approved.",
                )
            )
            result.draft_ids.append(draft.id)
        audit.record(
            session,
            actor,
            "schedule.import",
            "campaign",
            camp.id,
            f"{camp.name}: {len(rows)} planned post(s) imported from CSV as drafts",
        )
    return result
