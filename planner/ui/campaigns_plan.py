"""Campaigns > the GAMMMA+ plan form: one tab per element, saved with a version check and linked trends/channels."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from planner import campaigns, wording
from planner.audit import Actor
from planner.models import Campaign
from planner.ui import common


def _show_conflict(exc: campaigns.CampaignConflictError) -> None:
    if exc.changed:
        changed = exc.changed.items()
        rows = [{"field": wording.humanise(f), "you loaded": str(a), "now": str(b)} for f, (a, b) in changed]
        common.show_table(pd.DataFrame(rows), hide_index=True, width="stretch")


def _on_error(exc) -> None:
    if isinstance(exc, campaigns.CampaignConflictError):
        _show_conflict(exc)


def plan_form(
    actor: Actor,
    campaign: Campaign | None,
    plan: dict[str, Any],
    *,
    key: str,
    loaded_version: int,
    linked: list[int],
    linked_channels: list[int],
    trend_names: dict[int, str],
    channel_names: dict[int, str],
    can_edit: bool,
) -> None:
    """Show the plan as a form; create or save it (a running campaign's change needs a reason, logged)."""
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
                "Approvals required per draft",
                1,
                3,
                int(plan["required_approvals"]),
                key=f"{key}_req",
                disabled=campaign is not None and not campaigns.may_change_required_approvals(actor),
                help=None if campaigns.may_change_required_approvals(actor) else "Only reviewers and admins change it.",
            )
            goal = st.text_area("Goal (clear, realistic, measurable)", plan["goal"], key=f"{key}_goal")
            st.caption("KPI targets: what you will measure and the number that means success.")
            kpis = st.data_editor(
                pd.DataFrame(plan["kpi_targets"], columns=["metric", "target", "unit"]),
                num_rows="dynamic",
                hide_index=True,
                key=f"{key}_kpis",
                column_config={
                    "metric": st.column_config.TextColumn("Metric", width="large"),
                    "target": st.column_config.NumberColumn("Target", min_value=0),
                    "unit": "Unit",
                },
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
                "Active hours (audience's local time)",
                list(range(24)),
                plan["audience_active_hours"],
                format_func=lambda h: f"{h:02d}:00",
                key=f"{key}_hours",
            )
        with msg_tab:
            message_type = st.radio(
                "Message type",
                campaigns.MESSAGE_TYPES,
                index=campaigns.MESSAGE_TYPES.index(plan["message_type"]),
                format_func=lambda m: wording.label(m, "message_type"),
                horizontal=True,
                key=f"{key}_mtype",
                help="Counter narratives risk backlash; alternative narratives usually work better.",
            )
            key_message = st.text_area("Key message", plan["key_message"], key=f"{key}_keymsg")
        with who_tab:
            st.caption(
                "Required: at least one messenger and the funder. A plan records who really speaks and who really "
                "pays, so that reviewers and the audience can see it: real people and organisations only, no "
                "invented personas and no hidden funding."
            )
            st.markdown("**Messengers** (required: at least one; hover over the table and press + to add a row)")
            messengers = st.data_editor(
                pd.DataFrame(plan["messengers"], columns=["name", "role", "credibility"]),
                num_rows="dynamic",
                hide_index=True,
                key=f"{key}_msgrs",
                column_config={"name": "Name", "role": "Role", "credibility": "Why the audience trusts them"},
            )
            funder = st.text_input(
                "Funder (required, disclosed)",
                plan["funder"],
                key=f"{key}_funder",
                help="Who pays for this campaign. Plans record the real funder; it is disclosed with the posts.",
            )
            disclosure = st.text_area("Affiliation disclosure", plan["affiliation_disclosure"], key=f"{key}_discl")
        with media_tab:
            formats = st.multiselect("Formats", campaigns.MEDIA_FORMATS, plan["media_formats"], key=f"{key}_formats")
            chosen_channels = st.multiselect(
                "Our channels",
                list(channel_names),
                [c for c in linked_channels if c in channel_names],
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
    if not submitted:
        return
    data = {
        "name": name,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "required_approvals": required,
        "goal": goal,
        "kpi_targets": kpis.to_dict("records"),
        "tags": tags.split(","),
        "audience": audience,
        "audience_profile": profile,
        "audience_languages": langs.split(","),
        "audience_time_zone": zone,
        "audience_active_hours": hours,
        "message_type": message_type,
        "key_message": key_message,
        "messengers": messengers.to_dict("records"),
        "funder": funder,
        "affiliation_disclosure": disclosure,
        "media_formats": formats,
        "call_to_action": cta,
        "monitoring_plan": monitoring,
        "reply_capacity": replies,
    }
    with common.db_session() as session:
        if campaign is None:
            saved = common.run(campaigns.create_campaign, session, actor, data, success="Campaign created")
        else:
            saved = common.run(
                campaigns.update_campaign,
                session,
                actor,
                campaign.id,
                loaded_version,
                data,
                reason,
                loaded_plan=plan,
                on_error=_on_error,
            )
        if saved is None:
            return
        st.session_state.pop(f"camp_loaded_{saved.id}", None)
        st.toast("Campaign saved")
        linked_ok = common.run(
            campaigns.set_links, session, actor, saved.id, trend_ids=trends, channel_ids=chosen_channels
        )
    if linked_ok is not None:
        st.query_params["campaign"] = str(saved.id)
        st.rerun()
