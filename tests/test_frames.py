"""Message frames: every frame renders, fills the fields given, keeps placeholders for the rest, stays plain text."""

from __future__ import annotations

import pytest

from planner import frames


@pytest.mark.parametrize("frame", sorted(frames.FRAMES))
def test_every_frame_renders_with_placeholders(frame):
    text = frames.render_frame(frame)
    assert text and "[" in text and "{{" not in text and "{#" not in text


def test_truth_sandwich_puts_the_fact_first_and_last():
    text = frames.render_frame(
        "truth_sandwich",
        fact="The youth centre is open & free",
        claim="the valley is abandoned",
        evidence="the council's report",
        call_to_action="Visit on Friday",
        link="https://valleyvoices.org",
    )
    lines = [line for line in text.splitlines() if line]
    assert lines[0] == "The youth centre is open & free"
    assert lines[1] == "You may have seen the claim that the valley is abandoned. It is not true: the council's report"
    assert lines[2] == "The youth centre is open & free Visit on Friday https://valleyvoices.org"


def test_markup_in_fields_comes_out_as_typed_text():
    assert "<b>hi</b>" in frames.render_frame("satire", hook="<b>hi</b>")


def test_unknown_frame_and_field():
    with pytest.raises(frames.FrameError, match="rant"):
        frames.render_frame("rant")
    with pytest.raises(frames.FrameError, match="persona"):
        frames.render_frame("counter", persona="x")
