"""Admin > Users: add users, change roles, deactivate and reactivate."""

import pandas as pd
import streamlit as st

from planner import auth
from planner.ui import common

actor = common.require_actor()
common.header("Users", "Who can use this workspace and with which role. Nobody's history is ever deleted.")
if not auth.can(actor, auth.Action.MANAGE_USERS):
    st.error("Only admins manage users.")
    st.stop()

with common.db_session() as session:
    users = auth.list_users(session)
frame = pd.DataFrame(
    [
        {
            "username": u.username,
            "name": u.display_name,
            "role": u.role,
            "active": u.active,
            "last login": u.last_login_at,
        }
        for u in users
    ]
)
cols = st.columns(3)
cols[0].metric("Active users", int(frame["active"].sum()) if len(frame) else 0, border=True)
cols[1].metric("Admins", int(((frame["role"] == "admin") & frame["active"]).sum()) if len(frame) else 0, border=True)
cols[2].metric("Deactivated", int((~frame["active"]).sum()) if len(frame) else 0, border=True)
st.dataframe(
    frame,
    hide_index=True,
    width="stretch",
    column_config={"last login": st.column_config.DatetimeColumn(timezone=str(common.user_zone()))},
)

roles = [r.value for r in auth.Role]
add, change = st.columns(2)
with add, st.form("add_user", clear_on_submit=True):
    st.subheader("Add a user")
    username = st.text_input("Username", key="new_username")
    display = st.text_input("Display name", key="new_display")
    role = st.selectbox(
        "Role",
        roles,
        index=1,
        key="new_role",
        help="viewer reads; drafter imports, detects and drafts; reviewer approves and schedules; "
        "admin also manages users",
    )
    password = st.text_input("Initial password", type="password", key="new_password")
    if st.form_submit_button("Add user", type="primary"):
        with common.db_session() as session:
            if common.run(
                auth.create_user, session, actor, username, password, role, display, success=f"Added {username}"
            ):
                st.rerun()
with change, st.form("change_user"):
    st.subheader("Change a user")
    names = [u.username for u in users]
    target = st.selectbox("User", names, key="change_target")
    new_role = st.selectbox("New role", roles, key="change_role")
    c1, c2, c3 = st.columns(3)
    do_role = c1.form_submit_button("Set role")
    do_off = c2.form_submit_button("Deactivate")
    do_on = c3.form_submit_button("Reactivate")
if do_role or do_off or do_on:
    with common.db_session() as session:
        if do_role:
            ok = common.run(auth.set_role, session, actor, target, new_role, success=f"{target} is now {new_role}")
        else:
            ok = common.run(auth.set_active, session, actor, target, bool(do_on), success=f"{target} updated")
    if ok:
        st.rerun()
