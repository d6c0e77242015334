"""Home: the state of the workspace and what to do next."""

import streamlit as st

from planner import auth, demo, trends, workspace
from planner.ui import common, schedule_widgets

actor = common.require_actor()
common.header("Home", "Where this workspace stands and what to do next.")
zone = common.user_zone()

# A visit is one browser session: record it once, so reruns of this page keep showing what was new.
if "previous_visit" not in st.session_state:
    with common.db_session() as session:
        st.session_state["previous_visit"] = auth.touch_last_seen(session, actor)
previous_visit = st.session_state["previous_visit"]
with common.db_session() as session:
    ov = workspace.overview(session)
    new_trends = [trends.trend_record(t) for t in trends.new_since(session, previous_visit)]

cols = st.columns(4)
cols[0].metric("Monitored posts", f"{ov.posts:,}", border=True)
cols[1].metric("Import batches", f"{ov.batches:,}", border=True)
cols[2].metric("Active users", f"{ov.users:,}", border=True)
cols[3].metric("Audit entries", f"{ov.audit_entries:,}", border=True)

if ov.first_post_at and ov.last_post_at:
    st.write(
        f"Monitored posts span **{ov.first_post_at.astimezone(zone):%Y-%m-%d %H:%M}** to "
        f"**{ov.last_post_at.astimezone(zone):%Y-%m-%d %H:%M}** ({zone.key})."
    )
if previous_visit:
    st.caption(f"Your previous visit: {previous_visit.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key}).")

if new_trends:
    st.subheader("New trends since your last visit" if previous_visit else "Trends")
    for rec in new_trends:
        st.text(f"{rec['key']} ({rec['kind']}, {rec['lifecycle']}): {rec['explanation']}")
    st.page_link("planner/ui/trends.py", label="Open Trends", icon=":material/trending_up:")

schedule_widgets.due_next_hour(zone)

st.subheader("Next steps")
if ov.next_steps:
    for step in ov.next_steps:
        st.markdown(f"- {step}")
else:
    st.success("The workspace is set up. Pick a section in the sidebar.")

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
