"""Command line `python -m planner`: a thin click layer over the core; core errors become clean messages."""

from __future__ import annotations

import sys

import click

from planner import __version__
from planner.cli import admin, briefs, coordination, demo, drafts, ingest, metrics, schedule, trends
from planner.errors import PlannerError


class PlannerGroup(click.Group):
    """A click group that turns the core's named errors into one-line messages and exit code 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PlannerError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=PlannerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="counterpoint")
def cli() -> None:
    """Counterpoint: plan counter-messaging campaigns against detected propaganda trends.

    The workspace is the database in PLANNER_DATABASE_URL, or an SQLite file in PLANNER_DATA_DIR (default ./data).
    """


for module in (admin, demo, ingest, trends, coordination, drafts, schedule, metrics, briefs):
    module.register(cli)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; exit non-zero with a message on any error."""
    try:
        cli.main(args=argv, prog_name="python -m planner", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
