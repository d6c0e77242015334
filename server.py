"""Serve Counterpoint: `streamlit run server.py`. app.py stays the page router; st.App adds the private calendar
feed route and the security headers (Content-Security-Policy: images, scripts and connections only from the app)."""

from contextlib import asynccontextmanager

import streamlit as st
from starlette.middleware import Middleware

from planner import preload
from planner.ui import session_routes
from planner.ui.calendar_feed import routes
from planner.ui.security import SecurityHeadersMiddleware

# What the first page needs (the core, SQLAlchemy, pandas): loaded in the background once the server is up, while the
# browser fetches the app, instead of before the server answers or when the first page runs. Started from the
# lifespan, not at import: importing them while the server set itself up delayed the login page by 0.5 s (median of
# 5 starts: 3.59 s against 3.10 s; a bare one-button Streamlit script 2.2-2.3 s; `benchmarks/pages.py --start-up 5`).
FIRST_PAGE_MODULES = ("planner.ui.common",)


@asynccontextmanager
async def _lifespan(_app):
    preload.in_background(FIRST_PAGE_MODULES, "counterpoint-preload")
    yield


app = st.App(
    "app.py",
    lifespan=_lifespan,
    routes=routes() + session_routes.routes(),
    middleware=[Middleware(SecurityHeadersMiddleware)],
)
