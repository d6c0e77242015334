"""Narratives: clusters of similar monitored posts, their volume over time and representative posts."""

import plotly.express as px
import streamlit as st

from planner import auth, narratives, wording
from planner.ui import common

actor = common.require_actor()
common.header("Narratives", "Groups of monitored posts that tell the same story. Build them, then follow their volume.")
zone = common.user_zone()

if auth.can(actor, auth.Action.RUN_DETECTION):
    with st.expander("Build narratives", expanded=False), st.form("narratives_form"):
        cols = st.columns(2)
        clusters = cols[0].number_input("Narratives to find", min_value=2, max_value=50, value=8, key="n_clusters")
        seed = cols[1].number_input("Seed (same seed, same narratives)", min_value=0, value=0, key="n_seed")
        if st.form_submit_button("Build narratives", icon=":material/hub:", type="primary"):
            bar = st.progress(0.0, text="Starting...")
            with common.db_session() as session:
                built = common.run(
                    narratives.build_narratives,
                    session,
                    actor,
                    n_clusters=int(clusters),
                    seed=int(seed),
                    progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m),
                )
            if built is not None:
                bar.empty()
                st.toast(f"Found {wording.plural(len(built), 'narrative')}")

table = common.cached(narratives.list_narratives)
if table.empty:
    st.info("No narratives yet. Import monitored posts (or load the demo workspace), then build narratives above.")
    st.stop()

BUCKETS = {"1h": "hour", "6h": "6 hours", "1d": "day"}
bucket = (
    st.segmented_control("Posts counted per", list(BUCKETS), default="6h", format_func=BUCKETS.get, key="n_bucket")
    or "6h"
)
volume = common.cached(narratives.narrative_volume, bucket)
cols = st.columns(3)
cols[0].metric("Narratives", f"{len(table):,}", border=True)
cols[1].metric("Posts in narratives", f"{int(table['size'].sum()):,}", border=True)
cols[2].metric("Largest", f"{int(table['size'].max()):,} posts", border=True)

volume = volume.assign(bucket_start=common.local_times(volume["bucket_start"], zone))
fig = px.area(volume, x="bucket_start", y="posts", color="narrative", title=f"Posts per {BUCKETS[bucket]} by narrative")
fig.update_layout(xaxis_title=f"Time ({zone.key})", yaxis_title="Monitored posts", legend_title="Narrative")
st.plotly_chart(fig, width="stretch", key="narrative_chart")

view = table.assign(
    first_at=common.local_times(table["first_at"], zone), last_at=common.local_times(table["last_at"], zone)
)
event = common.show_table(
    view[["label", "representative", "size", "first_at", "last_at"]],
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key="narrative_table",
    column_config={
        "label": st.column_config.TextColumn("Narrative", help="Its most distinctive terms (class-based TF-IDF)"),
        "representative": st.column_config.TextColumn("Representative post", width="large"),
        "size": st.column_config.NumberColumn("Posts"),
        "first_at": common.time_column("First", zone),
        "last_at": common.time_column("Last", zone),
    },
)
rows = event.selection.rows if event and event.selection else []
if not rows:
    st.caption("Select a narrative to read its most representative posts.")
    st.stop()
chosen = table.iloc[rows[0]]
with common.db_session() as session:
    samples = common.run(narratives.sample_posts, session, int(chosen["id"]))
st.subheader(common.safe_md(chosen["label"]))
for rec in (samples if samples is not None else []).itertuples():
    st.text(f"{wording.handle(rec.author_handle)}\n{rec.text}")
