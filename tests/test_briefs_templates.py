"""Brief templates: names validated, a team folder overrides ours, HTML autoescaped, Markdown escaped by default."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from planner.briefs import templates
from planner.briefs.templates import TemplateError, md_cell, md_escape


@pytest.mark.parametrize(
    "name",
    ["../brief.html", "/etc/passwd", "..", ".hidden.html", "sub/brief.html", "brief.py", "brief.html\x00", "a\\b.md"],
)
def test_template_names_with_paths_or_odd_endings_are_refused(name):
    with pytest.raises(TemplateError, match="is not a template name"):
        templates.validate_name(name)


@pytest.mark.parametrize("name", ["brief.html", "brief.md", "_section.html", "print.css", "my-brief_2.md"])
def test_plain_template_names_pass(name):
    assert templates.validate_name(name) == name


def test_team_folder_comes_first_then_ours(tmp_path):
    (tmp_path / "_toc.html").write_text("<nav>team toc {{ title }}</nav>")
    env = templates.environment("html", tmp_path)
    assert env.get_template("_toc.html").render(title="<x>") == "<nav>team toc &lt;x&gt;</nav>"
    page = env.get_template("brief.html").render(
        title="t", label="", campaign="c", author="a", date="d", status="s", generated_at="g", sections=[], print=False
    )
    # Our brief.html, with the team's contents partial inside it.
    assert "Counterpoint campaign brief" in page and "<nav>team toc t</nav>" in page and "Contents" not in page


def test_team_templates_are_sandboxed(tmp_path):
    (tmp_path / "brief.md").write_text("{{ ''.__class__.__mro__ }}")
    with pytest.raises(TemplateError, match="failed: SecurityError"):
        templates.render("md", "brief.md", {}, tmp_path)


def test_missing_template_and_missing_folder_are_named(tmp_path):
    with pytest.raises(TemplateError, match="'nothing.html' was not found"):
        templates.render("html", "nothing.html", {}, tmp_path)
    with pytest.raises(TemplateError, match="is not a folder"):
        templates.environment("html", tmp_path / "absent")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("![x](https://e.example/p.png)", "![x](https://e.example/p.png)"),
        ("[go](javascript:alert(1))", "[go](javascript:alert(1))"),
        ("# title", "# title"),
        ("- item", "- item"),
        ("1. one", "1. one"),
        ("*a* _b_ `c` ~~d~~ $e$", "*a* _b_ `c` ~~d~~ $e$"),
        ("AT&T", "AT&amp;T"),
        ("&lt;", "&amp;lt;"),
    ],
)
def test_md_escape_renders_literally_in_commonmark(raw, shown):
    html = MarkdownIt("commonmark").enable("strikethrough").render(md_escape(raw))
    assert html == f"<p>{shown}</p>\n"


def test_md_cell_stays_in_its_cell():
    cell = md_cell("x | y\nz")
    md = f"| a | b |\n| --- | --- |\n| {cell} | ok |\n"
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert "<td>x | y z</td>" in html and "<td>ok</td>" in html


def test_markdown_environment_escapes_every_value():
    env = templates.environment("md")
    out = env.from_string("{{ a }} {{ b|md }} {{ c|md_cell }}").render(a="*x*", b="[y]", c="|")
    assert out == "\\*x\\* \\[y\\] \\|"


def test_includes_are_validated_too(tmp_path):
    (tmp_path / "brief.html").write_text('{% include "../../etc/passwd" %}')
    with pytest.raises(TemplateError, match="'../../etc/passwd' is not a template name"):
        templates.render("html", "brief.html", {}, tmp_path)
