"""Benchmark bounded parsing: a nesting bomb is refused fast and small; the depth guard's cost on a real-sized file.

Prints:
- for a 200 KB file of 100,000 '[' then ']' imported as twitter-json, telegram and auto in a child process capped at
  3 GB (RLIMIT_AS): wall time and peak memory (ru_maxrss), beside the floor measured in the same run (the same
  child importing a 2-tweet file);
- the JSON array reader on N synthetic tweets: ijson's C items() alone (no guard, the peer) against the depth
  and size pre-scan plus items() that the importer uses, and the whole import of the file.

Usage: python benchmarks/ingest_limits.py [--tweets 20000]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CAP = 3 << 30
CHILD = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
from planner import auth, ingest
from planner.db import open_workspace
ws = open_workspace(sys.argv[1])
with ws.session() as s:
    t = time.perf_counter()
    try:
        source, options = ingest.Source.from_path(sys.argv[2]), ingest.ImportOptions(format=sys.argv[3])
        ingest.import_posts(s, auth.CLI_ACTOR, source, options)
        outcome = "imported"
    except Exception as exc:
        outcome = type(exc).__name__ + ": " + str(exc)[:70]
    took = time.perf_counter() - t
print(f"{{took:.3f}}|{{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}}|{{outcome}}")
"""


def _child(db: str, path: Path, fmt: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = CHILD.format(cap=CAP)
    done = subprocess.run([sys.executable, "-c", code, db, str(path), fmt], capture_output=True, text=True, env=env)
    return done.stdout.strip() or done.stderr.strip().splitlines()[-1]


def _tweets(n: int) -> list[dict]:
    return [
        {
            "id_str": str(10**17 + i),
            "created_at": "Sun Nov 01 10:00:00 +0000 2026",
            "text": f"market day at the square number {i} #lanternwalk",
            "user": {"id_str": str(i % 500), "screen_name": f"acct{i % 500}", "name": "Account"},
            "entities": {"hashtags": [{"text": "lanternwalk"}], "urls": [], "user_mentions": []},
            "lang": "en",
            "retweet_count": i % 7,
        }
        for i in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tweets", type=int, default=20000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import ijson

    from planner import auth, ingest
    from planner.db import open_workspace
    from planner.ingest import formats, jsonfmt

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        bomb = tmp / "bomb.json"
        bomb.write_text("[" * 100_000 + "]" * 100_000)
        telegram = tmp / "result.json"
        telegram.write_text('{"name": "x", "id": 1, "messages": ' + "[" * 100_000 + "]" * 100_000 + "}")
        small = tmp / "small.json"
        small.write_text(json.dumps(_tweets(2)))
        db = f"sqlite:///{tmp / 'ws.db'}"
        print(f"child processes capped at {CAP >> 30} GB; import time | peak RSS MB | outcome")
        print(f"  floor (2 tweets, twitter-json): {_child(db, small, 'twitter-json')}")
        for path, fmt in ((bomb, "twitter-json"), (telegram, "telegram"), (bomb, "auto")):
            print(f"  bomb {path.stat().st_size // 1024} KB as {fmt}: {_child(db, path, fmt)}")

        data = json.dumps(_tweets(args.tweets)).encode()
        t = time.perf_counter()
        sum(1 for _ in ijson.items(io.BytesIO(data), "item"))
        plain = time.perf_counter() - t
        t = time.perf_counter()
        source = ingest.Source.from_bytes("t.json", data)
        state = formats.ReadState(encoding="utf-8")
        jsonfmt._prescan(source, state, 1, "x")
        sum(1 for _ in ijson.items(io.BytesIO(data), "item"))
        guarded = time.perf_counter() - t
        ws = open_workspace(f"sqlite:///{tmp / 'big.db'}")
        with ws.session() as s:
            t = time.perf_counter()
            ingest.import_posts(s, auth.CLI_ACTOR, ingest.Source.from_bytes("t.json", data), ingest.ImportOptions())
            full = time.perf_counter() - t
        ws.dispose()
        print(
            f"{args.tweets:,} tweets ({len(data) / 1e6:.1f} MB): ijson items (peer) {plain:.2f} s, guarded parse "
            f"{guarded:.2f} s, whole import {full:.2f} s (guard share {max(guarded - plain, 0) / full:.0%})"
        )


if __name__ == "__main__":
    main()
