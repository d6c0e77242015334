"""Offline language detection over whole columns: the shipped fastText model, its cleaning, real posts."""

from __future__ import annotations

import unicodedata

import pandas as pd
import pyarrow as pa
from conftest import FIXTURES

from planner import langid
from planner import text as tx


def test_labels_languages_and_refuses_noise():
    texts = [
        "The market in Valleyton opens at nine tomorrow morning",
        "Глубокое погружение в интеграцию с очередями сообщений",
        "السوق في المدينة يفتح غدا في الساعة التاسعة صباحا",
        "Le marché de Valleyton ouvre demain matin à neuf heures",
        "ok #tag https://example.org/a-very-long-path-with-words @someone_with_a_long_handle",
        "",
        "multi\nline\ntext that is clearly written in the English language",
    ]
    assert langid.detect_languages(texts) == ["en", "ru", "ar", "fr", "", "", "en"]
    assert [tx.detect_language(t) for t in texts] == ["en", "ru", "ar", "fr", "", "", "en"]


def test_cleaning_removes_links_handles_hashtags_and_line_breaks():
    cleaned = langid.clean(["see https://x.example/path and @handle #tag\nnext line", "x" * 1000]).to_pylist()
    assert cleaned[0].split() == ["see", "and", "next", "line"] and "\n" not in cleaned[0]
    assert len(cleaned[1]) == langid.SAMPLE_CHARS


def test_real_posts_are_labelled_as_their_source_says():
    pheme = pd.read_csv(FIXTURES / "pheme" / "pheme_source_tweets.csv", dtype=str, keep_default_na=False)
    telegram = pd.read_csv(
        FIXTURES / "telegram" / "telegram_posts_2024-11-26_2024-12-03.csv.gz", dtype=str, keep_default_na=False
    )
    english = langid.detect_languages(pheme["text"].tolist())
    russian = langid.detect_languages(telegram["text"].tolist())
    assert sum(code == "en" for code in english) / len(english) > 0.98
    assert sum(code == "ru" for code in russian) / len(russian) > 0.98


def test_letter_threshold_equals_counting_every_letter():
    """The byte scan's shortcut for ASCII letters decides as counting Unicode letters would, on any slice."""
    texts = ["abcdefghijkl", "abcdefghijk", "ABCDEFGHIJK@Z", "[]^_`@" * 4, "", "Ж" * 12, "x" * 11 + "é", "a1" * 12]
    texts += ["x" * 11, "{|}~" * 6 + "abc", "\u0661" * 20, "Zz" * 6, "ﬃ" * 12]
    arr = pa.array(texts * 2, pa.large_string())
    expected = [sum(unicodedata.category(c).startswith("L") for c in t) >= langid.MIN_LETTERS for t in texts * 2]
    assert langid.enough_letters(arr).tolist() == expected
    assert langid.enough_letters(arr.slice(3, 9)).tolist() == expected[3:12]
    assert langid.enough_letters(pa.array(texts, pa.string())).tolist() == expected[: len(texts)]


def test_repeated_texts_are_labelled_once_and_alike():
    texts = ["The market opens by the river tonight"] * 3 + ["Рынок открывается у реки сегодня вечером"] * 2 + ["ok"]
    assert langid.detect_languages(texts) == ["en"] * 3 + ["ru"] * 2 + [""]
    assert langid.detect_languages([]) == []
