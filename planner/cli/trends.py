"""CLI commands for trends: detect-trends, narratives, and watchlists."""

from __future__ import annotations

from datetime import datetime

import click
import pandas as pd

from planner import auth, narratives, trends, watchlists, wording
from planner.cli.common import echo_frame, workspace_session

TABLE_COLUMNS = [
    "key",
    "kind",
    "score",
    "peak_volume",
    "baseline",
    "excess",
    "unique_authors",
    "detected_at",
    "lifecycle",
    "watchlist",
    "status",
    "also",
]


def _when(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time", param_hint=name) from exc
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")).to_pydatetime()


def _as_of(value: str | None) -> datetime | str | None:
    if value is None or value in ("now", "newest"):
        return value
    return _when(value, "--as-of")


@click.command("detect-trends")
@click.option("--since", help="Score posts from this ISO 8601 time (UTC unless a zone is given).")
@click.option("--until", help="Score posts before this ISO 8601 time.")
@click.option("--bucket", default="1h", show_default=True, help="Time bucket, 5min to 1d (e.g. 15min, 1h, 1d).")
@click.option("--kind", type=click.Choice(["all", *trends.KEY_KINDS]), default="all", show_default=True)
@click.option(
    "--as-of",
    "as_of",
    help="Lifecycle clock: an ISO 8601 time, 'now' or 'newest' (the newest post). Default: now when the newest "
    "post is from the last 24 hours, else the newest post.",
)
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True, help="Print the N best by score.")
@click.option("--watchlisted-only", is_flag=True, help="Print only trends that match a watchlist.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def detect_trends(since, until, bucket, kind, as_of, top, watchlisted_only, fmt) -> None:
    """Detect trends in the monitored posts, store them (triage statuses are kept) and print the best by score.

    Watchlist matches are marked (and can be filtered), never moved up.
    """
    kinds = trends.KINDS if kind == "all" else (kind,)
    with workspace_session() as (_ws, session):
        run = trends.detect_trends(
            session,
            auth.CLI_ACTOR,
            since=_when(since, "--since"),
            until=_when(until, "--until"),
            bucket=bucket,
            kinds=kinds,
            as_of=_as_of(as_of),
        )
        flt = trends.TrendFilter(kinds=kinds, run_id=run.id, watchlisted_only=watchlisted_only)
        records = [trends.trend_record(t) for t in trends.query_trends(session, flt, limit=top)]
        clock = trends.run_clock(run)
    frame = pd.DataFrame(records, columns=trends.RECORD_COLUMNS)
    if fmt == "table":
        click.echo(f"Lifecycle {clock.describe()}.")
        if frame.empty:
            which = "watchlisted trends" if watchlisted_only else "trends"
            click.echo(f"No {which} in {wording.plural(run.posts_scanned, 'monitored post')}.")
            return
        click.echo(
            f"{wording.plural(run.trends_found, 'trend')} in {wording.plural(run.posts_scanned, 'monitored post')}; "
            f"the best {len(frame)} by score:"
        )
        table = frame.assign(
            watchlist=frame["watchlisted"].map({True: "yes", False: ""}),
            also=frame["also"].map(lambda keys: ", ".join(keys[:3]) + (f" +{len(keys) - 3}" if len(keys) > 3 else "")),
        )
        echo_frame(table[TABLE_COLUMNS].rename(columns={"baseline": "expected"}), "table")
    elif fmt == "csv":
        frame["bursts"] = frame["bursts"].map(lambda b: ";".join(f"{s}/{e}" for s, e in b))
        frame["also"] = frame["also"].map(";".join)
        echo_frame(frame, "csv")
    else:
        echo_frame(frame, "json")


@click.command("narratives")
@click.option("--since", help="Cluster posts from this ISO 8601 time.")
@click.option("--until", help="Cluster posts before this ISO 8601 time.")
@click.option("--clusters", type=click.IntRange(min=2, max=50), default=8, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed and posts, same narratives.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def build_narratives(since, until, clusters, seed, fmt) -> None:
    """Cluster monitored post texts into narratives (replacing the stored ones) and print them."""
    with workspace_session() as (_ws, session):
        narratives.build_narratives(
            session, auth.CLI_ACTOR, _when(since, "--since"), _when(until, "--until"), clusters, seed
        )
        echo_frame(narratives.list_narratives(session), fmt)


@click.group("watchlist")
def watchlist_group() -> None:
    """Watchlists of known propaganda hashtags, terms, domains and accounts."""


@watchlist_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def watchlist_list(fmt) -> None:
    """List every watchlist item."""
    with workspace_session() as (_ws, session):
        echo_frame(watchlists.items(session), fmt)


@watchlist_group.command("create")
@click.argument("name")
@click.option("--description", default="")
def watchlist_create(name, description) -> None:
    """Create a watchlist called NAME."""
    with workspace_session() as (_ws, session):
        wl = watchlists.create_watchlist(session, auth.CLI_ACTOR, name, description)
        click.echo(f"Created watchlist {wl.name!r} (id {wl.id}).")


def _watchlist_id(session, name: str) -> int:
    lists = watchlists.list_watchlists(session)
    match = lists[lists["name"] == name]
    if match.empty:
        raise watchlists.WatchlistError(f"no watchlist called {name!r}")
    return int(match["id"].iloc[0])


@watchlist_group.command("add")
@click.argument("name")
@click.argument("kind", type=click.Choice(watchlists.ITEM_KINDS))
@click.argument("value")
@click.option("--note", default="")
def watchlist_add(name, kind, value, note) -> None:
    """Add VALUE of KIND to the watchlist NAME."""
    with workspace_session() as (_ws, session):
        item = watchlists.add_item(session, auth.CLI_ACTOR, _watchlist_id(session, name), kind, value, note)
        click.echo(f"Added {item.kind} {item.value} to {name!r}.")


@watchlist_group.command("remove")
@click.argument("name")
@click.argument("kind", type=click.Choice(watchlists.ITEM_KINDS))
@click.argument("value")
def watchlist_remove(name, kind, value) -> None:
    """Remove VALUE of KIND from the watchlist NAME."""
    normal = watchlists.normalise(kind, value)
    with workspace_session() as (_ws, session):
        entries = watchlists.items(session, _watchlist_id(session, name))
        hit = entries[(entries["kind"] == kind) & (entries["value"] == normal)]
        if hit.empty:
            raise watchlists.WatchlistError(f"{kind} {normal} is not on {name!r}")
        watchlists.remove_item(session, auth.CLI_ACTOR, int(hit["id"].iloc[0]))
        click.echo(f"Removed {kind} {normal} from {name!r}.")
