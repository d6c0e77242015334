"""Matching export rows to our published entries: links and post ids, proposals by text and time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from planner.metrics import matching
from tests.metrics_helpers import T0, build


@pytest.mark.parametrize(
    ("url", "post_id"),
    [
        ("https://twitter.com/ValleyVoicesNet/status/1860000000000000101?s=20", "1860000000000000101"),
        ("https://x.com/i/web/status/1860000000000000101", "1860000000000000101"),
        ("https://www.youtube.com/watch?v=-AbC123xyz_&t=3s", "-AbC123xyz_"),
        ("https://youtu.be/-AbC123xyz_", "-AbC123xyz_"),
        ("https://www.youtube.com/shorts/dEf456UvW78", "dEf456UvW78"),
        ("https://www.instagram.com/p/DAbCdEfGhIj/", "DAbCdEfGhIj"),
        ("https://www.facebook.com/1020304050607080/posts/998877665544", "998877665544"),
        ("https://www.facebook.com/permalink.php?story_fbid=998877665544&id=1020304050607080", "998877665544"),
        ("https://valleyvoices.example/about", None),
        ("", None),
    ],
)
def test_post_id_from_url(url, post_id):
    assert matching.post_id_from_url(url) == post_id


def test_normalise_url_ignores_host_variants_tracking_and_slashes():
    a = matching.normalise_url("https://mobile.twitter.com/ValleyVoicesNet/status/1?utm_source=x")
    assert a == matching.normalise_url("x.com/ValleyVoicesNet/status/1/") == "x.com/ValleyVoicesNet/status/1"


def test_ref_index_knows_ids_links_and_ids_inside_links(session):
    ids = build(session)
    index = matching.ref_index(session)
    assert matching.match(index, "1860000000000000101", None) == ids["launch"]
    assert (
        matching.match(index, None, "https://twitter.com/ValleyVoicesNet/status/1860000000000000101") == ids["launch"]
    )
    assert matching.match(index, "998877665544", None) == ids["guide"]
    assert matching.match(index, "-AbC123xyz_", None) == ids["jo"]
    assert matching.match(index, "18012345678901234", "") == ids["insta"]
    assert matching.match(index, "999", "https://x.com/someone/status/999") is None
    assert matching.match(matching.ref_index(session, "facebook"), "1860000000000000101", None) is None


def test_candidates_rank_by_text_then_time(session):
    ids = build(session)
    posts = matching.published_posts(session, "x")
    found = matching.candidates(
        posts, "Friday nights at the Valleyton youth centre: five-a-side", T0 + timedelta(days=1)
    )
    assert found[0].entry_id == ids["football"] and "h apart" in found[0].why
    # A text like none of ours, published far away: no proposal at all.
    assert matching.candidates(posts, "Completely unrelated words here", T0 + timedelta(days=30)) == []
    # Date-only exports (X's Content export) compare whole days.
    same_day = matching.candidates(posts, "Valley Together starts today", T0.replace(hour=0), date_only=True)
    assert same_day[0].entry_id == ids["launch"] and "same day" in same_day[0].why


def test_text_similarity_ignores_links_and_case():
    assert matching.text_similarity("Join us: https://a.example/x?utm=1", "JOIN US: https://b.example") == 1.0
    assert matching.text_similarity("", "anything") == 0.0


def test_links_that_are_not_urls_match_nothing():
    from planner.metrics import matching

    assert matching.refs("", "https://[") == []
    assert matching.post_id_from_url("https://[::1") is None
