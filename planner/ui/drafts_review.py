"""Drafts > Review: checks on the saved content, approvals by version, and the workflow actions the viewer may take."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner import auth, checks, wording, workflow
from planner.ui import common
from planner.ui.drafts_shared import DraftView, attempt, show_findings

DONE_KEY = "dr_review_done"


def _do(view: DraftView, name: str, **kw) -> None:
    with common.db_session() as session:
        done = attempt(
            workflow.transition, session, view.actor, view.draft.id, name, expected_version=view.loaded, **kw
        )
    if done is not None:
        st.session_state[view.loaded_key] = done.version
        # Shown on the Review tab after the rerun, which opens that tab again (its label changed with the counts).
        st.session_state[DONE_KEY] = (
            view.draft.id,
            f"{workflow.TRANSITIONS[name].label}: done. The draft is now {wording.label(done.status).lower()}.",
        )
        st.rerun()


def approvals_table(view: DraftView) -> None:
    """Show who approved which version, whether it still holds, and what they acknowledged."""
    if not view.approvals:
        st.caption("No approvals yet.")
        return
    zone = common.user_zone()
    rows = [
        {
            "Reviewer": a.reviewer_name,
            "When": common.when(a.at, zone),
            "What": wording.approval(view.approved_versions.get(a.id)),
            "Still valid": "yes" if a in view.valid else "no",
            "Note": a.note,
            "Acknowledged": "; ".join(f"{wording.label(k.check_id, 'check')}: {k.reason}" for k in a.acknowledgements),
            "Voided because": a.invalidated_reason or "",
            "Flag": view.flags.get(a.id, ""),
        }
        for a in view.approvals
    ]
    common.show_table(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        height=common.fit_height(len(rows)),
        key=f"{view.key}_approvals",
        column_config={
            "When": st.column_config.TextColumn(width="medium"),
            "Acknowledged": st.column_config.TextColumn(width="large"),
            "Voided because": st.column_config.TextColumn(width="large"),
            "Flag": st.column_config.TextColumn(width="large"),
        },
    )


def workflow_actions(view: DraftView) -> None:
    """Render exactly the transitions workflow.available() offers this viewer on this draft, and nothing else."""
    moves = view.moves
    names = [t.name for t in moves]
    key = view.key
    if "approve" in names:
        risky = checks.needs_acknowledgement(view.saved_findings)
        with st.form(f"{key}_approve"):
            st.markdown(f"**Approve version {view.number:d}** exactly as it stands.")
            reasons = {}
            for check_id in sorted({f.id for f in risky}):
                reasons[check_id] = st.text_input(
                    f"Acknowledge '{wording.label(check_id, 'check')}': why is this amplification risk acceptable?",
                    key=f"{key}_ack_{check_id}",
                )
            note = st.text_input("Note (optional)", key=f"{key}_approve_note")
            if st.form_submit_button(workflow.TRANSITIONS["approve"].label, type="primary", icon=":material/verified:"):
                _do(view, "approve", note=note, acknowledgements=reasons)
    if "request_changes" in names:
        with st.form(f"{key}_changes"):
            note = st.text_area("What needs to change?", key=f"{key}_changes_note")
            if st.form_submit_button(workflow.TRANSITIONS["request_changes"].label, icon=":material/undo:"):
                _do(view, "request_changes", note=note)
    others = [t for t in moves if t.name not in ("approve", "request_changes")]
    if others:
        cols = st.columns(len(others))
        for col, t in zip(cols, others, strict=True):
            kind = "primary" if t.name == "submit" else "secondary"
            if col.button(t.label, key=f"{key}_do_{t.name}", type=kind):  # md-safe: workflow.TRANSITIONS labels
                _do(view, t.name)
    if not moves:
        st.caption("Nothing your role can do with this draft in its current state.")


def review(view: DraftView) -> None:
    """The Review tab."""
    st.markdown("**Checks on the saved content**")
    show_findings(view.saved_findings)
    st.markdown("**Approvals**")
    approvals_table(view)
    workflow_actions(view)
    names = {t.name for t in view.moves}
    if "approve" not in names and view.draft.status == "in_review" and auth.can(view.actor, auth.Action.REVIEW_DRAFTS):
        st.caption("You wrote or edited this draft, so another reviewer must approve it.")
