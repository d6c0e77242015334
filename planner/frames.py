"""Message frames: Jinja2 starting templates (templates/frames/) that a drafter fills in and then edits."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

from planner.errors import PlannerError

FRAMES_DIR = Path(__file__).resolve().parent.parent / "templates" / "frames"


@dataclass(frozen=True)
class Frame:
    id: str
    label: str
    advice: str


FRAMES: dict[str, Frame] = {
    f.id: f
    for f in (
        Frame(
            "alternative",
            "Alternative narrative",
            "Tell a positive story of what the audience can be part of; don't mention the adversary.",
        ),
        Frame(
            "counter",
            "Counter narrative (debunk)",
            "Lead with the fact; paraphrase the claim once. Counter narratives can backfire: prefer alternatives.",
        ),
        Frame(
            "truth_sandwich",
            "Truth sandwich",
            "Fact first, then the myth named once (paraphrased, never their slogan), then the fact again.",
        ),
        Frame("satire", "Satire", "Ridicule the idea, never the audience. Ask a reviewer to check the tone."),
        Frame(
            "testimonial",
            "Testimonial",
            "A real person (former member, family, victim) in their own words, with consent. No invented voices.",
        ),
        Frame(
            "redirect",
            "Redirect",
            "Point people searching for the propaganda to credible content. Never use their hashtag.",
        ),
    )
}
FIELDS = ("story", "fact", "fact_again", "claim", "evidence", "hook", "quote", "messenger", "call_to_action", "link")


class FrameError(PlannerError):
    """The frame does not exist or its template is missing."""


# Autoescape, like every template in Counterpoint. Frames produce plain text for a text box, so the
# result is unescaped once at the end: st.text_area shows it as text and never interprets HTML.
_env = Environment(
    loader=FileSystemLoader(FRAMES_DIR),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=StrictUndefined,
)


def render_frame(frame: str, **fields: str) -> str:
    """Return the starting text of `frame` with the given fields filled in (placeholders for the others)."""
    if frame not in FRAMES:
        raise FrameError(f"frame: {frame!r} is not one of {', '.join(FRAMES)}")
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise FrameError(f"frame fields: unknown {', '.join(sorted(unknown))}")
    values = {f: (fields.get(f) or "").strip() for f in FIELDS}
    try:
        template = _env.get_template(f"{frame}.txt.j2")
    except TemplateNotFound:
        raise FrameError(f"frame: template {frame}.txt.j2 is missing from {FRAMES_DIR}") from None
    return html.unescape(template.render(**values)).strip()
