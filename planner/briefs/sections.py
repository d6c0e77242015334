"""The brief's sections: a registry of small builders, each turning a campaign into a section's blocks.

A builder is `build(session, campaign, options) -> {"blocks": [...]}`; register one with
`@section(name, title, description, order)`. Sections appear in the brief by `order`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from planner import campaigns, channels, palette, trends, wording
from planner.briefs import charts
from planner.briefs.blocks import Chart, Facts, Note, Paragraph, Subheading, clean, paragraphs, table, when
from planner.drafts import approval_flags, valid_approvals
from planner.drafts import approvals as draft_approvals
from planner.models import AuditEntry, Campaign, CoordinationRun, DetectionRun, Draft, DraftTrend, DraftVersion

if TYPE_CHECKING:
    from planner.briefs.brief import BriefOptions

Builder = Callable[[Session, Campaign, "BriefOptions"], dict[str, Any]]
MAX_TREND_CHARTS = 4
MAX_CLUSTERS = 5
SIGNAL_NOTE = (
    "Coordination findings are signals of possible coordination (accounts acting alike within a short time), "
    "never proof of who is behind them. Short texts, share buttons and ordinary activism can look the same."
)


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    description: str
    build: Builder
    order: int = 1000


SECTIONS: dict[str, Section] = {}


def section(name: str, title: str, description: str, order: int = 1000) -> Callable[[Builder], Builder]:
    """Register a section builder under `name` (a plain lowercase word used by --sections), placed by `order`."""

    def wrap(fn: Builder) -> Builder:
        SECTIONS[name] = Section(name, title, description, fn, order)
        ordered = sorted(SECTIONS.values(), key=lambda s: s.order)
        SECTIONS.clear()
        SECTIONS.update((s.name, s) for s in ordered)
        return fn

    return wrap


def words(value: str | None, vocabulary: str | None = None) -> str:
    """Return an internal value as plain words, as pages show it ('in_review' -> 'In review'); '' for none."""
    return clean(wording.label(value, vocabulary)) if value else ""


def campaign_drafts(session: Session, campaign: Campaign) -> list[Draft]:
    """Return the campaign's drafts, oldest first."""
    return list(session.scalars(select(Draft).where(Draft.campaign_id == campaign.id).order_by(Draft.id)))


def first_published(session: Session, draft_ids: list[int]) -> Any:
    """Return when the first of these drafts was marked published (from the audit log), or None."""
    if not draft_ids:
        return None
    return session.scalar(
        select(func.min(AuditEntry.at)).where(
            AuditEntry.action == "draft.publish",
            AuditEntry.object_type == "draft",
            AuditEntry.object_id.in_([str(i) for i in draft_ids]),
        )
    )


# ---- executive summary --------------------------------------------------------------------------------------


@section("summary", "Executive summary", "The planner's own summary and the key facts of the campaign", order=10)
def build_summary(session: Session, campaign: Campaign, options: BriefOptions) -> dict[str, Any]:
    blocks: list = paragraphs(options.executive_summary or "")
    if not blocks:
        blocks.append(Note("The planner has not written an executive summary yet (Brief page, 'Executive summary')."))
    drafts = campaign_drafts(session, campaign)
    by_status = Counter(d.status for d in drafts)
    linked = campaigns.linked_trends(session, campaign.id)
    acks = sum(len(a.acknowledgements) for d in drafts for a in draft_approvals(session, d.id) if a.valid)
    period = " to ".join(x.isoformat() for x in (campaign.starts_on, campaign.ends_on) if x) or "not set"
    facts = [
        ("Status", words(campaign.status, "campaign_status")),
        ("Period", period),
        ("Goal", campaign.goal or "not set"),
        ("Message type", words(campaign.message_type, "message_type")),
        ("Main audience", campaign.audience or "not set"),
        ("Trends answered", f"{len(linked)}" + (f" (largest: {_largest(linked)})" if linked else "")),
        (
            "Drafts",
            f"{len(drafts)}"
            + (": " + ", ".join(f"{n} {words(s).lower()}" for s, n in sorted(by_status.items())) if drafts else ""),
        ),
        ("KPI targets", "; ".join(campaigns.kpi_summary(campaign)) or "none set"),
        ("Adjustments logged", str(len(campaigns.adjustments(session, campaign.id)))),
        ("Amplification warnings acknowledged", str(acks)),
    ]
    return {"blocks": [*blocks, Subheading("Key facts"), Facts(facts)]}


def _largest(linked) -> str:
    t = max(linked, key=lambda t: t.peak_volume)
    return f"{t.key}, peak {t.peak_volume:,} posts in one {_bucket_words(t.bucket_seconds)}"


def _bucket_words(seconds: int | None) -> str:
    s = seconds or 3600
    if s % 86400 == 0:
        return "day" if s == 86400 else f"{s // 86400} days"
    if s % 3600 == 0:
        return "hour" if s == 3600 else f"{s // 3600} hours"
    return f"{s // 60} minutes"


# ---- threat picture -----------------------------------------------------------------------------------------


@section("threat", "Threat picture", "The trends the campaign answers, with charts, and coordination signals", order=20)
def build_threat(session: Session, campaign: Campaign, options: BriefOptions) -> dict[str, Any]:
    linked = campaigns.linked_trends(session, campaign.id)
    blocks: list = []
    if linked:
        blocks.append(
            table(
                "Trends the campaign answers",
                ["Trend", "Kind", "Detected", "Peak", "Posts", "Accounts", "Stage", "Coordination share"],
                [
                    [
                        t.key,
                        t.kind,
                        when(t.detected_at),
                        f"{t.peak_volume:,} / {_bucket_words(t.bucket_seconds)}",
                        t.total_volume,
                        t.unique_authors,
                        t.lifecycle,
                        "not measured" if t.coordination_share is None else f"{t.coordination_share:.0%}",
                    ]
                    for t in linked
                ],
                widths=[3, 1.4, 2.2, 1.8, 1.2, 1.7, 1.6, 2.2],
            )
        )
        for i, t in enumerate(linked[:MAX_TREND_CHARTS], start=1):
            blocks.append(Subheading(f"{t.key} ({t.kind})"))
            explanation = trends.explanation_for(t)
            if explanation:
                blocks.append(Paragraph(explanation))
            blocks.append(_trend_chart(i, t))
        if len(linked) > MAX_TREND_CHARTS:
            blocks.append(Paragraph(f"Charts show the first {MAX_TREND_CHARTS} of {len(linked)} trends."))
    blocks += _coordination_blocks(session)
    empty = "" if linked else "No trends are linked to this campaign yet (Campaigns page, 'Trends answered')."
    if not linked:
        blocks.insert(0, Paragraph(empty))
    return {"blocks": blocks}


def _trend_chart(number: int, trend) -> Chart:
    series = trends.trend_series(trend)
    frame = series.frame
    per = _bucket_words(trend.bucket_seconds)

    def draw():
        return charts.volume(
            frame["bucket_start"].dt.tz_convert("UTC").dt.tz_localize(None).tolist(),
            frame["posts"].tolist(),
            frame["expected"].tolist(),
            [(a.replace(tzinfo=None), b.replace(tzinfo=None)) for a, b in series.bursts],
            series.detected_at.replace(tzinfo=None) if series.detected_at else None,
            title=f"Trend {number}: monitored posts per {per} against the expected count",
            ylabel=f"Monitored posts per {per}",
        )

    peak = int(frame["posts"].max()) if len(frame) else 0
    return Chart(
        caption=f"Figure: trend {number}, {trend.key}: monitored posts per {per} (UTC), expected count dashed, "
        "bursts shaded, detection dotted.",
        alt=f"Line chart of monitored posts per {per} for {trend.key}: peak {peak:,}, "
        f"detected {when(trend.detected_at)}, {len(series.bursts)} burst(s).",
        draw=draw,
    )


def _coordination_blocks(session: Session) -> list:
    run = session.scalar(select(CoordinationRun).order_by(CoordinationRun.id.desc()).limit(1))
    blocks: list = [Subheading("Coordination signals")]
    if run is None:
        return [*blocks, Paragraph("No coordination detection has been run on the monitored posts.")]
    from planner.coordination import results  # networkx behind it: loaded only when a brief needs it

    found = results.clusters(session, run.id).head(MAX_CLUSTERS)
    window = f"{run.window_s:g} s"
    blocks.append(
        Paragraph(
            f"Latest {run.kind} detection ({when(run.created_at)}): {run.posts_considered:,} monitored posts, "
            f"window {window}, minimum {run.min_weight} shared actions per pair; {run.cluster_count:,} cluster(s) "
            f"of {run.account_count:,} accounts."
        )
    )
    if len(found):
        blocks.append(
            table(
                f"Largest coordinated clusters ({len(found)} of {run.cluster_count:,})",
                ["Cluster", "Accounts", "Coordinated posts", "Median gap", "What was seen"],
                [
                    [
                        int(r.rank),
                        int(r.accounts),
                        int(r.posts),
                        "" if r.median_delay_s != r.median_delay_s or r.median_delay_s is None else _secs(r),
                        r.summary,
                    ]
                    for r in found.itertuples()
                ],
                widths=[1.4, 1.6, 1.9, 1.4, 7],
            )
        )
    blocks.append(Note(SIGNAL_NOTE))
    return blocks


def _secs(row) -> str:
    from planner.coordination.clusters import format_seconds

    return format_seconds(round(float(row.median_delay_s), 1))


# ---- response timeline ---------------------------------------------------------------------------------------


@section(
    "response",
    "Response timeline",
    "For each trend: detected, first draft, first approval, first counter-post published",
    order=30,
)
def build_response(session: Session, campaign: Campaign, options: BriefOptions) -> dict[str, Any]:
    linked = campaigns.linked_trends(session, campaign.id)
    drafts = campaign_drafts(session, campaign)
    if not linked:
        return {"blocks": [Paragraph("No trends are linked to this campaign, so there is no response to time.")]}
    answers: dict[int, list[int]] = {}
    for draft_id, trend_id in session.execute(
        select(DraftTrend.draft_id, DraftTrend.trend_id).where(DraftTrend.draft_id.in_([d.id for d in drafts]))
    ):
        answers.setdefault(trend_id, []).append(draft_id)
    all_ids = [d.id for d in drafts]
    rows = []
    for t in linked:
        # Drafts that name the trend answer it; when none does, the campaign's drafts answer its trends together.
        ids = answers.get(t.id) or all_ids
        created = _min_at(session, DraftVersion, ids, DraftVersion.number == 1)
        approved = min((a.at for i in ids for a in draft_approvals(session, i)), default=None)
        published = _first_out(session, ids)
        gap = _duration(t.detected_at, published) if published else "not yet"
        rows.append([t.key, when(t.detected_at), when(created), when(approved), when(published) or "not yet", gap])
    return {
        "blocks": [
            table(
                "Trend detected → first draft → first approval → first counter-post published",
                ["Trend", "Detected", "First draft", "First approval", "First published", "Time to response"],
                rows,
                widths=[2.6, 2, 2, 2, 2, 1.8],
            ),
            Paragraph(
                "Time to response is the first counter-post's publication time minus the time the trend was detected."
            ),
        ]
    }


def _first_out(session: Session, draft_ids: list[int]):
    """Return when the first of these drafts went out: its first published schedule entry, else the audit record."""
    from planner.briefs.schedule_section import first_published_at

    return first_published_at(session, draft_ids) or first_published(session, draft_ids)


def _min_at(session: Session, model, ids: list[int], *where):
    if not ids:
        return None
    return session.scalar(select(func.min(model.at)).where(model.draft_id.in_(ids), *where))


def _duration(start, end) -> str:
    seconds = (end - start).total_seconds()
    if seconds < 0:
        return "before detection"
    hours = seconds / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


# ---- GAMMMA+ plan -------------------------------------------------------------------------------------------


@section(
    "plan", "GAMMMA+ plan", "Goal, audience, message, messenger, media, action, monitoring and evaluation", order=40
)
def build_plan(session: Session, campaign: Campaign, options: BriefOptions) -> dict[str, Any]:
    p = campaigns.plan(campaign)
    chans = [channels.label(c) for c in campaigns.linked_channels(session, campaign.id)]
    none = "not set"
    blocks: list = [
        Subheading("Goal"),
        Facts([("Goal", p["goal"] or none)]),
    ]
    if p["kpi_targets"]:
        blocks.append(
            table(
                "KPI targets",
                ["Metric", "Target", "Unit"],
                [[k["metric"], f"{k['target']:g}", k["unit"]] for k in p["kpi_targets"]],
                widths=[6, 1.5, 2],
            )
        )
    hours = ", ".join(f"{h:02d}:00" for h in p["audience_active_hours"]) or none
    blocks += [
        Subheading("Audience"),
        Facts(
            [
                ("Main audience", p["audience"] or none),
                ("Profile", p["audience_profile"] or none),
                ("Languages", ", ".join(p["audience_languages"]) or none),
                ("Active hours", f"{hours} ({p['audience_time_zone']})"),
            ]
        ),
        Subheading("Message"),
        Facts([("Type", words(p["message_type"], "message_type")), ("Key message", p["key_message"] or none)]),
        Subheading("Messenger"),
    ]
    if p["messengers"]:
        blocks.append(
            table(
                "Who speaks (real people, no invented personas)",
                ["Name", "Role", "Why the audience trusts them"],
                [[m["name"], m["role"], m["credibility"]] for m in p["messengers"]],
                widths=[2, 3, 4],
            )
        )
    blocks += [
        Facts([("Funder", p["funder"] or none), ("Affiliation disclosed", p["affiliation_disclosure"] or none)]),
        Subheading("Media"),
        Facts([("Formats", ", ".join(p["media_formats"]) or none), ("Channels", ", ".join(chans) or none)]),
        Subheading("Action"),
        Facts([("Call to action", p["call_to_action"] or none)]),
        Subheading("+ Monitoring and evaluation"),
        Facts([("Monitoring plan", p["monitoring_plan"] or none), ("Capacity to reply", p["reply_capacity"] or none)]),
    ]
    return {"blocks": blocks}


# ---- message matrix -----------------------------------------------------------------------------------------


@section("matrix", "Message matrix", "Drafts by channel, with their workflow status and approvals", order=50)
def build_matrix(session: Session, campaign: Campaign, options: BriefOptions) -> dict[str, Any]:
    drafts = campaign_drafts(session, campaign)
    if not drafts:
        return {"blocks": [Paragraph("No drafts yet for this campaign.")]}
    linked = {c.id: c for c in campaigns.linked_channels(session, campaign.id)}
    names = {int(k): v for k, v in _channel_names(session).items()}
    used = sorted({v.channel_id for d in drafts for v in d.variants} | set(linked))
    rows = []
    for d in drafts:
        have = {v.channel_id: v.text for v in d.variants}
        cells = [f"✓ {len(have[c]):,} chars" if c in have else "–" for c in used]
        approvals = f"{len(valid_approvals(session, d))}/{campaign.required_approvals}"
        rows.append([d.title, words(d.status), approvals, d.ab_label or "–", *cells])
    width_rest = 10 / max(len(used), 1)
    blocks: list = [
        table(
            "Drafts x channels (✓ = a variant for that channel, with its length)",
            ["Draft", "Status", "Approvals", "A/B", *[names.get(c, f"channel {c}") for c in used]],
            rows,
            widths=[3, 2.2, 1.8, 0.8, *([width_rest] * len(used))],
        ),
        _status_chart(drafts),
        Subheading("Draft texts"),
        table(
            "What each draft says (master text)",
            ["Draft", "Frame", "Claim countered", "Text"],
            [[d.title, words(d.frame) or "–", d.claim_countered or "–", d.master_text] for d in drafts],
            widths=[2, 1.3, 2.5, 6],
        ),
    ]
    return {"blocks": blocks}


def _channel_names(session: Session) -> dict[str, str]:
    from planner.drafts import channel_names

    return channel_names(session)


def _status_chart(drafts: list[Draft]) -> Chart:
    counts = Counter(d.status for d in drafts)
    order = [s for s in palette.STATUS_COLOURS if counts.get(s)]

    def draw():
        return charts.bars(
            [words(s) for s in order],
            [counts[s] for s in order],
            title="Drafts by workflow status",
            xlabel="Drafts",
            ylabel="Status",
            colours=[palette.STATUS_COLOURS[s] for s in order],
        )

    return Chart(
        caption="Figure: drafts of the campaign by workflow status.",
        alt="Bar chart of drafts by status: " + ", ".join(f"{counts[s]} {words(s).lower()}" for s in order) + ".",
        draw=draw,
    )


# ---- risks ---------------------------------------------------------------------------------------------------


@section(
    "risks",
    "Risks and mitigations",
    "Amplification warnings reviewers acknowledged, and how risks are handled",
    order=80,
)
def build_risks(session: Session, campaign: Campaign, options: BriefOptions) -> dict[str, Any]:
    rows = []
    for d in campaign_drafts(session, campaign):
        for a in draft_approvals(session, d.id):
            for ack in a.acknowledgements:
                state = "valid" if a.valid else "approval void"
                rows.append([d.title, ack.channel, ack.message, ack.reason, f"{a.reviewer_name}, {when(a.at)}", state])
    blocks: list = [Subheading("Acknowledged amplification warnings")]
    if rows:
        blocks.append(
            table(
                "Warnings a reviewer saw and accepted with a reason",
                ["Draft", "Channel", "Warning", "Reason given", "Reviewer", "Approval"],
                rows,
                widths=[2, 2.2, 3.3, 3, 2.2, 1.5],
            )
        )
    else:
        blocks.append(Paragraph("No amplification warnings were acknowledged for this campaign's drafts."))
    from planner.briefs.schedule_section import pause_blocks

    blocks += [Subheading("Crisis pauses"), *pause_blocks(session, campaign)]
    blocks += [
        Subheading("Mitigations in the plan"),
        Facts(
            [
                ("Monitoring", campaign.monitoring_plan or "not set"),
                ("Capacity to reply", campaign.reply_capacity or "not set"),
                ("Approvals required per draft", str(campaign.required_approvals)),
            ]
        ),
        Note(
            "Oxygen of amplification: even critical posts spread the adversary's content. Drafts avoid their "
            "hashtags and do not repeat the myth verbatim; any exception above was accepted by a named reviewer."
        ),
    ]
    return {"blocks": blocks}


# ---- adjustments ---------------------------------------------------------------------------------------------


@section("adjustments", "Adjustments log", "What changed in the plan while the campaign ran, and why", order=90)
def build_adjustments(session: Session, campaign: Campaign, options: BriefOptions) -> dict[str, Any]:
    log = campaigns.adjustments(session, campaign.id)
    if log.empty:
        return {"blocks": [Paragraph("No adjustments were logged: the plan has not changed while running.")]}
    return {
        "blocks": [
            table(
                "Plan changes while running (newest first)",
                ["When", "Who", "What changed", "Why"],
                [[when(r.at), r.author, r.what, r.why] for r in log.itertuples()],
                widths=[1.8, 1.5, 4.5, 3.5],
            )
        ]
    }


# ---- approvals and sign-off ----------------------------------------------------------------------------------


@section("approvals", "Approvals and sign-off", "Who approved which content, and the sign-off block", order=100)
def build_approvals(session: Session, campaign: Campaign, options: BriefOptions) -> dict[str, Any]:
    rows = []
    for d in campaign_drafts(session, campaign):
        flags = approval_flags(session, d.id)
        for a in draft_approvals(session, d.id):
            state = "valid" if a.valid else f"void: {a.invalidated_reason}"
            if a.id in flags:
                state += f"; flagged: {flags[a.id]}"
            rows.append([d.title, a.reviewer_name, when(a.at), a.content_hash[:12], state, a.note])
    blocks: list = [
        Paragraph(
            f"Each draft needs {campaign.required_approvals} approval(s) from reviewers who did not write it. An "
            "approval is bound to the SHA-256 of the exact content; any later edit voids it."
        )
    ]
    if rows:
        blocks.append(
            table(
                "Approvals",
                ["Draft", "Reviewer", "When", "Content (SHA-256)", "State", "Note"],
                rows,
                widths=[2.5, 2.2, 2, 2, 1.6, 2.3],
            )
        )
    else:
        blocks.append(Paragraph("No draft of this campaign has been approved yet."))
    blocks += [
        Subheading("Sign-off"),
        table(
            "Sign-off of this brief",
            ["Role", "Name", "Signature", "Date"],
            [["Prepared by", options.author, "", options.date.isoformat()], ["Approved for release by", "", "", ""]],
            widths=[2.5, 3, 3, 1.8],
        ),
    ]
    return {"blocks": blocks}


# ---- appendix ------------------------------------------------------------------------------------------------


@section(
    "appendix",
    "Appendix: method notes",
    "How trends and coordination were detected, and what the terms mean",
    order=110,
)
def build_appendix(session: Session, campaign: Campaign, options: BriefOptions) -> dict[str, Any]:
    run = session.scalar(select(DetectionRun).order_by(DetectionRun.id.desc()).limit(1))
    params = json.loads(run.params) if run and run.params else json.loads(trends.DetectionParams().as_json())
    detection = [
        ("Bucket", str(params.get("bucket", "1h"))),
        (
            "Count model",
            f"posts per key and bucket as Poisson counts; the expected rate is learnt from the key's previous "
            f"{params.get('baseline_buckets')} buckets and, as a prior, its own rate over the rest of the data "
            f"(never below {params.get('min_rate')} posts per bucket), giving a negative binomial p-value per bucket",
        ),
        (
            "Multiple testing",
            f"Benjamini-Hochberg at a false discovery rate of {params.get('fdr')} over every (key, bucket) cell tested",
        ),
        (
            "Minimum volume",
            f"{params.get('min_count')} posts and {params.get('min_authors')} accounts in one bucket, "
            f"and at least {params.get('min_ratio')} x (expected + 1)",
        ),
        ("Score", "log10(excess + 1) + log10(accounts) + log10(surprise), surprise = -log10(p-value)"),
        (
            "Folding",
            f"keys whose posts around the peak overlap (Jaccard) at least {params.get('fold_overlap')} "
            "fold into one trend",
        ),
        (
            "Bursts",
            f"Kleinberg's two-state automaton, s = {params.get('burst_s')}, gamma = {params.get('burst_gamma')}",
        ),
    ]
    if run is not None:
        detection.append(
            (
                "Latest detection run",
                f"{when(run.finished_at or run.started_at)}, "
                f"{run.posts_scanned:,} monitored posts scanned, {run.trends_found:,} trends",
            )
        )
    coord = session.scalar(select(CoordinationRun).order_by(CoordinationRun.id.desc()).limit(1))
    coordination = [
        (
            "Method",
            "co-action networks: pairs of accounts doing the same thing (same text, near-identical text, "
            "link, hashtag or repost) within a time window; edge weight = number of such posts",
        ),
    ]
    if coord is not None:
        coordination += [
            (
                "Latest run",
                f"{coord.kind}, window {coord.window_s:g} s, minimum weight {coord.min_weight}"
                + (f", similarity {coord.similarity:g}" if coord.similarity else ""),
            ),
            (
                "Reading it",
                "gaps under 5 s suggest automation; windows of an hour or more can reflect ordinary "
                "activism; a signal is not attribution",
            ),
        ]
    from planner.metrics.kpis import KPIS

    metrics = [(k.label, f"{k.formula}. {k.definition}") for k in KPIS]
    definitions = [
        ("Coordination share", "share of a trend's posts written by accounts in coordinated clusters"),
        ("Stage", "emerging, peaking, declining or dormant, from the trend's last buckets against its peak"),
        ("Approval", "a named reviewer's approval of the SHA-256 of a draft's exact content"),
    ]
    from planner.audit import chain_head

    entries, head = chain_head(session)
    audit_facts = [
        (
            "Audit log",
            f"{entries:,} entries when this brief was made; each is chained to the one before by SHA-256",
        ),
        ("Chain head", head),
        ("Checking it", "python -m planner audit verify recomputes the chain and names the first broken link"),
    ]
    return {
        "blocks": [
            Subheading("Trend detection"),
            Facts(detection),
            Subheading("Coordination detection"),
            Facts(coordination),
            Subheading("Metric definitions"),
            Facts(metrics),
            Subheading("Other terms"),
            Facts(definitions),
            Subheading("Audit trail"),
            Facts(audit_facts),
        ]
    }


# Sections built on the schedule and on metrics register themselves when imported.
from planner.briefs import results_section, schedule_section  # noqa: E402, F401
