"""Admin > Users: add users, change roles, deactivate and reactivate, link single sign-on emails."""

import pandas as pd
import streamlit as st

from planner import auth, sso, wording
from planner.ui import common

actor = common.require_actor()
common.header("Users", "Who can use this workspace and with which role. Nobody's history is ever deleted.")
if not auth.can(actor, auth.Action.MANAGE_USERS):
    st.error("Only admins manage users.")
    st.stop()

with common.db_session() as session:
    users = auth.list_users(session)
zone = common.user_zone()
frame = pd.DataFrame(
    [
        {
            "username": u.username,
            "name": u.display_name,
            "role": wording.label(u.role, "role"),
            "active": "yes" if u.active else "no",
            "last login": common.when(u.last_login_at, zone),
        }
        for u in users
    ],
    columns=["username", "name", "role", "active", "last login"],
)
cols = st.columns(3)
cols[0].metric("Active users", sum(u.active for u in users), border=True)
cols[1].metric("Admins", sum(u.active and u.role == "admin" for u in users), border=True)
cols[2].metric("Deactivated", sum(not u.active for u in users), border=True)
common.show_table(
    frame,
    hide_index=True,
    width="stretch",
    height=common.fit_height(len(frame)),
    column_config={
        "username": "Username",
        "name": "Name",
        "role": "Role",
        "active": "Active",
        "last login": st.column_config.TextColumn("Last login", width="medium"),
    },
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
        format_func=wording.label,
        key="new_role",
        help="viewer reads; drafter imports, detects and drafts; reviewer approves and schedules; "
        "admin also manages users",
    )
    password = st.text_input("Initial password", type="password", key="new_password")
    if st.form_submit_button("Add user", type="primary"):
        with common.db_session() as session:
            if common.run(
                auth.create_user,
                session,
                actor,
                username,
                password,
                role,
                display,
                success=f"Added {common.safe_md(username)}",
            ):
                st.rerun()
with change, st.container(border=True):
    st.subheader("Change a user")
    names = [u.username for u in users]
    target = st.selectbox("User", names, key="change_target")
    chosen = next((u for u in users if u.username == target), None)
    current_role = chosen.role if chosen else roles[0]
    # The role box starts at the chosen user's current role, so "Set role" never demotes by accident.
    new_role = st.selectbox(
        "Role", roles, index=roles.index(current_role), format_func=wording.label, key=f"change_role_{target}"
    )
    c1, c2, c3 = st.columns(3)
    do_role = c1.button("Set role", key="change_set_role", disabled=new_role == current_role)
    do_off = c2.button("Deactivate", key="change_deactivate", disabled=not (chosen and chosen.active))
    do_on = c3.button("Reactivate", key="change_reactivate", disabled=not chosen or chosen.active)
if do_role or do_off or do_on:
    with common.db_session() as session:
        if do_role:
            done = f"{common.safe_md(target)} is now {wording.label(new_role)}"
            ok = common.run(auth.set_role, session, actor, target, new_role, success=done)
        else:
            ok = common.run(
                auth.set_active, session, actor, target, bool(do_on), success=f"{common.safe_md(target)} updated"
            )
    if ok:
        st.rerun()

st.subheader("Single sign-on")
sso_config = common.sso_config()
st.caption(
    "People who sign in through your identity provider get the account their email is linked to, with its role."
    + ("" if sso_config else " Single sign-on is off: see docs/sso.md to turn it on.")
)
with common.db_session() as session:
    linked = sso.links(session)
    rule = sso.default_rule(session)
if linked:
    common.show_table(
        pd.DataFrame(linked, columns=["email", "username"]),
        hide_index=True,
        height=common.fit_height(len(linked)),
        column_config={"email": "Email", "username": "Signs in as"},
    )
with st.form("sso_link", clear_on_submit=True):
    left, right = st.columns(2)
    email = left.text_input("Email at the identity provider", key="sso_email")
    as_user = right.selectbox("Signs in as", [u.username for u in users if u.active], key="sso_user")
    link_it, unlink_it = st.columns(2)
    do_link = link_it.form_submit_button("Link email")
    do_unlink = unlink_it.form_submit_button("Remove link")
if do_link or do_unlink:
    with common.db_session() as session:
        if do_link:
            ok = common.run(sso.link, session, actor, email, as_user, success="Email linked")
        else:
            ok = common.run(sso.unlink, session, actor, email, success="Link removed")
    if ok:
        st.rerun()

with st.form("sso_default"):
    st.caption("Unlinked emails: off, or a new account with a default role for one email domain (never admin).")
    choices = ["off", *[r.value for r in sso.DEFAULT_ROLES]]
    left, right = st.columns(2)
    default_role = left.selectbox(
        "Default role",
        choices,
        index=choices.index(rule.role) if rule else 0,
        format_func=lambda r: "off: only linked emails" if r == "off" else wording.label(r, "role"),
        key="sso_default_role",
    )
    domain = right.text_input("Email domain", value=rule.domain if rule else "", key="sso_default_domain")
    if st.form_submit_button("Save rule"):
        with common.db_session() as session:
            role_or_none = None if default_role == "off" else default_role
            common.run(sso.set_default_rule, session, actor, role_or_none, domain, success="Rule saved")
