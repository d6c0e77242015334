"""Meta-tests of the code layout: the core never imports streamlit, every module says what it is for."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE_FILES = sorted(p for p in (ROOT / "planner").rglob("*.py") if "ui" not in p.relative_to(ROOT / "planner").parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_core_never_imports_streamlit(path):
    assert "streamlit" not in _imports(path)


MODULES = sorted(
    p
    for p in (ROOT / "planner").rglob("*.py")
    if "versions" not in p.parts and p.name != "env.py" and p.parent.name != "ui" or p.name == "__init__.py"
)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_core_module_has_a_one_line_docstring(path):
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert doc, f"{path} has no module docstring"
    assert doc.splitlines()[0].strip().endswith(".")


def test_app_is_only_a_router():
    source = (ROOT / "app.py").read_text(encoding="utf-8")
    assert "sqlalchemy" not in source and "select(" not in source
    assert "st.navigation" in source


def test_pages_contain_no_sql():
    for page in (ROOT / "planner" / "ui").glob("*.py"):
        imports = _imports(page)
        assert "sqlalchemy" not in imports, page
        source = page.read_text(encoding="utf-8")
        assert not re.search(r"(?<![A-Za-z_])select\(", source), f"{page} builds an SQL select"
        for sql in ("session.execute", "session.get(", "session.query", "session.add("):
            assert sql not in source, f"{page} uses {sql}"
