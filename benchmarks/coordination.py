"""Benchmark: co-post within 60 s on generated posts, Counterpoint beside the QUT coordination-network-toolkit.

Both read the same toolkit-format CSV. Each side runs in its own process (so peak memory is its own); the toolkit
gets a 10-minute limit per size and is skipped above it with the reason printed. Edges are compared exactly.

    python benchmarks/coordination.py                 # 100k and 1M posts
    python benchmarks/coordination.py --sizes 20000   # a quick run
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--hot", type=int, default=2000, help="also: one text posted twice by this many accounts (0: skip)"
    )
    parser.add_argument("--toolkit-threads", type=int, default=2, help="processes the toolkit may use (default 2)")
    args = parser.parse_args()
    print(f"co-post within {WINDOW_S} s, min weight {MIN_WEIGHT}; toolkit limit {TOOLKIT_LIMIT_S} s per size")
    with tempfile.TemporaryDirectory() as tmp:
        runs = [(n, 0) for n in args.sizes] + ([(20_000, args.hot)] if args.hot else [])
        for n, hot in runs:
            folder = Path(tmp) / f"{n}_{hot}"
            folder.mkdir()
            path = folder / "posts.csv"
            t = time.perf_counter()
            planted = generate(n, path, hot=hot)
            extra = f", plus one text posted twice by {hot:,} accounts within 60 s" if hot else ""
            print(
                f"\n{planted['posts']:,} posts, {planted['accounts']:,} accounts, {planted['rounds']:,} coordinated "
                f"rounds{extra} (CSV written in {time.perf_counter() - t:.1f} s)"
            )
            ours = _in_child(run_ours, (str(path), str(folder / "ours.csv")), None)
            ours_total = ours["read_s"] + ours["detect_s"]
            print(
                f"  counterpoint: read CSV {ours['read_s']:.1f} s + detect {ours['detect_s']:.1f} s = "
                f"{ours_total:.1f} s; {ours['edges']:,} edges; peak RSS {ours['peak_mb']:.0f} MB (1 process)"
            )
            tk = _in_child(
                run_toolkit,
                (str(path), str(folder / "toolkit.db"), str(folder / "toolkit.csv"), args.toolkit_threads),
                TOOLKIT_LIMIT_S,
            )
            if tk is None:
                print(f"  toolkit: skipped, did not finish within {TOOLKIT_LIMIT_S} s (killed)")
                continue
            tk_total = tk["preprocess_s"] + tk["compute_s"]
            same = _edges(str(folder / "ours.csv")).equals(_edges(str(folder / "toolkit.csv")))
            print(
                f"  toolkit 1.5.2: preprocess {tk['preprocess_s']:.1f} s + co_tweet {tk['compute_s']:.1f} s = "
                f"{tk_total:.1f} s ({args.toolkit_threads} processes); peak RSS of its main process "
                f"{tk['peak_mb']:.0f} MB"
            )
            print(
                f"  identical edges and weights: {same}; speed-up end to end {tk_total / ours_total:.0f}x, "
                f"network step alone {tk['compute_s'] / ours['detect_s']:.0f}x"
            )


if __name__ == "__main__":
    main()
