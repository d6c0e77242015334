"""Import formats: a small base class per format (sniff, columns, chunks of canonical records) and detection."""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

import pandas as pd

from planner.ingest.arrowcsv import ArrowCsv
from planner.ingest.source import FormatError, Source, TextStream, detect_encoding, open_text

# Fields a user can map a CSV column to (the CLI's --map FIELD=COLUMN).
FIELDS = (
    "post_id",
    "author_id",
    "author_handle",
    "author_name",
    "created_at",
    "text",
    "lang",
    "url",
    "repost_of",
    "reply_to",
    "likes",
    "reposts",
    "replies",
    "views",
)
# Fields formats fill from structured data (entities) when they have it; otherwise they come from the text.
EXTRA_FIELDS = ("quote_of", "hashtags", "urls", "mentions")
REQUIRED_FIELDS = ("created_at", "text")
# Rows per chunk: big enough for vectorised parsing, small enough to keep memory flat on any file size.
CHUNK_ROWS = 50_000
# CSV chunks are sized from the rows read so far to about CHUNK_CHARS of text; one chunk reading more than
# CHUNK_CHARS_MAX (rows that suddenly grow) or a line longer than LINE_CHARS_MAX refuses the file.
FIRST_CHUNK_ROWS = 1000
MIN_CHUNK_ROWS = 100
CHUNK_CHARS = 32 << 20
CHUNK_CHARS_MAX = 256 << 20
LINE_CHARS_MAX = 4 << 20
RAW_MAX = 2000

# Header names (lower-cased, non-alphanumerics as '_') that each field is guessed from, best first.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "post_id": ("post_id", "tweet_id", "message_id", "id_str", "status_id", "id", "post"),
    "author_id": ("author_id", "user_id", "sender_id", "from_id", "account_id", "user_id_str", "channel_id"),
    "author_handle": (
        "author_handle",
        "user_screen_name",
        "screen_name",
        "username",
        "user_username",
        "handle",
        "account_username",
        "author_username",
    ),
    "author_name": ("author_name", "user_name", "name", "display_name", "channel", "account_name", "from", "author"),
    "created_at": (
        "created_at",
        "created_at_utc",
        "date",
        "timestamp",
        "datetime",
        "time",
        "published_at",
        "publish_time",
        "posted_at",
        "date_utc",
    ),
    "text": ("text", "full_text", "message", "content", "body", "post_text", "tweet_text", "tweet", "description"),
    "lang": ("lang", "language", "languages"),
    "url": ("url", "permalink", "post_link", "link", "tweet_permalink", "post_url"),
    "repost_of": ("repost_of", "retweeted_status_id", "repost_id", "retweet_id", "retweeted_id", "forwarded_from_id"),
    "reply_to": ("reply_to", "in_reply_to_status_id", "reply_id", "in_reply_to", "reply_to_message_id"),
    "likes": ("likes", "favorite_count", "like_count", "favorites", "favourites", "reactions"),
    "reposts": ("reposts", "retweet_count", "retweets", "shares", "forwards", "repost_count"),
    "replies": ("replies", "reply_count", "comments", "comment_count"),
    "views": ("views", "impressions", "impression_count", "view_count"),
    "quote_of": ("quote_of", "quoted_status_id", "quoted_id"),
    "hashtags": ("hashtags", "entities_hashtags"),
    "urls": ("urls", "urls_expanded", "expanded_urls", "entities_urls"),
    "mentions": ("mentions", "user_mentions", "entities_mentions"),
}
QUT_COLUMNS = ("message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls")


def header_key(name: str) -> str:
    """Return a header's comparison key: BOM and spaces stripped, lower case, non-alphanumerics as '_'."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).replace("\ufeff", "").strip().lower()).strip("_")


def guess_mapping(columns: list[str]) -> dict[str, str]:
    """Return {field: column} guessed from header names; each column is used at most once."""
    by_key: dict[str, str] = {}
    for col in columns:
        by_key.setdefault(header_key(col), col)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for fld in FIELDS + EXTRA_FIELDS:
        for synonym in SYNONYMS[fld]:
            col = by_key.get(synonym)
            if col is not None and col not in used:
                mapping[fld] = col
                used.add(col)
                break
    return mapping


def guess_platform(columns: list[str]) -> str:
    """Return the platform a CSV's headers suggest ('unknown' when they do not)."""
    keys = {header_key(c) for c in columns}
    if keys & {"tweet_id", "user_screen_name", "screen_name", "retweet_count", "favorite_count", "id_str"}:
        return "x"
    if keys & {"sender_id", "channel"} and "message_id" in keys:
        return "telegram"
    return "unknown"


@dataclass
class Chunk:
    """Canonical records (columns from FIELDS/EXTRA_FIELDS, plus '_row' and optionally '_error') and their raw rows."""

    frame: pd.DataFrame
    raw: pd.DataFrame | list

    def raw_rows(self, positions: list[int]) -> list[str]:
        """Return the source rows at `positions` as JSON, each cut to RAW_MAX characters."""
        if isinstance(self.raw, pd.DataFrame):  # one selection for all: a row at a time costs ~0.1 ms each
            rows = self.raw.iloc[positions].to_dict("records") if positions else []
        else:
            rows = [self.raw[position] for position in positions]
        return [_raw_json(row) for row in rows]


def _raw_json(row) -> str:
    try:
        return json.dumps(row, ensure_ascii=False, default=str)[:RAW_MAX]
    except (TypeError, ValueError):
        return str(row)[:RAW_MAX]


@dataclass
class ReadState:
    """What a format learnt while reading, for the report."""

    encoding: str = ""
    columns: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    bytes_read: int = 0
    stream: TextStream | None = None
    skip_bad_rows: bool = False
    # Characters of source records read since the last chunk was handed on (bounds memory per chunk).
    record_chars: int = 0


class Format:
    """One import format. Subclasses set name/label/platform and override sniff() and chunks()."""

    name = ""
    label = ""
    platform = "unknown"
    # Tabular formats let the user map columns to fields.
    has_columns = False

    def sniff(self, head: str, filename: str) -> int:
        """Return how sure (0-100) this format is that a file starting with `head` is in it."""
        return 0

    def columns(self, source: Source, encoding: str | None = None) -> list[str]:
        """Return the file's column names (tabular formats only)."""
        return []

    def guess_platform(self, columns: list[str]) -> str:
        return self.platform

    def chunks(
        self, source: Source, state: ReadState, mapping: dict[str, str] | None = None, encoding: str | None = None
    ) -> Iterator[Chunk]:
        """Yield the file's records as canonical chunks; raise FormatError when the file cannot be read."""
        raise NotImplementedError


class CsvFormat(Format):
    name = "csv"
    label = "CSV with a column mapping"
    has_columns = True

    def sniff(self, head: str, filename: str) -> int:
        first = head.lstrip("\ufeff").split("\n", 1)[0]
        if first.lstrip().startswith(("{", "[")):
            return 0
        return 30 if ("," in first or ";" in first or "\t" in first) else 5

    def _reader_options(self, sample: str) -> dict:
        first = sample.split("\n", 1)[0]
        counts = {sep: first.count(sep) for sep in (",", ";", "\t", "|")}
        sep = max(counts, key=counts.get) if max(counts.values()) else ","
        return {"sep": sep}

    def guess_platform(self, columns: list[str]) -> str:
        return guess_platform(columns)

    def columns(self, source: Source, encoding: str | None = None) -> list[str]:
        raw, stream = open_text(source, encoding)
        with raw:
            sample = stream.read(65536)
        return self._header(sample)

    def _header(self, sample: str) -> list[str]:
        opts = self._reader_options(sample)
        try:
            header = next(csv.reader(io.StringIO(sample), delimiter=opts["sep"]), [])
        except csv.Error as exc:
            raise FormatError(f"the file has no readable CSV header: {exc}") from exc
        header = [str(c).replace("\ufeff", "").strip() for c in header]
        if not any(header):
            raise FormatError("the file is empty or its first line is blank: the first line must name the columns")
        return header

    def resolve_mapping(self, columns: list[str], mapping: dict[str, str] | None) -> dict[str, str]:
        """Return the guessed mapping overridden by `mapping`; raise FormatError for unknown fields or columns."""
        result = guess_mapping(columns)
        for fld, col in (mapping or {}).items():
            if fld not in FIELDS + EXTRA_FIELDS:
                raise FormatError(f"--map {fld}={col}: {fld!r} is not a field (fields: {', '.join(FIELDS)})")
            if not col:
                result.pop(fld, None)
                continue
            if col not in columns:
                matches = [c for c in columns if header_key(c) == header_key(col)]
                if not matches:
                    raise FormatError(
                        f"--map {fld}={col}: the file has no column {col!r} (columns: {', '.join(columns)})"
                    )
                col = matches[0]
            for other, used in list(result.items()):
                if used == col and other != fld:
                    del result[other]
            result[fld] = col
        missing = [f for f in REQUIRED_FIELDS if f not in result]
        if missing:
            raise FormatError(
                f"no column for {', '.join(missing)}: map one with --map {missing[0]}=COLUMN "
                f"(columns: {', '.join(columns)})"
            )
        return result

    def chunks(self, source, state, mapping=None, encoding=None):
        raw, stream = open_text(source, encoding)
        state.encoding, state.stream = stream.encoding_name, stream
        with raw:
            sample = stream.read(65536)
            columns = self._header(sample)
            if len(set(columns)) != len(columns):
                dupes = sorted({c for c in columns if columns.count(c) > 1})
                raise FormatError(f"the header names these columns twice: {', '.join(dupes)}")
            state.columns = columns
            state.mapping = self.resolve_mapping(columns, mapping)
            state.ignored_columns = [c for c in columns if c not in state.mapping.values()]
            inverse = {col: fld for fld, col in state.mapping.items()}
            yield from self._read(_Prefixed(sample, stream), state, inverse)

    def _read(self, stream: _Prefixed, state: ReadState, inverse: dict[str, str]) -> Iterator[Chunk]:
        opts = self._reader_options(stream.prefix)
        row = lines = primer = 0
        if ArrowCsv.usable(state.columns, opts["sep"]):
            fast = ArrowCsv(stream, state.columns, opts["sep"])
            for frame in fast.frames(_chunk_rows):
                stream.delivered = 0
                state.bytes_read = max(stream.bytes_read - len(stream.prefix_left) - len(fast.pending), 0)
                yield _chunk(frame, inverse, row)
                row += len(frame)
            if fast.finished:
                return
            stream, lines, primer = stream.resume(fast.rest), fast.lines, fast.primer
        yield from self._read_pandas(stream, state, inverse, opts, row - primer, lines, primer)

    def _read_pandas(
        self,
        stream: _Prefixed,
        state: ReadState,
        inverse: dict[str, str],
        opts: dict,
        row: int = 0,
        lines: int = 0,
        primer: int = 0,
    ) -> Iterator[Chunk]:
        """Read with pandas from `stream` (the header line first); `row` records and `lines` line breaks after the
        header were read before it (row numbers and line numbers count from the file's start). The first `primer`
        records were read before too: they are not handed on again."""
        rows = _chunk_rows(row, stream.total)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", pd.errors.ParserWarning)
                reader = pd.read_csv(
                    stream,
                    dtype=str,
                    keep_default_na=False,
                    na_filter=False,
                    chunksize=rows,
                    # Ragged lines refuse the file unless bad rows are skipped; then each becomes a rejected row.
                    on_bad_lines="warn" if state.skip_bad_rows else "error",
                    # Never take a row with one field too many as "index + columns": that shifts every value.
                    index_col=False,
                    **opts,
                )
            _ragged_lines(caught, lines)
            while True:
                stream.delivered = 0
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", pd.errors.ParserWarning)
                    try:
                        frame = reader.get_chunk(rows)
                    except StopIteration:  # the last read may still have skipped lines: they are reported
                        frame = pd.DataFrame({column: pd.Series(dtype=str) for column in state.columns})
                        if not caught:
                            break
                if len(frame):  # the average row so far sizes the next chunk (reads run ahead of rows)
                    rows = _chunk_rows(row + len(frame), stream.total)
                chunk = _chunk(frame, inverse, row)
                row += len(frame)
                if primer:
                    chunk = Chunk(chunk.frame.iloc[primer:].reset_index(drop=True), chunk.raw.iloc[primer:])
                    primer = 0
                ragged = _ragged_lines(caught, lines)
                if ragged:
                    # Rows count records after the header; a physical line number is that plus one.
                    extra = pd.DataFrame({"_row": [n - 1 for n, _ in ragged], "_error": [m for _, m in ragged]})
                    canonical = pd.concat([chunk.frame, extra], ignore_index=True)
                    raw = pd.concat([chunk.raw, pd.DataFrame(index=range(len(ragged)))], ignore_index=True)
                    chunk = Chunk(canonical, raw)
                state.bytes_read = stream.bytes_read
                if len(chunk.frame):
                    yield chunk
        except pd.errors.ParserError as exc:
            detail = str(exc).strip().removeprefix("Error tokenizing data. C error: ")
            detail = re.sub(r"\b(line|row) (\d+)", lambda m: f"{m.group(1)} {int(m.group(2)) + lines}", detail)
            raise FormatError(f"the CSV cannot be read: {detail} (skip bad rows to import the rest)") from exc
        except pd.errors.EmptyDataError as exc:
            raise FormatError("the file is empty") from exc


def _chunk_rows(records: int, characters: int) -> int:
    """Return the rows of the next chunk: FIRST_CHUNK_ROWS, then about CHUNK_CHARS of text by the average row so far
    (the reads run ahead of the rows), between MIN_CHUNK_ROWS and CHUNK_ROWS."""
    if not records:
        return FIRST_CHUNK_ROWS
    return max(MIN_CHUNK_ROWS, min(CHUNK_ROWS, int(CHUNK_CHARS * records / max(characters, 1))))


def _chunk(frame: pd.DataFrame, inverse: dict[str, str], row: int) -> Chunk:
    """Return the chunk of `frame` (every column of the file, as read), whose first record is number `row` + 1."""
    frame.columns = [str(c).replace("\ufeff", "").strip() for c in frame.columns]
    canonical = frame[list(inverse)].rename(columns=inverse)
    canonical["_row"] = range(row + 1, row + 1 + len(frame))
    canonical.index = range(len(canonical))
    return Chunk(canonical, frame.reset_index(drop=True))


def _ragged_lines(caught, lines: int = 0) -> list[tuple[int, str]]:
    """Return (line number, reason) for each line pandas skipped because its field count was wrong; `lines` line
    breaks came before what pandas read, after the header."""
    out = []
    for warning in caught:
        if not issubclass(warning.category, pd.errors.ParserWarning):
            continue
        if "Length of header" in str(warning.message):
            raise FormatError(
                "a row has more fields than the header: quote values that contain the separator "
                "(the first data row is the usual culprit)"
            )
        for match in re.finditer(r"Skipping line (\d+): (.+)", str(warning.message)):
            number = int(match.group(1)) + lines
            out.append((number, f"line {number}: {match.group(2).strip()}"))
    return out


def _longest_line(text: str) -> int:
    return max(map(len, text.splitlines()), default=0)


class _Prefixed:
    """The text stream with the already-read sample put back in front."""

    def __init__(self, prefix: str, stream: TextStream):
        self.prefix, self._pending, self.stream = prefix, prefix, stream
        self.delivered = 0  # characters handed to the reader since the current chunk began
        self.total = 0  # characters handed to the reader in all
        self._line = 0  # characters since the last line break

    @property
    def bytes_read(self) -> int:
        return self.stream.bytes_read

    @property
    def prefix_left(self) -> str:
        """The part of the prefix not read yet."""
        return self._pending

    def resume(self, text: str) -> _Prefixed:
        """Return this stream with `text` put back in front (what a reader took and did not use)."""
        resumed = _Prefixed(text + self._pending, self.stream)
        resumed.total = max(self.total - len(text), 0)
        return resumed

    def read(self, size: int = -1) -> str:
        if self._pending:
            if size is None or size < 0:
                out, self._pending = self._pending + self.stream.read(), ""
            else:
                out, self._pending = self._pending[:size], self._pending[size:]
        else:
            out = self.stream.read(size)
        return self._checked(out)

    def _checked(self, out: str) -> str:
        """Refuse a line or a chunk too long to hold in memory (a bomb, not an export)."""
        self.delivered += len(out)
        self.total += len(out)
        if self.delivered > CHUNK_CHARS_MAX:
            raise FormatError(f"rows suddenly hold more than {CHUNK_CHARS_MAX >> 20} MB at once: refused")
        last = max(out.rfind("\n"), out.rfind("\r"))
        self._line = self._line + len(out) if last < 0 else len(out) - last - 1
        if self._line > LINE_CHARS_MAX or (len(out) > LINE_CHARS_MAX and _longest_line(out) > LINE_CHARS_MAX):
            raise FormatError(f"a line is longer than {LINE_CHARS_MAX >> 20} MB: refused")
        return out

    def __iter__(self):
        return iter(self.read().splitlines(keepends=True))


class QutFormat(CsvFormat):
    """The coordination-network-toolkit 1.5.2 CSV: fixed columns, epoch-second timestamps, space-separated URLs."""

    name = "qut"
    label = "coordination-network-toolkit CSV"
    has_columns = False
    MAPPING = {
        "post_id": "message_id",
        "author_id": "user_id",
        "author_handle": "username",
        "repost_of": "repost_id",
        "reply_to": "reply_id",
        "text": "message",
        "created_at": "timestamp",
        "urls": "urls",
    }

    def sniff(self, head: str, filename: str) -> int:
        first = head.lstrip("\ufeff").split("\n", 1)[0].strip()
        return 90 if [header_key(c) for c in first.split(",")] == list(QUT_COLUMNS) else 0

    def resolve_mapping(self, columns, mapping):
        missing = [c for c in QUT_COLUMNS if c not in columns]
        if missing:
            raise FormatError(f"not a coordination-network-toolkit CSV: no column {', '.join(missing)}")
        return dict(self.MAPPING)


def sniff_text(source: Source) -> str:
    """Return the start of `source` decoded for sniffing (undecodable bytes replaced)."""
    head = source.head(65536)
    return head.decode(detect_encoding(head), errors="replace").lstrip("\ufeff")
