"""Campaigns > status and adjustments: move a campaign through planning, active, paused, closed; read its log."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner import campaigns, wording
from planner.audit import Actor
from planner.models import Campaign
from planner.ui import common


def status_and_adjustments(
    actor: Actor, campaign: Campaign, log: pd.DataFrame, *, key: str, can_edit: bool, loaded_key: str
) -> None:
    """Show the status form (for editors) beside the adjustments log."""
    st.subheader("Status and adjustments")
    s1, s2 = st.columns([1, 2])
    if can_edit:
        with s1.form(f"{key}_status"):
            new_status = st.selectbox(
                "Status",
                campaigns.STATUSES,
                index=campaigns.STATUSES.index(campaign.status),
                format_func=wording.label,
                key=f"{key}_st",
            )
            why = st.text_input("Reason (needed to pause or close)", key=f"{key}_why")
            if st.form_submit_button("Change status"):
                with common.db_session() as session:
                    if common.run(
                        campaigns.set_status, session, actor, campaign.id, new_status, why, success="Status changed"
                    ):
                        st.session_state.pop(loaded_key, None)
                        st.rerun()
    with s2:
        if log.empty:
            st.caption("No adjustments yet. Changes to a running campaign's plan are logged here with their reason.")
        else:
            zone = common.user_zone()
            common.show_table(
                log.assign(what=log["what"].map(wording.plain_summary)),
                hide_index=True,
                width="stretch",
                height=common.fit_height(len(log), most=10),
                key=f"{key}_log",
                column_config={
                    "at": common.time_column("When", zone),
                    "author": st.column_config.TextColumn("Who", width="small"),
                    "what": st.column_config.TextColumn("What changed", width="large"),
                    "why": st.column_config.TextColumn("Why", width="large"),
                },
            )
