"""Build a campaign brief from its chosen sections and export it as PDF, Word, HTML or Markdown."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from planner import audit, wording
from planner.audit import Actor
from planner.auth import Action, require
from planner.briefs import settings
from planner.briefs.blocks import Chart, clean
from planner.briefs.sections import SECTIONS
from planner.campaigns import get_campaign
from planner.db import atomic
from planner.errors import PlannerError
from planner.models import Campaign


@dataclass(frozen=True)
class Format:
    name: str
    label: str
    extension: str
    mime: str


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("pdf", "PDF", ".pdf", "application/pdf"),
        Format("docx", "Word", ".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        Format("html", "HTML", ".html", "text/html"),
        Format("md", "Markdown", ".md", "text/markdown"),
    )
}


class BriefError(PlannerError):
    """A brief cannot be made: unknown section or format; the message lists what is available."""


def today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class BriefOptions:
    """What goes into a brief. Empty label/author/summary (None) are filled from the campaign's stored settings."""

    sections: tuple[str, ...] = field(default_factory=lambda: tuple(SECTIONS))
    handling_label: str | None = None
    author: str | None = None
    date: date = field(default_factory=today)
    executive_summary: str | None = None
    template_dir: str | Path | None = None


def parse_sections(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """Return section names from 'plan,matrix' or a list (all sections when empty); raise BriefError for unknown."""
    if value is None:
        return tuple(SECTIONS)
    names = [s.strip().lower() for s in (value.split(",") if isinstance(value, str) else value) if s.strip()]
    if not names:
        return tuple(SECTIONS)
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        raise BriefError(f"sections: {unknown[0]!r} is not a section; choose from {', '.join(SECTIONS)}")
    # Keep the brief's own order whatever order they were asked in.
    return tuple(n for n in SECTIONS if n in names)


def complete(session: Session, campaign: Campaign, options: BriefOptions) -> BriefOptions:
    """Return `options` with label, author and summary taken from the stored settings where not given."""
    stored = settings.get_settings(session, campaign.id)
    return replace(
        options,
        sections=parse_sections(options.sections),
        handling_label=settings.clean_label(
            stored.handling_label if options.handling_label is None else options.handling_label
        ),
        author=stored.author if options.author is None else options.author,
        executive_summary=stored.executive_summary if options.executive_summary is None else options.executive_summary,
    )


def build(session: Session, campaign: Campaign, options: BriefOptions) -> dict:
    """Return the brief's context: title page facts and, per chosen section, its title and blocks."""
    options = complete(session, campaign, options)
    sections = []
    for name in options.sections:
        sec = SECTIONS[name]
        content = sec.build(session, campaign, options)
        sections.append({"name": sec.name, "title": sec.title, "blocks": content.get("blocks", [])})
    return {
        "title": clean(f"Campaign brief: {campaign.name}"),
        "campaign": clean(campaign.name),
        "status": clean(wording.label(campaign.status, "campaign_status")),
        "label": clean(options.handling_label),
        "author": clean(options.author) or "not named",
        "date": options.date.isoformat(),
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "sections": sections,
    }


@dataclass(frozen=True)
class Picture:
    """A chart of a previewed brief, already drawn as PNG."""

    caption: str
    alt: str
    png: bytes
    kind: str = "chart"


def preview(session: Session, campaign_id: int, options: BriefOptions) -> dict:
    """Return build() of campaign `campaign_id` with its charts drawn as PNG Pictures: plain data that can be kept
    (the Brief page keeps it until the workspace changes). Raises CampaignError."""
    context = build(session, get_campaign(session, campaign_id), options)
    for sec in context["sections"]:
        sec["blocks"] = [Picture(b.caption, b.alt, b.png) if isinstance(b, Chart) else b for b in sec["blocks"]]
    return context


def render(context: dict, fmt: str, template_dir: str | Path | None = None) -> bytes:
    """Render a built brief as `fmt` (pdf, docx, html, md) and return the file's bytes."""
    if fmt not in FORMATS:
        raise BriefError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    if fmt == "html":
        from planner.briefs.render_html import render_html

        return render_html(context, template_dir).encode("utf-8")
    if fmt == "md":
        from planner.briefs.render_markdown import render_markdown

        return render_markdown(context, template_dir).encode("utf-8")
    if fmt == "pdf":
        from planner.briefs.render_pdf import render_pdf

        return render_pdf(context, template_dir)
    from planner.briefs.render_docx import render_docx

    return render_docx(context)


def export(session: Session, actor: Actor, campaign: int | str, fmt: str, options: BriefOptions) -> bytes:
    """Build and render the brief of `campaign` (name or id) as `fmt`; the export is audited.

    Raises PermissionDenied, CampaignError, BriefError or TemplateError.
    """
    require(actor, Action.EXPORT_BRIEFS)
    if fmt not in FORMATS:
        raise BriefError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    camp = get_campaign(session, campaign)
    data = render(build(session, camp, options), fmt, options.template_dir)
    with atomic(session):
        chosen = ", ".join(parse_sections(options.sections))
        audit.record(session, actor, "brief.export", "campaign", camp.id, f"{camp.name}: {fmt} ({chosen})")
    return data


def file_name(campaign_name: str, fmt: str) -> str:
    """Return a safe download name such as 'brief-valley-together.pdf'."""
    from planner.drafts import slug

    return f"brief-{slug(campaign_name) or 'campaign'}{FORMATS[fmt].extension}"
