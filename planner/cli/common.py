"""Helpers shared by CLI commands: opening the workspace and printing tables."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import click
import pandas as pd
from sqlalchemy.orm import Session

from planner import wording
from planner.db import Workspace, open_workspace


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

    JSON and CSV stay machine-readable: column names and values exactly as the core returns them.
    """
    if fmt == "json":
        click.echo(
            json.dumps(json.loads(df.to_json(orient="records", date_format="iso")), indent=2, ensure_ascii=False)
        )
    elif fmt == "csv":
        click.echo(df.to_csv(index=False), nl=False)
    elif df.empty:
        click.echo("(none)")
    else:
        click.echo(wording.table(df, "UTC").to_string(index=False))
