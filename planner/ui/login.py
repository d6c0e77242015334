"""Login page; on a fresh workspace, the first-run screen that creates the first admin."""

import streamlit as st

from planner import auth
from planner.ui import common

with common.db_session() as session:
    first_run = auth.needs_setup(session)

left, mid, right = st.columns([1, 2, 1])
with mid:
    if first_run:
        common.header("Welcome to Counterpoint", "This workspace is new. Create the first admin account to begin.")
        with st.form("setup"):
            username = st.text_input("Username", key="setup_username", help="Lowercase letters, digits, . _ -")
            display = st.text_input("Display name", key="setup_display")
            password = st.text_input(
                "Password",
                type="password",
                key="setup_password",
                help=f"At least {auth.MIN_PASSWORD_LENGTH} characters.",
            )
            confirm = st.text_input("Repeat password", type="password", key="setup_confirm")
            load = st.checkbox(
                "Load the fictional demo workspace (invented group, channels and posts)", key="setup_demo"
            )
            submitted = st.form_submit_button("Create admin account", type="primary")
        if submitted:
            if password != confirm:
                st.error("Repeat password: the two passwords differ.")
            else:
                with common.db_session() as session:
                    user = common.run(auth.create_first_admin, session, username, password, display)
                    if user is not None:
                        if load:
                            from planner import demo  # loaded only when asked for: it is not on the login path

                            with st.status("Loading the demo workspace...") as status:
                                bar = st.progress(0.0)
                                common.run(
                                    demo.load_demo,
                                    session,
                                    auth.actor_for(user),
                                    progress=lambda f, m: bar.progress(min(f, 1.0), text=m),
                                )
                                status.update(label="Demo workspace loaded", state="complete")
                        common.sign_in(user)
    else:
        common.header(
            "Log in to Counterpoint", "Counter-messaging campaign planner. Use the account your admin gave you."
        )
        with st.form("login"):
            username = st.text_input("Username", key="login_username")
            password = st.text_input("Password", type="password", key="login_password")
            submitted = st.form_submit_button("Log in", type="primary")
        if submitted:
            with common.db_session() as session:
                user = common.run(auth.authenticate, session, username, password, common.client_ip())
            if user is not None:
                common.sign_in(user)
        sso_config = common.sso_config()
        if sso_config is not None:
            st.divider()
            for provider in sso_config.providers:
                if st.button(f"Log in with {common.safe_md(sso_config.label(provider))}", key=f"sso_{provider}"):
                    st.login(provider)
            if st.user.is_logged_in and st.button("Sign out of single sign-on", key="sso_logout"):
                st.logout()
