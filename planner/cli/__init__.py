"""Command line `python -m planner`: a thin click layer over the core; core errors become clean messages."""

from __future__ import annotations

import importlib
import sys

import click

from planner import __version__
from planner.errors import PlannerError

# Every top-level command: name -> (module, attribute, one-line help for the command list). A command's module is
# imported only when that command runs, so `--help` and light commands don't pay for pandas, scikit-learn or
# WeasyPrint. tests/test_cli.py checks this table against the commands themselves.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "audit": ("admin", "audit_group", "The audit log: check that nobody rewrote it."),
    "backup": ("admin", "backup", "Copy the live SQLite workspace to TARGET (a new file)."),
    "campaigns": ("drafts", "campaigns_group", "GAMMMA+ campaigns."),
    "db": ("admin", "db_group", "Database schema: upgrade and status."),
    "demo": ("demo", "demo", "Load the fictional demo workspace (invented group, slogans, channels and posts)."),
    "detect-coordination": (
        "coordination",
        "detect_coordination",
        "Find accounts that did the same thing within a time window, store their clusters, set trends' shares.",
    ),
    "detect-trends": (
        "trends",
        "detect_trends",
        "Detect trends in the monitored posts, store them (triage statuses are kept) and print the best by score.",
    ),
    "drafts": ("drafts", "drafts_group", "Counter-message drafts: list them and check a text before drafting."),
    "export-brief": ("briefs", "export_brief", "Write the brief of CAMPAIGN to OUTPUT as pdf, docx, html or md."),
    "export-posts": ("ingest", "export_posts", "Write the stored monitored posts to a file another tool can read."),
    "import-posts": (
        "ingest",
        "import_posts",
        "Import monitored posts from FILES (each file one batch, all or nothing); print what happened.",
    ),
    "metrics": ("metrics", "metrics_group", "Reach metrics of published posts: import exports, summarise KPIs."),
    "narratives": (
        "trends",
        "build_narratives",
        "Cluster monitored post texts into narratives (replacing the stored ones) and print them.",
    ),
    "pause": (
        "schedule",
        "pause_cmd",
        "Crisis pause: stop scheduled posts for everything, one channel or one campaign.",
    ),
    "posts": ("ingest", "posts_group", "Monitored posts in the workspace."),
    "restore": (
        "admin",
        "restore",
        "Replace the SQLite workspace with the backup SOURCE (checked first; the current one is kept aside).",
    ),
    "resume": (
        "schedule",
        "resume_cmd",
        "End the pause of a scope; list the posts missed during it (reschedule them in the app or with auto).",
    ),
    "schedule": (
        "schedule",
        "schedule_group",
        "Scheduled posts: auto-schedule approved drafts, list, export and import the calendar.",
    ),
    "users": ("admin", "users_group", "Manage user accounts (acts as the local operator, with admin rights)."),
    "watchlist": (
        "trends",
        "watchlist_group",
        "Watchlists of known propaganda hashtags, terms, domains and accounts.",
    ),
}


class PlannerGroup(click.Group):
    """The top-level group: loads each command's module on demand and turns core errors into one-line messages."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:  # a command added to the group directly (plugins, tests)
            return super().get_command(ctx, cmd_name)
        module, attribute, _help = COMMANDS[cmd_name]
        return getattr(importlib.import_module(f"planner.cli.{module}"), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the commands from the table, without importing them."""
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, click.utils.make_default_short_help(COMMANDS[name][2], limit)) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

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


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; exit non-zero with a message on any error."""
    try:
        cli.main(args=argv, prog_name="python -m planner", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
