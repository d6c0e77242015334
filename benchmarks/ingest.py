"""Benchmark: import N generated posts from CSV into a fresh SQLite workspace, beside the floor of the same run.

The floor is the same rows (read back from the import's database, untimed) inserted with plain
sqlite3.executemany in one transaction into another fresh workspace. Each side runs in its own process so that its
peak memory (ru_maxrss) is its own. Target: import time <= 1.5x the floor, peak memory <= 1.5 GB.

    python benchmarks/ingest.py [--rows 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATIO = 1.5
TARGET_PEAK_MB = 1536
TAGS = np.array(["greylanternrises", "valleyton", "riverfestival", "marketday", "alleyesonthelantern", "weather"])
WORDS = np.array("the market river lantern valley night festival opens bridge council news rain today".split())
COLUMNS = "platform, external_id, author_id, author_handle, author_name, created_at, text, lang, hashtags, urls, "
COLUMNS += "mentions, repost_of, reply_to, quote_of, likes, reposts, replies, views, url, batch_id"


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write `rows` fictional posts as a listening-tool CSV (ids, author, ISO time, text with entities, counts)."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2026-11-01T00:00:00")
    for first in range(0, rows, 200_000):
        n = min(200_000, rows - first)
        ids = np.arange(first, first + n)
        authors = rng.integers(0, 20_000, n)
        words = WORDS[rng.integers(0, len(WORDS), (n, 8))]
        body = pd.Series([" ".join(w) for w in words])
        tags = pd.Series(TAGS[rng.integers(0, len(TAGS), n)])
        links = np.where(rng.random(n) < 0.3, " https://greylantern-news.example/story/" + (ids % 997).astype(str), "")
        mention = np.where(rng.random(n) < 0.2, " @valley_resident_" + (authors % 500).astype(str), "")
        frame = pd.DataFrame(
            {
                "post_id": (10**15 + ids).astype(str),
                "author_id": "u" + pd.Series(authors).astype(str),
                "author_handle": "valley_resident_" + pd.Series(authors).astype(str),
                "created_at": pd.Series(start + (ids * 1.2).astype("timedelta64[s]")).dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "text": body + " #" + tags + pd.Series(links) + pd.Series(mention),
                "lang": "en",
                "likes": rng.integers(0, 500, n),
                "reposts": rng.integers(0, 50, n),
            }
        )
        frame.to_csv(path, mode="w" if first == 0 else "a", header=first == 0, index=False)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def run_import(csv_path: Path, db_path: Path) -> dict:
    from planner import auth, ingest
    from planner.db import open_workspace

    ws = open_workspace(f"sqlite:///{db_path}")
    with ws.session() as session:
        start = time.perf_counter()
        report = ingest.import_posts(
            session, auth.CLI_ACTOR, ingest.Source.from_path(csv_path), ingest.ImportOptions(platform="x")
        )
        seconds = time.perf_counter() - start
    ws.dispose()
    return {"seconds": seconds, "peak_mb": peak_mb(), "imported": report.imported, "rejected": report.rejected}


def run_floor(source_db: Path, db_path: Path) -> dict:
    from planner.db import open_workspace

    open_workspace(f"sqlite:///{db_path}").dispose()  # the same schema, indexes and constraints
    src = sqlite3.connect(source_db)
    rows = src.execute(f"SELECT {COLUMNS} FROM posts ORDER BY id").fetchall()  # untimed: the rows to insert
    src.close()
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    placeholders = ", ".join("?" * len(COLUMNS.split(",")))
    start = time.perf_counter()
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO import_batches (id, created_at, filename, format, platform, rows_read, imported, duplicates, "
        "rejected, pseudonymised, options) VALUES (1, '2026-11-28 00:00:00.000000', 'f', 'csv', 'x', 0, 0, 0, 0, 0, "
        "'{}')"
    )
    conn.executemany(f"INSERT INTO posts ({COLUMNS}) VALUES ({placeholders})", rows)
    conn.execute("COMMIT")
    seconds = time.perf_counter() - start
    conn.close()
    return {"seconds": seconds, "peak_mb": peak_mb(), "inserted": len(rows)}


def child(part: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--part", part, *args], check=True, capture_output=True, text=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="Folder to keep the CSV and databases in.")
    parser.add_argument("--repeat", type=int, default=1, help="Runs of each side, interleaved; the best counts.")
    parser.add_argument("--part", choices=["import", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part == "import":
        print(json.dumps(run_import(Path(args.paths[0]), Path(args.paths[1]))))
        return
    if args.part == "floor":
        print(json.dumps(run_floor(Path(args.paths[0]), Path(args.paths[1]))))
        return

    folder = args.keep or Path(tempfile.mkdtemp(prefix="cp-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, import_db, floor_db = folder / "posts.csv", folder / "import.db", folder / "floor.db"
    start = time.perf_counter()
    generate(csv_path, args.rows)
    size_mb = csv_path.stat().st_size / 2**20
    print(f"Generated {args.rows:,} posts ({size_mb:,.0f} MB CSV) in {time.perf_counter() - start:.1f} s")
    # Interleaved runs, best of each: other work on a shared machine slows whichever side it happens to overlap.
    runs: dict[str, list[dict]] = {"import": [], "floor": []}
    for _ in range(max(args.repeat, 1)):
        for path in (import_db, floor_db):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        runs["import"].append(child("import", str(csv_path), str(import_db)))
        runs["floor"].append(child("floor", str(import_db), str(floor_db)))
    for side, figs in runs.items():
        print(f"{side} runs (s): " + ", ".join(f"{f['seconds']:.1f}" for f in figs))
    ours = min(runs["import"], key=lambda f: f["seconds"])
    floor = min(runs["floor"], key=lambda f: f["seconds"])
    assert ours["imported"] == floor["inserted"] == args.rows, (ours, floor)
    ratio = ours["seconds"] / floor["seconds"]
    print(f"{'':28}{'time (s)':>10}{'rows/s':>12}{'peak RSS (MB)':>16}")
    for name, fig in (("floor: sqlite3.executemany", floor), ("import-posts (CSV -> posts)", ours)):
        print(f"{name:28}{fig['seconds']:>10.1f}{args.rows / fig['seconds']:>12,.0f}{fig['peak_mb']:>16,.0f}")
    print(
        f"Ratio {ratio:.2f}x the floor (target <= {TARGET_RATIO}x); peak {ours['peak_mb']:,.0f} MB (target <= "
        f"{TARGET_PEAK_MB} MB): {'MET' if ratio <= TARGET_RATIO and ours['peak_mb'] <= TARGET_PEAK_MB else 'NOT MET'}"
    )
    if not args.keep:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
