"""The session cookie's routes (Starlette handlers called directly): ticket for cookie, flags, CSRF, revocation."""

from __future__ import annotations

import asyncio
from http.cookies import SimpleCookie

import pytest
from starlette.requests import Request

from planner import auth, sessions
from planner.config import load_settings
from planner.db import open_workspace
from planner.models import UserSession
from planner.ui import session_routes
from tests.conftest import PASSWORD


def _request(path, query="", headers=None, scheme="http"):
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": scheme,
        "path": path,
        "root_path": "",
        "query_string": query.encode(),
        "headers": raw,
        "server": ("127.0.0.1", 8501),
        "client": ("192.0.2.7", 50000),
    }
    return Request(scope)


def _cookie(response):
    header = response.headers.get("set-cookie")
    return header, SimpleCookie(header) if header else None


@pytest.fixture
def ticket(app_env):
    ws = open_workspace(load_settings().database_url)
    with ws.session() as s:
        user = auth.create_first_admin(s, "ada", PASSWORD)
        _, ticket = sessions.start(s, user)
    ws.dispose()
    return ticket


def test_ticket_becomes_a_signed_http_only_strict_cookie(ticket):
    response = asyncio.run(session_routes.session_start(_request("/session/start", f"ticket={ticket}")))
    assert response.status_code == 303 and response.headers["location"] == "/"
    header, cookie = _cookie(response)
    morsel = cookie[sessions.COOKIE_NAME]
    assert morsel["httponly"] and morsel["samesite"] == "strict" and morsel["path"] == "/"
    assert not morsel["secure"] and not morsel["max-age"]  # a browser-session cookie; Secure only over HTTPS
    token = sessions.unsign(morsel.value, session_routes.secret())
    ws = open_workspace(load_settings().database_url)
    with ws.session() as s:
        actor, _ = sessions.resume(s, token, session_routes.idle_limit())
    ws.dispose()
    assert actor.username == "ada"
    # The ticket works once.
    again = asyncio.run(session_routes.session_start(_request("/session/start", f"ticket={ticket}")))
    assert again.status_code == 303 and "set-cookie" not in again.headers


def test_https_marks_the_cookie_secure(ticket):
    response = asyncio.run(session_routes.session_start(_request("/session/start", f"ticket={ticket}", scheme="https")))
    assert _cookie(response)[1][sessions.COOKIE_NAME]["secure"]


def test_another_site_cannot_redeem_a_ticket(ticket):
    cross = _request("/session/start", f"ticket={ticket}", {"Sec-Fetch-Site": "cross-site"})
    response = asyncio.run(session_routes.session_start(cross))
    assert response.status_code == 303 and "set-cookie" not in response.headers
    # The ticket is still unused: the real browser can redeem it.
    same = _request("/session/start", f"ticket={ticket}", {"Sec-Fetch-Site": "same-origin"})
    assert "set-cookie" in asyncio.run(session_routes.session_start(same)).headers


def test_session_end_revokes_and_clears_the_cookie(ticket):
    response = asyncio.run(session_routes.session_start(_request("/session/start", f"ticket={ticket}")))
    value = _cookie(response)[1][sessions.COOKIE_NAME].value
    ended = asyncio.run(
        session_routes.session_end(_request("/session/end", headers={"Cookie": f"{sessions.COOKIE_NAME}={value}"}))
    )
    header, cookie = _cookie(ended)
    assert cookie[sessions.COOKIE_NAME].value == "" and "expires=" in header.lower()
    ws = open_workspace(load_settings().database_url)
    with ws.session() as s:
        assert s.query(UserSession).one().end_reason == "logout"
    ws.dispose()


def test_routes_mark_the_process_as_serving_them(monkeypatch):
    monkeypatch.setattr(session_routes, "_served", False)  # restored afterwards: AppTest runs stay unserved
    paths = [r.path for r in session_routes.routes()]
    assert paths == ["/session/start", "/session/end"] and session_routes.served()
    assert session_routes.start_url("a b") == "/session/start?ticket=a%20b"


def test_single_sign_on_identity_cookies_are_dropped_once_the_session_starts(ticket):
    cookies = "_streamlit_user=abc; _streamlit_user_1=def; _streamlit_user_tokens=ghi; other=keep"
    response = asyncio.run(
        session_routes.session_start(_request("/session/start", f"ticket={ticket}", {"Cookie": cookies}))
    )
    set_cookies = [value.decode() for key, value in response.raw_headers if key == b"set-cookie"]
    cleared = {c.split("=", 1)[0] for c in set_cookies if "expires=" in c.lower()}
    assert cleared == {"_streamlit_user", "_streamlit_user_1", "_streamlit_user_tokens"}
