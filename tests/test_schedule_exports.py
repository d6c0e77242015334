"""Exports and import: ICS parses back with stable UIDs, bulk and full CSV without formulas, CSV import of drafts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from planner.models import Draft, DraftComment, ScheduleEntry
from planner.schedule import ScheduleError, calendar, exports
from planner.schedule.cadence import set_cadence
from tests.schedule_helpers import draft, world

AT = datetime(2026, 11, 20, 18, 30, tzinfo=UTC)


def scheduled(session, reviewer, text='=HYPERLINK("http://evil.example") join us https://valley.example/m'):
    chans, camp = world(session)
    set_cadence(session, reviewer, chans["x"], time_zone="America/New_York")
    d = draft(session, camp, [chans["x"]], "Mentoring evening", status="scheduled")
    d.variants[0].text = text
    e = ScheduleEntry(draft_id=d.id, variant_id=d.variants[0].id, channel_id=chans["x"], scheduled_at=AT)
    session.add(e)
    session.commit()
    return camp, d, e


def frame(session):
    return calendar.calendar_frame(session, AT - timedelta(days=1), AT + timedelta(days=1))


def test_ics_parses_back_with_stable_uids(session, reviewer):
    _camp, d, e = scheduled(session, reviewer)
    first = exports.to_ics(frame(session), base_url="https://cp.example/")
    again = exports.to_ics(frame(session), base_url="https://cp.example/")
    cal = Calendar.from_ical(first)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    ev = events[0]
    assert str(ev["UID"]) == f"counterpoint-entry-{e.id}@counterpoint"
    assert str(Calendar.from_ical(again).walk("VEVENT")[0]["UID"]) == str(ev["UID"])
    assert ev.decoded("DTSTART") == AT and ev.decoded("DTEND") == AT + timedelta(minutes=15)
    assert str(ev["SUMMARY"]) == "X @valley_x: Mentoring evening"
    description = str(ev["DESCRIPTION"])
    assert "join us https://valley.example/m" in description
    assert f"Draft: https://cp.example/drafts?draft={d.id}" in description
    assert str(ev["STATUS"]) == "CONFIRMED"


def test_bulk_csv_uses_the_channel_zone_and_neutralises_formulas(session, reviewer):
    scheduled(session, reviewer)
    rows = list(csv.reader(io.StringIO(exports.bulk_csv(frame(session)))))
    assert rows[0] == ["date", "time", "message", "link"]
    assert rows[1][:2] == ["2026-11-20", "13:30"]  # New York time
    assert rows[1][2].startswith("'=HYPERLINK")
    assert rows[1][3] == "http://evil.example"  # the first link in the text


def test_full_csv_has_every_field(session, reviewer):
    _c, d, e = scheduled(session, reviewer, text="plain text")
    rows = list(csv.DictReader(io.StringIO(exports.full_csv(frame(session)))))
    assert rows[0]["id"] == str(e.id) and rows[0]["draft_id"] == str(d.id)
    assert rows[0]["at_utc"] == "2026-11-20T18:30:00+00:00" and rows[0]["local_time"] == "2026-11-20 13:30"
    assert rows[0]["time_zone"] == "America/New_York" and rows[0]["status"] == "planned"


def test_import_creates_drafts_all_or_nothing(session, reviewer):
    chans, camp = world(session)
    good = (
        "Date,Time,Message,Link,Channel\n"
        "2026-12-01,19:00,Friday mentoring at the youth centre,https://valley.example/m,@valley_x\n"
        "2026-12-02,,Parents' evening,,\n"
    )
    result = exports.import_planned_csv(session, reviewer, camp.name, good)
    assert len(result.draft_ids) == 2
    first = session.get(Draft, result.draft_ids[0])
    assert first.status == "draft" and first.master_text == "Friday mentoring at the youth centre"
    assert [v.channel_id for v in first.variants] == [chans["x"]]
    note = session.query(DraftComment).filter_by(draft_id=first.id).one().body
    assert note.startswith("Planned for 2026-12-01 19:00 Europe/London")
    bad = good + "2026-12-03,25:00,Late,,\n"
    with pytest.raises(ScheduleError, match="row 4, time"):
        exports.import_planned_csv(session, reviewer, camp.name, bad)
    with pytest.raises(ScheduleError, match="row 2, link"):
        exports.import_planned_csv(session, reviewer, camp.name, "date,message,link\n2026-12-01,x,ftp://nope\n")
    with pytest.raises(ScheduleError, match="missing column"):
        exports.import_planned_csv(session, reviewer, camp.name, "when,text\n1,2\n")
    assert session.query(Draft).count() == 2


def test_full_csv_neutralises_text_keeps_numbers_and_raw_keeps_all(session, reviewer):
    _c, _d, e = scheduled(session, reviewer, text="@SUM(1+1) see you")
    rows = list(csv.DictReader(io.StringIO(exports.full_csv(frame(session)))))
    assert rows[0]["text"] == "'@SUM(1+1) see you" and rows[0]["id"] == str(e.id)
    raw = list(csv.DictReader(io.StringIO(exports.full_csv(frame(session), raw=True))))
    assert raw[0]["text"] == "@SUM(1+1) see you"
    assert next(csv.reader(io.StringIO(exports.bulk_csv(frame(session), raw=True).splitlines()[1])))[2].startswith("@")
