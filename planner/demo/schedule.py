"""Demo part: cadence rules, a calendar from last week to next week, answers to the emerging trend, a past pause."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from planner import audit
from planner.demo import DemoContext
from planner.demo.campaigns import SITE, _approve, _draft
from planner.models import (
    CadenceRule,
    Campaign,
    Channel,
    Draft,
    DraftTrend,
    DraftVariant,
    ScheduleEntry,
    SchedulePause,
    Trend,
    User,
)
from planner.schedule import cadence, solver, windows

ZONE = ZoneInfo("Europe/London")
EMERGING_TAG = "#alleyesonthelantern"
# Cadence per platform: posts per day, minimum gap (minutes), allowed local hours.
CADENCE = {
    "x": (4, 90, list(range(7, 23))),
    "instagram": (2, 180, list(range(11, 23))),
    "telegram": (3, 120, list(range(8, 22))),
    "facebook": (2, 180, list(range(7, 22))),
    "web": (1, 0, list(range(9, 18))),
}
PAUSE_REASON = "Flood warning in Valleyton (fictional): campaign posts held while emergency services have the feeds"


def _first_allowed(session, channel: Channel, taken: list[datetime], hours: list[datetime]) -> datetime:
    """Return the first of `hours` at which a post on `channel` adds no cadence conflict to those `taken`."""
    rule = cadence.cadence_for(session, channel.id)
    already = len(cadence.violations(rule, taken))
    return next((at for at in hours if len(cadence.violations(rule, [*taken, at])) == already), hours[0])


def _local(now: datetime, days: int, hour: int, minute: int = 0) -> datetime:
    day = now.astimezone(ZONE).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE).astimezone(UTC)


def _post_url(channel: Channel, n: int) -> tuple[str, str]:
    post_id = f"{channel.platform}-{9100 + n}"
    return f"https://social.example/{channel.platform}/{channel.handle.lstrip('@')}/posts/{post_id}", post_id


def _entry(session, draft, channel, at, reviewer, *, status="planned", trend=None, why="", n=0) -> ScheduleEntry:
    variant = next(v for v in draft.variants if v.channel_id == channel.id)
    e = ScheduleEntry(
        draft_id=draft.id,
        variant_id=variant.id,
        channel_id=channel.id,
        scheduled_at=at,
        status=status,
        trend_id=trend.id if trend is not None else None,
        why=why,
        created_by=reviewer.id,
    )
    if status == "published":
        e.published_url, e.platform_post_id = _post_url(channel, n)
        e.published_at = at + timedelta(minutes=3)
    session.add(e)
    return e


def add_schedule(ctx: DemoContext) -> str:
    """Cadence rules, calendar, response-window answers and a past pause"""
    session, now = ctx.session, ctx.now
    chans = {c.platform: c for c in session.scalars(select(Channel))}
    drafter = session.scalar(select(User).where(User.username == "demo.drafter"))
    reviewer = session.scalar(select(User).where(User.username == "demo.reviewer"))
    valley = session.scalar(select(Campaign).where(Campaign.name == "Valley Together"))
    for platform, (per_day, gap, hours) in CADENCE.items():
        if platform in chans:
            session.add(
                CadenceRule(
                    channel_id=chans[platform].id,
                    time_zone=ZONE.key,
                    posts_per_day=per_day,
                    min_gap_minutes=gap,
                    allowed_hours=str(hours),
                    blackout_dates="[]",
                    updated_by=reviewer.id,
                )
            )
    session.flush()

    # The emerging trend: triaged "respond", answered inside its response window.
    trend = session.scalar(select(Trend).where(Trend.kind == "hashtag", Trend.key == EMERGING_TAG))
    if trend is not None and trend.status != "respond":
        trend.status, trend.status_note = "respond", "Answer with the mentoring line inside the response window."
        audit.record(session, ctx.actor, "trend.status", "trend", trend.id, f"hashtag {trend.key}: -> respond")
    x, ig, tg = chans["x"], chans["instagram"], chans["telegram"]
    link = f"{SITE}/talk?utm_source=x&utm_medium=social&utm_campaign=valley-together"

    def approved(title, texts, status="scheduled", answers=False):
        d = _draft(ctx, valley, drafter, status, title, texts, frame="alternative", language="en", master_text=title)
        _approve(ctx, d, reviewer)
        if answers and trend is not None:
            session.add(DraftTrend(draft_id=d.id, trend_id=trend.id))
        return d

    made = {
        "answer": approved(
            "Answer: who is really watching",
            [
                (x, f"Nobody needs a lantern to be seen. Real neighbours notice you, and we listen: {link}"),
                (tg, f"Feeling watched, or unseen? People in Valleyton listen, in confidence: {link}"),
            ],
            answers=True,
        ),
        "answer2": approved(
            "Answer: mentors who stayed",
            [(x, f"Our mentors grew up here and stayed. Meet them on Friday: {SITE}/mentoring")],
            answers=True,
        ),
        "week1": approved(
            "Match night recap",
            [(x, "Five-a-side last night: 22 players, 3 mentors, 1 very muddy ball."), (ig, "Match night, in photos.")],
            status="published",
        ),
        "week2": approved(
            "Apprenticeship fair",
            [
                (x, f"40 apprenticeships, one afternoon: the fair is at the library. {SITE}/fair"),
                (tg, "Apprenticeship fair at the library."),
            ],
        ),
        "week3": approved("Volunteer call", [(tg, "We need 5 volunteers for Friday's evening. Reply here.")]),
        "next1": approved(
            "Mentoring evening reminder",
            [(x, f"Tonight 19:00 at the youth centre. {SITE}/mentoring"), (ig, "Tonight at 19:00: see you there.")],
        ),
        "next2": approved("Jo answers your questions", [(tg, "Jo Ashdown (fictional) answers your questions live.")]),
        "next3": approved("Weekend football", [(x, "Saturday football at the park, all welcome.")], status="approved"),
        "next4": approved("Parents' night teaser", [(ig, "Parents and mentors meet next week.")], status="approved"),
    }
    entries, n = [], 0

    def add(key, channel, at, status="planned", answers=None, why=""):
        nonlocal n
        n += 1
        entries.append(_entry(session, made[key], channel, at, reviewer, status=status, trend=answers, why=why, n=n))

    # Last week: published posts with their URLs.
    add("week1", x, _local(now, -6, 19), "published", why="Young adults online in the evening")
    add("week1", ig, _local(now, -6, 20), "published")
    add("week2", x, _local(now, -5, 12), "published")
    add("week2", tg, _local(now, -5, 18), "published")
    # A past pause over the campaign, with the posts it stopped marked missed.
    pause_start, pause_end = _local(now, -4, 9), _local(now, -3, 14)
    add("week3", tg, _local(now, -4, 19), "missed")
    launch = session.scalar(select(Draft).where(Draft.title == "Launch post"))
    if launch is not None and launch.variants:
        made["launch"] = launch
        add("launch", x, _local(now, -7, 18), "published")
    session.add(
        SchedulePause(
            scope="campaign",
            campaign_id=valley.id,
            reason=PAUSE_REASON,
            starts_at=pause_start,
            ends_at=None,
            created_by=reviewer.id,
            created_at=pause_start,
            resumed_at=pause_end,
            resumed_by=reviewer.id,
        )
    )
    missed_redirect = session.scalar(select(Draft).where(Draft.title == "Mentoring evening this Friday"))
    if missed_redirect is not None:
        made["friday"] = missed_redirect
        add("friday", x, _local(now, -4, 18), "missed")
        add("friday", ig, _local(now, -2, 19))  # rescheduled after the pause, then it went out
        entries[-1].status = "published"
        entries[-1].published_url, entries[-1].platform_post_id = _post_url(ig, 99)
        entries[-1].published_at = entries[-1].scheduled_at + timedelta(minutes=2)

    # Answers to the emerging trend, inside its response window (published if already past, planned if ahead).
    answered = 0
    if trend is not None:
        window = windows.response_window(session, trend)
        scorer = windows.Scorer(windows.audience_of(valley, ZONE.key), windows.trend_profile(trend), window)
        hours = int((window.end - window.start).total_seconds() // 3600)
        starts = [cadence.floor_hour(window.start) + timedelta(hours=h) for h in range(2, hours - 1)]
        good = sorted((t for t in starts if 9 <= t.astimezone(ZONE).hour <= 20), key=lambda t: (-scorer.score(t), t))
        picks = good[:1] + [t for t in good[1:] if abs(t - good[0]) >= timedelta(hours=4)][:1]
        for key, channel, at in zip(("answer", "answer2"), (x, x), picks, strict=False):
            status = "published" if at < now else "planned"
            add(key, channel, at, status, answers=trend, why=scorer.why(at, ZONE))
            answered += 1
        if picks:
            # A first line on Telegram at the first hour after detection its cadence allows (published by the time
            # the demo loads, so Results shows a time to response at any hour); the X answers wait for the audience.
            soon = [cadence.floor_hour(window.start) + timedelta(hours=1), *starts]
            first = _first_allowed(session, tg, [e.scheduled_at for e in entries if e.channel_id == tg.id], soon)
            add("answer", tg, first, "published" if first < now else "planned", answers=trend)

    # Next week: planned posts, and two at the same minute on Telegram (kept, flagged as a conflict).
    add("next1", x, _local(now, 1, 18, 30))
    add("next1", ig, _local(now, 1, 19))
    add("next2", tg, _local(now, 2, 19))
    add("week3", tg, _local(now, 2, 19))
    session.flush()
    for d in made.values():
        statuses = {e.status for e in entries if e.draft_id == d.id}
        if "published" in statuses:
            d.status = "published"
        elif statuses & {"planned", "missed"} and d.status == "approved":
            d.status = "scheduled"
    session.flush()

    # The rest of next week: the auto-scheduler places the approved drafts left (a dry run, saved here uncommitted).
    result = solver.auto_schedule(
        session, ctx.actor, start=now + timedelta(days=3), end=now + timedelta(days=7), now=now, dry_run=True
    )
    for p in result.plan.placements:
        variant = session.get(DraftVariant, p.key)
        entries.append(
            ScheduleEntry(
                draft_id=variant.draft_id,
                variant_id=variant.id,
                channel_id=p.channel_id,
                scheduled_at=p.at,
                why=result.whys[p.key],
                created_by=reviewer.id,
            )
        )
        session.add(entries[-1])
        draft = session.get(Draft, variant.draft_id)
        if draft.status == "approved":
            draft.status = "scheduled"
    session.flush()
    # Left for the planner: an approved answer to the emerging trend, not yet scheduled (the page suggests slots).
    approved(
        "Answer: the valley sees you",
        [
            (x, f"You are seen here, by people who stay and help. Talk to us, in confidence: {link}"),
            (tg, f"You are seen here. Talk to people who have been there, in confidence: {link}"),
        ],
        status="approved",
        answers=True,
    )
    session.flush()
    return (
        f"{len(entries)} calendar entries from {_local(now, -7, 0):%Y-%m-%d} to {_local(now, 7, 0):%Y-%m-%d}, "
        f"{answered} answers to {EMERGING_TAG} inside its response window, 1 past pause with missed posts, "
        f"cadence rules on {len(CADENCE)} channels"
    )
