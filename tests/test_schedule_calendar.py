"""Calendar data: week, month and list views show exactly the same entries for a range, in any zone; conflicts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from planner.models import ScheduleEntry
from planner.schedule import calendar
from planner.schedule.cadence import set_cadence
from tests.schedule_helpers import draft, world


def fill(session, reviewer, times):
    """Store one planned entry per UTC time (directly: the times are in the past of the real clock)."""
    chans, camp = world(session)
    d = draft(session, camp, [chans["x"], chans["telegram"]], status="scheduled")
    for k, at in enumerate(times):
        v = d.variants[k % 2]
        session.add(ScheduleEntry(draft_id=d.id, variant_id=v.id, channel_id=v.channel_id, scheduled_at=at))
    session.commit()
    return chans


# Times around local midnights and the October DST change in London and New York.
TIMES = [
    datetime(2026, 10, 25, 23, 30, tzinfo=UTC),
    datetime(2026, 10, 26, 0, 30, tzinfo=UTC),
    datetime(2026, 10, 25, 0, 59, tzinfo=UTC),
    datetime(2026, 10, 31, 23, 59, tzinfo=UTC),
    datetime(2026, 11, 1, 0, 0, tzinfo=UTC),
    datetime(2026, 11, 1, 4, 30, tzinfo=UTC),
    datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
    datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
    datetime(2026, 10, 19, 0, 0, tzinfo=UTC),
    datetime(2026, 11, 8, 23, 0, tzinfo=UTC),
]


@pytest.mark.parametrize("zone_name", ["UTC", "Europe/London", "America/New_York", "Pacific/Kiritimati"])
@pytest.mark.parametrize("anchor", [date(2026, 10, 26), date(2026, 11, 1), date(2026, 10, 19)])
def test_week_month_and_list_show_the_same_entries(session, reviewer, zone_name, anchor):
    fill(session, reviewer, TIMES)
    zone = ZoneInfo(zone_name)
    start, end = calendar.view_range("week", anchor, zone)
    frame = calendar.calendar_frame(session, start, end)
    expected = {i for i, at in zip(frame["id"], frame["at"], strict=True) if start <= at < end}
    week = calendar.ids_of(calendar.week_grid(frame, start, zone))
    listed = calendar.ids_of(calendar.list_view(frame, zone))
    # The month view of each month the week touches, restricted to the week's days.
    shown_in_months = set()
    for month_anchor in {start.astimezone(zone).date(), (end - timedelta(seconds=1)).astimezone(zone).date()}:
        m_start, m_end = calendar.view_range("month", month_anchor, zone)
        m_frame = calendar.calendar_frame(session, m_start, m_end)
        for wk in calendar.month_grid(m_frame, m_start, zone):
            for day, rows in wk:
                if start.astimezone(zone).date() <= day < end.astimezone(zone).date():
                    shown_in_months |= {int(i) for i in rows["id"]}
    assert week == listed == shown_in_months == expected
    all_ids = {e.id for e in session.query(ScheduleEntry) if start <= e.scheduled_at < end}
    assert week == all_ids


def test_month_grid_starts_on_monday_and_leaves_other_months_empty(session, reviewer):
    fill(session, reviewer, TIMES)
    zone = ZoneInfo("Europe/London")
    start, end = calendar.view_range("month", date(2026, 10, 10), zone)
    weeks = calendar.month_grid(calendar.calendar_frame(session, start, end), start, zone)
    assert weeks[0][0][0] == date(2026, 9, 28) and all(len(w) == 7 for w in weeks)
    assert calendar.ids_of(weeks) == {e.id for e in session.query(ScheduleEntry) if start <= e.scheduled_at < end}
    assert all(rows.empty for w in weeks for day, rows in w if day.month != 10)


def test_conflicts_gap_cap_and_hours(session, reviewer):
    chans = fill(session, reviewer, [])
    set_cadence(session, reviewer, chans["x"], posts_per_day=2, min_gap_minutes=90, allowed_hours=range(8, 20))
    from planner.models import Draft

    d = session.query(Draft).one()
    base = datetime(2026, 11, 3, 9, tzinfo=UTC)
    for at in (base, base + timedelta(minutes=30), base + timedelta(hours=5), base + timedelta(hours=12)):
        session.add(ScheduleEntry(draft_id=d.id, variant_id=d.variants[0].id, channel_id=chans["x"], scheduled_at=at))
    session.commit()
    frame = calendar.calendar_frame(session, base - timedelta(hours=9), base + timedelta(hours=15))
    notes = list(frame.sort_values("at")["conflict_note"])
    assert notes[0] == ""
    assert notes[1].startswith("30 min after #") and "minimum gap 90 min" in notes[1]
    assert notes[2] == "post 3 on 2026-11-03 (limit 2 a day)"
    assert "post 4 on 2026-11-03" in notes[3] and "outside the channel's allowed hours" in notes[3]


def test_view_range_rejects_unknown_views():
    from planner.schedule import ScheduleError

    with pytest.raises(ScheduleError, match="view"):
        calendar.view_range("year", date(2026, 1, 1), ZoneInfo("UTC"))
