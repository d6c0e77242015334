"""Our own channels per platform, and each platform's posting rules: length limits and how links count."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from planner import audit
from planner.audit import Actor
from planner.auth import Action, require
from planner.db import atomic
from planner.errors import PlannerError
from planner.models import Channel


class ChannelError(PlannerError):
    """A channel could not be created or changed (unknown platform, empty or duplicate handle)."""


@dataclass(frozen=True)
class PlatformRules:
    """How one platform counts a post and where it stops."""

    id: str
    label: str
    limit: int | None  # characters per post; None means no practical limit
    counting: str  # how the limit is counted, shown next to counters
    media_limit: int | None = None  # a lower limit when the post carries media (Telegram captions)
    links_clickable: bool = True


# Limits as the platforms document them for organic posts (2026).
PLATFORMS: dict[str, PlatformRules] = {
    "x": PlatformRules(
        "x",
        "X",
        280,
        "weighted length (twitter-text): most CJK and emoji count 2, every URL counts 23",
    ),
    "facebook": PlatformRules("facebook", "Facebook", 63_206, "characters; links count as typed"),
    "instagram": PlatformRules(
        "instagram", "Instagram", 2_200, "characters of the caption; links in captions are not clickable", None, False
    ),
    "youtube": PlatformRules("youtube", "YouTube", 5_000, "characters of the video description; links count as typed"),
    "telegram": PlatformRules(
        "telegram", "Telegram", 4_096, "characters; 1,024 when the message carries media (caption)", 1_024
    ),
    "tiktok": PlatformRules(
        "tiktok", "TikTok", 4_000, "characters of the caption; links in captions are not clickable", None, False
    ),
    "web": PlatformRules("web", "Web", None, "no limit"),
}


@dataclass(frozen=True)
class Count:
    length: int
    limit: int | None

    @property
    def over(self) -> int:
        """How many characters past the limit (0 when it fits)."""
        return max(0, self.length - self.limit) if self.limit is not None else 0


def rules(platform: str) -> PlatformRules:
    """Return the rules of `platform`; raise ChannelError for an unknown one."""
    try:
        return PLATFORMS[platform]
    except KeyError:
        raise ChannelError(f"platform: {platform!r} is not one of {', '.join(PLATFORMS)}") from None


def count(platform: str, text: str, *, has_media: bool = False) -> Count:
    """Return the length of `text` as `platform` counts it, and the limit that applies."""
    r = rules(platform)
    limit = r.media_limit if has_media and r.media_limit else r.limit
    if platform == "x":
        from twitter_text import parse_tweet  # its URL regexes take most of a second to compile: load on first count

        return Count(parse_tweet(text or "").weightedLength, limit)
    return Count(len(text or ""), limit)


def create_channel(
    session: Session, actor: Actor, platform: str, handle: str, url: str = "", notes: str = ""
) -> Channel:
    """Add one of the team's real accounts; raise ChannelError or PermissionDenied."""
    require(actor, Action.EDIT_CHANNELS)
    rules(platform)
    handle = (handle or "").strip()
    if not handle:
        raise ChannelError("handle: enter the account's handle or name")
    with atomic(session):
        if session.scalar(select(Channel.id).where(Channel.platform == platform, Channel.handle == handle)):
            raise ChannelError(f"handle: {platform} channel {handle!r} already exists")
        channel = Channel(platform=platform, handle=handle, url=url.strip(), notes=notes)
        session.add(channel)
        session.flush()
        audit.record(session, actor, "channel.create", "channel", channel.id, f"{platform} {handle}")
    return channel


def set_channel_active(session: Session, actor: Actor, channel_id: int, active: bool) -> Channel:
    """Retire or bring back a channel (its history stays)."""
    require(actor, Action.EDIT_CHANNELS)
    with atomic(session):
        channel = get_channel(session, channel_id)
        channel.active = active
        audit.record(
            session,
            actor,
            "channel.update",
            "channel",
            channel.id,
            f"{label(channel)} {'active' if active else 'retired'}",
        )
    return channel


def get_channel(session: Session, channel_id: int) -> Channel:
    """Return the channel with `channel_id`; raise ChannelError if there is none."""
    channel = session.get(Channel, channel_id)
    if channel is None:
        raise ChannelError(f"channel: no channel with id {channel_id}")
    return channel


def list_channels(session: Session, active_only: bool = True) -> list[Channel]:
    """Return channels ordered by platform and handle."""
    stmt = select(Channel).order_by(Channel.platform, Channel.handle)
    if active_only:
        stmt = stmt.where(Channel.active.is_(True))
    return list(session.scalars(stmt))


def label(channel: Channel) -> str:
    """Return a short display name such as 'X @ValleyVoicesNet'."""
    return f"{PLATFORMS[channel.platform].label} {channel.handle}" if channel.platform in PLATFORMS else channel.handle


def channels_frame(session: Session) -> pd.DataFrame:
    """Return every channel with its platform limit, for tables."""
    rows = [
        {
            "id": c.id,
            "platform": c.platform,
            "handle": c.handle,
            "limit": PLATFORMS[c.platform].limit if c.platform in PLATFORMS else None,
            "active": c.active,
            "url": c.url,
        }
        for c in list_channels(session, active_only=False)
    ]
    return pd.DataFrame(rows, columns=["id", "platform", "handle", "limit", "active", "url"])
