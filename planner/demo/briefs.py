"""Demo part: the planner's executive summary and handling label for the demo campaign's brief (fictional)."""

from __future__ import annotations

from sqlalchemy import select

from planner.demo import DemoContext
from planner.models import BriefSettings, Campaign

SUMMARY = (
    "Since early November the fictional Order of the Grey Lantern has pushed #GreyLanternRises at young adults in "
    "Valleyton, telling them the cities have abandoned the valley. Part of the push is coordinated: a cluster of 40 "
    "accounts posted identical text within seconds of each other (a signal of coordination, not proof of who runs "
    "them).\n\n"
    "Valley Together answers with an alternative, not an argument: local messengers invite young adults to the "
    "youth centre's mentoring evenings. The campaign is running; one adjustment moved posting later in the evening "
    "after week 1.\n\n"
    "Decision needed: approve the next two drafts in review and keep two staff on replies 18:00-22:00."
)


def add_brief_settings(ctx: DemoContext) -> str:
    """Brief settings"""
    camp = ctx.session.scalar(select(Campaign).where(Campaign.name == "Valley Together"))
    if camp is None:
        return "No brief settings (the demo campaign is missing)"
    ctx.session.add(
        BriefSettings(
            campaign_id=camp.id,
            handling_label="OFFICIAL-SENSITIVE",
            author="Dana Draftwell (fictional demo drafter)",
            executive_summary=SUMMARY,
            updated_by=ctx.actor.username,
        )
    )
    ctx.session.flush()
    return "Brief settings for Valley Together (summary, handling label OFFICIAL-SENSITIVE)"
