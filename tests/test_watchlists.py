"""Watchlists: normalised values, audited edits, flags on matching trends, the sets drafting checks read."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from planner import audit, trends, watchlists
from planner.auth import PermissionDenied
from planner.models import Trend
from tests.trend_helpers import store_posts, synthetic_posts


@pytest.mark.parametrize(
    ("kind", "value", "stored"),
    [
        ("hashtag", "#GreyLanternRises", "#greylanternrises"),
        ("hashtag", "ＬａｎｔｅｒｎＣａｌｌｓ", "#lanterncalls"),  # NFKC folds full-width letters
        ("account", "@Lantern_Voice", "@lantern_voice"),
        ("account", "lantern_voice", "@lantern_voice"),
        ("domain", "https://www.GreyLantern-News.example/path?q=1", "greylantern-news.example"),
        ("domain", "lantern-voice.example", "lantern-voice.example"),
        ("term", "  The Lantern   SEES ", "the lantern sees"),
    ],
)
def test_normalise(kind, value, stored):
    assert watchlists.normalise(kind, value) == stored


@pytest.mark.parametrize(("kind", "value"), [("hashtag", "#"), ("term", "  "), ("colour", "grey")])
def test_normalise_refuses(kind, value):
    with pytest.raises(watchlists.WatchlistError):
        watchlists.normalise(kind, value)


def test_crud_is_audited_and_checked(session, drafter, viewer):
    wl = watchlists.create_watchlist(session, drafter, "Grey Lantern", "fictional adversary")
    item = watchlists.add_item(session, drafter, wl.id, "hashtag", "#GreyLanternRises", "main tag")
    watchlists.add_item(session, drafter, wl.id, "domain", "greylantern-news.example")
    with pytest.raises(watchlists.WatchlistError, match="already"):
        watchlists.add_item(session, drafter, wl.id, "hashtag", "greylanternrises")
    with pytest.raises(watchlists.WatchlistError, match="exists"):
        watchlists.create_watchlist(session, drafter, "Grey  Lantern")
    with pytest.raises(PermissionDenied):
        watchlists.add_item(session, viewer, wl.id, "term", "lantern")
    with pytest.raises(PermissionDenied):
        watchlists.create_watchlist(session, viewer, "Mine")
    frame = watchlists.items(session, wl.id)
    assert frame[["kind", "value"]].values.tolist() == [
        ["domain", "greylantern-news.example"],
        ["hashtag", "#greylanternrises"],
    ]
    assert watchlists.list_watchlists(session)["items"].tolist() == [2]
    watchlists.remove_item(session, drafter, item.id)
    assert watchlists.items(session)["value"].tolist() == ["greylantern-news.example"]
    watchlists.delete_watchlist(session, drafter, wl.id)
    assert watchlists.list_watchlists(session).empty and watchlists.items(session).empty
    actions = audit.entries(session, audit.AuditFilter(action_prefix="watchlist"))["action"].tolist()
    assert sorted(actions) == sorted(
        ["watchlist.create", "watchlist.add", "watchlist.add", "watchlist.remove", "watchlist.delete"]
    )
    with pytest.raises(watchlists.WatchlistError, match="no watchlist"):
        watchlists.add_item(session, drafter, wl.id, "term", "x")


def test_watchlisted_values_for_drafting_checks(session, admin):
    assert watchlists.watchlisted_values(session) == {
        "hashtag": set(),
        "term": set(),
        "domain": set(),
        "account": set(),
    }
    a = watchlists.create_watchlist(session, admin, "A")
    b = watchlists.create_watchlist(session, admin, "B")
    watchlists.add_item(session, admin, a.id, "hashtag", "LanternCalls")
    watchlists.add_item(session, admin, b.id, "hashtag", "#lanterncalls")
    watchlists.add_item(session, admin, b.id, "account", "@Grey_Echo_001")
    watchlists.add_item(session, admin, b.id, "term", "Lantern needs you")
    assert watchlists.watchlisted_values(session) == {
        "hashtag": {"#lanterncalls"},
        "term": {"lantern needs you"},
        "domain": set(),
        "account": {"@grey_echo_001"},
    }


@pytest.mark.parametrize(
    ("kind", "key", "accounts", "hit"),
    [
        ("hashtag", "#blitz", [], True),
        ("hashtag", "#other", [], False),
        ("domain", "news.greylantern-news.example", [], True),  # subdomains count
        ("domain", "notgreylantern-news.example", [], False),
        ("url", "https://www.greylantern-news.example/a", [], True),
        ("term", "lantern cities", [], True),
        ("term", "lanterns", [], False),
        ("term", "market", ["h_spammer"], True),
    ],
)
def test_matches(kind, key, accounts, hit):
    values = {
        "hashtag": {"#blitz"},
        "domain": {"greylantern-news.example"},
        "term": {"lantern"},
        "account": {"@h_spammer"},
    }
    assert watchlists.matches(kind, key, accounts, values) is hit


def test_matching_trends_are_flagged_not_moved_up(session, admin):
    store_posts(session, synthetic_posts())
    trends.detect_trends(session, admin, kinds=("hashtag", "domain"))
    order = [t.key for t in trends.query_trends(session)]
    assert order[0] == "#rising"  # the highest score leads while nothing is watchlisted
    wl = watchlists.create_watchlist(session, admin, "Adversary")
    item = watchlists.add_item(session, admin, wl.id, "hashtag", "#Blitz")
    flagged = [t.key for t in trends.query_trends(session, trends.TrendFilter(watchlisted_only=True))]
    assert flagged == ["#blitz"]
    assert [t.key for t in trends.query_trends(session)] == order  # marked, still ranked by score only
    watchlists.remove_item(session, admin, item.id)
    blitz = session.scalar(select(Trend).where(Trend.key == "#blitz"))
    assert not blitz.watchlisted
    # A new detection run flags matches too.
    watchlists.add_item(session, admin, wl.id, "hashtag", "rising")
    trends.detect_trends(session, admin, kinds=("hashtag",))
    assert session.scalar(select(Trend).where(Trend.key == "#rising")).watchlisted
