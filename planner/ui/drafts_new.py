"""Drafts > start a new draft: a short form; on success it closes and the new draft is selected."""

from __future__ import annotations

import streamlit as st

from planner import channels, drafts, frames
from planner.audit import Actor
from planner.models import Channel
from planner.ui import common

# Session keys: whether the form is open, and the drafts table's generation (a new table selects the new draft).
CREATING = "dr_creating"
TABLE_GENERATION = "dr_table_generation"


def new_draft_form(actor: Actor, camp_names: dict[int, str], all_channels: dict[int, Channel]) -> None:
    """The form that starts a draft; on success it closes and the new draft is selected."""
    with st.container(border=True), st.form("dr_new", clear_on_submit=True):
        st.markdown("**Start a new draft**")
        n1, n2 = st.columns(2)
        new_camp = n1.selectbox("Campaign", list(camp_names), format_func=camp_names.get, key="dr_new_camp")
        new_title = n2.text_input("Title", key="dr_new_title")
        n3, n4 = st.columns(2)
        new_frame = n3.selectbox(
            "Frame", list(frames.FRAMES), format_func=lambda f: frames.FRAMES[f].label, key="dr_new_frame"
        )
        new_lang = n4.text_input("Language", "en", key="dr_new_lang")
        new_channels = st.multiselect(
            "Channels",
            [c for c in all_channels if all_channels[c].active],
            format_func=lambda c: channels.label(all_channels[c]),
            key="dr_new_channels",
        )
        st.caption("The frame's starting text goes into the master text and every channel; edit it afterwards.")
        b1, b2 = st.columns([1, 5])
        create = b1.form_submit_button("Create draft", type="primary")
        cancel = b2.form_submit_button("Cancel")
    if cancel:
        st.session_state[CREATING] = False
        st.rerun()
    if create:
        text = frames.render_frame(new_frame)
        data = {
            "title": new_title,
            "frame": new_frame,
            "language": new_lang,
            "master_text": text,
            "variants": {c: text for c in new_channels},
        }
        with common.db_session() as session:
            made = common.run(drafts.create_draft, session, actor, new_camp, data, success="Draft created")
        if made is not None:
            st.session_state[CREATING] = False
            st.session_state[TABLE_GENERATION] = st.session_state.get(TABLE_GENERATION, 0) + 1
            st.query_params["draft"] = str(made.id)
            st.rerun()
