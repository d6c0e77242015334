"""Test helpers for coordination: store posts directly and write the QUT toolkit's CSV and read its edges."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
from sqlalchemy import insert

from planner.models import ImportBatch, Post

TOOLKIT_COLUMNS = ["message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls"]


def add_posts(session, frame: pd.DataFrame, platform: str = "x") -> None:
    """Insert posts (columns id, account, created_at, text, urls, hashtags, repost_of) as monitored posts."""
    batch = ImportBatch(filename="test", format="test", platform=platform)
    session.add(batch)
    session.flush()
    rows = [
        {
            "platform": platform,
            "external_id": str(r.id),
            "author_id": str(r.account),
            "author_handle": f"h_{r.account}",
            "created_at": r.created_at.to_pydatetime(),
            "text": r.text,
            "urls": r.urls,
            "hashtags": r.hashtags,
            "repost_of": r.repost_of or None,
            "batch_id": batch.id,
        }
        for r in frame.itertuples()
    ]
    session.execute(insert(Post), rows)
    session.commit()


def write_toolkit_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write posts in the toolkit's CSV input format (timestamp in epoch seconds)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(TOOLKIT_COLUMNS)
        for r in frame.itertuples():
            seconds = r.created_at.timestamp()
            stamp = int(seconds) if seconds == int(seconds) else seconds
            writer.writerow([r.id, r.account, r.account, r.repost_of, "", r.text, stamp, r.urls])
    return path


class Toolkit:
    """The QUT coordination-network-toolkit run on `frame` (preprocessed once, networks computed on demand)."""

    def __init__(self, frame: pd.DataFrame, folder: Path):
        from coordination_network_toolkit.preprocess import preprocess_csv_files

        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.db = str(folder / "toolkit.db")
        preprocess_csv_files(self.db, [str(write_toolkit_csv(frame, folder / "posts.csv"))])

    def edges(self, kind: str, window: float, min_weight: int) -> pd.DataFrame:
        """Return the toolkit's (source, target, weight) edges for co-post, co-link, co-similar or co-repost, sorted."""
        from coordination_network_toolkit import compute_networks
        from coordination_network_toolkit.output import output_gephi_csv

        if kind == "co-post":
            compute_networks.compute_co_tweet_network(self.db, window, min_edge_weight=min_weight, n_threads=1)
            command = "co_tweet"
        elif kind == "co-link":
            compute_networks.compute_co_link_network(self.db, window, min_edge_weight=min_weight, n_threads=1)
            command = "co_link"
        elif kind == "co-similar":
            compute_networks.compute_co_similar_tweet(
                self.db, window, n_threads=1, similarity_threshold=0.8, min_edge_weight=min_weight
            )
            command = "co_similar_tweet"
        elif kind == "co-repost":
            compute_networks.compute_co_retweet_parallel(self.db, window, n_threads=1, min_edge_weight=min_weight)
            command = "co_retweet"
        else:
            raise ValueError(kind)
        out = self.folder / f"{command}.csv"
        output_gephi_csv(self.db, command, str(out))
        edges = pd.read_csv(out, dtype={"source": str, "target": str, "edge_type": str})
        assert list(edges.columns) == ["source", "target", "weight", "edge_type"]
        assert set(edges["edge_type"]) <= {command}
        return edges[["source", "target", "weight"]].sort_values(["source", "target"], ignore_index=True)


def planted(seed: int = 5, group: int = 8, ordinary: int = 30, rounds: int = 6) -> pd.DataFrame:
    """Fictional posts: `group` accounts post the same slogan seconds apart in `rounds` rounds; others post freely."""
    import numpy as np

    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-11-10T18:00Z")
    rows = []
    for r in range(rounds):
        slogan = f"The lantern sees what the cities hide, part {r}"
        for g in range(group):
            rows.append(
                (
                    f"g{g:02d}",
                    start + pd.Timedelta(seconds=3600 * r + int(rng.integers(0, 20))),
                    slogan,
                    "https://greylantern-news.example/x",
                    "lanterncalls",
                )
            )
    for i in range(ordinary * 10):
        rows.append(
            (
                f"u{i % ordinary:03d}",
                start + pd.Timedelta(seconds=int(rng.integers(0, 6 * 3600))),
                f"ordinary post {i} about the valley",
                "",
                "valleyton lanterncalls" if i % 7 == 0 else "valleyton",
            )
        )
    frame = pd.DataFrame(rows, columns=["account", "created_at", "text", "urls", "hashtags"])
    frame["id"] = [f"p{i}" for i in range(len(frame))]
    frame["repost_of"] = ""
    return frame
