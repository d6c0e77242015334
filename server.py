"""Serve Counterpoint: `streamlit run server.py`. app.py stays the page router; st.App adds the private calendar
feed route and the security headers (Content-Security-Policy: images, scripts and connections only from the app)."""

import importlib
import threading

import streamlit as st
from starlette.middleware import Middleware

from planner.ui import session_routes
from planner.ui.calendar_feed import routes
from planner.ui.security import SecurityHeadersMiddleware

# What the first page needs (the core, SQLAlchemy, pandas): loaded in the background from the start, while the
# browser fetches the app, instead of before the server answers or when the first page runs.
FIRST_PAGE_MODULES = ("planner.ui.common",)


def _preload() -> None:
    for name in FIRST_PAGE_MODULES:
        importlib.import_module(name)


app = st.App(
    "app.py",
    routes=routes() + session_routes.routes(),
    middleware=[Middleware(SecurityHeadersMiddleware)],
)
threading.Thread(target=_preload, name="counterpoint-preload", daemon=True).start()
