"""Brief settings: the planner's executive summary, handling label and author, stored per campaign and audited."""

from __future__ import annotations

import pytest

from planner import audit, briefs
from planner.auth import PermissionDenied
from planner.briefs import BriefSettingsError
from tests.planfixtures import make_campaign


def test_save_and_read_back(session, drafter):
    camp = make_campaign(session)
    assert briefs.get_settings(session, camp.id).executive_summary == ""
    briefs.save_settings(
        session,
        drafter,
        camp.name,
        executive_summary="  Our view.\n\nNext step.  ",
        handling_label=" OFFICIAL \n",
        author="Dora",
    )
    stored = briefs.get_settings(session, camp.id)
    assert (stored.executive_summary, stored.handling_label, stored.author) == (
        "Our view.\n\nNext step.",
        "OFFICIAL",
        "Dora",
    )
    assert stored.updated_by == "dora"
    entry = audit.entries(session, audit.AuditFilter(action_prefix="brief.settings")).iloc[0]
    assert entry["summary"] == "Valley Together: label 'OFFICIAL', author 'Dora'"


def test_viewers_cannot_change_settings(session, viewer):
    camp = make_campaign(session)
    with pytest.raises(PermissionDenied):
        briefs.save_settings(session, viewer, camp.id, executive_summary="x", handling_label="", author="")


def test_too_long_values_are_named(session, drafter):
    camp = make_campaign(session)
    with pytest.raises(BriefSettingsError, match="handling label: use at most 120"):
        briefs.save_settings(session, drafter, camp.id, executive_summary="", handling_label="X" * 121, author="")
    with pytest.raises(BriefSettingsError, match="executive summary: use at most 20,000"):
        briefs.save_settings(session, drafter, camp.id, executive_summary="x" * 20_001, handling_label="", author="")
