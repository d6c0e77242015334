"""Trend keys: normalised hashtags, URLs, domains and terms, each counted once per post."""

from __future__ import annotations

import pandas as pd

from planner.trends import keys


def test_keys_are_normalised_and_counted_once_per_post():
    posts = pd.DataFrame(
        {
            "text": ["The Lantern sees the lantern #X", "Фонарь видит город и фонарь", "الفانوس يرى المدينة"],
            "lang": ["en", "ru", "ar"],
            "hashtags": ["GreyLantern greylantern", "", ""],
            "urls": ["https://WWW.Lantern-Voice.example/a http://lantern-voice.example/b", "", ""],
        }
    )
    occ = keys.extract_keys(posts)
    pairs = {(int(p), occ.kinds[k], occ.keys[k]) for p, k in zip(occ.post, occ.key, strict=True)}
    assert (0, "hashtag", "#greylantern") in pairs
    assert sum(1 for p in pairs if p[1] == "hashtag") == 1
    assert (0, "domain", "lantern-voice.example") in pairs
    assert sum(1 for p in pairs if p[1] == "url") == 2
    terms0 = {k for p, kind, k in pairs if p == 0 and kind == "term"}
    assert terms0 == {"lantern", "sees", "lantern sees", "sees lantern"}  # 'the' and '#x' removed
    terms1 = {k for p, kind, k in pairs if p == 1 and kind == "term"}
    assert "и" not in terms1 and "фонарь" in terms1 and "город фонарь" in terms1  # Russian stop word dropped
    assert "الفانوس" in {k for p, kind, k in pairs if p == 2}
    assert len(occ) == len(pairs)


def test_stop_words_by_language():
    assert "the" in keys.stop_words("en") and "и" in keys.stop_words("ru")
    assert "the" not in keys.stop_words("ru")
    assert {"the", "и", "rt"} <= keys.stop_words("")  # unknown language: every list


def test_narratives_become_keys_of_their_posts():
    posts = pd.DataFrame({"id": [10, 11, 12], "text": "", "lang": "en", "hashtags": ["a", "", ""], "urls": ""})
    occ = keys.extract_keys(posts, ("hashtag",))
    joined = keys.add_narratives(occ, posts, pd.DataFrame({"post_id": [11, 12, 99], "key": ["story", "story", "x"]}))
    narrative_posts = sorted(
        int(p) for p, k in zip(joined.post, joined.key, strict=True) if joined.kinds[k] == "narrative"
    )
    assert narrative_posts == [1, 2]  # row positions; post 99 is not among the posts
    assert keys.add_narratives(occ, posts, None) is occ


def test_kind_rank_puts_hashtags_first():
    assert sorted(keys.KIND_RANK, key=keys.KIND_RANK.get)[:4] == ["hashtag", "url", "domain", "term"]
