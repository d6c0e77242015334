"""The session cookie's two routes, served next to the pages by server.py (st.App), and the page-side redirect.

After a login the page sends the browser to /session/start?ticket=...; that route trades the one-time ticket for a
signed, HttpOnly, SameSite=Strict cookie and sends the browser back. Every new page run (reload, new tab) reads the
cookie through st.context.cookies (the browser sends it with the app's WebSocket). /session/end revokes the session
and clears the cookie.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from planner.config import load_settings

if TYPE_CHECKING:
    from planner.db import Workspace

# The core (planner.sessions: SQLAlchemy, pandas) loads when first needed, not when the server starts (see
# calendar_feed): each function below imports it.

# Streamlit's own st.login identity cookies (and their numbered chunks): 30 days long, so once a single sign-on
# login has become a Counterpoint session they are dropped, and idle expiry holds for single sign-on users too.
STREAMLIT_IDENTITY_COOKIES = ("_streamlit_user", "_streamlit_user_tokens")
START_PATH = "/session/start"
END_PATH = "/session/end"
_served = False


def served() -> bool:
    """True when this process serves the routes (`streamlit run server.py`), False under `streamlit run app.py`."""
    return _served


@lru_cache(maxsize=1)
def _workspace(url: str) -> Workspace:
    from planner.db import open_workspace

    return open_workspace(url)


def secret() -> bytes:
    """Return the cookie-signing secret of this data folder."""
    from planner import sessions

    return sessions.load_secret(load_settings().data_dir)


def _home() -> str:
    from streamlit import config

    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/" if base else "/"


def _redeem(ticket: str) -> str:
    from planner import sessions

    with _workspace(load_settings().database_url).session() as session:
        return sessions.redeem_ticket(session, ticket)


def _end(token: str) -> None:
    from planner import sessions

    with _workspace(load_settings().database_url).session() as session:
        sessions.end_by_token(session, token)


def _cross_site(request: Request) -> bool:
    """True when the browser says another site started this request (login CSRF); old browsers send no header."""
    return request.headers.get("sec-fetch-site", "same-origin") not in {"same-origin", "none"}


def _secure(request: Request) -> bool:
    return load_settings().cookie_secure or request.url.scheme == "https"


async def session_start(request: Request) -> Response:
    """Trade a one-time ticket for the session cookie; go back to the app either way (it shows the login if refused)."""
    from planner import sessions

    response = RedirectResponse(_home(), status_code=303, headers={"Cache-Control": "no-store"})
    if _cross_site(request):  # another site cannot sign a visitor in to an account of its choosing
        return response
    try:
        token = await run_in_threadpool(_redeem, request.query_params.get("ticket", ""))
    except sessions.InvalidSession:
        return response
    response.set_cookie(
        sessions.COOKIE_NAME,
        sessions.sign(token, secret()),
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path=_home(),
    )
    for name in request.cookies:
        base, _, chunk = name.rpartition("_")
        if name in STREAMLIT_IDENTITY_COOKIES or (base in STREAMLIT_IDENTITY_COOKIES and chunk.isdigit()):
            response.delete_cookie(name, path=_home(), httponly=True, samesite="lax")
    return response


async def session_end(request: Request) -> Response:
    """Revoke the cookie's session on the server, clear the cookie and go back to the login."""
    from planner import sessions

    if _cross_site(request):
        return RedirectResponse(_home(), status_code=303, headers={"Cache-Control": "no-store"})
    token = sessions.unsign(request.cookies.get(sessions.COOKIE_NAME, ""), secret())
    if token:
        await run_in_threadpool(_end, token)
    response = RedirectResponse(_home(), status_code=303, headers={"Cache-Control": "no-store"})
    response.delete_cookie(
        sessions.COOKIE_NAME, httponly=True, samesite="strict", secure=_secure(request), path=_home()
    )
    return response


def routes() -> list[Route]:
    """Return the session routes for st.App; from then on pages set the cookie after login."""
    global _served
    _served = True
    return [Route(START_PATH, session_start, methods=["GET"]), Route(END_PATH, session_end, methods=["GET"])]


def start_url(ticket: str) -> str:
    """Return the URL that turns a login ticket into the session cookie."""
    return f"{_home().rstrip('/')}{START_PATH}?ticket={quote(ticket)}"


def end_url() -> str:
    """Return the URL that revokes the session and clears the cookie."""
    return f"{_home().rstrip('/')}{END_PATH}"


def idle_limit() -> timedelta:
    """Return how long a session may stay unused (PLANNER_SESSION_IDLE_MINUTES)."""
    return timedelta(minutes=load_settings().session_idle_minutes)


def redirect(url: str) -> None:
    """Send the browser to `url` on this server (a full page load), as st.login does for its own routes."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:
        return
    msg = ForwardMsg()
    msg.auth_redirect.url = url
    ctx.enqueue(msg)
