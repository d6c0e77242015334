"""Benchmark auto-schedule: 500 approved drafts over 30 days on 10 channels with hourly slots (target under 2 s).

Builds a fictional SQLite workspace (10 channels in 4 time zones with their cadence rules, 3 campaigns, 5 trends
marked "respond", 500 approved single-channel drafts, 30% of them answering a trend), then times, in one run:
- auto_schedule end to end (reading the workspace, scoring every slot, solving, without saving), best of 3;
- the solver alone on the same items, and the greedy assignment on the same items (the peer it must beat);
and prints the plan's score against the greedy score, and how many posts each placed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planner import auth  # noqa: E402
from planner.db import open_workspace  # noqa: E402
from planner.drafts import content_hash  # noqa: E402
from planner.models import (  # noqa: E402
    Approval,
    CadenceRule,
    Campaign,
    CampaignChannel,
    Channel,
    Draft,
    DraftTrend,
    DraftVariant,
    Trend,
)
from planner.schedule import solver  # noqa: E402

START = datetime(2027, 3, 1, tzinfo=UTC)  # the range spans the end of March: Europe changes clocks in it
DAYS = 30
TARGET_S = 2.0
ZONES = ["Europe/London", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]


def build(url: str, n_drafts: int, n_channels: int, seed: int) -> None:
    """Fill a fresh workspace with the fictional benchmark world."""
    rng = np.random.default_rng(seed)
    ws = open_workspace(url)
    with ws.session() as s:
        chans = []
        for c in range(n_channels):
            ch = Channel(platform=["x", "facebook", "instagram", "telegram", "web"][c % 5], handle=f"@bench{c}")
            s.add(ch)
            chans.append(ch)
        s.flush()
        for c, ch in enumerate(chans):
            s.add(
                CadenceRule(
                    channel_id=ch.id,
                    time_zone=ZONES[c % len(ZONES)],
                    posts_per_day=int(2 + c % 3),
                    min_gap_minutes=int(90 + 30 * (c % 3)),
                    allowed_hours=json.dumps(list(range(7, 23))),
                    blackout_dates=json.dumps([(START + timedelta(days=10 + c)).date().isoformat()]),
                )
            )
        camps = []
        for k in range(3):
            camp = Campaign(
                name=f"Benchmark campaign {k}",
                status="active",
                audience_time_zone=ZONES[k],
                audience_active_hours=json.dumps([[18, 19, 20, 21], [7, 8, 12, 20], [12, 13, 19]][k]),
            )
            s.add(camp)
            camps.append(camp)
        s.flush()
        s.add_all(CampaignChannel(campaign_id=camps[c % 3].id, channel_id=ch.id) for c, ch in enumerate(chans))
        trends = []
        for k in range(5):
            at = START + timedelta(days=int(rng.integers(0, DAYS - 2)), hours=int(rng.integers(0, 24)))
            series = rng.poisson(5, 72).tolist()
            t = Trend(
                kind="hashtag",
                key=f"#benchtrend{k}",
                detected_at=at,
                peak_at=at + timedelta(hours=6),
                last_seen_at=at + timedelta(hours=30),
                lifecycle=["emerging", "peaking", "declining", "emerging", "peaking"][k],
                status="respond",
                series_start=at,
                series=json.dumps(series),
            )
            s.add(t)
            trends.append(t)
        s.flush()
        for i in range(n_drafts):
            c = int(rng.integers(0, n_channels))
            d = Draft(campaign_id=camps[c % 3].id, title=f"Benchmark draft {i}", status="approved", master_text="x")
            d.variants = [DraftVariant(channel_id=chans[c].id, text=f"Fictional benchmark post {i}")]
            s.add(d)
            s.flush()
            s.add(Approval(draft_id=d.id, reviewer_name="bench", content_hash=content_hash(d)))
            if rng.random() < 0.3:
                s.add(DraftTrend(draft_id=d.id, trend_id=trends[int(rng.integers(0, len(trends)))].id))
        s.commit()
    ws.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=500)
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        build(url, args.drafts, args.channels, args.seed)
        ws = open_workspace(url)
        import scipy.optimize  # noqa: F401  (import cost is not the solver's)

        end = START + timedelta(days=DAYS)
        times, cpu, result = [], [], None
        load = os.getloadavg()
        with ws.session() as s:
            for _ in range(3):
                t0, c0 = time.perf_counter(), time.process_time()
                result = solver.auto_schedule(s, auth.CLI_ACTOR, start=START, end=end, now=START, dry_run=True)
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
        ws.dispose()
    secs = result.plan.seconds
    placed = len(result.plan.placements)
    statuses = Counter(result.plan.status.values())
    print(f"auto-schedule {args.drafts} approved drafts, {DAYS} days, {args.channels} channels, hourly slots")
    print(f"  machine load average (1, 5, 15 min) at start: {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}")
    print(f"  end to end (read, score, solve; no save): {min(times):.2f} s best of 3 (target < {TARGET_S:.0f} s)")
    print(f"  CPU time of the process for it (load does not inflate this): {min(cpu):.2f} s best of 3")
    print(
        f"  of which: slot scoring {secs['prepare']:.2f} s, exact solver {secs['exact']:.2f} s; "
        f"greedy on the same inputs (peer) {secs['greedy']:.2f} s"
    )
    print("  solver status per channel: " + "; ".join(f"{n} x {s}" for s, n in sorted(statuses.items())))
    print(f"  plan score {result.plan.score:.3f} ({placed} placed) vs greedy {result.greedy_score:.3f}")
    gain = (result.plan.score / result.greedy_score - 1) * 100 if result.greedy_score else 0.0
    print(f"  plan vs greedy: {gain:+.2f}% score; {len(result.plan.unplaced)} not placed (each with a reason)")
    print("PASS" if min(times) < TARGET_S else ("PASS on CPU time" if min(cpu) < TARGET_S else "SLOWER THAN TARGET"))


if __name__ == "__main__":
    main()
