"""Benchmark: co-post within 60 s on generated posts, Counterpoint beside the QUT coordination-network-toolkit.

Two modes, both with the peer measured in the same run and edges compared exactly:
- whole (default): what a user runs. The posts are stored in a workspace first (SQLite file, or the PostgreSQL
  database given with --url, emptied first), as an import stores them; then `python -m planner detect-coordination
  --window 60 --out edges.csv` runs as its own process, timed from start to exit, beside the toolkit's own process
  computing and exporting the same co-post network from its preprocessed database (its preprocessing, like our
  import, is not timed); each is run --repeat times (default 3) and its best time is compared. Peak RSS is each
  process's own.
- kernel: detection in memory on posts read from the same CSV (no database, no start-up).
The toolkit gets a 10-minute limit per size and is skipped above it with the reason printed (--no-toolkit skips it,
e.g. at 10M posts).

    python benchmarks/coordination.py                                 # 100k and 1M posts, whole process, SQLite
    python benchmarks/coordination.py --sizes 20000 --mode kernel     # a quick run of the kernel alone
    python benchmarks/coordination.py --sizes 1000000 --url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    python benchmarks/coordination.py --sizes 10000000 --no-toolkit --hot 0
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing as mp
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOOLKIT_LIMIT_S = 600
WINDOW_S = 60
MIN_WEIGHT = 2
SPAN_S = 14 * 24 * 3600


def generate(n: int, path: Path, seed: int = 1, hot: int = 0) -> dict:
    """Write n fictional posts in the toolkit's CSV format; return what was planted.

    Mix: 80 % unique everyday texts; 15 % drawn from 2,000 popular texts (share buttons, quotes) posted at random
    times by anyone; 5 % in coordinated rounds, where 20-40 accounts of a 200-account group post one text within
    30 s. About 20 posts per account on average; 10 % of posts have a link; 5 % are reposts.
    """
    rng = np.random.default_rng(seed)
    accounts = max(n // 20, 50)
    n_round = int(n * 0.05)
    n_popular = int(n * 0.15)
    n_unique = n - n_round - n_popular
    times = np.concatenate([rng.integers(0, SPAN_S, n_unique), rng.integers(0, SPAN_S, n_popular)])
    authors = rng.integers(0, accounts, n_unique + n_popular)
    texts = [f"everyday post {i} about the valley" for i in range(n_unique)]
    texts += [f"Popular Quote {k} @valley_news" for k in rng.integers(0, 2000, n_popular)]
    group = rng.choice(accounts, 200, replace=False)
    r_times, r_authors, r_texts = [], [], []
    r = 0
    while len(r_times) < n_round:
        size = int(rng.integers(20, 41))
        t0 = int(rng.integers(0, SPAN_S - 60))
        r_times += list(t0 + rng.integers(0, 30, size))
        r_authors += list(rng.choice(group, size, replace=False))
        r_texts += [f"The lantern sees what the cities hide, round {r}"] * size
        r += 1
    times = np.concatenate([times, r_times[:n_round]])
    authors = np.concatenate([authors, r_authors[:n_round]])
    texts += r_texts[:n_round]
    if hot:  # one text posted by `hot` accounts within 60 s, twice: hot * (hot - 1) edges of weight 2
        for start in (SPAN_S // 3, 2 * SPAN_S // 3):
            times = np.concatenate([times, start + rng.integers(0, WINDOW_S + 1, hot)])
            authors = np.concatenate([authors, accounts + np.arange(hot)])
            texts += ["Everyone share this now"] * hot
        n = len(texts)
    links = np.where(rng.random(n) < 0.1, [f"https://news.example/{k}" for k in rng.integers(0, 5000, n)], "")
    reposts = np.where(rng.random(n) < 0.05, [f"orig{k}" for k in rng.integers(0, 1000, n)], "")
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls"])
        for i in range(n):
            a = f"acc{authors[i]}"
            w.writerow([f"m{i}", a, a, reposts[i], "", texts[i], int(1_700_000_000 + times[i]), links[i]])
    return {"accounts": accounts + hot, "rounds": r, "posts": n}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ours(csv_path: str, out: str, queue) -> None:
    from planner.coordination.networks import Params, detect

    t0 = time.perf_counter()
    # Arrow's multi-threaded CSV reader (the generated CSV has no line breaks inside fields).
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False, engine="pyarrow")
    posts = pd.DataFrame(
        {
            "account": frame["user_id"],
            "created_at": pd.to_datetime(frame["timestamp"].astype(np.int64), unit="s", utc=True),
            "text": frame["message"],
            "urls": frame["urls"],
            "hashtags": "",
            "repost_of": frame["repost_id"],
        }
    )
    del frame
    t1 = time.perf_counter()
    _, edges = detect(posts, Params(kind="co-post", window_s=WINDOW_S, min_weight=MIN_WEIGHT, match_empty=True))
    t2 = time.perf_counter()
    edges.to_csv(out, index=False)
    queue.put({"read_s": t1 - t0, "detect_s": t2 - t1, "peak_mb": _peak_mb(), "edges": len(edges)})


def run_toolkit(csv_path: str, db: str, out: str, threads: int, queue) -> None:
    import contextlib
    import io

    from coordination_network_toolkit import compute_networks
    from coordination_network_toolkit.output import output_gephi_csv
    from coordination_network_toolkit.preprocess import preprocess_csv_files

    with contextlib.redirect_stdout(io.StringIO()):
        t0 = time.perf_counter()
        preprocess_csv_files(db, [csv_path])
        t1 = time.perf_counter()
        compute_networks.compute_co_tweet_network(db, WINDOW_S, min_edge_weight=MIN_WEIGHT, n_threads=threads)
        t2 = time.perf_counter()
        output_gephi_csv(db, "co_tweet", out)
    queue.put({"preprocess_s": t1 - t0, "compute_s": t2 - t1, "peak_mb": _peak_mb()})


def _in_child(target, args, timeout: float | None):
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return None
    return queue.get() if not queue.empty() else None


def _edges(path: str) -> pd.DataFrame:
    e = pd.read_csv(path, dtype={"source": str, "target": str})
    return e[["source", "target", "weight"]].sort_values(["source", "target"], ignore_index=True)


def store_workspace(csv_path: Path, url: str, chunk: int = 1_000_000) -> tuple[int, float]:
    """Store the CSV's posts in the (emptied) workspace at `url` as an import would, keys included; return
    (posts, seconds). Reads the CSV in chunks so 10M posts fit in memory."""
    from sqlalchemy import text

    from planner import dataaccess, postkeys
    from planner.db import open_workspace
    from planner.models import ImportBatch, Post

    t = time.perf_counter()
    ws = open_workspace(url)
    stored = 0
    with ws.session() as session:
        for table in ("coordination_runs", "posts", "import_batches"):
            session.execute(text(f"DELETE FROM {table}"))
        batch = ImportBatch(filename=csv_path.name, format="toolkit-csv", platform="x")
        session.add(batch)
        session.flush()
        reader = pd.read_csv(csv_path, dtype=str, keep_default_na=False, chunksize=chunk)
        for frame in reader:
            n = len(frame)
            repost = frame["repost_id"].where(frame["repost_id"] != "", None)
            columns = {
                "platform": ["x"] * n,
                "external_id": frame["message_id"],
                "author_id": frame["user_id"],
                "author_handle": frame["username"],
                "created_at": pd.Series(pd.to_datetime(frame["timestamp"].astype(np.int64), unit="s", utc=True)),
                "text": frame["message"],
                "urls": frame["urls"],
                "repost_of": repost,
                "batch_id": np.full(n, batch.id),
                "text_hash": postkeys.text_hashes(frame["message"]),
                "author_key": postkeys.author_keys("x", frame["user_id"]),
                **{c: [""] * n for c in ("author_name", "lang", "hashtags", "mentions", "url")},
            }
            dataaccess.insert_rows(session, Post.__tablename__, columns)
            stored += n
        session.commit()
    if ws.backend == "postgresql":
        with ws.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE posts"))
    ws.dispose()
    return stored, time.perf_counter() - t


def _store_child(path: Path, url: str, queue) -> None:
    queue.put(store_workspace(path, url))


# Runs the command as its child and reports its wall time and peak RSS. The measuring process must be small: on
# Linux a child's peak RSS includes that of the process it was forked from, up to its exec.
_MEASURE = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
with open(sys.argv[1], "w") as out, open(sys.argv[2], "w") as err:
    try:
        code = subprocess.run(sys.argv[4:], stdout=out, stderr=err, timeout=float(sys.argv[3]) or None).returncode
    except subprocess.TimeoutExpired:
        code = None
wall = time.perf_counter() - t
peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"code": code, "wall_s": wall, "peak_mb": peak_mb}))
"""


def _timed_process(args: list[str], env: dict | None = None, timeout: float | None = None) -> dict | None:
    """Run a command; return its wall time, its own peak RSS and its output, or None when killed at the timeout."""
    with tempfile.TemporaryDirectory() as tmp:
        out, err = Path(tmp) / "out", Path(tmp) / "err"
        measure = [sys.executable, "-c", _MEASURE, str(out), str(err), str(timeout or 0), *args]
        result = json.loads(subprocess.run(measure, env=env, capture_output=True, text=True, check=True).stdout)
        if result["code"] is None:
            return None
        if result["code"] != 0:
            raise SystemExit(f"{' '.join(args[:4])} failed ({result['code']}):\n{err.read_text()[-2000:]}")
        return {**result, "stdout": out.read_text()}


_TOOLKIT_SCRIPT = """
import sys
from coordination_network_toolkit import compute_networks
from coordination_network_toolkit.output import output_gephi_csv
compute_networks.compute_co_tweet_network(sys.argv[1], {window}, min_edge_weight={min_weight}, n_threads={threads})
output_gephi_csv(sys.argv[1], "co_tweet", sys.argv[2])
"""


def _toolkit_python() -> str:
    """Return the Python that has the toolkit: this one, or the venv in $CNT_VENV (default /tmp/cnt-venv)."""
    try:
        import coordination_network_toolkit  # noqa: F401

        return sys.executable
    except ImportError:
        venv = Path(os.environ.get("CNT_VENV", "/tmp/cnt-venv"))
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run(
                [str(venv / "bin" / "pip"), "install", "-q", "coordination-network-toolkit==1.5.2"], check=True
            )
        return str(venv / "bin" / "python")


def _posts_csv(n: int, hot: int, folder: Path) -> Path:
    """Write n generated posts to folder/posts.csv, say what was planted, and return the file."""
    path = folder / "posts.csv"
    t = time.perf_counter()
    planted = generate(n, path, hot=hot)
    extra = f", plus one text posted twice by {hot:,} accounts within 60 s" if hot else ""
    print(
        f"\n{planted['posts']:,} posts, {planted['accounts']:,} accounts, {planted['rounds']:,} coordinated "
        f"rounds{extra} (CSV written in {time.perf_counter() - t:.1f} s)"
    )
    return path


def _times(runs: list[dict]) -> str:
    return ", ".join(f"{r['wall_s']:.2f}" for r in runs) + " s"


def whole(n: int, hot: int, folder: Path, url: str | None, threads: int, toolkit: bool, repeat: int = 1) -> None:
    """Measure both whole processes on n generated posts (best of `repeat` runs each) and print the figures."""
    path = _posts_csv(n, hot, folder)
    url = url or f"sqlite:///{folder / 'workspace.db'}"
    # In a child process: a command forked from a big parent would count the parent's pages in its peak RSS.
    stored, load_s = _in_child(_store_child, (path, url), None)
    backend = url.split(":", 1)[0].split("+", 1)[0]
    print(f"  stored {stored:,} posts in the {backend} workspace in {load_s:.1f} s (not timed below)")
    env = {**os.environ, "PLANNER_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    ours_csv = folder / "ours.csv"
    args = [sys.executable, "-m", "planner", "detect-coordination", "--window", str(WINDOW_S)]
    runs = [
        _timed_process([*args, "--min-weight", str(MIN_WEIGHT), "--raw", "--out", str(ours_csv)], env)
        for _ in range(repeat)
    ]
    ours = min(runs, key=lambda r: r["wall_s"])
    print(
        f"  counterpoint: `python -m planner detect-coordination --window {WINDOW_S} --out edges.csv` "
        f"{ours['wall_s']:.2f} s whole process (best of {_times(runs)}); peak RSS {ours['peak_mb']:.0f} MB"
    )
    print("    " + ours["stdout"].splitlines()[0])
    if not toolkit:
        return
    tk_python = _toolkit_python()
    db = folder / "toolkit.db"
    t = time.perf_counter()
    prep = [
        tk_python,
        "-c",
        "import sys; from coordination_network_toolkit.preprocess import preprocess_csv_files; "
        "preprocess_csv_files(sys.argv[1], [sys.argv[2]])",
        str(db),
        str(path),
    ]
    _timed_process(prep)
    print(f"  toolkit preprocessed the CSV into its database in {time.perf_counter() - t:.1f} s (not timed below)")
    script = _TOOLKIT_SCRIPT.format(window=WINDOW_S, min_weight=MIN_WEIGHT, threads=threads)
    tk_runs = []
    for _ in range(repeat):
        # Each run starts from the preprocessed database as it was: a run leaves its network in it, which the
        # next run would partly reuse (9.9 s, then 3.4 s).
        run_db = folder / "toolkit-run.db"
        shutil.copyfile(db, run_db)
        tk_args = [tk_python, "-c", script, str(run_db), str(folder / "toolkit.csv")]
        tk = _timed_process(tk_args, timeout=TOOLKIT_LIMIT_S)
        if tk is None:
            print(f"  toolkit: skipped, did not finish within {TOOLKIT_LIMIT_S} s (killed)")
            return
        tk_runs.append(tk)
    tk = min(tk_runs, key=lambda r: r["wall_s"])
    same = _edges(str(ours_csv)).equals(_edges(str(folder / "toolkit.csv")))
    print(
        f"  toolkit 1.5.2 compute + export co_tweet: {tk['wall_s']:.2f} s whole process (best of {_times(tk_runs)}; "
        f"{threads} processes); "
        f"peak RSS of its main process {tk['peak_mb']:.0f} MB"
    )
    ratio = tk["wall_s"] / ours["wall_s"]
    print(f"  identical edges and weights: {same}; toolkit time / counterpoint time = {ratio:.1f}x (goal >= 5x)")


def kernel(n: int, hot: int, folder: Path, threads: int) -> None:
    """Measure detection in memory beside the toolkit's preprocess + compute, from the same CSV."""
    path = _posts_csv(n, hot, folder)
    ours = _in_child(run_ours, (str(path), str(folder / "ours.csv")), None)
    ours_total = ours["read_s"] + ours["detect_s"]
    print(
        f"  counterpoint: read CSV {ours['read_s']:.1f} s + detect {ours['detect_s']:.1f} s = "
        f"{ours_total:.1f} s; {ours['edges']:,} edges; peak RSS {ours['peak_mb']:.0f} MB (1 process)"
    )
    tk = _in_child(
        run_toolkit, (str(path), str(folder / "toolkit.db"), str(folder / "toolkit.csv"), threads), TOOLKIT_LIMIT_S
    )
    if tk is None:
        print(f"  toolkit: skipped, did not finish within {TOOLKIT_LIMIT_S} s (killed)")
        return
    tk_total = tk["preprocess_s"] + tk["compute_s"]
    same = _edges(str(folder / "ours.csv")).equals(_edges(str(folder / "toolkit.csv")))
    print(
        f"  toolkit 1.5.2: preprocess {tk['preprocess_s']:.1f} s + co_tweet {tk['compute_s']:.1f} s = "
        f"{tk_total:.1f} s ({threads} processes); peak RSS of its main process {tk['peak_mb']:.0f} MB"
    )
    print(
        f"  identical edges and weights: {same}; speed-up end to end {tk_total / ours_total:.0f}x, "
        f"network step alone {tk['compute_s'] / ours['detect_s']:.0f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--mode", choices=("whole", "kernel"), default="whole")
    parser.add_argument("--url", help="whole mode: a PostgreSQL database URL to store the posts in (emptied first)")
    parser.add_argument("--no-toolkit", action="store_true", help="skip the toolkit (e.g. at 10M posts)")
    parser.add_argument(
        "--hot", type=int, default=2000, help="also: one text posted twice by this many accounts (0: skip)"
    )
    parser.add_argument("--toolkit-threads", type=int, default=2, help="processes the toolkit may use (default 2)")
    parser.add_argument("--repeat", type=int, default=3, help="whole mode: best of N runs of each process")
    args = parser.parse_args()
    print(
        f"co-post within {WINDOW_S} s, min weight {MIN_WEIGHT}, {args.mode} mode; toolkit limit {TOOLKIT_LIMIT_S} s "
        f"per size; load average {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        runs = [(n, 0) for n in args.sizes] + ([(20_000, args.hot)] if args.hot else [])
        for n, hot in runs:
            folder = Path(tmp) / f"{n}_{hot}"
            folder.mkdir()
            if args.mode == "whole":
                whole(n, hot, folder, args.url, args.toolkit_threads, not args.no_toolkit, max(1, args.repeat))
            else:
                kernel(n, hot, folder, args.toolkit_threads)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
