"""Demo part: a watchlist of the fictional adversary's hashtags and domains, narratives, and a first detection run."""

from __future__ import annotations

from sqlalchemy import select

from planner import narratives, trends, watchlists
from planner.models import Trend

WATCHLIST_NAME = "Order of the Grey Lantern (fictional)"
# The planted campaign emerging at the demo's clock: the demo team has decided to respond to it.
RESPOND_KEY = "#alleyesonthelantern"
RESPOND_NOTE = "Emerging now and on our watchlist: counter it with the Valley Together campaign."


def add_demo_trends(ctx) -> str:
    """Watchlist, narratives and detected trends"""
    world = ctx.world
    wl = watchlists.new_watchlist(
        ctx.session, ctx.actor, WATCHLIST_NAME, f"Known hashtags and sites of the {world.adversary} (invented group)."
    )
    for tag in world.adversary_hashtags:
        watchlists.new_item(ctx.session, ctx.actor, wl.id, "hashtag", tag, "adversary hashtag")
    for domain in world.adversary_domains:
        watchlists.new_item(ctx.session, ctx.actor, wl.id, "domain", domain, "adversary site")
    found = narratives.store_narratives(ctx.session, ctx.actor, n_clusters=12, seed=0)
    # The demo's clock is "now": lifecycle is computed at the moment the demo was generated for.
    run = trends.run_detection(ctx.session, ctx.actor, now=ctx.now)
    flagged = sum(t.watchlisted for t in trends.query_trends(ctx.session))
    respond = ctx.session.scalar(select(Trend).where(Trend.kind == "hashtag", Trend.key == RESPOND_KEY))
    if respond is not None:
        trends.change_status(ctx.session, ctx.actor, respond, "respond", RESPOND_NOTE)
    return (
        f"Watchlist with {len(world.adversary_hashtags) + len(world.adversary_domains)} entries, "
        f"{len(found)} narratives, {run.trends_found} trends ({flagged} on the watchlist), "
        f"lifecycle as of the demo's clock"
    )
