"""Drafts > Edit: fields and per-channel variants with live counters, previews and checks; save with a version check."""

from __future__ import annotations

import streamlit as st

from planner import channels, checks, drafts, frames
from planner.ui import common
from planner.ui.common import safe_md
from planner.ui.drafts_shared import DraftView, attempt, show_findings


def _tag_links(view: DraftView, keys: dict[int, str]) -> None:
    for cid, k in keys.items():
        st.session_state[k] = drafts.tag_links(
            st.session_state.get(k, ""),
            platform=view.channels[cid].platform,
            campaign=view.campaign.name,
            content=st.session_state.get(f"{view.key}_ab", ""),
        )


def _counter(platform: str, text: str, has_media: bool) -> str:
    n = channels.count(platform, text, has_media=has_media)
    limit = f"{n.limit:,}" if n.limit else "no limit"
    colour = "red" if n.over else ("orange" if n.limit and n.length > 0.9 * n.limit else "green")
    return f":{colour}[**{n.length:,} / {limit}**] · {safe_md(channels.rules(platform).counting)}"


@st.fragment
def editor(view: DraftView) -> None:
    """Edit the draft (only where the role and the draft's state allow it); checks update as you type."""
    draft, snap, key, all_channels = view.draft, view.snap, view.key, view.channels
    editable = "edit" in view.allowed
    if editable and draft.status in ("in_review", "approved"):
        st.warning(
            "Saving changes now returns this draft to Draft and voids its approvals (recorded).",
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
        list(view.trend_names),
        [t for t in snap["trend_ids"] if t in view.trend_names],
        format_func=view.trend_names.get,
        key=f"{key}_trends",
        disabled=not editable,
    )
    as_text = drafts.fields_as_text(snap)
    e1, e2, e3 = st.columns(3)
    evidence = e1.text_area(
        "Evidence sources (title | URL, one a line)", as_text["evidence"], key=f"{key}_evidence", disabled=not editable
    )
    links = e2.text_area(
        "Links (one a line, before UTM tags)", as_text["links"], key=f"{key}_links", disabled=not editable
    )
    media = e3.text_area(
        "Media (file or URL | alt text, one a line)", as_text["media"], key=f"{key}_media", disabled=not editable
    )
    fields = drafts.fields_from_text(evidence, links, media)
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
            args=(view, keys),
        )
    has_media = bool(fields["media"])
    texts: dict[int, str] = {}
    for cid in chosen:
        ch = all_channels[cid]
        left, right = st.columns(2)
        default = snap["variants"].get(str(cid), master)
        texts[cid] = left.text_area(
            safe_md(channels.label(ch)), default, key=keys[cid], height=140, disabled=not editable
        )
        left.caption(_counter(ch.platform, texts[cid], has_media))  # md-safe: numbers and the rules' own words
        with right.container(border=True):
            st.caption(f"Preview · {safe_md(channels.label(ch))}")
            st.text(texts[cid] or " ")
    inputs = [
        checks.CheckInput(texts[cid], all_channels[cid].platform, channels.label(all_channels[cid]), has_media)
        for cid in chosen
    ]
    live_ctx = checks.CheckContext(**{**view.ctx.__dict__, "language": language})
    st.markdown("**Checks** (updated as you edit)")
    show_findings(checks.check_texts(inputs, checks.CheckInput(master, "web", "master text", has_media), live_ctx))
    if editable:
        _save(view, title, frame_id, language, ab_label, claim, trend_ids, fields, master, texts)


def _save(view: DraftView, title, frame_id, language, ab_label, claim, trend_ids, fields, master, texts) -> None:
    summary = st.text_input("What did you change? (optional, for the history)", key=f"{view.key}_summary")
    if st.button("Save draft", type="primary", key=f"{view.key}_save", icon=":material/save:"):
        changes = {
            "title": title,
            "frame": frame_id,
            "language": language,
            "ab_label": ab_label,
            "claim_countered": claim,
            "trend_ids": trend_ids,
            **fields,
            "master_text": master,
            "variants": texts,
        }
        with common.db_session() as session:
            saved = attempt(drafts.update_draft, session, view.actor, view.draft.id, view.loaded, changes, summary)
        if saved is not None:
            st.session_state[view.loaded_key] = saved.version
            st.toast("Draft saved")
            st.rerun()
