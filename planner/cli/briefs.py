"""CLI command `export-brief`: write a campaign brief as PDF, Word, HTML or Markdown."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import click

from planner import auth, briefs
from planner.cli.common import workspace_session


def _date(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@click.command("export-brief")
@click.option("--campaign", required=True, help="Campaign name or id.")
@click.option("--format", "fmt", type=click.Choice(list(briefs.FORMATS)), required=True, help="File format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="File to write.")
@click.option(
    "--sections",
    default=None,
    help=f"Comma-separated sections to include, in any order (default: all): {', '.join(briefs.SECTIONS)}.",
)
@click.option(
    "--template-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Your own templates (brief.html, _section.html, brief.md, ...), used before the built-in ones.",
)
@click.option("--label", default=None, help="Handling label, e.g. OFFICIAL-SENSITIVE (default: the campaign's).")
@click.option("--author", default=None, help="Author line (default: the campaign's brief settings).")
@click.option("--date", "when", default=None, callback=_date, help="Date on the title page (default: today, UTC).")
def export_brief(
    campaign: str,
    fmt: str,
    output: Path,
    sections: str | None,
    template_dir: Path | None,
    label: str | None,
    author: str | None,
    when: date | None,
) -> None:
    """Write the brief of CAMPAIGN to OUTPUT as pdf, docx, html or md."""
    options = briefs.BriefOptions(
        sections=briefs.parse_sections(sections),
        handling_label=label,
        author=author,
        template_dir=template_dir,
        **({"date": when} if when else {}),
    )
    with workspace_session() as (_ws, session):
        data = briefs.export(session, auth.CLI_ACTOR, campaign, fmt, options)
    # Write next to the target and rename, so a failed export never leaves half a file.
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from exc
    click.echo(f"Wrote {output} ({briefs.FORMATS[fmt].label}, {len(data):,} bytes, {len(options.sections)} sections)")
