"""Monitor > Networks: coordinated clusters of accounts, their network graph, and one account's posts over time."""

import html
from datetime import UTC, datetime, time, timedelta

import plotly.graph_objects as go
import streamlit as st

from planner import auth, wording, workspace
from planner.coordination import results
from planner.coordination.networks import DEFAULT_SIMILARITY, DEFAULT_WINDOW_S, KINDS, Params
from planner.coordination.runs import detect_and_store
from planner.ui import common

# Rows the tables show at most: the biggest clusters, a cluster's most active accounts.
MAX_CLUSTERS = 200
MAX_MEMBERS = 500
CLUSTER_PALETTE = ["#1f5f8b", "#d1495b", "#edae49", "#00798c", "#8d99ae", "#2a9d8f", "#6a4c93", "#f3722c"]

actor = common.require_actor()
common.header(
    "Networks",
    "Accounts that did the same thing within seconds of each other. Pick a detection run, then a coordinated cluster. "
    "Coordination is a signal, not proof of who is behind it.",
)
zone = common.user_zone()

overview = common.cached(workspace.overview)
runs = common.cached(results.runs)


def _export(run_id: int, fmt: str) -> bytes:
    with common.db_session() as session:
        return results.export_run(session, run_id, fmt)


def _run_detection_form() -> None:
    """The form that runs a new detection (for roles that may)."""
    with st.form("networks_detect"):
        c1, c2, c3, c4, c5 = st.columns([2, 1, 1, 1, 2])
        kind = c1.selectbox("Co-action", KINDS, key="networks_kind", help="What the accounts did alike.")
        window = c2.number_input("Window (s)", 0.0, 86_400.0, DEFAULT_WINDOW_S, step=10.0, key="networks_window")
        min_weight = c3.number_input("Min weight", 1, 1000, 2, key="networks_min_weight")
        similarity = c4.number_input(
            "Similarity", 0.05, 1.0, DEFAULT_SIMILARITY, step=0.05, key="networks_similarity", help="co-similar only"
        )
        first = overview.first_post_at.astimezone(zone).date() if overview.first_post_at else datetime.now(zone).date()
        last = overview.last_post_at.astimezone(zone).date() if overview.last_post_at else first
        span = c5.date_input("Posts from / to", value=(first, last), key="networks_dates")
        submitted = st.form_submit_button("Detect coordination", icon=":material/hub:", type="primary")
    if not submitted:
        return
    since = until = None
    if isinstance(span, tuple) and len(span) == 2:
        since = datetime.combine(span[0], time.min, tzinfo=zone).astimezone(UTC)
        until = datetime.combine(span[1] + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    params = Params(kind=kind, window_s=float(window), min_weight=int(min_weight), similarity=float(similarity))
    bar = st.progress(0.0, text="Starting detection...")
    with common.db_session() as session:
        done = common.run(
            detect_and_store,
            session,
            actor,
            params,
            since,
            until,
            progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m),
            success="Coordination detection finished",
        )
    if done is not None:
        st.query_params["run"] = str(done.run_id)
        st.rerun()


if overview.posts == 0:
    st.info("No monitored posts yet. Import a file (Monitor > Import) or load the demo workspace from Home.")
    st.stop()

if auth.can(actor, auth.Action.RUN_DETECTION):
    with st.expander("Run a new detection", expanded=runs.empty):
        _run_detection_form()

if runs.empty:
    st.info("No detection has run yet. Choose a co-action above and press Detect coordination.")
    st.stop()

labels = {
    int(r.id): f"{r.kind} within {r.window_s:g} s, min weight {r.min_weight}, run {common.when(r.created_at, zone)}"
    for r in runs.itertuples()
}
wanted = st.query_params.get("run")
default = int(wanted) if wanted and wanted.isdigit() and int(wanted) in labels else next(iter(labels))
c1, c2 = st.columns([3, 1])
run_id = c1.selectbox(
    "Detection run", list(labels), index=list(labels).index(default), format_func=labels.get, key="networks_run"
)
max_nodes = c2.slider("Graph: strongest accounts", 10, 400, results.DEFAULT_MAX_NODES, step=10, key="networks_nodes")
st.query_params["run"] = str(run_id)
run = runs.set_index("id").loc[run_id]

clusters = common.cached(results.clusters, run_id, limit=MAX_CLUSTERS)

m = st.columns(4)
m[0].metric("Coordinated clusters", f"{run.cluster_count:,}", border=True)
st.caption(
    f"{wording.plural(int(run.account_count), 'account')} in "
    f"{wording.plural(int(run.cluster_count), 'coordinated cluster')}."
)
m[1].metric("Accounts in clusters", f"{run.account_count:,}", border=True)
m[2].metric("Co-action edges", f"{run.edge_count:,}", border=True)
m[3].metric("Monitored posts checked", f"{run.posts_considered:,}", border=True)

with st.container(horizontal=True):
    for fmt, name, mime in (("csv", "CSV", "text/csv"), ("graphml", "GraphML", "application/graphml+xml")):
        st.download_button(  # md-safe: the two fixed format names
            f"Edges as {name}",
            data=lambda fmt=fmt: _export(run_id, fmt),
            file_name=f"coordination_run_{run_id}_{run.kind}.{fmt}",
            mime=mime,
            icon=":material/download:",
            key=f"networks_export_{fmt}",
        )

if clusters.empty:
    st.info("This run found no coordinated cluster. Try a longer window, a lower minimum weight, or another co-action.")
    st.stop()

st.subheader("Coordinated clusters")
if run.cluster_count > len(clusters):
    st.caption(f"The {len(clusters):,} biggest of {wording.plural(int(run.cluster_count), 'cluster')}.")
table = clusters.assign(
    first_at=common.local_times(clusters["first_at"], zone), last_at=common.local_times(clusters["last_at"], zone)
)
picked = common.show_table(
    table,
    column_order=[
        "rank",
        "summary",
        "accounts",
        "posts",
        "shared_objects",
        "median_delay_s",
        "first_at",
        "last_at",
    ],
    hide_index=True,
    width="stretch",
    height=common.fit_height(len(table), most=8),
    row_height=60,
    on_select="rerun",
    selection_mode="single-row",
    key="networks_clusters",
    column_config={
        "rank": st.column_config.NumberColumn("Cluster", width=60),
        "summary": st.column_config.TextColumn("What they did", width=240, help="Select a row to read it in full"),
        "accounts": st.column_config.NumberColumn("Accounts", width=80),
        "posts": st.column_config.NumberColumn("Posts", width=60, help="Coordinated posts"),
        "shared_objects": st.column_config.NumberColumn("Shared", width=65, help="Distinct shared objects"),
        "median_delay_s": st.column_config.NumberColumn("Median gap (s)", format="%.1f", width=110),
        "first_at": common.time_column("First", zone, width=150),
        "last_at": common.time_column("Last", zone, width=150),
    },
)
rows = picked.selection.rows if picked else []
cluster = clusters.iloc[rows[0]] if rows else None
cluster_id = int(cluster["id"]) if cluster is not None else None

graph = common.cached(results.graph, run_id, max_nodes=max_nodes, cluster_id=cluster_id)


def network_figure(g: results.Graph, title: str) -> go.Figure:
    """Draw the capped network: node size = strength, colour = cluster, hover = escaped handle."""
    pos = g.nodes.set_index("id")[["x", "y"]]
    xs, ys = [], []
    for a, b in g.edges[["source_id", "target_id"]].itertuples(index=False, name=None):
        xs += [pos.at[a, "x"], pos.at[b, "x"], None]
        ys += [pos.at[a, "y"], pos.at[b, "y"], None]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"width": 0.6, "color": "#adb5bd"}, hoverinfo="skip"))
    strength = g.nodes["strength"].clip(lower=1)
    fig.add_trace(
        go.Scatter(
            x=g.nodes["x"],
            y=g.nodes["y"],
            mode="markers",
            marker={
                "size": 8 + 22 * (strength / strength.max()) ** 0.5,
                "color": [CLUSTER_PALETTE[(c - 1) % len(CLUSTER_PALETTE)] for c in g.nodes["cluster"]],
                "line": {"width": 0.5, "color": "white"},
            },
            text=[
                f"{html.escape(wording.handle(h))} (cluster {c}, community {k})<br>"
                f"{wording.plural(p, 'coordinated post')}, strength {s}"
                for h, c, k, p, s in g.nodes[["author_handle", "cluster", "community", "posts", "strength"]].itertuples(
                    index=False, name=None
                )
            ],
            hovertemplate="%{text}<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        showlegend=False,
        height=520,
        xaxis={"visible": False, "title": "layout x (no unit)"},
        yaxis={"visible": False, "title": "layout y (no unit)"},
    )
    return fig


scope = f"cluster {int(cluster['rank'])}" if cluster is not None else "all clusters"
shown = f"all {wording.plural(graph.total_nodes, 'account')}"
if graph.total_nodes > len(graph.nodes):
    shown = f"{len(graph.nodes):,} strongest of {wording.plural(graph.total_nodes, 'account')}"
member_rows: list[int] = []
left, right = st.columns([3, 2])
with left:
    st.plotly_chart(network_figure(graph, f"Co-action network, {scope}: {shown}"), key="networks_graph")
with right:
    if cluster is None:
        st.info("Select a cluster in the table to see what its accounts did and drill into one account.")
        st.text(clusters.at[0, "summary"])
    else:
        st.markdown(f"**Cluster {int(cluster['rank'])}**")
        st.text(cluster["summary"])
        members = common.cached(results.members, run_id, cluster_id, limit=MAX_MEMBERS)
        if int(cluster["accounts"]) > len(members):
            st.caption(
                f"The {len(members):,} most active of its {wording.plural(int(cluster['accounts']), 'account')}."
            )
        chosen = common.show_table(
            members.assign(handle=members["author_handle"].map(wording.handle)),
            column_order=["handle", "platform", "community", "posts", "strength"],
            hide_index=True,
            width="stretch",
            height=300,
            on_select="rerun",
            selection_mode="single-row",
            key="networks_members",
            column_config={
                "handle": st.column_config.TextColumn("Handle", width="medium"),
                "platform": "Platform",
                "community": st.column_config.NumberColumn(
                    "Community", help="Leiden community inside the cluster: accounts linked more to each other"
                ),
                "posts": st.column_config.NumberColumn("Coordinated posts"),
                "strength": st.column_config.NumberColumn("Strength", help="Sum of its edge weights"),
            },
        )
        member_rows = chosen.selection.rows if chosen else []

if cluster is not None and member_rows:
    account = members.iloc[member_rows[0]]
    with common.db_session() as session:
        posts = results.account_posts(session, account["platform"], account["author_id"])
        total = results.account_post_count(session, account["platform"], account["author_id"])
    name = wording.handle(account["author_handle"], account["platform"])
    st.subheader(f"Posts of {common.safe_md(name)} over time")
    st.caption(f"{wording.plural(total, 'monitored post')}; the newest {len(posts):,} are shown. Times in {zone.key}.")
    posts["created_at"] = common.local_times(posts["created_at"], zone)
    hourly = posts.set_index("created_at").resample("h").size().rename("posts").reset_index()
    fig = go.Figure(go.Bar(x=hourly["created_at"], y=hourly["posts"], marker_color="#1f5f8b"))
    fig.update_layout(
        title=f"Posts per hour by {html.escape(name)}",
        xaxis_title=f"Time ({zone.key})",
        yaxis_title="Posts per hour",
        height=300,
    )
    st.plotly_chart(fig, key="networks_account_chart")
    common.show_table(
        posts,
        hide_index=True,
        width="stretch",
        column_config={
            "created_at": common.time_column("When", zone),
            "text": st.column_config.TextColumn("Text", width="large"),
            "hashtags": "Hashtags",
            "urls": st.column_config.TextColumn("Links", help="Shown as plain text: monitored links are not clickable"),
            "repost_of": "Repost of",
        },
    )
