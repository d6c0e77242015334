"""Draft history in plain words: two versions compared side by side, line by line, linked trends named by key."""

from __future__ import annotations

import difflib
import re
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from planner import drafts

CHANGES = ("same", "changed", "added", "removed")
COLUMNS = ["change", "before", "after", "section"]
FIRST_SECTION = "Details"


def compare(
    old: dict[str, Any],
    new: dict[str, Any],
    channel_names: dict[str, str] | None = None,
    trend_names: dict[int, str] | None = None,
) -> pd.DataFrame:
    """Return two snapshots as aligned rows (change, before, after, section); change is one of CHANGES.

    `section` names the part a line is in: "Details" (title, trends, ...), "Master text" or a channel.
    """
    a = drafts.render_content(old, channel_names, trend_names)
    b = drafts.render_content(new, channel_names, trend_names)
    rows: list[tuple[str, str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            rows += [("same", line, line) for line in a[i1:i2]]
        elif op == "delete":
            rows += [("removed", line, "") for line in a[i1:i2]]
        elif op == "insert":
            rows += [("added", "", line) for line in b[j1:j2]]
        else:  # replace: pair lines up, the longer side's extra lines are added or removed
            left, right = a[i1:i2], b[j1:j2]
            for k in range(max(len(left), len(right))):
                before = left[k] if k < len(left) else ""
                after = right[k] if k < len(right) else ""
                kind = "changed" if before and after else ("removed" if before else "added")
                rows.append((kind, before, after))
    sections, current = [], FIRST_SECTION
    for _, before, after in rows:
        header = next((line for line in (after, before) if line.startswith("== ") and line.endswith(" ==")), None)
        if header:
            current = header[3:-3]
        sections.append(current)
    return pd.DataFrame([(*r, sec) for r, sec in zip(rows, sections, strict=True)], columns=COLUMNS)


_TOKEN = re.compile(r"\s+|[^\s]+")


def inline(before: str, after: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Return a changed line's words as segments per side: ('same' | 'removed', text) and ('same' | 'added', text)."""
    a, b = _TOKEN.findall(before or ""), _TOKEN.findall(after or "")
    left: list[tuple[str, str]] = []
    right: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            left.append(("same", "".join(a[i1:i2])))
            right.append(("same", "".join(b[j1:j2])))
            continue
        if i2 > i1:
            left.append(("removed", "".join(a[i1:i2])))
        if j2 > j1:
            right.append(("added", "".join(b[j1:j2])))
    return left, right


def compare_versions(session: Session, draft_id: int, old: int, new: int) -> pd.DataFrame:
    """Return versions `old` and `new` of a draft side by side (see `compare`); raise DraftError for a missing one."""
    snaps = drafts.version_snapshots(session, draft_id, [old, new])
    ids = sorted({int(t) for n in (old, new) for t in snaps[n].get("trend_ids", [])})
    return compare(snaps[old], snaps[new], drafts.channel_names(session), drafts.trend_keys(session, ids))


def counts(frame: pd.DataFrame) -> dict[str, int]:
    """Return how many lines were changed, added and removed."""
    found = frame["change"].value_counts()
    return {c: int(found.get(c, 0)) for c in CHANGES if c != "same"}
