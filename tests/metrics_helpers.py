"""Builders for the metrics tests: a campaign with published entries on several channels (fictional data)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from planner.models import Draft, DraftVariant, ScheduleEntry
from tests.planfixtures import make_campaign, make_channels

FIXTURES = __import__("pathlib").Path(__file__).resolve().parent / "fixtures" / "metrics"
T0 = datetime(2026, 11, 3, 9, tzinfo=UTC)

# (key, platform, draft title, variant text, published at, published url, platform post id, A/B label)
POSTS = (
    (
        "launch",
        "x",
        "Launch post",
        "Valley Together starts today: mentoring evenings every Friday. Join a mentoring evening at the youth centre: "
        "https://valleyvoices.example/mentoring?utm_source=x",
        T0,
        "https://x.com/ValleyVoicesNet/status/1860000000000000101",
        None,
        "",
    ),
    (
        "football",
        "x",
        "Football and mentoring",
        "Friday nights at the Valleyton youth centre: five-a-side, then an hour with a mentor. Join a mentoring "
        "evening at the youth centre: https://valleyvoices.example/mentoring",
        T0 + timedelta(days=1, hours=2),
        None,  # staff forgot the link: only text and time can match it
        None,
        "A",
    ),
    (
        "guide",
        "facebook",
        "Parents' guide",
        "Worried about what your teenager sees online? Our free guide shows what recruitment messages look like.",
        datetime(2026, 11, 4, 18, 12, tzinfo=UTC),
        "https://www.facebook.com/1020304050607080/posts/998877665544/",
        None,
        "",
    ),
    (
        "insta",
        "instagram",
        "Five-a-side (Instagram)",
        "Five-a-side, then an hour with someone who has your back. Join a mentoring evening: link in bio.",
        datetime(2026, 11, 4, 19, 5, tzinfo=UTC),
        None,
        "18012345678901234",
        "",
    ),
    (
        "jo",
        "youtube",
        "Jo's story",
        "Jo's story: how I left the Order (fictional)",
        datetime(2026, 11, 5, 16, tzinfo=UTC),
        "https://youtu.be/-AbC123xyz_",
        None,
        "B",
    ),
)


def build(session, campaign_name: str = "Valley Together") -> dict:
    """Create channels, a campaign, one draft per post and its published entry; return ids by key."""
    chans = make_channels(session)
    camp = make_campaign(session, name=campaign_name)
    out = {"campaign": camp.id, "channels": chans}
    for key, platform, title, text, at, url, post_id, ab in POSTS:
        draft = Draft(campaign_id=camp.id, title=title, status="published", master_text=text, ab_label=ab)
        session.add(draft)
        session.flush()
        variant = DraftVariant(draft_id=draft.id, channel_id=chans[platform], text=text)
        session.add(variant)
        session.flush()
        entry = ScheduleEntry(
            draft_id=draft.id,
            variant_id=variant.id,
            channel_id=chans[platform],
            scheduled_at=at,
            status="published",
            published_at=at,
            published_url=url,
            platform_post_id=post_id,
        )
        session.add(entry)
        session.flush()
        out[key] = entry.id
    session.commit()
    return out
