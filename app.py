"""Counterpoint's router: page config, the login gate, and the navigation of working pages."""

import streamlit as st

from planner import auth, wording
from planner.ui import common

# A local icon: a :material/...: page icon makes every browser tab fetch it from a font CDN.
st.set_page_config(page_title="Counterpoint", page_icon="templates/static/logo.svg", layout="wide")
st.logo("templates/static/logo.svg", size="large")

actor = common.current_actor()
if actor is None:
    nav = st.navigation([st.Page("planner/ui/login.py", title="Log in", icon=":material/login:")], position="hidden")
else:
    sections = {
        "": [st.Page("planner/ui/home.py", title="Home", icon=":material/home:", default=True)],
        "Monitor": [
            st.Page("planner/ui/import_posts.py", title="Import", icon=":material/upload_file:"),
            st.Page("planner/ui/trends.py", title="Trends", icon=":material/trending_up:"),
            st.Page("planner/ui/narratives.py", title="Narratives", icon=":material/bubble_chart:"),
            st.Page("planner/ui/watchlists.py", title="Watchlists", icon=":material/visibility:"),
            st.Page("planner/ui/networks.py", title="Networks", icon=":material/hub:"),
        ],
        "Plan": [
            st.Page("planner/ui/campaigns.py", title="Campaigns", icon=":material/flag:"),
            st.Page("planner/ui/drafts.py", title="Drafts", icon=":material/edit_note:"),
            st.Page("planner/ui/calendar.py", title="Calendar", icon=":material/calendar_month:"),
            st.Page("planner/ui/brief.py", title="Brief", icon=":material/description:"),
        ],
        "Measure": [st.Page("planner/ui/metrics.py", title="Results", icon=":material/insights:")],
        "Account": [st.Page("planner/ui/account.py", title="My account", icon=":material/person:")],
    }
    if auth.can(actor, auth.Action.MANAGE_USERS):
        sections["Admin"] = [
            st.Page("planner/ui/users.py", title="Users", icon=":material/group:"),
            st.Page("planner/ui/audit_log.py", title="Audit log", icon=":material/history:"),
        ]
    nav = st.navigation(sections, expanded=True)
    with st.sidebar:
        st.caption(f"Logged in as **{common.safe_md(actor.username)}** ({wording.label(actor.role, 'role')})")
        if st.button("Log out", key="logout", icon=":material/logout:"):
            common.sign_out(actor)
common.warm_up()  # the libraries later pages need load in the background, once per server
nav.run()
