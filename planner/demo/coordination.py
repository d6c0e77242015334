"""Demo part: detect the planted coordinated group (co-post within 60 s) and store its cluster and trend shares."""

from __future__ import annotations

from planner import wording
from planner.coordination.networks import Params
from planner.coordination.runs import run_detection, store


def add_demo_coordination(ctx) -> str:
    """Coordinated clusters"""
    result = run_detection(ctx.session, Params(kind="co-post"))
    store(ctx.session, ctx.actor, result)
    clusters = result.clusters.clusters
    biggest = f"; the largest has {clusters.at[0, 'accounts']} accounts" if len(clusters) else ""
    return f"{wording.plural(len(clusters), 'coordinated cluster')} found by co-post within 60 s{biggest}"
