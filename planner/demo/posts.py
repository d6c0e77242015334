"""Demo part: about 50,000 fictional monitored posts up to the demo's clock, planted bursts, a coordinated group."""

from __future__ import annotations

import pandas as pd

from planner import dataaccess, postkeys
from planner.models import ImportBatch, Post

DAYS = 14
ORDINARY_ACCOUNTS = 2000
ORDINARY_POSTS = 45000
COORDINATED_ACCOUNT_IDS = tuple(f"c{i:02d}" for i in range(1, 41))
AMPLIFIER_ACCOUNT_IDS = tuple(f"a{i:03d}" for i in range(1, 261))
COORDINATION_WINDOW_S = 30
ADVERSARY_LINK = "https://greylantern-news.example/dispatch"


def window(now: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return (first, end) of the monitored posts: the DAYS before the demo's clock `now` (end exclusive)."""
    end = pd.Timestamp(now)
    return end - pd.Timedelta(days=DAYS), end


def planted_bursts(now: pd.Timestamp) -> list[dict]:
    """Return the planted bursts relative to the clock: a blitz days ago, a festival last week, a campaign now."""
    end = pd.Timestamp(now)
    return [
        {
            "tag": "#greylanternrises",
            "start": end - pd.Timedelta(days=4, hours=6),
            "end": end - pd.Timedelta(days=4),
            "posts": 1500,
            "accounts": 300,
            "kind": "propaganda blitz, over (dormant)",
        },
        {
            "tag": "#alleyesonthelantern",
            "start": end - pd.Timedelta(hours=12),
            "end": end,
            "posts": 700,
            "accounts": 280,
            "kind": "propaganda, emerging now",
        },
        {
            "tag": "#riverfestival",
            "start": end - pd.Timedelta(days=7, hours=14),
            "end": end - pd.Timedelta(days=7, hours=8),
            "posts": 800,
            "accounts": 400,
            "kind": "organic, benign",
        },
    ]


_OPENERS = (
    "",
    "Honestly, ",
    "Heads up: ",
    "Just saw that ",
    "Reminder: ",
    "Anyone else think ",
    "So ",
    "Lol ",
    "Quick note, ",
    "Fun fact: ",
    "Well, ",
)
_CLOSERS = ("", ".", "!", " :)", " - thoughts?", " again.", " today.", " for real.", " #justsaying", " (via a friend)")
_FESTIVAL = (
    "loving the music at the river festival",
    "queue for the food stalls at the river festival is huge",
    "the lantern boats on the river look amazing tonight",
    "kids dance show at the river festival was lovely",
    "best day of the year at the river festival",
)
# Hourly activity weights (UTC) of the fictional valley: quiet nights, busy evenings.
_DIURNAL = [
    1,
    0.6,
    0.4,
    0.3,
    0.3,
    0.5,
    1.2,
    2.2,
    2.8,
    2.6,
    2.4,
    2.5,
    2.8,
    2.6,
    2.4,
    2.4,
    2.6,
    3.0,
    3.4,
    3.6,
    3.4,
    3.0,
    2.2,
    1.5,
]


def _ordinary(ctx) -> pd.DataFrame:
    rng, world = ctx.rng, ctx.world
    start, _end = window(ctx.now)
    # Hour h of the window is hour (start.hour + h) of the day (UTC).
    weights = pd.Series([_DIURNAL[(start.hour + h) % 24] for h in range(DAYS * 24)], dtype=float)
    hours = rng.choice(len(weights), size=ORDINARY_POSTS, p=(weights / weights.sum()).to_numpy())
    at = start + pd.to_timedelta(hours, unit="h") + pd.to_timedelta(rng.integers(0, 3600, ORDINARY_POSTS), unit="s")
    authors = rng.integers(1, ORDINARY_ACCOUNTS + 1, ORDINARY_POSTS)
    phrases = rng.choice(world.ordinary_phrases, ORDINARY_POSTS)
    openers = rng.choice(_OPENERS, ORDINARY_POSTS)
    closers = rng.choice(_CLOSERS, ORDINARY_POSTS)
    tag_pick = rng.integers(-3, len(world.ordinary_hashtags), ORDINARY_POSTS)  # negative: no hashtag
    tags = [world.ordinary_hashtags[i] if i >= 0 else "" for i in tag_pick]
    text = [f"{o}{p}{c}" + (f" #{t}" if t else "") for o, p, c, t in zip(openers, phrases, closers, tags, strict=True)]
    return pd.DataFrame(
        {
            "created_at": at,
            "author": [f"u{a:04d}" for a in authors],
            "text": text,
            "hashtags": [t.casefold() for t in tags],
            "urls": "",
        }
    )


def _window_times(rng, start, end, n, growth=0.0):
    span = (end - start).total_seconds()
    u = rng.random(n)
    if growth:  # exponential growth: more posts towards the end of the window
        u = pd.Series(u).pow(1 / (1 + growth)).to_numpy()
    return start + pd.to_timedelta(u * span, unit="s")


def _burst(ctx, burst, texts, authors, growth=0.0, link="") -> pd.DataFrame:
    rng = ctx.rng
    n = burst["posts"]
    tag = burst["tag"].lstrip("#")
    display_tag = next((t for t in ctx.world.adversary_hashtags if t.casefold() == tag), "RiverFestival")
    # Varied wording, so that only the planted group posts identical texts within seconds of each other.
    openers, closers = rng.choice(_OPENERS, n), rng.choice(_CLOSERS, n)
    body = [f"{o}{b}{c}" for o, b, c in zip(openers, rng.choice(texts, n), closers, strict=True)]
    return pd.DataFrame(
        {
            "created_at": _window_times(rng, burst["start"], burst["end"], n, growth),
            "author": rng.choice(authors, n),
            "text": [f"{b} #{display_tag}" + (f" {link}" if link else "") for b in body],
            "hashtags": tag,
            "urls": link,
        }
    )


def _background(ctx) -> pd.DataFrame:
    """A trickle of adversary hashtags before the bursts, so they have a baseline."""
    rng, world = ctx.rng, ctx.world
    start, end = window(ctx.now)
    n = 140
    tags = rng.choice(world.adversary_hashtags, n)
    return pd.DataFrame(
        {
            "created_at": _window_times(rng, start, end - pd.Timedelta(days=5), n),
            "author": rng.choice(AMPLIFIER_ACCOUNT_IDS, n),
            "text": [f"{rng.choice(world.adversary_slogans)} #{t}" for t in tags],
            "hashtags": [t.casefold() for t in tags],
            "urls": "",
        }
    )


def _coordinated_rounds(ctx) -> pd.DataFrame:
    """Rounds in which the planted group posts the same text within COORDINATION_WINDOW_S seconds."""
    rng, world = ctx.rng, ctx.world
    start, end = window(ctx.now)
    blitz, alleyes, _festival = planted_bursts(ctx.now)
    starts = list(_window_times(rng, blitz["start"], blitz["end"] - pd.Timedelta(minutes=5), 18))
    starts += list(_window_times(rng, alleyes["start"], end - pd.Timedelta(minutes=5), 8))
    starts += list(_window_times(rng, start + pd.Timedelta(days=2), start + pd.Timedelta(days=9), 4))
    frames = []
    for i, t0 in enumerate(starts):
        members = rng.choice(COORDINATED_ACCOUNT_IDS, int(rng.integers(28, 41)), replace=False)
        tag = world.adversary_hashtags[0] if t0 < alleyes["start"] else world.adversary_hashtags[1]
        text = f"{world.adversary_slogans[i % len(world.adversary_slogans)]} #{tag} {ADVERSARY_LINK}"
        frames.append(
            pd.DataFrame(
                {
                    "created_at": t0 + pd.to_timedelta(rng.integers(0, COORDINATION_WINDOW_S, len(members)), unit="s"),
                    "author": members,
                    "text": text,
                    "hashtags": tag.casefold(),
                    "urls": ADVERSARY_LINK,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def add_demo_posts(ctx) -> str:
    """Monitored posts"""
    world, rng = ctx.world, ctx.rng
    blitz, alleyes, festival = planted_bursts(ctx.now)
    amplifiers = AMPLIFIER_ACCOUNT_IDS + COORDINATED_ACCOUNT_IDS
    slogans = [s.lower() for s in world.adversary_slogans] + list(world.adversary_slogans)
    frames = [
        _ordinary(ctx),
        _background(ctx),
        _burst(ctx, blitz, slogans, amplifiers, link=""),
        _burst(ctx, alleyes, slogans, amplifiers[:280], growth=3.0),
        _burst(ctx, festival, _FESTIVAL, [f"u{a:04d}" for a in range(1, 401)]),
        _coordinated_rounds(ctx),
    ]
    df = pd.concat(frames, ignore_index=True)
    df["created_at"] = df["created_at"].dt.floor("s")
    df = df.sort_values("created_at", kind="stable").reset_index(drop=True)
    df["external_id"] = [f"demo-{i + 1}" for i in range(len(df))]
    df["repost_of"] = None
    # Amplifiers repost the coordinated group's posts a few minutes later.
    originals = df.index[df["author"].isin(COORDINATED_ACCOUNT_IDS) & (df["urls"] != "")]
    picked = rng.choice(originals, 300, replace=False)
    reposts = df.loc[picked].copy()
    reposts["repost_of"] = reposts["external_id"]
    reposts["text"] = [
        f"RT @lantern_voice_{a[1:]}: {t}" for a, t in zip(reposts["author"], reposts["text"], strict=True)
    ]
    reposts["author"] = rng.choice(AMPLIFIER_ACCOUNT_IDS, len(reposts))
    reposts["created_at"] = reposts["created_at"] + pd.to_timedelta(rng.integers(120, 1800, len(reposts)), unit="s")
    # Nothing is posted after the demo's clock: a repost that would be is moved back before it.
    late = reposts["created_at"] >= ctx.now
    reposts.loc[late, "created_at"] = ctx.now - pd.to_timedelta(rng.integers(1, 600, int(late.sum())), unit="s")
    reposts["external_id"] = [f"demo-{len(df) + i + 1}" for i in range(len(reposts))]
    df = pd.concat([df, reposts], ignore_index=True)

    handles = df["author"].map(_handle)
    n = len(df)
    batch = ImportBatch(
        filename="demo workspace (fictional)",
        format="demo",
        platform="x",
        rows_read=n,
        imported=n,
        created_by=ctx.actor.user_id,
    )
    ctx.session.add(batch)
    ctx.session.flush()
    rows = pd.DataFrame(
        {
            "platform": "x",
            "external_id": df["external_id"],
            "author_id": df["author"],
            "author_handle": handles,
            "author_name": handles.str.replace("_", " ").str.title(),
            "created_at": pd.to_datetime(df["created_at"], utc=True),
            "text": df["text"],
            "lang": "en",
            "hashtags": df["hashtags"],
            "urls": df["urls"],
            "mentions": "",
            "repost_of": df["repost_of"],
            "likes": rng.poisson(3, n),
            "reposts": rng.poisson(1, n),
            "replies": rng.poisson(0.5, n),
            "views": rng.poisson(120, n),
            "batch_id": batch.id,
            "text_hash": postkeys.text_hashes(df["text"]),
            "author_key": postkeys.author_keys("x", df["author"]),
        }
    )
    rows["reply_to"] = rows["quote_of"] = None
    rows["url"] = ""
    dataaccess.insert_rows(ctx.session, Post.__tablename__, {c: rows[c] for c in rows})
    return f"{n:,} fictional monitored posts from {df['author'].nunique():,} accounts, with 3 planted bursts"


def _handle(author: str) -> str:
    if author.startswith("c"):
        return f"lantern_voice_{author[1:]}"
    if author.startswith("a"):
        return f"grey_echo_{author[1:]}"
    return f"valley_resident_{author[1:]}"
