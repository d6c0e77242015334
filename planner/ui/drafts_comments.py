"""Drafts > Comments: the draft's discussion thread, oldest first, and a box to add to it."""

from __future__ import annotations

import streamlit as st

from planner import auth, drafts
from planner.ui import common
from planner.ui.drafts_shared import DraftView


def comments(view: DraftView) -> None:
    """The Comments tab."""
    zone = common.user_zone()
    for c in view.thread:
        with st.container(border=True):
            st.caption(f"{common.safe_md(c.author_name)} · {common.when(c.at, zone)}")
            st.text(c.body)
    if not view.thread:
        st.caption("No comments yet.")
    if auth.can(view.actor, auth.Action.COMMENT):
        with st.form(f"{view.key}_comment", clear_on_submit=True):
            body = st.text_area("Add a comment", key=f"{view.key}_comment_body")
            if st.form_submit_button("Comment"):
                with common.db_session() as session:
                    added = common.run(
                        drafts.add_comment, session, view.actor, view.draft.id, body, success="Comment added"
                    )
                if added:
                    st.rerun()
