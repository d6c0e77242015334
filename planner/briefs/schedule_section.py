"""Brief sections from the schedule: the campaign's timeline (chart and table) and the crisis pauses that touched it."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from planner import campaigns
from planner.briefs import charts
from planner.briefs.blocks import Chart, Paragraph, table, when
from planner.briefs.sections import section, words
from planner.models import Campaign


def campaign_entries(session: Session, campaign: Campaign) -> pd.DataFrame:
    """Return the campaign's scheduled posts, by time (the schedule's own frame)."""
    from planner.schedule import entries

    return entries.entries_frame(session, campaign_id=campaign.id)


def campaign_pauses(session: Session, campaign: Campaign) -> list[dict[str, Any]]:
    """Return the pauses that covered this campaign (all posts, its own, or one of its channels), oldest first."""
    from planner.schedule import pauses

    channel_ids = {c.id for c in campaigns.linked_channels(session, campaign.id)}
    channel_ids |= set(campaign_entries(session, campaign)["channel_id"].astype(int))
    out = []
    for p in pauses.all_pauses(session):
        scope = pauses.scope_of(session, p)
        if scope.kind == "all" or scope.campaign_id == campaign.id or scope.channel_id in channel_ids:
            end = pauses.effective_end(p)
            out.append(
                {
                    "scope": "all posts" if scope.kind == "all" else f"{scope.kind} {scope.label}",
                    "reason": p.reason,
                    "start": p.starts_at,
                    "end": end,
                    "missed": len(pauses.missed_entries(session, p)),
                }
            )
    return out


def first_published_at(session: Session, draft_ids: list[int]):
    """Return when the first scheduled post of these drafts went out, or None."""
    from sqlalchemy import func, select

    from planner.models import ScheduleEntry

    if not draft_ids:
        return None
    return session.scalar(
        select(func.min(ScheduleEntry.published_at)).where(
            ScheduleEntry.draft_id.in_(draft_ids), ScheduleEntry.status == "published"
        )
    )


def _naive(value):
    return pd.Timestamp(value).tz_convert("UTC").tz_localize(None).to_pydatetime()


@section("schedule", "Schedule", "The campaign's posts over time by channel, with crisis pauses", order=60)
def build_schedule(session: Session, campaign: Campaign, options) -> dict[str, Any]:
    frame = campaign_entries(session, campaign)
    if frame.empty:
        return {"blocks": [Paragraph("Nothing is scheduled for this campaign yet (Calendar page).")]}
    counts = Counter(frame["status"])
    held = campaign_pauses(session, campaign)
    chans = list(dict.fromkeys(frame["channel"]))
    first, last = frame["at"].min(), frame["at"].max()
    blocks: list = [
        Paragraph(
            f"{len(frame)} scheduled posts from {when(first)} to {when(last)}: "
            + ", ".join(f"{n} {words(s).lower()}" for s, n in sorted(counts.items()))
            + (f". {len(held)} crisis pause(s) covered the campaign (see Risks and mitigations)." if held else ".")
        )
    ]
    rows = list(zip(frame["at"].map(_naive), frame["channel"], frame["status"], strict=True))
    spans = [(_naive(p["start"]), _naive(p["end"] or last)) for p in held]

    def draw():
        return charts.timeline(rows, chans, spans, title="Scheduled posts by channel and status")

    blocks.append(
        Chart(
            caption="Figure: the campaign's scheduled posts by channel (UTC); marker colour and shape give the status, "
            "crisis pauses are shaded.",
            alt=f"Timeline of {len(frame)} posts on {len(chans)} channels: "
            + ", ".join(f"{n} {words(s).lower()}" for s, n in sorted(counts.items())),
            draw=draw,
        )
    )
    blocks.append(
        table(
            "Scheduled posts (times in UTC; each channel posts in its audience's zone)",
            ["When", "Channel", "Draft", "Status", "Answers", "Why this time"],
            [
                [
                    when(r.at.to_pydatetime()),
                    r.channel,
                    r.title,
                    words(r.status) + (" (during a pause)" if r.paused and r.status != "paused" else ""),
                    r.trend or "–",
                    r.why or "–",
                ]
                for r in frame.itertuples()
            ],
            widths=[1.9, 2.6, 2.4, 1.8, 2.4, 3.4],
        )
    )
    return {"blocks": blocks}


def pause_blocks(session: Session, campaign: Campaign) -> list:
    """Return the crisis pauses table for the risks section (or a line saying there were none)."""
    held = campaign_pauses(session, campaign)
    if not held:
        return [Paragraph("No crisis pause has covered this campaign.")]
    return [
        table(
            "Crisis pauses that held this campaign's posts",
            ["Scope", "Reason", "From", "Until", "Posts missed"],
            [[p["scope"], p["reason"], when(p["start"]), when(p["end"]) or "still paused", p["missed"]] for p in held],
            widths=[2.2, 4.5, 1.9, 1.9, 1.2],
        )
    ]
