"""`python -m planner` leaves without tearing the interpreter down, yet with its output and exit status intact."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from planner import __main__ as entry

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "PLANNER_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "planner", *args], capture_output=True, text=True, env=env, cwd=ROOT)


def test_output_to_a_pipe_is_flushed_and_the_status_kept(tmp_path):
    done = _run("--version", tmp_path=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("counterpoint, version")
    wrong = _run("no-such-command", tmp_path=tmp_path)
    assert wrong.returncode == 2 and "No such command 'no-such-command'" in wrong.stderr


def test_a_command_that_writes_to_the_workspace_leaves_it_closed(tmp_path):
    done = _run("db", "upgrade", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    # The workspace was disposed before the quick exit: no write-ahead log left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counterpoint.db"]


@pytest.mark.parametrize(("code", "status", "printed"), [(None, 0, ""), (3, 3, ""), ("bad input", 1, "bad input\n")])
def test_exit_codes_as_python_gives_them(code, status, printed, capsys):
    assert entry._exit_code(SystemExit(code)) == status
    assert capsys.readouterr().err == printed


def test_waits_as_usual_while_another_thread_runs(monkeypatch):
    monkeypatch.setattr(entry.threading, "active_count", lambda: 2)
    with pytest.raises(SystemExit) as exited:
        entry._quick_exit(4)
    assert exited.value.code == 4


def test_exit_handlers_run_and_a_profiler_still_gets_its_figures(tmp_path):
    script = (
        "import atexit, runpy, sys\n"
        "atexit.register(lambda: print('handler ran', flush=True))\n"
        "sys.argv = ['planner', '--version']\n"
        "runpy.run_module('planner', run_name='__main__')\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PLANNER_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == 0 and done.stdout.splitlines()[-1] == "handler ran"
    stats = tmp_path / "cli.prof"
    profiled = [sys.executable, "-m", "cProfile", "-o", str(stats), "-m", "planner", "--version"]
    assert subprocess.run(profiled, capture_output=True, env=env, cwd=ROOT).returncode == 0
    assert stats.stat().st_size > 0
