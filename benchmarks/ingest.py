"""Benchmark: `python -m planner import-posts` of N generated CSV posts, whole process, beside a plain floor.

The floor is the same rows (read back from the import's database, untimed) inserted with plain
sqlite3.executemany in one transaction into a table with the same columns and unique key, then the created-at and
author indexes built after the load. Each side runs in its own process, so its peak memory (ru_maxrss) is its own;
the import's time includes the interpreter's start-up and imports. Two files are measured: with a language column
(target <= 1.5x the floor) and without one (language detected, target <= 2x). Peak memory target: 1.5 GB.

With --url postgresql+psycopg://..., the import writes to a new database on that server (dropped afterwards), and a
PostgreSQL floor (COPY of the same rows into a plain table with the same key, indexes after) is printed too.

    python benchmarks/ingest.py [--rows 1000000] [--url URL] [--variants lang,nolang] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Bumped when generate() writes different rows: a kept CSV from an older generator is written again.
GENERATOR = 2
TARGETS = {"lang": 1.5, "nolang": 2.0}
TARGET_PEAK_MB = 1536
TAGS = np.array(["greylanternrises", "valleyton", "riverfestival", "marketday", "alleyesonthelantern", "weather"])
WORDS = {
    "en": "the market river lantern valley night festival opens bridge council news rain today".split(),
    "ru": "рынок река фонарь долина ночь праздник открыт мост совет новости дождь сегодня".split(),
    "ar": "السوق النهر الفانوس الوادي الليل المهرجان يفتح الجسر المجلس الأخبار المطر اليوم".split(),
}
# The first post of a small file, the last of a big one (the spacing is fixed).
FIRST_POST = np.datetime64("2026-11-01T00:00:00")
LAST_POST = np.datetime64("2026-11-20T00:00:00")
COLUMNS = "platform, external_id, author_id, author_handle, author_name, created_at, text, lang, hashtags, urls, "
COLUMNS += "mentions, repost_of, reply_to, quote_of, likes, reposts, replies, views, url, batch_id"
FLOOR_TABLE = """CREATE TABLE posts (
    id {id}, platform VARCHAR(32) NOT NULL, external_id VARCHAR(128) NOT NULL,
    author_id VARCHAR(128) NOT NULL, author_handle VARCHAR(128) NOT NULL, author_name VARCHAR(255) NOT NULL,
    created_at {stamp} NOT NULL, text TEXT NOT NULL, lang VARCHAR(16) NOT NULL, hashtags TEXT NOT NULL,
    urls TEXT NOT NULL, mentions TEXT NOT NULL, repost_of VARCHAR(128), reply_to VARCHAR(128), quote_of VARCHAR(128),
    likes BIGINT, reposts BIGINT, replies BIGINT, views BIGINT, url VARCHAR(512) NOT NULL, batch_id INTEGER NOT NULL,
    UNIQUE (platform, external_id))"""
FLOOR_INDEXES = (
    "CREATE INDEX ix_floor_created_at ON posts (created_at)",
    "CREATE INDEX ix_floor_author ON posts (platform, author_id)",
)


def generate(path: Path, rows: int, seed: int = 7, lang_column: bool = True) -> None:
    """Write `rows` fictional posts as a listening-tool CSV: ids, author, ISO time, text with entities, counts.

    Texts are in English (80%), Russian and Arabic, built from a small fictional vocabulary. Posts are 1.2 s apart
    and end by LAST_POST at the latest (10M posts start months earlier), so none is in the future: an import
    rejects those.
    """
    rng = np.random.default_rng(seed)
    start = min(FIRST_POST, LAST_POST - np.timedelta64(rows * 6 // 5, "s"))
    langs = np.array(list(WORDS))
    vocab = {k: np.array(v) for k, v in WORDS.items()}
    for first in range(0, rows, 200_000):
        n = min(200_000, rows - first)
        ids = np.arange(first, first + n)
        authors = rng.integers(0, 20_000, n)
        lang = langs[np.searchsorted([0.8, 0.9], rng.random(n), side="right")]
        body = np.empty(n, dtype=object)
        for code, words in vocab.items():
            mask = lang == code
            picks = words[rng.integers(0, len(words), (int(mask.sum()), 8))]
            body[mask] = [" ".join(w) for w in picks]
        tags = TAGS[rng.integers(0, len(TAGS), n)]
        links = np.where(rng.random(n) < 0.3, " https://greylantern-news.example/story/" + (ids % 997).astype(str), "")
        mention = np.where(rng.random(n) < 0.2, " @valley_resident_" + (authors % 500).astype(str), "")
        frame = pd.DataFrame(
            {
                "post_id": (10**15 + ids).astype(str),
                "author_id": "u" + pd.Series(authors).astype(str),
                "author_handle": "valley_resident_" + pd.Series(authors).astype(str),
                "created_at": pd.Series(start + (ids * 1.2).astype("timedelta64[s]")).dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "text": pd.Series(body) + " #" + tags + links + mention,
                "lang": lang,
                "likes": rng.integers(0, 500, n),
                "reposts": rng.integers(0, 50, n),
            }
        )
        if not lang_column:
            frame = frame.drop(columns="lang")
        frame.to_csv(path, mode="w" if first == 0 else "a", header=first == 0, index=False)


def timed_child(args: list[str], env: dict) -> dict:
    """Run a process; return its wall time (s), its own peak resident memory (MB) and its last stdout line."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=err, text=True)
        _pid, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage, not the sum over all children
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise SystemExit(f"{' '.join(args)} failed:\n{err.read()}")
        lines = out.read().strip().splitlines()
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "last": lines[-1] if lines else ""}


# `python -m planner` with the normalising worker whatever the load (the import skips it on a busy machine).
FORCED_WORKER = (
    "import runpy, sys; import planner.ingest.parallel as p; p.use_worker = lambda: True; "
    "runpy.run_module('planner', run_name='__main__', alter_sys=True)"
)


def run_import(csv_path: Path, url: str, force_worker: bool = False) -> dict:
    env = {**os.environ, "PLANNER_DATABASE_URL": url}
    upgrade = [sys.executable, "-m", "planner", "db", "upgrade"]
    subprocess.run(upgrade, cwd=ROOT, env=env, check=True, capture_output=True)  # untimed: an existing workspace
    launch = [sys.executable, "-c", FORCED_WORKER] if force_worker else [sys.executable, "-m", "planner"]
    fig = timed_child([*launch, "import-posts", str(csv_path), "--platform", "x"], env)
    imported = int(re.search(r"imported ([\d,]+),", fig["last"]).group(1).replace(",", ""))
    return {"seconds": fig["seconds"], "peak_mb": fig["peak_mb"], "imported": imported}


def run_floor(url: str, db_path: Path, dialect: str) -> dict:
    """(Child process) insert the import's rows with the plain driver; print the figures."""
    import resource

    rows = _read_rows(url)  # untimed: the rows to insert
    if dialect == "sqlite":
        conn = sqlite3.connect(db_path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(FLOOR_TABLE.format(id="INTEGER PRIMARY KEY", stamp="DATETIME"))
        placeholders = ", ".join("?" * len(COLUMNS.split(",")))
        start = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(f"INSERT OR IGNORE INTO posts ({COLUMNS}) VALUES ({placeholders})", rows)
        for sql in FLOOR_INDEXES:
            conn.execute(sql)
        conn.execute("COMMIT")
        seconds = time.perf_counter() - start
        conn.close()
    else:
        import psycopg

        with psycopg.connect(_libpq(url)) as conn:
            conn.execute("DROP TABLE IF EXISTS floor_posts")
            table = FLOOR_TABLE.replace("posts (", "floor_posts (", 1)
            conn.execute(table.format(id="BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", stamp="TIMESTAMPTZ"))
            conn.commit()
            start = time.perf_counter()
            with conn.cursor().copy(f"COPY floor_posts ({COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            for sql in FLOOR_INDEXES:
                conn.execute(sql.replace("ix_floor", "ix_pgfloor").replace("ON posts", "ON floor_posts"))
            conn.commit()
            seconds = time.perf_counter() - start
            conn.execute("DROP TABLE floor_posts")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak, "inserted": len(rows)}


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _read_rows(url: str) -> list[tuple]:
    sql = f"SELECT {COLUMNS} FROM posts ORDER BY id"
    if url.startswith("sqlite"):
        src = sqlite3.connect(url.split("///", 1)[1])
        rows = src.execute(sql).fetchall()
        src.close()
        return rows
    import psycopg

    with psycopg.connect(_libpq(url)) as conn:
        return conn.execute(sql).fetchall()


def _fresh_pg(url: str) -> tuple[str, callable]:
    """Create a new database on the server of `url`; return its URL and a function that drops it."""
    import psycopg

    name = f"cp_bench_ingest_{uuid.uuid4().hex[:8]}"
    admin = _libpq(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url.rsplit("/", 1)[0] + "/" + name, drop


def floor_child(url: str, db_path: Path, dialect: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--part", "floor", url, str(db_path), dialect],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(variant: str, args, folder: Path) -> None:
    csv_path = folder / f"posts-{variant}.csv"
    stamp = csv_path.with_suffix(".rows")  # the row count of a kept CSV, written once the file is complete
    start = time.perf_counter()
    if stamp.exists() and stamp.read_text() == f"{args.rows} {GENERATOR}" and csv_path.exists():
        verb = "reused"
    else:
        stamp.unlink(missing_ok=True)
        generate(csv_path, args.rows, lang_column=variant == "lang")
        stamp.write_text(f"{args.rows} {GENERATOR}")
        verb = "generated"
    size_mb = csv_path.stat().st_size / 2**20
    print(f"\n{variant}: {verb} {args.rows:,} posts ({size_mb:,.0f} MB CSV) in {time.perf_counter() - start:.1f} s")
    runs: dict[str, list[dict]] = {"import": [], "floor": [], "pgfloor": []}
    for _ in range(max(args.repeat, 1)):
        floor_db = folder / "floor.db"
        for path in (folder / "import.db", floor_db):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        drop = None
        url = f"sqlite:///{folder / 'import.db'}"
        if args.url:
            url, drop = _fresh_pg(args.url)
        try:
            runs["import"].append(run_import(csv_path, url, args.force_worker))
            if args.import_only:
                continue
            runs["floor"].append(floor_child(url, floor_db, "sqlite"))
            if args.url:
                runs["pgfloor"].append(floor_child(url, floor_db, "postgresql"))
        finally:
            if drop:
                drop()
    for side, figs in runs.items():
        if figs:
            print(f"{side} runs (s): " + ", ".join(f"{f['seconds']:.1f}" for f in figs))
    ours = min(runs["import"], key=lambda f: f["seconds"])
    if args.import_only:
        print(
            f"import-posts: {ours['seconds']:.1f} s, {args.rows / ours['seconds']:,.0f} rows/s, peak RSS "
            f"{ours['peak_mb']:,.0f} MB, {ours['imported']:,} rows stored"
        )
        return
    floor = min(runs["floor"], key=lambda f: f["seconds"])
    assert ours["imported"] == floor["inserted"] == args.rows, (ours, floor)
    sides = [("floor: sqlite3.executemany", floor)]
    if runs["pgfloor"]:
        sides.append(("floor: PostgreSQL COPY", min(runs["pgfloor"], key=lambda f: f["seconds"])))
    target = f"import-posts ({'SQLite' if not args.url else 'PostgreSQL'})"
    sides.append((target, ours))
    print(f"{'':32}{'time (s)':>10}{'rows/s':>12}{'peak RSS (MB)':>16}")
    for name, fig in sides:
        print(f"{name:32}{fig['seconds']:>10.1f}{args.rows / fig['seconds']:>12,.0f}{fig['peak_mb']:>16,.0f}")
    ratio = ours["seconds"] / floor["seconds"]
    met = ratio <= TARGETS[variant] and ours["peak_mb"] <= TARGET_PEAK_MB
    print(
        f"{variant}: ratio {ratio:.2f}x the sqlite3 floor (target <= {TARGETS[variant]}x); peak {ours['peak_mb']:,.0f} "
        f"MB (target <= {TARGET_PEAK_MB} MB): {'MET' if met else 'NOT MET'}"
    )
    if runs["pgfloor"]:
        pg = sides[1][1]
        print(f"{variant}: ratio {ours['seconds'] / pg['seconds']:.2f}x the PostgreSQL COPY floor")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--url", help="A PostgreSQL URL: import into a new database on that server.")
    parser.add_argument("--variants", default="lang,nolang", help="lang (the file has a language column), nolang.")
    parser.add_argument("--keep", type=Path, help="Folder to keep the CSV and databases in.")
    parser.add_argument("--repeat", type=int, default=1, help="Runs of each side, interleaved; the best counts.")
    parser.add_argument(
        "--import-only", action="store_true", help="Skip the floor (at 10M rows it would hold every row in memory)."
    )
    parser.add_argument(
        "--force-worker",
        action="store_true",
        help="Give the import its normalising worker even on a busy machine (it skips it at a load above 1).",
    )
    parser.add_argument("--part", choices=["floor"], help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part == "floor":
        print(json.dumps(run_floor(args.paths[0], Path(args.paths[1]), args.paths[2])))
        return
    if args.url and not args.url.startswith("postgresql"):
        parser.error("--url: give a postgresql+psycopg:// URL (SQLite runs on a new file by default)")
    print(f"Load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="cp-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        for variant in args.variants.split(","):
            measure(variant.strip(), args, folder)
    finally:
        if not args.keep:
            shutil.rmtree(folder)
    print(f"\nLoad average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
