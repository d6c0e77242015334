"""Plan > Campaigns: list campaigns, plan one section by section (GAMMMA+), link trends and channels."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner import auth, campaigns, channels
from planner.errors import PlannerError
from planner.ui import common

actor = common.require_actor()
common.header(
    "Campaigns",
    "Plan each campaign with GAMMMA+: goal, audience, message, messenger, media, action, monitoring. "
    "Pick a campaign below or create one.",
)
can_edit = auth.can(actor, auth.Action.EDIT_CAMPAIGNS)

f1, f2 = st.columns([2, 3])
status_filter = f1.segmented_control(
    "Status", ["all", *campaigns.STATUSES], default="all", key="camp_status", label_visibility="collapsed"
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

shown = frame if status_filter in (None, "all") else frame[frame["status"] == status_filter]
if frame.empty:
    st.info("No campaigns yet. Create the first one below, or load the demo workspace from Home.")
else:
    event = st.dataframe(
        shown.assign(tags=shown["tags"].map(", ".join)),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="camp_table",
        column_config={
            "id": st.column_config.NumberColumn("ID", width="small"),
            "name": "Name",
            "status": "Status",
            "message_type": "Message type",
            "audience": "Audience",
            "starts_on": st.column_config.DateColumn("Starts"),
            "ends_on": st.column_config.DateColumn("Ends"),
            "drafts": st.column_config.NumberColumn("Drafts", width="small"),
            "trends": st.column_config.NumberColumn("Linked trends", width="small"),
            "tags": "Tags",
        },
    )
    rows = event.selection.rows if event else []
    if rows:
        st.query_params["campaign"] = str(int(shown.iloc[rows[0]]["id"]))

selected_id = st.query_params.get("campaign")
mode = "new" if selected_id is None else "edit"
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
if campaign is None:
    if not can_edit:
        st.stop()
    st.subheader("New campaign")
    plan = {
        f: ([] if f in campaigns.JSON_FIELDS else "")
        for f in campaigns.PLAN_FIELDS
        if f not in ("starts_on", "ends_on", "required_approvals", "status", "message_type")
    }
    plan.update(starts_on=None, ends_on=None, required_approvals=1, status="planning", message_type="alternative")
    plan["audience_time_zone"] = "UTC"
    linked, linked_ch, log = [], [], pd.DataFrame()
else:
    st.subheader(f"{campaign.name} ({campaign.status})")
    st.caption(f"Version {campaign.version}. " + " · ".join(campaigns.kpi_summary(campaign)))
    # The version and plan this tab loaded survive reruns, so a save after someone else's gets a conflict that
    # names their changes instead of silently starting from the newer plan.
    loaded_key = f"camp_loaded_{campaign.id}"
    if loaded_key not in st.session_state:
        st.session_state[loaded_key] = (campaign.version, plan)
    loaded_version, loaded_plan = st.session_state[loaded_key]
    if loaded_version != campaign.version:
        st.warning(
            f"Someone saved this campaign since you opened it (you have version {loaded_version}, it is now "
            f"{campaign.version}). Your unsaved edits are kept; saving shows what they changed.",
            icon=":material/sync_problem:",
        )
        if st.button("Load the latest version (drops your unsaved edits)", key=f"camp_reload_{campaign.id}"):
            st.session_state[loaded_key] = (campaign.version, plan)
            st.rerun()
    plan = loaded_plan

key = f"camp_{campaign.id if campaign else 'new'}_{loaded_version if campaign else 0}"
with st.form(f"{key}_form"):
    goal_tab, aud_tab, msg_tab, who_tab, media_tab, act_tab, mon_tab = st.tabs(
        ["Goal", "Audience", "Message", "Messenger", "Media", "Action", "+ Monitoring"]
    )
    with goal_tab:
        name = st.text_input("Name", plan["name"], key=f"{key}_name")
        d1, d2, d3 = st.columns(3)
        starts_on = d1.date_input("Starts on", plan["starts_on"], key=f"{key}_start")
        ends_on = d2.date_input("Ends on", plan["ends_on"], key=f"{key}_end")
        required = d3.number_input(
            "Approvals required per draft", 1, 3, int(plan["required_approvals"]), key=f"{key}_req"
        )
        goal = st.text_area("Goal (clear, realistic, measurable)", plan["goal"], key=f"{key}_goal")
        st.caption("KPI targets: what you will measure and the number that means success.")
        kpis = st.data_editor(
            pd.DataFrame(plan["kpi_targets"], columns=["metric", "target", "unit"]),
            num_rows="dynamic",
            hide_index=True,
            key=f"{key}_kpis",
            column_config={"target": st.column_config.NumberColumn(min_value=0)},
        )
        tags = st.text_input("Tags (comma-separated)", ", ".join(plan["tags"]), key=f"{key}_tags")
    with aud_tab:
        audience = st.text_input("Main audience", plan["audience"], key=f"{key}_aud")
        profile = st.text_area(
            "Profile: narratives, sub-cultures, where and when they communicate",
            plan["audience_profile"],
            key=f"{key}_prof",
        )
        a1, a2 = st.columns(2)
        langs = a1.text_input(
            "Languages (codes, comma-separated)", ", ".join(plan["audience_languages"]), key=f"{key}_langs"
        )
        zone = a2.text_input("Time zone", plan["audience_time_zone"], key=f"{key}_tz", help="e.g. Europe/London")
        hours = st.multiselect(
            "Active hours (audience's local time)", list(range(24)), plan["audience_active_hours"], key=f"{key}_hours"
        )
    with msg_tab:
        message_type = st.radio(
            "Message type",
            campaigns.MESSAGE_TYPES,
            index=campaigns.MESSAGE_TYPES.index(plan["message_type"]),
            horizontal=True,
            key=f"{key}_mtype",
            help="Counter narratives risk backlash; alternative narratives usually work better.",
        )
        key_message = st.text_area("Key message", plan["key_message"], key=f"{key}_keymsg")
    with who_tab:
        st.caption("Who really speaks. Record real people and organisations only: no invented personas.")
        messengers = st.data_editor(
            pd.DataFrame(plan["messengers"], columns=["name", "role", "credibility"]),
            num_rows="dynamic",
            hide_index=True,
            key=f"{key}_msgrs",
        )
        funder = st.text_input("Funder (required, disclosed)", plan["funder"], key=f"{key}_funder")
        disclosure = st.text_area("Affiliation disclosure", plan["affiliation_disclosure"], key=f"{key}_discl")
    with media_tab:
        formats = st.multiselect("Formats", campaigns.MEDIA_FORMATS, plan["media_formats"], key=f"{key}_formats")
        chosen_channels = st.multiselect(
            "Our channels",
            list(channel_names),
            [c for c in linked_ch if c in channel_names],
            format_func=channel_names.get,
            key=f"{key}_channels",
        )
    with act_tab:
        cta = st.text_input("Call to action (simple, doable, meaningful)", plan["call_to_action"], key=f"{key}_cta")
    with mon_tab:
        monitoring = st.text_area("Monitoring and evaluation plan", plan["monitoring_plan"], key=f"{key}_mon")
        replies = st.text_area("Capacity to reply (who answers, when)", plan["reply_capacity"], key=f"{key}_reply")
        trends = st.multiselect(
            "Linked trends and narratives",
            list(trend_names),
            [t for t in linked if t in trend_names],
            format_func=trend_names.get,
            key=f"{key}_trends",
        )
    reason = ""
    if campaign is not None and campaign.status in ("active", "paused"):
        reason = st.text_input(
            "Why are you changing the plan? (logged as an adjustment)", key=f"{key}_reason", placeholder="required"
        )
    submitted = st.form_submit_button(
        "Create campaign" if campaign is None else "Save plan", type="primary", disabled=not can_edit
    )

if submitted:
    data = {
        "name": name,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "required_approvals": required,
        "goal": goal,
        "kpi_targets": kpis.dropna(how="all").to_dict("records"),
        "tags": [t for t in tags.split(",")],
        "audience": audience,
        "audience_profile": profile,
        "audience_languages": [x for x in langs.split(",")],
        "audience_time_zone": zone,
        "audience_active_hours": hours,
        "message_type": message_type,
        "key_message": key_message,
        "messengers": messengers.fillna("").to_dict("records"),
        "funder": funder,
        "affiliation_disclosure": disclosure,
        "media_formats": formats,
        "call_to_action": cta,
        "monitoring_plan": monitoring,
        "reply_capacity": replies,
    }
    data["messengers"] = [m for m in data["messengers"] if any(str(v).strip() for v in m.values())]
    with common.db_session() as session:
        if campaign is None:
            saved = common.run(campaigns.create_campaign, session, actor, data, success="Campaign created")
        else:
            try:
                saved = campaigns.update_campaign(
                    session, actor, campaign.id, loaded_version, data, reason, loaded_plan=loaded_plan
                )
            except campaigns.CampaignConflictError as exc:
                st.error(str(exc))
                if exc.changed:
                    st.dataframe(
                        pd.DataFrame(
                            [{"field": f, "you loaded": str(a), "now": str(b)} for f, (a, b) in exc.changed.items()]
                        ),
                        hide_index=True,
                        width="stretch",
                    )
                saved = None
            except PlannerError as exc:
                st.error(str(exc))
                saved = None
        if saved is not None:
            st.session_state.pop(f"camp_loaded_{saved.id}", None)
            st.toast("Campaign saved")
            linked_ok = common.run(
                campaigns.set_links, session, actor, saved.id, trend_ids=trends, channel_ids=chosen_channels
            )
            if linked_ok is not None:
                st.query_params["campaign"] = str(saved.id)
                st.rerun()

if campaign is not None:
    st.subheader("Status and adjustments")
    s1, s2 = st.columns([1, 2])
    if can_edit:
        with s1.form(f"{key}_status"):
            new_status = st.selectbox(
                "Status", campaigns.STATUSES, index=campaigns.STATUSES.index(campaign.status), key=f"{key}_st"
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
            st.dataframe(
                log.assign(at=common.local_times(log["at"], common.user_zone())),
                hide_index=True,
                width="stretch",
                key=f"{key}_log",
            )
    if linked:
        st.caption("Linked trends: " + ", ".join(trend_names.get(t, str(t)) for t in linked))
    st.page_link("planner/ui/drafts.py", label="Open this campaign's drafts", icon=":material/edit_note:")

st.divider()
with st.expander("Our channels", icon=":material/podcasts:", expanded=not channel_names):
    st.caption(
        "The team's real accounts, one per platform and handle. Platform rules (length limits, how links count) "
        "apply to every draft variant for the channel."
    )
    with common.db_session() as session:
        chan_frame = channels.channels_frame(session)
    if chan_frame.empty:
        st.info("No channels yet. A reviewer or admin adds the team's accounts here.")
    else:
        st.dataframe(chan_frame, hide_index=True, width="stretch", key="chan_table")
    if auth.can(actor, auth.Action.EDIT_CHANNELS):
        with st.form("chan_add", clear_on_submit=True):
            c1, c2, c3 = st.columns([1, 2, 2])
            platform = c1.selectbox(
                "Platform", list(channels.PLATFORMS), format_func=lambda p: channels.PLATFORMS[p].label, key="chan_p"
            )
            handle = c2.text_input("Handle or page name", key="chan_handle")
            url = c3.text_input("Profile URL (optional)", key="chan_url")
            if st.form_submit_button("Add channel"):
                with common.db_session() as session:
                    if common.run(
                        channels.create_channel, session, actor, platform, handle, url, success="Channel added"
                    ):
                        st.rerun()
