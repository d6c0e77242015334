"""Benchmark trend detection: kernels in memory at 1,000,000 generated posts, or the whole command on a workspace.

Kernels (default): time to read the trend keys (tokenising text), time to count and score them (planner.trends.detect
given those keys), the time of `groupby([key, bucket]).size()` over the same (key, bucket) pairs in the same run, their
ratio (target at most 3x), the peak resident memory of the process (target at most 1.5 GB), how many of the 20
planted bursts were found, and the trends found on pure noise (600,000 posts, 1,000 tags posted uniformly at random,
about 3.6 per tag per hour; target: next to none).

Whole process (--whole): stores --posts generated posts in a workspace (a new SQLite file, or the empty database
given with --url, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/NAME; built a million at a time), then runs, in
turn and each in its own process, `python -m planner detect-trends` (every kind of key) and the floor: a bare pandas
script reading created_at and hashtags and counting hashtags per hour. Prints both wall times (best of --repeat), their
ratio (target at most 3x), each one's peak RSS (target at most 4 GB at 10M posts) and the load average.

    python benchmarks/trends.py [--posts 1000000]
    python benchmarks/trends.py --whole [--posts 1000000] [--url URL | --keep DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
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
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planner import trends  # noqa: E402

START = pd.Timestamp("2026-10-01T00:00Z")
DAYS = 30
TARGET_RATIO = 3.0
TARGET_PEAK_GB = 1.5
TARGET_WHOLE_PEAK_GB = 4.0  # whole process, at 10M posts
BURST_POSTS = 1_500
SYLLABLES = np.array(["ka", "lo", "mi", "ten", "ra", "vu", "sel", "do", "pri", "na", "gor", "e", "li", "sta", "um"])


def _vocabulary(rng: np.random.Generator, size: int) -> np.ndarray:
    parts = rng.integers(0, len(SYLLABLES), (size, 3))
    words = pd.Series(SYLLABLES[parts[:, 0]]) + SYLLABLES[parts[:, 1]] + SYLLABLES[parts[:, 2]]
    return (words + pd.Series(np.arange(size)).astype(str).str[-2:]).to_numpy(dtype=object)


def _zipf_choice(rng: np.random.Generator, n_items: int, size, a: float = 1.1) -> np.ndarray:
    weights = 1.0 / np.arange(1, n_items + 1) ** a
    return rng.choice(n_items, size=size, p=weights / weights.sum())


def generate(n: int, seed: int = 1) -> pd.DataFrame:
    """Return n fictional posts over 30 days: Zipf words, hashtags and links, 20 of 1,500 of them planted bursts."""
    rng = np.random.default_rng(seed)
    words = _vocabulary(rng, 20_000)
    n_words = 10
    idx = _zipf_choice(rng, len(words), (n, n_words))
    text = pd.Series(words[idx[:, 0]], dtype="str")
    for j in range(1, n_words):
        text = text + " " + words[idx[:, j]]
    tags = np.array([f"tag{i}" for i in range(5_000)], dtype=object)
    tag_idx = _zipf_choice(rng, len(tags), (n, 2))
    has = rng.random((n, 2)) < [0.5, 0.2]
    hashtags = pd.Series(np.where(has[:, 0], tags[tag_idx[:, 0]], ""), dtype="str")
    hashtags = hashtags + " " + np.where(has[:, 1], tags[tag_idx[:, 1]], "")
    domains = np.array([f"site{i}.example" for i in range(2_000)], dtype=object)
    dom_idx = _zipf_choice(rng, len(domains), n)
    urls = pd.Series("https://" + domains[dom_idx] + "/p/" + rng.integers(0, 50, n).astype(str), dtype="str")
    urls = urls.where(rng.random(n) < 0.3, "").to_numpy(dtype=object)
    seconds = rng.uniform(0, DAYS * 86400, n)
    authors = rng.integers(0, 50_000, n)
    # Planted bursts: the last 20 x 1,500 posts become 20 blitzes of a new hashtag with a slogan of its own,
    # each within 3 hours from 300 accounts.
    hashtags = hashtags.to_numpy(dtype=object)
    text = text.to_numpy(dtype=object)
    for b in range(20):
        rows = np.arange(n - (b + 1) * BURST_POSTS, n - b * BURST_POSTS)
        seconds[rows] = (2 + b) * 86400 * 0.6 + rng.uniform(0, 3 * 3600, len(rows))
        authors[rows] = 60_000 + b * 300 + rng.integers(0, 300, len(rows))
        hashtags[rows] = f"planted{b}"
        text[rows] = f"fictional slogan number {b} of the grey lantern order #planted{b}"
        urls[rows] = f"https://lantern-{b}.example/dispatch"
    frame = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "created_at": START + pd.to_timedelta(seconds, unit="s"),
            "author_id": pd.Series(authors).astype(str),
            "author_handle": "",
            "text": pd.Series(text, dtype="str"),
            "lang": "en",
            "hashtags": pd.Series(hashtags, dtype="str"),
            "urls": pd.Series(urls, dtype="str"),
            "likes": rng.poisson(3, n),
            "reposts": rng.poisson(1, n),
        }
    )
    return frame.sort_values("created_at", ignore_index=True)


def noise(n: int = 600_000, tags: int = 1_000, per_tag_hour: float = 3.6, seed: int = 2) -> pd.DataFrame:
    """Return n posts, each with one of `tags` hashtags picked uniformly, at uniformly random times."""
    rng = np.random.default_rng(seed)
    hours = n / (tags * per_tag_hour)
    frame = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "created_at": START + pd.to_timedelta(rng.uniform(0, hours * 3600, n), unit="s"),
            "author_id": rng.integers(0, 50_000, n).astype(str),
            "author_handle": "",
            "text": "",
            "lang": "en",
            "hashtags": pd.Series(rng.integers(0, tags, n)).map("tag{}".format),
            "urls": "",
            "likes": 0,
            "reposts": 0,
        }
    )
    return frame.sort_values("created_at", ignore_index=True)


def _rss() -> float:
    """Return the process's peak resident memory so far, in GB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _ok(ratio: float) -> str:
    return "OK" if ratio <= TARGET_RATIO else "MISS"


def kernels(args: argparse.Namespace) -> None:
    """Time the kernels in this process: reading keys, detect on those keys, and the groupby peers."""

    pure = noise(args.noise_posts)
    t0 = time.perf_counter()
    on_noise = trends.detect(pure, trends.DetectionParams(kinds=("hashtag",)))
    print(
        f"pure noise: {len(pure):,} posts, 1,000 tags at about 3.6 per tag per hour: {len(on_noise.trends)} trends "
        f"flagged among {on_noise.tested_cells:,} (key, hour) cells tested, in {time.perf_counter() - t0:.1f} s"
    )
    del pure, on_noise

    t0 = time.perf_counter()
    posts = generate(args.posts)
    print(f"generated {len(posts):,} posts in {time.perf_counter() - t0:.1f} s (max RSS so far {_rss():.2f} GB)")

    t0 = time.perf_counter()
    occ = trends.extract_keys(posts)
    extract_s = time.perf_counter() - t0
    distinct = int((occ.kinds != "").sum())
    print(f"read trend keys: {len(occ):,} (post, key) pairs, {distinct:,} distinct keys in {extract_s:.2f} s")
    print(f"max RSS after reading keys: {_rss():.2f} GB")

    params = trends.DetectionParams(kinds=trends.KEY_KINDS)
    detect_s = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = trends.detect(posts, params, occurrences=occ)
        detect_s.append(time.perf_counter() - t0)

    detect_peak = _rss()
    print(f"max RSS after reading keys and detecting (data included): {detect_peak:.2f} GB")

    # The peers: a bare pandas groupby count of the same (key, bucket) pairs, with the keys as text (what a
    # plain pandas script holds) and, stricter, as integer codes.
    bucket = ((posts["created_at"] - posts["created_at"].min().floor("1h")) // pd.Timedelta(hours=1)).to_numpy()
    labels = pa.array(pd.Series(occ.kinds, dtype="str") + ":" + pd.Series(occ.keys, dtype="str"), pa.large_string())
    text_pairs = pd.DataFrame(
        {"key": pd.Series(labels.take(pa.array(occ.key)), dtype="str"), "bucket": bucket[occ.post]}
    )
    code_pairs = pd.DataFrame({"key": occ.key, "bucket": bucket[occ.post]})
    peer_text_s, peer_code_s = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        peer = text_pairs.groupby(["key", "bucket"]).size()
        peer_text_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        code_pairs.groupby(["key", "bucket"]).size()
        peer_code_s.append(time.perf_counter() - t0)
    peer_s = peer_text_s

    planted = {f"#planted{b}" for b in range(20)}
    found = set(result.trends["key"]) | {k for also in result.trends["also"] for k in also}
    ratio = min(detect_s) / min(peer_s)
    print(f"detect (count + score + describe {len(result.trends):,} trends): best {min(detect_s):.2f} s")
    print(f"pandas groupby([key, bucket]).size(), text keys ({len(peer):,} cells): best {min(peer_text_s):.2f} s")
    print(f"pandas groupby([key, bucket]).size(), integer key codes: best {min(peer_code_s):.2f} s")
    print(f"ratio detect / groupby (text keys): {ratio:.2f}x (target <= {TARGET_RATIO:.0f}x) {_ok(ratio)}")
    code_ratio = min(detect_s) / min(peer_code_s)
    print(
        f"ratio detect / groupby (integer codes): {code_ratio:.2f}x (target <= {TARGET_RATIO:.0f}x) {_ok(code_ratio)}"
    )
    print(
        f"with reading the keys (tokenising every text): {(extract_s + min(detect_s)) / min(peer_s):.2f}x the groupby"
    )
    print(f"planted bursts found: {len(planted & found)}/20")
    ok = "OK" if detect_peak <= TARGET_PEAK_GB else "MISS"
    print(f"peak memory of generating + detecting: {detect_peak:.2f} GB (target <= {TARGET_PEAK_GB} GB) {ok}")
    print(f"peak memory including the peers' frames: {_rss():.2f} GB")


# Whole process: a stored workspace, `python -m planner detect-trends` beside a bare pandas floor, each in its own
# process so that its time includes start-up and its peak memory is its own.
FLOOR_SCRIPT = r"""
import sys, warnings
import pandas as pd
warnings.simplefilter("ignore")  # pandas warns that a raw psycopg connection is not SQLAlchemy
url = sys.argv[1]
if url.startswith("sqlite"):
    import sqlite3
    con = sqlite3.connect(url.split(":///", 1)[1])
else:
    import psycopg
    con = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
posts = pd.read_sql("SELECT created_at, hashtags FROM posts", con)
hour = pd.to_datetime(posts["created_at"], utc=True, format="ISO8601").dt.floor("h")
tags = posts["hashtags"].str.split().explode().dropna()
counts = pd.DataFrame({"tag": tags, "hour": hour.loc[tags.index]}).groupby(["tag", "hour"]).size()
print(f"{len(posts)} posts, {len(counts)} (hashtag, hour) cells")
"""
GENERATE_CHUNK = 1_000_000
POST_INSERT = [
    "id", "platform", "external_id", "author_id", "author_handle", "author_name", "created_at", "text", "lang",
    "hashtags", "urls", "mentions", "likes", "reposts", "url", "batch_id",
]  # fmt: skip


def _connect(url: str):
    if url.startswith("sqlite"):
        import sqlite3

        return sqlite3.connect(url.split(":///", 1)[1])
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))


def _stored_posts(url: str) -> int:
    con = _connect(url)
    try:
        return int(con.execute("SELECT count(*) FROM posts").fetchone()[0])
    except Exception:  # noqa: BLE001 - no posts table yet: an empty database
        return 0
    finally:
        con.close()


def _insert_rows(con, url: str, frame: pd.DataFrame) -> None:
    if url.startswith("sqlite"):
        con.executemany(
            f"INSERT INTO posts ({', '.join(POST_INSERT)}) VALUES ({', '.join('?' * len(POST_INSERT))})",
            frame.itertuples(index=False, name=None),
        )
        return
    import io

    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False)
    texts = ", ".join(c for c in POST_INSERT if frame[c].dtype != "int64" and c != "created_at")
    # In CSV an empty field is NULL: the text columns hold empty strings instead.
    copy_sql = f"COPY posts ({', '.join(POST_INSERT)}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL ({texts}))"
    with con.cursor() as cur, cur.copy(copy_sql) as copy:
        copy.write(buffer.getvalue())


def build_workspace(url: str, n: int) -> float:
    """Create the schema at `url` and store n generated posts (1M at a time, each million its own 30 days of
    Zipf words and 20 planted bursts); return the seconds it took."""
    t0 = time.perf_counter()
    env = {**os.environ, "PLANNER_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "planner", "db", "upgrade"], env=env, cwd=ROOT, check=True)
    con = _connect(url)
    now = pd.Timestamp.now("UTC")
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f") if url.startswith("sqlite") else now.isoformat()
    con.execute(
        "INSERT INTO import_batches (id, created_at, filename, format, platform, rows_read, imported, duplicates, "
        f"rejected, pseudonymised, options) VALUES (1, '{stamp}', 'benchmark', 'csv', 'x', {n}, {n}, 0, 0, "
        "FALSE, '{}')"
    )
    for first in range(0, n, GENERATE_CHUNK):
        frame = generate(min(GENERATE_CHUNK, n - first), seed=1 + first // GENERATE_CHUNK)
        frame["id"] += first
        times = frame["created_at"]
        frame = frame.assign(
            platform="x",
            external_id=frame["id"].astype(str),
            author_name="",
            created_at=times.dt.strftime("%Y-%m-%d %H:%M:%S.%f") if url.startswith("sqlite") else times,
            mentions="",
            url="",
            batch_id=1,
        )[POST_INSERT]
        _insert_rows(con, url, frame)
        print(f"  stored {first + len(frame):,} posts ({time.perf_counter() - t0:.0f} s)", flush=True)
    con.commit()
    con.close()
    return time.perf_counter() - t0


def _run(cmd: list[str], env: dict[str, str], out: Path) -> tuple[float, float]:
    """Run `cmd` to completion; return (wall seconds, peak RSS in GB) of that process alone."""
    t0 = time.perf_counter()
    with out.open("w") as sink:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.read_text()[-3000:]}")
    return elapsed, usage.ru_maxrss / 1024**2


def whole(args: argparse.Namespace) -> None:
    """Time `python -m planner detect-trends` on a stored workspace beside the pandas floor, alternating runs."""
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="trends-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    url = args.url or f"sqlite:///{work / 'bench.db'}"
    stored = _stored_posts(url) if args.url or (work / "bench.db").exists() else 0
    if stored == 0:
        print(f"building a workspace of {args.posts:,} posts at {url.split('@')[-1]}", flush=True)
        print(f"built in {build_workspace(url, args.posts):.0f} s")
    elif stored != args.posts:
        raise SystemExit(f"the workspace holds {stored:,} posts, not {args.posts:,}: give an empty database")
    env = {**os.environ, "PLANNER_DATABASE_URL": url}
    ours_cmd = [sys.executable, "-m", "planner", "detect-trends", "--format", "json", "--top", "1000"]
    floor_cmd = [sys.executable, "-c", FLOOR_SCRIPT, url]
    ours, floor = [], []
    for _ in range(args.repeat):
        floor.append(_run(floor_cmd, env, work / "floor.txt"))
        ours.append(_run(ours_cmd, env, work / "ours.txt"))
    found = json.loads((work / "ours.txt").read_text())
    keys = {t["key"] for t in found} | {k for t in found for k in t["also"]}
    planted = sum(f"#planted{b}" in keys for b in range(20))
    best_ours, best_floor = min(t for t, _ in ours), min(t for t, _ in floor)
    ratio = best_ours / best_floor
    peak = max(m for _, m in ours)
    floor_out = (work / "floor.txt").read_text().strip()
    print(f"floor (read created_at and hashtags with pandas, count hashtags per hour): {floor_out}")
    print(f"  times {', '.join(f'{t:.2f}' for t, _ in floor)} s; peak RSS {max(m for _, m in floor):.2f} GB")
    print(f"python -m planner detect-trends (all kinds): {len(found):,} trends, planted bursts found {planted}/20")
    print(f"  times {', '.join(f'{t:.2f}' for t, _ in ours)} s; peak RSS {peak:.2f} GB")
    print(
        f"ratio detect-trends / floor (best of {args.repeat}): {ratio:.2f}x "
        f"(target <= {TARGET_RATIO:.0f}x) {_ok(ratio)}"
    )
    target_gb = TARGET_WHOLE_PEAK_GB
    print(f"peak RSS {peak:.2f} GB (target <= {target_gb:.0f} GB) {'OK' if peak <= target_gb else 'MISS'}")
    print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    elif not args.url:
        print(f"workspace kept at {url} (give the same --keep to reuse it)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N timings")
    parser.add_argument("--noise-posts", type=int, default=600_000)
    parser.add_argument("--whole", action="store_true", help="time the whole detect-trends process on a workspace")
    parser.add_argument("--url", help="with --whole: database URL (an empty database, or one a previous run filled)")
    parser.add_argument(
        "--keep", metavar="DIR", help="with --whole: keep the SQLite workspace in DIR (reused when there)"
    )
    args = parser.parse_args()
    if args.whole:
        whole(args)
    else:
        kernels(args)


if __name__ == "__main__":
    main()
