"""CLI commands for reach metrics: import a platform analytics export, print a campaign's KPIs."""

from __future__ import annotations

import json
import sys

import click

from planner import auth
from planner.cli.common import workspace_session
from planner.wording import plural


@click.group("metrics")
def metrics_group() -> None:
    """Reach metrics of published posts: import exports, summarise KPIs."""


def _mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"{pair!r}: use FIELD=COLUMN", param_hint="--map")
        fld, col = pair.split("=", 1)
        out[fld.strip()] = col.strip()
    return out


@metrics_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--preset",
    type=click.Choice(["generic", "x", "meta", "youtube"]),
    default="generic",
    show_default=True,
    help="Which platform's export this is (generic: map the columns).",
)
@click.option("--map", "maps", multiple=True, metavar="FIELD=COLUMN", help="Read FIELD from COLUMN (repeatable).")
@click.option("--dry-run", is_flag=True, help="Validate, match and report; record nothing.")
def metrics_import(file: str, preset: str, maps: tuple[str, ...], dry_run: bool) -> None:
    """Record the figures of an analytics export (X, Meta, YouTube or any CSV) for our published posts.

    Rows are matched to published posts by post id or link; the others are listed with the posts they may be
    about (confirm them on the Results page). A bad row or a conflict with stored history refuses the whole file.
    """
    from planner.ingest.source import Source
    from planner.metrics.importer import MetricsImportOptions, MetricsImportRefused, import_metrics

    options = MetricsImportOptions(preset=preset, mapping=_mapping(maps))
    with workspace_session() as (_ws, session):
        try:
            report = import_metrics(session, auth.CLI_ACTOR, Source.from_path(file), options, dry_run=dry_run)
        except MetricsImportRefused as exc:
            click.echo("\n".join(exc.report.lines()))
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
    click.echo("\n".join(report.lines()))
    if report.proposals and not dry_run:
        click.echo(f"{plural(report.unmatched, 'row')} need a person: confirm them on the Results page (Import tab).")
    if not report.ok:
        sys.exit(1)


@metrics_group.command("summary")
@click.option("--campaign", default=None, help="Campaign name or id (default: every published post).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def metrics_summary(campaign: str | None, fmt: str) -> None:
    """Print the KPIs with their definitions, targets met, share of voice and time to response per trend."""
    from planner.metrics import kpis, results

    with workspace_session() as (_ws, session):
        summary = results.summary(session, campaign)
    if fmt == "json":
        click.echo(json.dumps(summary.as_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(f"Campaign: {summary.campaign or 'all published posts'}")
    width = max(len(k.label) for k in kpis.KPIS)
    for kpi in kpis.KPIS:
        value = kpis.format_value(kpi.key, summary.values.get(kpi.key))
        click.echo(f"{kpi.label:<{width}}  {value:>14}  {kpi.formula}")
    for note in summary.notes:
        click.echo(f"Note: {note}")
    if summary.targets:
        click.echo("\nTargets:")
        for t in summary.targets:
            actual = kpis.format_value(t.kpi, t.actual) if t.kpi else "-"
            goal = kpis.format_value(t.kpi, t.target) if t.kpi else f"{t.target:,.0f} {t.unit}".strip()
            met = f"{t.attainment:.0%} of target" if t.attainment is not None else "n/a"
            note = f" ({t.note})" if t.note else ""
            click.echo(f"  {t.metric}: {actual} of {goal}: {met}{note}")
    if not summary.voice.empty:
        click.echo("\nTrends answered:")
        for row in summary.voice.to_dict("records"):
            sov = kpis.format_value("share_of_voice", row["share_of_voice"])
            ttr = kpis.format_value("time_to_response_minutes", row["time_to_response_minutes"])
            click.echo(
                f"  {row['trend']}: our posts {row['our_posts']} vs monitored {row['monitored_posts']:,} "
                f"(share of voice {sov}); time to response {ttr}"
            )
