"""Plain words for what the core stores: statuses, check names, roles, audit entries, times and counts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import pandas as pd


DRAFT_STATUSES = {
    "draft": "Draft",
    "in_review": "In review",
    "changes_requested": "Changes requested",
    "approved": "Approved",
    "scheduled": "Scheduled",
    "published": "Published",
    "archived": "Archived",
}
CAMPAIGN_STATUSES = {"planning": "Planning", "active": "Active", "paused": "Paused", "closed": "Closed"}
TRIAGE = {"new": "New", "watching": "Watching", "respond": "Respond", "ignored": "Ignored"}
LIFECYCLES = {"emerging": "Emerging", "peaking": "Peaking", "declining": "Declining", "dormant": "Dormant"}
TREND_KINDS = {"hashtag": "Hashtag", "term": "Term", "url": "Link", "domain": "Site", "narrative": "Narrative"}
ROLES = {"viewer": "Viewer", "drafter": "Drafter", "reviewer": "Reviewer", "admin": "Admin"}
SEVERITIES = {"error": "Error", "warning": "Warning", "info": "Note"}
MESSAGE_TYPES = {
    "strategic": "Strategic communication",
    "alternative": "Alternative narrative",
    "counter": "Counter narrative",
}
# The same words as each check's title in planner.checks (a test keeps them equal).
CHECKS = {
    "empty_text": "Text is empty",
    "length": "Too long for the platform",
    "link_not_clickable": "Links are not clickable on this platform",
    "missing_cta": "No call to action",
    "link_without_utm": "Link without UTM tags",
    "watchlisted_domain": "Link to a watchlisted domain",
    "adversary_hashtag": "Uses the adversary's hashtag",
    "adversary_account": "Mentions the adversary's account",
    "verbatim_repetition": "Repeats the propaganda verbatim",
    "language_mismatch": "Language differs from the audience's",
}
# Every code word a page or the CLI may show, by what it names; `label` looks values up here.
VOCABULARIES: dict[str, Mapping[str, str]] = {
    "status": DRAFT_STATUSES,
    "campaign_status": CAMPAIGN_STATUSES,
    "triage": TRIAGE,
    "lifecycle": LIFECYCLES,
    "kind": TREND_KINDS,
    "role": ROLES,
    "severity": SEVERITIES,
    "message_type": MESSAGE_TYPES,
    "check": CHECKS,
}
_ALL = {k: v for vocab in VOCABULARIES.values() for k, v in vocab.items()}

# Column headers for tables (pages and the CLI): internal column name -> heading.
COLUMNS = {
    "id": "ID",
    "ab_label": "A/B",
    "unique_authors": "Accounts",
    "peak_volume": "Peak posts",
    "detected_at": "Detected",
    "peak_at": "Peak",
    "last_login_at": "Last login",
    "created_at": "Created",
    "updated_at": "Updated",
    "starts_on": "Starts",
    "ends_on": "Ends",
    "status": "Status",
    "message_type": "Message type",
    "median_delay_s": "Median gap (s)",
    "shared_objects": "Shared objects",
    "trends": "Linked trends",
    "url": "Link",
    "author_handle": "Handle",
}

_IRREGULAR = {"person": "people", "was": "were", "is": "are", "this": "these", "it": "they"}


def label(value: object, vocabulary: str | None = None) -> str:
    """Return the plain-word label of a code word (from `vocabulary` if given); other text is humanised."""
    text = "" if value is None else str(value)
    table = VOCABULARIES.get(vocabulary or "", _ALL)
    if text in table:
        return table[text]
    if text in _ALL:
        return _ALL[text]
    return humanise(text)


def humanise(code: str) -> str:
    """Return `code` (snake_case or dotted) as words with a capital first letter: 'object_type' -> 'Object type'."""
    words = re.sub(r"[_.]+", " ", code or "").strip()
    return words[:1].upper() + words[1:]


def column(name: str) -> str:
    """Return the heading for a table column."""
    return COLUMNS.get(name, humanise(name))


def plural(n: int, word: str, many: str | None = None) -> str:
    """Return '1 coordinated cluster' / '2 coordinated clusters' (thousands separated); `many` overrides the plural."""
    if n == 1:
        return f"1 {word}"
    head, _, last = word.rpartition(" ")
    if many is None:
        if last in _IRREGULAR:
            last = _IRREGULAR[last]
        elif re.search(r"[^aeiou]y$", last):
            last = last[:-1] + "ies"
        elif re.search(r"(s|x|z|ch|sh)$", last):
            last += "es"
        else:
            last += "s"
        many = f"{head} {last}" if head else last
    return f"{n:,} {many}"


def noun(n: int, word: str, many: str | None = None) -> str:
    """Return `word` in the singular or plural for a count of `n`, without the number ('hashtag' / 'hashtags')."""
    return plural(n, word, many).split(" ", 1)[1]


def zone_name(moment: datetime) -> str:
    """Return a zone abbreviation for an aware datetime: 'GMT', 'CET', 'UTC', or 'UTC+03' where none exists."""
    abbr = moment.strftime("%Z")
    if abbr and abbr[0] not in "+-":
        return abbr
    offset = moment.strftime("%z")  # e.g. +0300 or +0530
    if offset in ("", "+0000"):
        return "UTC"
    return f"UTC{offset[:3]}" + (f":{offset[3:]}" if offset[3:] != "00" else "")


def when(moment: datetime | pd.Timestamp | None, zone: ZoneInfo | str = "UTC", *, never: str = "never") -> str:
    """Return a readable time in `zone` with the zone named: 'Mon 30 Nov 2026, 00:41 GMT'; `never` for None."""
    import pandas as pd

    if moment is None or pd.isna(moment):
        return never
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    local = pd.Timestamp(moment).tz_convert(tz).to_pydatetime()
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {zone_name(local)}"


def day(moment: datetime | pd.Timestamp | None, zone: ZoneInfo | str = "UTC", *, never: str = "") -> str:
    """Return the day of a time in `zone`: 'Mon 30 Nov 2026'."""
    import pandas as pd

    if moment is None or pd.isna(moment):
        return never
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    local = pd.Timestamp(moment).tz_convert(tz).to_pydatetime()
    return f"{local:%a} {local.day} {local:%b %Y}"


def approval(version: int | None) -> str:
    """Describe what an approval covered: 'approved version 3' (the content hash stays in the audit log)."""
    return "approved an earlier version" if version is None else f"approved version {version}"


def handle(author_handle: str | None, platform: str = "") -> str:
    """Return the account's handle as people know it ('@name'); never the platform's internal account id."""
    name = (author_handle or "").strip()
    if not name:
        return f"an account without a handle{' on ' + platform if platform else ''}"
    return name if name.startswith("@") else f"@{name}"


# ---- audit entries as sentences ---------------------------------------------------------------------------------

OBJECT_NOUNS = {
    "draft": "draft",
    "campaign": "campaign",
    "user": "user",
    "watchlist": "watchlist",
    "channel": "channel",
    "trend": "trend",
    "import_batch": "import",
}
# action -> sentence after the actor's name; {obj} is the object phrase ("draft 'Jo's story'").
AUDIT_SENTENCES = {
    "login.success": "signed in",
    "login.locked": "was locked out for a minute after too many failed sign-ins",
    "login.throttled": "must wait before trying to sign in again after failed sign-ins",
    "session.start": "started a browser session",
    "session.end": "ended a browser session of {obj}",
    "user.create": "added {obj}",
    "user.set_role": "changed the role of {obj}",
    "user.deactivate": "deactivated {obj}",
    "user.reactivate": "reactivated {obj}",
    "user.password": "changed the password of {obj}",
    "user.password_change": "changed the password of {obj}",
    "user.sso_link": "linked a single sign-on email to {obj}",
    "user.sso_unlink": "removed a single sign-on email from {obj}",
    "sso.default_role": "changed who may sign in through single sign-on",
    "user.time_zone": "changed the time zone of {obj}",
    "workspace.restore": "restored the workspace from a backup",
    "draft.create": "created {obj}",
    "draft.update": "edited {obj}",
    "draft.submit": "sent {obj} for review",
    "draft.withdraw": "withdrew {obj} from review",
    "draft.approve": "approved {obj}",
    "draft.request_changes": "asked for changes to {obj}",
    "draft.schedule": "scheduled {obj}",
    "draft.unschedule": "took {obj} off the schedule",
    "draft.publish": "marked {obj} as published",
    "draft.archive": "archived {obj}",
    "draft.transition": "returned {obj} to draft by editing it",
    "draft.comment": "commented on {obj}",
    "approval.invalidate": "voided an approval of {obj}",
    "campaign.create": "created {obj}",
    "campaign.update": "changed the plan of {obj}",
    "campaign.status": "changed the status of {obj}",
    "campaign.link": "linked trends and channels to {obj}",
    "watchlist.create": "created {obj}",
    "watchlist.delete": "deleted {obj}",
    "watchlist.add": "added an item to {obj}",
    "watchlist.remove": "removed an item from {obj}",
    "channel.create": "added {obj}",
    "channel.update": "changed {obj}",
    "trend.status": "triaged {obj}",
    "trends.detect": "ran trend detection",
    "coordination.detect": "ran coordination detection",
    "narratives.build": "grouped posts into narratives",
    "posts.import": "imported monitored posts",
    "posts.undo_import": "undid an import of monitored posts",
    "demo.load": "loaded the fictional demo workspace",
    "schedule.add": "scheduled a post of {obj}",
    "schedule.auto": "ran the auto-scheduler",
    "schedule.move": "moved a scheduled post ({obj})",
    "schedule.cancel": "cancelled a scheduled post ({obj})",
    "schedule.publish": "marked a scheduled post as published ({obj})",
    "schedule.import": "imported planned posts as drafts",
    "schedule.cadence": "changed the posting rules of {obj}",
    "schedule.window": "changed the response window",
    "schedule.pause": "paused publishing ({obj})",
    "schedule.resume": "resumed publishing ({obj})",
    "calendar.token_create": "created a calendar subscription link",
    "calendar.token_revoke": "revoked a calendar subscription link",
    "metrics.import": "imported reach metrics",
    "metrics.record": "recorded reach metrics ({obj})",
    "metrics.confirm": "matched an analytics row to a published post ({obj})",
    "brief.settings": "changed the brief settings of {obj}",
    "brief.export": "exported the brief of {obj}",
}
_TARGET = re.compile(r"->\s*([a-z_]+)\b")
_VERSION = re.compile(r"\bversion (\d+)\b")
_CODE_WORD = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def _object_phrase(object_type: str, object_id: str, names: Mapping[tuple[str, str], str]) -> str:
    noun = OBJECT_NOUNS.get(object_type, humanise(object_type).lower())
    name = names.get((object_type, str(object_id)))
    if not name:
        return f"a {noun}" if noun[:1] not in "aeiou" else f"an {noun}"
    if object_type in ("user", "trend", "channel"):
        return f"{noun} {name}"
    return f"{noun} '{name}'"


def audit_sentence(
    actor: str,
    action: str,
    object_type: str = "",
    object_id: object = "",
    summary: str = "",
    names: Mapping[tuple[str, str], str] | None = None,
) -> str:
    """Return an audit entry as a sentence: "ada approved draft 'Jo's story' (version 3)".

    `names` maps (object_type, object_id) to the object's name (draft title, username, trend key ...).
    """
    obj = _object_phrase(object_type, str(object_id), names or {})
    template = AUDIT_SENTENCES.get(action)
    sentence = template.format(obj=obj) if template else f"{humanise(action).lower()} ({obj})"
    summary = summary or ""
    target = _TARGET.search(summary)
    if action in ("user.set_role", "campaign.status", "trend.status") and target:
        word = label(target.group(1)).lower() if action != "trend.status" else label(target.group(1), "triage")
        sentence += f" to {word}" if action != "trend.status" else f" as '{word}'"
    version = _VERSION.search(summary)
    if action.startswith("draft.") and version:
        sentence += f" (version {version.group(1)})"
    return f"{actor} {sentence}"


def _plain_word(match: re.Match) -> str:
    word = match.group(0)
    if word in CHECKS:
        return f"'{CHECKS[word]}'"
    return label(word).lower() if word in _ALL else word


def plain_summary(summary: str) -> str:
    """Return an audit summary with code words (in_review, link_without_utm) in plain words and arrows."""
    text = _CODE_WORD.sub(_plain_word, summary or "")
    return text.replace(" -> ", " → ")


# ---- tables -------------------------------------------------------------------------------------------------------

# Columns whose values are code words, and the vocabulary that names them.
VALUE_COLUMNS = {
    "status": None,
    "lifecycle": "lifecycle",
    "kind": "kind",
    "role": "role",
    "severity": "severity",
    "message_type": "message_type",
    "triage": "triage",
    "check": "check",
}


def table(frame: pd.DataFrame, zone: ZoneInfo | str = "UTC") -> pd.DataFrame:
    """Return `frame` for people to read: plain-word values, readable times in `zone`, headings in words."""
    import pandas as pd

    out = frame.copy()
    for name in out.columns:
        series = out[name]
        if name in VALUE_COLUMNS:
            out[name] = series.map(lambda v, vocab=VALUE_COLUMNS[name]: label(v, vocab) if isinstance(v, str) else v)
        elif (
            name.endswith("_at")
            or pd.api.types.is_datetime64_any_dtype(series)
            or (series.dtype == object and series.map(lambda v: isinstance(v, datetime)).any())
        ):
            never = "never" if "login" in name else ""
            out[name] = series.map(lambda v, never=never: when(_aware(v), zone, never=never))
        elif series.dtype == bool:
            out[name] = series.map({True: "yes", False: "no"})
        elif not pd.api.types.is_numeric_dtype(series):
            out[name] = series.astype(object).where(series.notna(), "")
    return out.rename(columns=column)


def _aware(value):
    import pandas as pd

    if value is None or pd.isna(value):
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
