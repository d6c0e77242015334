"""The Jinja2 environments of briefs: our templates (templates/briefs/) behind a team's own folder, and md escaping."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateNotFound
from jinja2.sandbox import ImmutableSandboxedEnvironment

from planner.errors import PlannerError

TEMPLATE_ROOT = Path(__file__).resolve().parents[2] / "templates" / "briefs"
# A template name is one file name in the template folder: no folders, no '..', no hidden files.
NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}\.(html|md|css)$")


class TemplateError(PlannerError):
    """A brief template name is invalid, a template folder does not exist, or a template fails to render."""


def validate_name(name: str) -> str:
    """Return `name` if it is a plain template file name such as 'brief.html'; raise TemplateError otherwise."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise TemplateError(
            f"template: {name!r} is not a template name (one file name like 'brief.html': letters, digits, '-', '_')"
        )
    return name


def template_dir(path: str | Path | None) -> Path | None:
    """Return a team's template folder as a resolved Path; raise TemplateError when it is not a folder."""
    if path is None or str(path) == "":
        return None
    folder = Path(path).expanduser().resolve()
    if not folder.is_dir():
        raise TemplateError(f"template folder: {str(path)!r} is not a folder")
    return folder


class MdSafe(str):
    """Markdown that is already escaped (or written by us): output as it is."""


# Inline Markdown anywhere: code, emphasis, links and images (both need '['), table pipes, strikethrough, maths.
_MD_INLINE = re.compile(r"([\\`*_\[\]|~$])")
# Block Markdown at the start of a line: headings, lists, setext underlines, ordered lists ('1.' or '1)').
_MD_LINE_START = re.compile(r"^(\s*)([#+\-=])", re.MULTILINE)
_MD_ORDERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def md_escape(value: Any, *, block: bool = True) -> MdSafe:
    """Return `value` as Markdown text that renders literally: no HTML, link, image, emphasis, heading or list.

    '<', '>' and '&' become entities (raw HTML, autolinks and blockquotes are impossible); inline punctuation and
    line-starting block markers get a backslash.
    """
    if isinstance(value, MdSafe):
        return value
    text = "" if value is None else str(value)
    text = re.sub(r"[&<>]", lambda m: _HTML[m.group(0)], text)
    text = _MD_INLINE.sub(r"\\\1", text)
    if not block:  # inside a table cell nothing can start a heading or a list
        return MdSafe(text)
    text = _MD_LINE_START.sub(r"\1\\\2", text)
    return MdSafe(_MD_ORDERED.sub(r"\1\\\2", text))


def md_cell(value: Any) -> MdSafe:
    """Return `value` escaped for one Markdown table cell (on one line)."""
    return MdSafe(md_escape(" ".join(str(value or "").split()), block=False) or " ")


def _finalize(value: Any) -> Any:
    return value if isinstance(value, MdSafe) else md_escape(value)


class _Loader(ChoiceLoader):
    """A team's folder, then ours; every name asked for, includes too, must be a plain template file name."""

    def get_source(self, environment, template):
        return super().get_source(environment, validate_name(template))

    def load(self, environment, name, globals=None):
        return super().load(environment, validate_name(name), globals)


def _loader(team_dir: Path | None) -> ChoiceLoader:
    loaders = [FileSystemLoader(str(team_dir))] if team_dir else []
    return _Loader([*loaders, FileSystemLoader(str(TEMPLATE_ROOT))])


def environment(kind: str, team_dir: str | Path | None = None) -> ImmutableSandboxedEnvironment:
    """Return the sandboxed environment for 'html' (autoescaped) or 'md' (every output Markdown-escaped).

    A team's folder is searched first, then ours, so a team can replace any template or partial.
    """
    folder = template_dir(team_dir)
    if kind == "html":
        env = ImmutableSandboxedEnvironment(
            loader=_loader(folder), autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True
        )
    elif kind == "md":
        env = ImmutableSandboxedEnvironment(
            loader=_loader(folder),
            autoescape=False,
            finalize=_finalize,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters["md"] = md_escape
        env.filters["md_cell"] = md_cell
    else:
        raise TemplateError(f"template kind: {kind!r} is not html or md")
    return env


def render(kind: str, name: str, context: dict[str, Any], team_dir: str | Path | None = None) -> str:
    """Render template `name` of `kind` with `context`; raise TemplateError naming what went wrong."""
    env = environment(kind, team_dir)
    try:
        return env.get_template(validate_name(name)).render(context)
    except TemplateNotFound as exc:
        raise TemplateError(f"template: {exc.name!r} was not found in the template folders") from exc
    except Exception as exc:  # a team's template can fail in many ways; name it instead of a traceback
        if isinstance(exc, PlannerError):
            raise
        raise TemplateError(f"template {name!r} failed: {type(exc).__name__}: {exc}") from exc
