"""The private calendar subscription feed as a Starlette route, served next to the pages by server.py (st.App)."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from planner.config import load_settings
from planner.schedule import FEED_PATH

if TYPE_CHECKING:
    from planner.db import Workspace

# The core (SQLAlchemy, pandas, scheduling) loads on the first request, not when the server starts: server.py's
# start-up stays short and the first page's imports overlap the browser loading the app.


@lru_cache(maxsize=1)
def _workspace(url: str) -> Workspace:
    from planner.db import open_workspace

    return open_workspace(url)


def _feed(token: str, base_url: str) -> bytes:
    from planner.schedule import subscription

    with _workspace(load_settings().database_url).session() as session:
        return subscription.feed(session, token, base_url=base_url)


async def calendar_feed(request: Request) -> Response:
    """Answer GET /api/calendar/TOKEN.ics with the ICS feed, or 404 for an unknown or revoked token."""
    base_url = os.environ.get("PLANNER_PUBLIC_URL") or str(request.base_url).rstrip("/")
    from planner.schedule import subscription

    try:
        body = await run_in_threadpool(_feed, request.path_params["token"], base_url)
    except subscription.InvalidToken:
        return PlainTextResponse("Unknown or revoked calendar link.", status_code=404)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300", "X-Robots-Tag": "noindex"},
    )


def routes() -> list[Route]:
    """Return the custom routes st.App serves beside Streamlit's own."""
    return [Route(FEED_PATH, calendar_feed, methods=["GET"])]
