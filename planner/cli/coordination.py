"""CLI command that detects coordinated accounts (co-action networks) and exports their edges."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from planner import auth, wording
from planner.cli.common import RAW_OPTION, echo_frame, workspace_session
from planner.coordination import exports
from planner.coordination.clusters import format_seconds
from planner.coordination.networks import DEFAULT_MIN_WEIGHT, DEFAULT_SIMILARITY, DEFAULT_WINDOW_S, KINDS, Params
from planner.coordination.runs import detect_and_store


def _iso(_ctx, param, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO date or date-time (e.g. 2026-11-10T18:00Z)") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@click.command("detect-coordination")
@click.option("--type", "kind", type=click.Choice(KINDS), default="co-post", show_default=True, help="Co-action kind.")
@click.option(
    "--window", type=click.FloatRange(min=0), default=DEFAULT_WINDOW_S, show_default=True, help="Seconds (+/-)."
)
@click.option("--min-weight", type=click.IntRange(min=1), default=DEFAULT_MIN_WEIGHT, show_default=True)
@click.option(
    "--similarity",
    type=click.FloatRange(min=0, max=1, min_open=True),
    default=DEFAULT_SIMILARITY,
    show_default=True,
    help="Jaccard threshold for co-similar.",
)
@click.option("--since", callback=_iso, help="First post time, ISO (UTC if no zone).")
@click.option("--until", callback=_iso, help="End of the range (exclusive), ISO (UTC if no zone).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the edges to FILE.csv (source,target,weight,edge_type) or FILE.graphml.",
)
@RAW_OPTION
def detect_coordination(kind, window, min_weight, similarity, since, until, out, raw) -> None:
    """Find accounts that did the same thing within a time window, store their clusters, set trends' shares.

    Coordination is a signal, not proof of who is behind it.
    """
    params = Params(kind=kind, window_s=window, min_weight=min_weight, similarity=similarity)
    if out is not None and out.suffix.lower() not in exports.FORMATS:
        raise click.BadParameter(f"{out.name!r} must end in .csv or .graphml", param_hint="--out")
    with workspace_session() as (_ws, session):
        result = detect_and_store(session, auth.CLI_ACTOR, params, since, until)
    clusters = result.clusters.clusters
    click.echo(
        f"Run {result.run_id}: {kind} within {format_seconds(window)}, min weight {min_weight}: "
        f"{wording.plural(len(result.edges), 'edge')}, {wording.plural(len(result.clusters.members), 'account')} in "
        f"{wording.plural(len(clusters), 'coordinated cluster')} "
        f"(from {wording.plural(result.posts_considered, 'monitored post')})."
    )
    if len(clusters):
        echo_frame(clusters[["cluster", "accounts", "posts", "shared_objects", "median_delay_s"]].head(20))
        click.echo(f"Cluster 1: {clusters.at[0, 'summary']}")
    if out is not None:
        nodes = result.accounts.merge(result.clusters.members, on="account").set_index("account")
        exports.write(out, result.edges, kind, nodes[["platform", "author_handle", "cluster", "community"]], raw=raw)
        click.echo(f"Wrote {wording.plural(len(result.edges), 'edge')} to {out}")
