"""The security headers server.py adds: a CSP allowing only the app's own origin, on HTTP responses, not WebSockets."""

from __future__ import annotations

import ast
import asyncio

from planner.ui import security
from tests.conftest import ROOT


async def _app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-security-policy", b"old")]})
    await send({"type": "http.response.body", "body": b"ok"})


def _call(scope_type: str) -> list[dict]:
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request"}

    async def inner(scope, receive, send):
        if scope["type"] == "http":
            await _app(scope, receive, send)
        else:
            await send({"type": "websocket.accept"})

    asyncio.run(security.SecurityHeadersMiddleware(inner)({"type": scope_type}, receive, send))
    return sent


def test_http_responses_get_the_policy_once():
    start = _call("http")[0]
    headers = dict(start["headers"])
    assert [k for k, _v in start["headers"]].count(b"content-security-policy") == 1
    policy = headers[b"content-security-policy"].decode()
    assert headers[b"x-content-type-options"] == b"nosniff"
    assert headers[b"referrer-policy"] == b"no-referrer"
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["img-src"] == "'self' data: blob:"  # no other host can be asked for an image
    assert directives["connect-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    script = directives["script-src"].split()
    assert script[0] == "'self'" and all(s.startswith("'sha256-") for s in script[1:])
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script


def test_streamlit_inline_script_is_allowed_by_hash():
    # Streamlit's index.html has one inline script; if a Streamlit upgrade changes it, the hash follows.
    assert len(security._inline_script_hashes()) >= 1


def test_websocket_traffic_passes_untouched():
    assert _call("websocket") == [{"type": "websocket.accept"}]


def test_server_py_serves_the_app_with_the_middleware():
    tree = ast.parse((ROOT / "server.py").read_text(encoding="utf-8"))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and ast.unparse(n.func) == "st.App"]
    assert len(calls) == 1
    keywords = {k.arg: ast.unparse(k.value) for k in calls[0].keywords}
    assert "SecurityHeadersMiddleware" in keywords["middleware"] and "routes" in keywords
    assert "streamlit run server.py" in (ROOT / "README.md").read_text(encoding="utf-8")
