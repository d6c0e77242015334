"""Campaigns > our channels: the team's real accounts per platform, and adding one (reviewers and admins)."""

from __future__ import annotations

import streamlit as st

from planner import auth, channels, wording
from planner.audit import Actor
from planner.ui import common


def channels_section(actor: Actor, expanded: bool) -> None:
    """List our channels with each platform's rules; editors of channels may add one."""
    with st.expander("Our channels", icon=":material/podcasts:", expanded=expanded):
        st.caption(
            "The team's real accounts, one per platform and handle. Platform rules (length limits, how links count) "
            "apply to every draft variant for the channel."
        )
        with common.db_session() as session:
            chan_frame = channels.channels_frame(session)
        if chan_frame.empty:
            st.info("No channels yet. A reviewer or admin adds the team's accounts here.")
        else:
            common.show_table(
                chan_frame,
                column_order=[c for c in chan_frame.columns if c != "id"],
                column_config={c: wording.column(c) for c in chan_frame.columns if c != "id"},
                hide_index=True,
                width="stretch",
                height=common.fit_height(len(chan_frame)),
                key="chan_table",
            )
        if auth.can(actor, auth.Action.EDIT_CHANNELS):
            with st.form("chan_add", clear_on_submit=True):
                c1, c2, c3 = st.columns([1, 2, 2])
                platform = c1.selectbox(
                    "Platform",
                    list(channels.PLATFORMS),
                    format_func=lambda p: channels.PLATFORMS[p].label,
                    key="chan_p",
                )
                handle = c2.text_input("Handle or page name", key="chan_handle")
                url = c3.text_input("Profile URL (optional)", key="chan_url")
                if st.form_submit_button("Add channel"):
                    with common.db_session() as session:
                        if common.run(
                            channels.create_channel, session, actor, platform, handle, url, success="Channel added"
                        ):
                            st.rerun()
