"""Serve Counterpoint: `streamlit run server.py`. app.py stays the page router; st.App adds the private calendar
feed route and the security headers (Content-Security-Policy: images, scripts and connections only from the app)."""

import streamlit as st
from starlette.middleware import Middleware

from planner.ui import session_routes
from planner.ui.calendar_feed import routes
from planner.ui.security import SecurityHeadersMiddleware

app = st.App(
    "app.py",
    routes=routes() + session_routes.routes(),
    middleware=[Middleware(SecurityHeadersMiddleware)],
)
