"""Channels: platform rules and real counting (X weighted length, URLs as 23), channel records and permissions."""

from __future__ import annotations

import pytest

from planner import audit, channels
from planner.auth import PermissionDenied


@pytest.mark.parametrize(
    ("platform", "text", "media", "length", "limit"),
    [
        ("x", "a" * 280, False, 280, 280),
        ("x", "a" * 281, False, 281, 280),
        # Every URL counts 23 on X, however long it is.
        ("x", "see https://valleyvoices.org/a/very/long/path/that/goes/on?and=on", False, 27, 280),
        ("x", "https://a.org", False, 23, 280),
        ("x", "a" * 257 + " https://valleyvoices.org/" + "p" * 200, False, 281, 280),
        # CJK characters weigh 2 on X.
        ("x", "日本語", False, 6, 280),
        ("facebook", "é" * 10, False, 10, 63_206),
        ("instagram", "x" * 2201, False, 2201, 2200),
        ("telegram", "x" * 2000, False, 2000, 4096),
        ("telegram", "x" * 2000, True, 2000, 1024),
        ("youtube", "x" * 10, False, 10, 5000),
        ("tiktok", "x" * 10, False, 10, 4000),
        ("web", "x" * 100_000, False, 100_000, None),
    ],
)
def test_count(platform, text, media, length, limit):
    n = channels.count(platform, text, has_media=media)
    assert (n.length, n.limit) == (length, limit)
    assert n.over == (max(0, length - limit) if limit else 0)


def test_unknown_platform_is_named():
    with pytest.raises(channels.ChannelError, match="myspace"):
        channels.count("myspace", "hi")


def test_create_list_retire(session, reviewer):
    ch = channels.create_channel(session, reviewer, "x", " @ValleyVoicesNet ")
    assert ch.handle == "@ValleyVoicesNet"
    assert channels.label(ch) == "X @ValleyVoicesNet"
    with pytest.raises(channels.ChannelError, match="already exists"):
        channels.create_channel(session, reviewer, "x", "@ValleyVoicesNet")
    with pytest.raises(channels.ChannelError, match="handle"):
        channels.create_channel(session, reviewer, "x", "  ")
    channels.set_channel_active(session, reviewer, ch.id, False)
    assert channels.list_channels(session) == []
    assert len(channels.list_channels(session, active_only=False)) == 1
    frame = channels.channels_frame(session)
    assert frame.iloc[0]["limit"] == 280 and not frame.iloc[0]["active"]
    assert audit.count(session, audit.AuditFilter(object_type="channel")) == 2


def test_drafters_cannot_edit_channels(session, drafter):
    with pytest.raises(PermissionDenied):
        channels.create_channel(session, drafter, "x", "@mine")
