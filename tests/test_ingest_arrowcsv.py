"""Arrow's CSV reader (planner.ingest.arrowcsv) reads every file exactly as the pandas reader did, or hands it over.

The reference is the pandas path alone (ArrowCsv.usable patched to say no): the same chunks (canonical records and
raw rows), the same rejected lines with the same line numbers, the same refusals. Chunks are a few rows long here, so
chunk boundaries fall everywhere: inside quoted line breaks, before blank lines, at the end of the file.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.ingest import arrowcsv, formats
from planner.ingest.formats import CsvFormat, ReadState
from planner.ingest.source import FormatError, Source

HEADER = "id,created_at,text,author"
# Field values as hostile exports carry them, and the malformed quoting the fast path must never read differently.
FIELDS = [
    "1",
    "2026-11-01T00:00:00Z",
    "plain words",
    "",
    '"quoted, with comma"',
    '"quoted\nline break"',
    '"quoted\r\nCRLF inside"',
    '"say ""hi"""',
    '""',
    'mid"quote',
    '"closed"then text',
    ' "spaced"',
    'ends with quote"',
    '"unterminated',
    "кириллица #тег",
    "emoji 🙂 #Lantern",
    "semi;colon|pipe",
    "tab\there",
    "   ",
    "#tag @handle https://x.example/a",
    "'single'",
    "back\\slash",
    "cr\ralone",
]
ENDINGS = ["\n", "\n", "\n", "\r\n", "\r"]


def _chunks(data: bytes, skip_bad_rows: bool, fast: bool, monkeypatch) -> tuple[list, list[str]]:
    """Return ([(canonical records, raw records) per chunk], [read state warnings]) or raise FormatError."""
    monkeypatch.setattr(formats, "FIRST_CHUNK_ROWS", 2)
    monkeypatch.setattr(formats, "CHUNK_ROWS", 3)
    monkeypatch.setattr(formats, "MIN_CHUNK_ROWS", 1)
    monkeypatch.setattr(arrowcsv.ArrowCsv, "usable", staticmethod(lambda *a: fast and _usable(*a)))
    state = ReadState(skip_bad_rows=skip_bad_rows)
    out = []
    for chunk in CsvFormat().chunks(Source.from_bytes("t.csv", data), state):
        canonical = chunk.frame.astype(object).where(chunk.frame.notna(), None).to_dict("records")
        raw = chunk.raw.astype(object).where(chunk.raw.notna(), None).to_dict("records")
        out.append((canonical, raw))
    return out, list(state.warnings)


_usable = arrowcsv.ArrowCsv.usable


def _outcome(data: bytes, skip_bad_rows: bool, fast: bool, monkeypatch):
    try:
        return _chunks(data, skip_bad_rows, fast, monkeypatch)
    except FormatError as exc:
        return ("refused", str(exc))


def _same_records(data: bytes, monkeypatch) -> None:
    for skip in (False, True):
        fast = _outcome(data, skip, True, monkeypatch)
        slow = _outcome(data, skip, False, monkeypatch)
        if fast[0] == "refused" or slow[0] == "refused":
            assert fast == slow, data
            continue

        # Chunk sizes may differ (each reader sizes its own), and with them which chunks carry an '_error' column
        # (None where a row has none) and where a chunk's skipped lines go (after its records); the records may not.
        def flat(outcome):
            rows = [row for canonical, _raw in outcome[0] for row in canonical]
            rows = [{k: v for k, v in row.items() if k != "_error" or v is not None} for row in rows]
            return sorted(rows, key=lambda r: (r["_row"], r.get("_error", ""))), outcome[1]

        def raws(outcome):
            return sorted((str(row) for _canonical, raw in outcome[0] for row in raw))

        assert flat(fast) == flat(slow), data
        assert raws(fast) == raws(slow), data


def _random_file(rng: random.Random) -> bytes:
    ending = rng.choice(ENDINGS) if rng.random() < 0.3 else "\n"
    lines = [HEADER]
    for _ in range(rng.randint(0, 14)):
        roll = rng.random()
        if roll < 0.05:
            lines.append("")
            continue
        width = 4 if roll < 0.85 else rng.choice([1, 3, 5])
        # Mostly clean fields, so files run clean for a while before something odd comes.
        pool = FIELDS[:4] if rng.random() < 0.6 else FIELDS
        lines.append(",".join(rng.choice(pool) for _ in range(width)))
    text = ending.join(lines) + (ending if rng.random() < 0.8 else "")
    return text.encode()


def test_random_files_read_alike(monkeypatch):
    rng = random.Random(20261204)
    for _ in range(400):
        _same_records(_random_file(rng), monkeypatch)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.sampled_from(FIELDS) | st.text(max_size=6), min_size=4, max_size=4), max_size=8))
def test_generated_rows_read_alike(monkeypatch, rows):
    text = HEADER + "\n" + "".join(",".join(row) + "\n" for row in rows)
    _same_records(text.encode(), monkeypatch)


def _spy(monkeypatch) -> list[int]:
    parsed = []
    real = arrowcsv.ArrowCsv._parse

    def parse(self, data, ends):
        table, last = real(self, data, ends)
        parsed.append(table.num_rows)
        return table, last

    monkeypatch.setattr(arrowcsv.ArrowCsv, "_parse", parse)
    return parsed


def test_clean_file_is_read_by_arrow_in_chunks(monkeypatch):
    parsed = _spy(monkeypatch)
    body = "".join(f'{i},2026-11-01T00:00:{i % 60:02d}Z,"post, {i}\nsecond line",@a{i}\n' for i in range(1, 21))
    chunks, _warnings = _chunks((HEADER + "\n" + body).encode(), False, True, monkeypatch)
    assert parsed == [2] + [3] * 6  # FIRST_CHUNK_ROWS, then CHUNK_ROWS
    rows = [row for canonical, _raw in chunks for row in canonical]
    assert [r["_row"] for r in rows] == list(range(1, 21))
    assert rows[6] == {
        "post_id": "7",
        "created_at": "2026-11-01T00:00:07Z",
        "text": "post, 7\nsecond line",
        "author_name": "@a7",
        "_row": 7,
    }


def test_a_ragged_line_after_clean_chunks_keeps_its_line_number(monkeypatch):
    parsed = _spy(monkeypatch)
    good = [f"{i},2026-11-01T00:00:00Z,post {i},a" for i in range(1, 10)]
    data = "\n".join([HEADER, *good[:6], "7,2026-11-01T00:00:00Z,too,many,fields", *good[7:]]) + "\n"
    chunks, _warnings = _chunks(data.encode(), True, True, monkeypatch)
    assert parsed == [2, 3]  # the chunk holding line 8 and the rest went to pandas
    rows = [row for canonical, _raw in chunks for row in canonical]
    bad = [r for r in rows if r.get("_error")]
    assert [(r["_row"], r["_error"]) for r in bad] == [(7, "line 8: expected 4 fields, saw 5")]
    assert [r["_row"] for r in rows if not r.get("_error")] == [1, 2, 3, 4, 5, 6, 7, 8]
    with pytest.raises(FormatError, match=r"line 8, saw 5"):
        _chunks(data.encode(), False, True, monkeypatch)


@pytest.mark.parametrize(
    "body",
    [
        'a"b,2026-11-01T00:00:00Z,"x\ny",z\n',  # a quote inside a field would shift the count of quotes
        '1,2026-11-01T00:00:00Z,"never closed,z\n',  # the file ends inside quotes
        "1,2026-11-01T00:00:00Z,x\r,z\n",  # a carriage return alone ends a record for both parsers
        "1,2026-11-01T00:00:00Z,x,z\n   \n",  # a line of spaces
    ],
)
def test_doubtful_chunks_go_to_pandas(monkeypatch, body):
    parsed = _spy(monkeypatch)
    _same_records((HEADER + "\n" + body).encode(), monkeypatch)
    assert parsed == []


def test_quote_rules():
    seps = __import__("numpy").array([ord(","), 10, 13, 34], dtype="uint8")

    def shifts(text: str) -> bool:
        return arrowcsv._quote_shifts(__import__("numpy").frombuffer(text.encode(), "uint8"), seps)

    assert not shifts('a,"b,c",""\n"x ""y"""\n')
    assert shifts('a,b"c\n') and shifts('a,"b"c\n') and shifts('a, "b"\n')
    ends = arrowcsv.record_ends(__import__("numpy").frombuffer(b'a,"b\nc"\nd\n', "uint8"))
    assert ends.tolist() == [7, 9]


@pytest.mark.parametrize("fast", [True, False])
def test_a_ragged_last_line_is_reported_by_either_reader(monkeypatch, fast):
    # pandas warns about a line it skips in the read that finds the end of the file: that line is still rejected.
    data = HEADER + "\n1,2026-11-01T00:00:00Z,x,a\n2,2026-11-01T00:00:00Z,x,a,extra\n"
    chunks, _warnings = _chunks(data.encode(), True, fast, monkeypatch)
    rows = [row for canonical, _raw in chunks for row in canonical]
    assert [(r["_row"], r.get("_error")) for r in rows] == [(1, None), (2, "line 3: expected 4 fields, saw 5")]
