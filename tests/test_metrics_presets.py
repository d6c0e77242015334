"""Presets: header matching (case, spaces, BOM), suggestions, count parsing."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.ingest.source import FormatError
from planner.metrics import presets


def test_headers_match_case_insensitive_trimmed_and_with_bom():
    columns = ["\ufeffPOST ID", " permalink ", "VIEWS", "reach", "Reactions, comments and shares", "Page ID"]
    mapping = presets.META.resolve_mapping(columns)
    assert mapping == {"post_id": "\ufeffPOST ID", "url": " permalink ", "impressions": "VIEWS", "reach": "reach"}


def test_meta_shares_are_reposts_on_facebook_and_shares_on_instagram():
    fb = presets.META.resolve_mapping(["Post ID", "Page ID", "Shares", "Reach"])
    ig = presets.META.resolve_mapping(["Post ID", "Account username", "Shares", "Saves"])
    assert fb["reposts"] == "Shares" and "shares" not in fb
    assert ig["shares"] == "Shares" and presets.META.platform_for(["Account username", "Saves"]) == "instagram"


def test_older_exports_with_impressions_and_favorites():
    meta = presets.META.resolve_mapping(["Post ID", "Impressions", "Reach"])
    assert meta["impressions"] == "Impressions"
    x = presets.X.resolve_mapping(["Tweet id", "favorites", "impressions"])
    assert x["likes"] == "favorites"


def test_youtube_thumbnail_impressions_variant():
    mapping = presets.YOUTUBE.resolve_mapping(["Content", "Views", "Thumbnail impressions", "Subscribers"])
    assert mapping["impressions"] == "Thumbnail impressions" and mapping["follows_gained"] == "Subscribers"


@pytest.mark.parametrize(
    ("columns", "name"),
    [
        (["Post id", "Date", "Post text", "Post Link", "Impressions", "URL Clicks"], "x"),
        (["Tweet id", "Tweet permalink", "Tweet text", "time", "url clicks", "detail expands"], "x"),
        (["Post ID", "Page ID", "Publish time", "Permalink", "Reach"], "meta"),
        (["Content", "Video title", "Video publish time", "Views", "Subscribers"], "youtube"),
        (["link", "views"], "generic"),
    ],
)
def test_suggest_preset(columns, name):
    assert presets.suggest_preset(columns) == name


def test_unknown_preset_is_refused():
    with pytest.raises(FormatError, match="'tiktok' is not one of generic, x, meta, youtube"):
        presets.get_preset("tiktok")


def test_parse_counts():
    values, bad = presets.parse_counts(pd.Series(["1,234", "424.0", "-", "", "12 480", "x", "-3", "1.5"]))
    assert values.tolist()[:5] == [1234, 424, pd.NA, pd.NA, 12480]
    assert bad.tolist() == [False, False, False, False, False, True, True, True]
