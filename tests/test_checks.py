"""Checks: each one passing and failing, the registry, and the context read from watchlists and trends."""

from __future__ import annotations

import pytest
from planfixtures import SLOGAN, make_campaign, make_channels, make_trend, make_watchlist

from planner import checks, drafts

CTX = checks.CheckContext(
    language="en",
    audience_languages=["en"],
    call_to_action="Join a mentoring evening",
    watch_hashtags={"#lanterncalls"},
    watch_accounts={"@greylantern_hq"},
    watch_domains={"greylantern-news.example"},
    watch_terms=[SLOGAN.lower(), "lantern"],
    trend_texts=[
        "the order keeps the valley safe when the cities forget us #lanterncalls",
        "only the order keeps the valley safe, join now",
    ],
    trend_labels=["#lanterncalls"],
)
GOOD = "Forty new apprenticeships opened in Valleyton this autumn. Join a mentoring evening on Friday."
# check id -> (text that passes, text that fails, platform)
CASES = {
    "empty_text": (GOOD, "   ", "x"),
    "length": ("a" * 280, "a" * 281, "x"),
    "link_not_clickable": ("Join us: link in bio", "Join us: https://valleyvoices.org/m", "instagram"),
    "missing_cta": (GOOD, "Forty new apprenticeships opened in Valleyton this autumn.", "facebook"),
    "link_without_utm": (
        "Read more https://valleyvoices.org/m?utm_source=x&utm_medium=social&utm_campaign=v",
        "Read more https://valleyvoices.org/m",
        "x",
    ),
    "watchlisted_domain": (
        "Read https://valleyvoices.org/facts",
        "Read https://www.greylantern-news.example/story",
        "web",
    ),
    "adversary_hashtag": (GOOD + " #ValleyTogether", GOOD + " #LanternCalls", "x"),
    "adversary_account": (GOOD + " @valleyvoices", "@GreyLantern_HQ " + GOOD, "x"),
    "verbatim_repetition": (
        "Some posts say the valley is unsafe without them. It is not: crime fell this year. Join us Friday.",
        "They say only the order keeps the valley safe. It does not. Join us Friday.",
        "x",
    ),
    "language_mismatch": (GOOD, "Quarante nouveaux apprentissages ont ouvert cette année dans la vallée.", "x"),
}


def ids(text, platform, ctx=CTX, has_media=False):
    return {f.id for f in checks.run_checks(checks.CheckInput(text, platform, platform, has_media), ctx)}


def test_every_registered_check_has_cases():
    assert set(CASES) == set(checks.CHECKS)


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_check_passes_and_fails(check_id):
    good, bad, platform = CASES[check_id]
    assert check_id not in ids(good, platform)
    failing = checks.run_checks(checks.CheckInput(bad, platform, "chan"), CTX, only=[check_id])
    assert [f.id for f in failing] and {f.id for f in failing} == {check_id}
    f = failing[0]
    assert f.severity == checks.CHECKS[check_id].severity and f.message and f.fix and f.channel == "chan"
    assert f.amplification == checks.CHECKS[check_id].amplification


def test_severities_and_amplification_flags():
    assert checks.CHECKS["length"].severity == "error" and checks.CHECKS["empty_text"].severity == "error"
    risky = {c.id for c in checks.CHECKS.values() if c.amplification}
    assert risky == {"watchlisted_domain", "adversary_hashtag", "adversary_account", "verbatim_repetition"}


def test_length_counts_urls_as_23_on_x():
    text = "a" * 250 + " https://valleyvoices.org/" + "p" * 100  # 251 + 23 = 274 weighted
    assert "length" not in ids(text, "x")
    assert "length" in ids("a" * 1025, "telegram", has_media=True)
    assert "length" not in ids("a" * 1025, "telegram")


def test_repetition_reports_share_and_example():
    (f,) = checks.run_checks(
        checks.CheckInput(CASES["verbatim_repetition"][1], "x", "X"), CTX, only=["verbatim_repetition"]
    )
    assert "only the order keeps the valley safe" in f.message and "#lanterncalls" in f.message
    single_word_term = checks.run_checks(checks.CheckInput("The lantern festival", "x"), CTX, ["verbatim_repetition"])
    assert single_word_term == []  # one-word terms are topics, not slogans


def test_slogan_repeated_word_for_word():
    found = checks.run_checks(checks.CheckInput(f"“{SLOGAN}”, they say.", "x"), CTX, ["verbatim_repetition"])
    assert "word for word" in found[0].message


def test_language_declared_differently_from_audience():
    ctx = checks.CheckContext(**{**CTX.__dict__, "language": "fr"})
    assert "language_mismatch" in ids(GOOD, "x", ctx)
    assert checks.detect_language("Join us") is None  # too short to tell
    assert checks.detect_language(GOOD)[0] == "en"


def test_missing_cta_accepts_the_campaign_cta_or_a_link():
    assert "missing_cta" not in ids("Evenings at the centre. Join a mentoring evening.", "x")
    assert "missing_cta" not in ids("Evenings at the centre: https://valleyvoices.org", "x")


def test_register_refuses_duplicates_and_bad_severity():
    class Again(checks.Check):
        id = "length"
        severity = "error"

    class Loud(checks.Check):
        id = "loud"
        severity = "critical"

    with pytest.raises(ValueError, match="twice"):
        checks.register(Again)
    with pytest.raises(ValueError, match="severity"):
        checks.register(Loud)


def test_context_reads_watchlists_and_linked_trend_posts(session, drafter):
    camp = make_campaign(session, drafter, audience_languages=["en", "cy"])
    chans = make_channels(session)
    trend = make_trend(session, "#lanterncalls", ("only the order keeps the valley safe", "unrelated words here"))
    make_trend(session, "#other", ("only the order keeps the valley safe too",))
    make_watchlist(session, [("domain", "www.greylantern-news.example"), ("account", "GreyLantern_HQ")])
    d = drafts.create_draft(
        session,
        drafter,
        camp.id,
        {"title": "t", "variants": {chans["x"]: "Only the order keeps the valley safe? No."}, "trend_ids": [trend.id]},
    )
    ctx = checks.context_for(session, draft=d)
    assert ctx.audience_languages == ["en", "cy"] and ctx.call_to_action == "Join a mentoring evening"
    assert ctx.watch_domains == {"greylantern-news.example"} and ctx.watch_accounts == {"@greylantern_hq"}
    assert "#lanterncalls" in ctx.watch_hashtags  # the linked trend's hashtag counts as theirs
    assert sorted(ctx.trend_texts) == ["only the order keeps the valley safe", "unrelated words here"]
    found = {f.id for f in checks.check_draft(session, d, ctx)}
    assert "verbatim_repetition" in found
    assert checks.needs_acknowledgement(checks.check_draft(session, d))


def test_trend_posts_outside_the_window_are_ignored(session):
    from datetime import timedelta

    trend = make_trend(session, "valley safe", ("the valley safe again",), kind="term")
    assert checks.trend_post_texts(session, trend) == ["the valley safe again"]
    trend.detected_at += timedelta(days=5)
    trend.peak_at += timedelta(days=5)
    session.commit()
    assert checks.trend_post_texts(session, trend) == []
