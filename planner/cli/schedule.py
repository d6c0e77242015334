"""CLI commands for the schedule: auto-schedule, list, export and import; crisis pause and resume."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import click

from planner.auth import CLI_ACTOR
from planner.cli.common import RAW_OPTION, echo_frame, workspace_session
from planner.wording import plural, when

BASE_URL_VAR = "PLANNER_PUBLIC_URL"
DEFAULT_BASE_URL = "http://localhost:8501"


def _when(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} is not an ISO date or time (e.g. 2026-11-20T18:00Z)", param_hint=name
        ) from exc
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _base_url() -> str:
    return os.environ.get(BASE_URL_VAR) or DEFAULT_BASE_URL


FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)


@click.group("schedule")
def schedule_group() -> None:
    """Scheduled posts: auto-schedule approved drafts, list, export and import the calendar."""


@schedule_group.command("auto")
@click.option("--campaign", default=None, help="Campaign name or id (default: every campaign).")
@click.option("--from", "start", default=None, help="Start (ISO, UTC unless it has a zone; default now).")
@click.option("--to", "end", default=None, help="End (ISO; default 7 days after the start).")
@click.option("--dry-run", is_flag=True, help="Show the plan without saving it.")
@FORMAT
def schedule_auto(campaign: str | None, start: str | None, end: str | None, dry_run: bool, fmt: str) -> None:
    """Place approved drafts in the best free slots, keeping every channel's cadence; say what was left out."""
    from planner.schedule import solver

    with workspace_session() as (_ws, session):
        result = solver.auto_schedule(
            session, CLI_ACTOR, campaign=campaign, start=_when(start, "--from"), end=_when(end, "--to"), dry_run=dry_run
        )
    if fmt == "json":
        out = {
            "score": round(result.plan.score, 4),
            "greedy_score": round(result.greedy_score, 4),
            "entries": result.entries,
            "placed": [
                {"variant_id": p.key, "label": result.labels[p.key], "at": p.at.isoformat(), "why": result.whys[p.key]}
                for p in result.plan.placements
            ],
            "not_placed": [
                {"variant_id": u.key, "label": result.labels[u.key], "why": u.reason} for u in result.plan.unplaced
            ],
            "not_considered": [{"draft_id": i, "title": t, "why": w} for i, t, w in result.skipped],
        }
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    for line in result.lines():
        click.echo(line)
    if dry_run:
        click.echo("(dry run: nothing saved)")


@schedule_group.command("list")
@click.option("--campaign", default=None, help="Campaign name or id.")
@click.option("--from", "start", default=None, help="Only entries at or after this time (ISO).")
@click.option("--to", "end", default=None, help="Only entries before this time (ISO).")
@FORMAT
def schedule_list(campaign: str | None, start: str | None, end: str | None, fmt: str) -> None:
    """List scheduled posts by time; posts inside a pause have status "paused"."""
    from planner import campaigns
    from planner.schedule import calendar, entries

    with workspace_session() as (_ws, session):
        camp_id = campaigns.get_campaign(session, campaign).id if campaign else None
        lo, hi = _when(start, "--from"), _when(end, "--to")
        if lo is None and hi is None:
            frame = entries.entries_frame(session, campaign_id=camp_id)
            frame = calendar.flag_conflicts(frame, calendar.all_cadences(session))
        else:
            frame = calendar.calendar_frame(
                session,
                lo or datetime(1970, 1, 1, tzinfo=UTC),
                hi or datetime(9999, 1, 1, tzinfo=UTC),
                campaign_id=camp_id,
            )
    cols = [
        "id",
        "draft_id",
        "title",
        "campaign",
        "channel",
        "at",
        "status",
        "paused",
        "trend",
        "published_url",
        "conflict_note",
    ]
    rows = frame[cols].rename(columns={"conflict_note": "conflict"})
    if fmt == "json":
        rows = rows.assign(at=rows["at"].map(lambda t: t.isoformat()))
        click.echo(json.dumps(rows.to_dict(orient="records"), indent=2, ensure_ascii=False, default=str))
    else:
        echo_frame(rows.drop(columns=["draft_id"]), fmt)


@schedule_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["ics", "csv", "bulk-csv"]), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--campaign", default=None, help="Campaign name or id.")
@click.option("--from", "start", default=None, help="Start (ISO).")
@click.option("--to", "end", default=None, help="End (ISO).")
@RAW_OPTION
def schedule_export(
    fmt: str, output: Path, campaign: str | None, start: str | None, end: str | None, raw: bool
) -> None:
    """Write the schedule as an ICS calendar, a full CSV, or a bulk-upload CSV (date, time, message, link)."""
    from planner import campaigns
    from planner.schedule import calendar, exports

    with workspace_session() as (_ws, session):
        camp_id = campaigns.get_campaign(session, campaign).id if campaign else None
        frame = calendar.calendar_frame(
            session,
            _when(start, "--from") or datetime(1970, 1, 1, tzinfo=UTC),
            _when(end, "--to") or datetime(9999, 1, 1, tzinfo=UTC),
            campaign_id=camp_id,
        )
    if fmt == "ics":
        output.write_bytes(exports.to_ics(frame, base_url=_base_url()))
    elif fmt == "csv":
        output.write_text(exports.full_csv(frame, raw=raw), encoding="utf-8")
    else:
        output.write_text(exports.bulk_csv(frame, raw=raw), encoding="utf-8")
    click.echo(f"wrote {len(frame)} entries to {output}" if fmt != "bulk-csv" else f"wrote planned posts to {output}")


@schedule_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--campaign", required=True, help="Campaign name or id the drafts belong to.")
@click.option("--dry-run", is_flag=True, help="Check the file without creating drafts.")
def schedule_import(path: Path, campaign: str, dry_run: bool) -> None:
    """Create drafts from a CSV of planned posts (date, time, message, link; optional channel, title, time_zone)."""
    from planner.schedule import exports

    with workspace_session() as (_ws, session):
        result = exports.import_planned_csv(session, CLI_ACTOR, campaign, path.read_bytes(), dry_run=dry_run)
    verb = "would create" if dry_run else "created"
    click.echo(f"{verb} {plural(len(result.rows), 'draft')} {result.draft_ids if result.draft_ids else ''}".rstrip())


@schedule_group.command("publish")
@click.argument("entry_id", type=int)
@click.option("--url", required=True, help="The post's URL on the platform.")
@click.option("--confirm-pause", is_flag=True, help="Confirm it was published although its scope is paused.")
@click.option("--confirm-early", is_flag=True, help="Confirm it was published before its due time.")
def schedule_publish(entry_id: int, url: str, confirm_pause: bool, confirm_early: bool) -> None:
    """Mark a scheduled post published (staff posted it on the platform)."""
    from planner.schedule import entries

    with workspace_session() as (_ws, session):
        entry = entries.mark_published(
            session, CLI_ACTOR, entry_id, url, confirm_during_pause=confirm_pause, confirm_early=confirm_early
        )
        click.echo(f"entry #{entry.id} published: {entry.published_url}")


SCOPE = click.option("--scope", required=True, help="all, channel:NAME or campaign:NAME_OR_ID")


@click.command("pause")
@SCOPE
@click.option("--reason", required=True, help="Why posting stops (kept in the audit log).")
@click.option("--until", default=None, help="Optional end (ISO); default: until resumed.")
def pause_cmd(scope: str, reason: str, until: str | None) -> None:
    """Crisis pause: stop scheduled posts for everything, one channel or one campaign."""
    from planner.schedule import pauses

    with workspace_session() as (_ws, session):
        row = pauses.pause(session, CLI_ACTOR, scope, reason, ends_at=_when(until, "--until"))
        text = pauses.scope_of(session, row).text()
    click.echo(f"paused {text} (pause #{row.id})" + (f" until {when(row.ends_at)}" if row.ends_at else ""))


@click.command("resume")
@SCOPE
def resume_cmd(scope: str) -> None:
    """End the pause of a scope; list the posts missed during it (reschedule them in the app or with auto)."""
    from planner import channels
    from planner.models import Channel, Draft
    from planner.schedule import pauses

    with workspace_session() as (_ws, session):
        done = pauses.resume(session, CLI_ACTOR, scope)
        click.echo(f"resumed {scope}: {plural(len(done.missed), 'post')} missed during the pause")
        for e in done.missed:
            title = session.get(Draft, e.draft_id).title
            channel = channels.label(session.get(Channel, e.channel_id))
            click.echo(f"  #{e.id} '{title}' on {channel} was due {when(e.scheduled_at)}")
