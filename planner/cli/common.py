"""Helpers shared by CLI commands: opening the workspace and printing tables."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import click
import pandas as pd
from sqlalchemy.orm import Session

from planner import csvsafe, wording
from planner.db import Workspace, open_workspace

RAW_OPTION = click.option(
    "--raw",
    is_flag=True,
    help="CSV: write cells exactly as stored, for machine pipelines. By default text starting with = + - @ tab or CR "
    "gets a leading ' so spreadsheets do not run it as a formula.",
)


@contextmanager
def workspace_session() -> Iterator[tuple[Workspace, Session]]:
    """Open (and migrate) the configured workspace and yield it with a session."""
    ws = open_workspace()
    try:
        with ws.session() as session:
            yield ws, session
    finally:
        ws.dispose()


def echo_frame(df: pd.DataFrame, fmt: str = "table") -> None:
    """Print a DataFrame as an aligned table for people (plain words, readable UTC times), JSON records or CSV.

    JSON and CSV stay machine-readable: column names and values as the core returns them, except that CSV text a
    spreadsheet would run as a formula gets a leading quote (planner.csvsafe); JSON is the raw form.
    """
    if fmt == "json":
        click.echo(
            json.dumps(json.loads(df.to_json(orient="records", date_format="iso")), indent=2, ensure_ascii=False)
        )
    elif fmt == "csv":
        click.echo(csvsafe.frame_csv(df), nl=False)
    elif df.empty:
        click.echo("(none)")
    else:
        click.echo(wording.table(df, "UTC").to_string(index=False))
