"""Campaign briefs: sections built from the workspace, rendered from Jinja2 templates to PDF, Word, HTML, Markdown."""

from planner.briefs.brief import (
    FORMATS,
    BriefError,
    BriefOptions,
    build,
    export,
    file_name,
    parse_sections,
    preview,
    render,
)
from planner.briefs.sections import SECTIONS, Section, section
from planner.briefs.settings import BriefSettingsError, get_settings, save_settings
from planner.briefs.templates import TemplateError

__all__ = [
    "FORMATS",
    "SECTIONS",
    "BriefError",
    "BriefOptions",
    "BriefSettingsError",
    "Section",
    "TemplateError",
    "build",
    "export",
    "file_name",
    "get_settings",
    "parse_sections",
    "preview",
    "render",
    "save_settings",
    "section",
]
