"""Command line: subcommands listed with help, users commands, db upgrade, backup, clean errors."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from planner.cli import cli
from tests.conftest import PASSWORD, use_workspace


@pytest.fixture
def run(tmp_path, monkeypatch):
    use_workspace(monkeypatch, tmp_path / "data", migrated=False)
    runner = CliRunner()

    def invoke(*args, **kw):
        return runner.invoke(cli, list(args), catch_exceptions=False, **kw)

    return invoke


def _all_commands(group: click.Group, prefix=()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _all_commands(command, (*prefix, name))


@pytest.mark.parametrize("path", list(_all_commands(cli)))
def test_every_command_has_help_and_a_docstring(path):
    result = CliRunner().invoke(cli, [*path, "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Usage:" in result.output
    command = cli
    for part in path:
        command = command.get_command(click.Context(command), part)
    assert command.help and command.help.strip()


def test_top_level_help_lists_subcommands():
    out = subprocess.run([sys.executable, "-m", "planner", "--help"], capture_output=True, text=True, check=True)
    for name in ("db", "users", "demo", "backup"):
        assert f"  {name} " in out.stdout


def test_users_lifecycle(run):
    assert run("users", "add", "ada", "--role", "admin", "--password", PASSWORD).output == "Created ada (admin).\n"
    assert run("users", "add", "dora", "--role", "drafter", "--password", PASSWORD).exit_code == 0
    assert run("users", "set-role", "dora", "reviewer").output == "dora is now reviewer.\n"
    assert run("users", "deactivate", "dora").output == "dora deactivated.\n"
    listing = run("users", "list", "--format", "csv").output.splitlines()
    assert listing[0] == "username,name,role,active,last_login_at"
    assert listing[1:] == ["ada,ada,admin,True,", "dora,dora,reviewer,False,"]
    table = run("users", "list").output.splitlines()
    assert table[0].split() == ["Username", "Name", "Role", "Active", "Last", "login"]
    assert table[2].split() == ["dora", "dora", "Reviewer", "no", "never"]


def test_core_errors_are_clean_messages(run):
    result = CliRunner().invoke(cli, ["users", "add", "x", "--role", "viewer", "--password", PASSWORD])
    assert result.exit_code == 1
    assert result.output.startswith("Error: username:")
    assert "Traceback" not in result.output


def test_bad_database_url_is_one_line(run, monkeypatch):
    monkeypatch.setenv("PLANNER_DATABASE_URL", "nosuchdb://x")
    result = CliRunner().invoke(cli, ["users", "list"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "PLANNER_DATABASE_URL" in result.output


def test_db_upgrade_is_idempotent(run):
    first = run("db", "upgrade").output
    assert first.startswith("Upgraded schema empty -> ")
    assert run("db", "upgrade").output.startswith("Already up to date")
    assert "Schema: " in run("db", "status").output


@pytest.mark.sqlite_only
def test_backup(run, tmp_path):
    run("users", "add", "ada", "--role", "admin", "--password", PASSWORD)
    target = tmp_path / "copy.db"
    assert run("backup", str(target)).output == f"Backed up to {target}\n"
    assert target.stat().st_size > 0
    again = CliRunner().invoke(cli, ["backup", str(target)])
    assert again.exit_code == 1 and "already exists" in again.output


def test_demo_twice(run):
    first = run("demo")
    assert first.exit_code == 0 and "fictional monitored posts" in first.output
    second = CliRunner().invoke(cli, ["demo"])
    assert second.exit_code == 1 and "already loaded" in second.output


def test_command_table_lists_every_command_with_its_own_help():
    """The lazy command table names each top-level command of planner/cli, with the command's own first help line."""
    import planner.cli as cli_package

    defined = {}
    for info in pkgutil.iter_modules(cli_package.__path__):
        module = importlib.import_module(f"planner.cli.{info.name}")
        for attribute, value in vars(module).items():
            if isinstance(value, click.Command) and value.callback.__module__ == module.__name__:
                defined[value.name] = (info.name, attribute, value)
    top_level = {
        name: found
        for name, found in defined.items()
        if not any(isinstance(g, click.Group) and found[2] in g.commands.values() for _, _, g in defined.values())
    }
    assert set(cli_package.COMMANDS) == set(top_level)
    for name, (module, attribute, short) in cli_package.COMMANDS.items():
        assert (module, attribute) == top_level[name][:2], name
        assert short == top_level[name][2].get_short_help_str(limit=300), name


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from planner.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('pandas', 'sklearn', 'weasyprint', 'plotly', 'networkx', 'scipy') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out
