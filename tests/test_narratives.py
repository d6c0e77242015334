"""Narratives: clusters of similar post texts in any language, seeded, labelled, with volume and samples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner import audit, narratives
from planner.auth import PermissionDenied
from tests.conftest import FIXTURES
from tests.trend_helpers import store_posts, synthetic_posts

TOPICS = {
    "en_lantern": ["the lantern sees what the cities hide", "only the order keeps the valley safe tonight"],
    "en_market": ["farmers market has fresh apples and pears", "apples and bread at the farmers market today"],
    "ru_lantern": ["фонарь видит то что скрывают города", "только орден хранит долину фонарь"],
    "ar_lantern": ["الفانوس يرى ما تخفيه المدن", "الفانوس يحرس الوادي الليلة"],
}


def _corpus(seed: int = 3, per_topic: int = 60) -> tuple[pd.Series, pd.Series, np.ndarray]:
    rng = np.random.default_rng(seed)
    texts, langs, truth = [], [], []
    fillers = ["", " now", " again", " please share", " look", " !!"]
    for t, (topic, phrases) in enumerate(TOPICS.items()):
        for _ in range(per_topic):
            texts.append(f"{rng.choice(phrases)}{rng.choice(fillers)} {rng.integers(1, 9)}")
            langs.append(topic[:2])
            truth.append(t)
    return pd.Series(texts), pd.Series(langs), np.array(truth)


def test_clusters_follow_topics_in_three_scripts():
    texts, langs, truth = _corpus()
    result = narratives.cluster_texts(texts, langs, n_clusters=4, seed=0)
    # Every topic lands in one cluster of its own.
    table = pd.crosstab(truth, result.labels)
    assert (table.gt(0).sum(axis=1) == 1).all() and (table.gt(0).sum(axis=0) == 1).all()
    labels = {tuple(terms) for terms in result.top_terms}
    lantern_words = set(" ".join(TOPICS["en_lantern"]).split())
    assert any(set(" ".join(t).split()) & lantern_words for t in labels)
    assert any("фонарь" in " ".join(t) for t in labels)
    assert all(len(s) == narratives.SAMPLES_PER_NARRATIVE for s in result.samples)
    for c, sample in enumerate(result.samples):
        assert (result.labels[sample] == c).all()  # samples belong to their narrative


def test_same_data_same_seed_same_narratives():
    texts, langs, _ = _corpus()
    a = narratives.cluster_texts(texts, langs, n_clusters=4, seed=5)
    b = narratives.cluster_texts(texts, langs, n_clusters=4, seed=5)
    assert (a.labels == b.labels).all() and a.top_terms == b.top_terms


def test_real_russian_telegram_sample_is_stable():
    raw = pd.read_csv(
        FIXTURES / "telegram" / "telegram_posts_2024-11-26_2024-12-03.csv.gz", usecols=["text", "category"]
    )
    sample = raw.dropna().sample(400, random_state=1)
    a = narratives.cluster_texts(sample["text"], pd.Series(["ru"] * len(sample)), n_clusters=5, seed=2)
    b = narratives.cluster_texts(sample["text"], pd.Series(["ru"] * len(sample)), n_clusters=5, seed=2)
    assert (a.labels == b.labels).all()
    assert len(set(a.labels)) == 5
    assert all(any(ch.isalpha() for ch in " ".join(t)) for t in a.top_terms)


def test_too_little_text_is_a_clear_error():
    with pytest.raises(narratives.NarrativeError, match="2 distinct"):
        narratives.cluster_texts(pd.Series(["same", "same"]))
    with pytest.raises(narratives.NarrativeError, match="at least 2"):
        narratives.cluster_texts(pd.Series(["a b", "c d"]), n_clusters=1)


def test_build_store_volume_and_samples(session, drafter, viewer):
    with pytest.raises(narratives.NarrativeError, match="no monitored posts"):
        narratives.build_narratives(session, drafter)
    posts = synthetic_posts(days=3)
    store_posts(session, posts)
    stored = narratives.build_narratives(session, drafter, n_clusters=5, seed=0)
    frame = narratives.list_narratives(session)
    assert len(frame) == len(stored) == 5
    assert frame["size"].sum() == len(posts)  # every post in exactly one narrative
    assert frame["size"].is_monotonic_decreasing
    volume = narratives.narrative_volume(session, "1h")
    assert volume["posts"].sum() == frame["size"].sum()
    assert set(volume["narrative"]) == set(frame["label"])
    noisy = frame[frame["top_terms"].str.contains("cheap")]
    assert len(noisy) == 1 and noisy["size"].iloc[0] == 200  # the spammer's text is a narrative of its own
    samples = narratives.sample_posts(session, int(noisy["id"].iloc[0]))
    assert samples["text"].str.contains("followers").all() and len(samples) == 1  # one distinct text
    again = narratives.build_narratives(session, drafter, n_clusters=5, seed=0)  # replaces, same result
    assert sorted(n.size for n in again) == sorted(n.size for n in stored)
    assert "narratives.build" in audit.entries(session)["action"].tolist()
    with pytest.raises(PermissionDenied):
        narratives.build_narratives(session, viewer)


def test_narratives_become_trend_keys(session, admin):
    from planner import trends

    store_posts(session, synthetic_posts())
    narratives.build_narratives(session, admin, n_clusters=4, seed=0)
    trends.detect_trends(session, admin, kinds=("narrative",))
    found = trends.query_trends(session)
    assert found and all(t.kind == "narrative" for t in found)
    assert any("lantern" in t.key for t in found)
    post_ids = [int(i) for i in synthetic_posts().query("hashtags == 'blitz'")["id"].head(5)]
    assert "lantern" in narratives.narrative_of_posts(session, post_ids)
