"""Turn a chunk of canonical records into validated rows for the posts table, and name every bad row's reason."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa

from planner import langid, postkeys
from planner import text as tx
from planner.arrowbytes import string_bytes
from planner.ingest import entities
from planner.ingest.timestamps import parse_timestamps

MAX_TEXT_CHARS = 100_000
MAX_ID_CHARS = 128
# Platforms whose message ids are unique only inside one chat: their external ids are "<chat id>/<message id>".
PER_CHAT_IDS = {"telegram"}
COUNT_FIELDS = ("likes", "reposts", "replies", "views")
ID_FIELDS = ("post_id", "author_id", "author_handle", "repost_of", "reply_to", "quote_of")
# Columns of the posts table an import writes, in insert order (batch_id is added by the store).
POST_COLUMNS = (
    "platform",
    "external_id",
    "author_id",
    "author_handle",
    "author_name",
    "created_at",
    "text",
    "lang",
    "hashtags",
    "urls",
    "mentions",
    "repost_of",
    "reply_to",
    "quote_of",
    "likes",
    "reposts",
    "replies",
    "views",
    "url",
    "text_hash",
    "author_key",
)


@dataclass(frozen=True)
class Context:
    """How to read the values of one import."""

    platform: str
    tz: ZoneInfo
    now: datetime
    secret: bytes | None = None  # set when author ids and handles are pseudonymised
    detect_language: bool = True


@dataclass
class Rejected:
    """A row that was not imported: where it was, which field, why, and the source row as JSON."""

    row: int
    field: str
    reason: str
    raw: str = ""


def pseudonym(secret: bytes, value: str) -> str:
    """Return the stable pseudonym of `value` under the workspace secret (HMAC-SHA256, 16 hex digits)."""
    return "p" + hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """Return a field as stripped strings ('' where missing), NULs removed; Arrow-backed, so string ops stay in C."""
    if name not in frame:
        return pd.Series("", index=frame.index, dtype="str")
    col = frame[name]
    if not pd.api.types.is_string_dtype(col) or col.dtype == object:
        col = col.astype(object).where(col.notna(), "").astype("str")
    col = col.fillna("")
    if _has_nul(col):  # JSON can escape them; CSV streams lose them earlier
        col = col.str.replace("\x00", "", regex=False)
    return col.str.strip()


def _has_nul(col: pd.Series) -> bool:
    """Return whether a string in `col` holds a NUL: one scan of the UTF-8 bytes (UTF-8 has no other zero byte)."""
    arr = pa.array(col.array, type=pa.large_string())
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    return any(string_bytes(chunk)[1].tobytes().find(b"\x00") >= 0 for chunk in chunks)


def _numbers(raw: pd.Series) -> pd.Series:
    """Return the numbers written in `raw` (stripped strings), NA where empty or not a number.

    Columns of plain integers (the usual case) are cast by Arrow, exactly, in C; any other value sends the column
    through pandas.to_numeric (decimals, exponents), several times slower.
    """
    try:
        values = pa.array(raw.where(raw != "", None), type=pa.large_string()).cast(pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pd.to_numeric(raw.where(raw != "", None), errors="coerce")
    return pd.Series(values, index=raw.index, dtype=pd.ArrowDtype(pa.int64())).astype("Int64")


def _excerpt(value: str, width: int = 40) -> str:
    value = str(value)
    return repr(value if len(value) <= width else value[:width] + "...")


class _Reasons:
    """The first reason each row is bad for (later checks do not overwrite earlier ones)."""

    def __init__(self, index: pd.Index):
        self.field = pd.Series("", index=index, dtype=object)
        self.reason = pd.Series("", index=index, dtype=object)
        self._bad = np.zeros(len(index), dtype=bool)  # rows with a reason (kept beside, not compared each time)

    def flag(
        self, mask: pd.Series, field: str, template: str, values: pd.Series | None = None, quote: bool = True
    ) -> None:
        """Give rows in `mask` the reason `template` ({v}: the row's value, quoted), unless they have one already."""
        new = np.asarray(mask, dtype=bool) & ~self._bad
        if new.any():
            mask = pd.Series(new, index=self.reason.index)
            self.field[mask] = field
            if values is None:
                self.reason[mask] = template
            else:  # messages are built for the bad rows only: good rows cost nothing
                self.reason[mask] = [template.format(v=_excerpt(v) if quote else v) for v in values[mask]]
            self._bad |= new

    @property
    def bad(self) -> pd.Series:
        return pd.Series(self._bad.copy(), index=self.reason.index)


def normalise_chunk(frame: pd.DataFrame, ctx: Context) -> tuple[pd.DataFrame, list[Rejected], list[int]]:
    """Return (valid rows with POST_COLUMNS, rejected rows, positions of the rejected rows in `frame`)."""
    frame = frame.reset_index(drop=True)
    reasons = _Reasons(frame.index)
    if "_error" in frame:
        errors = frame["_error"].fillna("").astype(str)
        reasons.flag(errors != "", "record", "{v}", errors, quote=False)

    text = _column(frame, "text")
    too_long = text.str.len() > MAX_TEXT_CHARS
    reasons.flag(
        too_long,
        "text",
        f"text: {{v:,}} characters, more than the {MAX_TEXT_CHARS:,} allowed",
        text.str.len(),
        quote=False,
    )

    raw_time = _column(frame, "created_at")
    created = parse_timestamps(raw_time, ctx.tz, ctx.now)
    reasons.flag(raw_time == "", "created_at", "created_at: empty")
    reasons.flag(created.isna(), "created_at", "created_at: {v} is not a plausible date and time", raw_time)

    ids = {name: _column(frame, name) for name in ID_FIELDS}
    ids["author_handle"] = ids["author_handle"].str.lstrip("@")
    for name, values in ids.items():
        if name not in frame:
            continue
        reasons.flag(
            values.str.len() > MAX_ID_CHARS,
            name,
            f"{name}: {{v}} is longer than {MAX_ID_CHARS} characters",
            values,
        )
    author_id = ids["author_id"]
    if ctx.platform in PER_CHAT_IDS:
        author_id = author_id.str.replace(r"^(?:channel|-100)(\d+)$", r"\1", regex=True)
    handle = ids["author_handle"]
    author_id = author_id.where(author_id != "", handle.str.lower())

    counts = {}
    for name in COUNT_FIELDS:
        if name not in frame:
            counts[name] = pd.Series(np.nan, index=frame.index)
            continue
        raw = _column(frame, name).str.replace(",", "", regex=False).str.replace("_", "", regex=False)
        number = _numbers(raw)
        bad = (raw != "") & (number.isna() | (number < 0) | (number % 1 != 0) | (number > 2**62)).fillna(True)
        reasons.flag(bad, name, f"{name}: {{v}} is not a whole number of 0 or more", raw)
        counts[name] = number.where(~bad)

    keep = ~reasons.bad
    rejected_positions = list(np.flatnonzero(~keep.to_numpy()))
    rejects = [Rejected(int(frame.at[i, "_row"]), reasons.field[i], reasons.reason[i]) for i in rejected_positions]
    if not keep.all():
        frame, text, created, author_id, handle = (
            frame[keep],
            text[keep],
            created[keep],
            author_id[keep],
            handle[keep],
        )
        ids = {k: v[keep] for k, v in ids.items()}
        counts = {k: v[keep] for k, v in counts.items()}

    name = _column(frame, "author_name").str.slice(0, 255)
    url = _column(frame, "url")
    url = url.where(url.str.len() <= 512, "")
    lang = _column(frame, "lang").str.lower().str.slice(0, 16).replace({"und": "", "none": "", "null": ""})

    column = entities.as_arrow(text)
    words = entities.Words.of(column)
    hashtags = entities.hashtag_column(words, entities.source_list(frame, "hashtags"))
    mentions = entities.mention_column(words, entities.source_list(frame, "mentions"))
    urls = entities.url_column(words, entities.source_list(frame, "urls"))

    if ctx.secret is not None:
        secret = ctx.secret
        author_id = author_id.map(lambda v: pseudonym(secret, f"id:{ctx.platform}:{v}") if v else "")
        handle = handle.map(lambda v: pseudonym(secret, f"handle:{ctx.platform}:{v.lower()}") if v else "")
        name = pd.Series("", index=frame.index, dtype=object)
        url = pd.Series("", index=frame.index, dtype=object)
        mentions = [
            " ".join(pseudonym(secret, f"handle:{ctx.platform}:{m}") for m in ms.split()) if ms else ""
            for ms in mentions
        ]
        texts = [
            tx.MENTION_RE.sub(lambda m: "@" + pseudonym(secret, f"handle:{ctx.platform}:{m.group(1).lower()}"), t)
            if "@" in t or "＠" in t
            else t
            for t in text.tolist()
        ]
        text = pd.Series(texts, index=frame.index, dtype="str")

    post_id = ids["post_id"]
    if ctx.platform in PER_CHAT_IDS:
        chat_scoped = (post_id != "") & ~post_id.str.contains("/", regex=False) & (author_id != "")
        post_id = post_id.where(~chat_scoped, author_id + "/" + post_id)
    missing = post_id == ""
    if missing.any():
        stamps = created[missing].dt.strftime("%Y-%m-%dT%H:%M:%S.%f")
        post_id = post_id.copy()
        post_id[missing] = [
            content_id(a, s, t) for a, s, t in zip(author_id[missing], stamps, text[missing], strict=True)
        ]

    if ctx.detect_language:
        empty = (lang == "").to_numpy()
        if empty.any():
            lang = lang.copy()
            lang[empty] = langid.detect_languages(column.filter(pa.array(empty)))

    out = pd.DataFrame(
        {
            "platform": ctx.platform,
            "external_id": post_id,
            "author_id": author_id,
            "author_handle": handle,
            "author_name": name,
            "created_at": created,
            "text": text,
            "lang": lang,
            "hashtags": _objects(hashtags, frame.index),
            "urls": _objects(urls, frame.index),
            "mentions": _objects(mentions, frame.index),
            "repost_of": _none_if_empty(ids["repost_of"]),
            "reply_to": _none_if_empty(ids["reply_to"]),
            "quote_of": _none_if_empty(ids["quote_of"]),
            **{k: v.astype("Int64") for k, v in counts.items()},
            "url": url,
            "text_hash": postkeys.text_hashes(text),
            "author_key": postkeys.author_keys(ctx.platform, author_id),
        },
        index=frame.index,
    )
    return out.reset_index(drop=True), rejects, rejected_positions


def content_id(author: str, stamp: str, text: str) -> str:
    """Return the stable id of a post that has none: a hash of its author, time and text."""
    digest = hashlib.sha256(f"{author}\x1f{stamp}\x1f{text}".encode()).hexdigest()
    return "sha256:" + digest[:32]


def _objects(values: list[str], index: pd.Index) -> pd.Series:
    """Return a list of strings as a column of Python strings: the inserts take them as they are, while an Arrow
    column (what pandas makes of a list) costs a conversion here and another back in the inserts."""
    return pd.Series(values, index=index, dtype=object)


def _none_if_empty(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values != "", None)
