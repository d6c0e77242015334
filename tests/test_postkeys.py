"""Post keys are stable hashes of the normalised text and the account, kept at import and by the 0014 migration."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from planner import db
from planner.coordination.networks import normalise_text
from planner.postkeys import EMPTY_TEXT, author_key_of, author_keys, text_hash_of, text_hashes
from tests.conftest import engine_at_revision


def test_hashes_are_pinned_so_stored_keys_keep_their_meaning():
    # Values computed once; if pandas ever changed its SipHash, stored keys would stop matching new imports.
    assert text_hash_of("hello world") == -8766377888233054813
    assert author_key_of("x", "a") == -5167168748152014979


@pytest.mark.parametrize(
    "texts",
    [
        ["Same TEXT @someone", "same text", "  same\ttext  ", "other", "", "   ", "@only"],
        ["Ünïcode ÅB @x y", "ünïcode åb y", "\x1cA\x1dB", "a b", "İstanbul", "i̇stanbul"],
    ],
)
def test_equal_normal_forms_get_equal_keys_and_empty_is_zero(texts):
    keys = text_hashes(pd.Series(texts))
    normal = [normalise_text(t) for t in texts]
    for i in range(len(texts)):
        for j in range(len(texts)):
            assert (keys[i] == keys[j]) == (normal[i] == normal[j])
        assert (keys[i] == EMPTY_TEXT) == (normal[i] == "")
    assert [text_hash_of(t) for t in texts] == keys.tolist()


def test_account_keys_tell_platforms_apart():
    keys = author_keys(pd.Series(["x", "telegram", "x"]), pd.Series(["42", "42", "42"]))
    assert keys[0] == keys[2] != keys[1]
    assert len(author_keys("x", [])) == 0 and len(text_hashes([])) == 0


def test_upgrade_from_0013_backfills_keys_of_existing_posts(tmp_path):
    engine = engine_at_revision(tmp_path, "0013_sessions")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO import_batches (created_at, filename, format, platform, rows_read, imported, "
                "duplicates, rejected, pseudonymised, options) VALUES ('2026-01-01 00:00:00.000000', "
                "'f', 'csv', 'x', 5, 5, 0, 0, FALSE, '{}')"
            )
        )
        for i, body in enumerate(["Hello @a world", "hello world", "", "other", "HELLO  WORLD"]):
            conn.execute(
                text(
                    "INSERT INTO posts (platform, external_id, author_id, author_handle, author_name, created_at, "
                    "text, lang, hashtags, urls, mentions, url, batch_id) VALUES ('x', :e, :a, '', '', "
                    "'2026-01-01 00:00:00.000000', :t, '', '', '', '', '', 1)"
                ),
                {"e": f"e{i}", "a": f"a{i % 2}", "t": body},
            )
    before = pd.read_sql("SELECT * FROM posts ORDER BY id", engine)
    assert db.upgrade(engine) == ("0013_sessions", db.SCHEMA_HEAD)
    after = pd.read_sql("SELECT * FROM posts ORDER BY id", engine)
    pd.testing.assert_frame_equal(after[before.columns], before)  # nothing lost or changed
    assert after["text_hash"].tolist() == text_hashes(before["text"]).tolist()
    assert after["author_key"].tolist() == author_keys("x", before["author_id"]).tolist()
    assert after["text_hash"].iloc[0] == after["text_hash"].iloc[1] == after["text_hash"].iloc[4] != 0
    assert after["text_hash"].iloc[2] == EMPTY_TEXT
    engine.dispose()


def test_orm_inserts_get_keys_without_asking(session):
    from planner.models import ImportBatch, Post

    batch = ImportBatch(filename="t", format="t", platform="x")
    session.add(batch)
    session.flush()
    post = Post(
        platform="x",
        external_id="1",
        author_id="a",
        text="Hi  @b there",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        batch_id=batch.id,
    )
    session.add(post)
    session.flush()
    assert (post.text_hash, post.author_key) == (text_hash_of("hi there"), author_key_of("x", "a"))
    assert np.int64(post.text_hash) == text_hashes(["hi there"])[0]


def test_one_row_keys_equal_the_vectorised_ones():
    rng = np.random.default_rng(2)
    texts = ["".join(rng.choice(list("aZ é@\t\x1c.ё"), int(rng.integers(0, 30)))) for _ in range(300)]
    assert [text_hash_of(t) for t in texts] == text_hashes(texts).tolist()
    ids = [str(i) for i in rng.integers(0, 10**12, 300)]
    assert [author_key_of("telegram", a) for a in ids] == author_keys("telegram", ids).tolist()
