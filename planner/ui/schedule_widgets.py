"""Schedule blocks other pages embed: the "due in the next hour" list on Home."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from planner.models import utcnow
from planner.schedule import calendar
from planner.ui import common


def due_next_hour(zone: ZoneInfo) -> None:
    """Show the posts due in the next hour (staff publish them on the platform), or nothing when none are due."""
    with common.db_session() as session:
        due = calendar.due_soon(session, utcnow(), timedelta(hours=1))
    if due.empty:
        return
    st.subheader("Due in the next hour")
    for row in due.itertuples(index=False):
        paused = " (PAUSED: do not post)" if row.status == "paused" else ""
        st.text(f"{row.at.tz_convert(zone):%H:%M} {zone.key} · {row.channel} · {row.title}{paused}")
    st.page_link("planner/ui/calendar.py", label="Open the calendar", icon=":material/calendar_month:")
