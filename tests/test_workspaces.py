"""The test workspaces helper: no test hard-codes an SQLite URL, and PostgreSQL test databases are copies of a
migrated template that are dropped again."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from planner import db
from tests import workspaces

TESTS = Path(__file__).resolve().parent
# The helpers that build SQLite URLs for everyone else, and this file (its own samples).
HELPERS = {"workspaces.py", "conftest.py", "test_workspaces.py"}


def _marked_sqlite_only(node: ast.AST) -> bool:
    return "sqlite_only" in ast.unparse(node)


def _sqlite_urls_outside_sqlite_only_tests(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module_marked = any(
        isinstance(n, ast.Assign) and "pytestmark" in ast.unparse(n.targets[0]) and _marked_sqlite_only(n.value)
        for n in tree.body
    )
    if module_marked:
        return []
    found = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef) or any(_marked_sqlite_only(d) for d in func.decorator_list):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "sqlite:///" in node.value:
                found.append(f"{path.name}:{node.lineno} in {func.name}")
    return sorted(set(found))


def test_no_test_hard_codes_an_sqlite_url():
    """Tests open workspaces through tests/workspaces.py (the ws fixture, workspace_url, data_dir_url,
    workspace_env, use_workspace), so PLANNER_TEST_POSTGRES_URL runs them on PostgreSQL; tests of the SQLite file
    itself carry @pytest.mark.sqlite_only."""
    offenders = [
        hit
        for path in sorted(TESTS.glob("*.py"))
        if path.name not in HELPERS
        for hit in _sqlite_urls_outside_sqlite_only_tests(path)
    ]
    assert offenders == []


def test_the_checker_finds_a_hard_coded_url(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        "import pytest\n"
        "def test_a(tmp_path):\n    open_workspace(f'sqlite:///{tmp_path}/x.db')\n"
        "@pytest.mark.sqlite_only\ndef test_b(tmp_path):\n    open_workspace(f'sqlite:///{tmp_path}/x.db')\n"
    )
    assert _sqlite_urls_outside_sqlite_only_tests(sample) == ["test_sample.py:3 in test_a"]


@pytest.mark.postgres
def test_postgres_databases_are_migrated_copies_and_are_dropped(pg_url):
    position = workspaces.mark()
    name = workspaces.create_database(template=workspaces.template("migrated"))
    url = workspaces.pg_url_of(name)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == db.SCHEMA_HEAD
            assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 0
    finally:
        engine.dispose()
    workspaces.drop_since(position)
    admin = create_engine(pg_url)
    try:
        with admin.connect() as conn:
            left = conn.execute(text("SELECT count(*) FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
    finally:
        admin.dispose()
    assert left == 0
