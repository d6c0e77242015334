"""Spreadsheet safety: every CSV writer neutralises formula-like text (OWASP), keeps numbers numeric, and --raw."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from click.testing import CliRunner
from coordination_helpers import add_posts

from planner import csvsafe, ingest
from planner.cli import cli
from planner.coordination import exports as coordination_exports
from planner.db import open_workspace
from planner.ingest import ImportOptions, Source
from planner.ingest.pipeline import Rejected
from tests.conftest import workspace_url

LINK = '=HYPERLINK("http://evil.example/x","click")'
HOSTILE = [LINK, "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("value", HOSTILE)
def test_neutralise_quotes_every_formula_start(value):
    assert csvsafe.neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["plain", "", " =not first", "'=already quoted", -5, -5.5, 0, None])
def test_neutralise_leaves_the_rest_alone(value):
    assert csvsafe.neutralise(value) == value


def test_frame_csv_neutralises_text_and_keeps_numeric_columns():
    frame = pd.DataFrame({"name": [LINK, "-minus text", "ok"], "delta": [-5, 3, -1], "share": [-0.5, 0.1, 0.2]})
    rows = _rows(csvsafe.frame_csv(frame))
    assert rows[0] == ["name", "delta", "share"]
    assert rows[1] == ["'" + LINK, "-5", "-0.5"]
    assert rows[2] == ["'-minus text", "3", "0.1"]
    back = pd.read_csv(io.StringIO(csvsafe.frame_csv(frame)))
    assert back["delta"].tolist() == [-5, 3, -1]  # still numbers
    assert _rows(csvsafe.frame_csv(frame, raw=True))[1][0] == LINK


def test_writer_neutralises_text_cells_only():
    buf = io.StringIO()
    csvsafe.writer(buf).writerows([["@a", -5, 2.5], ["b", "-5", None]])
    assert _rows(buf.getvalue()) == [["'@a", "-5", "2.5"], ["b", "'-5", ""]]


def test_edges_csv(tmp_path):
    edges = pd.DataFrame({"source": [LINK], "target": ["@SUM(1)"], "weight": [-5]})
    rows = _rows(coordination_exports.edges_csv(edges, "co-post"))
    assert rows[1] == ["'" + LINK, "'@SUM(1)", "-5", "co-post"]
    assert _rows(coordination_exports.edges_csv(edges, "co-post", raw=True))[1][:3] == [LINK, "@SUM(1)", "-5"]
    path = coordination_exports.write(tmp_path / "e.csv", edges, "co-post")
    assert _rows(path.read_text(encoding="utf-8"))[1][0] == "'" + LINK


def test_rejects_csv():
    rows = _rows(ingest.rejects_csv([Rejected(7, "date", "not a date", LINK)]))
    assert rows[1] == ["7", "date", "not a date", "'" + LINK]
    buf = io.StringIO()
    ingest.write_rejects([Rejected(7, "date", "not a date", LINK)], buf, raw=True)
    assert _rows(buf.getvalue())[1][3] == LINK


HOSTILE_POSTS = (
    "id,author,date,text\n"
    '1,"=HYPERLINK(""http://evil.example/x"",""click"")",2026-11-01T00:00:00Z,"+cmd|\' /C calc\'!A0"\n'
    "2,+SUM(1),2026-11-01T00:00:05Z,-5\n"
)


def test_export_qut(session, admin):
    source = Source.from_bytes("hostile.csv", HOSTILE_POSTS.encode())
    ingest.import_posts(session, admin, source, ImportOptions(mapping={"author_handle": "author"}))
    buf = io.StringIO()
    assert ingest.export_qut(session, admin, buf) == 2
    rows = _rows(buf.getvalue())
    assert rows[1][2] == "'" + LINK and rows[1][5] == "'+cmd|' /C calc'!A0"
    assert rows[2][2] == "'+SUM(1)" and rows[2][5] == "'-5"  # post text is text, even when it looks like a number
    assert rows[1][6] == str(int(datetime(2026, 11, 1, tzinfo=UTC).timestamp()))  # the timestamp stays a number
    raw = io.StringIO()
    ingest.export_qut(session, admin, raw, raw=True)
    assert _rows(raw.getvalue())[1][2] == LINK


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    url = workspace_url(tmp_path, "cli")
    monkeypatch.setenv("PLANNER_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    return url


def test_cli_export_posts_and_raw(cli_env, tmp_path):
    runner = CliRunner()
    (tmp_path / "hostile.csv").write_text(HOSTILE_POSTS, encoding="utf-8")
    result = runner.invoke(cli, ["import-posts", "hostile.csv", "--map", "author_handle=author"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(cli, ["export-posts", "--format", "qut", "-o", "safe.csv"]).exit_code == 0
    assert _rows((tmp_path / "safe.csv").read_text(encoding="utf-8"))[1][2] == "'" + LINK
    assert runner.invoke(cli, ["export-posts", "--format", "qut", "-o", "raw.csv", "--raw"]).exit_code == 0
    assert _rows((tmp_path / "raw.csv").read_text(encoding="utf-8"))[1][2] == LINK
    assert "--raw" in runner.invoke(cli, ["export-posts", "--help"]).output


def test_cli_detect_coordination_out_and_raw(cli_env, tmp_path):
    start = pd.Timestamp("2026-11-01T00:00:00Z")
    rows = [
        {
            "id": f"{i}-{n}",
            "account": account,
            "created_at": start + timedelta(minutes=10 * i, seconds=n),
            "text": f"slogan number {i} for the lantern march",
            "urls": "",
            "hashtags": "",
            "repost_of": "",
        }
        for i in range(4)
        for n, account in enumerate([LINK, "@SUM(1)"])
    ]
    ws = open_workspace(cli_env)
    with ws.session() as session:
        add_posts(session, pd.DataFrame(rows))
    ws.dispose()
    runner = CliRunner()
    args = ["detect-coordination", "--window", "60", "--min-weight", "2"]
    result = runner.invoke(cli, [*args, "--out", "edges.csv"])
    assert result.exit_code == 0, result.output
    edges = _rows((tmp_path / "edges.csv").read_text(encoding="utf-8"))
    assert {e[0] for e in edges[1:]} == {"'" + LINK, "'@SUM(1)"}
    assert {e[2] for e in edges[1:]} == {"4"}
    assert runner.invoke(cli, [*args, "--out", "raw.csv", "--raw"]).exit_code == 0
    assert {e[0] for e in _rows((tmp_path / "raw.csv").read_text(encoding="utf-8"))[1:]} == {LINK, "@SUM(1)"}
    assert "--raw" in runner.invoke(cli, ["detect-coordination", "--help"]).output


def test_cli_table_csv_output_is_neutralised(cli_env):
    from planner.cli.common import echo_frame

    runner = CliRunner()

    @cli.command("_echo_test", hidden=True)
    def _echo_test():
        echo_frame(pd.DataFrame({"handle": [LINK], "count": [-5]}), "csv")

    try:
        result = runner.invoke(cli, ["_echo_test"])
    finally:
        cli.commands.pop("_echo_test")
    assert _rows(result.output)[1] == ["'" + LINK, "-5"]
