"""Hostile and broken input: a clear error naming the row or field, and the database exactly as it was."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from planner import auth, ingest
from planner.ingest import ImportOptions, Source, formats
from planner.models import AuditEntry, ImportBatch, ImportReject, Post

HEADER = "id,date,text\n"


def _state(session):
    return tuple(session.scalar(select(func.count(m.id))) for m in (Post, ImportBatch, ImportReject, AuditEntry))


def _import(session, actor, data, name="f.csv", **options):
    data = data.encode() if isinstance(data, str) else data
    return ingest.import_posts(session, actor, Source.from_bytes(name, data), ImportOptions(**options))


@pytest.fixture
def unchanged(session, admin):
    """Assert that the test leaves posts, batches, rejects and the audit log as they were."""
    before = _state(session)
    yield
    session.rollback()
    assert _state(session) == before


def _refused(session, admin, data, match, **options):
    with pytest.raises((ingest.ImportRefused, ingest.FormatError), match=match) as info:
        _import(session, admin, data, **options)
    return info.value


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ("a,b\n1,2\n", "no column for created_at, text"),
        ("date,stuff\n2026-11-01,x\n", "no column for text"),
        ("", "empty"),
        ("\n\n", "empty"),
        ("id,date,text\n", "no records"),
        ("id,date,text,text\n1,2,3,4\n", "twice"),
        ("\x89PNG\r\n\x1a\n\x00\x00binary", "not a format|no column"),
    ],
)
def test_unreadable_files_are_refused(session, admin, unchanged, data, match):
    _refused(session, admin, data, match)


def test_unknown_options_are_refused(session, admin, unchanged):
    _refused(session, admin, HEADER + "1,2026-11-01T00:00:00Z,x\n", "not a known time zone", timezone="Mars/Base")
    _refused(session, admin, HEADER + "1,2026-11-01T00:00:00Z,x\n", "platform", platform="Not A Platform!")
    _refused(session, admin, HEADER + "1,2026-11-01T00:00:00Z,x\n", "not one of", format="myspace")
    _refused(session, admin, HEADER + "1,2026-11-01T00:00:00Z,x\n", "not an encoding", encoding="klingon-8")
    _refused(session, admin, HEADER + "1,2026-11-01T00:00:00Z,x\n", "'fish' is not a field", mapping={"fish": "id"})


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("yesterday", "'yesterday' is not a plausible date"),
        ("2026-13-45T00:00:00Z", "is not a plausible date"),
        ("", "created_at: empty"),
        ("0", "'0' is not a plausible"),
        ("1970-01-01T00:00:00Z", "is not a plausible"),
        ("2999-01-01T00:00:00Z", "is not a plausible"),
        ("99999999999999", "is not a plausible"),
    ],
)
def test_bad_timestamps_name_row_and_field(session, admin, unchanged, value, why):
    data = HEADER + "1,2026-11-01T00:00:00Z,fine\n" + f"2,{value},bad\n"
    exc = _refused(session, admin, data, "refused, nothing imported")
    assert "row 2: created_at:" in str(exc) and why in str(exc)
    assert [(r.row, r.field) for r in exc.report.rejects] == [(2, "created_at")]


def test_bad_row_in_a_later_chunk_rolls_back_earlier_chunks(session, admin, unchanged, monkeypatch):
    monkeypatch.setattr(formats, "CHUNK_ROWS", 10)
    rows = "".join(f"{i},2026-11-01T00:00:{i % 60:02d}Z,post {i}\n" for i in range(1, 36))
    exc = _refused(session, admin, HEADER + rows + "36,not a time,x\n", "row 36: created_at")
    assert exc.report.rows_read == 36 and exc.report.valid == 35


def test_bad_counts_and_ids(session, admin, unchanged):
    data = "id,date,text,likes,views\n" + (
        "1,2026-11-01T00:00:00Z,a,-3,\n2,2026-11-01T00:00:00Z,b,1.5,\n3,2026-11-01T00:00:00Z,c,,many\n"
        f"{'9' * 200},2026-11-01T00:00:00Z,d,,\n"
    )
    exc = _refused(session, admin, data, "4 bad rows")
    assert [(r.row, r.field) for r in exc.report.rejects] == [(1, "likes"), (2, "likes"), (3, "views"), (4, "post_id")]
    assert "longer than 128" in exc.report.rejects[3].reason


def test_wrong_stated_encoding_names_the_byte(session, admin, unchanged):
    data = (HEADER + "1,2026-11-01T00:00:00Z,Café\n").encode("latin-1")
    exc = _refused(session, admin, data, "is not valid utf-8", encoding="utf-8")
    assert "byte" in str(exc)


def test_bad_bytes_after_the_sniffed_start_roll_back(session, admin, unchanged, monkeypatch):
    monkeypatch.setattr(formats, "CHUNK_ROWS", 1000)
    good = "".join(f"{i},2026-11-01T00:00:00Z,{'x' * 300}\n" for i in range(1, 4000))  # about 1.2 MB of UTF-8
    data = (HEADER + good).encode() + b"4000,2026-11-01T00:00:00Z,caf\xe9\n"
    _refused(session, admin, data, "is not valid utf-8")


def test_ragged_lines(session, admin):
    data = HEADER + "1,2026-11-01T00:00:00Z,a\n2,2026-11-01T00:00:00Z,b,extra\n3,2026-11-01T00:00:00Z,c\n"
    with pytest.raises(ingest.FormatError, match="Expected 3 fields in line 3, saw 4"):
        _import(session, admin, data)
    assert ingest.count_posts(session) == 0
    report = _import(session, admin, data, skip_bad_rows=True)
    assert (report.imported, report.rejected) == (2, 1)
    assert "line 3: expected 3 fields, saw 4" in report.rejects[0].reason
    with pytest.raises(ingest.FormatError, match="more fields than the header"):
        _import(session, admin, HEADER + "1,2026-11-01T00:00:00Z,a,b\n", name="g.csv")


def test_embedded_newlines_crlf_and_nuls(session, admin):
    text = 'line one\r\nline two\n\n"quoted", with comma'
    buf = io.StringIO()
    csv.writer(buf).writerows([["id", "date", "text"], ["1", "2026-11-01T00:00:00Z", text + "\x00 end"]])
    report = _import(session, admin, buf.getvalue())
    assert report.imported == 1 and any("NUL" in w for w in report.warnings)
    assert session.scalars(select(Post.text)).one() == text + " end"


def test_nul_escapes_in_json_lines(session, admin):
    tweet = {
        "id_str": "5",
        "created_at": "Wed Oct 10 20:19:24 +0000 2018",
        "text": "a\u0000b #Tag",
        "user": {"id_str": "9", "screen_name": "someone"},
    }
    _import(session, admin, json.dumps(tweet) + "\n", name="t.jsonl")
    post = session.scalars(select(Post)).one()
    assert (post.text, post.hashtags) == ("ab #Tag", "tag")
    assert post.created_at == datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC)


def test_long_texts(session, admin):
    longest = "w" * 100_000
    buf = io.StringIO()
    csv.writer(buf).writerows([["id", "date", "text"], ["1", "2026-11-01T00:00:00Z", longest]])
    assert _import(session, admin, buf.getvalue()).imported == 1
    assert session.scalar(select(func.length(Post.text))) == 100_000
    buf = io.StringIO()
    csv.writer(buf).writerows([["id", "date", "text"], ["2", "2026-11-01T00:00:00Z", longest + "w"]])
    with pytest.raises(ingest.ImportRefused, match="row 1: text: 100,001 characters"):
        _import(session, admin, buf.getvalue())


def test_html_and_script_are_stored_verbatim(session, admin):
    text = '<script>alert("x")</script><b onmouseover="steal()">#GreyLantern</b> <a href="javascript:x">go</a>'
    buf = io.StringIO()
    csv.writer(buf).writerows([["id", "date", "text"], ["1", "2026-11-01T00:00:00Z", text]])
    _import(session, admin, buf.getvalue())
    post = session.scalars(select(Post)).one()
    assert post.text == text and post.hashtags == "greylantern" and post.urls == ""


def test_bad_json_lines(session, admin):
    good = json.dumps({"id_str": "1", "created_at": "Wed Oct 10 20:19:24 +0000 2018", "text": "ok", "user": {}})
    data = good + "\n{not json\n[1, 2]\n"
    with pytest.raises(ingest.ImportRefused, match="row 2: line 2 is not valid JSON"):
        _import(session, admin, data, name="t.jsonl", format="twitter-json")
    assert ingest.count_posts(session) == 0
    report = _import(session, admin, data, name="t.jsonl", format="twitter-json", skip_bad_rows=True)
    assert (report.imported, report.rejected) == (1, 2)
    assert "not a JSON object" in report.rejects[1].reason
    with pytest.raises(ingest.FormatError, match="malformed"):
        _import(session, admin, "[" + good + ", {oops", name="t.json", format="twitter-json")


def test_telegram_export_without_chat_is_refused(session, admin, unchanged):
    _refused(session, admin, '{"messages": []}', "not a Telegram Desktop export", name="result.json", format="telegram")


def test_timestamp_forms_and_zones(session, admin):
    data = HEADER + (
        "1,2026-11-01T10:00:00+02:00,iso offset\n"
        "2,1793520000,epoch seconds\n"
        "3,1793520000000,epoch ms\n"
        "4,Sun Nov 01 08:00:00 +0000 2026,twitter\n"
        "5,2026-11-01 03:00:00,naive in New York\n"
        "6,2026-11-01T08:00:00Z,zulu\n"
    )
    assert _import(session, admin, data, timezone="America/New_York").imported == 6
    stamps = set(session.scalars(select(Post.created_at)))
    assert stamps == {datetime(2026, 11, 1, 8, tzinfo=UTC)}


# A random row: maybe-valid timestamps, any text (newlines, quotes, NULs, any script), odd counts.
row_strategy = st.fixed_dictionaries(
    {
        "id": st.one_of(st.just(""), st.text("abc123", min_size=1, max_size=6)),
        "date": st.one_of(
            st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2026, 1, 1)).map(
                lambda d: d.replace(microsecond=0).isoformat() + "Z"
            ),
            st.text(max_size=12),
        ),
        "text": st.text(max_size=80),
        "likes": st.one_of(st.just(""), st.integers(0, 10**6).map(str), st.text(max_size=4)),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row_strategy, min_size=1, max_size=8))
def test_random_rows_import_whole_or_not_at_all(session, rows):
    # One workspace for all examples (the fixture runs once); each example gets its own platform, so none of them
    # sees another's posts as duplicates, and the counts before and after are compared per example.
    before = _state(session)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["id", "date", "text", "likes"])
    writer.writeheader()
    writer.writerows(rows)
    platform = f"p{abs(hash(buf.getvalue())) % 10**9}"
    if session.scalar(select(func.count(Post.id)).where(Post.platform == platform)):
        return  # hypothesis replayed the same file
    try:
        report = _import(session, auth.CLI_ACTOR, buf.getvalue(), platform=platform)
    except ingest.ImportRefused as exc:
        assert exc.report.rejects and all(r.row >= 1 and r.reason for r in exc.report.rejects)
        assert _state(session) == before
        return
    except ingest.FormatError:
        assert _state(session) == before
        return
    assert ingest.count_posts(session) - before[0] == report.imported
    assert report.imported + report.duplicates == report.valid
    texts = set(session.scalars(select(Post.text).where(Post.platform == platform)))
    assert texts <= {r["text"].replace("\x00", "").strip() for r in rows}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.datetimes(min_value=datetime(1980, 1, 1), max_value=datetime(2030, 1, 1)).map(
                lambda d: d.isoformat(timespec=["seconds", "milliseconds", "microseconds"][d.microsecond % 3]) + "Z"
            ),
            st.sampled_from(["2026-02-30T00:00:00Z", "2026-11-01T23:59:60Z", "2026-11-01T00:00:00.1234567Z", ""]),
        ),
        max_size=8,
    )
)
def test_utc_iso_columns_read_by_arrow_equal_pandas(values):
    from planner.ingest import timestamps

    now = datetime(2026, 12, 1, tzinfo=UTC)
    column = pd.Series(values, dtype="str")
    expected = timestamps._parse_text(column.where(column != "", "x"), None)
    expected = expected.where(
        (column != "") & (expected >= timestamps.EARLIEST) & (expected <= now + timestamps.FUTURE_SLACK)
    )
    got = timestamps.parse_timestamps(column, timestamps.zone(None), now)
    assert got.dtype == timestamps.UNIT
    assert got.tolist() == expected.astype(timestamps.UNIT).tolist()
