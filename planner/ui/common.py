"""What every page shares: the cached workspace, the logged-in actor, error display, chart template."""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from planner import audit, auth, palette, preload, sessions, sso, wording
from planner.audit import Actor
from planner.config import load_settings
from planner.db import Workspace, open_workspace
from planner.errors import PlannerError
from planner.ui import session_routes

if TYPE_CHECKING:
    import pandas as pd
    from pandas.io.formats.style import Styler

T = TypeVar("T")
USER_KEY = "user_id"
# The server-side session (planner.sessions) of this browser tab; absent in AppTest runs that set USER_KEY directly.
SESSION_KEY = "session_id"
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


# Libraries that pages need on their first visit (tables, Brief's charts, Results' A/B verdicts, the Networks layout,
# the chart pages): imported once per server process in a background thread after the first page has been sent, so
# no first visit waits for them (a second or two on this machine).
WARM_MODULES = (
    "pandas",
    "networkx",
    "planner.dashboard",
    "planner.trends",
    "plotly.express",
    "matplotlib.figure",
    "matplotlib.dates",
    "matplotlib.ticker",
    "scipy.stats",
    "planner.briefs.charts",
    "planner.coordination.results",
)


WARM_DELAY_S = 1.0


@st.cache_resource(show_spinner=False)
def _warm_up(modules: tuple[str, ...]) -> threading.Thread:
    # After a delay: the page that started it renders first.
    return preload.in_background(modules, "counterpoint-warm-up", WARM_DELAY_S)


def warm_up() -> threading.Thread:
    """Start importing WARM_MODULES in the background (once per process); return the thread doing it."""
    return _warm_up(WARM_MODULES)


def workspace_version() -> int:
    """Return a number that changes whenever the workspace changes (the newest audit entry's id)."""
    with db_session() as session:
        return audit.last_id(session)


@st.cache_data(show_spinner=False, max_entries=500)
def _cached_read(url: str, version: int, module: str, name: str, args: tuple, kwargs: tuple):
    fn = getattr(importlib.import_module(module), name)
    with db_session() as session:
        return fn(session, *args, **dict(kwargs))


def cached(fn: Callable[..., T], *args, **kwargs) -> T:
    """Return fn(session, *args, **kwargs), read once per change of the workspace: cached by the database URL and the
    newest audit entry's id, so every run after a change reads the database again and the rest read memory.

    For core reads that return frames and plain values (not ORM objects) and take hashable arguments; a named core
    error is not cached.
    """
    version = workspace_version()
    return _cached_read(
        load_settings().database_url, version, fn.__module__, fn.__qualname__, args, tuple(sorted(kwargs.items()))
    )


def workspace() -> Workspace:
    """Return the open workspace, or show why it cannot be opened and stop the page."""
    try:
        return _workspace(load_settings().database_url)
    except PlannerError as exc:
        st.error(f"Counterpoint cannot open its workspace: {safe_md(str(exc))}")
        st.stop()
        raise


@contextmanager
def db_session() -> Iterator:
    """Yield an SQLAlchemy session on the workspace, closed afterwards."""
    with workspace().session() as session:
        yield session


def current_actor() -> Actor | None:
    """Return the logged-in, still active user, or None.

    A new tab or a reload starts with empty session state: the session cookie (or a linked single sign-on identity)
    signs it in again. A session revoked elsewhere (logout, deactivation, password change, idle expiry) signs out.
    """
    user_id = st.session_state.get(USER_KEY)
    if user_id is None:
        return _restore()
    session_id = st.session_state.get(SESSION_KEY)
    with db_session() as session:
        valid = session_id is None or sessions.still_valid(session, session_id, session_routes.idle_limit())
        actor = auth.load_actor(session, user_id) if valid else None
    if actor is None:
        st.session_state.pop(USER_KEY, None)
        st.session_state.pop(SESSION_KEY, None)
    return actor


def _restore() -> Actor | None:
    """Sign this run in from the session cookie or a linked st.user identity; None when neither holds."""
    token = sessions.unsign(st.context.cookies.get(sessions.COOKIE_NAME, ""), session_routes.secret())
    if token:
        with db_session() as session:
            try:
                actor, session_id = sessions.resume(session, token, session_routes.idle_limit())
            except sessions.InvalidSession:
                actor = None
        if actor is not None:
            st.session_state[USER_KEY] = actor.user_id
            st.session_state[SESSION_KEY] = session_id
            return actor
    if sso_config() is not None and st.user.is_logged_in:
        with db_session() as session:
            user = run(sso.log_in, session, st.user.to_dict())
            if user is not None:
                sign_in(user, via="sso")
    return None


def sso_config() -> sso.SsoConfig | None:
    """Return the single sign-on configuration from .streamlit/secrets.toml, None when absent or invalid."""
    try:
        secrets = st.secrets.to_dict()
    except (FileNotFoundError, OSError, ValueError):  # no secrets file (StreamlitSecretNotFoundError) or a bad one
        return None
    try:
        return sso.load_config(secrets)
    except sso.SsoConfigError:
        return None


def idle_minutes_words() -> str:
    """Return the idle expiry in words ("8 hours", "30 minutes")."""
    minutes = int(session_routes.idle_limit().total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def client_ip() -> str:
    """Return the browser's IP address ("" for the local machine or a test run without a client)."""
    ip = st.context.ip_address
    return ip if isinstance(ip, str) else ""


def sign_in(user, via: str = "password") -> None:
    """Sign the tab in after a login and, when served by server.py, set the session cookie (a page load)."""
    agent = st.context.headers.get("User-Agent", "")
    with db_session() as session:
        session_id, ticket = sessions.start(
            session, user, client_ip=client_ip(), user_agent=agent if isinstance(agent, str) else "", via=via
        )
    st.session_state[USER_KEY] = user.id
    st.session_state[SESSION_KEY] = session_id
    if session_routes.served():
        session_routes.redirect(session_routes.start_url(ticket))
        st.stop()
    st.rerun()


def sign_out(actor: Actor) -> None:
    """End this tab's session on the server, clear the cookie (and the single sign-on identity) and show the login."""
    session_id = st.session_state.get(SESSION_KEY)
    if session_id is not None:
        with db_session() as session:
            run(sessions.end, session, actor, session_id)
    st.session_state.clear()
    if sso_config() is not None and st.user.is_logged_in:
        st.logout()
        st.stop()
    if session_routes.served():
        session_routes.redirect(session_routes.end_url())
        st.stop()
    st.rerun()


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
        st.error(safe_md(str(exc)))
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
    import pandas as pd

    return pd.to_datetime(series, utc=True).dt.tz_convert(zone)


# Streamlit's markdown (GFM, :red[..] and :material/..: directives, emoji shortcodes, $math$): characters special
# anywhere (colons too: shortcodes are matched on the raw text) get a backslash; list, heading and setext markers
# only at the start of a line; "!" only before "[", "&" only where an entity could start.
_MD_ALWAYS = re.compile(r"([\\`*_{}\[\]<>~$|])")
_MD_LINE_START = re.compile(r"(?m)^([ \t]*)(\d+[.)]|[-+=]|#+(?=[ \t]|$))")
_MD_COLON = re.compile(r":(?=([A-Za-z])?)")  # before a letter also a word joiner: icons match :material/..: unescaped
_MD_BANG = re.compile(r"!(?=\\\[)")
_MD_AMP = re.compile(r"&(?=[A-Za-z#])")
# GFM turns www.x.y, http://x.y and a@x.y into links after unescaping, so backslashes cannot stop it: in such words
# an invisible word joiner before each dot keeps the text from ever forming a domain.
_MD_LINKY = re.compile(r"\S*(?:://|www\.|@)\S*", re.IGNORECASE)
WORD_JOINER = "\u2060"
# Unicode bidirectional controls (embeddings, overrides, isolates, marks) that reorder the text around them.
BIDI_CONTROLS = {
    "\u202a": "LRE",
    "\u202b": "RLE",
    "\u202c": "PDF",
    "\u202d": "LRO",
    "\u202e": "RLO",
    "\u2066": "LRI",
    "\u2067": "RLI",
    "\u2068": "FSI",
    "\u2069": "PDI",
    "\u200e": "LRM",
    "\u200f": "RLM",
    "\u061c": "ALM",
}
_BIDI = re.compile("[" + "".join(BIDI_CONTROLS) + "]")
FSI, PDI = "\u2068", "\u2069"


def has_bidi(text: object) -> bool:
    """Return whether `text` holds a Unicode bidirectional control character."""
    return isinstance(text, str) and _BIDI.search(text) is not None


def isolate_bidi(text: object) -> str:
    """Return `text` with its bidi controls shown as visible markers (⟨RLO⟩) and the whole value isolated (FSI..PDI),
    so it cannot reorder itself or the text around it; text without controls comes back unchanged."""
    text = "" if text is None else str(text)
    if not has_bidi(text):
        return text
    return FSI + _BIDI.sub(lambda m: f"⟨{BIDI_CONTROLS[m.group()]}⟩", text) + PDI


def safe_md(text: object) -> str:
    """Return untrusted text (monitored posts, handles, URLs, file names, user input, error messages quoting them)
    ready for any markdown-rendering call (st.markdown, st.caption, st.subheader, st.warning, st.toast, widget
    labels): markdown, HTML and shortcodes escaped so they show as typed, bidi controls isolated and made visible.
    This is the one way untrusted text reaches markdown (tests/test_ui_safety.py checks the pages)."""
    out = _MD_ALWAYS.sub(r"\\\1", isolate_bidi(text))
    out = _MD_LINKY.sub(lambda m: m.group().replace(".", WORD_JOINER + "."), out)
    out = _MD_LINE_START.sub(lambda m: m.group(1) + _escape_marker(m.group(2)), out)
    out = _MD_COLON.sub(lambda m: "\\:" + (WORD_JOINER if m.group(1) else ""), out)
    out = _MD_BANG.sub(r"\!", out)
    return _MD_AMP.sub(r"\&", out)


def _escape_marker(marker: str) -> str:
    return marker[:-1] + "\\" + marker[-1] if marker[0].isdigit() else "\\" + marker


def _isolated(frame: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """Return a copy of `frame` with bidi controls isolated in its text cells and headings, and whether any were."""
    import pandas as pd

    found = False
    shown = frame.copy()
    for col in shown.columns:
        series = shown[col]
        if (pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype)) and series.map(
            has_bidi
        ).any():
            found = True
            shown[col] = series.map(lambda v: isolate_bidi(v) if has_bidi(v) else v)
    if any(has_bidi(c) for c in shown.columns):
        found = True
        shown.columns = [isolate_bidi(c) if isinstance(c, str) else c for c in shown.columns]
    return shown, found


def show_table(frame: pd.DataFrame | Styler, **kwargs):
    """Show a table of untrusted text with st.dataframe: bidi controls in text cells isolated and made visible, with a
    caption saying so when there were any. Streamlit's own CSV download is off app-wide (client.disableDataExport):
    a table that should be downloadable gets a st.download_button of planner.csvsafe.frame_csv."""
    from pandas.io.formats.style import Styler

    if isinstance(frame, Styler):
        frame.data, found = _isolated(frame.data)
        shown = frame
    else:
        shown, found = _isolated(frame)
    result = st.dataframe(shown, **kwargs)
    if found:
        st.caption(
            "Some text here held bidirectional control characters, which can reorder what you read; they are shown "
            "as markers such as ⟨RLO⟩ and kept from reordering the text around them."
        )
    return result


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
