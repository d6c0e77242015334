"""Plan > Drafts: write counter-messages per channel with live counters and checks, review, comment, history."""

from __future__ import annotations

import streamlit as st

from planner import auth, campaigns, channels, drafts, wording
from planner.ui import common
from planner.ui.drafts_comments import comments
from planner.ui.drafts_editor import editor
from planner.ui.drafts_history import history_tab
from planner.ui.drafts_new import CREATING, TABLE_GENERATION, new_draft_form
from planner.ui.drafts_review import DONE_KEY, review
from planner.ui.drafts_shared import load_view

HEADLINE_STATUSES = ("draft", "in_review", "changes_requested", "approved", "scheduled")

actor = common.require_actor()
common.header(
    "Drafts",
    "Write counter-messages per channel, check them, and take them through review. Pick a draft or start a new one.",
)
can_edit = auth.can(actor, auth.Action.EDIT_DRAFTS)

with common.db_session() as session:
    camp_frame = campaigns.list_campaigns(session)
    all_channels = {c.id: c for c in channels.list_channels(session, active_only=False)}
camp_names = dict(zip(camp_frame["id"], camp_frame["name"], strict=True))

f1, f2 = st.columns([1, 3])
camp_filter = f1.selectbox(
    "Campaign",
    [None, *camp_names],
    format_func=lambda i: "All campaigns" if i is None else camp_names[i],
    key="dr_camp",
)
status_filter = f2.pills("Status", drafts.STATUSES, selection_mode="multi", format_func=wording.label, key="dr_status")
with common.db_session() as session:
    frame = drafts.list_drafts(session, campaign=camp_filter)
if status_filter:
    frame = frame[frame["status"].isin(status_filter)].reset_index(drop=True)

counts = frame["status"].value_counts()
for col, status in zip(st.columns(len(HEADLINE_STATUSES)), HEADLINE_STATUSES, strict=True):
    col.metric(wording.label(status), int(counts.get(status, 0)), border=True)

if camp_frame.empty:
    st.info("No campaigns yet. Plan one first: drafts belong to a campaign.")
    st.page_link("planner/ui/campaigns.py", label="Go to Campaigns", icon=":material/flag:")
    st.stop()


def _select_from_table() -> None:
    """Open the draft picked in the table (only when the pick changes, so a new draft stays selected)."""
    state = st.session_state.get(f"dr_table_{st.session_state.get(TABLE_GENERATION, 0)}")
    rows = state.selection.rows if state else []
    if rows:
        st.query_params["draft"] = str(st.session_state["dr_table_ids"][rows[0]])


if frame.empty:
    st.info("No drafts match. Start one below, or clear the status filter.")
else:
    ids = [int(i) for i in frame["id"]]
    st.session_state["dr_table_ids"] = ids
    wanted = st.query_params.get("draft")
    default_rows = [ids.index(int(wanted))] if wanted and wanted.isdigit() and int(wanted) in ids else []
    common.show_table(
        common.words(frame.assign(channels=frame["channels"].map(", ".join)), status=None),
        column_order=["title", "campaign", "status", "channels", "approvals", "language", "version"],
        hide_index=True,
        width="stretch",
        height=common.fit_height(len(frame), most=12),
        on_select=_select_from_table,
        selection_mode="single-row",
        selection_default={"selection": {"rows": default_rows}},
        key=f"dr_table_{st.session_state.get(TABLE_GENERATION, 0)}",
        column_config={
            "title": st.column_config.TextColumn("Title", width=230),
            "campaign": st.column_config.TextColumn("Campaign", width=150),
            "status": st.column_config.TextColumn("Status", width=130),
            "channels": st.column_config.TextColumn("Channels", width=170),
            "approvals": st.column_config.TextColumn(
                "Approvals", width=80, help="Approvals of the current content / approvals required"
            ),
            "language": st.column_config.TextColumn("Language", width=75),
            "version": st.column_config.NumberColumn("Version", width=65, help="The newest version in History"),
        },
    )


if can_edit:
    if st.session_state.get(CREATING, frame.empty and "draft" not in st.query_params):
        new_draft_form(actor, camp_names, all_channels)
    elif st.button("Start a new draft", icon=":material/add:", key="dr_start"):
        st.session_state[CREATING] = True
        st.rerun()

draft_param = st.query_params.get("draft")
if draft_param is None:
    st.caption("Select a draft in the table to edit, review, comment on or compare its versions.")
    st.stop()

with common.db_session() as session:
    draft = common.run(drafts.get_draft, session, int(draft_param) if draft_param.isdigit() else 0)
    if draft is None:
        st.query_params.pop("draft", None)
        st.stop()
    view = load_view(session, actor, draft, all_channels)
loaded = view.loaded

st.divider()
st.subheader(common.safe_md(draft.title))
need = view.campaign.required_approvals
st.caption(
    f"Campaign {common.safe_md(view.campaign.name)} · {wording.label(draft.status)} · "
    f"{len(view.valid)} of {wording.plural(need, 'approval')} · version {view.number:d}"
)
if loaded != draft.version:
    st.warning(
        f"This draft changed since you opened it (it is now at version {view.number:d}, "
        f"{wording.label(draft.status).lower()}). Your unsaved edits are kept; saving shows what changed.",
        icon=":material/sync_problem:",
    )
    if st.button("Load the latest version (drops your unsaved edits)", key=f"{view.key}_reload"):
        st.session_state[view.loaded_key] = draft.version
        st.rerun()

tab_labels = [
    "Edit",
    f"Review ({len(view.valid)}/{need:d})",
    f"Comments ({len(view.thread)})",
    f"History ({wording.plural(len(view.history), 'version')})",
]
# After a review action (approve, submit, ...) stay on the Review tab and say what happened.
just_done = st.session_state.pop(DONE_KEY, None)
just_done = just_done[1] if just_done and just_done[0] == draft.id else None
edit_tab, review_tab, comments_tab, history_tab_ = st.tabs(tab_labels, default=tab_labels[1] if just_done else None)
with edit_tab:
    if not can_edit:
        st.info("You can read this draft; your role cannot edit drafts.")
    elif not drafts.can_edit(actor, draft):
        st.info(f"This draft is {wording.label(draft.status).lower()}: it can no longer be edited.")
    editor(view)
with review_tab:
    if just_done:
        st.success(just_done, icon=":material/check_circle:")
    review(view)
with comments_tab:
    comments(view)
with history_tab_:
    history_tab(view)
