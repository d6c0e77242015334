"""Column presets for platform analytics exports (X, Meta, YouTube) and the generic CSV mapping."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from planner.ingest.formats import header_key
from planner.ingest.source import FormatError
from planner.metrics.kpis import COMPONENTS

# Fields an export column can be mapped to (the CLI's --map FIELD=COLUMN).
REF_FIELDS = ("post_id", "url", "text", "published_at", "captured_at")
FIELDS = (*REF_FIELDS, *COMPONENTS)


@dataclass(frozen=True)
class Preset:
    """How one platform's post-level export names its columns and writes its dates.

    `aliases` maps a field to the header names that hold it, best first (compared by header_key: case, BOM,
    spaces and punctuation do not matter). `date_formats` are tried before the generic timestamp parser.
    """

    name: str
    label: str
    platform: str | None
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    date_formats: tuple[str, ...] = ()
    # Header names whose presence says a file is this preset's (for suggesting a preset).
    signature: tuple[str, ...] = ()

    def platform_for(self, columns: list[str]) -> str | None:
        """Return the platform a file with `columns` comes from, if the preset knows it."""
        return self.platform

    def skip_rows(self, frame: pd.DataFrame, mapping: dict[str, str]) -> pd.Series:
        """Return a mask of rows that are not posts (totals), to leave out silently."""
        return pd.Series(False, index=frame.index)

    def clean_post_id(self, values: pd.Series) -> pd.Series:
        """Return post ids as the platform writes them in links."""
        return values.str.strip()

    def resolve_mapping(self, columns: list[str], mapping: dict[str, str] | None = None) -> dict[str, str]:
        """Return {field: column}: the preset's aliases found in `columns`, overridden by `mapping`.

        Raises FormatError naming the field or column when the mapping is unusable.
        """
        keys = {}
        for col in columns:
            keys.setdefault(header_key(col), col)
        result: dict[str, str] = {}
        used: set[str] = set()
        for fld, names in self.aliases.items():
            for name in names:
                col = keys.get(header_key(name))
                if col is not None and col not in used:
                    result[fld] = col
                    used.add(col)
                    break
        for fld, col in (mapping or {}).items():
            if fld not in FIELDS:
                raise FormatError(f"--map {fld}={col}: {fld!r} is not a field (fields: {', '.join(FIELDS)})")
            if not col:
                result.pop(fld, None)
                continue
            found = keys.get(header_key(col))
            if found is None:
                raise FormatError(f"--map {fld}={col}: the file has no column {col!r} (columns: {', '.join(columns)})")
            for other, taken in list(result.items()):
                if taken == found and other != fld:
                    del result[other]
            result[fld] = found
        if not any(f in result for f in ("post_id", "url", "text")):
            raise FormatError(
                "no column says which post a row is about: map one with --map post_id=COLUMN, --map url=COLUMN "
                f"or --map text=COLUMN (columns: {', '.join(columns)})"
            )
        if not any(f in result for f in COMPONENTS):
            raise FormatError(
                f"no metric column found: map one with --map impressions=COLUMN (fields: {', '.join(COMPONENTS)}; "
                f"columns: {', '.join(columns)})"
            )
        return result

    def matches(self, columns: list[str]) -> int:
        """Return how many of the preset's signature headers `columns` has."""
        keys = {header_key(c) for c in columns}
        return sum(header_key(s) in keys for s in self.signature)


_GENERIC_ALIASES = {
    "post_id": ("post_id", "post id", "id", "tweet id", "video id", "content"),
    "url": ("url", "permalink", "post link", "link", "post url"),
    "text": ("text", "post text", "message", "description", "title"),
    "published_at": ("published_at", "published", "publish time", "date", "time", "created_at"),
    "captured_at": ("captured_at", "captured", "as of", "snapshot time"),
    **{c: (c, c.replace("_", " ")) for c in COMPONENTS},
}

GENERIC = Preset("generic", "Any CSV (map the columns)", None, _GENERIC_ALIASES)


class XPreset(Preset):
    """X analytics: the current "Content" export and the legacy "Tweet activity" export."""

    def clean_post_id(self, values: pd.Series) -> pd.Series:
        # Read as text, but a spreadsheet may have written the id as 1.8e+18 or 123.0: the latter is recoverable.
        return values.str.strip().str.replace(r"\.0$", "", regex=True)


X = XPreset(
    "x",
    "X (Content export or legacy Tweet activity)",
    "x",
    {
        "post_id": ("Post id", "Tweet id"),
        "url": ("Post Link", "Tweet permalink"),
        "text": ("Post text", "Tweet text"),
        "published_at": ("Date", "time"),
        "impressions": ("Impressions",),
        "likes": ("Likes", "favorites"),
        "replies": ("Replies",),
        "reposts": ("Reposts", "retweets"),
        "shares": ("Shares",),
        "saves": ("Bookmarks",),
        "link_clicks": ("URL Clicks",),
        "follows_gained": ("New follows", "follows"),
    },
    date_formats=("%a, %b %d, %Y", "%Y-%m-%d %H:%M %z"),
    signature=("Post id", "Post Link", "Tweet id", "Tweet permalink", "URL Clicks", "Detail Expands"),
)


class MetaPreset(Preset):
    """Meta Business Suite post exports: Facebook Page posts and Instagram posts."""

    def platform_for(self, columns: list[str]) -> str | None:
        keys = {header_key(c) for c in columns}
        return "instagram" if {"account_username", "saves"} & keys and "page_id" not in keys else "facebook"

    def resolve_mapping(self, columns, mapping=None):
        result = super().resolve_mapping(columns, mapping)
        # A Facebook share puts the post on the sharer's timeline (a repost); Instagram counts sends (shares).
        if self.platform_for(columns) == "facebook" and "shares" in result and "reposts" not in result:
            if not (mapping or {}).get("shares"):
                result["reposts"] = result.pop("shares")
        return result


META = MetaPreset(
    "meta",
    "Meta Business Suite (Facebook or Instagram posts)",
    None,
    {
        "post_id": ("Post ID",),
        "url": ("Permalink",),
        "text": ("Description", "Title"),
        "published_at": ("Publish time",),
        "impressions": ("Views", "Impressions"),
        "reach": ("Reach",),
        "likes": ("Reactions", "Likes"),
        "replies": ("Comments",),
        "shares": ("Shares",),
        "saves": ("Saves",),
        "link_clicks": ("Link Clicks",),
        "video_views": ("3-Second Video Views",),
        "follows_gained": ("Follows",),
    },
    date_formats=("%m/%d/%Y %H:%M",),
    signature=("Post ID", "Page ID", "Account ID", "Publish time", "Permalink", "Reach", "Post type"),
)


class YouTubePreset(Preset):
    """YouTube Studio's "Table data.csv": one row per video after a Total row."""

    def skip_rows(self, frame, mapping):
        col = mapping.get("post_id")
        if col is None:
            return super().skip_rows(frame, mapping)
        return frame[col].str.strip().str.lower() == "total"

    def clean_post_id(self, values):
        # Studio writes a leading space before ids that start with '-' (so spreadsheets do not read a formula).
        return values.str.strip()

    @staticmethod
    def url_for(video_id: str) -> str:
        return f"https://www.youtube.com/watch?v={video_id}"


YOUTUBE = YouTubePreset(
    "youtube",
    "YouTube Studio (Table data.csv)",
    "youtube",
    {
        "post_id": ("Content",),
        "text": ("Video title",),
        "published_at": ("Video publish time",),
        "video_views": ("Views",),
        "impressions": ("Impressions", "Thumbnail impressions"),
        "follows_gained": ("Subscribers", "Subscribers gained"),
        "likes": ("Likes",),
        "replies": ("Comments added",),
        "shares": ("Shares",),
    },
    date_formats=("%b %d, %Y",),
    signature=("Content", "Video title", "Video publish time", "Watch time (hours)", "Subscribers"),
)

PRESETS: dict[str, Preset] = {p.name: p for p in (GENERIC, X, META, YOUTUBE)}
PRESET_CHOICES = tuple(PRESETS)


def get_preset(name: str | None) -> Preset:
    """Return the preset called `name` (generic when empty); raise FormatError for an unknown name."""
    if not name:
        return GENERIC
    if name not in PRESETS:
        raise FormatError(f"preset: {name!r} is not one of {', '.join(PRESET_CHOICES)}")
    return PRESETS[name]


def suggest_preset(columns: list[str]) -> str:
    """Return the name of the preset whose signature headers `columns` has most of (generic when none fits)."""
    best = max((p for p in PRESETS.values() if p.signature), key=lambda p: p.matches(columns))
    return best.name if best.matches(columns) >= 3 else GENERIC.name


_NUMBER_CLEAN = re.compile(r"[,\s_\u00a0\u202f]")


def parse_counts(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return (whole numbers as nullable Int64, mask of bad values); '' and '-' (not reported) become missing."""
    text = values.fillna("").astype(str).str.strip()
    text = text.where(~text.isin(["-", "--", "n/a", "N/A"]), "")
    cleaned = text.str.replace(_NUMBER_CLEAN, "", regex=True)
    number = pd.to_numeric(cleaned.where(cleaned != "", None), errors="coerce")
    bad = (cleaned != "") & (number.isna() | (number < 0) | (number % 1 != 0) | (number > 2**62))
    return number.where(~bad).round().astype("Int64"), bad
