"""The private calendar subscription feed as a Starlette route, served next to the pages by server.py (st.App)."""

from __future__ import annotations

import os
from functools import lru_cache

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from planner.config import load_settings
from planner.db import Workspace, open_workspace
from planner.schedule import subscription


@lru_cache(maxsize=1)
def _workspace(url: str) -> Workspace:
    return open_workspace(url)


def _feed(token: str, base_url: str) -> bytes:
    with _workspace(load_settings().database_url).session() as session:
        return subscription.feed(session, token, base_url=base_url)


async def calendar_feed(request: Request) -> Response:
    """Answer GET /api/calendar/TOKEN.ics with the ICS feed, or 404 for an unknown or revoked token."""
    base_url = os.environ.get("PLANNER_PUBLIC_URL") or str(request.base_url).rstrip("/")
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
    return [Route(subscription.FEED_PATH, calendar_feed, methods=["GET"])]
