"""What the Drafts page's view components share: the selected draft's loaded state, findings, saving with conflicts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from planner import campaigns, checks, drafts, wording, workflow
from planner.audit import Actor
from planner.errors import PlannerError
from planner.models import Approval, Campaign, Channel, Draft, DraftComment, DraftVersion
from planner.ui import common
from planner.ui.common import safe_md

SEVERITY_ICONS = {"error": ":material/error:", "warning": ":material/warning:", "info": ":material/info:"}


@dataclass
class DraftView:
    """Everything the tabs show about the selected draft, read once per run."""

    actor: Actor
    draft: Draft
    snap: dict[str, Any]
    campaign: Campaign
    ctx: checks.CheckContext
    saved_findings: list[checks.Finding]
    approvals: list[Approval]
    valid: list[Approval]
    approved_versions: dict[int, int | None]
    moves: list
    allowed: frozenset[str]  # workflow.allowed_actions: what this viewer may do with the draft now
    flags: dict[int, str]  # approval id -> why it is flagged (drafts.approval_flags)
    thread: list[DraftComment]
    history: list[DraftVersion]
    trend_names: dict[int, str]
    channels: dict[int, Channel]
    loaded: int  # the lock version this browser tab loaded (kept across reruns; never shown)
    loaded_key: str
    key: str

    @property
    def number(self) -> int:
        """The newest version number, as History lists it."""
        return self.history[0].number if self.history else 0


def load_view(session, actor: Actor, draft: Draft, all_channels: dict[int, Channel]) -> DraftView:
    """Read everything the tabs show about `draft`, remembering the version this browser tab loaded."""
    # The lock version this browser tab loaded: kept across reruns so that unsaved edits survive someone else's
    # save, and a save based on it gets the core's conflict check instead of silently using the newer version.
    loaded_key = f"dr_loaded_{draft.id}"
    if loaded_key not in st.session_state:
        st.session_state[loaded_key] = draft.version
    loaded = st.session_state[loaded_key]
    ctx = checks.context_for(session, draft=draft)
    return DraftView(
        actor=actor,
        draft=draft,
        snap=drafts.snapshot(session, draft),
        campaign=campaigns.get_campaign(session, draft.campaign_id),
        ctx=ctx,
        saved_findings=checks.check_draft(session, draft, ctx),
        approvals=drafts.approvals(session, draft.id),
        valid=drafts.valid_approvals(session, draft),
        approved_versions=drafts.approved_versions(session, draft.id),
        moves=workflow.available(session, actor, draft),
        allowed=workflow.allowed_actions(session, actor, draft),
        flags=drafts.approval_flags(session, draft.id),
        thread=drafts.comments(session, draft.id),
        history=drafts.versions(session, draft.id),
        trend_names=campaigns.trend_choices(session),
        channels=all_channels,
        loaded=loaded,
        loaded_key=loaded_key,
        key=f"ed_{draft.id}_{loaded}",
    )


def show_findings(findings: list[checks.Finding]) -> None:
    """Show check findings as coloured boxes, named in plain words, with how to fix each."""
    if not findings:
        st.success("All checks pass.", icon=":material/check_circle:")
        return
    for f in findings:
        box = {"error": st.error, "warning": st.warning, "info": st.info}[f.severity]
        tag = " · amplification risk: a reviewer must acknowledge it" if f.amplification else ""
        box(
            f"**{safe_md(wording.label(f.id, 'check'))}** [{safe_md(f.channel)}]{tag}  \n{safe_md(f.message)}  \n"
            f"*Fix:* {safe_md(f.fix)}",
            icon=SEVERITY_ICONS[f.severity],
        )


def _show_conflict(exc: PlannerError) -> None:
    if isinstance(exc, drafts.ConflictError):
        st.code(exc.diff or "(no content changes: only the status changed)", language="diff")


def attempt(fn, *args, success: str | None = None, **kwargs):
    """Call a core function; show a save conflict with the other's changes, other named errors as st.error."""
    return common.run(fn, *args, success=success, on_error=_show_conflict, **kwargs)
