"""Untrusted text reaches markdown only through planner.ui.common.safe_md: an AST check of every page, tested itself.

Streamlit renders markdown in st.markdown/write/caption/headings/alerts/toast, in every widget label, tooltip
(`help=`), tab and expander label, and in the options and `format_func` output of radio, pills, segmented_control
and select_slider. A text built for one of those (an f-string, `.format`, `%` or `+`) may only hold literal text,
safe_md(...) calls, known-safe helpers that produce numbers, dates or fixed words, numbers proven by a numeric format
spec ({n:,} {share:.0%} {n:d}: a str would raise), and upper-case constants. A bare argument may be a literal, a name,
such a call, or a constant; an attribute, subscript or other call (row.handle, row["text"], str(exc)) is refused.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

import pandas as pd
import pytest

from planner.ui import common
from tests.conftest import ROOT

PAGES = sorted((ROOT / "planner" / "ui").glob("*.py")) + [ROOT / "app.py"]

# Calls whose first positional argument (or `body`/`label`) is rendered as markdown.
MARKDOWN_BODY = {
    "markdown", "write", "caption", "subheader", "header", "title", "warning", "error", "success", "info", "toast",
    "expander", "popover", "status", "dialog", "button", "download_button", "link_button", "form_submit_button",
    "checkbox", "toggle", "radio", "selectbox", "multiselect", "select_slider", "slider", "text_input", "text_area",
    "number_input", "date_input", "time_input", "file_uploader", "color_picker", "pills", "segmented_control",
    "metric", "page_link", "feedback", "tabs", "progress", "spinner",
}  # fmt: skip
MARKDOWN_KEYWORDS = {"body", "label", "help", "title", "text", "success"}  # success=: common.run's toast
# Page helpers that put an argument into markdown later (calendar's done() flashes it on the next run).
DEFERRED_SINKS = {"done": 0}
# Widgets whose option labels (options=, captions=, format_func=) are markdown too (selectbox/multiselect are plain).
MARKDOWN_OPTIONS = {"radio", "pills", "segmented_control", "select_slider"}
# Receivers that are not Streamlit (a file's .write, str.title, pandas).
NOT_STREAMLIT = {"fh", "f", "buf", "path", "out", "sys", "click", "exports", "pd", "df", "frame"}
# Helpers that make text safe, or produce only numbers, dates, times and fixed words.
SAFE_CALLS = {
    "safe_md", "common.safe_md",
    "wording.plural", "wording.noun", "wording.when", "wording.day", "wording.approval", "wording.zone_name",
    "wording.label", "wording.humanise", "wording.column",  # the app's own code words (statuses, kinds, roles)
    "common.when", "when", "common.header",
    "len", "int", "float", "round", "abs", "sum", "min", "max",
}  # fmt: skip
# A format spec that str.__format__ refuses proves the value is not text: numbers ({n:,} {n:d} {share:.0%}) and
# datetimes ({at:%d %b %H:%M}).
NUMERIC_SPEC = re.compile(r"[,_%]|[bcdeEfFgGnoxX]$")


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    call: str
    source: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.call}(...) gets untrusted text: {self.source}"


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else ""
    return ""


def _safe_call(node: ast.Call) -> bool:
    name = _dotted(node.func)
    return name in SAFE_CALLS or name.split(".")[-1] in {"safe_md"}


def _constant(node: ast.AST) -> bool:
    """A literal, or text looked up in the code's own upper-case tables (FRAMES[f].label, PRESETS.get(k)), or a
    time zone's IANA name (zone.key)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Attribute) and node.attr == "key" and _dotted(node.value).lower().endswith("zone"):
        return True
    while True:
        if isinstance(node, ast.Name | ast.Attribute) and _dotted(node).split(".")[-1].isupper():
            return True
        if isinstance(node, ast.Call) and _dotted(node.func) in {"list", "sorted"} and len(node.args) == 1:
            node = node.args[0]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
            node = node.func.value
        elif isinstance(node, ast.Attribute | ast.Subscript):
            node = node.value
        else:
            return False


def _numeric_spec(spec: ast.AST | None) -> bool:
    if not isinstance(spec, ast.JoinedStr):
        return False
    text = "".join(v.value for v in spec.values if isinstance(v, ast.Constant))
    return bool(NUMERIC_SPEC.search(text))


def _text_ok(node: ast.AST) -> bool:
    """Whether a value interpolated into markdown text is safe."""
    if _constant(node):
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.args:
        if node.func.attr in {"lower", "upper", "capitalize", "strip"}:
            return _text_ok(node.func.value)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join":
        items = node.args[0] if len(node.args) == 1 else None
        if isinstance(items, ast.GeneratorExp | ast.ListComp):
            return _text_ok(node.func.value) and _text_ok(items.elt)
        return False
    if isinstance(node, ast.Call):
        return _safe_call(node)
    if isinstance(node, ast.IfExp):
        return _text_ok(node.body) and _text_ok(node.orelse)
    if isinstance(node, ast.BoolOp):
        return all(_text_ok(v) for v in node.values)
    if isinstance(node, ast.Compare):
        return True  # True / False
    if isinstance(node, ast.JoinedStr | ast.BinOp):
        return _built_ok(node)
    return False


def _built_ok(node: ast.AST) -> bool:
    """Whether a text built by an f-string, % or + holds only safe parts."""
    if isinstance(node, ast.JoinedStr):
        return all(
            isinstance(part, ast.Constant) or _numeric_spec(part.format_spec) or _text_ok(part.value)
            for part in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _text_ok(node.left) and _text_ok(node.right)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        right = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        return _text_ok(node.left) and all(_text_ok(r) for r in right)
    return _text_ok(node)


def _arg_ok(node: ast.AST) -> bool:
    """Whether an argument rendered as markdown is safe."""
    if isinstance(node, ast.Name | ast.Starred):
        return True  # a variable: its own construction is checked where it is built into markdown
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return (
            _text_ok(node.func.value)
            and all(_text_ok(a) for a in node.args)
            and all(_text_ok(k.value) for k in node.keywords)
        )
    if isinstance(node, ast.List | ast.Tuple):
        return all(_arg_ok(e) for e in node.elts)
    if isinstance(node, ast.ListComp):
        return _arg_ok(node.elt)
    if isinstance(node, ast.Lambda):
        return _arg_ok(node.body)
    return _built_ok(node)


def _func_ok(node: ast.AST) -> bool:
    """Whether a format_func renders safe labels."""
    if isinstance(node, ast.Lambda):
        return _text_ok(node.body) or isinstance(node.body, ast.Name)
    return _dotted(node) in SAFE_CALLS or _dotted(node).endswith("safe_md") or _constant(node)


REVIEWED = re.compile(r"#\s*md-safe:\s*\S")


def _markdown_args(node: ast.Call) -> list[ast.AST]:
    """The arguments of a Streamlit call that are rendered as markdown (none for other calls)."""
    name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
    if name not in MARKDOWN_BODY or _dotted(node.func.value) in NOT_STREAMLIT:
        return [k.value for k in node.keywords if k.arg == "success"]
    suspects = node.args[:1] + [k.value for k in node.keywords if k.arg in MARKDOWN_KEYWORDS]
    if name in MARKDOWN_OPTIONS:
        suspects += [k.value for k in node.keywords if k.arg in {"options", "captions"}] + node.args[1:2]
    return suspects


def _sinks(tree: ast.AST) -> dict[str, int]:
    """Functions of the page that pass a parameter on to markdown: name -> position of that parameter."""
    sinks = dict(DEFERRED_SINKS)
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef):
            continue
        params = [a.arg for a in fn.args.args]
        for call in ast.walk(fn):
            if isinstance(call, ast.Call):
                for arg in _markdown_args(call):
                    for name in _text_names(arg) & set(params):
                        sinks.setdefault(fn.name, params.index(name))
    return sinks


def _text_names(node: ast.AST) -> set[str]:
    """The names whose value becomes part of the text (not a lookup key or a call argument)."""
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.JoinedStr):
        return set().union(*(_text_names(v.value) for v in node.values if isinstance(v, ast.FormattedValue)))
    if isinstance(node, ast.BinOp):
        return _text_names(node.left) | _text_names(node.right)
    if isinstance(node, ast.IfExp):
        return _text_names(node.body) | _text_names(node.orelse)
    if isinstance(node, ast.BoolOp):
        return set().union(*(_text_names(v) for v in node.values))
    return set()


def check_source(source: str, path: str = "<page>") -> list[Violation]:
    """Return the markdown-rendering calls in `source` that get text not passed through safe_md.

    Checked: Streamlit's markdown-rendering calls, `success=` messages (common.run toasts them), and calls of the
    page's own functions that pass an argument on to one of those. A call whose first line ends in
    `# md-safe: <reason>` was reviewed: its text is the app's own (a loop over a constant table, say)."""
    found = []
    lines = source.splitlines()
    tree = ast.parse(source)
    sinks = _sinks(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or REVIEWED.search(lines[node.lineno - 1]):
            continue
        name = _dotted(node.func).split(".")[-1]
        suspects = _markdown_args(node) if isinstance(node.func, ast.Attribute) else []
        if name in sinks and not (isinstance(node.func, ast.Attribute) and name in MARKDOWN_BODY):
            position = sinks[name]
            suspects += node.args[position : position + 1]
        bad = [s for s in suspects if not _arg_ok(s)]
        if name in MARKDOWN_OPTIONS:
            bad += [k.value for k in node.keywords if k.arg == "format_func" and not _func_ok(k.value)]
        found += [Violation(path, s.lineno, name, ast.unparse(s)) for s in bad]
    return found


def test_every_page_passes_untrusted_text_through_safe_md():
    violations = [v for page in PAGES for v in check_source(page.read_text(encoding="utf-8"), page.name)]
    assert not violations, "\n".join(map(str, violations))


PLANTED = {
    "st.subheader(f'Account {handle}')": 1,
    "st.warning('Bad cell: ' + value)": 1,
    "st.caption('File {}'.format(upload.name))": 1,
    "st.toast('%s imported' % upload.name)": 1,
    "col.error(str(exc))": 1,
    "st.markdown(row['text'])": 1,
    "st.expander(f'{trend.key} detail')": 1,
    "st.tabs([f'{name}', 'Other'])": 1,
    "st.button('Open', help=f'Opens {row.url}')": 1,
    "st.radio('Pick', keys, format_func=lambda k: labels[k])": 1,
    "st.pills('Pick', [f'#{tag}' for tag in tags])": 1,
    "st.metric(f'{channel.name} reach', 3)": 1,
    "st.subheader(f'Account {common.safe_md(handle)}')": 0,
    "st.warning('Bad cell: ' + safe_md(value))": 0,
    "st.caption(f'{wording.plural(n, \"post\")} from {len(files)} files, {share:.0%} coordinated, {n:,} rows')": 0,
    "st.markdown(f'Shown: {PAGE_SIZE} at most')": 0,
    "st.radio('Pick', keys, format_func=lambda k: wording.plural(k, 'day'))": 0,
    "st.selectbox('Pick', keys, format_func=labels.get)": 0,  # selectbox options are plain text
    "st.title('Import')": 0,
    "st.button(t.label)  # md-safe: workflow transition labels are constants": 0,
    "st.button(t.label)  # md-safe:": 1,  # a reason is required
    "fh.write(f'{row.text}')": 0,  # not Streamlit
    "common.run(save, s, success=f'Added {username}')": 1,
    "def shout(col, text):\n    col.warning(text)\nshout(c, f'{row.handle} posted')": 1,
    "def shout(col, text):\n    col.warning(text)\nshout(c, f'{safe_md(row.handle)} posted')": 0,
    "done(f'Resumed {scope_text}')": 1,
}


@pytest.mark.parametrize("snippet", list(PLANTED))
def test_the_check_catches_planted_violations(snippet):
    assert len(check_source(snippet)) == PLANTED[snippet], check_source(snippet)


def test_a_page_with_a_planted_leak_fails_the_check():
    page = (ROOT / "planner" / "ui" / "networks.py").read_text(encoding="utf-8")
    assert not check_source(page)
    leaked = page + "\nst.subheader(f'Account {account.author_handle}')\n"
    assert [v.call for v in check_source(leaked)] == ["subheader"]


# ---- the helpers themselves -------------------------------------------------------------------------------------

HOSTILE = "![x](http://evil.example/p.png) [go](javascript:alert(1)) <img src=x> :red[boo] # h *b* `c` ~s~ $x$"


def _as_remark_sees_it(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


@pytest.mark.parametrize(
    "text",
    [
        HOSTILE,
        "www.evil.example and http://evil.example/a and https://127.0.0.1:8080/x and mail@evil.example",
        "1. one\n- two\n+ three\n# head\n> quote\n---\nsetext\n===\n  ## indented",
        ":smile: :+1: :material/home: :red-background[x] &amp; &#60;",
    ],
)
def test_safe_md_leaves_no_markdown_unescaped(text):
    out = common.safe_md(text)
    assert not re.findall(r"(?<!\\)[\[\]<>*`~$]", out), out
    assert not re.search(r"(?<!\\)(!\\\[|:|&[a-z#])", out), out
    assert not re.search(r"(?m)^\s*(\d+[.)]|[-+=>]|#+\s)", out), out  # no block markers at a line start
    seen = _as_remark_sees_it(out)
    # GFM's literal autolinks (run on the unescaped text): www.x.y, http(s)://x.y, a@x.y.
    assert not re.search(r"(?i)(https?://|www\.)[-.a-z0-9_]*[a-z0-9_]\.[a-z0-9]", seen), seen
    assert not re.search(r"(?i)[-.+a-z0-9_]+@[-a-z0-9_]+\.[-a-z0-9_]", seen), seen
    assert seen.replace(common.WORD_JOINER, "") == text  # nothing lost: the escapes only make it literal


def test_safe_md_leaves_plain_sentences_alone():
    assert common.safe_md("Wrong username or password.") == "Wrong username or password."
    assert common.safe_md("row 3 is not a date (use 2026-11-01)") == "row 3 is not a date (use 2026-11-01)"


def test_safe_md_isolates_bidi_and_makes_it_visible():
    out = common.safe_md("abc\u202efed\u2066x")
    assert out == "\u2068abc⟨RLO⟩fed⟨LRI⟩x\u2069"
    assert common.safe_md("plain words") == "plain words"
    assert common.safe_md(None) == "" and common.safe_md(42) == "42"


def test_show_table_isolates_bidi_and_says_so(monkeypatch):
    shown, captions = [], []
    monkeypatch.setattr(common.st, "dataframe", lambda frame, **kw: shown.append(frame))
    monkeypatch.setattr(common.st, "caption", captions.append)
    frame = pd.DataFrame({"handle": ["ok", "ab\u202ecd"], "posts": [1, -5]})
    common.show_table(frame, hide_index=True)
    assert shown[0]["handle"].tolist() == ["ok", "\u2068ab⟨RLO⟩cd\u2069"]
    assert shown[0]["posts"].tolist() == [1, -5]
    assert frame["handle"].tolist()[1] == "ab\u202ecd"  # the caller's frame is untouched
    assert len(captions) == 1 and "bidirectional control characters" in captions[0]
    common.show_table(frame.iloc[:1])
    assert len(captions) == 1  # no caption without bidi controls


def test_streamlit_table_download_is_off():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["disableDataExport"] is True


def test_pages_show_untrusted_tables_through_show_table():
    raw = [
        f"{page.name}:{i}"
        for page in PAGES
        for i, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\.dataframe\(", line) and "common.show_table" not in line and "def show_table" not in line
    ]
    assert raw == [p for p in raw if p.startswith("common.py")], raw
