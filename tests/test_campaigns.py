"""Campaign plans: validation naming the field, required messenger and funder, locking, adjustments, links."""

from __future__ import annotations

from datetime import date

import pytest
from planfixtures import PLAN, make_campaign, make_channels, make_trend

from planner import audit, campaigns
from planner.auth import PermissionDenied


def test_create_stores_a_full_plan(session, drafter):
    camp = make_campaign(session, drafter, starts_on="2026-12-01", ends_on=date(2027, 1, 31))
    plan = campaigns.plan(camp)
    assert plan["status"] == "planning" and plan["required_approvals"] == 1
    assert plan["kpi_targets"] == [{"metric": "mentoring sign-ups", "target": 120.0, "unit": "people"}]
    assert plan["audience_active_hours"] == [18, 19, 20]
    assert plan["tags"] == ["youth", "mentoring"]
    assert plan["starts_on"] == date(2026, 12, 1)
    nan_unit = make_campaign(
        session, drafter, name="N", kpi_targets=[{"metric": "m", "target": 1, "unit": float("nan")}]
    )
    assert campaigns.plan(nan_unit)["kpi_targets"][0]["unit"] == ""
    assert campaigns.kpi_summary(camp) == ["mentoring sign-ups: 120 people"]
    assert campaigns.get_campaign(session, "valley together").id == camp.id
    assert campaigns.get_campaign(session, str(camp.id)).id == camp.id
    assert audit.count(session, audit.AuditFilter(action_prefix="campaign.create")) == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"messengers": []}, "messengers"),
        ({"funder": " "}, "funder"),
        ({"name": ""}, "name"),
        ({"required_approvals": 4}, "required approvals"),
        ({"required_approvals": 0}, "required approvals"),
        ({"message_type": "shouting"}, "message type"),
        ({"audience_time_zone": "Mars/Olympus"}, "time zone"),
        ({"audience_languages": ["English"]}, "audience languages"),
        ({"audience_active_hours": [25]}, "active hours"),
        ({"kpi_targets": [{"metric": "clicks", "target": "lots"}]}, "KPI targets, row 1"),
        ({"kpi_targets": [{"metric": "", "target": 3}]}, "KPI targets, row 1"),
        ({"kpi_targets": [{"metric": "clicks", "target": float("nan")}]}, "must be a number"),
        ({"messengers": [{"name": "", "role": "x"}]}, "messengers, row 1"),
        ({"media_formats": ["hologram"]}, "media formats"),
        ({"starts_on": "2027-02-01", "ends_on": "2027-01-01"}, "ends on"),
        ({"starts_on": "tomorrow"}, "starts on"),
        ({"status": "finished"}, "status"),
        ({"persona": "x"}, "unknown plan field"),
    ],
)
def test_bad_plans_name_the_field(session, drafter, change, field):
    with pytest.raises(campaigns.CampaignError, match=field):
        make_campaign(session, drafter, **change)


def test_duplicate_name_refused(session, drafter):
    make_campaign(session, drafter)
    with pytest.raises(campaigns.CampaignError, match="already exists"):
        make_campaign(session, drafter, name="VALLEY together")


def test_viewer_cannot_plan(session, viewer):
    with pytest.raises(PermissionDenied):
        make_campaign(session, viewer)


def test_update_with_stale_version_is_a_conflict(session, drafter, reviewer):
    camp = make_campaign(session, drafter)
    v = camp.version
    campaigns.update_campaign(session, reviewer, camp.id, v, {"goal": "Reviewer's goal"})
    with pytest.raises(campaigns.CampaignConflictError, match="changed by someone else"):
        campaigns.update_campaign(session, drafter, camp.id, v, {"goal": "Drafter's goal"})
    assert campaigns.get_campaign(session, camp.id).goal == "Reviewer's goal"
    loaded = campaigns.plan(camp) | {"goal": PLAN["goal"]}
    with pytest.raises(campaigns.CampaignConflictError, match="they changed goal") as info:
        campaigns.update_campaign(session, drafter, camp.id, v, {"goal": "x"}, loaded_plan=loaded)
    assert info.value.changed == {"goal": (PLAN["goal"], "Reviewer's goal")}


def test_changes_to_a_running_campaign_need_a_reason_and_are_logged(session, drafter):
    camp = make_campaign(session, drafter)
    campaigns.update_campaign(session, drafter, camp.id, camp.version, {"goal": "planning changes are free"})
    assert campaigns.adjustments(session, camp.id).empty
    campaigns.set_status(session, drafter, camp.id, "active")
    with pytest.raises(campaigns.CampaignError, match="reason"):
        campaigns.update_campaign(session, drafter, camp.id, camp.version, {"audience_active_hours": [21, 22]})
    campaigns.update_campaign(
        session, drafter, camp.id, camp.version, {"audience_active_hours": [21, 22]}, reason="replies come late"
    )
    log = campaigns.adjustments(session, camp.id)
    assert log.iloc[0]["why"] == "replies come late"
    assert log.iloc[0]["what"] == "audience active hours: [18, 19, 20] -> [21, 22]"
    assert log.iloc[0]["author"] == "dora"


def test_pausing_needs_a_reason_and_is_logged(session, drafter):
    camp = make_campaign(session, drafter)
    campaigns.set_status(session, drafter, camp.id, "active")
    with pytest.raises(campaigns.CampaignError, match="reason"):
        campaigns.set_status(session, drafter, camp.id, "paused")
    campaigns.set_status(session, drafter, camp.id, "paused", "counter-surge: hold posts")
    assert campaigns.adjustments(session, camp.id).iloc[0]["what"] == "status: active -> paused"


def test_link_trends_and_channels(session, drafter):
    camp = make_campaign(session, drafter)
    trend = make_trend(session, "#lanterncalls")
    chans = make_channels(session)
    campaigns.set_links(session, drafter, camp.id, trend_ids=[trend.id], channel_ids=[chans["x"], chans["web"]])
    assert [t.key for t in campaigns.linked_trends(session, camp.id)] == ["#lanterncalls"]
    assert [c.platform for c in campaigns.linked_channels(session, camp.id)] == ["web", "x"]
    assert campaigns.trend_choices(session) == {trend.id: "#lanterncalls (hashtag, new)"}
    with pytest.raises(campaigns.CampaignError, match="no trend with id 999"):
        campaigns.set_links(session, drafter, camp.id, trend_ids=[999])
    frame = campaigns.list_campaigns(session)
    assert frame.iloc[0][["name", "trends", "drafts"]].tolist() == ["Valley Together", 1, 0]


def test_list_filters_by_status(session, drafter):
    make_campaign(session, drafter)
    make_campaign(session, drafter, name="Second")
    campaigns.set_status(session, drafter, campaigns.get_campaign(session, "Second").id, "active")
    assert campaigns.list_campaigns(session, "active")["name"].tolist() == ["Second"]
    assert PLAN["name"] in campaigns.list_campaigns(session)["name"].tolist()
