"""Serve Counterpoint with its private calendar feed: `streamlit run server.py`. app.py stays the page router."""

import streamlit as st

from planner.ui import session_routes
from planner.ui.calendar_feed import routes

app = st.App("app.py", routes=routes() + session_routes.routes())
