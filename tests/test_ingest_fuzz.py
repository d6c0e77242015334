"""Fuzzing every importer (posts CSV, Twitter JSON array, Twitter v2 JSON lines, Telegram export, metrics CSV).

Each generated file is malformed by construction (a bad first record, a truncated document, a nesting bomb, bytes
that are not the encoding, a missing column), with hypothesis-made content around it: every one must end in a
PlannerError subclass with a one-line message, and leave the database exactly as it was.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from planner import audit, auth, ingest
from planner.db import open_workspace
from planner.errors import PlannerError
from planner.ingest.source import Source
from planner.metrics import importer as metrics_importer
from planner.models import AuditEntry, ImportBatch, MetricImport, MetricSnapshot, Post
from tests.conftest import workspace_url

FILES = 1000
IMPORTERS = ("csv", "twitter-json", "twitter-v2", "telegram", "metrics")

# Values as hostile exports carry them: any text (NULs, bidi controls, quotes, separators, newlines), numbers, nulls.
TEXT = st.text(max_size=24)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), TEXT)
JSON = st.recursive(
    SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=5
)
GOOD_TIME = "2026-11-01T10:00:00Z"


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


@st.composite
def mutated(draw, document: bytes, protect: int) -> bytes:
    """`document` with random damage after its first `protect` bytes (which hold the guaranteed-bad record)."""
    how = draw(st.sampled_from(["none", "insert", "cut", "bytes"]))
    if how == "none" or len(document) <= protect:
        return document
    at = draw(st.integers(protect, len(document)))
    if how == "insert":
        return document[:at] + draw(st.binary(min_size=1, max_size=12)) + document[at:]
    if how == "cut":
        return document[:at]
    return document[:at] + b"\xff\xfe\x80" + document[at:]


@st.composite
def posts_csv(draw) -> bytes:
    poison = draw(
        st.sampled_from(
            [
                ["0", "never", "a post without a real date"],
                ["0", "", "a post without a date"],
                ["x" * 200, GOOD_TIME, "an id too long"],
            ]
        )
    )
    header = ["id", "date", "text"]
    if draw(st.booleans()):
        header = draw(st.lists(TEXT, min_size=1, max_size=4))  # no usable date or text column
        if {"date", "text"} <= {h.strip().lower() for h in header}:
            header = ["id", "when"]
    rows = [header, poison] + draw(st.lists(st.lists(TEXT, min_size=0, max_size=4), max_size=4))
    document = _csv(rows)
    return draw(mutated(document, len(_csv(rows[:2]))))


def _tweet(draw, created_at: str) -> dict:
    return {
        "id_str": draw(TEXT),
        "created_at": created_at,
        "text": draw(TEXT),
        "user": draw(st.one_of(JSON, st.fixed_dictionaries({"id_str": TEXT, "screen_name": TEXT}))),
        "entities": draw(JSON),
        "retweet_count": draw(SCALAR),
    }


@st.composite
def twitter_json(draw) -> bytes:
    kind = draw(st.sampled_from(["poison", "truncated", "bomb", "surrogate"]))
    if kind == "surrogate":
        return json.dumps([_tweet(draw, GOOD_TIME), {"text": "\udc00"}]).encode("utf-8")
    items = [_tweet(draw, "never")] if kind == "poison" else []
    items += draw(st.lists(st.one_of(JSON, st.builds(lambda: None).map(lambda _: _tweet(draw, GOOD_TIME))), max_size=4))
    if kind == "bomb":
        depth = draw(st.integers(65, 1000))
        return b"[" + b"[" * depth + b"]" * depth + b"]"
    document = json.dumps(items or [{}], ensure_ascii=draw(st.booleans())).encode("utf-8")
    if kind == "truncated":
        return document[: draw(st.integers(0, len(document) - 1))]
    first = json.dumps(items[:1])[:-1].encode("utf-8")
    return draw(mutated(document, len(first)))


@st.composite
def twitter_v2(draw) -> bytes:
    poison = json.dumps({"data": {"id": "1", "text": draw(TEXT), "created_at": "never", "author_id": "7"}})
    lines = [poison] + [json.dumps(draw(JSON)) for _ in range(draw(st.integers(0, 3)))]
    if draw(st.booleans()):
        depth = draw(st.integers(65, 1000))
        lines.append('{"data": ' + "[" * depth + "]" * depth + "}")
    if draw(st.booleans()):  # half of a surrogate pair, escaped: valid JSON text that no database can store
        lines.insert(draw(st.integers(0, len(lines))), '{"data": {"text": "lone \\udc00 half"}}')
    document = "\n".join(lines).encode("utf-8")
    return draw(mutated(document, len(poison) + 1))


@st.composite
def telegram(draw) -> bytes:
    kind = draw(st.sampled_from(["poison", "truncated", "no_messages", "bomb"]))
    chat = {"name": draw(TEXT), "type": "public_channel", "id": draw(st.integers(1, 10**12))}
    poison = {"id": 1, "type": "message", "date": "never", "date_unixtime": "never", "text": draw(JSON)}
    messages = [poison] + draw(st.lists(JSON, max_size=4))
    if kind == "no_messages":
        return json.dumps({**chat, "messages": draw(SCALAR)}).encode("utf-8")
    if kind == "bomb":
        depth = draw(st.integers(65, 1000))
        return (json.dumps(chat)[:-1] + ', "messages": [' + "[" * depth + "]" * depth + "]}").encode("utf-8")
    document = json.dumps({**chat, "messages": messages}).encode("utf-8")
    if kind == "truncated":
        return document[: draw(st.integers(0, len(document) - 1))]
    return draw(mutated(document, len(document) - len(json.dumps(messages[1:])) - 2))


@st.composite
def metrics_csv(draw) -> bytes:
    header = ["Post id", "Date", "Post text", "Post Link", "Impressions", "Likes", "Replies", "Reposts"]
    poison = ["1", "Tue, Nov 3, 2026", draw(TEXT), "https://x.com/a/status/1", draw(st.sampled_from(["lots", "-3"]))]
    poison += ["1", "1", "1"]
    rows = [header, poison] + draw(st.lists(st.lists(TEXT, max_size=8), max_size=4))
    return draw(mutated(_csv(rows), len(_csv(rows[:2]))))


STRATEGIES = {
    "csv": posts_csv(),
    "twitter-json": twitter_json(),
    "twitter-v2": twitter_v2(),
    "telegram": telegram(),
    "metrics": metrics_csv(),
}


def _state(session) -> tuple:
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Post, ImportBatch, AuditEntry, MetricImport, MetricSnapshot)
    ) + (audit.chain_head(session)[1],)


def _import(session, name: str, data: bytes) -> None:
    if name == "metrics":
        options = metrics_importer.MetricsImportOptions(preset="x")
        metrics_importer.import_metrics(session, auth.CLI_ACTOR, Source.from_bytes("export.csv", data), options)
    else:
        options = ingest.ImportOptions(format=name, platform="x", detect_language=False)
        ingest.import_posts(session, auth.CLI_ACTOR, Source.from_bytes(f"fuzz.{name}", data), options)


@pytest.mark.fuzz
def test_malformed_files_get_one_line_errors_and_change_nothing(tmp_path):
    ws = open_workspace(workspace_url(tmp_path, "fuzz"))
    counts: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    with ws.session() as session:
        auth.create_user(session, auth.CLI_ACTOR, "ada", "correct horse battery", "admin")
        baseline = _state(session)

        @settings(
            max_examples=FILES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
        )
        @given(case=st.sampled_from(IMPORTERS).flatmap(lambda n: st.tuples(st.just(n), STRATEGIES[n])))
        def check(case):
            name, data = case
            try:
                _import(session, name, data)
            except PlannerError as exc:
                message = str(exc)
                assert message and "\n" not in message and "\r" not in message, (name, message)
                errors[type(exc).__name__] += 1
            else:
                raise AssertionError(f"{name}: a malformed file was imported: {data[:200]!r}")
            session.rollback()
            assert _state(session) == baseline, name
            counts[name] += 1

        check()
    ws.dispose()
    assert sum(counts.values()) >= FILES
    assert set(counts) == set(IMPORTERS)
    print(f"fuzzed {sum(counts.values())} files: {dict(counts)}; errors {dict(errors)}")
