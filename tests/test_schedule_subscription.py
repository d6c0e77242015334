"""Calendar subscription: tokens stored as hashes, revocable, the feed route serves ICS or 404."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

import pytest
from icalendar import Calendar
from starlette.applications import Starlette

from planner import auth
from planner.models import CalendarToken, ScheduleEntry, utcnow
from planner.schedule import ScheduleError, subscription
from tests.schedule_helpers import draft, world


def asgi_get(app, path: str) -> tuple[int, dict[bytes, bytes], bytes]:
    """Send one GET to an ASGI app in-process; return status, headers and body."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1),
    }
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], dict(sent[0]["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def test_only_the_hash_is_stored_and_revoked_tokens_stop_working(session, reviewer):
    row, token = subscription.create_token(session, reviewer, "work laptop")
    stored = session.get(CalendarToken, row.id)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in stored.token_hash
    assert len(token) >= 40
    body = subscription.feed(session, token, base_url="https://cp.example")
    assert Calendar.from_ical(body).get("X-WR-CALNAME") == "Counterpoint schedule"
    assert session.get(CalendarToken, row.id).last_used_at is not None
    subscription.revoke_token(session, reviewer, row.id)
    with pytest.raises(subscription.InvalidToken):
        subscription.feed(session, token, base_url="https://cp.example")
    with pytest.raises(subscription.InvalidToken):
        subscription.feed(session, "guess", base_url="https://cp.example")


def test_tokens_belong_to_users(session, reviewer, viewer):
    row, _token = subscription.create_token(session, reviewer)
    with pytest.raises(ScheduleError, match="no link"):
        subscription.revoke_token(session, viewer, row.id)
    with pytest.raises(ScheduleError, match="user account"):
        subscription.create_token(session, auth.CLI_ACTOR)
    assert list(subscription.tokens_frame(session, viewer)["id"]) == []
    assert list(subscription.tokens_frame(session, reviewer)["id"]) == [row.id]


def test_a_deactivated_users_link_stops_working(session, reviewer):
    _row, token = subscription.create_token(session, reviewer)
    auth.set_active(session, auth.CLI_ACTOR, "rhea", False)
    with pytest.raises(subscription.InvalidToken, match="no longer"):
        subscription.feed(session, token, base_url="https://cp.example")


def test_the_route_serves_the_feed(ws, session, reviewer, monkeypatch):
    from planner.ui import calendar_feed

    chans, camp = world(session)
    d = draft(session, camp, [chans["x"]], status="scheduled")
    at = utcnow().replace(microsecond=0) + timedelta(days=2)
    session.add(ScheduleEntry(draft_id=d.id, variant_id=d.variants[0].id, channel_id=chans["x"], scheduled_at=at))
    session.commit()
    _row, token = subscription.create_token(session, reviewer)
    monkeypatch.setattr(calendar_feed, "_workspace", lambda _url: ws)
    monkeypatch.setenv("PLANNER_PUBLIC_URL", "https://cp.example")
    app = Starlette(routes=calendar_feed.routes())
    status, headers, body = asgi_get(app, f"/api/calendar/{token}.ics")
    assert status == 200 and headers[b"content-type"].startswith(b"text/calendar")
    events = Calendar.from_ical(body).walk("VEVENT")
    assert [ev.decoded("DTSTART") for ev in events] == [at]
    assert f"https://cp.example/drafts?draft={d.id}" in str(events[0]["DESCRIPTION"])
    assert asgi_get(app, "/api/calendar/not-a-token.ics")[0] == 404


def test_server_py_is_an_st_app_with_the_feed_route():
    import ast
    from pathlib import Path

    from streamlit.web.server.app_discovery import discover_asgi_app

    path = Path(__file__).resolve().parent.parent / "server.py"
    found = discover_asgi_app(path)
    assert found.is_asgi_app
    assert "app.py" in ast.unparse(ast.parse(path.read_text()))
