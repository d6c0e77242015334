"""Benchmark: the Results dashboard's queries on 10,000 vs 100,000 published posts with 30 snapshots each.

A bigger workspace is a longer history: the same 10 channels post at the same rate for longer, in more campaigns of
1,000 posts (each with its trend). The dashboard looks at the newest campaign, the last 30 days and a channel's last
16 weeks, so with indexes and SQL aggregates its cost should not grow with history. Target: each dashboard query on
the larger workspace at most 1.5x the time on the smaller. The peer, measured in the same run, is the same campaign
totals computed the naive way (latest snapshot per post by a GROUP BY over the whole snapshots table), which grows
with history.

    python benchmarks/metrics.py [--sizes 10000 100000] [--snapshots 30] [--repeat 7] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATIO = 1.5
CHANNELS = 10
POSTS_PER_CAMPAIGN = 1000
DRAFTS_PER_CAMPAIGN = 100
POSTS_PER_CHANNEL_PER_DAY = 3
SERIES = 720
NOW = datetime(2026, 12, 1, tzinfo=UTC)
FMT = "%Y-%m-%d %H:%M:%S.%f"


def _stamp(values: np.ndarray) -> list[str]:
    """Format epoch seconds as SQLAlchemy's SQLite datetime text (naive UTC)."""
    return np.datetime_as_string(values.astype("datetime64[s]"), unit="us").tolist()


def build(path: Path, posts: int, snapshots: int, seed: int = 11) -> None:
    """Create a migrated workspace at `path` with `posts` published entries and `snapshots` snapshots each."""
    from planner.db import open_workspace

    ws = open_workspace(f"sqlite:///{path}")
    ws.dispose()
    rng = np.random.default_rng(seed)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    now_s = int(NOW.timestamp())
    created = _stamp(np.array([now_s]))[0].replace("T", " ")
    with con:
        con.executemany(
            "INSERT INTO channels (id, platform, handle, url, notes, active, created_at) VALUES (?,?,?,?,?,1,?)",
            [(c + 1, "x", f"@bench{c}", "", "", created) for c in range(CHANNELS)],
        )
        campaigns = max(posts // POSTS_PER_CAMPAIGN, 1)
        con.executemany(
            "INSERT INTO campaigns (id, name, status, goal, kpi_targets, audience, audience_profile, "
            "audience_languages, audience_time_zone, audience_active_hours, message_type, key_message, messengers, "
            "media_formats, call_to_action, monitoring_plan, reply_capacity, funder, affiliation_disclosure, tags, "
            "required_approvals, version, created_at, updated_at) VALUES (?,?,'active','',?,'','','[]','UTC','[]',"
            "'alternative','','[]','[]','','','','','','[]',1,1,?,?)",
            [
                (
                    i + 1,
                    f"Campaign {i + 1}",
                    json.dumps([{"metric": "engagement rate", "target": 2, "unit": "%"}]),
                    created,
                    created,
                )
                for i in range(campaigns)
            ],
        )
        drafts = campaigns * DRAFTS_PER_CAMPAIGN
        con.executemany(
            "INSERT INTO drafts (id, campaign_id, title, status, claim_countered, evidence, frame, language, "
            "master_text, media, links, ab_label, version, created_at, updated_at) VALUES "
            "(?,?,?,'published','','[]','','en','','[]','[]',?,1,?,?)",
            [
                (
                    d + 1,
                    d // DRAFTS_PER_CAMPAIGN + 1,
                    f"Draft {d + 1}",
                    "AB"[d % 2] if d % 10 < 2 else "",
                    created,
                    created,
                )
                for d in range(drafts)
            ],
        )
        con.executemany(
            "INSERT INTO draft_variants (id, draft_id, channel_id, text) VALUES (?,?,?,?)",
            [(d + 1, d + 1, d % CHANNELS + 1, f"Counter-message {d + 1}") for d in range(drafts)],
        )
        # Posts go out at a steady rate, newest campaign last: history length grows with the number of posts.
        per_day = CHANNELS * POSTS_PER_CHANNEL_PER_DAY
        ages = (posts - 1 - np.arange(posts)) / per_day * 86400 + rng.integers(0, 3600, posts)
        published = now_s - 3600 - ages.astype(np.int64)
        entry_draft = np.arange(posts) // (POSTS_PER_CAMPAIGN // DRAFTS_PER_CAMPAIGN) + 1
        entry_draft = np.minimum(entry_draft, drafts)
        channel = (entry_draft - 1) % CHANNELS + 1
        pub = _stamp(published)
        trend_of_campaign = {}
        trends = []
        for c in range(campaigns):
            first = published[c * POSTS_PER_CAMPAIGN]
            start = first - 86400
            trend_of_campaign[c + 1] = c + 1
            series = rng.integers(0, 50, SERIES).tolist()
            s, d = _stamp(np.array([start]))[0], _stamp(np.array([first]))[0]
            trends.append(
                (c + 1, "hashtag", f"#bench{c}", f"#bench{c}", d, d, d, json.dumps(series), s, 3600, created, created)
            )
        con.executemany(
            "INSERT INTO trends (id, kind, key, label, detected_at, peak_at, last_seen_at, series, series_start, "
            "bucket_seconds, peak_volume, total_volume, unique_authors, growth, score, lifecycle, explanation, bursts, "
            "watchlisted, status, status_note, first_stored_at, updated_at, baseline, top_accounts, sample_post_ids) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,0,0,0,0,0,'emerging','','[]',0,'respond','',?,?,0,'[]','[]')",
            trends,
        )
        con.executemany(
            "INSERT INTO campaign_trends (campaign_id, trend_id) VALUES (?,?)", list(trend_of_campaign.items())
        )
        campaign_of = (entry_draft - 1) // DRAFTS_PER_CAMPAIGN + 1
        con.executemany(
            "INSERT INTO schedule_entries (id, draft_id, variant_id, channel_id, scheduled_at, status, published_url, "
            "platform_post_id, published_at, trend_id, why, published_during_pause, created_at, updated_at) VALUES "
            "(?,?,?,?,?,'published',?,?,?,?,'',0,?,?)",
            (
                (
                    i + 1,
                    int(entry_draft[i]),
                    int(entry_draft[i]),
                    int(channel[i]),
                    pub[i],
                    f"https://x.com/bench/status/{10**12 + i}",
                    str(10**12 + i),
                    pub[i],
                    int(campaign_of[i]) if i % 3 == 0 else None,
                    created,
                    created,
                )
                for i in range(posts)
            ),
        )
        final = rng.integers(500, 20_000, posts)
        rate = rng.uniform(0.01, 0.05, posts)
        offsets = np.round(np.geomspace(3600, 60 * 86400, snapshots)).astype(np.int64)

        def rows():
            for k, offset in enumerate(offsets):
                share = 1 - np.exp(-(k + 1) / 6)
                captured = np.minimum(published + offset, now_s - 60 + np.arange(posts) % 60)
                impressions = (final * share).astype(np.int64)
                likes = (impressions * rate * 0.6).astype(np.int64)
                clicks = (impressions * rate * 0.2).astype(np.int64)
                replies = (impressions * rate * 0.2).astype(np.int64)
                stamps = _stamp(captured)
                for i in range(posts):
                    yield (
                        i + 1,
                        stamps[i],
                        int(impressions[i]),
                        int(likes[i]),
                        int(replies[i]),
                        int(clicks[i]),
                        created,
                    )

        con.executemany(
            "INSERT OR IGNORE INTO metric_snapshots (entry_id, captured_at, impressions, likes, replies, link_clicks, "
            "source, recorded_at, note) VALUES (?,?,?,?,?,?,'demo',?,'')",
            rows(),
        )
    con.execute("ANALYZE")
    con.close()


def queries(session) -> dict:
    """Return the dashboard's queries on one workspace as named callables (and the naive peer)."""
    from sqlalchemy import func, select, text

    from planner.metrics import besttime, results, voice
    from planner.models import Campaign

    newest = session.scalar(select(func.max(Campaign.id)))
    scope = results.Scope(newest)
    recent = results.Scope(None, NOW - timedelta(days=30), NOW)
    naive = text(
        "SELECT sum(m.impressions), sum(coalesce(m.likes,0)+coalesce(m.replies,0)+coalesce(m.link_clicks,0)) "
        "FROM metric_snapshots m JOIN (SELECT entry_id, max(captured_at) AS at FROM metric_snapshots "
        "GROUP BY entry_id) l ON l.entry_id = m.entry_id AND l.at = m.captured_at "
        "JOIN schedule_entries e ON e.id = m.entry_id JOIN drafts d ON d.id = e.draft_id "
        "WHERE d.campaign_id = :c"
    )
    check = results.totals(session, scope)["impressions"]
    peer = session.execute(naive, {"c": newest}).one()[0]
    assert check == peer, (check, peer)
    return {
        "campaign summary (KPIs, targets, share of voice)": lambda: results.summary(session, newest),
        "reach over time (campaign)": lambda: results.reach_over_time(session, scope),
        "our posts vs trend volume (campaign)": lambda: voice.volume_over_time(session, scope),
        "posts table page, sorted by engagement rate": lambda: results.posts_table(
            session, scope, "engagement_rate_impressions"
        ),
        "A/B tests (campaign)": lambda: results.ab_tests(session, scope),
        "all campaigns, last 30 days: totals": lambda: results.totals(session, recent),
        "best-time heatmap (channel, 16 weeks)": lambda: besttime.heatmap(session, 1, now=NOW),
        "peer: naive campaign totals (whole-table GROUP BY)": lambda: session.execute(naive, {"c": newest}).all(),
    }


def measure(paths: list[Path], repeat: int) -> list[dict[str, float]]:
    """Return the median seconds of each query per workspace; runs alternate between workspaces so that the
    load of a shared machine falls on both alike."""
    from planner.db import open_workspace

    spaces = [open_workspace(f"sqlite:///{p}") for p in paths]
    sessions = [ws.session() for ws in spaces]
    try:
        named = [queries(s) for s in sessions]
        out: list[dict[str, float]] = [{} for _ in paths]
        for name in named[0]:
            times: list[list[float]] = [[] for _ in paths]
            for fns in named:
                fns[name]()  # warm the page cache and SQLAlchemy's statement cache
            for _ in range(repeat):
                for i, fns in enumerate(named):
                    t = time.perf_counter()
                    fns[name]()
                    times[i].append(time.perf_counter() - t)
            for i in range(len(paths)):
                out[i][name] = statistics.median(times[i])
        return out
    finally:
        for s in sessions:
            s.close()
        for ws in spaces:
            ws.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[10_000, 100_000])
    parser.add_argument("--snapshots", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keep", type=Path, default=None, help="reuse/keep the generated workspaces in DIR")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="cp-metrics-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        paths = []
        for n in args.sizes:
            path = folder / f"metrics-{n}x{args.snapshots}.db"
            if not path.exists():
                t = time.perf_counter()
                build(path, n, args.snapshots)
                print(
                    f"built {n:,} posts x {args.snapshots} snapshots in {time.perf_counter() - t:.1f} s "
                    f"({path.stat().st_size / 2**20:.0f} MB)",
                    flush=True,
                )
            paths.append(path)
        figures = dict(zip(args.sizes, measure(paths, args.repeat), strict=True))
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    small, large = args.sizes
    print(f"\n{'query':<52} {f'{small:,} posts':>12} {f'{large:,} posts':>13} {'ratio':>7}  target <= {TARGET_RATIO}x")
    worst = 0.0
    for name in figures[small]:
        a, b = figures[small][name], figures[large][name]
        ratio = b / a
        peer = name.startswith("peer")
        if not peer:
            worst = max(worst, ratio)
        verdict = "(peer)" if peer else ("ok" if ratio <= TARGET_RATIO else "SLOWER")
        print(f"{name:<52} {a * 1000:>9.1f} ms {b * 1000:>10.1f} ms {ratio:>6.2f}x  {verdict}")
    met = "met" if worst <= TARGET_RATIO else "MISSED"
    print(f"\nworst dashboard ratio {worst:.2f}x (target <= {TARGET_RATIO}x): {met}")


if __name__ == "__main__":
    main()
