"""JSON import formats: Twitter API v1.1 (array or JSON lines), Twitter API v2 JSON lines, Telegram Desktop export."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator

import ijson
import pandas as pd

from planner.ingest.formats import CHUNK_ROWS, Chunk, Format, ReadState
from planner.ingest.source import FormatError, Source, detect_encoding

# Limits that keep a hostile file from exhausting memory: nesting depth, the size of one record (characters of its
# strings, keys and numbers) and of the records held at once before they are handed on as a chunk.
MAX_DEPTH = 64
MAX_RECORD_CHARS = 16 << 20
CHUNK_CHARS = 64 << 20
_OPEN = frozenset({"start_map", "start_array"})
_CLOSE = frozenset({"end_map", "end_array"})


def _prescan(source: Source, state: ReadState, record_level: int, what: str) -> None:
    """Read the whole document once, refusing nesting deeper than MAX_DEPTH and records over MAX_RECORD_CHARS.

    The scan runs on ijson's basic events, which build neither prefixes nor objects: ijson's own parse and items
    build a prefix per event, so 100,000 brackets would cost gigabytes before any check could run. Once the
    document passed, ijson's fast C readers are safe on it. Records are the values at depth `record_level`
    (1: items of a top-level array; 2: items of an array inside the top-level object).
    """
    depth = 0
    size = 0
    opening, closing = _OPEN, _CLOSE
    with raw_for_ijson(source, state) as fh:
        try:
            for event, value in ijson.basic_parse(fh, use_float=True):
                if event in opening:
                    depth += 1
                    if depth > MAX_DEPTH:
                        raise FormatError(
                            f"{what} nests deeper than {MAX_DEPTH} levels: refused as malformed or hostile"
                        )
                elif event in closing:
                    depth -= 1
                    if depth <= record_level:
                        size = 0
                elif depth > record_level and value.__class__ is str:
                    size += len(value)
                    if size > MAX_RECORD_CHARS:
                        raise FormatError(f"{what} has a record larger than {MAX_RECORD_CHARS >> 20} MB: refused")
        except (ijson.JSONError, UnicodeDecodeError) as exc:  # a lone surrogate escape is a decode error
            raise _json_error(what, exc) from exc


def _advance(state: ReadState, position: int) -> None:
    """Count the bytes read since the last record towards the chunk budget (ijson reads ahead in 64 KB blocks)."""
    state.record_chars += max(position - state.bytes_read, 0)
    state.bytes_read = position


def _json_error(what: str, exc: Exception) -> FormatError:
    detail = str(exc).split("\n", 1)[0].strip() or type(exc).__name__
    return FormatError(f"{what} is malformed: {detail}")


def _records(source: Source, state: ReadState, arrays: bool = True) -> Iterator[tuple[int, object]]:
    """Yield (record number, object, or an error message) from a JSON array or a JSON lines file."""
    head = source.head()
    state.encoding = detect_encoding(head)
    start = head.decode(state.encoding, errors="replace").lstrip("\ufeff \t\r\n")[:1]
    if start == "[" and arrays:
        _prescan(source, state, 1, "the JSON array")
        with raw_for_ijson(source, state) as fh:
            try:
                for number, obj in enumerate(ijson.items(fh, "item", use_float=True), 1):
                    _advance(state, fh.tell())
                    yield number, obj
            except ijson.JSONError as exc:
                raise _json_error("the JSON array", exc) from exc
        return
    encoding = "utf-8-sig" if state.encoding == "utf-8" else state.encoding
    with source.open() as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        number = 0
        try:
            while line := text.readline(MAX_RECORD_CHARS + 1):
                number += 1
                if len(line) > MAX_RECORD_CHARS:
                    raise FormatError(f"line {number} is longer than {MAX_RECORD_CHARS >> 20} MB: refused")
                state.record_chars += len(line)
                if number % 1000 == 0 or state.record_chars >= CHUNK_CHARS:
                    state.bytes_read = raw.tell()
                if not line.strip():
                    continue
                yield number, _loads_line(number, line)
        except UnicodeDecodeError as exc:
            raise FormatError(f"the file is not valid {state.encoding}: {exc.reason}: state its encoding") from exc


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _loads_line(number: int, line: str) -> object:
    try:
        obj = json.loads(line.replace("\x00", ""))
    except json.JSONDecodeError as exc:
        return f"line {number} is not valid JSON: {exc.msg} at column {exc.colno}"
    except RecursionError:
        return f"line {number} nests too deeply to be a post"
    if _SURROGATE_ESCAPE.search(line):  # pairs make one character; a lone half cannot be stored
        try:
            json.dumps(obj, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            return f"line {number} has a broken \\u escape (half of a character pair)"
    return obj


def raw_for_ijson(source: Source, state: ReadState):
    """Return a stream ijson can read: the bytes themselves for UTF-8, a UTF-8 re-encoding otherwise."""
    if state.encoding in {"utf-8", "utf-8-sig"}:
        raw = source.open()
        if raw.read(3) != b"\xef\xbb\xbf":
            raw.seek(0)
        return raw
    try:
        return io.BytesIO(source.open().read().decode(state.encoding).encode("utf-8"))
    except UnicodeDecodeError as exc:
        raise FormatError(f"the file is not valid {state.encoding}: {exc.reason}: state its encoding") from exc


def _chunked(records: Iterator[tuple[int, object]], convert, state: ReadState) -> Iterator[Chunk]:
    """Group converted records into chunks of at most CHUNK_ROWS rows and about CHUNK_CHARS of source text."""
    rows: list[dict] = []
    raws: list = []
    state.record_chars = 0
    for number, obj in records:
        if isinstance(obj, str):
            rows.append({"_row": number, "_error": obj})
            raws.append(None)
        elif not isinstance(obj, dict):
            rows.append({"_row": number, "_error": f"record {number} is not a JSON object"})
            raws.append(obj)
        else:
            try:
                converted = convert(obj)
            except (AttributeError, TypeError, ValueError) as exc:
                converted = [{"_error": f"record {number} has an unexpected shape: {exc}"}]
            for canonical in converted:
                canonical["_row"] = number
                rows.append(canonical)
                raws.append(obj)
        if len(rows) >= CHUNK_ROWS or state.record_chars >= CHUNK_CHARS:
            yield Chunk(pd.DataFrame(rows), raws)
            rows, raws = [], []
            state.record_chars = 0
    if rows:
        yield Chunk(pd.DataFrame(rows), raws)


def _s(value) -> str:
    return "" if value is None else str(value)


def _count(value):
    return None if value is None or value == "" else value


class TwitterV1Format(Format):
    name = "twitter-json"
    label = "Twitter API v1.1 JSON (array or JSON lines)"
    platform = "x"

    def sniff(self, head: str, filename: str) -> int:
        start = head.lstrip()[:1]
        if start not in {"[", "{"}:
            return 0
        window = head[:20000]
        if '"id_str"' in window and '"user"' in window and '"created_at"' in window:
            return 85
        return 0

    def chunks(self, source, state, mapping=None, encoding=None):
        yield from _chunked(_records(source, state), lambda obj: [self.convert(obj)], state)

    @staticmethod
    def convert(tweet: dict) -> dict:
        """Return the canonical record of a v1.1 tweet object (retweets keep the retweeted text and entities)."""
        user = tweet.get("user") or {}
        original = tweet.get("retweeted_status") or tweet
        extended = original.get("extended_tweet") or {}
        body = extended.get("full_text") or original.get("full_text") or original.get("text") or ""
        if original is not tweet:
            author = (original.get("user") or {}).get("screen_name", "")
            body = f"RT @{author}: {body}" if author else body
        entities = extended.get("entities") or original.get("entities")
        has_entities = entities is not None
        entities = entities or {}
        urls = [u.get("expanded_url") or u.get("url") for u in entities.get("urls") or []]
        for medium in (extended.get("extended_entities") or original.get("extended_entities") or {}).get("media", []):
            urls.append(medium.get("expanded_url"))
        handle = user.get("screen_name", "")
        post_id = tweet.get("id_str") or _s(tweet.get("id"))
        return {
            "post_id": post_id,
            "author_id": user.get("id_str") or _s(user.get("id")),
            "author_handle": handle,
            "author_name": user.get("name", ""),
            "created_at": tweet.get("created_at", ""),
            "text": body,
            "lang": tweet.get("lang") or "",
            "url": f"https://twitter.com/{handle}/status/{post_id}" if handle and post_id else "",
            "repost_of": (original.get("id_str") or _s(original.get("id"))) if original is not tweet else "",
            "reply_to": tweet.get("in_reply_to_status_id_str") or _s(tweet.get("in_reply_to_status_id")),
            "quote_of": tweet.get("quoted_status_id_str") or _s(tweet.get("quoted_status_id")),
            "likes": _count(tweet.get("favorite_count")),
            "reposts": _count(tweet.get("retweet_count")),
            "replies": _count(tweet.get("reply_count")),
            "views": None,
            # Without entities the text is searched instead (None); with them, they are the truth.
            "hashtags": " ".join(h.get("text", "") for h in entities.get("hashtags") or []) if has_entities else None,
            "urls": " ".join(u for u in urls if u) if has_entities else None,
            "mentions": " ".join(m.get("screen_name", "") for m in entities.get("user_mentions") or [])
            if has_entities
            else None,
        }


class TwitterV2Format(Format):
    name = "twitter-v2"
    label = "Twitter API v2 JSON lines (data + includes.users)"
    platform = "x"

    def sniff(self, head: str, filename: str) -> int:
        first = head.lstrip().split("\n", 1)[0]
        try:
            obj = json.loads(first[:MAX_RECORD_CHARS])
        except (json.JSONDecodeError, RecursionError):
            window = head[:20000]
            return 60 if '"data"' in window and '"author_id"' in window else 0
        if isinstance(obj, dict) and ("data" in obj or ("author_id" in obj and "user" not in obj)):
            return 90
        return 0

    def chunks(self, source, state, mapping=None, encoding=None):
        yield from _chunked(_records(source, state, arrays=False), self.convert, state)

    @staticmethod
    def convert(page: dict) -> list[dict]:
        """Return the canonical records of one v2 response page (or one flattened tweet)."""
        if "data" in page:
            data = page["data"]
            tweets = data if isinstance(data, list) else [data]
            includes = page.get("includes") or {}
        else:
            tweets, includes = [page], {}
        users = {u.get("id"): u for u in includes.get("users") or [] if isinstance(u, dict)}
        out = []
        for tweet in tweets:
            user = tweet.get("author") or users.get(tweet.get("author_id")) or {}
            refs = {r.get("type"): _s(r.get("id")) for r in tweet.get("referenced_tweets") or []}
            entities = tweet.get("entities") or {}
            metrics = tweet.get("public_metrics") or {}
            note = (tweet.get("note_tweet") or {}).get("text")
            handle = user.get("username", "")
            urls = [u.get("unwound_url") or u.get("expanded_url") or u.get("url") for u in entities.get("urls") or []]
            out.append(
                {
                    "post_id": _s(tweet.get("id")),
                    "author_id": _s(tweet.get("author_id") or user.get("id")),
                    "author_handle": handle,
                    "author_name": user.get("name", ""),
                    "created_at": tweet.get("created_at", ""),
                    "text": note or tweet.get("text") or "",
                    "lang": tweet.get("lang") or "",
                    "url": f"https://twitter.com/{handle}/status/{tweet.get('id')}" if handle else "",
                    "repost_of": refs.get("retweeted", ""),
                    "reply_to": refs.get("replied_to", ""),
                    "quote_of": refs.get("quoted", ""),
                    "likes": _count(metrics.get("like_count")),
                    "reposts": _count(metrics.get("retweet_count")),
                    "replies": _count(metrics.get("reply_count")),
                    "views": _count(metrics.get("impression_count")),
                    "hashtags": " ".join(h.get("tag", "") for h in entities.get("hashtags") or []),
                    "urls": " ".join(u for u in urls if u),
                    "mentions": " ".join(m.get("username", "") for m in entities.get("mentions") or []),
                }
            )
        return out


_TELEGRAM = "the Telegram export"


class TelegramFormat(Format):
    name = "telegram"
    label = "Telegram Desktop export (result.json)"
    platform = "telegram"

    def sniff(self, head: str, filename: str) -> int:
        window = head[:20000]
        if head.lstrip().startswith("{") and '"messages"' in window and '"type"' in window:
            return 95 if filename.lower().endswith("result.json") or '"date_unixtime"' in window else 70
        return 0

    def chunks(self, source, state, mapping=None, encoding=None):
        state.encoding = detect_encoding(source.head())
        _prescan(source, state, 2, _TELEGRAM)
        chat = self._chat(source, state)
        records = self._messages(source, state)
        yield from _chunked(records, lambda msg: self.convert(msg, chat), state)

    def _chat(self, source: Source, state: ReadState) -> dict:
        chat: dict = {}
        with raw_for_ijson(source, state) as fh:
            try:
                for prefix, event, value in ijson.parse(fh, use_float=True):
                    if prefix == "messages" and event == "start_array":
                        break
                    if prefix in {"name", "type", "id"} and event in {"string", "number"}:
                        chat[prefix] = value
            except ijson.JSONError as exc:
                raise _json_error(_TELEGRAM, exc) from exc
        if "id" not in chat and "name" not in chat:
            raise FormatError("not a Telegram Desktop export of one chat: no chat id or name before 'messages'")
        return chat

    def _messages(self, source: Source, state: ReadState):
        with raw_for_ijson(source, state) as fh:
            try:
                for number, msg in enumerate(ijson.items(fh, "messages.item", use_float=True), 1):
                    _advance(state, fh.tell())
                    yield number, msg
            except ijson.JSONError as exc:
                raise _json_error(_TELEGRAM, exc) from exc

    @staticmethod
    def flatten(text) -> str:
        """Return a message's text whether it is a string or a list of strings and entity objects."""
        if isinstance(text, str):
            return text
        if isinstance(text, list):
            return "".join(part if isinstance(part, str) else _s(part.get("text")) for part in text)
        return ""

    @staticmethod
    def convert(msg: dict, chat: dict) -> list[dict]:
        """Return the canonical record of one export message (service messages give none)."""
        if msg.get("type", "message") != "message":
            return []
        parts = msg.get("text_entities") or (msg.get("text") if isinstance(msg.get("text"), list) else [])
        links = [p.get("href") or p.get("text") for p in parts if isinstance(p, dict) and p.get("type") in LINKS]
        tags = [p.get("text", "") for p in parts if isinstance(p, dict) and p.get("type") == "hashtag"]
        reactions = msg.get("reactions") or []
        likes = sum(int(r.get("count") or 0) for r in reactions if isinstance(r, dict)) if reactions else None
        chat_id = _s(chat.get("id"))
        reply = msg.get("reply_to_message_id")
        return [
            {
                "post_id": f"{chat_id}/{msg.get('id')}" if chat_id else _s(msg.get("id")),
                "author_id": _s(msg.get("from_id") or msg.get("actor_id") or chat_id),
                "author_handle": "",
                "author_name": _s(msg.get("from") or chat.get("name")),
                "created_at": _s(msg.get("date_unixtime") or msg.get("date")),
                "text": TelegramFormat.flatten(msg.get("text")),
                "lang": "",
                "url": "",
                "repost_of": "",
                "reply_to": f"{chat_id}/{reply}" if reply and chat_id else _s(reply),
                "quote_of": "",
                "likes": likes,
                "reposts": None,
                "replies": None,
                "views": _count(msg.get("views")),
                "hashtags": " ".join(tags) if tags else None,
                "urls": " ".join(u for u in links if u) if links else None,
                "mentions": None,
            }
        ]


LINKS = {"link", "text_link"}
