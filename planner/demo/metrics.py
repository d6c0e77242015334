"""Demo part: metric histories for the published posts, an A/B pair with a clear winner, one post below target."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select

from planner.demo import DemoContext
from planner.demo.campaigns import SITE, _approve, _draft
from planner.demo.schedule import _local
from planner.metrics.kpis import COMPONENTS
from planner.models import Campaign, CampaignAdjustment, Channel, Draft, MetricSnapshot, ScheduleEntry, User

# Hours after publication at which the team read the figures; growth saturates with this time constant.
CAPTURE_HOURS = (1, 3, 6, 12, 24, 48, 72, 120, 168)
GROWTH_HOURS = 18.0
RATE_TARGET = 2.0  # % engagement rate by impressions per post, added to Valley Together's plan
UNDERPERFORMER = "Apprenticeship fair"
# Final impressions range and the share of them that reach reports, per platform (None: not reported).
PLATFORM_SIZE = {"x": (2500, 9000, None), "instagram": (2000, 6000, 0.68), "facebook": (2500, 6000, 0.62)}
DEFAULT_SIZE = (800, 2500, None)
# How engagements split into components, per platform.
SPLITS = {
    "x": {"likes": 0.55, "replies": 0.1, "reposts": 0.15, "quotes": 0.03, "link_clicks": 0.14, "saves": 0.03},
    "instagram": {"likes": 0.7, "replies": 0.08, "shares": 0.1, "saves": 0.12},
    "facebook": {"likes": 0.5, "replies": 0.12, "reposts": 0.13, "link_clicks": 0.25},
}
DEFAULT_SPLIT = {"likes": 0.6, "replies": 0.2, "reposts": 0.2}
# The A/B pair: (label, frame, impressions, engagements) -> 1.2 % vs 1.9 %.
AB = (("A", "alternative", 9800, 118), ("B", "testimonial", 10200, 194))


def _split(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Return whole components summing exactly to `total` in proportion to `weights` (largest remainders)."""
    keys = list(weights)
    raw = np.array([weights[k] for k in keys]) / sum(weights.values()) * total
    out = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - out))[: total - int(out.sum())]:
        out[i] += 1
    return dict(zip(keys, (int(v) for v in out), strict=True))


def _final(ctx: DemoContext, platform: str, title: str, impressions: int | None = None, eng: int | None = None):
    low, high, reach_share = PLATFORM_SIZE.get(platform, DEFAULT_SIZE)
    impressions = impressions or int(ctx.rng.integers(low, high))
    if eng is None:
        rate = 0.009 if title == UNDERPERFORMER and platform == "x" else float(ctx.rng.uniform(0.024, 0.045))
        eng = round(impressions * rate)
    values: dict[str, int | None] = dict.fromkeys(COMPONENTS)
    values.update(_split(eng, SPLITS.get(platform, DEFAULT_SPLIT)))
    values["impressions"] = impressions
    values["reach"] = round(impressions * reach_share) if reach_share else None
    values["follows_gained"] = round(impressions * float(ctx.rng.uniform(0.001, 0.004)))
    if platform == "instagram":  # reels: views and how far people watched
        views = round(impressions * 0.55)
        values.update(video_views=views, completions_25=round(views * 0.72), completions_50=round(views * 0.5))
        values.update(completions_75=round(views * 0.34), completions_100=round(views * 0.21))
    return values


def _history(entry_id: int, published_at: datetime, now: datetime, final: dict[str, int | None]) -> list[dict]:
    rows = []
    # A post published less than a capture interval ago still gets its first snapshot, taken at the load moment.
    elapsed = (now - published_at).total_seconds() / 3600
    for hours in [h for h in CAPTURE_HOURS if h <= elapsed] or [elapsed]:
        at = published_at + timedelta(hours=hours)
        # Early counts grow from the first hour's share, so a fresh post's rates already look like its final ones.
        share = 1 - math.exp(-max(hours, 1) / GROWTH_HOURS)
        scaled = {k: (None if v is None else round(v * share)) for k, v in final.items()}
        rows.append({"entry_id": entry_id, "captured_at": at, "source": "demo", "note": "", **scaled})
    return rows


def _ab_pair(ctx: DemoContext) -> list[tuple[ScheduleEntry, int, int]]:
    """Add two published variants of the parents' guide post on Facebook (A and B); return them with their figures."""
    session = ctx.session
    schools = session.scalar(select(Campaign).where(Campaign.name == "Open Doors for Parents"))
    facebook = session.scalar(select(Channel).where(Channel.platform == "facebook"))
    drafter = session.scalar(select(User).where(User.username == "demo.drafter"))
    reviewer = session.scalar(select(User).where(User.username == "demo.reviewer"))
    if None in (schools, facebook, drafter, reviewer):
        return []
    texts = {
        "A": "Worried about what your teenager sees online? Our free guide shows what recruitment messages look like "
        f"and who can help. Download the parents' guide: {SITE}/guide?utm_source=facebook&utm_content=a",
        "B": '"I missed the signs until a teacher showed me this guide." Sam, a parent in Valleyton (fictional). '
        f"Download the parents' guide: {SITE}/guide?utm_source=facebook&utm_content=b",
    }
    out = []
    for day, (label, frame, impressions, eng) in zip((-6, -5), AB, strict=True):
        draft = _draft(
            ctx,
            schools,
            drafter,
            "published",
            f"Parents' guide, variant {label}",
            [(facebook, texts[label])],
            frame=frame,
            language="en",
            master_text=texts[label],
            ab_label=label,
        )
        _approve(ctx, draft, reviewer)
        at = _local(ctx.now, day, 20)
        entry = ScheduleEntry(
            draft_id=draft.id,
            variant_id=draft.variants[0].id,
            channel_id=facebook.id,
            scheduled_at=at,
            status="published",
            published_at=at + timedelta(minutes=2),
            published_url=f"https://social.example/facebook/valleyvoices/posts/ab-{label.lower()}",
            platform_post_id=f"facebook-ab-{label.lower()}",
            why=f"A/B test of the parents' guide post: variant {label}",
            created_by=reviewer.id,
        )
        session.add(entry)
        out.append((entry, impressions, eng))
    session.flush()
    return out


def add_metrics(ctx: DemoContext) -> str:
    """Metric histories, an A/B pair and a post below its target"""
    session, now = ctx.session, ctx.now
    valley = session.scalar(select(Campaign).where(Campaign.name == "Valley Together"))
    if valley is not None:
        targets = json.loads(valley.kpi_targets or "[]")
        metric = "engagement rate by impressions, per post"
        targets.append({"metric": metric, "target": RATE_TARGET, "unit": "%"})
        valley.kpi_targets = json.dumps(targets)
        session.add(
            CampaignAdjustment(
                campaign_id=valley.id,
                at=now - timedelta(days=5),
                author_name="demo.reviewer",
                what=f"KPI targets: added {metric} {RATE_TARGET} %",
                why="After the launch week: a per-post bar to spot posts that miss the audience",
            )
        )
    fixed = {e.id: (impressions, eng) for e, impressions, eng in _ab_pair(ctx)}
    published = session.execute(
        select(ScheduleEntry.id, ScheduleEntry.published_at, Channel.platform, Draft.title)
        .join(Channel, Channel.id == ScheduleEntry.channel_id)
        .join(Draft, Draft.id == ScheduleEntry.draft_id)
        .where(ScheduleEntry.status == "published", ScheduleEntry.published_at < now)
        .order_by(ScheduleEntry.published_at)
    ).all()
    rows = []
    below = 0
    for entry_id, published_at, platform, title in published:
        final = _final(ctx, platform, title, *fixed.get(entry_id, (None, None)))
        rows += _history(entry_id, published_at, now, final)
        below += title == UNDERPERFORMER and platform == "x"
    if rows:
        session.execute(MetricSnapshot.__table__.insert(), rows)
    session.flush()
    return (
        f"metric histories for {len(published)} published posts ({len(rows)} snapshots), an A/B pair on Facebook "
        f"(B 1.9 % vs A 1.2 %), {below} post below the {RATE_TARGET:.0f} % engagement-rate target"
    )
