"""Plain words: labels for code words, plurals, readable times with their zone, audit sentences, tables."""

from datetime import UTC, datetime

import pandas as pd
import pytest

from planner import auth, checks, drafts, trends, wording


def test_every_code_word_the_core_stores_has_a_plain_label():
    vocabularies = {
        "status": drafts.STATUSES,
        "triage": trends.STATUSES,
        "lifecycle": trends.LIFECYCLES,
        "kind": trends.KINDS,
        "role": [r.value for r in auth.Role],
        "severity": checks.SEVERITIES,
        "check": list(checks.CHECKS),
    }
    for vocab, codes in vocabularies.items():
        for code in codes:
            text = wording.label(code, vocab)
            assert "_" not in text and text[0].isupper(), (vocab, code, text)
    assert wording.label("in_review") == "In review"
    assert wording.label("changes_requested") == "Changes requested"
    assert wording.label("link_without_utm", "check") == "Link without UTM tags"
    assert {c: wording.label(c, "check") for c in checks.CHECKS} == {c: k.title for c, k in checks.CHECKS.items()}
    assert wording.label("url", "kind") == "Link"


def test_unknown_code_words_are_humanised():
    assert wording.label("object_type") == "Object type"
    assert wording.humanise("login.success") == "Login success"
    assert wording.column("last_login_at") == "Last login"
    assert wording.column("unique_authors") == "Accounts"


@pytest.mark.parametrize(
    ("n", "word", "expected"),
    [
        (1, "coordinated cluster", "1 coordinated cluster"),
        (2, "coordinated cluster", "2 coordinated clusters"),
        (0, "trend", "0 trends"),
        (1_200, "entry", "1,200 entries"),
        (3, "match", "3 matches"),
        (2, "day", "2 days"),
        (5, "person", "5 people"),
        (2, "criterion", "2 criteria"),
    ],
)
def test_plural(n, word, expected):
    many = "criteria" if word == "criterion" else None
    assert wording.plural(n, word, many) == expected


def test_times_are_readable_and_name_their_zone():
    moment = datetime(2026, 11, 30, 0, 41, tzinfo=UTC)
    assert wording.when(moment, "Europe/London") == "Mon 30 Nov 2026, 00:41 GMT"
    assert wording.when(moment, "UTC") == "Mon 30 Nov 2026, 00:41 UTC"
    assert wording.when(moment, "Europe/Berlin") == "Mon 30 Nov 2026, 01:41 CET"
    assert wording.when(moment, "Asia/Istanbul") == "Mon 30 Nov 2026, 03:41 UTC+03"
    assert wording.when(moment, "Asia/Kathmandu") == "Mon 30 Nov 2026, 06:26 UTC+05:45"
    assert wording.when(datetime(2026, 7, 1, 12, 0, tzinfo=UTC), "Europe/London") == "Wed 1 Jul 2026, 13:00 BST"
    assert wording.when(pd.Timestamp("2026-11-30T00:41Z"), "UTC") == "Mon 30 Nov 2026, 00:41 UTC"
    assert wording.when(None, "UTC") == "never"
    assert wording.when(None, "UTC", never="") == ""
    assert wording.day(moment, "America/New_York") == "Sun 29 Nov 2026"


def test_approvals_name_the_version_not_the_hash():
    assert wording.approval(3) == "approved version 3"
    assert wording.approval(None) == "approved an earlier version"


def test_handles_not_internal_ids():
    assert wording.handle("valley_voices") == "@valley_voices"
    assert wording.handle("@valley_voices") == "@valley_voices"
    assert wording.handle("", "telegram") == "an account without a handle on telegram"


def test_audit_entries_read_as_sentences():
    names = {("draft", "2"): "Jo's story", ("user", "6"): "dan", ("trend", "9"): "#lanterncalls"}
    approve = "Jo's story: in_review -> approved; version 3, approval 1/1 (sha256 242b4dd6e78a)"
    assert wording.audit_sentence("ada", "draft.approve", "draft", 2, approve, names) == (
        "ada approved draft 'Jo's story' (version 3)"
    )
    assert wording.audit_sentence("ada", "login.success", "user", "1", "ada logged in", names) == "ada signed in"
    assert wording.audit_sentence("ada", "user.set_role", "user", "6", "dan: role drafter -> reviewer", names) == (
        "ada changed the role of user dan to reviewer"
    )
    triage = "hashtag #lanterncalls: new -> respond (answer it)"
    assert wording.audit_sentence("rita", "trend.status", "trend", "9", triage, names) == (
        "rita triaged trend #lanterncalls as 'Respond'"
    )
    # An object that no longer exists is named by its kind, never by its internal id.
    assert wording.audit_sentence("cli", "draft.comment", "draft", "77", "hello", names) == ("cli commented on a draft")
    assert wording.audit_sentence("ada", "posts.import", "import_batch", "4", "") == "ada imported monitored posts"
    assert wording.audit_sentence("ada", "future.thing", "widget", "3", "") == "ada future thing (a widget)"


def test_every_audit_action_the_core_writes_has_a_sentence():
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[1] / "planner"
    written = set()
    for path in root.rglob("*.py"):
        written |= set(re.findall(r'"((?:[a-z_]+)\.(?:[a-z_]+))",\s*"[a-z_]+"', path.read_text()))
    written.discard("user.deactivate")  # written as f"user.{verb[:-1]}"
    assert written, "no audit actions found"
    assert written <= set(wording.AUDIT_SENTENCES), written - set(wording.AUDIT_SENTENCES)


def test_plain_summary():
    text = wording.plain_summary("Jo: in_review -> approved; acknowledged adversary_hashtag")
    assert text == "Jo: in review → approved; acknowledged 'Uses the adversary's hashtag'"


def test_table_for_people():
    frame = pd.DataFrame(
        {
            "status": ["in_review", "changes_requested"],
            "last_login_at": [datetime(2026, 11, 30, 0, 41, tzinfo=UTC), None],
            "active": [True, False],
            "unique_authors": [3, 4],
            "note": ["x", None],
        }
    )
    out = wording.table(frame, "Europe/London")
    assert list(out.columns) == ["Status", "Last login", "Active", "Accounts", "Note"]
    assert out["Note"].tolist() == ["x", ""]
    never = wording.table(pd.DataFrame({"last_login_at": [None]}), "UTC")
    assert never["Last login"].tolist() == ["never"]
    assert out["Status"].tolist() == ["In review", "Changes requested"]
    assert out["Last login"].tolist() == ["Mon 30 Nov 2026, 00:41 GMT", "never"]
    assert out["Active"].tolist() == ["yes", "no"]
    rendered = out.to_string()
    assert "+00:00" not in rendered and "None" not in rendered and "in_review" not in rendered
