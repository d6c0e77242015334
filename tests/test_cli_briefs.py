"""CLI: `export-brief` writes each format for the demo campaign; bad input gets one clear line and exit 1."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from planner.cli import cli
from tests.brief_helpers import docx_headings, pdf_text
from tests.conftest import copy_demo, workspace_env


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory, demo_template):
    data = tmp_path_factory.mktemp("cli-briefs")
    copy_demo(demo_template, data)
    return data


def run(demo_dir, *args):
    return CliRunner().invoke(cli, list(args), env=workspace_env(demo_dir))


@pytest.mark.parametrize("fmt", ["pdf", "docx", "html", "md"])
def test_export_brief_writes_each_format(demo_dir, tmp_path, fmt):
    out = tmp_path / f"brief.{fmt}"
    result = run(demo_dir, "export-brief", "--campaign", "Valley Together", "--format", fmt, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Wrote {out} (") and "11 sections)" in result.output
    data = out.read_bytes()
    if fmt == "pdf":
        assert "GAMMMA+ plan" in pdf_text(data)
    elif fmt == "docx":
        assert ("Heading 1", "Message matrix") in docx_headings(data)
    else:
        assert "Message matrix" in data.decode()


def test_sections_by_id_label_author_and_date(demo_dir, tmp_path):
    out = tmp_path / "b.md"
    result = run(
        demo_dir,
        *("export-brief", "--campaign", "1", "--format", "md", "-o", str(out)),
        *("--sections", "adjustments,plan", "--label", "OFFICIAL", "--author", "A. Planner", "--date", "2026-12-01"),
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.startswith("**OFFICIAL**")
    assert "| Author | A. Planner |" in text and "| Date | 2026-12-01 |" in text
    assert [line for line in text.splitlines() if line.startswith("## ")] == [
        "## Contents",
        "## GAMMMA+ plan",
        "## Adjustments log",
    ]


def test_template_dir_overrides_a_partial(demo_dir, tmp_path):
    team = tmp_path / "team"
    team.mkdir()
    (team / "_title_page.html").write_text("<header><p class='team'>Team cover for {{ campaign }}</p></header>")
    out = tmp_path / "b.html"
    result = run(
        demo_dir,
        *("export-brief", "--campaign", "Valley Together", "--format", "html", "-o", str(out)),
        *("--template-dir", str(team), "--sections", "plan"),
    )
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "<p class='team'>Team cover for Valley Together</p>" in html and "GAMMMA+ plan" in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--campaign", "Nope", "--format", "md"), "Error: campaign: no campaign with id or name 'Nope'"),
        (("--campaign", "1", "--format", "md", "--sections", "plan,x"), "Error: sections: 'x' is not a section"),
        (("--campaign", "1", "--format", "md", "--template-dir", "/no/such/dir"), "Error: template folder:"),
        (("--campaign", "1", "--format", "odt"), "Invalid value for '--format'"),
        (("--campaign", "1", "--format", "md", "--date", "tomorrow"), "'tomorrow' is not a date"),
    ],
)
def test_bad_input_is_one_line_and_no_file(demo_dir, tmp_path, args, message):
    out = tmp_path / "b.out"
    result = run(demo_dir, "export-brief", *args, "-o", str(out))
    assert result.exit_code != 0
    assert message in result.output
    assert not out.exists() and not list(tmp_path.glob(".*.tmp"))


def test_a_failing_team_template_is_named(demo_dir, tmp_path):
    team = tmp_path / "team"
    team.mkdir()
    (team / "brief.md").write_text("{{ no_such_value }}")
    result = run(
        demo_dir,
        "export-brief",
        "--campaign",
        "1",
        "--format",
        "md",
        "-o",
        str(tmp_path / "b.md"),
        "--template-dir",
        str(team),
    )
    assert result.exit_code == 1
    assert "Error: template 'brief.md' failed: UndefinedError: 'no_such_value' is undefined" in result.output
