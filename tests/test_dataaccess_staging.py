"""Staged loads on SQLite: parts parked in scratch files by any process, moved in order in the caller's transaction."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import text

from planner import dataaccess as da
from planner.db import open_workspace

pytestmark = pytest.mark.sqlite_only  # staging is how loads reach SQLite; PostgreSQL takes COPY

HOSTILE = "'); DROP TABLE posts; -- \u202e =cmd|' /C calc'!A0 \U0001f600 Ünïcödé\n\ttab"
TABLE = "CREATE TABLE things (id INTEGER PRIMARY KEY, k TEXT NOT NULL UNIQUE, n BIGINT, label TEXT, tag TEXT)"


@pytest.fixture
def ws(tmp_path):
    ws = open_workspace(f"sqlite:///{tmp_path / 'ws.db'}", migrate=False)
    with ws.engine.begin() as conn:
        conn.exec_driver_sql(TABLE)
    yield ws
    ws.dispose()


def _columns(keys, numbers, labels):
    return {
        "k": pa.array(keys, pa.large_string()),
        "n": pa.array(numbers, pa.int64()),
        "label": pa.array(labels, pa.large_string()),
    }


def _stage_in_child(folder: str, part: int, queue) -> None:
    queue.put(da.stage_rows(folder, part, _columns(["c1", "a"], [7, 8], ["child", "child again"])))


def test_parts_go_in_in_order_with_their_values_and_the_first_of_a_key_wins(ws):
    with ws.session() as session, da.Staging() as staging:
        assert da.Staging.available(session)
        first = da.stage_rows(staging.folder, 0, _columns(["a", "b", "a"], [2**63 - 1, None, 5], [HOSTILE, None, "x"]))
        # A part parked by another process (the import's worker) lands in a file of its own.
        queue = multiprocessing.get_context("fork").Queue()
        child = multiprocessing.get_context("fork").Process(target=_stage_in_child, args=(staging.folder, 1, queue))
        child.start()
        second = queue.get(timeout=30)
        child.join()
        third = da.stage_rows(staging.folder, 2, _columns(["d"], [-(2**63)], [""]))
        assert (first.rows, second.rows, third.rows) == (3, 2, 1)
        assert first.path == third.path != second.path
        assert sorted(os.listdir(staging.folder)) == sorted({Path(first.path).name, Path(second.path).name})
        conn = session.connection()
        conn.exec_driver_sql("INSERT INTO things (k, n) VALUES ('b', 1)")  # stored before: skipped
        parts = [first, second, third]
        inserted = staging.insert(conn, "things", ["k", "n", "label"], parts, {"tag": "batch 9"}, ["k"])
        session.commit()
        rows = session.execute(text("SELECT id, k, n, label, tag FROM things ORDER BY id")).all()
    assert inserted == 3  # a, c1, d: the second "a" (twice) and the stored "b" are skipped
    assert rows == [
        (1, "b", 1, None, None),
        (2, "a", 2**63 - 1, HOSTILE, "batch 9"),
        (3, "c1", 7, "child", "batch 9"),
        (4, "d", -(2**63), "", "batch 9"),
    ]
    assert not os.path.exists(staging.folder)


def _stage_many(folder: str, parts: range, label: str) -> None:
    for part in parts:
        da.stage_rows(folder, part, _columns([f"{label}{part}"], [part], [label]), "together")


def test_two_processes_park_parts_in_one_file_in_turn(ws):
    # The import's worker and the importing process write the parts of one stretch of the file into one scratch file:
    # each waits for the other's lock, none is lost.
    with ws.session() as session, da.Staging() as staging:
        child = multiprocessing.get_context("fork").Process(
            target=_stage_many, args=(staging.folder, range(0, 80, 2), "w")
        )
        child.start()
        _stage_many(staging.folder, range(1, 80, 2), "m")
        child.join()
        assert child.exitcode == 0
        assert os.listdir(staging.folder) == ["stage-together.db"]
        path = str(Path(staging.folder) / "stage-together.db")
        parts = [da.Staged(path, f"part_{part:07d}", 1) for part in range(80)]
        conn = session.connection()
        assert staging.insert(conn, "things", ["k", "n", "label"], parts[:40]) == 40
        assert staging.insert(conn, "things", ["k", "n", "label"], parts[40:]) == 40  # the file is attached once
        session.commit()
        rows = session.execute(text("SELECT k, n FROM things ORDER BY id")).all()
    assert rows == [(f"{'w' if n % 2 == 0 else 'm'}{n}", n) for n in range(80)]


def test_closing_detaches_after_the_transaction_and_removes_the_files(ws):
    with ws.session() as session:
        staging = da.Staging()
        part = da.stage_rows(staging.folder, 0, _columns(["a"], [1], ["x"]))
        conn = session.connection()
        raw = conn.connection.driver_connection
        staging.insert(conn, "things", ["k", "n", "label"], [part])
        assert [r[1] for r in raw.execute("PRAGMA database_list")] == ["main", "stage_0"]
        session.rollback()  # a failed load: nothing stays
        staging.close()
        assert [r[1] for r in raw.execute("PRAGMA database_list")] == ["main"]
        assert not os.path.exists(staging.folder)
        assert session.execute(text("SELECT count(*) FROM things")).scalar() == 0


def test_names_are_checked_and_files_are_capped(ws, monkeypatch):
    with ws.session() as session, da.Staging() as staging:
        part = da.stage_rows(staging.folder, 0, _columns(["a"], [1], ["x"]))
        conn = session.connection()
        with pytest.raises(ValueError, match="plain SQL name"):
            staging.insert(conn, "things; DROP TABLE things", ["k"], [part])
        with pytest.raises(ValueError, match="plain SQL name"):
            staging.insert(conn, "things", ["k", "n) SELECT 1 --"], [part])
        monkeypatch.setattr(da, "MAX_STAGE_FILES", 0)
        with pytest.raises(RuntimeError, match="at most 0 files"):
            staging.insert(conn, "things", ["k"], [part])


def test_a_folder_without_room_is_a_named_error(tmp_path):
    """A scratch folder that cannot be written (full, removed, read-only) refuses the load with a clear message."""
    staging = da.Staging()
    folder = staging.folder
    staging.close()  # the folder is gone
    with pytest.raises(da.StagingError, match=r"could not write the rows to load to the scratch folder .*TMPDIR"):
        da.stage_rows(folder, 0, _columns(["a"], [1], ["x"]))


def test_a_temporary_folder_that_cannot_be_written_is_a_named_error(tmp_path, monkeypatch):
    monkeypatch.setattr(da.tempfile, "tempdir", str(tmp_path / "missing"))
    with pytest.raises(da.StagingError, match=r"could not make a scratch folder .*missing.*TMPDIR"):
        da.Staging().folder  # noqa: B018 - made when first asked for
