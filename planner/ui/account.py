"""My account: change your own password."""

import streamlit as st

from planner import auth
from planner.ui import common

actor = common.require_actor()
common.header("My account", f"Signed in as {actor.username}, role {actor.role}. Change your password here.")

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
