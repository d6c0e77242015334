"""CLI command that loads the fictional demo workspace."""

from __future__ import annotations

import click

from planner import auth
from planner.cli.common import workspace_session
from planner.demo import DEFAULT_SEED, load_demo


@click.command("demo")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Random seed (same seed, same data).")
def demo(seed: int) -> None:
    """Load the fictional demo workspace (invented group, slogans, channels and posts)."""
    with workspace_session() as (_ws, session):
        for line in load_demo(session, auth.CLI_ACTOR, seed=seed):
            click.echo(line)
