"""Brief section of results: KPIs against the campaign's targets, reach over time, share of voice, A/B verdicts."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from planner.briefs import charts
from planner.briefs.blocks import Chart, Note, Paragraph, Subheading, table, when
from planner.briefs.sections import section
from planner.models import Campaign

# The KPIs a brief reports, in this order (definitions are in the appendix).
SHOWN = (
    "posts",
    "impressions",
    "reach",
    "reach_lower_bound",
    "engagements",
    "engagement_rate_impressions",
    "engagement_rate_reach",
    "ctr",
    "video_completion_rate",
    "follows_gained",
    "share_of_voice",
    "time_to_response_minutes",
)


def _target_rows(summary, fmt) -> list[list[str]]:
    rows = []
    for t in summary.targets:
        target = fmt(t.kpi, t.target) if t.kpi else f"{t.target:g} {t.unit}".strip()
        actual = fmt(t.kpi, t.actual) if t.kpi and t.actual is not None else "–"
        met = "–" if t.attainment is None else f"{t.attainment:.0%}"
        rows.append([t.metric, target, actual, met, t.note or ""])
    return rows


@section("results", "Results", "KPIs against targets with their definitions, charts and A/B verdicts", order=70)
def build_results(session: Session, campaign: Campaign, options) -> dict[str, Any]:
    from planner.metrics import kpis, results

    summary = results.summary(session, campaign.id)
    fmt = kpis.format_value
    blocks: list = [Note(n) for n in summary.notes]
    if not summary.values.get("posts"):
        blocks.append(Paragraph("Nothing of this campaign has been published yet, so there are no results."))
    if summary.targets:
        blocks.append(
            table(
                "KPI targets of the plan against what was measured",
                ["Target", "Goal", "Measured", "Attained", "Note"],
                _target_rows(summary, fmt),
                widths=[3, 1.4, 1.4, 1.2, 4],
            )
        )
    blocks.append(
        table(
            "Key figures (definitions in the appendix)",
            ["Figure", "Value", "How it is computed"],
            [[kpis.KPI_BY_KEY[k].label, fmt(k, summary.values.get(k)), kpis.KPI_BY_KEY[k].formula] for k in SHOWN],
            widths=[3, 1.6, 5],
        )
    )
    blocks.append(
        Note(
            "Reach added up over posts is not the number of unique people reached; the honest floor is the "
            "largest single post's reach. Raw reach is not success: the question is whether the people reached "
            "were the target audience."
        )
    )
    over_time = results.reach_over_time(session, results.Scope(campaign.id))
    if len(over_time) >= 2:
        days = list(over_time["day"].dt.to_pydatetime())
        series = {"impressions": list(over_time["impressions"]), "reach, summed over posts": list(over_time["reach"])}

        def draw():
            return charts.lines(days, series, title="Impressions and reach to date", ylabel="Total to date")

        blocks.append(
            Chart(
                caption="Figure: impressions and reach of the campaign's published posts, as known at the end of each "
                "day (UTC). Reach here is summed over posts, not unique people.",
                alt=f"Line chart over {len(days)} days: impressions reach {int(over_time['impressions'].iloc[-1]):,}, "
                f"summed reach {int(over_time['reach'].iloc[-1]):,}.",
                draw=draw,
            )
        )
    voice = summary.voice
    if len(voice):
        blocks += [
            Subheading("Share of voice and time to response per trend"),
            table(
                "Our published posts against the trend's monitored posts over its window",
                ["Trend", "Our posts", "Monitored posts", "Share of voice", "Detected", "First response", "Time"],
                [
                    [
                        r.trend,
                        r.our_posts,
                        r.monitored_posts,
                        fmt("share_of_voice", r.share_of_voice),
                        when(r.detected_at),
                        when(r.first_response_at) if r.first_response_at == r.first_response_at else "none yet",
                        fmt("time_to_response_minutes", r.time_to_response_minutes)
                        if r.time_to_response_minutes == r.time_to_response_minutes
                        else "–",
                    ]
                    for r in voice.itertuples()
                ],
                widths=[2.6, 1.1, 1.4, 1.3, 2, 2, 1.3],
            ),
        ]
    tests = results.ab_tests(session, results.Scope(campaign.id))
    blocks.append(Subheading("A/B tests"))
    if tests:
        blocks.append(
            table(
                "Drafts labelled A against drafts labelled B, per channel (engagement rate by impressions)",
                ["Channel", "A", "B", "Verdict", "Cautions"],
                [
                    [
                        channel,
                        f"{r.a.engagements:,} / {r.a.impressions:,}",
                        f"{r.b.engagements:,} / {r.b.impressions:,}",
                        r.verdict,
                        "; ".join(r.warnings) or "–",
                    ]
                    for channel, r in tests
                ],
                widths=[2.2, 1.6, 1.6, 5, 2.5],
            )
        )
    else:
        blocks.append(Paragraph("No A/B pair (drafts labelled A and B on one channel) has published figures yet."))
    return {"blocks": blocks}
