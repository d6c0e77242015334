"""CLI: import-posts (summary, exit codes, rejects file), export-posts --format qut, posts count."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from planner.cli import cli
from tests.conftest import use_workspace

GOOD = "id,date,text\n1,2026-11-01T00:00:00Z,#GreyLanternRises at dusk\n2,2026-11-01T00:00:05Z,market day\n"
BAD = GOOD + "3,not a date,broken\n"


@pytest.fixture
def run(tmp_path, monkeypatch):
    use_workspace(monkeypatch, tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_count_and_reimport(run, tmp_path):
    path = _write(tmp_path, "good.csv", GOOD)
    result = run("import-posts", path, "--platform", "x")
    assert result.exit_code == 0, result.output
    assert "good.csv: imported 2, duplicates 0, rejected 0" in result.output
    assert run("posts", "count").output.strip() == "2"
    again = run("import-posts", path, "--platform", "x")
    assert again.exit_code == 0 and "imported 0, duplicates 2, rejected 0" in again.output
    assert run("posts", "count").output.strip() == "2"


def test_refused_file_exits_non_zero_and_changes_nothing(run, tmp_path):
    good, bad = _write(tmp_path, "good.csv", GOOD), _write(tmp_path, "bad.csv", BAD)
    result = run("import-posts", good, bad)
    assert result.exit_code == 1
    assert "good.csv: imported 2" in result.output
    assert "row 3: created_at: 'not a date' is not a plausible date and time" in result.output
    assert "1 of 2 files refused" in result.output
    assert run("posts", "count").output.strip() == "2"


def test_skip_bad_rows_writes_rejects_csv(run, tmp_path):
    result = run("import-posts", _write(tmp_path, "bad.csv", BAD), "--skip-bad-rows")
    assert result.exit_code == 0, result.output
    assert "imported 2, duplicates 0, rejected 1" in result.output
    rejects = (tmp_path / "bad.rejects.csv").read_text(encoding="utf-8").splitlines()
    assert rejects[0] == "row,field,reason,raw" and rejects[1].startswith("3,created_at,")


def test_dry_run_reports_and_writes_nothing(run, tmp_path):
    result = run("import-posts", _write(tmp_path, "bad.csv", BAD), "--dry-run", "--timezone", "Europe/Berlin")
    assert result.exit_code == 0
    assert "Naive timestamps read as: Europe/Berlin" in result.output
    assert "Row 3: created_at" in result.output and "would import 2" in result.output
    assert run("posts", "count").output.strip() == "0"


def test_map_format_and_pseudonymise(run, tmp_path):
    path = _write(tmp_path, "m.csv", "when,body,who\n2026-11-01T00:00:00Z,hello @someone there,Grey_One\n")
    result = run(
        "import-posts",
        path,
        "--format",
        "csv",
        "--map",
        "created_at=when",
        "--map",
        "text=body",
        "--map",
        "author_handle=who",
        "--pseudonymise",
    )
    assert result.exit_code == 0, result.output
    out = tmp_path / "out.csv"
    assert run("export-posts", "--format", "qut", "-o", str(out)).exit_code == 0
    exported = out.read_text(encoding="utf-8")
    assert "Grey_One" not in exported and "someone" not in exported and "hello @p" in exported


def test_bad_arguments(run, tmp_path):
    path = _write(tmp_path, "good.csv", GOOD)
    result = run("import-posts", path, "--map", "colour=id")
    assert result.exit_code == 2 and "FIELD=COLUMN" in result.output
    result = run("import-posts", path, "--map", "text=missing")
    assert result.exit_code == 1 and "no column 'missing'" in result.output
    result = run("import-posts", str(tmp_path / "nope.csv"))
    assert result.exit_code == 1 and "no such file" in result.output
    result = run("import-posts", path, "--timezone", "Mars/Base")
    assert result.exit_code == 1 and "not a known time zone" in result.output


def test_export_qut_round_trip(run, tmp_path):
    run("import-posts", _write(tmp_path, "good.csv", GOOD), "--platform", "x")
    out = tmp_path / "qut.csv"
    result = run("export-posts", "--format", "qut", "-o", str(out))
    assert result.exit_code == 0 and "Exported 2 posts" in result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "message_id,user_id,username,repost_id,reply_id,message,timestamp,urls"
    assert lines[1].startswith("1,,,,,#GreyLanternRises at dusk,1793491200,")
    again = run("import-posts", str(out), "--platform", "x")
    assert "qut.csv: imported 0, duplicates 2, rejected 0" in again.output


def test_every_command_has_help(run):
    for args in (["import-posts"], ["export-posts"], ["posts", "count"]):
        result = run(*args, "--help")
        assert result.exit_code == 0 and "Usage" in result.output
