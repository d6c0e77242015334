"""Bounded parsing: nesting bombs, huge lines and records are refused in one line, fast, under a memory cap."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest
from click.testing import CliRunner

from planner import ingest
from planner.cli import cli
from planner.ingest import formats, jsonfmt
from tests.conftest import ROOT, use_workspace, workspace_env

MEMORY_CAP = 3 << 30
BOMB = "[" * 100_000 + "]" * 100_000


def _bombs(tmp_path):
    bomb = tmp_path / "bomb.json"
    bomb.write_text(BOMB, encoding="utf-8")
    telegram = tmp_path / "result.json"
    telegram.write_text('{"name": "Grey Lantern", "id": 7, "type": "public_channel", "messages": ' + BOMB + "}")
    lines = tmp_path / "bomb.jsonl"
    lines.write_text('{"data": ' + BOMB + "}\n", encoding="utf-8")
    return {"twitter-json": bomb, "telegram": telegram, "auto": bomb, "twitter-v2": lines}


@pytest.mark.parametrize("fmt", ["twitter-json", "telegram", "auto", "twitter-v2"])
def test_nesting_bomb_gets_one_line_error_under_memory_cap(tmp_path, fmt):
    path = _bombs(tmp_path)[fmt]
    script = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_CAP}, {MEMORY_CAP}))
        from planner.cli import cli
        cli(["import-posts", "--format", {fmt!r}, {str(path)!r}])
        """
    )
    env = {**os.environ, **workspace_env(tmp_path / "data"), "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, done.stderr
    assert path.name in errors[0]
    assert elapsed < 60
    count = subprocess.run(
        [sys.executable, "-m", "planner", "posts", "count"], capture_output=True, text=True, env=env, timeout=120
    )
    assert count.stdout.strip() == "0"


@pytest.mark.parametrize("fmt", ["twitter-json", "telegram"])
def test_bomb_refused_by_depth_check_not_by_memory(session, admin, tmp_path, fmt):
    path = _bombs(tmp_path)[fmt]
    with pytest.raises(ingest.FormatError, match=f"nests deeper than {jsonfmt.MAX_DEPTH} levels"):
        ingest.import_posts(session, admin, ingest.Source.from_path(path), ingest.ImportOptions(format=fmt))
    with pytest.raises(ingest.FormatError, match="nests deeper"):
        ingest.preview(ingest.Source.from_path(path), ingest.ImportOptions(format=fmt))
    assert ingest.count_posts(session) == 0


def test_depth_within_limit_is_read(session, admin):
    nested = {"x": 1}
    for _ in range(jsonfmt.MAX_DEPTH - 3):
        nested = {"x": nested}
    tweet = {
        "id_str": "1",
        "created_at": "Sun Nov 01 10:00:00 +0000 2026",
        "text": "market day",
        "user": {"id_str": "9", "screen_name": "grey_one"},
        "extra": nested,
    }
    source = ingest.Source.from_bytes("t.json", json.dumps([tweet]).encode())
    report = ingest.import_posts(session, admin, source, ingest.ImportOptions(format="twitter-json"))
    assert report.imported == 1


def test_record_too_large_is_refused(session, admin, monkeypatch):
    monkeypatch.setattr(jsonfmt, "MAX_RECORD_CHARS", 1000)
    tweet = {"id_str": "1", "created_at": "x", "text": "y" * 2000, "user": {"screen_name": "a"}}
    source = ingest.Source.from_bytes("big.json", json.dumps([tweet]).encode())
    with pytest.raises(ingest.FormatError, match="big.json: the JSON array has a record larger than"):
        ingest.import_posts(session, admin, source, ingest.ImportOptions(format="twitter-json"))
    lines = ingest.Source.from_bytes("big.jsonl", (json.dumps({"data": {"text": "y" * 2000}}) + "\n").encode())
    with pytest.raises(ingest.FormatError, match="big.jsonl: line 1 is longer than"):
        ingest.import_posts(session, admin, lines, ingest.ImportOptions(format="twitter-v2"))
    assert ingest.count_posts(session) == 0


def test_json_chunks_are_bounded_by_size(monkeypatch):
    monkeypatch.setattr(jsonfmt, "CHUNK_CHARS", 100_000)  # ijson reads 64 KB at a time: budgets are that coarse
    tweets = [{"id_str": str(i), "created_at": "x", "text": "z" * 20_000, "user": {}} for i in range(20)]
    source = ingest.Source.from_bytes("t.json", json.dumps(tweets).encode())
    chunks = list(jsonfmt.TwitterV1Format().chunks(source, formats.ReadState()))
    assert len(chunks) >= 3 and max(len(c.frame) for c in chunks) < 20
    assert sum(len(c.frame) for c in chunks) == 20


def test_csv_line_too_long_is_refused(session, admin, monkeypatch):
    monkeypatch.setattr(formats, "LINE_CHARS_MAX", 5000)
    data = "id,date,text\n1,2026-11-01T00:00:00Z,ok\n2,2026-11-01T00:00:00Z," + "w" * 400_000 + "\n"
    source = ingest.Source.from_bytes("long.csv", data.encode())
    with pytest.raises(ingest.FormatError, match="long.csv: a line is longer than"):
        ingest.import_posts(session, admin, source, ingest.ImportOptions(platform="x"))
    assert ingest.count_posts(session) == 0


def test_csv_chunk_budget_refuses_rows_that_suddenly_grow(session, admin, monkeypatch):
    monkeypatch.setattr(formats, "CHUNK_CHARS_MAX", 200_000)
    monkeypatch.setattr(formats, "FIRST_CHUNK_ROWS", 10)
    small = "".join(f"{i},2026-11-01T00:00:00Z,ok\n" for i in range(10))
    big = "".join(f"{i},2026-11-01T00:00:00Z,{'w' * 20_000}\n" for i in range(100, 200))
    source = ingest.Source.from_bytes("grow.csv", ("id,date,text\n" + small + big).encode())
    with pytest.raises(ingest.FormatError, match="more than 0 MB at once"):
        ingest.import_posts(session, admin, source, ingest.ImportOptions(platform="x"))
    assert ingest.count_posts(session) == 0


def test_csv_chunks_adapt_to_row_size(session, admin, monkeypatch):
    monkeypatch.setattr(formats, "CHUNK_CHARS", 200_000)
    monkeypatch.setattr(formats, "FIRST_CHUNK_ROWS", 10)
    rows = "".join(f"{i},2026-11-01T00:00:00Z,{'w' * 1000}\n" for i in range(1000))
    source = ingest.Source.from_bytes("even.csv", ("id,date,text\n" + rows).encode())
    fmt = formats.CsvFormat()
    sizes = [len(c.frame) for c in fmt.chunks(source, formats.ReadState())]
    assert sizes[0] == 10 and sum(sizes) == 1000
    assert all(100 <= n <= 300 for n in sizes[1:-1]), sizes


def test_truncated_json_error_is_one_line(session, admin):
    source = ingest.Source.from_bytes("cut.json", b'[{"id_str": "1", "user": {"screen_name": "a"}, "created_at": "')
    with pytest.raises(ingest.FormatError) as caught:
        ingest.import_posts(session, admin, source, ingest.ImportOptions(format="twitter-json"))
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith("cut.json: the JSON array is malformed")


@pytest.fixture
def run(tmp_path, monkeypatch):
    use_workspace(monkeypatch, tmp_path / "data")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


def test_cli_truncated_json_is_one_line(run, tmp_path):
    path = tmp_path / "cut.json"
    path.write_text('[{"id_str": "1", "user": {"screen_name": "a"}, "created_at": "', encoding="utf-8")
    result = run("import-posts", "--format", "twitter-json", str(path))
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "malformed" in errors[0]
    assert "right here" not in result.output


def test_warnings_print_on_real_imports(run, tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes("id,date,text\n1,2026-11-01T00:00:00Z,caf\xe9 d\x00ay\n".encode("cp1252"))
    result = run("import-posts", "--platform", "x", str(path))
    assert result.exit_code == 0, result.output
    assert "Warning: removed 1 NUL characters" in result.output
    assert "Warning: the encoding was guessed as cp1252" in result.output
    assert "imported 1" in result.output


BAD = "id,date,text\n1,2026-11-01T00:00:00Z,ok\n2,never,broken\n"


def test_rejects_default_beside_input_not_cwd(run, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    path = folder / "bad.csv"
    path.write_text(BAD, encoding="utf-8")
    result = run("import-posts", "--platform", "x", "--skip-bad-rows", str(path))
    assert result.exit_code == 0, result.output
    assert (folder / "bad.rejects.csv").read_text(encoding="utf-8").splitlines()[1].startswith("2,created_at,")
    assert not list((tmp_path / "cwd").iterdir())


def test_rejects_option_names_the_file(run, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD, encoding="utf-8")
    target = tmp_path / "out" / "skipped.csv"
    target.parent.mkdir()
    result = run("import-posts", "--platform", "x", "--skip-bad-rows", "--rejects", str(target), str(path))
    assert result.exit_code == 0, result.output
    assert f"Rejected rows written to {target}" in result.output
    assert target.read_text(encoding="utf-8").startswith("row,field,reason,raw")


def test_metrics_export_over_size_limit_is_refused(session, admin, monkeypatch):
    from planner.metrics import importer

    monkeypatch.setattr(importer, "MAX_BYTES", 100)
    source = ingest.Source.from_bytes("huge.csv", b"post_id,impressions\n" + b"1,2\n" * 100)
    with pytest.raises(ingest.FormatError, match="huge.csv: 420 bytes; split the export"):
        importer.import_metrics(session, admin, source)


def test_lone_surrogate_escapes_are_refused_in_one_line(session, admin):
    array = b'[{"id_str": "1", "created_at": "2026-11-01T00:00:00Z", "text": "x\\udc00y", "user": {}}]'
    with pytest.raises(ingest.FormatError, match="half.json: the JSON array is malformed"):
        ingest.import_posts(session, admin, ingest.Source.from_bytes("half.json", array), ingest.ImportOptions())
    line = b'{"data": {"id": "1", "created_at": "2026-11-01T00:00:00Z", "text": "x\\udc00y", "author_id": "7"}}\n'
    with pytest.raises(ingest.ImportRefused, match=r"line 1 has a broken \\u escape"):
        ingest.import_posts(
            session, admin, ingest.Source.from_bytes("half.jsonl", line), ingest.ImportOptions(format="twitter-v2")
        )
    pair = line.replace(b"x\\udc00y", b"smile \\ud83d\\ude00")
    report = ingest.import_posts(
        session, admin, ingest.Source.from_bytes("pair.jsonl", pair), ingest.ImportOptions(format="twitter-v2")
    )
    assert report.imported == 1
