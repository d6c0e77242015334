"""ORM tables of a workspace, one module per domain concept."""

from planner.models.accounts import LoginThrottle, SsoLink, User, UserSession
from planner.models.audit import AuditEntry
from planner.models.base import Base, utcnow
from planner.models.briefs import BriefSettings
from planner.models.campaigns import (
    Approval,
    ApprovalAcknowledgement,
    Campaign,
    CampaignAdjustment,
    CampaignChannel,
    CampaignTrend,
    Channel,
    Draft,
    DraftComment,
    DraftTrend,
    DraftVariant,
    DraftVersion,
)
from planner.models.coordination import CoordinationCluster, CoordinationEdge, CoordinationMember, CoordinationRun
from planner.models.metrics import MetricImport, MetricPostRef, MetricSnapshot
from planner.models.posts import ImportBatch, ImportReject, Post
from planner.models.schedule import CadenceRule, CalendarToken, ScheduleEntry, SchedulePause
from planner.models.settings import WorkspaceSetting
from planner.models.trends import DetectionRun, Narrative, NarrativePost, Trend, Watchlist, WatchlistItem

__all__ = [
    "Approval",
    "ApprovalAcknowledgement",
    "AuditEntry",
    "Base",
    "BriefSettings",
    "Campaign",
    "CadenceRule",
    "CalendarToken",
    "CampaignAdjustment",
    "CampaignChannel",
    "CampaignTrend",
    "Channel",
    "CoordinationCluster",
    "CoordinationEdge",
    "CoordinationMember",
    "CoordinationRun",
    "DetectionRun",
    "Draft",
    "DraftComment",
    "DraftTrend",
    "DraftVariant",
    "DraftVersion",
    "ImportBatch",
    "ImportReject",
    "LoginThrottle",
    "MetricImport",
    "MetricPostRef",
    "MetricSnapshot",
    "Narrative",
    "NarrativePost",
    "Post",
    "ScheduleEntry",
    "SchedulePause",
    "SsoLink",
    "Trend",
    "User",
    "UserSession",
    "Watchlist",
    "WatchlistItem",
    "WorkspaceSetting",
    "utcnow",
]
