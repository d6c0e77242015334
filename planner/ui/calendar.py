"""Plan > Calendar: scheduled posts by week, month or list; schedule, auto-schedule, pause and resume, export."""

from __future__ import annotations

import os
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from planner import auth, campaigns, channels, wording
from planner.models import utcnow
from planner.schedule import (
    cadence,
    calendar,
    entries,
    exports,
    pauses,
    solver,
    subscription,
    windows,
)
from planner.ui import common
from planner.ui.common import safe_md

BASE_URL = os.environ.get("PLANNER_PUBLIC_URL", "http://localhost:8501")
STATUS_ICONS = {
    "planned": ":material/schedule:",
    "paused": ":material/pause_circle:",
    "published": ":material/check_circle:",
    "missed": ":material/event_busy:",
    "cancelled": ":material/cancel:",
}

actor = common.require_actor()
common.header(
    "Calendar",
    "Scheduled posts by week, month or list, in your time zone. Pick a range; schedule approved drafts below.",
)
zone = common.user_zone()
can_schedule = auth.can(actor, auth.Action.SCHEDULE)
can_pause = auth.can(actor, auth.Action.PAUSE)
now = utcnow()
# What the last action did, shown once after its rerun (a toast would vanish with the rerun).
if flash := st.session_state.pop("cal_flash", None):
    st.success(flash, icon=":material/check_circle:")


def done(message: str) -> None:
    """Remember a confirmation for the next run and rerun the page."""
    st.session_state["cal_flash"] = message
    st.rerun()


with common.db_session() as session:
    camp_frame = campaigns.list_campaigns(session)
    all_channels = {c.id: c for c in channels.list_channels(session, active_only=False)}
    active = pauses.active_pauses(session, now)
    active_rows = [(p, pauses.scope_of(session, p).text(), pauses.missed_entries(session, p, now)) for p in active]
camp_names = dict(zip(camp_frame["id"], camp_frame["name"], strict=True))
chan_names = {cid: channels.label(c) for cid, c in all_channels.items()}

# ---- crisis pauses in force, and what was missed after a resume ----------------------------------------------------
for p, scope_text, missed in active_rows:
    until = f" until {common.when(p.ends_at, zone)}" if p.ends_at else " until resumed"
    n = len(missed)
    st.error(  # md-safe: until is the app's own words and time
        f"**Posting paused** for {safe_md(scope_text)} since {common.when(p.starts_at, zone)}{until}. "
        f"Reason: {safe_md(p.reason)}. {wording.plural(n, 'post')} due so far "
        f"{'has' if n == 1 else 'have'} not gone out.",
        icon=":material/pause_circle:",
    )
    if can_pause and st.button(f"Resume {safe_md(scope_text)}", key=f"cal_resume_{p.id}", icon=":material/play_arrow:"):
        with common.db_session() as session:
            resumed = common.run(pauses.resume, session, actor, scope_text)
        if resumed is not None:
            st.session_state["cal_missed"] = [e.id for e in resumed.missed]
            n = len(resumed.missed)
            done(
                f"Resumed {safe_md(scope_text)}: {wording.plural(n, 'post')} "
                f"{'was' if n == 1 else 'were'} missed during the pause."
            )

missed_ids = st.session_state.get("cal_missed")
if missed_ids is not None:
    with common.db_session() as session:
        frame_all = entries.entries_frame(session)
    missed = frame_all[frame_all["id"].isin(missed_ids)]
    with st.container(border=True):
        st.subheader("Missed during the pause")
        if missed.empty:
            st.success("Nothing was due during the pause.")
        else:
            common.show_table(
                missed.assign(at=common.local_times(missed["at"], zone))[["at", "channel", "title", "campaign"]],
                hide_index=True,
                width="stretch",
                column_config={
                    "at": st.column_config.DatetimeColumn(f"Was due ({zone.key})", format="ddd D MMM HH:mm")
                },
            )
            if can_schedule and st.button(
                "Reschedule all missed posts", key="cal_resched", type="primary", icon=":material/event_repeat:"
            ):
                with common.db_session() as session:
                    variant_ids = [int(v) for v in entries.variants_of(session, missed_ids)]
                    res = common.run(solver.auto_schedule, session, actor, variant_ids=variant_ids)
                if res is not None:
                    st.session_state.pop("cal_missed", None)
                    st.session_state["cal_auto_lines"] = res.lines()
                    done(f"{safe_md(res.sentence())} The details are under 'Auto-schedule approved drafts'.")
        if st.button("Dismiss", key="cal_missed_dismiss"):
            st.session_state.pop("cal_missed", None)
            st.rerun()

# ---- filters --------------------------------------------------------------------------------------------------
f1, f2, f3, f4 = st.columns([1.2, 1, 1.4, 1.4])
view = f1.segmented_control("View", ["Week", "Month", "List"], default="Week", key="cal_view") or "Week"
anchor = f2.date_input("Showing", value=now.astimezone(zone).date(), key="cal_anchor", format="YYYY-MM-DD")
camp_filter = f3.selectbox(
    "Campaign",
    [None, *camp_names],
    format_func=lambda i: "All campaigns" if i is None else camp_names[i],
    key="cal_camp",
)
chan_filter = f4.selectbox(
    "Channel", [None, *chan_names], format_func=lambda i: "All channels" if i is None else chan_names[i], key="cal_chan"
)
start, end = calendar.view_range(view.lower(), anchor, zone)
with common.db_session() as session:
    frame = calendar.calendar_frame(session, start, end, campaign_id=camp_filter, channel_id=chan_filter)

counts = frame["status"].value_counts()
m = st.columns(5)
m[0].metric("Planned", int(counts.get("planned", 0)), border=True)
m[1].metric("Paused", int(counts.get("paused", 0)), border=True)
m[2].metric("Published", int(counts.get("published", 0)), border=True)
m[3].metric("Missed", int(counts.get("missed", 0)), border=True)
m[4].metric("Conflicts", int(frame["conflict"].sum()), border=True, help="Same minute, too close, or over a limit")
st.caption(
    f"{safe_md(view)} from {start.astimezone(zone):%a %d %b %Y} "
    f"to {(end - timedelta(seconds=1)).astimezone(zone):%a %d %b %Y} · times in {zone.key}"
)


def _entry_line(row) -> str:
    flag = " ⚠" if row.conflict else ""
    return f"{row.at.tz_convert(zone):%H:%M} {row.channel}{flag}"


def _card(row) -> None:
    with st.container(border=True):
        st.markdown(f"{STATUS_ICONS.get(row.status, '')} {safe_md(_entry_line(row))}")
        st.text(row.title)
        if row.conflict:
            st.caption(f"Conflict: {safe_md(row.conflict_note)}")
        elif row.status != "planned":
            st.caption(wording.label(row.status))


if frame.empty:
    st.info("Nothing scheduled in this range. Schedule an approved draft below, or auto-schedule them all.")
elif view == "Week":
    grid = calendar.week_grid(frame, start, zone)
    cols = st.columns(7)
    for col, (day, rows) in zip(cols, grid.items(), strict=True):
        col.markdown(f"**{day:%a %d %b}**")
        with col:
            for row in rows.itertuples(index=False):
                _card(row)
elif view == "Month":
    head = st.columns(7)
    for col, name in zip(head, windows.DAY_NAMES, strict=True):
        col.markdown(f"**{safe_md(name)}**")
    for week in calendar.month_grid(frame, start, zone):
        cols = st.columns(7)
        for col, (day, rows) in zip(cols, week, strict=True):
            with col.container(border=True, height=150):
                st.caption(f"{day:%d %b}")
                for row in rows.itertuples(index=False):
                    st.text(f"{'⚠ ' if row.conflict else ''}{row.at.tz_convert(zone):%H:%M} {row.title}")

table = calendar.list_view(frame, zone)
if view == "List" and not frame.empty:
    common.show_table(
        common.words(table, status=None)[
            ["local_time", "channel_time", "channel", "title", "campaign", "status", "trend", "conflict_note"]
        ],
        hide_index=True,
        width="stretch",
        height=common.fit_height(len(table)),
        key="cal_table",
        column_config={
            "local_time": st.column_config.DatetimeColumn(f"When ({zone.key})", format="ddd D MMM HH:mm", width=120),
            "channel_time": st.column_config.TextColumn("Channel's time", width=150),
            "channel": st.column_config.TextColumn("Channel", width=120),
            "title": st.column_config.TextColumn("Draft", width=200),
            "campaign": st.column_config.TextColumn("Campaign", width=140),
            "status": st.column_config.TextColumn("Status", width=80),
            "trend": st.column_config.TextColumn("Answers trend", width=120),
            "conflict_note": st.column_config.TextColumn("Conflict", width=200),
        },
    )

# ---- details of one entry: move, mark published, cancel ------------------------------------------------------
if not frame.empty:
    labels = {int(r.id): f"{r.local_time:%a %d %b %H:%M} · {r.channel} · {r.title}" for r in table.itertuples()}
    picked = st.selectbox(
        "Open a scheduled post",
        list(labels),
        format_func=labels.get,
        index=None,
        key="cal_pick",
        placeholder="Pick a post to move it, mark it published or cancel it",
    )
    if picked is not None:
        row = table[table["id"] == picked].iloc[0]
        entry_zone = ZoneInfo(row["time_zone"])
        with st.container(border=True):
            st.subheader(safe_md(row["title"]))
            st.caption(
                f"{safe_md(row['channel'])} · {safe_md(row['campaign'])} · {wording.label(row['status'])} · "
                f"{row['at'].tz_convert(entry_zone):%a %d %b %H:%M} {entry_zone.key}"
            )
            st.text(row["text"])
            if row["why"]:
                st.caption(f"Why this slot: {safe_md(row['why'])}")
            if row["conflict"]:
                st.warning(f"Conflict: {safe_md(row['conflict_note'])}", icon=":material/warning:")
            if row["published_url"]:
                st.text(f"Published: {row['published_url']}")
            if can_schedule and row["status"] in ("planned", "paused", "missed"):
                a, b, c = st.columns(3)
                with a.form(f"cal_move_{picked}"):
                    local = row["at"].tz_convert(entry_zone)
                    new_day = st.date_input(f"Day ({entry_zone.key})", value=local.date(), key=f"cal_mv_d_{picked}")
                    new_time = st.time_input("Time", value=local.time(), key=f"cal_mv_t_{picked}", step=900)
                    if st.form_submit_button("Move"):
                        at = datetime.combine(new_day, new_time, tzinfo=entry_zone)
                        with common.db_session() as session:
                            if common.run(entries.move_entry, session, actor, picked, at, success="Moved"):
                                st.rerun()
                with b.form(f"cal_pub_{picked}"):
                    url = st.text_input("Post URL on the platform", key=f"cal_pub_url_{picked}")
                    confirm = False
                    if row["status"] == "paused":
                        confirm = st.checkbox(
                            "It was published during the pause: I confirm", key=f"cal_pub_confirm_{picked}"
                        )
                    early = row["at"] > pd.Timestamp(now) + entries.EARLY_GRACE
                    if early:
                        st.warning(
                            "This post is not due yet. Mark it published only if it really went out early.",
                            icon=":material/schedule:",
                        )
                    confirm_early = early and st.checkbox(
                        "It went out before its due time: I confirm", key=f"cal_pub_early_{picked}"
                    )
                    if st.form_submit_button("Mark published"):
                        with common.db_session() as session:
                            done = common.run(
                                entries.mark_published,
                                session,
                                actor,
                                picked,
                                url,
                                confirm_during_pause=confirm,
                                confirm_early=confirm_early,
                                success="Marked published",
                            )
                        if done is not None:
                            st.rerun()
                with c.form(f"cal_cancel_{picked}"):
                    reason = st.text_input("Why cancel (optional)", key=f"cal_cancel_reason_{picked}")
                    if st.form_submit_button("Cancel this post"):
                        with common.db_session() as session:
                            if common.run(entries.cancel_entry, session, actor, picked, reason, success="Cancelled"):
                                st.rerun()

# ---- schedule one post, with response-window suggestions ------------------------------------------------------
if can_schedule:
    with common.db_session() as session:
        variants = entries.schedulable_variants(session)
        open_windows = windows.open_windows(session, now)
    with st.expander("Schedule an approved draft", icon=":material/add_circle:", expanded=False):
        if variants.empty:
            st.info("No approved drafts are waiting. Approve drafts on the Drafts page first.")
            st.page_link("planner/ui/drafts.py", label="Open Drafts", icon=":material/edit_note:")
        else:
            vlabels = {int(r.variant_id): f"{r.title} · {r.channel} · {r.campaign}" for r in variants.itertuples()}
            vid = st.selectbox("Draft and channel", list(vlabels), format_func=vlabels.get, key="cal_new_variant")
            vrow = variants[variants["variant_id"] == vid].iloc[0]
            vzone = ZoneInfo(vrow["time_zone"])
            answers = [w for w in open_windows if w.trend_id in set(vrow["trend_ids"])]
            window = answers[0] if answers else None
            if window is not None:
                st.info(
                    f"Answers the trend {safe_md(window.key)}: respond before "
                    f"{window.end.astimezone(zone):%a %d %b %H:%M} ({zone.key}).",
                    icon=":material/timer:",
                )
                with common.db_session() as session:
                    ideas = common.run(
                        windows.suggest_slots, session, window.trend_id, int(vrow["channel_id"]), now=now
                    )
                for k, s in enumerate(ideas or []):
                    c1, c2 = st.columns([4, 1])
                    c1.text(f"{s.at.astimezone(vzone):%a %d %b %H:%M} {vzone.key}: {s.why}")
                    if c2.button("Use this slot", key=f"cal_use_{vid}_{k}"):
                        with common.db_session() as session:
                            made = common.run(
                                entries.add_entry,
                                session,
                                actor,
                                vid,
                                s.at,
                                trend_id=window.trend_id,
                                why=s.why,
                            )
                        if made is not None:
                            slot = s.at.astimezone(vzone)
                            done(f"Scheduled {safe_md(vlabels[vid])} for {slot:%a %d %b %H:%M} {vzone.key}.")
            with st.form("cal_new"):
                d1, d2 = st.columns(2)
                default_day = (now + timedelta(days=1)).astimezone(vzone).date()
                day = d1.date_input(f"Day ({vzone.key}, the channel's zone)", value=default_day, key="cal_new_day")
                at_time = d2.time_input("Time", value=time(18, 0), key="cal_new_time", step=900)
                if st.form_submit_button("Schedule", type="primary"):
                    at = datetime.combine(day, at_time, tzinfo=vzone)
                    with common.db_session() as session:
                        made = common.run(
                            entries.add_entry,
                            session,
                            actor,
                            vid,
                            at,
                            trend_id=window.trend_id if window and window.contains(at) else None,
                        )
                    if made is not None:
                        done(f"Scheduled {safe_md(vlabels[vid])} for {at:%a %d %b %H:%M} {vzone.key}.")

    with st.expander("Auto-schedule approved drafts", icon=":material/auto_awesome:"):
        st.caption(
            "Places every approved draft not yet scheduled in the best free slots, keeping each channel's cadence; "
            "answers to a trend go inside its response window. It says what it could not place and why."
        )
        with st.form("cal_auto"):
            a1, a2, a3 = st.columns(3)
            auto_camp = a1.selectbox(
                "Campaign",
                [None, *camp_names],
                format_func=lambda i: "All campaigns" if i is None else camp_names[i],
                key="cal_auto_camp",
            )
            auto_from = a2.date_input("From", value=now.astimezone(zone).date(), key="cal_auto_from")
            auto_days = a3.number_input("Days", min_value=1, max_value=120, value=7, key="cal_auto_days")
            if st.form_submit_button("Auto-schedule", type="primary"):
                lo = max(datetime.combine(auto_from, time(0), tzinfo=zone), now)
                with common.db_session() as session:
                    res = common.run(
                        solver.auto_schedule,
                        session,
                        actor,
                        campaign=auto_camp,
                        start=lo,
                        end=datetime.combine(auto_from, time(0), tzinfo=zone) + timedelta(days=int(auto_days)),
                    )
                if res is not None:
                    st.session_state["cal_auto_lines"] = res.lines()
                    done(f"{safe_md(res.sentence())} The details are under 'Auto-schedule approved drafts'.")
        if st.session_state.get("cal_auto_lines"):
            st.code("\n".join(st.session_state["cal_auto_lines"]), language=None)

# ---- crisis pause -------------------------------------------------------------------------------------------------
if can_pause:
    with st.expander("Crisis pause", icon=":material/pause_circle:"):
        st.caption("Stops scheduled posts at once for everything, one channel or one campaign. Everyone sees why.")
        with st.form("cal_pause"):
            p1, p2 = st.columns(2)
            kind = p1.radio(
                "Pause", ["Everything", "One channel", "One campaign"], key="cal_pause_kind", horizontal=True
            )
            target_chan = p2.selectbox("Channel", list(chan_names), format_func=chan_names.get, key="cal_pause_chan")
            target_camp = p2.selectbox(
                "Campaign", list(camp_names), format_func=camp_names.get, key="cal_pause_camp", index=None
            )
            reason = st.text_input("Reason (required)", key="cal_pause_reason")
            e1, e2, e3 = st.columns(3)
            has_end = e1.checkbox("Ends by itself", key="cal_pause_has_end")
            end_day = e2.date_input("End day", value=(now + timedelta(days=1)).astimezone(zone).date(), key="cal_pe_d")
            end_time = e3.time_input("End time", value=time(9, 0), key="cal_pause_end_time", step=900)
            if st.form_submit_button("Pause posting", type="primary"):
                if kind == "Everything":
                    scope = "all"
                elif kind == "One channel":
                    scope = f"channel:{target_chan}"
                else:
                    scope = f"campaign:{target_camp}" if target_camp is not None else "campaign:"
                ends = datetime.combine(end_day, end_time, tzinfo=zone) if has_end else None
                with common.db_session() as session:
                    made = common.run(pauses.pause, session, actor, scope, reason, ends_at=ends)
                if made is not None:
                    done("Posting paused. Everyone sees the reason at the top of this page.")
        with common.db_session() as session:
            history = pauses.pauses_frame(session, now)
        if not history.empty:
            common.show_table(
                history.assign(
                    starts_at=common.local_times(history["starts_at"], zone),
                    ends_at=common.local_times(history["ends_at"], zone),
                    resumed_at=common.local_times(history["resumed_at"], zone),
                ).drop(columns=["id"]),
                hide_index=True,
                width="stretch",
                column_config={
                    "scope": "Scope",
                    "reason": "Reason",
                    "starts_at": st.column_config.DatetimeColumn("From", format="D MMM HH:mm"),
                    "ends_at": st.column_config.DatetimeColumn("Ends", format="D MMM HH:mm"),
                    "resumed_at": st.column_config.DatetimeColumn("Resumed", format="D MMM HH:mm"),
                    "active": "In force",
                    "missed": "Posts missed",
                },
            )

# ---- cadence rules --------------------------------------------------------------------------------------------
if can_schedule and all_channels:
    with st.expander("Cadence rules per channel", icon=":material/tune:"):
        cid = st.selectbox("Channel", list(chan_names), format_func=chan_names.get, key="cal_cad_chan")
        with common.db_session() as session:
            cad = cadence.cadence_for(session, cid)
            window_h = windows.window_hours(session)
        st.caption(f"Now: {safe_md(cad.describe())}")
        with st.form(f"cal_cad_{cid}"):
            c1, c2, c3 = st.columns(3)
            tz = c1.text_input("Time zone", cad.time_zone, key=f"cal_cad_tz_{cid}")
            per_day = c2.number_input("Posts per day", 1, 48, cad.posts_per_day, key=f"cal_cad_n_{cid}")
            gap = c3.number_input(
                "Minimum gap (minutes)", 0, 1440, cad.min_gap_minutes, step=15, key=f"cal_cad_g_{cid}"
            )
            hours = st.multiselect(
                "Allowed local hours (none = any hour)", list(range(24)), cad.allowed_hours, key=f"cal_cad_h_{cid}"
            )
            blackout = st.text_input(
                "Blackout dates (YYYY-MM-DD, comma-separated)",
                ", ".join(d.isoformat() for d in cad.blackout_dates),
                key=f"cal_cad_b_{cid}",
            )
            if st.form_submit_button("Save cadence"):
                with common.db_session() as session:
                    common.run(
                        cadence.set_cadence,
                        session,
                        actor,
                        cid,
                        time_zone=tz.strip(),
                        posts_per_day=per_day,
                        min_gap_minutes=gap,
                        allowed_hours=hours,
                        blackout_dates=[b for b in blackout.replace(" ", "").split(",") if b],
                        success="Cadence saved",
                    )
        with st.form("cal_window"):
            hours_in = st.number_input("Response window after detection (hours)", 1, 336, window_h, key="cal_win_h")
            if st.form_submit_button("Save response window"):
                with common.db_session() as session:
                    common.run(windows.set_window_hours, session, actor, hours_in, success="Response window saved")

# ---- exports, import, subscription --------------------------------------------------------------------------------
with st.expander("Export, import and subscribe", icon=":material/ios_share:"):
    x1, x2, x3 = st.columns(3)
    x1.download_button(
        "Calendar (.ics)",
        data=exports.to_ics(frame, base_url=BASE_URL),
        file_name="counterpoint-schedule.ics",
        mime="text/calendar",
        key="cal_dl_ics",
    )
    x2.download_button(
        "Bulk-upload CSV", data=exports.bulk_csv(frame), file_name="bulk-upload.csv", mime="text/csv", key="cal_dl_bulk"
    )
    x3.download_button(
        "Full CSV", data=exports.full_csv(frame), file_name="schedule.csv", mime="text/csv", key="cal_dl_full"
    )
    st.caption("Exports cover the range and filters shown above.")
    if auth.can(actor, auth.Action.EDIT_DRAFTS) and camp_names:
        with st.form("cal_import"):
            st.markdown("**Import planned posts** (CSV with date, time, message, link; optional channel, title)")
            imp_camp = st.selectbox("Campaign", list(camp_names), format_func=camp_names.get, key="cal_imp_camp")
            upload = st.file_uploader("CSV file", type=["csv"], key="cal_imp_file")
            if st.form_submit_button("Create drafts") and upload is not None:
                with common.db_session() as session:
                    res = common.run(exports.import_planned_csv, session, actor, imp_camp, upload.getvalue())
                if res is not None:
                    st.success(
                        f"Created {wording.plural(len(res.draft_ids), 'draft')}; they go through review before "
                        "scheduling."
                    )
    st.markdown("**Subscribe in Outlook or Google Calendar**")
    st.caption(
        "A private link to a live calendar of the schedule. Anyone with the link can read it: keep it private, "
        "revoke it when it leaks. Needs the app served with `streamlit run server.py` (see the README)."
    )
    with st.form("cal_token"):
        label = st.text_input("Label (e.g. work laptop)", key="cal_token_label")
        if st.form_submit_button("Create a subscription link"):
            with common.db_session() as session:
                made = common.run(subscription.create_token, session, actor, label)
            if made is not None:
                st.session_state["cal_new_feed"] = subscription.feed_url(BASE_URL, made[1])
    if st.session_state.get("cal_new_feed"):
        st.caption("Copy it now: it is shown only once.")
        st.code(st.session_state["cal_new_feed"], language=None)
    with common.db_session() as session:
        tokens = subscription.tokens_frame(session, actor)
    live = tokens[tokens["revoked_at"].isna()]
    for tok in live.itertuples(index=False):
        t1, t2 = st.columns([4, 1])
        used = f", last used {tok.last_used_at.astimezone(zone):%d %b %H:%M}" if pd.notna(tok.last_used_at) else ""
        t1.text(f"{tok.label or 'Calendar link'} (created {tok.created_at.astimezone(zone):%d %b %Y}{used})")
        if t2.button("Revoke", key=f"cal_revoke_{tok.id}"):
            with common.db_session() as session:
                common.run(subscription.revoke_token, session, actor, tok.id, success="Link revoked")
            st.session_state.pop("cal_new_feed", None)
            st.rerun()
