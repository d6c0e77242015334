"""Safety and quality checks on a draft's text: one small class per check, collected in a registry.

Errors block submission. Warnings flagged `amplification` (the text would spread the adversary's content) must be
acknowledged by the approving reviewer with a reason.
To add a check: subclass Check, set id/severity/title, implement run(), and decorate it with @register.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from planner import channels, wording
from planner.campaigns import plan
from planner.drafts import find_urls, has_utm
from planner.models import Campaign, CampaignTrend, Channel, Draft, DraftTrend, Post, Trend, WatchlistItem

SEVERITIES = ("error", "warning", "info")
# Word n-grams shared with the trend's posts, as a share of the draft's n-grams, above which we warn.
NGRAM = 4
REPETITION_THRESHOLD = 0.2
# Monitored posts read per linked trend for the repetition check.
TREND_POSTS_LIMIT = 300
# Language detection is only trusted on text of at least this many words and this confidence.
LANGUAGE_MIN_WORDS = 5
LANGUAGE_MIN_CONFIDENCE = 0.9
HASHTAG_RE = re.compile(r"(?<![\w#])#(\w+)", re.UNICODE)
MENTION_RE = re.compile(r"(?<![\w@])@(\w{1,50})", re.UNICODE)
WORD_RE = re.compile(r"\w+", re.UNICODE)
# Imperative openings that make a clear next step when the campaign's own call to action is not quoted.
CTA_CUES = (
    "join",
    "read",
    "learn",
    "visit",
    "watch",
    "listen",
    "share",
    "sign",
    "call",
    "talk",
    "ask",
    "come",
    "register",
    "volunteer",
    "find out",
    "check",
    "see",
    "meet",
    "tell",
    "contact",
    "download",
    "donate",
    "reply",
)


@dataclass(frozen=True)
class Finding:
    id: str
    severity: str
    message: str
    fix: str
    channel: str = ""
    amplification: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class CheckContext:
    """What the checks know besides the text: the campaign, watchlists and the linked trends' posts."""

    language: str = ""  # the draft's declared language
    audience_languages: list[str] = field(default_factory=list)
    call_to_action: str = ""
    campaign_name: str = ""
    watch_hashtags: set[str] = field(default_factory=set)  # "#tag"
    watch_accounts: set[str] = field(default_factory=set)  # "@handle"
    watch_domains: set[str] = field(default_factory=set)  # "domain.tld"
    watch_terms: list[str] = field(default_factory=list)
    trend_texts: list[str] = field(default_factory=list)
    trend_labels: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CheckInput:
    text: str
    platform: str
    channel: str = ""
    has_media: bool = False


class Check:
    """One check. Subclasses set id, severity, title (and amplification) and implement run()."""

    id: str = ""
    severity: str = "warning"
    title: str = ""
    amplification: bool = False

    def run(self, inp: CheckInput, ctx: CheckContext) -> list[Finding]:
        raise NotImplementedError

    def finding(self, inp: CheckInput, message: str, fix: str, severity: str | None = None) -> Finding:
        return Finding(self.id, severity or self.severity, message, fix, inp.channel, self.amplification)


CHECKS: dict[str, Check] = {}


def register(cls: type[Check]) -> type[Check]:
    """Add a check class to the registry (used as a decorator)."""
    if not cls.id or cls.severity not in SEVERITIES:
        raise ValueError(f"check {cls.__name__} needs an id and a severity in {SEVERITIES}")
    if cls.id in CHECKS:
        raise ValueError(f"check id {cls.id!r} is registered twice")
    CHECKS[cls.id] = cls()
    return cls


def _hashtags(text: str) -> list[str]:
    return ["#" + t.lower() for t in HASHTAG_RE.findall(text or "")]


def _mentions(text: str) -> list[str]:
    return ["@" + t.lower() for t in MENTION_RE.findall(text or "")]


def _domain(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def _words(text: str) -> list[str]:
    return WORD_RE.findall((text or "").lower())


def _plain(text: str) -> str:
    """Return text without URLs, hashtags and mentions (for language detection and n-grams)."""
    out = text or ""
    for url in find_urls(out):
        out = out.replace(url, " ")
    return MENTION_RE.sub(" ", HASHTAG_RE.sub(" ", out))


@register
class EmptyText(Check):
    id = "empty_text"
    severity = "error"
    title = "Text is empty"

    def run(self, inp, ctx):
        if (inp.text or "").strip():
            return []
        return [self.finding(inp, "The text is empty.", "Write the post, or remove this channel from the draft.")]


@register
class Length(Check):
    id = "length"
    severity = "error"
    title = "Too long for the platform"

    def run(self, inp, ctx):
        n = channels.count(inp.platform, inp.text, has_media=inp.has_media)
        if not n.over:
            return []
        rules = channels.rules(inp.platform)
        return [
            self.finding(
                inp,
                f"{rules.label} allows {n.limit:,} and this counts {n.length:,} ({n.over:,} over; {rules.counting}).",
                f"Cut {n.over:,} characters" + (" (every link counts as 23 on X)" if inp.platform == "x" else "") + ".",
            )
        ]


@register
class LinkNotClickable(Check):
    id = "link_not_clickable"
    severity = "info"
    title = "Links are not clickable on this platform"

    def run(self, inp, ctx):
        if channels.rules(inp.platform).links_clickable or not find_urls(inp.text):
            return []
        label = channels.rules(inp.platform).label
        return [
            self.finding(
                inp,
                f"Links in {label} captions are not clickable.",
                "Say where the link is instead (e.g. 'link in bio') and put it there.",
            )
        ]


@register
class MissingCallToAction(Check):
    id = "missing_cta"
    severity = "warning"
    title = "No call to action"

    def run(self, inp, ctx):
        text = (inp.text or "").lower()
        if not text.strip() or find_urls(text):
            return []
        cta_words = _words(ctx.call_to_action)
        if cta_words and " ".join(cta_words[:4]) in " ".join(_words(text)):
            return []
        if any(re.search(rf"\b{re.escape(cue)}\b", text) for cue in CTA_CUES):
            return []
        hint = f" The campaign's call to action: {ctx.call_to_action!r}." if ctx.call_to_action else ""
        return [
            self.finding(
                inp,
                "No call to action: the text gives the audience no next step and no link.",
                "End with one simple, doable step (a link, 'join', 'read', 'talk to')." + hint,
            )
        ]


@register
class LinkWithoutUtm(Check):
    id = "link_without_utm"
    severity = "warning"
    title = "Link without UTM tags"

    def run(self, inp, ctx):
        bare = [u for u in find_urls(inp.text) if not has_utm(u) and _domain(u) not in ctx.watch_domains]
        if not bare:
            return []
        return [
            self.finding(
                inp,
                f"{wording.plural(len(bare), 'link')} without UTM tags, so clicks cannot be attributed: {bare[0]}",
                "Use 'Tag links' (source = platform, medium = social, campaign = the campaign) before submitting.",
            )
        ]


@register
class WatchlistedDomain(Check):
    id = "watchlisted_domain"
    severity = "warning"
    title = "Link to a watchlisted domain"
    amplification = True

    def run(self, inp, ctx):
        hits = sorted(
            {
                d
                for d in (_domain(u) for u in find_urls(inp.text))
                if any(d == w or d.endswith("." + w) for w in ctx.watch_domains)
            }
        )
        if not hits:
            return []
        return [
            self.finding(
                inp,
                f"Links to {wording.noun(len(hits), 'watchlisted domain')} {', '.join(hits)}: "
                "each click sends the adversary traffic.",
                "Link to a credible source or an archived copy instead; describe their content, don't link it.",
            )
        ]


@register
class AdversaryHashtag(Check):
    id = "adversary_hashtag"
    severity = "warning"
    title = "Uses the adversary's hashtag"
    amplification = True

    def run(self, inp, ctx):
        hits = sorted(set(_hashtags(inp.text)) & ctx.watch_hashtags)
        if not hits:
            return []
        return [
            self.finding(
                inp,
                f"Uses the adversary's {wording.noun(len(hits), 'hashtag')} {', '.join(hits)}: the post will show up "
                "in their stream and "
                "push it up the trends.",
                "Remove the hashtag; describe the topic in your own words or use your campaign's hashtag.",
            )
        ]


@register
class AdversaryAccount(Check):
    id = "adversary_account"
    severity = "warning"
    title = "Mentions the adversary's account"
    amplification = True

    def run(self, inp, ctx):
        hits = sorted(set(_mentions(inp.text)) & ctx.watch_accounts)
        if not hits:
            return []
        return [
            self.finding(
                inp,
                f"Mentions {wording.noun(len(hits), 'watchlisted account')} {', '.join(hits)}: it notifies them and "
                "gives them a stage.",
                "Remove the mention; don't argue with the accounts spreading the propaganda.",
            )
        ]


def _ngrams(words: list[str], n: int = NGRAM) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


@lru_cache(maxsize=8)
def _corpus_ngrams(texts: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    grams: set[tuple[str, ...]] = set()
    for t in texts:
        grams |= _ngrams(_words(_plain(t)))
    return frozenset(grams)


def _longest_shared(words: list[str], shared: set[tuple[str, ...]]) -> str:
    best, run_start, i = (0, 0), None, 0
    for i in range(len(words) - NGRAM + 1):
        if tuple(words[i : i + NGRAM]) in shared:
            run_start = i if run_start is None else run_start
            length = i - run_start + NGRAM
            if length > best[0]:
                best = (length, run_start)
        else:
            run_start = None
    length, start = best
    return " ".join(words[start : start + length])


@register
class VerbatimRepetition(Check):
    id = "verbatim_repetition"
    severity = "warning"
    title = "Repeats the propaganda verbatim"
    amplification = True

    def run(self, inp, ctx):
        words = _words(_plain(inp.text))
        out = []
        text = " ".join(words)
        for term in ctx.watch_terms:
            term_words = _words(term)
            if len(term_words) >= 3 and f" {' '.join(term_words)} " in f" {text} ":
                out.append(
                    self.finding(
                        inp,
                        f"Repeats a watchlisted slogan word for word: {' '.join(term_words)!r}.",
                        "Paraphrase the claim once, in your own words, and lead with the fact (truth sandwich).",
                    )
                )
        grams = _ngrams(words)
        if grams and ctx.trend_texts:
            shared = grams & _corpus_ngrams(tuple(ctx.trend_texts))
            share = len(shared) / len(grams)
            if share >= REPETITION_THRESHOLD:
                example = _longest_shared(words, shared)
                trends = ", ".join(ctx.trend_labels) or "the linked trend"
                out.append(
                    self.finding(
                        inp,
                        f"{share:.0%} of this text's {NGRAM}-word sequences appear verbatim in monitored posts of "
                        f"{trends} (threshold {REPETITION_THRESHOLD:.0%}), e.g. {example!r}.",
                        "Don't repeat the myth verbatim: paraphrase it once and lead with the fact.",
                    )
                )
        return out


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str, float] | None:
    """Return (ISO 639-1 code, confidence) for text long enough to tell, else None."""
    plain = _plain(text)
    if len(_words(plain)) < LANGUAGE_MIN_WORDS:
        return None
    lang, prob = _identifier().classify(plain)
    return (lang, float(prob)) if prob >= LANGUAGE_MIN_CONFIDENCE else None


@register
class LanguageMismatch(Check):
    id = "language_mismatch"
    severity = "warning"
    title = "Language differs from the audience's"

    def run(self, inp, ctx):
        expected = [x.split("-")[0].lower() for x in (ctx.audience_languages or [ctx.language]) if x]
        if not expected:
            return []
        declared = (ctx.language or "").split("-")[0].lower()
        if declared and ctx.audience_languages and declared not in expected:
            return [
                self.finding(
                    inp,
                    f"The draft is marked {declared!r} but the audience reads {', '.join(expected)}.",
                    "Write for the audience's language, or change the campaign's audience languages.",
                )
            ]
        found = detect_language(inp.text)
        if found is None or found[0] in expected:
            return []
        lang, prob = found
        return [
            self.finding(
                inp,
                f"The text reads as {lang!r} ({prob:.0%} sure) but the audience reads {', '.join(expected)}.",
                "Translate the text, or check the draft's language and the campaign's audience languages.",
            )
        ]


def run_checks(inp: CheckInput, ctx: CheckContext, only: list[str] | None = None) -> list[Finding]:
    """Run every registered check (or those in `only`) on one text; return findings, errors first."""
    findings: list[Finding] = []
    for check_id, check in CHECKS.items():
        if only is None or check_id in only:
            findings.extend(check.run(inp, ctx))
    return sorted(findings, key=lambda f: SEVERITIES.index(f.severity))


def check_texts(inputs: list[CheckInput], master: CheckInput, ctx: CheckContext) -> list[Finding]:
    """Run the checks on every channel's text, or on the master text when no channel is chosen; errors first."""
    findings = [f for inp in inputs for f in run_checks(inp, ctx)] if inputs else run_checks(master, ctx)
    return sorted(findings, key=lambda f: SEVERITIES.index(f.severity))


# ---- context from the workspace -----------------------------------------------------------------------------


def watchlist_items(session: Session) -> list[tuple[str, str]]:
    """Return every watchlist entry as (kind, normalised value)."""
    return [(k, v) for k, v in session.execute(select(WatchlistItem.kind, WatchlistItem.value))]


def trend_post_texts(session: Session, trend: Trend, limit: int = TREND_POSTS_LIMIT) -> list[str]:
    """Return texts of monitored posts behind a trend, around its detection and peak (at most `limit`)."""
    key = (trend.key or "").strip().lower()
    if not key:
        return []
    if trend.kind == "hashtag":
        tag = key.lstrip("#")
        cond = (" " + func.lower(Post.hashtags) + " ").contains(f" {tag} ", autoescape=True)
    elif trend.kind == "term":
        cond = func.lower(Post.text).contains(key, autoescape=True)
    elif trend.kind in ("domain", "url"):
        cond = func.lower(Post.urls).contains(key, autoescape=True)
    else:
        return []
    stmt = (
        select(Post.text)
        .where(
            cond,
            Post.created_at >= trend.detected_at - timedelta(days=1),
            Post.created_at <= trend.peak_at + timedelta(days=1),
        )
        .order_by(Post.created_at)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def context_for(
    session: Session,
    *,
    campaign: Campaign | None = None,
    draft: Draft | None = None,
    items: list[tuple[str, str]] | None = None,
) -> CheckContext:
    """Build the check context for a draft (or a campaign alone): watchlists, linked trends and their posts."""
    items = watchlist_items(session) if items is None else items
    ctx = CheckContext()
    if draft is not None:
        ctx.language = draft.language
        campaign = campaign or session.get(Campaign, draft.campaign_id)
    if campaign is not None:
        p = plan(campaign)
        ctx.audience_languages = p["audience_languages"]
        ctx.call_to_action = p["call_to_action"]
        ctx.campaign_name = campaign.name
    for kind, value in items:
        value = (value or "").strip().lower()
        if kind == "hashtag":
            ctx.watch_hashtags.add(value if value.startswith("#") else "#" + value)
        elif kind == "account":
            ctx.watch_accounts.add(value if value.startswith("@") else "@" + value)
        elif kind == "domain":
            ctx.watch_domains.add(value[4:] if value.startswith("www.") else value)
        elif kind == "term":
            ctx.watch_terms.append(value)
    trend_ids: list[int] = []
    if draft is not None and draft.id:
        trend_ids = list(session.scalars(select(DraftTrend.trend_id).where(DraftTrend.draft_id == draft.id)))
    if not trend_ids and campaign is not None:
        trend_ids = list(
            session.scalars(select(CampaignTrend.trend_id).where(CampaignTrend.campaign_id == campaign.id))
        )
    trends = list(session.scalars(select(Trend).where(Trend.id.in_(trend_ids)))) if trend_ids else []
    for t in trends:
        ctx.trend_labels.append(t.key)
        ctx.trend_texts.extend(trend_post_texts(session, t))
        if t.kind == "hashtag":  # a trending propaganda hashtag is the adversary's even if nobody watchlisted it
            ctx.watch_hashtags.add(t.key.lower() if t.key.startswith("#") else "#" + t.key.lower())
    return ctx


def check_draft(session: Session, draft: Draft, ctx: CheckContext | None = None) -> list[Finding]:
    """Run every check on each of the draft's variants (or its master text when it has none)."""
    ctx = ctx or context_for(session, draft=draft)
    has_media = draft.media not in ("", "[]")
    findings: list[Finding] = []
    if not draft.variants:
        findings += run_checks(CheckInput(draft.master_text, "web", "master text", has_media), ctx)
    for v in draft.variants:
        channel = session.get(Channel, v.channel_id)
        findings += run_checks(CheckInput(v.text, channel.platform, channels.label(channel), has_media), ctx)
    return sorted(findings, key=lambda f: SEVERITIES.index(f.severity))


def errors(findings: list[Finding]) -> list[Finding]:
    """Return the findings that block submission."""
    return [f for f in findings if f.severity == "error"]


def needs_acknowledgement(findings: list[Finding]) -> list[Finding]:
    """Return the amplification-risk warnings a reviewer must acknowledge with a reason."""
    return [f for f in findings if f.amplification and f.severity == "warning"]
