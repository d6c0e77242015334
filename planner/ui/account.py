"""My account: display time zone and password."""

from zoneinfo import available_timezones

import streamlit as st

from planner import auth, wording
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
                auth.change_password, session, actor, actor.username, new, old_password=old, success="Password changed"
            )
