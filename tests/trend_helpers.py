"""Helpers for trend tests: synthetic monitored posts with planted bursts, stored straight into a workspace."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import insert

from planner.models import ImportBatch, Post

START = pd.Timestamp("2026-11-01T00:00Z")


def synthetic_posts(seed: int = 7, days: int = 6) -> pd.DataFrame:
    """Quiet background chatter with three planted bursts and one noisy account.

    - '#blitz' 300 posts from 120 accounts on day 4, 18:00-21:00 (over by the end: dormant)
    - '#rising' growing from day 6 12:00 to the end (emerging)
    - '#noisy' 200 posts from ONE account on day 3 (not a trend: too few accounts)
    - '#quiet' and '#daily' steady background (not trends)
    """
    rng = np.random.default_rng(seed)
    end = START + pd.Timedelta(days=days)
    n = 40 * 24 * days
    background = pd.DataFrame(
        {
            "created_at": START + pd.to_timedelta(rng.uniform(0, (end - START).total_seconds(), n), unit="s"),
            "author_id": [f"u{i}" for i in rng.integers(0, 400, n)],
            "text": rng.choice(["the bus is late again", "rain over the valley hills", "market opens at noon"], n),
            "hashtags": rng.choice(["quiet", "daily", ""], n),
            "urls": "",
        }
    )
    blitz = pd.DataFrame(
        {
            "created_at": START + pd.Timedelta(days=3, hours=18) + pd.to_timedelta(rng.uniform(0, 3 * 3600, 300), "s"),
            "author_id": [f"b{i}" for i in rng.integers(0, 120, 300)],
            "text": "the lantern sees what the cities hide #Blitz https://www.greylantern-news.example/a?x=1",
            "hashtags": "blitz",
            "urls": "https://www.greylantern-news.example/a?x=1",
        }
    )
    grow = rng.uniform(0, 1, 400) ** (1 / 4)  # more posts towards the end
    rising = pd.DataFrame(
        {
            "created_at": end - pd.Timedelta(hours=12) + pd.to_timedelta(grow * 12 * 3600 - 1, unit="s"),
            "author_id": [f"r{i}" for i in rng.integers(0, 150, 400)],
            "text": "leave your town the lantern needs you #Rising",
            "hashtags": "rising",
            "urls": "",
        }
    )
    noisy = pd.DataFrame(
        {
            "created_at": START + pd.Timedelta(days=2, hours=10) + pd.to_timedelta(np.arange(200) * 10, unit="s"),
            "author_id": "spammer",
            "text": "buy cheap followers now #noisy",
            "hashtags": "noisy",
            "urls": "",
        }
    )
    frame = pd.concat([background, blitz, rising, noisy], ignore_index=True).sort_values(
        "created_at", ignore_index=True
    )
    frame["id"] = np.arange(1, len(frame) + 1)
    frame["author_handle"] = "h_" + frame["author_id"]
    frame["lang"] = "en"
    frame["likes"] = rng.poisson(2, len(frame))
    frame["reposts"] = rng.poisson(1, len(frame))
    frame["created_at"] = frame["created_at"].dt.floor("s")
    return frame


def store_posts(session, frame: pd.DataFrame, platform: str = "x") -> None:
    """Insert a frame of posts (synthetic_posts columns) as monitored posts in one batch."""
    batch = ImportBatch(filename="test", format="test", platform=platform, rows_read=len(frame), imported=len(frame))
    session.add(batch)
    session.flush()
    rows = pd.DataFrame(
        {
            "id": frame["id"].astype(int),
            "platform": platform,
            "external_id": frame["id"].astype(str),
            "author_id": frame["author_id"].astype(str),
            "author_handle": frame["author_handle"].astype(str),
            "author_name": "",
            "created_at": pd.to_datetime(frame["created_at"], utc=True).dt.to_pydatetime(),
            "text": frame["text"],
            "lang": frame["lang"],
            "hashtags": frame["hashtags"],
            "urls": frame["urls"],
            "mentions": "",
            "likes": frame["likes"].astype(int),
            "reposts": frame["reposts"].astype(int),
            "batch_id": batch.id,
        }
    )
    session.execute(insert(Post), rows.to_dict("records"))
    session.commit()
