"""Scheduling approved drafts against trends: entries, cadence, auto-schedule, pauses, calendar and exports."""

from __future__ import annotations

from planner.errors import PlannerError

# The private calendar feed's URL path (server.py serves it; here so the server need not load scheduling to route).
FEED_PATH = "/api/calendar/{token}.ics"


class ScheduleError(PlannerError):
    """A schedule entry, cadence rule, pause or export request is not possible; the message says why."""


class PauseConfirmationRequired(ScheduleError):
    """The entry is inside an active crisis pause: marking it published needs explicit confirmation."""


class EarlyPublishConfirmationRequired(ScheduleError):
    """The post is marked published before its due time: that needs explicit confirmation (it may be a mistake)."""
