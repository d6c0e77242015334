"""Drafts > History: the versions, two of them side by side with the changes highlighted, and restore."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner import drafts, history, wording
from planner.ui import common
from planner.ui.common import safe_md
from planner.ui.drafts_shared import DraftView, attempt

CHANGE_COLOURS = {"changed": "#fff3cd", "added": "#d4edda", "removed": "#f8d7da", "same": ""}
CHANGE_WORDS = {"changed": "changed", "added": "added", "removed": "removed", "same": ""}


def _highlight(row: pd.Series) -> list[str]:
    colour = CHANGE_COLOURS[row["change"]]
    return [f"background-color: {colour}" if colour else ""] * len(row)


def comparison(view: DraftView, old: int, new: int) -> None:
    """Show versions `old` and `new` side by side; changed lines highlighted."""
    with common.db_session() as session:
        frame = common.run(history.compare_versions, session, view.draft.id, old, new)
    if frame is None:
        return
    found = history.counts(frame)
    if not any(found.values()):
        st.info(f"Versions {old:d} and {new:d} have the same content.")
        return
    st.caption(
        f"Changes from version {old:d} to {new:d}: "
        f"{', '.join(wording.plural(n, f'line {word}', f'lines {word}') for word, n in found.items() if n)}."
    )
    whole = st.toggle("Show the whole text side by side", key=f"{view.key}_whole")
    if whole:
        common.show_table(
            frame.drop(columns=["section"]).style.apply(_highlight, axis=1).format({"change": CHANGE_WORDS.get}),
            hide_index=True,
            width="stretch",
            height=common.fit_height(len(frame), most=25),
            key=f"{view.key}_compare_{old}_{new}",
            column_config={
                "change": st.column_config.TextColumn("", width=80),
                "before": st.column_config.TextColumn(f"Version {old}", width=400),
                "after": st.column_config.TextColumn(f"Version {new}", width=400),
            },
        )
        return
    left, right = st.columns(2)
    left.markdown(f"**Version {old:d}**")
    right.markdown(f"**Version {new:d}**")
    for row in frame[frame["change"] != "same"].itertuples():
        before, after = history.inline(row.before, row.after)
        with st.container(border=True):
            st.caption(safe_md(row.section))
            a, b = st.columns(2)
            a.markdown(_segments(before) or "*(nothing)*")  # md-safe: _segments escapes every part
            b.markdown(_segments(after) or "*(nothing)*")  # md-safe: _segments escapes every part


def _segments(parts: list[tuple[str, str]]) -> str:
    """Return escaped markdown with removed words on red and added words on green (wraps, unlike a table cell)."""
    out = []
    for kind, text in parts:
        if kind == "same" or not text.strip():
            out.append(safe_md(text))
        else:
            colour = "red" if kind == "removed" else "green"
            out.append(f":{colour}-background[{safe_md(text)}]")
    return "".join(out)


def history_tab(view: DraftView) -> None:
    """The History tab."""
    zone = common.user_zone()
    table = pd.DataFrame(
        [
            {"Version": v.number, "When": common.when(v.at, zone), "Author": v.author_name, "What changed": v.summary}
            for v in view.history
        ]
    )
    common.show_table(
        table,
        hide_index=True,
        width="stretch",
        height=common.fit_height(len(table), most=10),
        key=f"{view.key}_hist",
        column_config={"Version": st.column_config.NumberColumn(width="small")},
    )
    numbers = [v.number for v in view.history]
    if len(numbers) < 2:
        st.caption("Only one version so far: every save adds one, and you can compare any two here.")
        return
    h1, h2 = st.columns(2)
    label = "Version {}".format
    old = h1.selectbox("Compare", numbers, index=1, format_func=label, key=f"{view.key}_old")
    new = h2.selectbox("with", numbers, index=0, format_func=label, key=f"{view.key}_new")
    comparison(view, old, new)
    if drafts.can_edit(view.actor, view.draft):
        r1, r2 = st.columns([1, 2], vertical_alignment="bottom")
        target = r1.selectbox("Restore", numbers[1:], format_func=label, key=f"{view.key}_restore_n")
        restore = f"Restore version {target} as a new version"
        if r2.button(restore, key=f"{view.key}_restore", icon=":material/restore:"):
            with common.db_session() as session:
                restored = attempt(
                    drafts.restore_version, session, view.actor, view.draft.id, target, view.loaded, success="Restored"
                )
            if restored is not None:
                st.session_state[view.loaded_key] = restored.version
                st.rerun()
