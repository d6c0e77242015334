"""Drafts: master text and per-channel variants, UTM links, comments, version history with diffs and restore.

Saves use optimistic locking: the caller passes the version it loaded, and a stale save raises ConflictError with
the other person's changes; nothing is overwritten.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from planner import audit, wording
from planner.audit import Actor
from planner.auth import Action, can, require
from planner.campaigns import LANGUAGE_RE, get_campaign
from planner.channels import label as channel_label
from planner.db import atomic
from planner.errors import PlannerError
from planner.frames import FRAMES
from planner.models import (
    Approval,
    Campaign,
    Channel,
    Draft,
    DraftComment,
    DraftTrend,
    DraftVariant,
    DraftVersion,
    Trend,
    User,
    utcnow,
)

STATUSES = ("draft", "in_review", "changes_requested", "approved", "scheduled", "published", "archived")
STATUS_WORDS = {s: s.replace("_", " ") for s in STATUSES}
# Editing these returns the draft to "draft" and invalidates approvals; later states are frozen.
EDITABLE = ("draft", "changes_requested", "in_review", "approved")
CONTENT_FIELDS = (
    "title",
    "claim_countered",
    "evidence",
    "frame",
    "language",
    "master_text",
    "variants",
    "media",
    "links",
    "ab_label",
    "trend_ids",
)
URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""
UTM_MEDIUM = "social"


class DraftError(PlannerError):
    """A draft is invalid, frozen or does not exist; the message names the field."""


class ConflictError(PlannerError):
    """Someone saved the draft after you loaded it. `diff` shows their changes; nothing was overwritten."""

    def __init__(self, message: str, *, theirs: dict[str, Any], diff: str, by: list[str], current_version: int):
        super().__init__(message)
        self.theirs = theirs
        self.diff = diff
        self.by = by
        self.current_version = current_version


# ---- links and UTM -------------------------------------------------------------------------------------------


def find_urls(text: str) -> list[str]:
    """Return the http(s) URLs in `text`, without trailing punctuation."""
    return [m.group(0).rstrip(_TRAILING) for m in URL_RE.finditer(text or "")]


def slug(text: str) -> str:
    """Return a lowercase, dash-separated form of `text` for UTM values."""
    return re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")[:60]


def utm_url(url: str, *, source: str, campaign: str, medium: str = UTM_MEDIUM, content: str = "") -> str:
    """Return `url` with utm_source/medium/campaign(/content) set, keeping its other query parameters."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DraftError(f"link: {url!r} is not an http(s) URL")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith("utm_")]
    query += [("utm_source", source), ("utm_medium", medium), ("utm_campaign", slug(campaign))]
    if content:
        query.append(("utm_content", slug(content)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def has_utm(url: str) -> bool:
    """Return True when `url` carries utm_source and utm_campaign."""
    keys = {k for k, _ in parse_qsl(urlsplit(url).query)}
    return {"utm_source", "utm_campaign"} <= keys


def tag_links(text: str, *, platform: str, campaign: str, content: str = "") -> str:
    """Return `text` with every URL tagged for `platform` and `campaign` (source = platform, medium = social)."""
    out = text or ""
    for url in dict.fromkeys(find_urls(out)):
        out = out.replace(url, utm_url(url, source=platform, campaign=campaign, content=content))
    return out


# ---- content, hashing, diffs ---------------------------------------------------------------------------------


def _loads(value: str) -> list:
    return json.loads(value) if value else []


def trend_ids(session: Session, draft_id: int) -> list[int]:
    """Return the ids of the trends a draft answers."""
    return sorted(session.scalars(select(DraftTrend.trend_id).where(DraftTrend.draft_id == draft_id)))


def snapshot(session: Session, draft: Draft) -> dict[str, Any]:
    """Return the draft's content as a JSON-able dict (variants keyed by channel id as text)."""
    return {
        "title": draft.title,
        "claim_countered": draft.claim_countered,
        "evidence": _loads(draft.evidence),
        "frame": draft.frame,
        "language": draft.language,
        "master_text": draft.master_text,
        "variants": {str(v.channel_id): v.text for v in draft.variants},
        "media": _loads(draft.media),
        "links": _loads(draft.links),
        "ab_label": draft.ab_label,
        "trend_ids": trend_ids(session, draft.id) if draft.id else [],
    }


def _hash(content: dict[str, Any]) -> str:
    raw = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def content_hash(draft: Draft) -> str:
    """Return the SHA-256 of exactly what would be published: every variant, media with alt text, links."""
    return _hash(
        {
            "master_text": draft.master_text,
            "language": draft.language,
            "variants": sorted([v.channel_id, v.text] for v in draft.variants),
            "media": _loads(draft.media),
            "links": _loads(draft.links),
            "ab_label": draft.ab_label,
        }
    )


def snapshot_hash(snap: dict[str, Any]) -> str:
    """Return the content hash of a stored version's snapshot (equal to content_hash of that content)."""
    return _hash(
        {
            "master_text": snap.get("master_text", ""),
            "language": snap.get("language", ""),
            "variants": sorted([int(k), v] for k, v in snap.get("variants", {}).items()),
            "media": snap.get("media", []),
            "links": snap.get("links", []),
            "ab_label": snap.get("ab_label", ""),
        }
    )


def render_content(
    snap: dict[str, Any], channel_names: dict[str, str] | None = None, trend_names: dict[int, str] | None = None
) -> list[str]:
    """Return a snapshot as readable lines (for diffs); trends are named by their key."""
    names = channel_names or {}
    keys = trend_names or {}
    lines = [f"Title: {snap.get('title', '')}", f"Language: {snap.get('language', '')}"]
    lines += [f"Frame: {snap.get('frame', '')}", f"A/B label: {snap.get('ab_label', '')}"]
    lines += [f"Claim countered: {snap.get('claim_countered', '')}"]
    lines += [f"Evidence: {e.get('title', '')} {e.get('url', '')}".rstrip() for e in snap.get("evidence", [])]
    lines += [f"Trend: {keys.get(int(t), 'a trend no longer stored')}" for t in snap.get("trend_ids", [])]
    lines += ["", "== Master text =="] + (snap.get("master_text") or "").splitlines()
    for cid, text in sorted(snap.get("variants", {}).items(), key=lambda kv: int(kv[0])):
        lines += ["", f"== {names.get(cid, 'channel ' + cid)} =="] + (text or "").splitlines()
    lines += [f"Media: {m.get('ref', '')} (alt: {m.get('alt_text', '')})" for m in snap.get("media", [])]
    lines += [f"Link: {u}" for u in snap.get("links", [])]
    return lines


def channel_names(session: Session) -> dict[str, str]:
    """Return display names of every channel keyed by id as text."""
    return {str(c.id): channel_label(c) for c in session.scalars(select(Channel))}


def trend_keys(session: Session, ids: list[int] | None = None) -> dict[int, str]:
    """Return trend keys ('#lanterncalls') by id, for naming linked trends."""
    stmt = select(Trend.id, Trend.key)
    if ids is not None:
        stmt = stmt.where(Trend.id.in_(ids))
    return dict(session.execute(stmt).all())


def diff_text(
    old: dict[str, Any],
    new: dict[str, Any],
    names: dict[str, str] | None = None,
    labels=("a", "b"),
    trend_names: dict[int, str] | None = None,
) -> str:
    """Return a unified diff between two snapshots ('' when equal)."""
    return "\n".join(
        difflib.unified_diff(
            render_content(old, names, trend_names),
            render_content(new, names, trend_names),
            labels[0],
            labels[1],
            lineterm="",
            n=2,
        )
    )


# ---- the editor's text fields ---------------------------------------------------------------------------------


def _pairs(text: str) -> list[list[str]]:
    return [[p.strip() for p in line.split("|", 1)] for line in (text or "").splitlines() if line.strip()]


def fields_from_text(evidence: str = "", links: str = "", media: str = "") -> dict[str, list]:
    """Return evidence, links and media from the editor's one-a-line text ('title | URL', 'URL', 'file | alt')."""
    return {
        "evidence": [{"title": p[0], "url": p[1] if len(p) > 1 else ""} for p in _pairs(evidence)],
        "links": [line.strip() for line in (links or "").splitlines() if line.strip()],
        "media": [{"ref": p[0], "alt_text": p[1] if len(p) > 1 else ""} for p in _pairs(media)],
    }


def fields_as_text(snap: dict[str, Any]) -> dict[str, str]:
    """Return a snapshot's evidence, links and media as the editor's one-a-line text."""
    return {
        "evidence": "\n".join(f"{e['title']} | {e['url']}" for e in snap.get("evidence", [])),
        "links": "\n".join(snap.get("links", [])),
        "media": "\n".join(f"{m['ref']} | {m['alt_text']}" for m in snap.get("media", [])),
    }


def can_edit(actor: Actor, draft: Draft) -> bool:
    """Return True when `actor` may edit `draft` now (role allows it and the draft is not frozen)."""
    return can(actor, Action.EDIT_DRAFTS) and draft.status in EDITABLE


# ---- validation ---------------------------------------------------------------------------------------------


def _clean(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    d = dict(data)
    unknown = set(d) - set(CONTENT_FIELDS)
    if unknown:
        raise DraftError(f"unknown draft field(s): {', '.join(sorted(unknown))}")
    for f in ("title", "claim_countered", "frame", "language", "master_text", "ab_label"):
        if f in d:
            d[f] = str(d[f] or "").strip() if f != "master_text" else str(d[f] or "")
    if "title" in d and not d["title"]:
        raise DraftError("title: give the draft a short title")
    if d.get("frame") and d["frame"] not in FRAMES:
        raise DraftError(f"frame: {d['frame']!r} is not one of {', '.join(FRAMES)}")
    if "language" in d and not LANGUAGE_RE.match(d["language"]):
        raise DraftError(f"language: {d['language']!r} is not a language code (e.g. en, fr, pt-BR)")
    if "ab_label" in d and len(d["ab_label"]) > 16:
        raise DraftError("A/B label: use at most 16 characters (e.g. A, B)")
    if "evidence" in d:
        ev = []
        for i, e in enumerate(d["evidence"] or [], start=1):
            title, url = str(e.get("title", "") or "").strip(), str(e.get("url", "") or "").strip()
            if not title and not url:
                continue
            if url and not URL_RE.fullmatch(url):
                raise DraftError(f"evidence, row {i}: {url!r} is not an http(s) URL")
            ev.append({"title": title, "url": url})
        d["evidence"] = ev
    if "links" in d:
        links = [str(u).strip() for u in d["links"] or [] if str(u).strip()]
        for u in links:
            if not URL_RE.fullmatch(u):
                raise DraftError(f"links: {u!r} is not an http(s) URL")
        d["links"] = list(dict.fromkeys(links))
    if "media" in d:
        media = []
        for i, m in enumerate(d["media"] or [], start=1):
            ref, alt = str(m.get("ref", "") or "").strip(), str(m.get("alt_text", "") or "").strip()
            if not ref:
                continue
            if not alt:
                raise DraftError(f"media, row {i} ({ref}): add alt text describing the image or video")
            media.append({"ref": ref, "alt_text": alt})
        d["media"] = media
    if "variants" in d:
        variants = {int(k): str(v or "") for k, v in (d["variants"] or {}).items()}
        known = set(session.scalars(select(Channel.id).where(Channel.id.in_(variants))))
        if missing := [k for k in variants if k not in known]:
            raise DraftError(f"variants: no channel with id {missing[0]}")
        d["variants"] = variants
    if "trend_ids" in d:
        ids = sorted({int(t) for t in d["trend_ids"] or []})
        known = set(session.scalars(select(Trend.id).where(Trend.id.in_(ids))))
        if missing := [t for t in ids if t not in known]:
            raise DraftError(f"trends answered: no trend with id {missing[0]}")
        d["trend_ids"] = ids
    return d


def _apply(session: Session, draft: Draft, d: dict[str, Any]) -> None:
    for f in ("title", "claim_countered", "frame", "language", "master_text", "ab_label"):
        if f in d:
            setattr(draft, f, d[f])
    for f in ("evidence", "media", "links"):
        if f in d:
            setattr(draft, f, json.dumps(d[f], ensure_ascii=False))
    if "variants" in d:
        by_channel = {v.channel_id: v for v in draft.variants}
        for cid in set(by_channel) - set(d["variants"]):
            draft.variants.remove(by_channel[cid])
        for cid, text in d["variants"].items():
            if cid in by_channel:
                by_channel[cid].text = text
            else:
                draft.variants.append(DraftVariant(channel_id=cid, text=text))
    if "trend_ids" in d and draft.id:
        session.execute(delete(DraftTrend).where(DraftTrend.draft_id == draft.id))
        session.add_all(DraftTrend(draft_id=draft.id, trend_id=t) for t in d["trend_ids"])


def _record_version(session: Session, actor: Actor, draft: Draft, summary: str) -> DraftVersion:
    session.flush()
    number = (session.scalar(select(func.max(DraftVersion.number)).where(DraftVersion.draft_id == draft.id)) or 0) + 1
    version = DraftVersion(
        draft_id=draft.id,
        number=number,
        draft_version=draft.version,
        author_id=actor.user_id,
        author_name=actor.username,
        summary=summary,
        content=json.dumps(snapshot(session, draft), ensure_ascii=False),
    )
    session.add(version)
    return version


# ---- operations ---------------------------------------------------------------------------------------------


def create_draft(session: Session, actor: Actor, campaign: int | str, data: dict[str, Any]) -> Draft:
    """Create a draft in `campaign` (id or name); record version 1. Raises DraftError naming the field."""
    require(actor, Action.EDIT_DRAFTS)
    d = _clean(session, {"language": "en", **data})
    if not d.get("title"):
        raise DraftError("title: give the draft a short title")
    with atomic(session):
        camp = get_campaign(session, campaign)
        if camp.status == "closed":
            raise DraftError(f"campaign: {camp.name!r} is closed; reopen it to add drafts")
        draft = Draft(campaign_id=camp.id, title=d["title"], created_by=actor.user_id, status="draft")
        _apply(session, draft, d)  # before the first flush, so a new draft starts at version 1
        session.add(draft)
        session.flush()
        session.add_all(DraftTrend(draft_id=draft.id, trend_id=t) for t in d.get("trend_ids", []))
        _record_version(session, actor, draft, "created")
        audit.record(
            session, actor, "draft.create", "draft", draft.id, f"{camp.name}: created draft {draft.title!r}, version 1"
        )
    return draft


def get_draft(session: Session, draft_id: int, *, for_update: bool = False) -> Draft:
    """Return the draft with `draft_id`; raise DraftError if there is none.

    `for_update` (inside a write transaction) re-reads it from the database, row-locked on PostgreSQL, so a
    version check sees every save committed before this one took the lock.
    """
    draft = session.get(Draft, int(draft_id))
    if draft is None:
        raise DraftError(f"draft: no draft with id {draft_id}")
    if for_update:
        session.refresh(draft, with_for_update=True)
    return draft


def conflict_error(session: Session, draft: Draft, expected_version: int) -> ConflictError:
    """Return the ConflictError for a save based on `expected_version`, with the changes saved since."""
    base_row = session.scalar(
        select(DraftVersion)
        .where(DraftVersion.draft_id == draft.id, DraftVersion.draft_version <= expected_version)
        .order_by(DraftVersion.number.desc())
        .limit(1)
    )
    base = json.loads(base_row.content) if base_row else {}
    theirs = snapshot(session, draft)
    by = list(
        dict.fromkeys(
            session.scalars(
                select(DraftVersion.author_name)
                .where(DraftVersion.draft_id == draft.id, DraftVersion.draft_version > expected_version)
                .order_by(DraftVersion.number)
            )
        )
    )
    diff = diff_text(base, theirs, channel_names(session), ("what you loaded", "saved since"), trend_keys(session))
    who = ", ".join(by) if by else "someone"
    now = current_number(session, draft.id)
    return ConflictError(
        f"draft {draft.title!r} was changed by {who} after you opened it (it is now at version {now}, "
        f"{STATUS_WORDS.get(draft.status, draft.status)}). Nothing was overwritten: review their changes, reload, "
        "and apply yours again.",
        theirs=theirs,
        diff=diff,
        by=by,
        current_version=draft.version,
    )


def invalidate_approvals(session: Session, actor: Actor, draft: Draft, reason: str) -> int:
    """Mark the draft's valid approvals invalid with `reason` (recorded in the audit log); return how many."""
    approvals = list(session.scalars(select(Approval).where(Approval.draft_id == draft.id, Approval.valid.is_(True))))
    now = utcnow()
    for a in approvals:
        a.valid = False
        a.invalidated_at = now
        a.invalidated_reason = reason
        audit.record(
            session, actor, "approval.invalidate", "draft", draft.id, f"approval by {a.reviewer_name}: {reason}"
        )
    return len(approvals)


def update_draft(
    session: Session, actor: Actor, draft_id: int, expected_version: int, changes: dict[str, Any], summary: str = ""
) -> Draft:
    """Save changes to a draft loaded at `expected_version`; record a new version.

    An edit of a draft in review or approved invalidates its approvals (recorded) and returns it to "draft".
    Raises ConflictError when someone saved in between, DraftError for bad fields or a frozen draft.
    """
    require(actor, Action.EDIT_DRAFTS)
    d = _clean(session, changes)
    with atomic(session):
        draft = get_draft(session, draft_id, for_update=True)
        if draft.version != expected_version:
            raise conflict_error(session, draft, expected_version)
        if draft.status not in EDITABLE:
            raise DraftError(
                f"draft {draft.title!r} is {STATUS_WORDS[draft.status]}: it can no longer be edited"
                + (" (unschedule it first)" if draft.status == "scheduled" else "")
            )
        before = snapshot(session, draft)
        after = {**before, **d}
        if "variants" in d:
            after["variants"] = {str(k): v for k, v in d["variants"].items()}
        if after == before:
            return draft
        changed = [f for f in CONTENT_FIELDS if before.get(f) != after.get(f)]
        note = summary.strip() or f"edited {', '.join(changed)}"
        if draft.status in ("in_review", "approved"):
            # Any edit after review started voids approvals: reviewers approve exactly what they saw.
            n = invalidate_approvals(session, actor, draft, f"edited by {actor.username} after approval ({note})")
            previous = draft.status
            audit.record(
                session,
                actor,
                "draft.transition",
                "draft",
                draft.id,
                f"{previous} -> draft: edited, {wording.plural(n, 'approval')} void",
            )
            draft.status = "draft"
        try:
            # Everything changes before the next flush, so that one save bumps the lock version once.
            with session.no_autoflush:
                draft.updated_at = utcnow()
                _apply(session, draft, d)
            number = _record_version(session, actor, draft, note).number
        except StaleDataError:  # a concurrent save won the race between our read and write
            session.rollback()
            raise conflict_error(session, get_draft(session, draft_id), expected_version) from None
        audit.record(session, actor, "draft.update", "draft", draft.id, f"{draft.title}: version {number}, {note}")
    return draft


def restore_version(session: Session, actor: Actor, draft_id: int, number: int, expected_version: int) -> Draft:
    """Make version `number`'s content the draft's current content (as a new version)."""
    row = session.scalar(select(DraftVersion).where(DraftVersion.draft_id == draft_id, DraftVersion.number == number))
    if row is None:
        raise DraftError(f"version: draft {draft_id} has no version {number}")
    snap = json.loads(row.content)
    return update_draft(
        session,
        actor,
        draft_id,
        expected_version,
        {f: snap[f] for f in CONTENT_FIELDS if f in snap},
        summary=f"restored version {number}",
    )


def versions(session: Session, draft_id: int) -> list[DraftVersion]:
    """Return the draft's versions, newest first."""
    return list(
        session.scalars(
            select(DraftVersion).where(DraftVersion.draft_id == draft_id).order_by(DraftVersion.number.desc())
        )
    )


def current_number(session: Session, draft_id: int) -> int:
    """Return the number of the draft's newest version (what History lists; 0 if none)."""
    return session.scalar(select(func.max(DraftVersion.number)).where(DraftVersion.draft_id == draft_id)) or 0


def version_snapshots(session: Session, draft_id: int, numbers: list[int]) -> dict[int, dict[str, Any]]:
    """Return the stored content of the given versions; raise DraftError naming a missing one."""
    rows = {
        v.number: json.loads(v.content)
        for v in session.scalars(
            select(DraftVersion).where(DraftVersion.draft_id == draft_id, DraftVersion.number.in_(numbers))
        )
    }
    for n in numbers:
        if n not in rows:
            raise DraftError(f"version: draft {draft_id} has no version {n}")
    return rows


def diff_versions(session: Session, draft_id: int, old: int, new: int) -> str:
    """Return a unified diff between two versions of a draft."""
    rows = version_snapshots(session, draft_id, [old, new])
    labels = (f"version {old}", f"version {new}")
    return diff_text(rows[old], rows[new], channel_names(session), labels, trend_keys(session))


def approved_versions(session: Session, draft_id: int) -> dict[int, int | None]:
    """Return, per approval id, the number of the version it approved (the newest with the approved content)."""
    by_hash: dict[str, int] = {}
    for v in sorted(versions(session, draft_id), key=lambda v: v.number):
        by_hash[snapshot_hash(json.loads(v.content))] = v.number
    return {a.id: by_hash.get(a.content_hash) for a in approvals(session, draft_id)}


def contributors(session: Session, draft_id: int) -> set[int]:
    """Return the ids of everyone who wrote any version of the draft (they may not approve it)."""
    draft = get_draft(session, draft_id)
    ids = set(
        session.scalars(
            select(DraftVersion.author_id).where(DraftVersion.draft_id == draft_id, DraftVersion.author_id.is_not(None))
        )
    )
    if draft.created_by is not None:
        ids.add(draft.created_by)
    return ids


def add_comment(session: Session, actor: Actor, draft_id: int, body: str) -> DraftComment:
    """Add a comment to a draft's thread."""
    require(actor, Action.COMMENT)
    body = (body or "").strip()
    if not body:
        raise DraftError("comment: write something first")
    with atomic(session):
        comment = comment_in_transaction(session, actor, get_draft(session, draft_id), body)
    return comment


def comment_in_transaction(session: Session, actor: Actor, draft: Draft, body: str) -> DraftComment:
    """Add a comment inside the caller's transaction (the caller checked permissions)."""
    comment = DraftComment(draft_id=draft.id, author_id=actor.user_id, author_name=actor.username, body=body)
    session.add(comment)
    session.flush()
    audit.record(session, actor, "draft.comment", "draft", draft.id, body[:200])
    return comment


def comments(session: Session, draft_id: int) -> list[DraftComment]:
    """Return the draft's comments, oldest first."""
    return list(
        session.scalars(select(DraftComment).where(DraftComment.draft_id == draft_id).order_by(DraftComment.id))
    )


# Roles whose approvals count; an approval stops counting when its reviewer loses such a role or is deactivated.
REVIEWING_ROLES = ("reviewer", "admin")


def approval_counts():
    """Return the SQL condition for approvals that count: valid, by an active account that still reviews."""
    reviewing = select(User.id).where(User.active.is_(True), User.role.in_(REVIEWING_ROLES))
    return Approval.valid.is_(True) & Approval.reviewer_id.in_(reviewing)


def valid_approvals(session: Session, draft: Draft) -> list[Approval]:
    """Return the approvals that count for the draft's current content (see approval_counts)."""
    current = content_hash(draft)
    return list(
        session.scalars(
            select(Approval)
            .where(Approval.draft_id == draft.id, approval_counts(), Approval.content_hash == current)
            .order_by(Approval.id)
        )
    )


def void_approvals_of(session: Session, actor: Actor, user: User, reason: str) -> int:
    """Void `user`'s approvals of drafts not yet scheduled (in review or approved), saying why; return how many.

    A draft left with fewer approvals than its campaign needs goes back from approved to in review (audited).
    Called in the transaction that demotes or deactivates the user.
    """
    rows = session.execute(
        select(Approval, Draft)
        .join(Draft, Draft.id == Approval.draft_id)
        .where(Approval.reviewer_id == user.id, Approval.valid.is_(True), Draft.status.in_(("in_review", "approved")))
    ).all()
    now = utcnow()
    for approval, draft in rows:
        approval.valid = False
        approval.invalidated_at = now
        approval.invalidated_reason = reason
        audit.record(session, actor, "approval.invalidate", "draft", draft.id, f"approval by {user.username}: {reason}")
    session.flush()
    for draft in {d.id: d for _, d in rows}.values():
        need = session.get(Campaign, draft.campaign_id).required_approvals
        have = len(valid_approvals(session, draft))
        if draft.status == "approved" and have < need:
            draft.status = "in_review"
            audit.record(
                session,
                actor,
                "draft.transition",
                "draft",
                draft.id,
                f"{draft.title}: approved -> in_review; {have} of {need} approvals count after {reason}",
            )
    return len(rows)


def approval_flags(session: Session, draft_id: int) -> dict[int, str]:
    """Return, per approval id, a warning when the reviewer's account was created after the draft's last edit.

    A fresh account approving a draft it never saw being written may be a stand-in: the flag shows in review,
    in the audit log and in the brief. The draft's last edit is its newest version saved before the approval.
    """
    flags: dict[int, str] = {}
    versions_at = sorted(session.scalars(select(DraftVersion.at).where(DraftVersion.draft_id == draft_id)))
    rows = session.execute(
        select(Approval.id, Approval.at, Approval.reviewer_name, User.created_at)
        .join(User, User.id == Approval.reviewer_id)
        .where(Approval.draft_id == draft_id)
    ).all()
    for approval_id, at, name, created in rows:
        edits = [v for v in versions_at if v <= at]
        if edits and created > edits[-1]:
            flags[approval_id] = (
                f"{name}'s account was created {created:%Y-%m-%d %H:%M} UTC, after the draft's last edit "
                f"({edits[-1]:%Y-%m-%d %H:%M} UTC)"
            )
    return flags


def list_drafts(session: Session, campaign: int | str | None = None, status: str | None = None) -> pd.DataFrame:
    """Return drafts with campaign, status, channels, approvals ("valid/required") and version, newest first.

    `version` is the number of the newest version in the draft's History.
    """
    if status and status not in STATUSES:
        raise DraftError(f"status: {status!r} is not one of {', '.join(STATUSES)}")
    stmt = select(Draft, Campaign.name, Campaign.required_approvals).join(Campaign, Campaign.id == Draft.campaign_id)
    if campaign is not None:
        stmt = stmt.where(Draft.campaign_id == get_campaign(session, campaign).id)
    if status:
        stmt = stmt.where(Draft.status == status)
    names = channel_names(session)
    numbers = dict(
        session.execute(
            select(DraftVersion.draft_id, func.max(DraftVersion.number)).group_by(DraftVersion.draft_id)
        ).all()
    )
    rows = []
    for draft, camp_name, required in session.execute(stmt.order_by(Draft.id.desc())).all():
        rows.append(
            {
                "id": draft.id,
                "title": draft.title,
                "campaign": camp_name,
                "status": draft.status,
                "channels": [names.get(str(v.channel_id), str(v.channel_id)) for v in draft.variants],
                "approvals": f"{len(valid_approvals(session, draft))}/{required}",
                "language": draft.language,
                "ab_label": draft.ab_label,
                "version": numbers.get(draft.id, 0),
                "updated_at": draft.updated_at,
            }
        )
    cols = ["id", "title", "campaign", "status", "channels", "approvals", "language", "ab_label", "version"]
    return pd.DataFrame(rows, columns=[*cols, "updated_at"])


def approvals(session: Session, draft_id: int) -> list[Approval]:
    """Return every approval of a draft (valid or invalidated) with its acknowledgements, oldest first."""
    return list(session.scalars(select(Approval).where(Approval.draft_id == draft_id).order_by(Approval.id)))
