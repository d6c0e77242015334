"""Home: the signed-in person's dashboard (pauses, posts due, reviews, drafts sent back, trends, the week's results)."""

import pandas as pd
import streamlit as st

from planner import auth, dashboard, demo, trends, wording, workspace
from planner.ui import common

# The lifecycle stages' chip colours (the same meanings as common.LIFECYCLE_COLOURS).
LIFECYCLE_BADGES = {"emerging": "red", "peaking": "orange", "declining": "blue", "dormant": "gray"}

actor = common.require_actor()
common.header("Home", f"Signed in as {actor.username}. What needs you now, then where the workspace stands.")
zone = common.user_zone()

# A visit is one browser session: record it once, so reruns of this page keep showing what was new.
if "previous_visit" not in st.session_state:
    with common.db_session() as session:
        st.session_state["previous_visit"] = auth.touch_last_seen(session, actor)
previous_visit = st.session_state["previous_visit"]
ov = common.cached(workspace.overview)
with common.db_session() as session:
    new_trends = [trends.trend_record(t) for t in trends.new_since(session, previous_visit)]
    reviews = dashboard.reviews_waiting(session, actor)
    sent_back = dashboard.changes_requested(session, actor)
    to_answer = dashboard.trends_to_answer(session)
    triage = dashboard.triage_counts(session)
    latest = trends.latest_run(session)
    clock = trends.run_clock(latest) if latest is not None else None
    paused = dashboard.active_pauses(session)
    due = dashboard.due_next(session)
    week = dashboard.week_kpis(session)


def _open_on_select(frame: pd.DataFrame, key: str, page: str, param: str) -> None:
    """Open the row picked in a table on its page (a draft on Drafts, a trend on Trends)."""
    state = st.session_state.get(key)
    if state and state.selection.rows:
        st.switch_page(page, query_params={param: str(int(frame["id"].iloc[state.selection.rows[0]]))})


def drafts_table(frame: pd.DataFrame, key: str, extra: dict) -> None:
    """A compact, clickable table of drafts: title, campaign and one more column."""
    common.show_table(
        frame.drop(columns=["id"]),
        hide_index=True,
        width="stretch",
        height=common.fit_height(len(frame), most=8),
        on_select="rerun",
        selection_mode="single-row",
        key=key,
        column_config={
            "title": st.column_config.TextColumn("Draft", width="large"),
            "campaign": st.column_config.TextColumn("Campaign", width="medium"),
            "updated_at": common.time_column("Last change", zone),
            **extra,
        },
    )
    _open_on_select(frame, key, "planner/ui/drafts.py", "draft")


def my_work() -> None:
    """Drafts waiting for my review, and my drafts a reviewer sent back."""
    if auth.can(actor, auth.Action.REVIEW_DRAFTS):
        st.subheader(f"Waiting for your review ({len(reviews)})")
        if reviews.empty:
            st.caption("No draft is waiting for you. Drafts you wrote or edited go to another reviewer.")
        else:
            drafts_table(reviews, "home_reviews", {"approvals": st.column_config.TextColumn("Approvals")})
    if auth.can(actor, auth.Action.EDIT_DRAFTS):
        st.subheader(f"Your drafts with changes requested ({len(sent_back)})")
        if sent_back.empty:
            st.caption("No draft of yours was sent back.")
        else:
            request = st.column_config.TextColumn("What to change", width="large")
            drafts_table(sent_back, "home_sent_back", {"request": request})


def trends_to_answer() -> None:
    """New trends and trends marked 'respond', compact; a row opens the trend."""
    st.subheader("To answer or triage")
    if to_answer.empty:
        st.caption("No trend is new or marked 'respond'. Run detection on the Trends page after an import.")
        return
    st.caption("Trends marked 'respond' first, then new trends nobody has triaged yet. Pick one to open it.")
    common.show_table(
        common.words(to_answer, kind="kind", lifecycle="lifecycle", status="triage").drop(columns=["id"]),
        hide_index=True,
        width="stretch",
        height=common.fit_height(len(to_answer), most=10),
        on_select="rerun",
        selection_mode="single-row",
        key="home_trends",
        column_config={
            "key": st.column_config.TextColumn("Trend", width="large"),
            "kind": st.column_config.TextColumn("Kind", width="small"),
            "lifecycle": st.column_config.TextColumn("Lifecycle", width="small"),
            "status": st.column_config.TextColumn("Triage", width="small"),
            "score": st.column_config.NumberColumn("Score", format="%.1f", width="small"),
            "detected_at": common.time_column("Detected", zone),
        },
    )
    _open_on_select(to_answer, "home_trends", "planner/ui/trends.py", "trend")


def the_workspace() -> None:
    """Where the workspace stands: headline numbers, the monitored period, what to set up next."""
    st.subheader("The workspace")
    cols = st.columns(4)
    cols[0].metric("Monitored posts", f"{ov.posts:,}", border=True)
    cols[1].metric("Imports", f"{ov.batches:,}", border=True)
    cols[2].metric("Active users", f"{ov.users:,}", border=True)
    cols[3].metric("Audit entries", f"{ov.audit_entries:,}", border=True)
    if ov.first_post_at and ov.last_post_at:
        st.caption(
            f"Monitored posts span {common.when(ov.first_post_at, zone)} to {common.when(ov.last_post_at, zone)}."
        )
    if previous_visit:
        st.caption(f"Your previous visit: {common.when(previous_visit, zone)}.")
    if ov.posts:  # an empty workspace shows its next steps at the top instead
        next_steps()


def pauses_in_force() -> None:
    """Crisis pauses in force, first and in red: what they cover, why, who set them and since when."""
    for p in paused.itertuples(index=False):
        until = f"until {common.when(p.ends_at, zone)}" if pd.notna(p.ends_at) else "until someone resumes it"
        missed = f" {wording.plural(p.missed, 'post')} due since did not go out." if p.missed else ""
        st.error(  # md-safe: until and missed are the app's own words, times and counts
            f"**Posting paused: {common.safe_md(p.scope)}**, {until}. Set by {common.safe_md(p.set_by)} on "
            f"{common.when(p.starts_at, zone)}. Why: {common.safe_md(p.reason)}.{missed}",
            icon=":material/pause_circle:",
        )
    if not paused.empty:
        st.page_link("planner/ui/calendar.py", label="Resume on the Calendar", icon=":material/calendar_month:")


def due_to_publish() -> None:
    """The next posts due to publish (staff post them on the platform), soonest first."""
    st.subheader("Due to publish next")
    if due.empty:
        st.caption(
            "Nothing is scheduled. Approved drafts can be scheduled on the Calendar (Auto-schedule places them all)."
        )
        return
    soon = due[due["soon"]]
    if not soon.empty:
        held = " (held by a pause: do not post)" if (soon["status"] == "paused").any() else ""
        st.warning(  # md-safe: held is the app's own text; titles go through safe_md
            f"{wording.plural(len(soon), 'post')} due within the hour{held}: "
            + "; ".join(common.safe_md(t) for t in soon["title"]),
            icon=":material/alarm:",
        )
    common.show_table(
        common.words(due, status=None).drop(columns=["id", "draft_id", "soon"]),
        hide_index=True,
        width="stretch",
        height=common.fit_height(len(due), most=8),
        on_select="rerun",
        selection_mode="single-row",
        key="home_due",
        column_config={
            "at": common.time_column("Due", zone, width="medium"),
            "channel": st.column_config.TextColumn("Channel", width="medium"),
            "title": st.column_config.TextColumn("Draft", width="large"),
            "campaign": st.column_config.TextColumn("Campaign", width="medium"),
            "status": st.column_config.TextColumn("State", width="small"),
            "pause_reason": st.column_config.TextColumn("Held by a pause because", width="medium"),
        },
    )
    st.caption("Staff post these on the platform, then mark them published on the Calendar. Pick one to open it.")
    state = st.session_state.get("home_due")
    if state and state.selection.rows:
        draft_id = int(due["draft_id"].iloc[state.selection.rows[0]])
        st.switch_page("planner/ui/drafts.py", query_params={"draft": str(draft_id)})
    st.page_link("planner/ui/calendar.py", label="Open the calendar", icon=":material/calendar_month:")


def week_results() -> None:
    """Reach, impressions, engagements and engagement rate of the last 7 days' posts against the week before."""
    st.subheader("This week's results")
    if week is None:
        st.caption("No figures recorded yet. After posts go out, import their analytics on Results.")
        return
    for col, fig in zip(st.columns(len(week.figures)), week.figures, strict=True):
        col.metric(fig.label, fig.value, delta=fig.change, border=True)  # md-safe: the app's figure names
    st.caption(
        f"Posts published in the last 7 days ({wording.plural(week.posts, 'post')}, {week.measured:d} with figures) "
        f"against the 7 days before ({wording.plural(week.posts_before, 'post')}); each post's latest figures."
    )
    st.page_link("planner/ui/metrics.py", label="Open Results", icon=":material/insights:")


def next_steps() -> None:
    """What to set up next; on an empty workspace, the button that loads the fictional demo."""
    if ov.next_steps:
        st.markdown("**Next steps**")
    for step in ov.next_steps:
        st.info(step, icon=":material/arrow_forward:")
    if not ov.demo_loaded and ov.posts == 0 and auth.can(actor, auth.Action.LOAD_DEMO):
        if st.button("Load the fictional demo workspace", key="home_load_demo", icon=":material/science:"):
            bar = st.progress(0.0, text="Loading the demo workspace...")
            with common.db_session() as session:
                done = common.run(
                    demo.load_demo,
                    session,
                    actor,
                    progress=lambda f, m: bar.progress(min(f, 1.0), text=m),
                    success="Demo workspace loaded",
                )
            if done:
                st.rerun()


if ov.posts == 0:
    st.subheader("Getting started")
    next_steps()
pauses_in_force()
headline = {"Your drafts sent back": len(sent_back), "Trends marked 'respond'": triage.get("respond", 0)}
if auth.can(actor, auth.Action.REVIEW_DRAFTS):
    headline = {"Waiting for your review": len(reviews), **headline}
headline["New trends to triage"] = triage.get("new", 0)
for col, (label, value) in zip(st.columns(len(headline)), headline.items(), strict=True):
    col.metric(label, f"{value:,}", border=True)

due_to_publish()
my_work()
trends_to_answer()

if new_trends:
    st.subheader("New trends since your last visit" if previous_visit else "New trends")
    if clock is not None:
        st.caption(f"Best by score; lifecycle {common.safe_md(clock.describe(zone))}.")
    for rec in new_trends:
        row = st.columns([3, 1, 2, 1, 2], vertical_alignment="center")
        row[0].text(rec["key"])  # monitored text: plain, never markdown
        row[1].badge(wording.label(rec["lifecycle"], "lifecycle"), color=LIFECYCLE_BADGES.get(rec["lifecycle"], "gray"))
        row[2].text(f"{rec['peak_volume']:,} posts vs {rec['baseline']:,.1f} expected")
        row[3].text(wording.plural(rec["unique_authors"], "account"))
        share = rec["coordination_share"]
        row[4].text("coordination not measured" if share is None else f"{share:.0%} coordinated")
    st.page_link("planner/ui/trends.py", label="Open Trends", icon=":material/trending_up:")

week_results()
the_workspace()

_name = wording.zone_name(pd.Timestamp.now(tz=zone).to_pydatetime())
st.caption(f"Times in {zone.key}" + (f" ({_name})." if _name != zone.key else "."))  # md-safe: IANA zone names
