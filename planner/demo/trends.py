"""Demo part: a watchlist of the fictional adversary's hashtags and domains, narratives, and a first detection run."""

from __future__ import annotations

from planner import narratives, trends, watchlists

WATCHLIST_NAME = "Order of the Grey Lantern (fictional)"


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
    run = trends.run_detection(ctx.session, ctx.actor)
    flagged = sum(t.watchlisted for t in trends.query_trends(ctx.session))
    return (
        f"Watchlist with {len(world.adversary_hashtags) + len(world.adversary_domains)} entries, "
        f"{len(found)} narratives, {run.trends_found} trends ({flagged} on the watchlist)"
    )
