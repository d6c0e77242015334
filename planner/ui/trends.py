"""Trends: what is spiking in the monitored posts, why the tool thinks so, and the analyst's triage."""

import json
from datetime import UTC, datetime, time, timedelta

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from planner import auth, narratives, trends, wording
from planner.ui import common

actor = common.require_actor()
common.header(
    "Trends",
    "Hashtags, terms, links and narratives spiking in the monitored posts. Run detection, then open a trend to triage.",
)
zone = common.user_zone()
can_detect = auth.can(actor, auth.Action.RUN_DETECTION)
can_triage = auth.can(actor, auth.Action.TRIAGE_TRENDS)

CLOCK_CHOICES = {
    "Automatic": None,
    "Now (live monitoring)": "now",
    "The newest monitored post": "newest",
    "A time I choose": "chosen",
}

if can_detect:
    with st.expander("Run detection", expanded=False), st.form("detect_form"):
        cols = st.columns([1, 2, 1, 1])
        bucket = cols[0].selectbox("Time bucket", ["5min", "15min", "30min", "1h", "3h", "6h", "1d"], index=3)
        kinds = cols[1].pills(
            "Keys",
            list(trends.KINDS),
            selection_mode="multi",
            default=list(trends.KINDS),
            format_func=lambda k: wording.label(k, "kind"),
            key="detect_kinds",
        )
        since = cols[2].date_input("From (optional)", value=None, key="detect_since")
        until = cols[3].date_input("Until (optional)", value=None, key="detect_until")
        clock_cols = st.columns([2, 1, 1])
        clock_choice = clock_cols[0].selectbox(
            "Lifecycle as of",
            list(CLOCK_CHOICES),
            key="detect_clock",
            help="Automatic: now when the newest monitored post is from the last 24 hours (live monitoring), "
            "otherwise the newest monitored post (a historical import).",
        )
        chosen_day = clock_cols[1].date_input("Chosen day", value=None, key="detect_clock_day")
        chosen_time = clock_cols[2].time_input("Chosen time", value=time(12, 0), key="detect_clock_time")
        if st.form_submit_button("Detect trends", icon=":material/radar:", type="primary"):
            as_of = CLOCK_CHOICES[clock_choice]
            if as_of == "chosen":
                as_of = datetime.combine(chosen_day, chosen_time, zone).astimezone(UTC) if chosen_day else None
            bar = st.progress(0.0, text="Starting detection...")
            with common.db_session() as session:
                run = common.run(
                    trends.detect_trends,
                    session,
                    actor,
                    since=datetime.combine(since, time(), zone).astimezone(UTC) if since else None,
                    until=datetime.combine(until + timedelta(days=1), time(), zone).astimezone(UTC) if until else None,
                    bucket=bucket,
                    kinds=tuple(kinds) or None,
                    progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m),
                    as_of=as_of,
                )
            if run is not None:
                bar.empty()
                st.toast(
                    f"Found {wording.plural(run.trends_found, 'trend')} in "
                    f"{wording.plural(run.posts_scanned, 'monitored post')}"
                )

# Two rows, so every pill and label fits at laptop widths.
top_filters = st.columns([5, 4])
kind_filter = top_filters[0].pills(
    "Kind", list(trends.KINDS), selection_mode="multi", format_func=lambda k: wording.label(k, "kind"), key="f_kind"
)
life_filter = top_filters[1].pills(
    "Lifecycle", list(trends.LIFECYCLES), selection_mode="multi", format_func=wording.label, key="f_life"
)
more_filters = st.columns([1, 2, 2], vertical_alignment="bottom")
watch_only = more_filters[0].toggle("Watchlist only", key="f_watch")
status_filter = more_filters[1].pills(
    "Triage",
    list(trends.STATUSES),
    selection_mode="multi",
    format_func=lambda t: wording.label(t, "triage"),
    key="f_status",
)
span = more_filters[2].date_input("Detected between", value=(), key="f_span")
flt = trends.TrendFilter(
    kinds=tuple(kind_filter or ()),
    lifecycles=tuple(life_filter or ()),
    statuses=tuple(status_filter or ()),
    watchlisted_only=watch_only,
    since=datetime.combine(span[0], time(), zone).astimezone(UTC) if len(span) >= 1 else None,
    until=datetime.combine(span[1] + timedelta(days=1), time(), zone).astimezone(UTC) if len(span) == 2 else None,
)

with common.db_session() as session:
    found = trends.query_trends(session, flt, limit=500)
    table = trends.trends_frame(found)
    run = trends.latest_run(session)
    clock = trends.run_clock(run) if run is not None else None

if run is None:
    st.info("No detection has run yet. Import monitored posts (or load the demo workspace), then run detection above.")
    st.stop()

metrics = st.columns(4)
metrics[0].metric("Trends shown", f"{len(table):,}", border=True)
metrics[1].metric("Emerging", f"{int((table['lifecycle'] == 'emerging').sum()):,}", border=True)
metrics[2].metric("On a watchlist", f"{int(table['watchlisted'].sum()):,}", border=True)
metrics[3].metric("Awaiting triage", f"{int((table['status'] == 'new').sum()):,}", border=True)
st.caption(
    f"Last detection: {common.when(run.started_at, zone)} by {common.safe_md(run.actor_name)}, "
    f"{wording.plural(run.posts_scanned, 'monitored post')}, {wording.plural(run.trends_found, 'trend')}. "
    + (f"Lifecycle {common.safe_md(clock.describe(zone))}." if clock else "Lifecycle as of the end of the data.")
    + " Ranked by score; see the Trends guide in docs/trends.md for how it is computed."
)

if table.empty:
    st.info("No trend matches these filters. Clear a filter or widen the time range.")
    st.stop()

view = table.assign(
    detected_at=common.local_times(table["detected_at"], zone),
    watchlisted=table["watchlisted"].map({True: "yes", False: ""}),
    also=table["also"].map(", ".join),
    kind=table["kind"].map(lambda k: wording.label(k, "kind")),
    lifecycle=table["lifecycle"].map(wording.label),
    status=table["status"].map(lambda t: wording.label(t, "triage")),
)
# What matters for triage first; "Also" may scroll. The excess (peak minus expected) is in the data only.
SHOWN = [
    "key",
    "kind",
    "series",
    "lifecycle",
    "status",
    "score",
    "peak_volume",
    "baseline",
    "unique_authors",
    "detected_at",
    "coordination_share",
    "watchlisted",
    "also",
]
event = common.show_table(
    view[[*SHOWN, "excess"]],
    column_order=SHOWN,
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key="trend_table",
    column_config={
        "key": st.column_config.TextColumn("Trend", width=140),
        "kind": st.column_config.TextColumn("Kind", width=60),
        "series": st.column_config.LineChartColumn("Volume", width=65),
        "lifecycle": st.column_config.TextColumn("Lifecycle", width=75),
        "score": st.column_config.NumberColumn(
            "Score",
            format="%.1f",
            width=55,
            help="log10 of (excess posts + 1) x accounts x surprise; higher is more urgent",
        ),
        "peak_volume": st.column_config.NumberColumn("Peak", width=50, help="Posts in the busiest bucket"),
        "baseline": st.column_config.NumberColumn("Expected", format="%.1f", width=70, help="Posts expected"),
        "excess": st.column_config.NumberColumn("Excess", format="%+.0f", width=60, help="Peak posts above expected"),
        "unique_authors": st.column_config.NumberColumn("Accounts", width=70, help="Distinct accounts in the peak"),
        "detected_at": common.time_column("Detected", zone, width=125),
        "watchlisted": st.column_config.TextColumn("Watchlist", width=70),
        "coordination_share": st.column_config.ProgressColumn(
            "Coordinated",
            width=90,
            min_value=0.0,
            max_value=1.0,
            format="percent",
            help="Share of its posts since detection that came from accounts in coordinated clusters (latest run)",
        ),
        "status": st.column_config.TextColumn("Triage", width=75),
        "also": st.column_config.TextColumn("Also", help="Keys that burst in the same posts, folded into this trend"),
    },
)

rows = event.selection.rows if event and event.selection else []
if rows:
    st.query_params["trend"] = str(int(table["id"].iloc[rows[0]]))
selected = st.query_params.get("trend")
if not selected or not selected.isdigit():
    st.caption("Select a row to see why it is a trend, its posts and accounts, and to triage it.")
    st.stop()

with common.db_session() as session:
    trend = common.run(trends.get_trend, session, int(selected))
    if trend is None:
        st.stop()
    series = trends.trend_series(trend)
    posts = trends.trend_posts(session, trend)
    accounts = trends.top_accounts(trend)
    narrative = narratives.narrative_of_posts(session, [int(i) for i in posts["id"]])
    explanation = trends.explanation_for(trend)

st.subheader(f"{common.safe_md(trend.key)} ({wording.label(trend.kind, 'kind').lower()})")
st.text(explanation)
folded = json.loads(trend.also or "[]")
if folded:
    more = f" and {len(folded) - 12} more" if len(folded) > 12 else ""
    st.text("Also (burst in the same posts): " + ", ".join(folded[:12]) + more)
colour = common.LIFECYCLE_COLOURS.get(trend.lifecycle, "#8d99ae")
frame = series.frame.assign(bucket_start=common.local_times(series.frame["bucket_start"], zone))
fig = go.Figure()
fig.add_bar(x=frame["bucket_start"], y=frame["posts"], name="posts seen", marker_color=colour)
fig.add_scatter(x=frame["bucket_start"], y=frame["expected"], name="expected", line={"color": "#1f5f8b"})
fig.add_scatter(
    x=frame["bucket_start"],
    y=frame["needed"],
    name="minimum to be flagged",
    line={"color": "#1f5f8b", "dash": "dot"},
)
for start, end in series.bursts:
    fig.add_vrect(
        x0=pd.Timestamp(start).tz_convert(zone),
        x1=pd.Timestamp(end).tz_convert(zone),
        fillcolor="#edae49",
        opacity=0.2,
        line_width=0,
    )
fig.update_layout(
    title=f"Posts per {trends.bucket_label(pd.Timedelta(seconds=trend.bucket_seconds))} vs expected "
    "(shaded: Kleinberg bursts)",
    xaxis_title=f"Time ({zone.key})",
    yaxis_title="Monitored posts",
    legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
    margin={"t": 90},
)
st.plotly_chart(fig, width="stretch", key="trend_chart")

left, right = st.columns([3, 2])
with left:
    st.markdown("**Top posts at the peak**")
    if posts.empty:
        st.caption("No sample posts stored for this trend.")
    for rec in posts.itertuples():
        st.text(f"{wording.handle(rec.author_handle)} · {common.when(rec.created_at, zone)}\n{rec.text}")
with right:
    st.markdown("**Top accounts since detection**")
    common.show_table(
        accounts.rename(columns={"account": "Account", "posts": "Posts"}),
        hide_index=True,
        width="stretch",
        key="trend_accounts",
    )
    st.markdown("**Narrative**")
    st.text(narrative or "No narratives built yet (Narratives page).")

st.markdown("**Triage**")
if can_triage:
    with st.form("triage_form"):
        status = st.segmented_control(
            "Status",
            list(trends.STATUSES),
            default=trend.status,
            format_func=lambda t: wording.label(t, "triage"),
            key=f"triage_status_{trend.id}",
        )
        note = st.text_area("Note", value=trend.status_note, key=f"triage_note_{trend.id}")
        if st.form_submit_button("Save triage", icon=":material/save:"):
            with common.db_session() as session:
                common.run(
                    trends.set_status,
                    session,
                    actor,
                    trend.id,
                    status or trend.status,
                    note,
                    success=f"{common.safe_md(trend.key)}: {wording.label(status or trend.status, 'triage')}",
                )
else:
    st.text(f"Triage: {wording.label(trend.status, 'triage')}. {trend.status_note}")
