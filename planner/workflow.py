"""The draft approval workflow as a state machine: who may move a draft from which state to which, and the rules.

draft -> in_review -> changes_requested | approved -> scheduled -> published -> archived.
Nobody approves a draft they wrote; a campaign requires 1-3 approvals; an approval is bound to the SHA-256 of
the draft's exact content; every transition is permission-checked and audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from planner import audit, checks, wording
from planner.audit import Actor
from planner.auth import Action, PermissionDenied, can, require
from planner.db import atomic
from planner.drafts import (
    approval_flags,
    can_edit,
    comment_in_transaction,
    conflict_error,
    content_hash,
    contributors,
    current_number,
    get_draft,
    invalidate_approvals,
    valid_approvals,
)
from planner.errors import PlannerError
from planner.models import Approval, ApprovalAcknowledgement, Campaign, Draft, utcnow


class WorkflowError(PlannerError):
    """The transition is not possible from the draft's current state, or a rule forbids it."""


class SelfApprovalError(WorkflowError):
    """A reviewer tried to approve a draft they wrote or edited."""


class ChecksFailedError(WorkflowError):
    """The draft has check errors; they block submission and approval."""

    def __init__(self, message: str, findings: list[checks.Finding]):
        super().__init__(message)
        self.findings = findings


class AcknowledgementRequired(WorkflowError):
    """Amplification-risk warnings were not acknowledged with a reason."""

    def __init__(self, message: str, findings: list[checks.Finding]):
        super().__init__(message)
        self.findings = findings


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: dict[str, Action]  # state it may start from -> permission needed from there
    target: str


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "submit",
            "Submit for review",
            {"draft": Action.EDIT_DRAFTS, "changes_requested": Action.EDIT_DRAFTS},
            "in_review",
        ),
        Transition("withdraw", "Withdraw from review", {"in_review": Action.EDIT_DRAFTS}, "draft"),
        # Approve stays in review until the campaign's required number of approvals is reached.
        Transition("approve", "Approve", {"in_review": Action.REVIEW_DRAFTS}, "approved"),
        Transition(
            "request_changes",
            "Request changes",
            {"in_review": Action.REVIEW_DRAFTS, "approved": Action.REVIEW_DRAFTS},
            "changes_requested",
        ),
        Transition("schedule", "Schedule", {"approved": Action.SCHEDULE}, "scheduled"),
        Transition("unschedule", "Unschedule", {"scheduled": Action.SCHEDULE}, "approved"),
        Transition("publish", "Mark published", {"scheduled": Action.SCHEDULE}, "published"),
        Transition(
            "archive",
            "Archive",
            {
                "draft": Action.EDIT_DRAFTS,
                "changes_requested": Action.EDIT_DRAFTS,
                "approved": Action.REVIEW_DRAFTS,
                "published": Action.REVIEW_DRAFTS,
            },
            "archived",
        ),
    )
}


# How the acting user stands to a draft: wrote it, edited it (a saved version is theirs), or neither.
RELATIONS = ("author", "editor", "other")
# What a user may do with a draft: save edits, comment, and every transition.
ACTIONS = ("edit", "comment", *TRANSITIONS)


def relation(session: Session, actor: Actor, draft: Draft) -> str:
    """Return 'author', 'editor' or 'other': how `actor` stands to `draft`."""
    if actor.user_id is not None and draft.created_by == actor.user_id:
        return "author"
    if actor.user_id is not None and actor.user_id in contributors(session, draft.id):
        return "editor"
    return "other"


def refusal(actor: Actor, draft: Draft, name: str, rel: str) -> str | None:
    """Return why `actor` (standing `rel` to `draft`) may not attempt transition `name` now, or None if they may.

    The one rule book for the core (transition) and the pages (allowed_actions): state, role, and relation.
    """
    t = TRANSITIONS[name]
    if draft.status not in t.sources:
        return f"it is {draft.status.replace('_', ' ')}"
    if not can(actor, t.sources[draft.status]):
        return f"{actor.username} ({actor.role}) may not {t.label.lower()} drafts"
    if name == "approve" and actor.user_id is None:
        return "approvals need a named reviewer account: the command line cannot approve drafts"
    if name in ("approve", "request_changes") and rel != "other":
        verb = "approve it" if name == "approve" else "request changes on it"
        return f"{actor.username} wrote or edited {draft.title!r} and may not {verb}: another reviewer must"
    if name == "withdraw" and rel == "other" and not can(actor, Action.REVIEW_DRAFTS):
        return f"{actor.username} did not write {draft.title!r} and may not withdraw it: its writer or a reviewer may"
    return None


def allowed_actions(session: Session, actor: Actor, draft: Draft) -> frozenset[str]:
    """Return what `actor` may do with `draft` now (names from ACTIONS): exactly what the core accepts.

    Pages show a button, a form or a warning only for what is in this set; the core checks again regardless.
    """
    rel = relation(session, actor, draft)
    out = {name for name in TRANSITIONS if refusal(actor, draft, name, rel) is None}
    if can_edit(actor, draft):
        out.add("edit")
    if can(actor, Action.COMMENT):
        out.add("comment")
    return frozenset(out)


def _required(session: Session, draft: Draft) -> int:
    return session.get(Campaign, draft.campaign_id).required_approvals


def _check_errors(findings: list[checks.Finding], what: str) -> None:
    errs = checks.errors(findings)
    if errs:
        first = errs[0]
        raise ChecksFailedError(
            f"{what}: {wording.plural(len(errs), 'check error')} block it. First: [{first.channel}] {first.message} "
            f"{first.fix}",
            errs,
        )


def transition(
    session: Session,
    actor: Actor,
    draft_id: int,
    name: str,
    *,
    expected_version: int | None = None,
    note: str = "",
    acknowledgements: dict[str, str] | None = None,
) -> Draft:
    """Apply transition `name` to a draft; return it.

    Raises PermissionDenied, WorkflowError (or its subclasses SelfApprovalError, ChecksFailedError,
    AcknowledgementRequired), or drafts.ConflictError when `expected_version` is stale.
    """
    if name not in TRANSITIONS:
        raise WorkflowError(f"transition: {name!r} is not one of {', '.join(TRANSITIONS)}")
    t = TRANSITIONS[name]
    if not any(can(actor, a) for a in t.sources.values()):
        require(actor, next(iter(t.sources.values())))
    with atomic(session):
        draft = get_draft(session, draft_id, for_update=True)
        if expected_version is not None and draft.version != expected_version:
            raise conflict_error(session, draft, expected_version)
        before = draft.status
        if before not in t.sources:
            allowed = ", ".join(s.replace("_", " ") for s in t.sources)
            raise WorkflowError(
                f"cannot {t.label.lower()} draft {draft.title!r}: it is {before.replace('_', ' ')} (needs {allowed})"
            )
        require(actor, t.sources[before])
        reason = refusal(actor, draft, name, relation(session, actor, draft))
        if reason is not None:
            error = SelfApprovalError if name == "approve" else PermissionDenied
            raise error(reason)
        target = t.target
        summary = f"{before} -> {target}"
        if name == "submit":
            _check_errors(checks.check_draft(session, draft), "cannot submit")
        elif name == "approve":
            target, detail = _approve(session, actor, draft, note, acknowledgements or {})
            summary = f"{before} -> {target}; {detail}"
        elif name == "request_changes":
            if not note.strip():
                raise WorkflowError("request changes: say what needs to change (it goes into the comments)")
            invalidate_approvals(session, actor, draft, f"changes requested by {actor.username}")
            comment_in_transaction(session, actor, draft, f"Changes requested: {note.strip()}")
        elif name == "schedule":
            have, need = len(valid_approvals(session, draft)), _required(session, draft)
            if have < need:
                raise WorkflowError(
                    f"cannot schedule {draft.title!r}: {have} of {wording.plural(need, 'approval')} "
                    "match its current content"
                )
        elif name == "withdraw":
            invalidate_approvals(session, actor, draft, f"withdrawn from review by {actor.username}")
        draft.status = target
        draft.updated_at = utcnow()
        session.flush()
        if note.strip():
            summary += f": {note.strip()}"
        audit.record(session, actor, f"draft.{name}", "draft", draft.id, f"{draft.title}: {summary}")
    return draft


def _approve(
    session: Session, actor: Actor, draft: Draft, note: str, acknowledgements: dict[str, str]
) -> tuple[str, str]:
    current = content_hash(draft)
    mine = [a for a in valid_approvals(session, draft) if a.reviewer_id == actor.user_id]
    if mine:
        raise WorkflowError(f"{actor.username} already approved this content of {draft.title!r}")
    findings = checks.check_draft(session, draft)
    _check_errors(findings, "cannot approve")
    risky = checks.needs_acknowledgement(findings)
    missing = sorted({f.id for f in risky if not (acknowledgements.get(f.id) or "").strip()})
    if missing:
        named = ", ".join(f"'{wording.label(m, 'check')}'" for m in missing)
        raise AcknowledgementRequired(
            f"acknowledge the amplification {wording.noun(len(missing), 'risk')} {named} "
            "with a reason before approving",
            [f for f in risky if f.id in missing],
        )
    approval = Approval(
        draft_id=draft.id, reviewer_id=actor.user_id, reviewer_name=actor.username, content_hash=current, note=note
    )
    approval.acknowledgements = [
        ApprovalAcknowledgement(
            check_id=f.id, channel=f.channel, message=f.message, reason=acknowledgements[f.id].strip()
        )
        for f in risky
    ]
    session.add(approval)
    session.flush()
    have, need = len(valid_approvals(session, draft)), _required(session, draft)
    acks = f"; acknowledged {', '.join(sorted({f.id for f in risky}))}" if risky else ""
    flag = approval_flags(session, draft.id).get(approval.id)
    flagged = f"; FLAGGED: {flag}" if flag else ""
    number = current_number(session, draft.id)
    summary = f"version {number}, approval {have}/{need} (sha256 {current[:12]}){acks}{flagged}"
    return ("approved" if have >= need else "in_review"), summary


def available(session: Session, actor: Actor, draft: Draft) -> list[Transition]:
    """Return the transitions `actor` may attempt on `draft` now (for showing buttons; the core still checks)."""
    allowed = allowed_actions(session, actor, draft)
    return [t for t in TRANSITIONS.values() if t.name in allowed]


def submit(session: Session, actor: Actor, draft_id: int, **kw) -> Draft:
    """Send a draft to review; check errors block it."""
    return transition(session, actor, draft_id, "submit", **kw)


def approve(session: Session, actor: Actor, draft_id: int, **kw) -> Draft:
    """Approve the draft's current content (acknowledging amplification warnings by check id)."""
    return transition(session, actor, draft_id, "approve", **kw)


def request_changes(session: Session, actor: Actor, draft_id: int, note: str, **kw) -> Draft:
    """Send a draft back to its writer with a note."""
    return transition(session, actor, draft_id, "request_changes", note=note, **kw)
