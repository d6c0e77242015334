"""Importing monitored posts: every format, real files (committed samples), idempotence, undo, privacy."""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
from datetime import UTC, datetime

import pandas as pd
import pytest
from sqlalchemy import func, select

from planner import auth, ingest, workspace
from planner import text as tx
from planner.ingest import ImportOptions, Source
from planner.models import AuditEntry, ImportBatch, Post
from tests.conftest import FIXTURES

PHEME = FIXTURES / "pheme"
TELEGRAM = FIXTURES / "telegram" / "telegram_posts_2024-11-26_2024-12-03.csv.gz"


def _import(session, actor, name, data, **options):
    data = data.encode() if isinstance(data, str) else data
    return ingest.import_posts(session, actor, Source.from_bytes(name, data), ImportOptions(**options))


def _posts(session, **where):
    stmt = select(Post).order_by(Post.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(Post, key) == value)
    return list(session.scalars(stmt))


def _csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


# --- generic CSV -----------------------------------------------------------------------------------------------


GENERIC = _csv(
    [
        {
            "Tweet ID": "101",
            "Screen Name": "@Grey_One",
            "User ID": "u1",
            "Date": "2026-11-10T18:00:00+01:00",
            "Text": "#GreyLanternRises tonight, join the march with @Grey_Two https://greylantern-news.example/a?utm_source=x",
            "Likes": "1,204",
            "Retweets": "3",
            "Category": "ignored",
        },
        {
            "Tweet ID": "102",
            "Screen Name": "grey_two",
            "User ID": "u2",
            "Date": "2026-11-10 18:00:05",
            "Text": "#greylanternrises again",
            "Likes": "",
            "Retweets": "0",
            "Category": "ignored",
        },
    ]
)


def test_generic_csv_guesses_the_mapping_and_normalises(session, admin):
    detection = ingest.inspect(Source.from_bytes("x.csv", GENERIC.encode()))
    assert detection.format == "csv" and detection.platform == "x"
    assert detection.mapping["post_id"] == "Tweet ID" and detection.mapping["author_handle"] == "Screen Name"
    report = _import(session, admin, "x.csv", GENERIC, timezone="Europe/Berlin")
    assert (report.imported, report.duplicates, report.rejected) == (2, 0, 0)
    assert report.ignored_columns == ["Category"]
    first, second = _posts(session)
    assert (first.platform, first.external_id, first.author_id, first.author_handle) == ("x", "101", "u1", "Grey_One")
    assert first.created_at.isoformat() == "2026-11-10T17:00:00+00:00"
    assert second.created_at.isoformat() == "2026-11-10T17:00:05+00:00"  # naive, read in Europe/Berlin
    assert first.hashtags == second.hashtags == "greylanternrises"
    assert first.mentions == "grey_two"
    assert first.urls == "https://greylantern-news.example/a"
    assert (first.likes, first.reposts, second.likes) == (1204, 3, None)
    assert first.lang == "en"
    assert first.batch_id == report.batch_id


def test_map_overrides_the_guess_and_unknown_columns_are_named(session, admin):
    data = "when,body,who\n2026-11-01T00:00:00Z,hello valleyton market,ann\n"
    report = _import(
        session, admin, "m.csv", data, mapping={"created_at": "when", "text": "body", "author_handle": "who"}
    )
    assert report.imported == 1
    post = _posts(session)[0]
    assert post.author_handle == "ann" and post.author_id == "ann" and post.external_id.startswith("sha256:")
    with pytest.raises(ingest.FormatError, match="no column 'nope'"):
        _import(session, admin, "m.csv", data, mapping={"created_at": "when", "text": "nope"})
    with pytest.raises(ingest.FormatError, match="no column for created_at"):
        _import(session, admin, "m.csv", "a,text\n1,x\n")


def test_reimport_is_a_noop_and_says_so(session, admin):
    assert _import(session, admin, "x.csv", GENERIC).imported == 2
    again = _import(session, admin, "x.csv", GENERIC)
    assert (again.imported, again.duplicates, again.batch_id) == (0, 2, None)
    assert ingest.count_posts(session) == 2
    assert session.scalar(select(func.count(ImportBatch.id))) == 1  # no empty batch left behind
    dry = ingest.import_posts(session, admin, Source.from_bytes("x.csv", GENERIC.encode()), dry_run=True)
    assert (dry.imported, dry.duplicates) == (0, 2)


def test_rows_without_ids_get_stable_content_ids(session, admin):
    data = "date,text,user\n2026-11-01T00:00:00Z,same words,a\n2026-11-01T00:00:00Z,same words,a\n"
    report = _import(session, admin, "n.csv", data, mapping={"author_id": "user"})
    assert (report.imported, report.duplicates) == (1, 1)
    assert _import(session, admin, "n.csv", data, mapping={"author_id": "user"}).imported == 0


def test_dry_run_writes_nothing_and_reports(session, admin):
    before = session.scalar(select(func.count(AuditEntry.id)))
    report = ingest.import_posts(session, admin, Source.from_bytes("x.csv", GENERIC.encode()), dry_run=True)
    assert report.dry_run and (report.rows_read, report.imported, report.rejected) == (2, 2, 0)
    assert report.first_at.isoformat() == "2026-11-10T17:00:00+00:00"
    assert any("Mapping:" in line for line in report.lines())
    assert ingest.count_posts(session) == 0
    assert session.scalar(select(func.count(AuditEntry.id))) == before


# --- real files (samples committed under tests/fixtures) ---


def _raw_json(name: str) -> list[dict]:
    with gzip.open(PHEME / f"{name}.gz", "rt", encoding="utf-8") as fh:
        return json.load(fh)


def test_whole_pheme_csv_imports_once(session, admin):
    source = Source.from_path(PHEME / "pheme_source_tweets.csv")
    report = ingest.import_posts(session, admin, source)
    assert (report.rows_read, report.imported, report.rejected) == (4804, 4804, 0)
    assert session.scalar(select(func.count(func.distinct(Post.author_id)))) == 2148
    again = ingest.import_posts(session, admin, source)
    assert (again.imported, again.duplicates) == (0, 4804)


def test_pheme_csv_sample(session, admin, tmp_path):
    frame = pd.read_csv(PHEME / "pheme_source_tweets.csv", dtype=str, keep_default_na=False)
    sample = frame.sample(300, random_state=7)
    path = tmp_path / "pheme.csv"
    sample.to_csv(path, index=False)
    report = ingest.import_posts(session, admin, Source.from_path(path))
    assert (report.format, report.platform, report.imported, report.rejected) == ("csv", "x", 300, 0)
    stored = {p.external_id: p for p in _posts(session)}
    for row in sample.head(50).itertuples():
        post = stored[row.tweet_id]
        assert post.author_handle == row.user_screen_name and post.text == row.text.strip()
        assert post.hashtags.split() == [tx.hashtag_key(t) for t in row.hashtags.split("|") if t]
        assert post.created_at.strftime("%Y-%m-%dT%H:%M:%SZ") == row.created_at_utc


@pytest.mark.parametrize("shape", ["array", "jsonl"])
def test_pheme_raw_twitter_json(session, admin, tmp_path, shape):
    tweets = _raw_json("putinmissing-all-rnr-threads.rumours.json")
    sample = random.Random(3).sample(tweets, 40)
    path = tmp_path / f"tweets.{shape}"
    if shape == "array":
        path.write_text(json.dumps(sample))
    else:
        path.write_text("\n".join(json.dumps(t) for t in sample) + "\n")
    source = Source.from_path(path)
    assert ingest.detect_format(source).name == "twitter-json"
    report = ingest.import_posts(session, admin, source)
    assert (report.imported, report.rejected) == (40, 0)
    stored = {p.external_id: p for p in _posts(session)}
    for tweet in sample:
        post = stored[tweet["id_str"]]
        assert post.author_id == tweet["user"]["id_str"] and post.author_handle == tweet["user"]["screen_name"]
        assert post.likes == tweet["favorite_count"] and post.reposts == tweet["retweet_count"]
        tags = [h["text"] for h in tweet["entities"]["hashtags"]]
        assert post.hashtags.split() == list(dict.fromkeys(tx.hashtag_key(t) for t in tags))
        assert "t.co/" not in post.urls


def test_pheme_csv_and_json_are_the_same_posts(session, admin, tmp_path):
    tweets = _raw_json("germanwings-crash-all-rnr-threads.rumours.json")
    ids = {t["id_str"] for t in tweets[:30]}
    (tmp_path / "g.json").write_text(json.dumps(tweets[:30]))
    frame = pd.read_csv(PHEME / "pheme_source_tweets.csv", dtype=str, keep_default_na=False)
    frame[frame["tweet_id"].isin(ids)].to_csv(tmp_path / "g.csv", index=False)
    assert ingest.import_posts(session, admin, Source.from_path(tmp_path / "g.json")).imported == 30
    again = ingest.import_posts(session, admin, Source.from_path(tmp_path / "g.csv"))
    assert (again.imported, again.duplicates) == (0, 30)


def test_telegram_csv_sample(session, admin, tmp_path):
    frame = pd.read_csv(TELEGRAM, dtype=str, keep_default_na=False)
    sample = frame.sample(200, random_state=11)
    path = tmp_path / "tg.csv"
    sample.to_csv(path, index=False)
    report = ingest.import_posts(session, admin, Source.from_path(path))
    assert (report.platform, report.imported, report.rejected) == ("telegram", 200, 0)
    post = _posts(session)[0]
    assert "/" in post.external_id  # message ids are unique only inside a channel
    assert not post.author_id.startswith("-100")
    assert {p.lang for p in _posts(session)} >= {"ru"}


# --- Twitter v2, Telegram Desktop, QUT --------------------------------------------------------------------------


def _v2_page():
    return {
        "data": [
            {
                "id": "9001",
                "author_id": "42",
                "created_at": "2026-11-14T12:00:00.000Z",
                "text": "RT @grey_one: #AllEyesOnTheLantern https://t.co/abc",
                "lang": "en",
                "referenced_tweets": [{"type": "retweeted", "id": "9000"}],
                "entities": {
                    "hashtags": [{"tag": "AllEyesOnTheLantern"}],
                    "urls": [{"url": "https://t.co/abc", "expanded_url": "https://greylantern-news.example/b"}],
                    "mentions": [{"username": "grey_one"}],
                },
                "public_metrics": {"like_count": 0, "retweet_count": 5, "reply_count": 1, "impression_count": 77},
            },
            {
                "id": "9002",
                "author_id": "43",
                "created_at": "2026-11-14T12:01:00.000Z",
                "text": "short version",
                "note_tweet": {"text": "the long version of this note about the river festival"},
                "referenced_tweets": [{"type": "replied_to", "id": "9001"}, {"type": "quoted", "id": "8000"}],
            },
        ],
        "includes": {"users": [{"id": "42", "username": "Lantern_Fan", "name": "Fan"}, {"id": "43", "username": "b"}]},
    }


def test_twitter_v2_jsonl(session, admin):
    data = (
        json.dumps(_v2_page())
        + "\n"
        + json.dumps({"data": {"id": "9003", "author_id": "42", "text": "x y z", "created_at": "2026-11-14T12:02:00Z"}})
        + "\n"
    )
    source = Source.from_bytes("v2.jsonl", data.encode())
    assert ingest.detect_format(source).name == "twitter-v2"
    report = ingest.import_posts(session, admin, source)
    assert report.imported == 3
    rt, reply, plain = _posts(session)
    assert (rt.author_handle, rt.author_name, rt.repost_of, rt.views, rt.reposts) == (
        "Lantern_Fan",
        "Fan",
        "9000",
        77,
        5,
    )
    assert rt.hashtags == "alleyesonthelantern" and rt.urls == "https://greylantern-news.example/b"
    assert (reply.reply_to, reply.quote_of) == ("9001", "8000")
    assert reply.text.startswith("the long version")
    assert plain.author_handle == ""  # no includes on that line


def _telegram_export():
    return {
        "name": "Grey Lantern Watch",
        "type": "public_channel",
        "id": 1777000111,
        "messages": [
            {"id": 1, "type": "service", "date": "2026-11-01T10:00:00", "action": "create_channel"},
            {
                "id": 2,
                "type": "message",
                "date": "2026-11-01T12:00:00",
                "date_unixtime": "1793534400",
                "from": "Grey Lantern Watch",
                "from_id": "channel1777000111",
                "text": [
                    "Read ",
                    {"type": "text_link", "text": "this", "href": "https://example.org/x"},
                    " ",
                    {"type": "hashtag", "text": "#RiverFestival"},
                ],
                "text_entities": [
                    {"type": "plain", "text": "Read "},
                    {"type": "text_link", "text": "this", "href": "https://example.org/x"},
                    {"type": "plain", "text": " "},
                    {"type": "hashtag", "text": "#RiverFestival"},
                ],
                "reactions": [{"type": "emoji", "count": 4, "emoji": "👍"}, {"type": "emoji", "count": 2}],
            },
            {
                "id": 3,
                "type": "message",
                "date": "2026-11-01T12:05:00",
                "date_unixtime": "1793534700",
                "from": "Grey Lantern Watch",
                "from_id": "channel1777000111",
                "text": "plain text reply",
                "reply_to_message_id": 2,
            },
        ],
    }


def test_telegram_desktop_export(session, admin):
    source = Source.from_bytes("result.json", json.dumps(_telegram_export(), ensure_ascii=False).encode())
    assert ingest.detect_format(source).name == "telegram"
    report = ingest.import_posts(session, admin, source)
    assert (report.platform, report.imported) == ("telegram", 2)
    first, second = _posts(session)
    assert (first.external_id, first.author_id, first.author_name) == (
        "1777000111/2",
        "1777000111",
        "Grey Lantern Watch",
    )
    assert first.text == "Read this #RiverFestival" and first.hashtags == "riverfestival"
    assert first.urls == "https://example.org/x" and first.likes == 6
    assert first.created_at.isoformat() == "2026-11-01T12:00:00+00:00"
    assert second.reply_to == "1777000111/2"


def test_telegram_csv_and_export_share_ids(session, admin):
    data = "message_id,sender_id,channel,date,text\n2,-1001777000111,Grey Lantern Watch,2026-11-01T12:00:00+00:00,x\n"
    _import(session, admin, "tg.csv", data)
    source = Source.from_bytes("result.json", json.dumps(_telegram_export()).encode())
    report = ingest.import_posts(session, admin, source)
    assert (report.imported, report.duplicates) == (1, 1)


def test_qut_round_trip(session, admin, tmp_path):
    _import(session, admin, "x.csv", GENERIC)
    buf = io.StringIO()
    assert ingest.export_qut(session, admin, buf) == 2
    lines = buf.getvalue().splitlines()
    assert lines[0] == "message_id,user_id,username,repost_id,reply_id,message,timestamp,urls"
    row = next(csv.reader([lines[1]]))
    assert (
        row[0] == "101"
        and row[6] == str(int(datetime(2026, 11, 10, 17, tzinfo=UTC).timestamp()))
        and row[7] == "https://greylantern-news.example/a"
    )
    source = Source.from_bytes("qut.csv", buf.getvalue().encode())
    assert ingest.detect_format(source).name == "qut"
    again = ingest.import_posts(session, admin, source, ImportOptions(platform="x"))
    assert (again.imported, again.duplicates) == (0, 2)
    fresh = ingest.import_posts(session, admin, source, ImportOptions(platform="elsewhere"))
    assert fresh.imported == 2
    copy = _posts(session, platform="elsewhere")[0]
    assert (copy.external_id, copy.created_at) == ("101", datetime(2026, 11, 10, 17, tzinfo=UTC))


# --- encodings ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "latin-1"])
def test_encodings_are_detected(session, admin, encoding):
    text = "Café crème à Valleyton, déjà vu" if encoding == "latin-1" else "Привет, Valleyton! Café 🎉"
    data = f'id,date,text\n1,2026-11-01T00:00:00Z,"{text}"\n'.encode(encoding)
    report = _import(session, admin, "e.csv", data)
    assert report.imported == 1
    assert _posts(session)[0].text == text


def test_stated_encoding_wins(session, admin):
    data = "id,date,text\n1,2026-11-01T00:00:00Z,Grüße\n".encode("cp1252")
    _import(session, admin, "e.csv", data, encoding="cp1252")
    assert _posts(session)[0].text == "Grüße"


def test_cyrillic_single_byte_is_detected(session, admin):
    text = "Новости дня: в Москве открылся новый парк, горожане довольны погодой и праздником"
    _import(session, admin, "e.csv", f'id,date,text\n1,2026-11-01T00:00:00Z,"{text}"\n'.encode("cp1251"))
    assert _posts(session)[0].text == text


# --- skip bad rows, undo, permissions, pseudonyms -------------------------------------------------------------


BAD = (
    "id,date,text,likes\n"
    "1,2026-11-01T00:00:00Z,fine,3\n"
    "2,yesterday,bad time,1\n"
    "3,2026-11-01T00:00:01Z,bad count,lots\n"
    "4,2026-11-01T00:00:02Z,fine too,\n"
)


def test_skip_bad_rows_keeps_rejects(session, admin):
    report = _import(session, admin, "bad.csv", BAD, skip_bad_rows=True)
    assert (report.imported, report.rejected) == (2, 2)
    rejects = ingest.batch_rejects(session, report.batch_id)
    assert [(r.row, r.field) for r in rejects] == [(2, "created_at"), (3, "likes")]
    assert "'yesterday' is not a plausible date" in rejects[0].reason
    assert json.loads(rejects[1].raw)["likes"] == "lots"
    text = ingest.rejects_csv(rejects)
    assert text.splitlines()[0] == "row,field,reason,raw" and "lots" in text


def test_counts_are_exact_whole_numbers(session, admin):
    data = (
        "id,date,text,likes,reposts\n"
        "1,2026-11-01T00:00:00Z,big,9007199254740993,1.0\n"  # 2**53 + 1: a float would store ...992
        "2,2026-11-01T00:00:01Z,none,,1e3\n"
        '3,2026-11-01T00:00:02Z,grouped,"1,204",007\n'
    )
    report = _import(session, admin, "counts.csv", data)
    assert (report.imported, report.rejected) == (3, 0)
    assert [(p.likes, p.reposts) for p in _posts(session)] == [(9007199254740993, 1), (None, 1000), (1204, 7)]


def test_refused_file_lists_its_first_rejects_with_their_rows(session, admin, monkeypatch):
    monkeypatch.setattr("planner.ingest.importer.REPORT_REJECTS", 2)
    data = "id,date,text\n" + "".join(f"{i},when {i},post {i}\n" for i in range(1, 6))
    with pytest.raises(ingest.ImportRefused) as caught:
        _import(session, admin, "late.csv", data)
    report = caught.value.report
    assert report.rejected == 5
    assert [(r.row, json.loads(r.raw)["date"]) for r in report.rejects] == [(1, "when 1"), (2, "when 2")]
    assert session.scalar(select(func.count(Post.id))) == 0


def test_undo_deletes_the_batch_and_is_audited(session, admin, drafter):
    report = _import(session, admin, "bad.csv", BAD, skip_bad_rows=True)
    with pytest.raises(auth.PermissionDenied):
        ingest.undo_batch(session, drafter, report.batch_id)
    assert ingest.undo_batch(session, admin, report.batch_id) == 2
    assert ingest.count_posts(session) == 0 and ingest.batch_rejects(session, report.batch_id) == []
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "posts.undo_import")).one()
    assert entry.object_id == str(report.batch_id) and "2 posts deleted" in entry.summary
    with pytest.raises(ingest.BatchNotFound):
        ingest.undo_batch(session, admin, report.batch_id)
    assert ingest.list_batches(session).empty


def test_import_is_audited_and_needs_permission(session, admin, viewer):
    with pytest.raises(auth.PermissionDenied):
        _import(session, viewer, "x.csv", GENERIC)
    report = _import(session, admin, "x.csv", GENERIC)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "posts.import")).one()
    assert entry.object_id == str(report.batch_id) and "imported 2" in entry.summary
    batches = ingest.list_batches(session)
    assert batches.loc[0, "imported"] == 2 and batches.loc[0, "filename"] == "x.csv"


def test_pseudonymise_stores_no_handle(session, admin):
    data = _csv(
        [
            {
                "id": "1",
                "user_id": "u1",
                "screen_name": "Grey_One",
                "name": "Real Name",
                "date": "2026-11-01T00:00:00Z",
                "text": "hello @Grey_Two and @grey_one",
            },
            {
                "id": "2",
                "user_id": "u2",
                "screen_name": "Grey_Two",
                "name": "Other",
                "date": "2026-11-01T00:01:00Z",
                "text": "hi @GREY_ONE",
            },
        ]
    )
    report = _import(session, admin, "p.csv", data, pseudonymise=True)
    assert report.imported == 2
    one, two = _posts(session)
    secret = workspace.pseudonym_secret(session)
    assert one.author_id == ingest.pseudonym(secret, "id:x:u1")
    assert one.author_handle == ingest.pseudonym(secret, "handle:x:grey_one") == two.mentions
    assert one.mentions.split() == [two.author_handle, one.author_handle]
    assert one.author_name == "" and one.url == ""
    stored = " ".join(str(v) for p in (one, two) for v in vars(p).values())
    assert "grey_one" not in stored.lower() and "grey_two" not in stored.lower() and "Real Name" not in stored
    assert f"@{two.author_handle}" in one.text
    # The same account maps to the same pseudonym in the next import.
    more = data.replace(",1,", ",11,").replace("\n1,", "\n11,").replace("\n2,", "\n12,")
    _import(session, admin, "p2.csv", more, pseudonymise=True)
    assert {p.author_id for p in _posts(session)} == {one.author_id, two.author_id}


@pytest.mark.postgres
def test_postgres_import_reimport_undo(pg_url):
    from planner.db import open_workspace

    ws = open_workspace(pg_url)
    try:
        with ws.session() as session:
            report = _import(session, auth.CLI_ACTOR, "x.csv", GENERIC, timezone="Europe/Berlin")
            assert (report.imported, report.rejected) == (2, 0)
            again = _import(session, auth.CLI_ACTOR, "x.csv", GENERIC)
            assert (again.imported, again.duplicates) == (0, 2)
            post = _posts(session)[0]
            assert post.created_at.isoformat() == "2026-11-10T17:00:00+00:00" and post.likes == 1204
            skipped = _import(session, auth.CLI_ACTOR, "bad.csv", BAD, skip_bad_rows=True)
            assert len(ingest.batch_rejects(session, skipped.batch_id)) == 2
            buf = io.StringIO()
            assert ingest.export_qut(session, auth.CLI_ACTOR, buf) == 4
            assert ingest.undo_batch(session, auth.CLI_ACTOR, report.batch_id) == 2
            assert ingest.count_posts(session) == 2
    finally:
        ws.dispose()


def _check_bulk_load_rebuilds_indexes(session, actor, monkeypatch):
    from sqlalchemy import inspect

    from planner import dataaccess
    from planner.ingest import formats, store

    monkeypatch.setattr(store, "BULK_ROWS", 10)
    monkeypatch.setattr(formats, "CHUNK_ROWS", 20)
    monkeypatch.setattr(formats, "FIRST_CHUNK_ROWS", 20)  # the bad row comes after indexes were dropped
    dropped = []
    real_drop = dataaccess.drop_secondary_indexes
    monkeypatch.setattr(dataaccess, "drop_secondary_indexes", lambda *a: dropped.append(1) or real_drop(*a))
    expected = {ix["name"] for ix in inspect(session.connection()).get_indexes("posts")}
    rows = "".join(f"{i},2026-11-01T00:00:{i % 60:02d}Z,post {i}\n" for i in range(1, 101))
    with pytest.raises(ingest.ImportRefused):
        _import(session, actor, "b.csv", "id,date,text\n" + rows + "101,never,x\n")
    assert {ix["name"] for ix in inspect(session.connection()).get_indexes("posts")} == expected
    assert _import(session, actor, "b.csv", "id,date,text\n" + rows).imported == 100
    assert len(dropped) == 2  # both loads were bulk loads
    assert {ix["name"] for ix in inspect(session.connection()).get_indexes("posts")} == expected
    assert expected >= {"ix_posts_created_at", "ix_posts_author", "ix_posts_batch"}


def test_bulk_load_rebuilds_indexes(session, admin, monkeypatch):
    _check_bulk_load_rebuilds_indexes(session, admin, monkeypatch)
    if session.get_bind().dialect.name == "sqlite":  # PostgreSQL's planner scans a 100-row table whatever its indexes
        plan = session.connection().exec_driver_sql("EXPLAIN QUERY PLAN SELECT id FROM posts WHERE created_at > '2026'")
        assert "ix_posts_created_at" in " ".join(str(r) for r in plan)


@pytest.mark.postgres
def test_postgres_bulk_load_rebuilds_indexes(pg_url, monkeypatch):
    from planner.db import open_workspace

    ws = open_workspace(pg_url)
    try:
        with ws.session() as session:
            _check_bulk_load_rebuilds_indexes(session, auth.CLI_ACTOR, monkeypatch)
            assert ingest.count_posts(session) == 100
    finally:
        ws.dispose()


def test_pseudonymised_dry_run_sees_earlier_pseudonymised_posts(session, admin):
    data = "date,text,user\n2026-11-01T00:00:00Z,words without an id,a\n"
    options = ImportOptions(mapping={"author_id": "user"}, pseudonymise=True)
    assert ingest.import_posts(session, admin, Source.from_bytes("n.csv", data.encode()), options).imported == 1
    dry = ingest.import_posts(session, admin, Source.from_bytes("n.csv", data.encode()), options, dry_run=True)
    assert (dry.imported, dry.duplicates) == (0, 1)
