"""CLI commands for monitored posts: import-posts, export-posts, posts count."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from planner import auth, ingest, wording
from planner.cli.common import RAW_OPTION, workspace_session


def _parse_map(items: tuple[str, ...]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in items:
        fld, sep, col = item.partition("=")
        fld = fld.strip()
        if not sep or fld not in ingest.FIELDS:
            raise click.BadParameter(
                f"{item!r}: use FIELD=COLUMN with FIELD one of {', '.join(ingest.FIELDS)}", param_hint="--map"
            )
        mapping[fld] = col.strip()
    return mapping


def _rejects_path(path: Path, given: Path | None, many: bool) -> Path:
    """Return where a file's rejected rows go: --rejects (suffixed per file when several), else beside the input."""
    if given is None:
        return path.with_name(f"{path.stem}.rejects.csv")
    return given.with_name(f"{given.stem}.{path.stem}{given.suffix}") if many else given


@click.command("import-posts")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(ingest.FORMAT_CHOICES), default="auto", show_default=True)
@click.option("--map", "maps", multiple=True, metavar="FIELD=COLUMN", help="Map a CSV column to a field (repeat).")
@click.option("--platform", default=None, help="Platform name stored with the posts (default: from the format).")
@click.option("--timezone", default="UTC", show_default=True, help="Time zone of timestamps without an offset.")
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@click.option(
    "--skip-bad-rows", is_flag=True, help="Import the good rows; write bad ones to a rejects CSV (see --rejects)."
)
@click.option(
    "--rejects",
    "rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where skipped bad rows go (default: NAME.rejects.csv beside the input file).",
)
@click.option("--pseudonymise", is_flag=True, help="Store keyed-hash pseudonyms instead of author ids and handles.")
def import_posts(
    files: tuple[Path, ...],
    fmt: str,
    maps: tuple[str, ...],
    platform: str | None,
    timezone: str,
    dry_run: bool,
    skip_bad_rows: bool,
    rejects: Path | None,
    pseudonymise: bool,
) -> None:
    """Import monitored posts from FILES (each file one batch, all or nothing); print what happened."""
    options = ingest.ImportOptions(
        format=fmt,
        mapping=_parse_map(maps),
        platform=platform,
        timezone=timezone,
        skip_bad_rows=skip_bad_rows,
        pseudonymise=pseudonymise,
    )
    refused = 0
    with workspace_session() as (_ws, session):
        for path in files:
            try:
                report = ingest.import_posts(
                    session, auth.CLI_ACTOR, ingest.Source.from_path(path), options, dry_run=dry_run
                )
            except ingest.ImportRefused as exc:
                for line in exc.report.lines()[:-1]:
                    click.echo(line)
                click.echo(f"Error: {exc}", err=True)
                refused += 1
                continue
            except ingest.FormatError as exc:
                click.echo(f"Error: {exc}", err=True)
                refused += 1
                continue
            lines = report.lines()
            warnings = [line for line in lines if line.startswith("Warning: ")]
            click.echo("\n".join(lines if dry_run else lines[:3] + warnings + lines[-1:]))
            if report.rejected and not dry_run:
                target = _rejects_path(path, rejects, len(files) > 1)
                with open(target, "w", newline="", encoding="utf-8") as fh:
                    ingest.write_rejects(ingest.batch_rejects(session, report.batch_id), fh)
                click.echo(f"Rejected rows written to {target}")
    if refused:
        click.echo(f"{refused} of {wording.plural(len(files), 'file')} refused.", err=True)
        sys.exit(1)


@click.command("export-posts")
@click.option("--format", "fmt", type=click.Choice(["qut"]), required=True, help="qut: coordination-network-toolkit.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@RAW_OPTION
def export_posts(fmt: str, output: Path, raw: bool) -> None:
    """Write the stored monitored posts to a file another tool can read.

    Text cells a spreadsheet would run as a formula (starting with = + - @ tab or CR) get a leading quote; --raw
    writes them as stored.
    """
    with workspace_session() as (_ws, session), open(output, "w", newline="", encoding="utf-8") as fh:
        count = ingest.export_qut(session, auth.CLI_ACTOR, fh, raw=raw)
    click.echo(f"Exported {wording.plural(count, 'post')} to {output} ({fmt}).")


@click.group("posts")
def posts_group() -> None:
    """Monitored posts in the workspace."""


@posts_group.command("count")
def posts_count() -> None:
    """Print the number of stored monitored posts."""
    with workspace_session() as (_ws, session):
        click.echo(ingest.count_posts(session))
