"""Defence in depth for the served app: a Content-Security-Policy and related headers on every HTTP response.

Even if hostile text got past planner.ui.common.safe_md, the browser would load images, scripts and connections only
from the app itself, so a monitored group cannot learn when and from where an analyst looked. server.py adds this
as Starlette middleware to Streamlit 1.67's st.App.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from pathlib import Path

import streamlit

# Streamlit's index.html holds one small inline script (window.prerenderReady = false); it is allowed by its hash.
_INDEX = Path(streamlit.__file__).parent / "static" / "index.html"


@lru_cache(maxsize=1)
def _inline_script_hashes() -> tuple[str, ...]:
    try:
        html = _INDEX.read_text(encoding="utf-8")
    except OSError:
        return ()
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    return tuple(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts)


def content_security_policy() -> str:
    """Return the policy: everything from the app's own origin; inline styles (Streamlit's emotion CSS), data: and
    blob: images and fonts (charts, icons), blob: workers; no plugins, no framing by other sites."""
    directives = {
        "default-src": "'self'",
        "script-src": " ".join(["'self'", *_inline_script_hashes()]),
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "media-src": "'self' data: blob:",
        "worker-src": "'self' blob:",
        "frame-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'self'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def security_headers() -> list[tuple[bytes, bytes]]:
    """Return the headers added to every HTTP response."""
    return [
        (b"content-security-policy", content_security_policy().encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"SAMEORIGIN"),
    ]


class SecurityHeadersMiddleware:
    """Pure ASGI middleware adding security_headers() to HTTP responses (WebSocket traffic passes untouched)."""

    def __init__(self, app) -> None:
        self.app = app
        self.headers = security_headers()
        self.names = {name for name, _value in self.headers}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in self.names]
                message = {**message, "headers": kept + self.headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
