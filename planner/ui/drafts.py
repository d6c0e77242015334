"""Plan > Drafts: write counter-messages per channel with live counters and checks, review, comment, history."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from planner import auth, campaigns, channels, checks, drafts, frames, trends, workflow
from planner.errors import PlannerError
from planner.ui import common

SEVERITY_ICONS = {"error": ":material/error:", "warning": ":material/warning:", "info": ":material/info:"}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(text: str) -> str:
    """Escape markdown so hostile text (trend excerpts in findings) shows as typed."""
    return _MD_SPECIAL.sub(r"\\\1", text or "")


def show_findings(findings: list[checks.Finding]) -> None:
    if not findings:
        st.success("All checks pass.", icon=":material/check_circle:")
        return
    for f in findings:
        box = {"error": st.error, "warning": st.warning, "info": st.info}[f.severity]
        tag = " · amplification risk: a reviewer must acknowledge it" if f.amplification else ""
        box(
            f"**{f.id}** [{md(f.channel)}]{tag}  \n{md(f.message)}  \n*Fix:* {md(f.fix)}",
            icon=SEVERITY_ICONS[f.severity],
        )


def _show_conflict(exc: PlannerError) -> None:
    if isinstance(exc, drafts.ConflictError):
        st.code(exc.diff or "(no content changes: only the status changed)", language="diff")


def attempt(fn, *args, success: str | None = None, **kwargs):
    """Call a core function; show a save conflict with the other's changes, other named errors as st.error."""
    return common.run(fn, *args, success=success, on_error=_show_conflict, **kwargs)


def _lines(text: str, sep: str = "|") -> list[list[str]]:
    return [[p.strip() for p in line.split(sep, 1)] for line in (text or "").splitlines() if line.strip()]


actor = common.require_actor()
common.header(
    "Drafts",
    "Write counter-messages per channel, check them, and take them through review. Pick a draft or start a new one.",
)
can_edit = auth.can(actor, auth.Action.EDIT_DRAFTS)
can_comment = auth.can(actor, auth.Action.COMMENT)

with common.db_session() as session:
    camp_frame = campaigns.list_campaigns(session)
    all_channels = {c.id: c for c in channels.list_channels(session, active_only=False)}
camp_names = dict(zip(camp_frame["id"], camp_frame["name"], strict=True))

f1, f2 = st.columns([1, 2])
camp_filter = f1.selectbox(
    "Campaign",
    [None, *camp_names],
    format_func=lambda i: "All campaigns" if i is None else camp_names[i],
    key="dr_camp",
)
status_filter = f2.pills("Status", drafts.STATUSES, selection_mode="multi", key="dr_status")
with common.db_session() as session:
    frame = drafts.list_drafts(session, campaign=camp_filter)
if status_filter:
    frame = frame[frame["status"].isin(status_filter)]

counts = frame["status"].value_counts()
m = st.columns(5)
for col, status in zip(m, ("draft", "in_review", "changes_requested", "approved", "scheduled"), strict=True):
    col.metric(status.replace("_", " ").capitalize(), int(counts.get(status, 0)), border=True)

if camp_frame.empty:
    st.info("No campaigns yet. Plan one first: drafts belong to a campaign.")
    st.page_link("planner/ui/campaigns.py", label="Go to Campaigns", icon=":material/flag:")
    st.stop()

if frame.empty:
    st.info("No drafts match. Start one below.")
else:
    event = st.dataframe(
        frame.assign(channels=frame["channels"].map(", ".join)).drop(columns=["updated_at"]),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="dr_table",
        column_config={
            "id": st.column_config.NumberColumn("ID", width="small"),
            "title": "Title",
            "campaign": "Campaign",
            "status": "Status",
            "channels": "Channels",
            "approvals": st.column_config.TextColumn("Approvals", help="valid for the current content / required"),
            "language": "Language",
            "ab_label": "A/B",
            "version": st.column_config.NumberColumn("Version", width="small"),
        },
    )
    if event and event.selection.rows:
        st.query_params["draft"] = str(int(frame.iloc[event.selection.rows[0]]["id"]))

if can_edit:
    with st.expander("Start a new draft", icon=":material/add:", expanded=frame.empty):
        with st.form("dr_new", clear_on_submit=True):
            n1, n2 = st.columns(2)
            new_camp = n1.selectbox("Campaign", list(camp_names), format_func=camp_names.get, key="dr_new_camp")
            new_title = n2.text_input("Title", key="dr_new_title")
            n3, n4 = st.columns(2)
            new_frame = n3.selectbox(
                "Frame", list(frames.FRAMES), format_func=lambda f: frames.FRAMES[f].label, key="dr_new_frame"
            )
            new_lang = n4.text_input("Language", "en", key="dr_new_lang")
            new_channels = st.multiselect(
                "Channels",
                [c for c in all_channels if all_channels[c].active],
                format_func=lambda c: channels.label(all_channels[c]),
                key="dr_new_channels",
            )
            st.caption("The frame's starting text goes into the master text and every channel; edit it afterwards.")
            if st.form_submit_button("Create draft", type="primary"):
                text = frames.render_frame(new_frame)
                with common.db_session() as session:
                    made = common.run(
                        drafts.create_draft,
                        session,
                        actor,
                        new_camp,
                        {
                            "title": new_title,
                            "frame": new_frame,
                            "language": new_lang,
                            "master_text": text,
                            "variants": {c: text for c in new_channels},
                        },
                        success="Draft created",
                    )
                if made is not None:
                    st.query_params["draft"] = str(made.id)
                    st.rerun()

draft_param = st.query_params.get("draft")
if draft_param is None:
    st.stop()

with common.db_session() as session:
    draft = common.run(drafts.get_draft, session, int(draft_param) if draft_param.isdigit() else 0)
    if draft is None:
        st.query_params.pop("draft", None)
        st.stop()
    snap = drafts.snapshot(session, draft)
    campaign = campaigns.get_campaign(session, draft.campaign_id)
    ctx = checks.context_for(session, draft=draft)
    saved_findings = checks.check_draft(session, draft, ctx)
    approvals = drafts.approvals(session, draft.id)
    valid = drafts.valid_approvals(session, draft)
    moves = workflow.available(session, actor, draft)
    thread = drafts.comments(session, draft.id)
    history = drafts.versions(session, draft.id)
    trend_names = trends.trend_choices(session)  # marked "respond" first, then the best by score

st.divider()
st.subheader(draft.title)
st.caption(
    f"Draft {draft.id} · campaign {campaign.name} · status **{draft.status.replace('_', ' ')}** · "
    f"approvals {len(valid)}/{campaign.required_approvals} · version {draft.version} · "
    f"content SHA-256 {drafts.content_hash(draft)[:12]}"
)
edit_tab, review_tab, comments_tab, history_tab = st.tabs(
    ["Edit", f"Review ({len(valid)}/{campaign.required_approvals})", f"Comments ({len(thread)})", "History"]
)
editable = can_edit and draft.status in drafts.EDITABLE
# The version this browser tab loaded: kept across reruns so that unsaved edits survive someone else's save,
# and a save based on it gets the core's conflict check instead of silently using the newer version.
loaded_key = f"dr_loaded_{draft.id}"
if loaded_key not in st.session_state:
    st.session_state[loaded_key] = draft.version
loaded = st.session_state[loaded_key]
key = f"ed_{draft.id}_{loaded}"
if loaded != draft.version:
    st.warning(
        f"This draft changed since you opened it (you have version {loaded}; it is now {draft.version}, status "
        f"{draft.status.replace('_', ' ')}). Your unsaved edits are kept; saving shows what changed.",
        icon=":material/sync_problem:",
    )
    if st.button("Load the latest version (drops your unsaved edits)", key=f"{key}_reload"):
        st.session_state[loaded_key] = draft.version
        st.rerun()


def _tag_links(keys: dict[int, str], campaign_name: str, ab_label_key: str) -> None:
    for cid, k in keys.items():
        st.session_state[k] = drafts.tag_links(
            st.session_state.get(k, ""),
            platform=all_channels[cid].platform,
            campaign=campaign_name,
            content=st.session_state.get(ab_label_key, ""),
        )


@st.fragment
def editor() -> None:
    """Edit fields and variants with live per-channel counters, previews and checks; save with a version check."""
    if draft.status in ("in_review", "approved"):
        st.warning(
            "Saving changes now returns this draft to 'draft' and voids its approvals (recorded).",
            icon=":material/lock_open:",
        )
    d1, d2, d3, d4 = st.columns([3, 2, 1, 1])
    title = d1.text_input("Title", snap["title"], key=f"{key}_title", disabled=not editable)
    frame_ids = ["", *frames.FRAMES]
    frame_id = d2.selectbox(
        "Frame",
        frame_ids,
        index=frame_ids.index(snap["frame"]) if snap["frame"] in frame_ids else 0,
        format_func=lambda f: frames.FRAMES[f].label if f else "(none)",
        key=f"{key}_frame",
        disabled=not editable,
    )
    language = d3.text_input("Language", snap["language"], key=f"{key}_lang", disabled=not editable)
    ab_label = d4.text_input("A/B label", snap["ab_label"], key=f"{key}_ab", disabled=not editable)
    if frame_id:
        st.caption(frames.FRAMES[frame_id].advice)
    claim = st.text_input(
        "Claim countered (paraphrased)", snap["claim_countered"], key=f"{key}_claim", disabled=not editable
    )
    trend_ids = st.multiselect(
        "Trends this draft answers",
        list(trend_names),
        [t for t in snap["trend_ids"] if t in trend_names],
        format_func=trend_names.get,
        key=f"{key}_trends",
        disabled=not editable,
    )
    e1, e2, e3 = st.columns(3)
    evidence = e1.text_area(
        "Evidence sources (title | URL, one a line)",
        "\n".join(f"{e['title']} | {e['url']}" for e in snap["evidence"]),
        key=f"{key}_evidence",
        disabled=not editable,
    )
    links = e2.text_area(
        "Links (one a line, before UTM tags)", "\n".join(snap["links"]), key=f"{key}_links", disabled=not editable
    )
    media = e3.text_area(
        "Media (file or URL | alt text, one a line)",
        "\n".join(f"{m['ref']} | {m['alt_text']}" for m in snap["media"]),
        key=f"{key}_media",
        disabled=not editable,
    )
    master = st.text_area("Master text", snap["master_text"], key=f"{key}_master", height=120, disabled=not editable)
    current = [int(c) for c in snap["variants"]]
    chosen = st.multiselect(
        "Channels",
        [c for c in all_channels if all_channels[c].active or c in current],
        current,
        format_func=lambda c: channels.label(all_channels[c]),
        key=f"{key}_channels",
        disabled=not editable,
    )
    keys = {cid: f"{key}_v{cid}" for cid in chosen}
    if editable and chosen:
        st.button(
            "Tag links with UTM (source = platform, campaign, A/B label)",
            key=f"{key}_tag",
            icon=":material/sell:",
            on_click=_tag_links,
            args=(keys, campaign.name, f"{key}_ab"),
        )
    has_media = bool(_lines(media))
    live_ctx = checks.CheckContext(**{**ctx.__dict__, "language": language})
    texts: dict[int, str] = {}
    findings: list[checks.Finding] = []
    for cid in chosen:
        ch = all_channels[cid]
        rules = channels.rules(ch.platform)
        left, right = st.columns(2)
        default = snap["variants"].get(str(cid), master)
        texts[cid] = left.text_area(channels.label(ch), default, key=keys[cid], height=140, disabled=not editable)
        n = channels.count(ch.platform, texts[cid], has_media=has_media)
        limit = f"{n.limit:,}" if n.limit else "no limit"
        colour = "red" if n.over else ("orange" if n.limit and n.length > 0.9 * n.limit else "green")
        left.caption(f":{colour}[**{n.length:,} / {limit}**] · {md(rules.counting)}")
        with right.container(border=True):
            st.caption(f"Preview · {channels.label(ch)}")
            st.text(texts[cid] or " ")
        findings += checks.run_checks(
            checks.CheckInput(texts[cid], ch.platform, channels.label(ch), has_media), live_ctx
        )
    if not chosen:
        findings = checks.run_checks(checks.CheckInput(master, "web", "master text", has_media), live_ctx)
    st.markdown("**Checks** (updated as you edit)")
    show_findings(sorted(findings, key=lambda f: checks.SEVERITIES.index(f.severity)))
    if editable:
        summary = st.text_input("What did you change? (optional, for the history)", key=f"{key}_summary")
        if st.button("Save draft", type="primary", key=f"{key}_save", icon=":material/save:"):
            changes = {
                "title": title,
                "frame": frame_id,
                "language": language,
                "ab_label": ab_label,
                "claim_countered": claim,
                "trend_ids": trend_ids,
                "evidence": [{"title": p[0], "url": p[1] if len(p) > 1 else ""} for p in _lines(evidence)],
                "links": [line[0] for line in _lines(links, "\n")],
                "media": [{"ref": p[0], "alt_text": p[1] if len(p) > 1 else ""} for p in _lines(media)],
                "master_text": master,
                "variants": texts,
            }
            with common.db_session() as session:
                saved = attempt(drafts.update_draft, session, actor, draft.id, loaded, changes, summary)
            if saved is not None:
                st.session_state[loaded_key] = saved.version
                st.toast("Draft saved")
                st.rerun()


with edit_tab:
    if not can_edit:
        st.info("You can read this draft; your role cannot edit drafts.")
    elif draft.status not in drafts.EDITABLE:
        st.info(f"This draft is {draft.status}: it can no longer be edited.")
    editor()


def do(name: str, **kw) -> None:
    with common.db_session() as session:
        done = attempt(workflow.transition, session, actor, draft.id, name, expected_version=loaded, **kw)
    if done is not None:
        st.session_state[loaded_key] = done.version
        st.toast(f"{workflow.TRANSITIONS[name].label}: done")
        st.rerun()


with review_tab:
    st.markdown("**Checks on the saved content**")
    show_findings(saved_findings)
    if approvals:
        rows = [
            {
                "reviewer": a.reviewer_name,
                "at": a.at,
                "valid": a.valid and a in valid,
                "content": a.content_hash[:12],
                "note": a.note,
                "acknowledged": "; ".join(f"{k.check_id}: {k.reason}" for k in a.acknowledgements),
                "invalidated": a.invalidated_reason,
            }
            for a in approvals
        ]
        table = pd.DataFrame(rows)
        st.dataframe(
            table.assign(at=common.local_times(table["at"], common.user_zone())),
            hide_index=True,
            width="stretch",
            key=f"{key}_approvals",
        )
    names = [t.name for t in moves]
    if "approve" in names:
        risky = checks.needs_acknowledgement(saved_findings)
        with st.form(f"{key}_approve"):
            st.markdown(f"**Approve** this exact content (SHA-256 {drafts.content_hash(draft)[:12]}).")
            reasons = {}
            for check_id in sorted({f.id for f in risky}):
                reasons[check_id] = st.text_input(
                    f"Acknowledge {check_id}: why is this amplification risk acceptable?", key=f"{key}_ack_{check_id}"
                )
            note = st.text_input("Note (optional)", key=f"{key}_approve_note")
            if st.form_submit_button("Approve", type="primary", icon=":material/verified:"):
                do("approve", note=note, acknowledgements=reasons)
    if "request_changes" in names:
        with st.form(f"{key}_changes"):
            note = st.text_area("What needs to change?", key=f"{key}_changes_note")
            if st.form_submit_button("Request changes", icon=":material/undo:"):
                do("request_changes", note=note)
    others = [t for t in moves if t.name not in ("approve", "request_changes")]
    if others:
        cols = st.columns(len(others))
        for col, t in zip(cols, others, strict=True):
            if col.button(t.label, key=f"{key}_do_{t.name}", type="primary" if t.name == "submit" else "secondary"):
                do(t.name)
    if not moves:
        st.caption("Nothing your role can do with this draft in its current state.")
    elif "approve" not in names and draft.status == "in_review" and auth.can(actor, auth.Action.REVIEW_DRAFTS):
        st.caption("You wrote or edited this draft, so another reviewer must approve it.")

with comments_tab:
    zone = common.user_zone()
    for c in thread:
        with st.container(border=True):
            st.caption(f"{c.author_name} · {c.at.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key})")
            st.text(c.body)
    if not thread:
        st.caption("No comments yet.")
    if can_comment:
        with st.form(f"{key}_comment", clear_on_submit=True):
            body = st.text_area("Add a comment", key=f"{key}_comment_body")
            if st.form_submit_button("Comment"):
                with common.db_session() as session:
                    if common.run(drafts.add_comment, session, actor, draft.id, body, success="Comment added"):
                        st.rerun()

with history_tab:
    hist = pd.DataFrame(
        [{"version": v.number, "at": v.at, "author": v.author_name, "summary": v.summary} for v in history]
    )
    st.dataframe(
        hist.assign(at=common.local_times(hist["at"], common.user_zone())),
        hide_index=True,
        width="stretch",
        key=f"{key}_hist",
    )
    numbers = [v.number for v in history]
    if len(numbers) > 1:
        h1, h2 = st.columns(2)
        old = h1.selectbox("Compare version", numbers, index=1, key=f"{key}_old")
        new = h2.selectbox("with version", numbers, index=0, key=f"{key}_new")
        with common.db_session() as session:
            diff = common.run(drafts.diff_versions, session, draft.id, old, new)
        st.code(diff or "(no differences)", language="diff")
    if editable and len(numbers) > 1:
        r1, r2 = st.columns([1, 2])
        target = r1.selectbox("Restore version", numbers[1:], key=f"{key}_restore_n")
        if r2.button(f"Restore version {target} as a new version", key=f"{key}_restore", icon=":material/restore:"):
            with common.db_session() as session:
                restored = attempt(drafts.restore_version, session, actor, draft.id, target, loaded, success="Restored")
            if restored is not None:
                st.session_state[loaded_key] = restored.version
                st.rerun()
