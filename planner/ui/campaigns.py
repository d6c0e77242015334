"""Plan > Campaigns: list campaigns, plan one section by section (GAMMMA+), link trends and channels."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner import auth, campaigns, channels, wording
from planner.ui import common
from planner.ui.campaigns_channels import channels_section
from planner.ui.campaigns_plan import plan_form
from planner.ui.campaigns_status import status_and_adjustments

actor = common.require_actor()
common.header(
    "Campaigns",
    "Plan each campaign with GAMMMA+: goal, audience, message, messenger, media, action, monitoring. "
    "Pick a campaign below or create one.",
)
can_edit = auth.can(actor, auth.Action.EDIT_CAMPAIGNS)

status_filter = st.segmented_control(
    "Status",
    ["all", *campaigns.STATUSES],
    default="all",
    format_func=lambda s: "All" if s == "all" else wording.label(s, "campaign_status"),
    key="camp_status",
)
with common.db_session() as session:
    frame = campaigns.list_campaigns(session)
    trend_names = campaigns.trend_choices(session)
    channel_names = {c.id: channels.label(c) for c in channels.list_channels(session)}

cols = st.columns(4)
cols[0].metric("Campaigns", len(frame), border=True)
cols[1].metric("Active", int((frame["status"] == "active").sum()), border=True)
cols[2].metric("Planning", int((frame["status"] == "planning").sum()), border=True)
cols[3].metric("Drafts", int(frame["drafts"].sum()) if len(frame) else 0, border=True)

shown = frame if status_filter in (None, "all") else frame[frame["status"] == status_filter].reset_index(drop=True)
if frame.empty:
    st.info("No campaigns yet. Create the first one below, or load the demo workspace from Home.")
else:
    event = common.show_table(
        shown.assign(
            tags=shown["tags"].map(", ".join),
            status=shown["status"].map(lambda s: wording.label(s, "campaign_status")),
            message_type=shown["message_type"].map(lambda m: wording.label(m, "message_type")),
        ),
        column_order=["name", "status", "message_type", "audience", "starts_on", "ends_on", "drafts", "trends"],
        hide_index=True,
        width="stretch",
        height=common.fit_height(len(shown), most=10),
        on_select="rerun",
        selection_mode="single-row",
        key="camp_table",
        column_config={
            "name": st.column_config.TextColumn("Name", width=160),
            "status": st.column_config.TextColumn("Status", width=75),
            "message_type": st.column_config.TextColumn("Message type", width=160),
            "audience": st.column_config.TextColumn("Audience", width=130),
            "starts_on": st.column_config.DateColumn("Starts", format="D MMM YYYY", width=95),
            "ends_on": st.column_config.DateColumn("Ends", format="D MMM YYYY", width=95),
            "drafts": st.column_config.NumberColumn("Drafts", width=55),
            "trends": st.column_config.NumberColumn("Linked trends", width=100),
        },
    )
    rows = event.selection.rows if event else []
    if rows:
        st.query_params["campaign"] = str(int(shown.iloc[rows[0]]["id"]))

selected_id = st.query_params.get("campaign")
if can_edit and selected_id is not None and st.button("New campaign", key="camp_new", icon=":material/add:"):
    st.query_params.pop("campaign", None)
    st.rerun()

campaign = None
if selected_id is not None:
    with common.db_session() as session:
        campaign = common.run(campaigns.get_campaign, session, selected_id)
        if campaign is not None:
            plan = campaigns.plan(campaign)
            linked = [t.id for t in campaigns.linked_trends(session, campaign.id)]
            linked_ch = [c.id for c in campaigns.linked_channels(session, campaign.id)]
            log = campaigns.adjustments(session, campaign.id)
    if campaign is None:
        st.query_params.pop("campaign", None)
        st.stop()

loaded_key = ""
if campaign is None:
    if not can_edit:
        st.stop()
    st.subheader("New campaign")
    plan, linked, linked_ch, log, loaded_version = campaigns.blank_plan(), [], [], pd.DataFrame(), 0
else:
    st.subheader(f"{common.safe_md(campaign.name)} ({wording.label(campaign.status, 'campaign_status').lower()})")
    st.caption(
        f"Version {campaign.version:d}. " + " · ".join(common.safe_md(k) for k in campaigns.kpi_summary(campaign))
    )
    # The version and plan this tab loaded survive reruns, so a save after someone else's gets a conflict that
    # names their changes instead of silently starting from the newer plan.
    loaded_key = f"camp_loaded_{campaign.id}"
    if loaded_key not in st.session_state:
        st.session_state[loaded_key] = (campaign.version, plan)
    loaded_version, plan = st.session_state[loaded_key]
    if loaded_version != campaign.version:
        st.warning(
            f"Someone saved this campaign since you opened it (you have version {loaded_version:d}, it is now "
            f"{campaign.version:d}). Your unsaved edits are kept; saving shows what they changed.",
            icon=":material/sync_problem:",
        )
        if st.button("Load the latest version (drops your unsaved edits)", key=f"camp_reload_{campaign.id}"):
            st.session_state[loaded_key] = (campaign.version, campaigns.plan(campaign))
            st.rerun()

key = f"camp_{campaign.id if campaign else 'new'}_{loaded_version}"
plan_form(
    actor,
    campaign,
    plan,
    key=key,
    loaded_version=loaded_version,
    linked=linked,
    linked_channels=linked_ch,
    trend_names=trend_names,
    channel_names=channel_names,
    can_edit=can_edit,
)

if campaign is not None:
    status_and_adjustments(actor, campaign, log, key=key, can_edit=can_edit, loaded_key=loaded_key)
    if linked:
        st.caption(
            "Linked trends: "
            + ", ".join(common.safe_md(trend_names.get(t, "a trend no longer listed")) for t in linked)
        )
    st.page_link("planner/ui/drafts.py", label="Open this campaign's drafts", icon=":material/edit_note:")

st.divider()
channels_section(actor, expanded=not channel_names)
