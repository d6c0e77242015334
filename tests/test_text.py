"""Text processing: entity extraction, normal forms, URL normalisation, offline language detection."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner import text as tx


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("#AllEyesOnISIS and #alleyesonisis", ["alleyesonisis"]),
        ("#GreyLanternRises #Valleyton", ["greylanternrises", "valleyton"]),
        ("Cyrillic #Россия and Arabic #مرحبا", ["россия", "مرحبا"]),
        ("full-width ＃ＧｒｅｙＬａｎｔｅｒｎ", ["greylantern"]),
        ("digits only #2026 and #tag_2026", ["tag_2026"]),
        ("glued a#b, html &#39; and C# rocks", []),
        ("end of sentence #riverfestival.", ["riverfestival"]),
        ("", []),
    ],
)
def test_extract_hashtags(text, tags):
    assert tx.extract_hashtags(text) == tags


def test_hashtag_key_is_case_and_form_insensitive():
    assert tx.hashtag_key("#AllEyesOnISIS") == tx.hashtag_key("#alleyesonisis") == "alleyesonisis"
    assert tx.hashtag_key("＃ＡＢＣ") == "abc"
    assert tx.hashtag_key("#Straße") == "strasse"


def test_extract_mentions():
    assert tx.extract_mentions("RT @Grey_One: hi @bob, @BOB again; mail a@b.example") == ["grey_one", "bob"]


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("read https://greylantern-news.example/a.", ["https://greylantern-news.example/a"]),
        ("(see https://example.org/a_(b))", ["https://example.org/a_(b)"]),
        ("[Читать](https://example.org/x)**дальше**", ["https://example.org/x"]),
        ("www.example.org/path, and more", ["www.example.org/path"]),
        ("no links here", []),
    ],
)
def test_extract_urls(text, urls):
    assert tx.extract_urls(text) == urls


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("HTTP://WWW.Example.com:80/", "https://example.com"),
        ("https://example.com/a?utm_source=x&id=7&fbclid=abc#top", "https://example.com/a?id=7"),
        ("www.greylantern-news.example/story", "https://greylantern-news.example/story"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://пример.рф/", "https://xn--e1afmkfd.xn--p1ai"),
        ("mailto:someone@example.org", ""),
        ("https://", ""),
        ("", ""),
    ],
)
def test_normalise_url(url, normal):
    assert tx.normalise_url(url) == normal


def test_normalise_arabic_and_cyrillic():
    # Diacritics and tatweel go, alef forms unify; Cyrillic is only case-folded.
    assert tx.normalise("أَهْلاً  بِكُمْ") == tx.normalise("اهلا بكم") == "اهلا بكم"
    assert tx.normalise("كـــتاب") == "كتاب"
    assert tx.normalise("إسلام آمن") == "اسلام امن"
    assert tx.normalise("Привет МИР") == "привет мир"
    assert tx.normalise("ﬁne Ｔｅｘｔ") == "fine text"


def test_detect_language_offline():
    assert tx.detect_language("The market in Valleyton opens at nine tomorrow morning") == "en"
    assert tx.detect_language("Глубокое погружение в интеграцию с очередями сообщений") == "ru"
    assert tx.detect_language("السوق في المدينة يفتح غدا في الساعة التاسعة صباحا") == "ar"
    assert tx.detect_language("ok #tag https://example.org @someone") == ""


@given(st.text(max_size=300))
def test_extractors_never_fail_and_return_normal_forms(text):
    for tag in tx.extract_hashtags(text):
        assert tag == tx.hashtag_key(tag) and tag and " " not in tag
    for handle in tx.extract_mentions(text):
        assert handle == handle.lower() and " " not in handle
    for url in tx.extract_urls(text):
        normal = tx.normalise_url(url)
        assert normal == "" or normal.startswith("https://")
    assert tx.normalise(tx.normalise(text)) == tx.normalise(text)
