"""Offline language detection over whole columns: the shipped fastText model, its cleaning, real posts."""

from __future__ import annotations

import random
import string
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
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


def _has_enough_letters(text: str | None) -> bool:
    """The definition enough_letters must match: count every character of Unicode category L."""
    return sum(unicodedata.category(c).startswith("L") for c in text or "") >= langid.MIN_LETTERS


# The code points the byte scan counts without the regular expression, beyond ASCII letters.
SURE_RANGES = [(0x0400, 0x047F), (0x0620, 0x064A)]  # Cyrillic; Arabic letters with the tatweel (U+0640, Lm)


def test_code_points_counted_from_their_bytes_are_all_letters():
    """The byte scan's lower bound counts exactly ASCII letters and SURE_RANGES, each a letter, each once."""
    for low, high in SURE_RANGES:
        assert all(unicodedata.category(chr(c)).startswith("L") for c in range(low, high + 1))
    # Every code point (surrogates cannot be encoded), one text each: which ones does the scan count, and how often?
    points = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    counts = langid._sure_letters(pa.array([chr(c) for c in points], pa.string()))
    counted = {points[i] for i in np.flatnonzero(counts)}
    expected = {c for c in range(0x80) if chr(c).isalpha()}
    expected |= {c for low, high in SURE_RANGES for c in range(low, high + 1)}
    assert counted == expected and counts.max() == 1


def test_enough_letters_matches_counting_every_letter_across_scripts():
    """Every script, every threshold, texts of many bytes side by side, nulls, both string types and slices."""
    cyrillic, arabic, greek = "Жизньёѣ", "السوقـفيالمدينة", "ΑλφαβητοΩω"
    texts = [
        "",
        None,
        "a" * 11,
        "a" * 12,
        "a" * 13,
        "Ж" * 11,
        "Ж" * 12,
        "ж" * 13,
        "ب" * 11,
        "ب" * 12,
        (arabic * 2)[:13],
        "ـ" * 12,  # tatweel, a letter (Lm)
        "،؛؟" * 8 + "ب" * 11,  # Arabic punctuation is not
        "٠١٢٣٤٥٦٧٨٩" * 3 + "ب" * 11,  # nor Arabic-Indic digits (first byte 0xD9, as the letters' last ones)
        "بَ" * 11 + "ٌ" * 5,  # harakat are marks (0xD9 0x8B on)
        "҂҃" * 10 + "Ж" * 11,  # Cyrillic's sign and combining mark (first byte 0xD2) are not letters
        (greek * 2)[:12],
        greek[:6] + cyrillic[:6],
        "a" * 6 + "Ж" * 3 + "ب" * 3,
        "a" * 6 + "Ж" * 3 + "ب" * 2 + "1",
        "é" * 12,
        "×÷" * 10 + "a" * 11,
        "中文字符测试中文字符测试",
        "中文字符测试中文字符测",
        "😀🎉👍🏽🇺🇦" * 5 + "a" * 11,
        "e\u0301" * 11 + "\u0301" * 10,
        "ﬃ" * 12,
        "x" * 11 + "Ж",
        "Ж" * 11 + "x",
        "ب" * 11 + "ж",
        "Ж",
        "ب",
        "ж" * 40 + " \n\t" * 5,
        "@#$%^&*()[]{}0123456789" * 2,
    ]
    expected = [_has_enough_letters(t) for t in texts]
    assert sum(expected) > 10 and len(expected) - sum(expected) > 10
    for kind in (pa.string(), pa.large_string()):
        arr = pa.array(texts, kind)
        assert langid.enough_letters(arr).tolist() == expected
        for start in (1, 5, 13):
            assert langid.enough_letters(arr.slice(start, 17)).tolist() == expected[start : start + 17]
        assert [langid.enough_letters(pa.array([t], kind))[0] for t in texts] == expected


def test_scripts_counted_from_bytes_never_reach_the_regular_expression(monkeypatch):
    """Russian and Arabic posts with enough letters are settled by the byte scans; only the short ones go further."""
    seen = []

    def counted(texts):
        seen.extend(texts.to_pylist())
        return pc.utf8_length(pc.replace_substring_regex(texts, r"\PL+", "")).to_numpy(zero_copy_only=False)

    monkeypatch.setattr(langid, "_letters", counted)
    texts = ["Рынок открывается у реки", "السوق في المدينة يفتح غدا", "Ж б в", "Το χωριό ξυπνά νωρίς", "ok"]
    assert langid.enough_letters(pa.array(texts)).tolist() == [True, True, False, True, False]
    assert seen == ["Ж б в", "Το χωριό ξυπνά νωρίς", "ok"]


def test_enough_letters_matches_counting_every_letter_on_random_texts():
    """2,000 random texts of mixed scripts, marks, digits, emoji and punctuation, most near MIN_LETTERS letters."""
    pools = [
        string.ascii_letters,
        string.digits + string.punctuation + " \n\t",
        "".join(map(chr, range(0x0400, 0x0500))),  # all of Cyrillic, signs and marks too
        "".join(map(chr, range(0x0600, 0x0700))),  # all of Arabic: punctuation, digits, marks, letters
        "".join(map(chr, range(0x0370, 0x0400))),  # Greek and Coptic, with its unassigned code points
        "".join(map(chr, range(0x4E00, 0x4E80))),
        "".join(map(chr, range(0x00A0, 0x0100))) + "\u0301\u200d\ufe0f",
        "😀🎉👍🏽🇺🇦❤️",
    ]
    rng = random.Random(20240611)
    texts = ["".join(rng.choice(rng.choice(pools)) for _ in range(rng.randint(0, 40))) for _ in range(2000)]
    arr = pa.array(texts, pa.large_string())
    expected = [_has_enough_letters(t) for t in texts]
    assert 200 < sum(expected) < 1800
    assert langid.enough_letters(arr).tolist() == expected
    assert langid.enough_letters(arr.slice(7, 1500)).tolist() == expected[7:1507]
    # The byte scan is a lower bound of every text's letters.
    exact = [sum(unicodedata.category(c).startswith("L") for c in t) for t in texts]
    assert (langid._sure_letters(arr) <= np.array(exact)).all()


def test_byte_counts_of_long_texts_do_not_overflow():
    """Counts narrow to int16 only when no text could overflow it; an overflow would send long texts to the regex."""
    texts = pa.array(["a" * 40_000, "", "Ж" * 70_000 + "a", "b" * 32_767, "c"])
    assert langid._ascii_letters(texts).tolist() == [40_000, 0, 1, 32_767, 1]
    assert langid._sure_letters(texts).tolist() == [40_000, 0, 70_001, 32_767, 1]
    assert langid._sure_letters(texts.slice(3)).tolist() == [32_767, 1]
    assert langid._sure_letters(pa.array([], pa.string())).tolist() == []
    for longest in (2**15 - 1, 2**15):  # either side of int16's limit
        assert langid._ascii_letters(pa.array(["d" * longest, "e"])).tolist() == [longest, 1]
