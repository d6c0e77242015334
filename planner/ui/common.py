"""What every page shares: the cached workspace, the logged-in actor, error display, chart template."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from planner import auth, palette, wording
from planner.audit import Actor
from planner.config import load_settings
from planner.db import Workspace, open_workspace
from planner.errors import PlannerError

T = TypeVar("T")
USER_KEY = "user_id"
# Times in tables, moment.js style, as planner.wording.when without the weekday ("30 Nov 2026, 00:41"): the zone
# is in the column heading.
TIME_FORMAT = "D MMM YYYY, HH:mm"
ROW_PX = 35

# Fixed colours for meanings, the same on every page and in briefs.
LIFECYCLE_COLOURS = palette.LIFECYCLE_COLOURS
SEVERITY_COLOURS = palette.SEVERITY_COLOURS
STATUS_COLOURS = palette.STATUS_COLOURS

pio.templates["counterpoint"] = go.layout.Template(
    layout=go.Layout(
        font={"family": "Source Sans Pro, sans-serif", "size": 13},
        colorway=["#1f5f8b", "#d1495b", "#edae49", "#00798c", "#8d99ae", "#2a9d8f"],
        margin={"l": 40, "r": 20, "t": 50, "b": 40},
        hoverlabel={"namelength": -1},
    )
)
pio.templates.default = "plotly_white+counterpoint"


@st.cache_resource(show_spinner="Opening the workspace...")
def _workspace(url: str) -> Workspace:
    return open_workspace(url)


def workspace() -> Workspace:
    """Return the open workspace, or show why it cannot be opened and stop the page."""
    try:
        return _workspace(load_settings().database_url)
    except PlannerError as exc:
        st.error(f"Counterpoint cannot open its workspace: {exc}")
        st.stop()
        raise


@contextmanager
def db_session() -> Iterator:
    """Yield an SQLAlchemy session on the workspace, closed afterwards."""
    with workspace().session() as session:
        yield session


def current_actor() -> Actor | None:
    """Return the logged-in, still active user, or None (logging out a user deactivated since)."""
    user_id = st.session_state.get(USER_KEY)
    if user_id is None:
        return None
    with db_session() as session:
        actor = auth.load_actor(session, user_id)
    if actor is None:
        st.session_state.pop(USER_KEY, None)
    return actor


def require_actor() -> Actor:
    """Return the logged-in actor; pages behind the login gate always have one."""
    actor = current_actor()
    if actor is None:
        st.stop()
    return actor


def run(
    fn: Callable[..., T],
    *args,
    success: str | None = None,
    on_error: Callable[[PlannerError], None] | None = None,
    **kwargs,
) -> T | None:
    """Call a core function; show its named error with st.error (then `on_error`) and return None on failure."""
    try:
        result = fn(*args, **kwargs)
    except PlannerError as exc:
        st.error(str(exc))
        if on_error:
            on_error(exc)
        return None
    if success:
        st.toast(success)
    return result


def header(title: str, purpose: str) -> None:
    """Show the page title and the one line that says what the page is for."""
    st.title(title)
    st.caption(purpose)


def user_zone() -> ZoneInfo:
    """Return the logged-in user's time zone (UTC if unset or unknown)."""
    with db_session() as session:
        return auth.time_zone_of(session, st.session_state.get(USER_KEY))


def local_times(series: pd.Series, zone: ZoneInfo) -> pd.Series:
    """Convert a column of UTC datetimes to `zone` for display."""
    return pd.to_datetime(series, utc=True).dt.tz_convert(zone)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def escape_md(text: str) -> str:
    """Escape markdown so user or monitored text shows as typed inside st.markdown, st.warning and friends."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text or "")


def when(moment, zone: ZoneInfo | None = None, *, never: str = "never") -> str:
    """Return a time in the viewer's zone, readable, with the zone named ('Mon 30 Nov 2026, 00:41 GMT')."""
    return wording.when(moment, zone or user_zone(), never=never)


def time_column(label: str, zone: ZoneInfo, **kwargs) -> st.column_config.Column:
    """Return a table column showing times in `zone`, readably, with the zone in the heading."""
    return st.column_config.DatetimeColumn(f"{label} ({zone.key})", format=TIME_FORMAT, timezone=zone.key, **kwargs)


def words(frame: pd.DataFrame, **vocabularies: str | None) -> pd.DataFrame:
    """Return `frame` with code-word columns in plain words: words(df, status=None, lifecycle="lifecycle")."""
    return frame.assign(
        **{
            col: frame[col].map(lambda v, vocab=vocab: wording.label(v, vocab) if isinstance(v, str) else v)
            for col, vocab in vocabularies.items()
        }
    )


def fit_height(rows: int, most: int = 20) -> int | str:
    """Return a table height that shows every row up to `most` rows (no empty space below), then scrolls."""
    return "content" if rows <= most else (most + 1) * ROW_PX + 3
