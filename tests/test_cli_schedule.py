"""CLI: `schedule auto|list|export`, `pause` and `resume` in their exact forms, on the demo workspace."""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from icalendar import Calendar

from planner.cli import cli
from tests.conftest import copy_demo, workspace_env


@pytest.fixture
def demo_dir(tmp_path, demo_template):
    data = tmp_path / "cli"
    copy_demo(demo_template, data)
    return data


def run(demo_dir, *args):
    return CliRunner().invoke(cli, list(args), env=workspace_env(demo_dir))


def listed(demo_dir):
    result = run(demo_dir, "schedule", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_list_json_has_the_documented_fields(demo_dir):
    rows = listed(demo_dir)
    assert {"id", "draft_id", "channel", "at", "status", "paused"} <= set(rows[0])
    assert {r["status"] for r in rows} >= {"planned", "published", "missed"}
    assert all(r["at"].endswith("+00:00") for r in rows)
    table = run(demo_dir, "schedule", "list")
    assert table.exit_code == 0 and "Mentoring evening reminder" in table.output
    # People read times as words in the table (JSON keeps ISO 8601)
    assert "+00:00" not in table.output and re.search(
        r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d+ \w{3} 20\d\d, \d\d:\d\d UTC", table.output
    )


def test_resume_names_each_missed_post_by_title_channel_and_readable_time(tmp_path, demo_template):
    from sqlalchemy import create_engine, select, update
    from sqlalchemy.orm import Session

    from planner.models import Draft, ScheduleEntry, SchedulePause

    data = tmp_path / "cli"
    url = copy_demo(demo_template, data)
    ended = run(data, "pause", "--scope", "all", "--reason", "incident", "--until", "2030-01-01T10:00")
    assert ended.exit_code == 0 and "until Tue 1 Jan 2030, 10:00 UTC" in ended.output
    engine = create_engine(url)
    try:
        with Session(engine) as session, session.begin():
            entry = session.scalars(
                select(ScheduleEntry).where(ScheduleEntry.status == "planned").order_by(ScheduleEntry.scheduled_at)
            ).first()
            title = session.get(Draft, entry.draft_id).title
            due = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
            entry.scheduled_at = due
            entry_id = entry.id
            # The pause began before that post was due: resuming now finds it missed.
            session.execute(
                update(SchedulePause)
                .where(SchedulePause.resumed_at.is_(None))
                .values(starts_at=datetime(2026, 1, 1, tzinfo=UTC))
            )
    finally:
        engine.dispose()
    resumed = run(data, "resume", "--scope", "all")
    assert resumed.exit_code == 0, resumed.output
    assert re.search(r"resumed all: \d+ posts? missed during the pause", resumed.output)
    line = next(x for x in resumed.output.splitlines() if x.strip().startswith(f"#{entry_id} "))
    assert "was due Mon 5 Jan 2026, 09:30 UTC" in line and " on " in line and "channel " not in line
    assert f"'{title}'" in line


def test_pause_shows_paused_in_list_and_resume_reports_missed(demo_dir):
    started = datetime.now(UTC)
    result = run(demo_dir, "pause", "--scope", "channel:@ValleyVoicesNet", "--reason", "Incident: hold X posts")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("paused channel:@ValleyVoicesNet")
    # A pause holds what is still to come; the live demo may have a post planned earlier this hour, before it.
    rows = [r for r in listed(demo_dir) if datetime.fromisoformat(r["at"].replace("Z", "+00:00")) >= started]
    future_x = [r for r in rows if r["channel"] == "X @ValleyVoicesNet" and r["status"] in ("planned", "paused")]
    assert future_x and {r["status"] for r in future_x} == {"paused"}
    others = [r for r in rows if r["channel"] != "X @ValleyVoicesNet" and r["status"] in ("planned", "paused")]
    assert others and {r["status"] for r in others} == {"planned"}
    again = run(demo_dir, "pause", "--scope", "channel:@ValleyVoicesNet", "--reason", "twice")
    assert again.exit_code == 1 and "already paused" in again.output
    resumed = run(demo_dir, "resume", "--scope", "channel:@ValleyVoicesNet")
    assert resumed.exit_code == 0 and re.search(r"\d+ posts? missed during the pause", resumed.output)
    assert "paused" not in {r["status"] for r in listed(demo_dir) if r["status"] != "published" and not r["paused"]}


def test_pause_campaign_and_all_scopes(demo_dir):
    started = datetime.now(UTC)
    assert run(demo_dir, "pause", "--scope", "campaign:Valley Together", "--reason", "review").exit_code == 0
    assert run(demo_dir, "pause", "--scope", "all", "--reason", "national mourning").exit_code == 0
    # A pause holds what is still to come; the live demo may have a post planned earlier this hour, before it.
    ahead = [r for r in listed(demo_dir) if datetime.fromisoformat(r["at"].replace("Z", "+00:00")) >= started]
    assert ahead and {r["status"] for r in ahead if r["status"] in ("planned", "paused")} == {"paused"}
    bad = run(demo_dir, "pause", "--scope", "campaign:Nope", "--reason", "x")
    assert bad.exit_code == 1 and "Nope" in bad.output and "Traceback" not in bad.output
    assert run(demo_dir, "resume", "--scope", "all").exit_code == 0
    assert run(demo_dir, "resume", "--scope", "all").exit_code == 1


def test_auto_places_what_is_approved_and_explains_the_rest(demo_dir):
    result = run(
        demo_dir, "schedule", "auto", "--from", "2030-01-07T00:00Z", "--to", "2030-01-14T00:00Z", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["score"] >= out["greedy_score"] > 0
    assert {p["label"].split(" on ")[0] for p in out["placed"]} == {"Answer: the valley sees you"}
    assert all(p["at"].startswith("2030-01-") and p["why"] for p in out["placed"])
    assert len(out["entries"]) == len(out["placed"])
    again = run(demo_dir, "schedule", "auto", "--campaign", "Valley Together")
    assert again.exit_code == 0 and again.output.startswith("Placed 0 posts,")
    bad = run(demo_dir, "schedule", "auto", "--from", "yesterday")
    assert bad.exit_code == 2 and "ISO" in bad.output


def test_export_ics_csv_and_bulk_csv(demo_dir, tmp_path):
    n = len(listed(demo_dir))
    ics = tmp_path / "s.ics"
    assert run(demo_dir, "schedule", "export", "--format", "ics", "-o", str(ics)).exit_code == 0
    events = Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    assert len(events) == n and len({str(e["UID"]) for e in events}) == n
    full = tmp_path / "s.csv"
    assert run(demo_dir, "schedule", "export", "--format", "csv", "-o", str(full)).exit_code == 0
    assert len(list(csv.DictReader(full.open()))) == n
    bulk = tmp_path / "b.csv"
    assert run(demo_dir, "schedule", "export", "--format", "bulk-csv", "-o", str(bulk)).exit_code == 0
    rows = list(csv.reader(bulk.open()))
    assert rows[0] == ["date", "time", "message", "link"]
    assert len(rows) - 1 == sum(r["status"] == "planned" for r in listed(demo_dir))
