"""CLI commands for campaigns and drafts: list them, and run the safety checks on a text."""

from __future__ import annotations

import json

import click
import pandas as pd

from planner import campaigns, channels, checks, drafts
from planner.cli.common import echo_frame, workspace_session

FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)


@click.group("drafts")
def drafts_group() -> None:
    """Counter-message drafts: list them and check a text before drafting."""


@drafts_group.command("list")
@click.option("--campaign", default=None, help="Campaign name or id.")
@click.option("--status", type=click.Choice(drafts.STATUSES), default=None)
@FORMAT
def drafts_list(campaign: str | None, status: str | None, fmt: str) -> None:
    """List drafts with campaign, status, channels and approvals (valid/required)."""
    with workspace_session() as (_ws, session):
        frame = drafts.list_drafts(session, campaign=campaign, status=status)
    if fmt == "table":
        frame = frame.assign(channels=frame["channels"].map(", ".join)).drop(columns=["updated_at"])
    echo_frame(frame, fmt)


@drafts_group.command("check")
@click.option("--channel", "platform", type=click.Choice(list(channels.PLATFORMS)), required=True)
@click.option("--campaign", default=None, help="Campaign name or id (audience language, call to action, trends).")
@click.option("--text", required=True, help="The post text to check.")
@click.option("--media", is_flag=True, help="The post carries an image or video (Telegram captions are shorter).")
@FORMAT
def drafts_check(platform: str, campaign: str | None, text: str, media: bool, fmt: str) -> None:
    """Run every check on TEXT as a post on one platform; exit 1 when a check reports an error."""
    with workspace_session() as (_ws, session):
        camp = campaigns.get_campaign(session, campaign) if campaign else None
        ctx = checks.context_for(session, campaign=camp)
        if camp is not None:
            ctx.language = (ctx.audience_languages or [""])[0]
        findings = checks.run_checks(checks.CheckInput(text, platform, platform, media), ctx)
        length = channels.count(platform, text, has_media=media)
    rows = [f.as_dict() for f in findings]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        limit = f"{length.limit:,}" if length.limit else "no limit"
        click.echo(f"{channels.rules(platform).label}: {length.length:,} / {limit}")
        table = pd.DataFrame(rows, columns=["id", "severity", "message", "fix"]).rename(columns={"id": "check"})
        echo_frame(table, fmt)
    if checks.errors(findings):
        raise SystemExit(1)


@click.group("campaigns")
def campaigns_group() -> None:
    """GAMMMA+ campaigns."""


@campaigns_group.command("list")
@click.option("--status", type=click.Choice(campaigns.STATUSES), default=None)
@FORMAT
def campaigns_list(status: str | None, fmt: str) -> None:
    """List campaigns with their draft and linked-trend counts."""
    with workspace_session() as (_ws, session):
        frame = campaigns.list_campaigns(session, status=status)
    if fmt == "table":
        frame = frame.assign(tags=frame["tags"].map(", ".join))
    echo_frame(frame, fmt)
