"""CLI: detect-trends in its exact form (table, JSON, CSV), narratives, watchlist commands, clean errors."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.db import open_workspace
from tests.conftest import workspace_url
from tests.trend_helpers import store_posts, synthetic_posts

JSON_KEYS = {
    "key",
    "kind",
    "detected_at",
    "peak_at",
    "peak_volume",
    "total_volume",
    "unique_authors",
    "score",
    "lifecycle",
    "bursts",
    "explanation",
    "excess",
    "also",
    "as_of",
}


@pytest.fixture
def runner(tmp_path, monkeypatch):
    url = workspace_url(tmp_path, "cli")
    monkeypatch.setenv("PLANNER_DATABASE_URL", url)
    ws = open_workspace(url)
    with ws.session() as session:
        store_posts(session, synthetic_posts())
    ws.dispose()
    return CliRunner()


def _run(runner, *args):
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    return result


def test_json_has_the_documented_fields(runner):
    result = _run(runner, "detect-trends", "--kind", "hashtag", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["key"] for r in rows] == ["#rising", "#blitz"]
    assert all(JSON_KEYS <= set(r) for r in rows)
    blitz = rows[1]
    assert blitz["detected_at"] == "2026-11-04T18:00:00+00:00" and blitz["kind"] == "hashtag"
    assert pd.Timestamp(blitz["peak_at"]).tzname() == "UTC"
    assert blitz["bursts"] == [["2026-11-04T18:00:00+00:00", "2026-11-04T21:00:00+00:00"]]
    assert blitz["total_volume"] == 300 and blitz["lifecycle"] == "dormant"
    assert blitz["explanation"].startswith(f"{blitz['peak_volume']} posts in the hour")
    assert blitz["excess"] == round(blitz["peak_volume"] - blitz["baseline"], 1)
    assert blitz["also"] == [] and blitz["as_of"] == "2026-11-07T00:00:00+00:00"  # no other kind detected here
    assert blitz["unique_authors"] <= blitz["peak_volume"]  # both describe the peak bucket
    assert rows[0]["score"] >= rows[1]["score"]


def test_table_csv_top_since_until_bucket(runner):
    table = _run(runner, "detect-trends", "--top", "1")
    lines = table.output.strip().splitlines()
    assert table.exit_code == 0 and lines[0] == "Lifecycle as of Sat 7 Nov 2026, 00:00 UTC (the newest monitored post)."
    assert "trends in 6,660 monitored posts; the best 1 by score:" in lines[1]
    assert "#rising" in table.output and len(lines) == 4 and "Excess" in lines[2] and "Expected" in lines[2]
    assert "detected_at" not in table.output and "+00:00" not in table.output
    every = _run(runner, "detect-trends", "--format", "csv")
    frame = pd.read_csv(io.StringIO(every.output), keep_default_na=False)
    blitz = frame.set_index("key").loc["#blitz"]
    assert "greylantern-news.example" in blitz["also"].split(";")  # folded: it burst in the same posts
    assert blitz["bursts"] == "2026-11-04T18:00:00+00:00/2026-11-04T21:00:00+00:00"
    assert frame["score"].is_monotonic_decreasing and {"excess", "also", "as_of"} <= set(frame.columns)
    domain = pd.read_csv(io.StringIO(_run(runner, "detect-trends", "--kind", "domain", "--format", "csv").output))
    assert domain["key"].tolist() == ["greylantern-news.example"]
    chosen = _run(runner, "detect-trends", "--as-of", "2026-11-04T20:00Z", "--kind", "hashtag")
    assert "Lifecycle as of Wed 4 Nov 2026, 20:00 UTC (a chosen time)." in chosen.output
    assert "#rising" not in chosen.output
    ranged = _run(
        runner, "detect-trends", "--since", "2026-11-06T00:00", "--until", "2026-11-07T00:00Z", "--format", "json"
    )
    assert {r["key"] for r in json.loads(ranged.output) if r["kind"] == "hashtag"} == {"#rising"}
    daily = _run(runner, "detect-trends", "--bucket", "15min", "--kind", "hashtag", "--format", "json")
    assert daily.exit_code == 0 and "#blitz" in {r["key"] for r in json.loads(daily.output)}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bucket", "2s"], "bucket: 2s is outside 5 minutes to 1 day"),
        (["--since", "yesterday-ish"], "is not an ISO 8601 time"),
        (["--since", "2026-11-05", "--until", "2026-11-01"], "since must be before until"),
        (["--kind", "emoji"], "Invalid value for '--kind'"),
    ],
)
def test_bad_options_fail_cleanly(runner, args, message):
    result = runner.invoke(cli, ["detect-trends", *args])
    assert result.exit_code != 0 and message in result.output
    assert "Traceback" not in result.output


def test_watchlist_commands_flag_trends(runner):
    assert _run(runner, "watchlist", "create", "Adversary").exit_code == 0
    added = _run(runner, "watchlist", "add", "Adversary", "hashtag", "#Blitz", "--note", "fictional")
    assert added.output.strip() == "Added hashtag #blitz to 'Adversary'."
    dup = runner.invoke(cli, ["watchlist", "add", "Adversary", "hashtag", "blitz"])
    assert dup.exit_code == 1 and "already on 'Adversary'" in dup.output
    listed = json.loads(_run(runner, "watchlist", "list", "--format", "json").output)
    assert [(r["kind"], r["value"]) for r in listed] == [("hashtag", "#blitz")]
    rows = json.loads(_run(runner, "detect-trends", "--kind", "hashtag", "--format", "json").output)
    assert [(r["key"], r["watchlisted"]) for r in rows] == [("#rising", False), ("#blitz", True)]  # marked, not moved
    table = _run(runner, "detect-trends", "--kind", "hashtag").output
    assert [line.split()[0] for line in table.splitlines()[3:]] == ["#rising", "#blitz"] and " yes " in table
    only = json.loads(_run(runner, "detect-trends", "--watchlisted-only", "--format", "json").output)
    assert [r["key"] for r in only] == ["#blitz"]
    assert _run(runner, "watchlist", "remove", "Adversary", "hashtag", "BLITZ").exit_code == 0
    missing = runner.invoke(cli, ["watchlist", "add", "Nope", "term", "x"])
    assert missing.exit_code == 1 and "no watchlist called 'Nope'" in missing.output


def test_narratives_command(runner):
    result = _run(runner, "narratives", "--clusters", "5", "--format", "json")
    rows = json.loads(result.output)
    assert len(rows) == 5 and sum(r["size"] for r in rows) == 6660
    assert any("lantern" in r["top_terms"] for r in rows)


def test_help_lists_the_commands(runner):
    out = _run(runner, "--help").output
    assert "detect-trends" in out and "watchlist" in out and "narratives" in out
