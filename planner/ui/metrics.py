"""Results: did our published posts reach people and work? KPIs with definitions, targets, share of voice, A/B."""

from datetime import UTC, datetime, time, timedelta

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from planner import auth, campaigns, channels, wording
from planner.ingest.source import FormatError, Source
from planner.metrics import besttime, importer, kpis, presets, results, snapshots, voice
from planner.ui import common

FIELD_LABELS = {
    "post_id": "Post id",
    "url": "Post link",
    "text": "Post text",
    "published_at": "Published at",
    "captured_at": "Figures as of",
}

actor = common.require_actor()
common.header(
    "Results",
    "How our published posts did: KPIs with their definitions, targets, share of voice and A/B verdicts. "
    "Import a platform export or enter figures to start.",
)
zone = common.user_zone()
can_record = auth.can(actor, auth.Action.RECORD_METRICS)

with common.db_session() as session:
    camp_frame = campaigns.list_campaigns(session)
    channel_rows = [(c.id, channels.label(c)) for c in channels.list_channels(session, active_only=False)]
camp_names = dict(zip(camp_frame["id"].tolist(), camp_frame["name"].tolist(), strict=True)) if len(camp_frame) else {}

filters = st.columns([2, 2, 3])
options = [None, *camp_names]
wanted = st.query_params.get("campaign")
default = options.index(int(wanted)) if wanted and wanted.isdigit() and int(wanted) in camp_names else 0
campaign_id = filters[0].selectbox(
    "Campaign", options, index=default, format_func=lambda i: "All campaigns" if i is None else camp_names[i]
)
if campaign_id is not None:
    st.query_params["campaign"] = str(campaign_id)
else:
    st.query_params.pop("campaign", None)
span = filters[1].date_input("Published between", value=(), key="m_span")
since = datetime.combine(span[0], time(), zone).astimezone(UTC) if len(span) >= 1 else None
until = datetime.combine(span[1] + timedelta(days=1), time(), zone).astimezone(UTC) if len(span) == 2 else None
scope = results.Scope(campaign_id, since, until)

summary = common.run(common.cached, results.summary, campaign_id, scope)
if summary is None:
    st.stop()
values = summary.values


def metric(col, key: str, label: str | None = None) -> None:
    """Show one KPI with its definition as help text."""
    kpi = kpis.KPI_BY_KEY[key]
    col.metric(  # md-safe: KPI labels and definitions are the app's own words (kpis.KPI_BY_KEY)
        label or kpi.label, kpis.format_value(key, values.get(key)), help=kpi.definition, border=True
    )


row = st.columns(4)
metric(row[0], "posts")
metric(row[1], "impressions")
metric(row[2], "reach")
metric(row[3], "engagements")
row = st.columns([1.3, 1.3, 1, 1])
metric(row[0], "engagement_rate_impressions")
metric(row[1], "engagement_rate_reach")
metric(row[2], "share_of_voice")
metric(row[3], "time_to_response_minutes")
if values.get("reach"):
    st.caption(
        f"Unique people reached: between {values['reach_lower_bound']:,.0f} (the best-reaching post) and "
        f"{values['reach']:,.0f} (the sum over posts, which counts a person once per post seen). Reach is not "
        "success: check the people reached were the audience the campaign is for."
    )
for note in summary.notes:
    st.info(note)

if not values.get("posts"):
    st.info("No published posts in this selection yet. Mark scheduled posts published on the Calendar page.")

# After an import the page reruns (to show the new figures above): it opens on the Import tab again, with the outcome.
tab_overview, tab_posts, tab_best, tab_ab, tab_import, tab_manual = st.tabs(
    ["Overview", "Posts", "Best time to post", "A/B tests", "Import", "Enter figures"],
    default="Import" if st.session_state.get("m_after_import") else None,
    key="m_tabs",
)

with tab_overview:
    st.subheader("KPIs and their definitions")
    definitions = pd.DataFrame(
        [
            {
                "KPI": k.label,
                "Value": kpis.format_value(k.key, values.get(k.key)),
                "Formula": k.formula,
                "Definition": k.definition,
            }
            for k in kpis.KPIS
        ]
    )
    common.show_table(
        definitions,
        hide_index=True,
        width="stretch",
        key="kpi_definitions",
        column_config={"Definition": st.column_config.TextColumn("Definition", width="large")},
    )

    if summary.targets:
        st.subheader("Targets")
        tgt = pd.DataFrame([t.as_dict() for t in summary.targets])
        measured = tgt[tgt["attainment"].notna()]
        if len(measured):
            fig = go.Figure(
                go.Bar(
                    x=measured["attainment"] * 100,
                    y=measured["metric"],
                    orientation="h",
                    marker_color=["#2a9d8f" if a >= 1 else "#d1495b" for a in measured["attainment"]],
                    hovertemplate="%{y}: %{x:.0f} % of target<extra></extra>",
                )
            )
            fig.add_vline(x=100, line_dash="dash", line_color="#264653")
            fig.update_layout(
                title="KPIs against the campaign's targets",
                xaxis_title="% of target met",
                yaxis_title="",
                height=120 + 40 * len(measured),
            )
            st.plotly_chart(fig, key="targets_chart")
        common.show_table(
            tgt.assign(
                actual=[kpis.format_value(k, a) if k else "" for k, a in zip(tgt["kpi"], tgt["actual"], strict=True)],
                target=[
                    kpis.format_value(k, t) if k else f"{t:,.0f} {u}".strip()
                    for k, t, u in zip(tgt["kpi"], tgt["target"], tgt["unit"], strict=True)
                ],
            )[["metric", "target", "actual", "attainment", "note"]],
            hide_index=True,
            width="stretch",
            key="targets_table",
            column_config={
                "metric": st.column_config.TextColumn("Target"),
                "target": st.column_config.TextColumn("Goal"),
                "actual": st.column_config.TextColumn("Measured"),
                "attainment": st.column_config.ProgressColumn("Met", min_value=0.0, max_value=1.0, format="percent"),
                "note": st.column_config.TextColumn("Note", width="large"),
            },
        )

    volume = common.cached(voice.volume_over_time, scope, summary.voice)
    reach = common.cached(results.reach_over_time, scope)
    if len(volume):
        fig = make_subplots(specs=[[{"secondary_y": True}]])
        fig.add_bar(x=volume["day"], y=volume["our_posts"], name="Our posts", marker_color="#1f5f8b")
        fig.add_scatter(
            x=volume["day"],
            y=volume["monitored_posts"],
            name="Monitored posts on the trends",
            mode="lines+markers",
            line_color="#d1495b",
            secondary_y=True,
        )
        fig.update_layout(title="Our posts vs the trends' monitored volume, per day", xaxis_title="Day (UTC)")
        fig.update_yaxes(title_text="Our posts", secondary_y=False)
        fig.update_yaxes(title_text="Monitored posts", secondary_y=True, rangemode="tozero")
        fig.update_yaxes(rangemode="tozero", secondary_y=False)
        st.plotly_chart(fig, key="volume_chart")
    if not summary.voice.empty:
        common.show_table(
            summary.voice.assign(
                window_start=common.local_times(summary.voice["window_start"], zone),
                window_end=common.local_times(summary.voice["window_end"], zone),
            )[
                [
                    "trend",
                    "window_start",
                    "window_end",
                    "our_posts",
                    "our_reach",
                    "monitored_posts",
                    "share_of_voice",
                    "time_to_response_minutes",
                ]
            ],
            hide_index=True,
            width="stretch",
            key="voice_table",
            column_config={
                "trend": st.column_config.TextColumn("Trend or narrative"),
                "window_start": st.column_config.DatetimeColumn(
                    f"Monitored from ({zone.key})", format="YYYY-MM-DD HH:mm"
                ),
                "window_end": st.column_config.DatetimeColumn("until", format="YYYY-MM-DD HH:mm"),
                "our_posts": st.column_config.NumberColumn("Our posts"),
                "our_reach": st.column_config.NumberColumn("Our reach (sum)"),
                "monitored_posts": st.column_config.NumberColumn("Monitored posts"),
                "share_of_voice": st.column_config.ProgressColumn(
                    "Share of voice",
                    min_value=0.0,
                    max_value=1.0,
                    format="percent",
                    help=kpis.KPI_BY_KEY["share_of_voice"].definition,
                ),
                "time_to_response_minutes": st.column_config.NumberColumn(
                    "Time to response (min)", format="%.0f", help=kpis.KPI_BY_KEY["time_to_response_minutes"].definition
                ),
            },
        )
    if len(reach):
        fig = go.Figure()
        fig.add_scatter(x=reach["day"], y=reach["impressions"], name="Impressions", mode="lines+markers")
        fig.add_scatter(x=reach["day"], y=reach["reach"], name="Reach (sum over posts)", mode="lines+markers")
        fig.update_layout(
            title="Reach over time (as known at the end of each day)",
            xaxis_title="Day (UTC)",
            yaxis_title="People / displays, summed over posts",
        )
        st.plotly_chart(fig, key="reach_chart")
        st.caption(kpis.KPI_BY_KEY["reach"].definition)

with tab_posts:
    sort_cols = st.columns([2, 1, 1])
    sort = sort_cols[0].selectbox(
        "Sort by", list(results.SORTABLE), format_func=results.SORTABLE.get, index=4, key="m_sort"
    )
    descending = sort_cols[1].toggle("Highest first", value=True, key="m_desc")
    _first, total = common.cached(results.posts_table, scope, sort, descending, limit=1)
    pages = max((total - 1) // results.PAGE_SIZE + 1, 1)
    page = sort_cols[2].number_input("Page", min_value=1, max_value=pages, value=1, key="m_page")
    posts, total = common.cached(
        results.posts_table, scope, sort, descending, limit=results.PAGE_SIZE, offset=(page - 1) * results.PAGE_SIZE
    )
    st.caption(f"{total:,} published posts; page {page:d} of {pages:d}. Rates use each post's latest figures.")
    rate_target = next((t.target for t in summary.targets if t.kpi == "engagement_rate_impressions" and t.target), None)
    if rate_target:
        posts = posts.assign(vs_target=posts["engagement_rate_impressions"] / rate_target)
        below = posts[posts["vs_target"] < 1]
        if len(below):
            st.warning(
                f"{wording.plural(len(below), 'post')} on this page {'is' if len(below) == 1 else 'are'} below the "
                "campaign's engagement-rate target of "
                f"{rate_target * 100:.1f} %."
            )
    view = posts.assign(
        published_at=common.local_times(posts["published_at"], zone),
        channel=posts["platform"] + " " + posts["channel"],
    )
    columns = [
        "published_at",
        "draft",
        "ab_label",
        "channel",
        "impressions",
        "reach",
        "engagements",
        "engagement_rate_impressions",
        "engagement_rate_reach",
        "ctr",
        "video_completion_rate",
        "follows_gained",
    ] + (["vs_target"] if "vs_target" in view else [])
    event = common.show_table(
        view[columns],
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="posts_table",
        column_config={
            "published_at": st.column_config.DatetimeColumn(f"Published ({zone.key})", format="YYYY-MM-DD HH:mm"),
            "draft": st.column_config.TextColumn("Draft"),
            "ab_label": st.column_config.TextColumn("A/B"),
            "channel": st.column_config.TextColumn("Channel"),
            "impressions": st.column_config.NumberColumn("Impressions", format="localized"),
            "reach": st.column_config.NumberColumn("Reach", format="localized"),
            "engagements": st.column_config.NumberColumn("Engagements", format="localized"),
            "engagement_rate_impressions": st.column_config.NumberColumn("Eng. rate (impressions)", format="percent"),
            "engagement_rate_reach": st.column_config.NumberColumn("Eng. rate (reach)", format="percent"),
            "ctr": st.column_config.NumberColumn("Click-through", format="percent"),
            "video_completion_rate": st.column_config.NumberColumn("Video completion", format="percent"),
            "follows_gained": st.column_config.NumberColumn("Follows"),
            "vs_target": st.column_config.ProgressColumn(
                "Eng. rate vs target", min_value=0.0, max_value=1.0, format="percent"
            ),
        },
    )
    selected = event.selection.rows if event and event.selection else []
    if selected:
        entry_id = int(posts.iloc[selected[0]]["entry_id"])
        st.subheader("History of the selected post")
        with common.db_session() as session:
            hist = snapshots.history(session, entry_id)
        if hist.empty:
            st.info("No figures recorded for this post yet.")
        else:
            hist = hist.assign(captured_at=common.local_times(hist["captured_at"], zone))
            fig = go.Figure()
            for col in ("impressions", "reach", "engagements"):
                if hist[col].notna().any():
                    fig.add_scatter(
                        x=hist["captured_at"],
                        y=hist[col],
                        name=kpis.COMPONENT_LABELS.get(col, "Engagements"),
                        mode="lines+markers",
                    )
            fig.update_layout(title="Figures as captured", xaxis_title=f"Captured ({zone.key})", yaxis_title="Count")
            st.plotly_chart(fig, key="history_chart")
            common.show_table(hist, hide_index=True, width="stretch", key="history_table")

with tab_best:
    if not channel_rows:
        st.info("No channels yet. Add the team's channels on the Campaigns page.")
    else:
        labels = dict(channel_rows)
        channel_id = st.selectbox("Channel", list(labels), format_func=labels.get, key="m_best_channel")
        with common.db_session() as session:
            grid = besttime.heatmap(session, channel_id, zone=zone.key)
        if grid.isna().all().all():
            st.info("No published posts with impressions on this channel in the last 16 weeks.")
        else:
            fig = go.Figure(
                go.Heatmap(
                    z=grid.to_numpy(),
                    x=[f"{h:02d}:00" for h in grid.columns],
                    y=list(besttime.WEEKDAYS),
                    colorscale="RdYlGn",
                    zmid=1.0,
                    colorbar={"title": "× usual rate"},
                    hovertemplate="%{y} %{x}: %{z:.2f} × the channel's usual engagement rate<extra></extra>",
                )
            )
            fig.update_layout(
                title="Best time to post: engagement rate by hour of week, last 16 weeks",
                xaxis_title=f"Hour ({zone.key})",
                yaxis_title="Day",
                yaxis_autorange="reversed",
            )
            st.plotly_chart(fig, key="best_time_chart")
            st.caption(
                "1.0 is the channel's usual engagement rate by impressions; hours with few posts are pulled towards "
                "1.0. Empty cells: no posts then. The schedule's slot suggestions can use these scores."
            )

with tab_ab:
    tests = common.run(common.cached, results.ab_tests, scope)
    if not tests:
        st.info("No A/B pair yet: give drafts the labels A and B, publish both on one channel, then record figures.")
    else:
        rows = []
        for channel, res in tests:
            rows.append(
                {
                    "channel": channel,
                    "rate_a": res.a.rate,
                    "impressions_a": res.a.impressions,
                    "rate_b": res.b.rate,
                    "impressions_b": res.b.impressions,
                    "p_value": res.p_value,
                    "verdict": res.verdict,
                    "warnings": " ".join(res.warnings),
                }
            )
        common.show_table(
            pd.DataFrame(rows),
            hide_index=True,
            width="stretch",
            key="ab_table",
            column_config={
                "channel": st.column_config.TextColumn("Channel"),
                "rate_a": st.column_config.NumberColumn("A: eng. rate", format="percent"),
                "impressions_a": st.column_config.NumberColumn("A: impressions", format="localized"),
                "rate_b": st.column_config.NumberColumn("B: eng. rate", format="percent"),
                "impressions_b": st.column_config.NumberColumn("B: impressions", format="localized"),
                "p_value": st.column_config.NumberColumn("p", format="%.3f"),
                "verdict": st.column_config.TextColumn("Verdict", width="large"),
                "warnings": st.column_config.TextColumn("Warnings", width="medium"),
            },
        )
        for _channel, res in tests:
            (st.success if res.significant else st.info)(res.verdict)
        st.caption("Two-proportion z-test on engagements per impression, 95 % interval of the difference in points.")

with tab_import:
    if not can_record:
        st.info("Your role may read results but not record figures. Ask a drafter or an admin.")
    else:
        st.caption(
            "Upload a post-level analytics export: X (Content or Tweet activity), Meta Business Suite (Facebook or "
            "Instagram posts), YouTube Studio (Table data.csv), or any CSV with a column mapping."
        )
        upload = st.file_uploader("Export file", type=["csv", "txt"], key="m_upload")
        if upload is not None:
            source = Source.from_bytes(upload.name, upload.getvalue())
            columns = common.run(importer.read_columns, source) or []
            suggested = presets.suggest_preset(columns)
            preset = (
                st.segmented_control(
                    "Preset",
                    list(presets.PRESETS),
                    default=suggested,
                    key=f"m_preset_{upload.name}",
                    format_func=lambda n: presets.PRESETS[n].label,
                )
                or suggested
            )
            guess = {}
            try:
                guess = presets.get_preset(preset).resolve_mapping(columns)
            except FormatError as exc:
                st.warning(common.safe_md(str(exc)))
            mapping = {}
            with st.expander("Column mapping", expanded=preset == "generic"):
                grid = st.columns(4)
                for i, fld in enumerate(presets.FIELDS):
                    choice = grid[i % 4].selectbox(
                        FIELD_LABELS.get(fld) or kpis.COMPONENT_LABELS[fld],
                        ["", *columns],
                        index=(["", *columns].index(guess[fld]) if fld in guess else 0),
                        key=f"m_map_{fld}",
                        format_func=lambda c: c or "(not in the file)",
                    )
                    if choice != guess.get(fld, ""):
                        mapping[fld] = choice
            tz_name = st.text_input("Time zone of the file's times", "UTC", key="m_tz")
            buttons = st.columns(2)
            dry = buttons[0].button("Dry run", key="m_dry", icon=":material/fact_check:")
            real = buttons[1].button("Import", key="m_import", type="primary", icon=":material/upload:")
            if dry or real:
                options = importer.MetricsImportOptions(preset=preset, mapping=mapping, timezone=tz_name)
                with common.db_session() as session:
                    report = common.run(
                        importer.import_metrics,
                        session,
                        actor,
                        source,
                        options,
                        dry_run=dry,
                        on_error=lambda exc: st.session_state.update(m_report=getattr(exc, "report", None)),
                    )
                if report is not None:
                    st.session_state["m_report"] = report
                    if not dry:
                        st.session_state["m_after_import"] = True
                        st.rerun()  # the KPIs above were read before the import: show them with its figures
        report = st.session_state.get("m_report")
        if report is not None:
            outcome = st.info if report.dry_run or not report.ok or report.unmatched else st.success
            outcome(common.safe_md(report.sentence()), icon=":material/upload_file:")
            if report.errors or report.conflicts:
                problems = [{"row": e.row, "field": e.field, "problem": e.reason} for e in report.errors]
                problems += [{"row": c.row, "field": "conflict", "problem": c.describe()} for c in report.conflicts]
                common.show_table(pd.DataFrame(problems), hide_index=True, width="stretch", key="m_problems")
            pending = [p for p in report.proposals if p.candidates] if not report.dry_run else []
            if pending:
                st.subheader("Rows to confirm")
                st.caption("No post id or link matched these rows. Pick the post each is about, or leave it out.")
                with st.form("m_confirm_form"):
                    picks = {}
                    for p in pending:
                        st.text(f"Row {p.row}: {p.post_id or p.url} · {p.text[:120]}")
                        choices = [None, *[c.entry_id for c in p.candidates]]
                        names = {c.entry_id: f"{c.label} ({c.why})" for c in p.candidates}
                        picks[p.row] = st.selectbox(
                            f"Row {p.row:d} is",
                            choices,
                            index=1,
                            key=f"m_pick_{p.row}",
                            format_func=lambda e, names=names: "not one of ours" if e is None else names[e],
                        )
                    if st.form_submit_button("Record the confirmed rows", type="primary"):
                        chosen = [(p, picks[p.row]) for p in pending if picks[p.row] is not None]
                        with common.db_session() as session:
                            done = common.run(
                                importer.confirm_proposals, session, actor, chosen, report.platform, report.import_id
                            )
                        if done is not None:
                            st.toast(f"Recorded {done:d} confirmed row(s)")
                            done_rows = {p.row for p, _e in chosen}
                            report.proposals = [p for p in report.proposals if p.row not in done_rows]
            unmatched = [p for p in report.proposals if not p.candidates]
            if unmatched:
                st.caption(f"{len(unmatched)} row(s) look like none of our published posts and were left out.")

with tab_manual:
    if not can_record:
        st.info("Your role may read results but not record figures. Ask a drafter or an admin.")
    else:
        with common.db_session() as session:
            entries = snapshots.published_entries(session, campaign_id)
        if not entries:
            st.info("No published posts to record figures for yet.")
        else:
            labels = dict(entries)
            with st.form("m_manual_form"):
                entry_id = st.selectbox("Published post", list(labels), format_func=labels.get, key="m_entry")
                when = st.columns(2)
                day = when[0].date_input("Figures as of (day)", value=datetime.now(zone).date(), key="m_day")
                clock = when[1].time_input("time", value=time(datetime.now(zone).hour), key="m_time")
                grid = st.columns(5)
                figures = {
                    c: grid[i % 5].number_input(
                        kpis.COMPONENT_LABELS[c], min_value=0, value=None, step=1, key=f"m_v_{c}"
                    )
                    for i, c in enumerate(kpis.COMPONENTS)
                }
                if st.form_submit_button("Record figures", type="primary"):
                    at = datetime.combine(day, clock, zone).astimezone(UTC)
                    with common.db_session() as session:
                        common.run(
                            snapshots.record_snapshot, session, actor, entry_id, at, figures, success="Figures recorded"
                        )
