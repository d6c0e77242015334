"""A big file normalised in a worker process stores exactly what the single-process import stores."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import select

from planner import auth, ingest
from planner.db import open_workspace
from planner.ingest import ImportOptions, Source, formats, parallel
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


def _stored(tmp_path, name, data, worker: bool, monkeypatch, **options):
    monkeypatch.setattr(formats, "CHUNK_ROWS", 400)
    monkeypatch.setattr(parallel, "WORKER_ROWS", 1 if worker else 10**12)
    monkeypatch.setattr(parallel, "use_worker", lambda: worker)
    started = []
    real = parallel.ProcessPoolExecutor
    monkeypatch.setattr(parallel, "ProcessPoolExecutor", lambda *a, **k: started.append(1) or real(*a, **k))
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
    return report, rows, rejects


def test_worker_stores_the_same_rows(tmp_path, monkeypatch):
    data = _csv(3000, bad_at=2222)
    one, rows_one, rejects_one = _stored(tmp_path, "a.db", data, False, monkeypatch, skip_bad_rows=True)
    two, rows_two, rejects_two = _stored(tmp_path, "b.db", data, True, monkeypatch, skip_bad_rows=True)
    assert (two.imported, two.rejected) == (one.imported, one.rejected) == (2999, 1)
    assert rows_two == rows_one and len(rows_one) == 2999
    assert rejects_two == rejects_one and rejects_one[0][0] == 2223
    fifth = dict(zip(COLUMNS, rows_two[5], strict=True))
    assert (fifth["hashtags"], fifth["mentions"], fifth["urls"]) == ("tag5", "user_0", "https://x.example/5")
    assert all(dict(zip(COLUMNS, r, strict=True))["lang"] for r in rows_two)  # detected in the worker


def test_worker_refusal_writes_nothing(tmp_path, monkeypatch):
    with pytest.raises(ingest.ImportRefused, match="row 2900"):
        _stored(tmp_path, "c.db", _csv(3000, bad_at=2899), True, monkeypatch)


_PARENT = os.getpid()
_LOCAL: list[int] = []  # sizes of the chunks this (the test's) process normalised


def _slow_in_worker(frame, ctx):
    """normalise_chunk, 0.3 s slower in the forked worker (which inherits this module), counted in this process."""
    if os.getpid() == _PARENT:
        _LOCAL.append(len(frame))
    else:
        time.sleep(0.3)
    return normalise_chunk(frame, ctx)


def test_this_process_normalises_chunks_while_the_worker_is_behind(tmp_path, monkeypatch):
    data = _csv(3000, bad_at=1500)
    one, rows_one, rejects_one = _stored(tmp_path, "d.db", data, False, monkeypatch, skip_bad_rows=True)
    monkeypatch.setattr(parallel, "normalise_chunk", _slow_in_worker)
    _LOCAL.clear()
    two, rows_two, rejects_two = _stored(tmp_path, "e.db", data, True, monkeypatch, skip_bad_rows=True)
    assert 0 < len(_LOCAL) < 6  # 6 chunks (1000 rows, then 400s): both processes took some
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
