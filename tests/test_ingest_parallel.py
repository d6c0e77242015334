"""A big file normalised in a worker process stores exactly what the single-process import stores."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import func, select

from planner import auth, dataaccess, ingest
from planner.db import open_workspace
from planner.ingest import ImportOptions, Source, formats, importer, parallel, store
from planner.ingest.pipeline import normalise_chunk
from planner.models import ImportReject, Post
from tests.conftest import workspace_url

COLUMNS = [c for c in Post.__table__.columns.keys() if c not in {"id", "batch_id"}]


def _csv(rows: int, bad_at: int | None = None) -> bytes:
    lines = ["id,user,date,text,likes"]
    for i in range(rows):
        date = "never" if i == bad_at else f"2026-11-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z"
        text = f"post {i} #Tag{i % 7} @user_{i % 5} https://x.example/{i % 11}?utm_source=a la rivière coule ce soir"
        lines.append(f'{i},u{i % 13},{date},"{text}",{i % 4}')
    return ("\n".join(lines) + "\n").encode()


STAGED: list[tuple[str, int]] = []  # (scratch folder, parts stored from it) of each staged load


def _stored(tmp_path, name, data, worker: bool, monkeypatch, **options):
    monkeypatch.setattr(formats, "CHUNK_ROWS", 400)
    real_insert = store.insert_staged_posts

    def spy(session, staging, parts, batch_id):
        STAGED.append((staging.folder, len(parts)))
        return real_insert(session, staging, parts, batch_id)

    monkeypatch.setattr(importer, "insert_staged_posts", spy)
    STAGED.clear()
    made = []
    real_mkdtemp = dataaccess.tempfile.mkdtemp
    monkeypatch.setattr(dataaccess.tempfile, "mkdtemp", lambda **kw: made.append(1) or real_mkdtemp(**kw))
    monkeypatch.setattr(parallel, "WORKER_ROWS", 1 if worker else 10**12)
    monkeypatch.setattr(parallel, "use_worker", lambda: worker)
    started = []
    real = parallel._Worker.start
    monkeypatch.setattr(parallel._Worker, "start", lambda *a: started.append(1) or real(*a))
    ws = open_workspace(workspace_url(tmp_path, name.removesuffix(".db")))
    try:
        with ws.session() as session:
            report = ingest.import_posts(
                session, auth.CLI_ACTOR, Source.from_bytes("f.csv", data), ImportOptions(platform="x", **options)
            )
            rows = session.execute(select(*[Post.__table__.c[c] for c in COLUMNS]).order_by(Post.id)).all()
            rejects = session.execute(select(ImportReject.row_number, ImportReject.reason, ImportReject.raw)).all()
    finally:
        ws.dispose()
    assert bool(started) == worker
    # On SQLite a load with a worker is staged (every part), and its scratch folder is gone afterwards.
    sqlite = not os.environ.get("PLANNER_TEST_POSTGRES_URL")
    assert bool(STAGED) == (worker and sqlite and not report.dry_run and report.valid > 0)
    assert not any(os.path.exists(folder) for folder, _parts in STAGED)
    assert worker or not made  # without a worker nothing is staged, and no scratch folder is made
    return report, rows, rejects


def test_worker_stores_the_same_rows(tmp_path, monkeypatch):
    data = _csv(3000, bad_at=2222)
    one, rows_one, rejects_one = _stored(tmp_path, "a.db", data, False, monkeypatch, skip_bad_rows=True)
    two, rows_two, rejects_two = _stored(tmp_path, "b.db", data, True, monkeypatch, skip_bad_rows=True)
    assert (two.imported, two.rejected) == (one.imported, one.rejected) == (2999, 1)
    assert rows_two == rows_one and len(rows_one) == 2999
    assert rejects_two == rejects_one and rejects_one[0][0] == 2223
    if not os.environ.get("PLANNER_TEST_POSTGRES_URL"):
        # The parts went to scratch files one stretch of the file at a time; each file's parts were stored once the
        # next file was begun, the last file's after the reading (planner.ingest.parallel.STAGE_ROUNDS).
        assert len(STAGED) > 2 and sum(parts for _folder, parts in STAGED) == 6
    fifth = dict(zip(COLUMNS, rows_two[5], strict=True))
    assert (fifth["hashtags"], fifth["mentions"], fifth["urls"]) == ("tag5", "user_0", "https://x.example/5")
    assert all(dict(zip(COLUMNS, r, strict=True))["lang"] for r in rows_two)  # detected in the worker


def test_worker_refusal_writes_nothing(tmp_path, monkeypatch):
    folders = []
    real = dataaccess.Staging.__init__
    monkeypatch.setattr(dataaccess.Staging, "__init__", lambda self: real(self) or folders.append(self.folder))
    with pytest.raises(ingest.ImportRefused, match="row 2900"):
        _stored(tmp_path, "c.db", _csv(3000, bad_at=2899), True, monkeypatch)
    assert not any(os.path.exists(folder) for folder in folders)


def test_repeated_ids_keep_their_first_row_whichever_process_stored_it(tmp_path, monkeypatch):
    """Ids repeated in a later chunk keep their first row, in file order, staged or not."""
    lines = _csv(3000).decode().splitlines()
    lines += [f"{i},u1,2026-11-01T00:00:00Z,copy of {i},1" for i in (0, 699, 5)]  # later chunks repeat these ids
    data = ("\n".join(lines) + "\n").encode()
    one, rows_one, _ = _stored(tmp_path, "k.db", data, False, monkeypatch)
    two, rows_two, _ = _stored(tmp_path, "l.db", data, True, monkeypatch)
    assert (one.imported, one.duplicates) == (two.imported, two.duplicates) == (3000, 3)
    assert rows_two == rows_one
    assert not any(str(r[COLUMNS.index("text")]).startswith("copy") for r in rows_two)


_PARENT = os.getpid()
_LOCAL: list[int] = []  # sizes of the chunks this (the test's) process normalised


def _slow_in_worker(frame, ctx):
    """normalise_chunk, 0.2 s slower here, 0.3 s in the forked worker (which inherits this module); counted here."""
    if os.getpid() == _PARENT:
        _LOCAL.append(len(frame))
        time.sleep(0.2)
    else:
        time.sleep(0.3)
    return normalise_chunk(frame, ctx)


def test_this_process_normalises_chunks_while_the_worker_is_behind(tmp_path, monkeypatch):
    data = _csv(3000, bad_at=1500)
    one, rows_one, rejects_one = _stored(tmp_path, "d.db", data, False, monkeypatch, skip_bad_rows=True)
    monkeypatch.setattr(parallel, "normalise_chunk", _slow_in_worker)
    _LOCAL.clear()
    two, rows_two, rejects_two = _stored(tmp_path, "e.db", data, True, monkeypatch, skip_bad_rows=True)
    # 6 chunks (1000 rows, then 400s): this process normalised the first and those it had no piece waiting for
    # (handed on raw), the worker the others.
    assert _LOCAL[0] == 1000 and 1 < len(_LOCAL) < 6
    assert (two.imported, two.rejected) == (one.imported, one.rejected) == (2999, 1)
    assert rows_two == rows_one and rejects_two == rejects_one and rejects_one[0][0] == 1501


def test_the_worker_starts_only_when_two_cores_are_idle_now(monkeypatch):
    """Idle cores are measured over a moment from /proc/stat, not read from the trailing load average."""
    samples = iter([[100, 0, 100, 800, 0, 0, 0, 0], [150, 0, 150, 1000, 0, 0, 0, 0]])  # 200 of 300 ticks idle
    monkeypatch.setattr(parallel, "_cpu_times", lambda: next(samples))
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(parallel.time, "sleep", lambda _s: None)
    monkeypatch.setattr(parallel.threading, "active_count", lambda: 1)  # threads earlier tests left behind
    assert parallel.idle_cores() == pytest.approx(4 / 3)
    samples = iter(
        [[100, 0, 100, 800, 0, 0, 0, 0]] * 2 + [[100, 0, 100, 800, 0, 0, 0, 0], [110, 0, 110, 980, 20, 0, 0, 0]]
    )
    monkeypatch.setattr(parallel, "_cpu_times", lambda: next(samples))
    monkeypatch.setattr(parallel.os, "getloadavg", lambda: (9.0, 9.0, 9.0))  # a busy minute ago: not a guide
    assert parallel.idle_cores() is None  # no ticks passed: cannot tell
    assert parallel.use_worker() is True  # 200 of 220 ticks idle or waiting on disk: 1.8 cores


def test_idle_cores_reads_this_machine():
    idle = parallel.idle_cores(0.05)
    assert idle is None or 0 <= idle <= (os.cpu_count() or 1) + 1e-9


def test_an_error_the_worker_meets_is_raised_here_as_in_one_process(tmp_path, monkeypatch):
    """A ragged line late in the file refuses it with the same message whichever process read that line."""
    lines = _csv(3000).decode().splitlines()
    lines[2500] += ",surplus"
    data = ("\n".join(lines) + "\n").encode()
    messages = []
    for worker, name in ((False, "f.db"), (True, "g.db")):
        with pytest.raises(ingest.FormatError) as caught:
            _stored(tmp_path, name, data, worker, monkeypatch)
        messages.append(str(caught.value))
    assert messages[0] == messages[1] and "line 2501" in messages[0]


def test_what_the_worker_read_reaches_the_report(tmp_path, monkeypatch):
    """NULs removed and bytes read in the worker are counted in the report as in one process."""
    data = _csv(3000).replace(b"post 2900 ", b"post\x00 2900 ")
    one, rows_one, _ = _stored(tmp_path, "h.db", data, False, monkeypatch)
    two, rows_two, _ = _stored(tmp_path, "i.db", data, True, monkeypatch)
    assert one.warnings == two.warnings == ["removed 1 NUL characters"]
    assert rows_one == rows_two and two.imported == 3000


def _dies_in_worker(frame, ctx):
    if os.getpid() != _PARENT:
        os._exit(3)  # as if the system had killed it
    return normalise_chunk(frame, ctx)


def test_a_worker_that_dies_fails_the_import_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(parallel, "normalise_chunk", _dies_in_worker)
    with pytest.raises(RuntimeError, match=r"reading process stopped \(exit code 3\)"):
        _stored(tmp_path, "j.db", _csv(3000), True, monkeypatch)
    ws = open_workspace(workspace_url(tmp_path, "j"))
    try:
        with ws.session() as session:
            assert session.scalar(select(func.count()).select_from(Post)) == 0
    finally:
        ws.dispose()
