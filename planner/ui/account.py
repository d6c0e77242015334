"""My account: display time zone, password, and where you are signed in."""

from zoneinfo import available_timezones

import pandas as pd
import streamlit as st

from planner import auth, sessions, wording
from planner.ui import common

actor = common.require_actor()
common.header(
    "My account",
    f"Signed in as {actor.username}, role {wording.label(actor.role, 'role')}. Set your time zone and password.",
)

zones = sorted(available_timezones() | {"UTC"})
current = common.user_zone().key
with st.form("time_zone"):
    zone = st.selectbox(
        "Display time zone",
        zones,
        index=zones.index(current) if current in zones else 0,
        key="acct_zone",
        help="Times are stored in UTC and shown in this zone.",
    )
    if st.form_submit_button("Save time zone"):
        with common.db_session() as session:
            common.run(auth.set_time_zone, session, actor, zone, success=f"Times now shown in {common.safe_md(zone)}")

with st.form("change_password", clear_on_submit=True):
    old = st.text_input("Current password", type="password", key="acct_old")
    new = st.text_input(
        "New password", type="password", key="acct_new", help=f"At least {auth.MIN_PASSWORD_LENGTH} characters."
    )
    confirm = st.text_input("Repeat new password", type="password", key="acct_confirm")
    submitted = st.form_submit_button("Change password", type="primary")
if submitted:
    if new != confirm:
        st.error("Repeat new password: the two passwords differ.")
    else:
        with common.db_session() as session:
            common.run(
                auth.change_password,
                session,
                actor,
                actor.username,
                new,
                old_password=old,
                keep_session=st.session_state.get(common.SESSION_KEY),
                success="Password changed; your other sessions are signed out",
            )

st.subheader("Where you are signed in")
zone = common.user_zone()
current = st.session_state.get(common.SESSION_KEY)
with common.db_session() as session:
    open_rows = sessions.open_sessions(session, actor.user_id)
common.show_table(
    pd.DataFrame(
        [
            {
                "this": "this browser" if row.id == current else "",
                "started": common.when(row.created_at, zone),
                "last used": common.when(row.last_seen_at, zone),
                "from": row.client_ip or "this machine",
                "browser": row.user_agent,
            }
            for row in open_rows
        ],
        columns=["this", "started", "last used", "from", "browser"],
    ),
    hide_index=True,
    height=common.fit_height(len(open_rows)),
    column_config={"this": "", "started": "Started", "last used": "Last used", "from": "From", "browser": "Browser"},
)
st.caption(f"A session unused for {common.idle_minutes_words()} signs out by itself.")  # md-safe: from settings
others = sum(row.id != current for row in open_rows)
if st.button("Sign out everywhere else", key="acct_end_others", disabled=others == 0):
    with common.db_session() as session:
        ended = common.run(sessions.end_others, session, actor, current)
    if ended is not None:
        st.toast(f"Signed out {wording.plural(ended, 'other session')}")
        st.rerun()
