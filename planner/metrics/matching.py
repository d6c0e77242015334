"""Match export rows to our published entries: by post id or link, else proposals by text and time to confirm."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from difflib import SequenceMatcher
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.metrics.snapshots import entry_label
from planner.models import Channel, Draft, DraftVariant, MetricPostRef, ScheduleEntry

# Proposals: candidates published within this window of the row's date, scored by text (mostly) and time.
PROPOSAL_WINDOW = timedelta(days=3)
TEXT_WEIGHT = 0.7
MIN_SCORE = 0.45
MAX_CANDIDATES = 3
# Platforms whose links name the same post under several hosts.
_HOST_ALIASES = {"twitter.com": "x.com", "mobile.twitter.com": "x.com", "youtu.be": "youtube.com"}
_ID_PATTERNS = (
    re.compile(r"(?:x|twitter)\.com/(?:[^/]+|i/web)/status(?:es)?/(\d+)"),
    re.compile(r"youtube\.com/(?:shorts|live|embed)/([\w-]{6,})"),
    re.compile(r"youtu\.be/([\w-]{6,})"),
    re.compile(r"instagram\.com/(?:[^/]+/)?(?:p|reel|reels|tv)/([\w-]+)"),
    re.compile(r"facebook\.com/(?:[^/]+/)?(?:posts|videos|reel)/(?:[^/]+/)?(\d+)"),
    re.compile(r"t\.me/[^/]+/(\d+)"),
)
_URL_IN_TEXT = re.compile(r"https?://\S+")


def normalise_url(url: str | None) -> str:
    """Return a comparable form of a post link: lower-case host without www/m, no tracking, no trailing slash."""
    url = (url or "").strip()
    if not url:
        return ""
    if "://" not in url:
        url = "https://" + url
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:  # not a link at all ("//[", a bad port): it matches nothing
        return ""
    for prefix in ("www.", "m.", "mobile.", "web."):
        host = host.removeprefix(prefix)
    host = _HOST_ALIASES.get(host, host)
    query = parse_qs(parts.query)
    keep = [f"{k}={query[k][0]}" for k in ("v", "story_fbid", "id", "fbid") if k in query]
    path = parts.path.rstrip("/")
    return f"{host}{path}" + (f"?{'&'.join(keep)}" if keep else "")


def post_id_from_url(url: str | None) -> str | None:
    """Return the platform's post id written in a post link (X status, YouTube video, Instagram code, ...)."""
    url = (url or "").strip()
    if not url:
        return None
    for pattern in _ID_PATTERNS:
        m = pattern.search(url)
        if m:
            return m.group(1)
    try:
        query = parse_qs(urlsplit(url if "://" in url else "https://" + url).query)
    except ValueError:
        return None
    for key in ("v", "story_fbid", "fbid"):
        if key in query:
            return query[key][0]
    return None


def refs(post_id: str | None, url: str | None) -> list[str]:
    """Return the references a post is known by: "id:<id>" (given or read from the link) and "url:<link>"."""
    out = []
    post_id = (post_id or "").strip()
    if post_id:
        out.append(f"id:{post_id}")
    from_url = post_id_from_url(url)
    if from_url and f"id:{from_url}" not in out:
        out.append(f"id:{from_url}")
    norm = normalise_url(url)
    if norm:
        out.append(f"url:{norm}")
    return out


@dataclass(frozen=True)
class PublishedPost:
    """One of our published entries as matching sees it."""

    entry_id: int
    platform: str
    published_at: datetime | None
    text: str
    label: str


def published_posts(session: Session, platform: str | None = None) -> list[PublishedPost]:
    """Return our published entries (of one platform, if given) with their variant text."""
    stmt = (
        select(
            ScheduleEntry.id,
            Channel.platform,
            Channel.handle,
            ScheduleEntry.published_at,
            DraftVariant.text,
            Draft.title,
        )
        .join(Channel, Channel.id == ScheduleEntry.channel_id)
        .join(Draft, Draft.id == ScheduleEntry.draft_id)
        .outerjoin(DraftVariant, DraftVariant.id == ScheduleEntry.variant_id)
        .where(ScheduleEntry.status == "published")
    )
    if platform:
        stmt = stmt.where(Channel.platform == platform)
    return [
        PublishedPost(i, p, at, text or "", entry_label(title, p, handle, at))
        for i, p, handle, at, text, title in session.execute(stmt)
    ]


def ref_index(session: Session, platform: str | None = None) -> dict[str, int]:
    """Return {reference: entry id} for our published entries: their post ids, links and confirmed references."""
    index: dict[str, int] = {}
    stmt = (
        select(ScheduleEntry.id, ScheduleEntry.platform_post_id, ScheduleEntry.published_url)
        .join(Channel, Channel.id == ScheduleEntry.channel_id)
        .where(ScheduleEntry.status == "published")
    )
    confirmed = select(MetricPostRef.ref, MetricPostRef.entry_id)
    if platform:
        stmt = stmt.where(Channel.platform == platform)
        confirmed = confirmed.where(MetricPostRef.platform == platform)
    for entry_id, post_id, url in session.execute(stmt):
        for ref in refs(post_id, url):
            index.setdefault(ref, entry_id)
    for ref, entry_id in session.execute(confirmed):
        index.setdefault(ref, entry_id)
    return index


def match(index: dict[str, int], post_id: str | None, url: str | None) -> int | None:
    """Return the entry a row's post id or link names, or None."""
    for ref in refs(post_id, url):
        if ref in index:
            return index[ref]
    return None


def _clean_text(text: str) -> str:
    return " ".join(_URL_IN_TEXT.sub(" ", (text or "").lower()).split())


def text_similarity(a: str, b: str) -> float:
    """Return how alike two post texts are, from 0 to 1 (links and case ignored)."""
    a, b = _clean_text(a), _clean_text(b)
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


@dataclass(frozen=True)
class Candidate:
    """A published entry a row may be about, with how sure we are and why."""

    entry_id: int
    label: str
    score: float
    why: str


def candidates(
    posts: list[PublishedPost], text: str, published_at: datetime | None, date_only: bool = False
) -> list[Candidate]:
    """Return the best published entries for a row's text and time, best first (at most MAX_CANDIDATES)."""
    window = PROPOSAL_WINDOW + (timedelta(days=1) if date_only else timedelta(0))
    scored = []
    for post in posts:
        if published_at is not None and post.published_at is not None:
            gap = abs(post.published_at - published_at)
            if date_only:
                gap = max(timedelta(0), gap - timedelta(days=1))
            if gap > window:
                continue
            closeness = 1 - gap / window
        else:
            gap, closeness = None, 0.0
        similarity = text_similarity(text, post.text) if text else 0.0
        score = TEXT_WEIGHT * similarity + (1 - TEXT_WEIGHT) * closeness
        if score < MIN_SCORE:
            continue
        parts = [f"text {similarity:.0%} alike"] if text else ["no text to compare"]
        if gap is not None:
            hours = gap.total_seconds() / 3600
            parts.append("published the same day" if date_only and gap == timedelta(0) else f"{hours:.0f} h apart")
        scored.append(Candidate(post.entry_id, post.label, round(score, 3), ", ".join(parts)))
    scored.sort(key=lambda c: (-c.score, c.entry_id))
    return scored[:MAX_CANDIDATES]
