"""Brief blocks: charts drawn ahead of rendering, shared with a forked process when safe, same pictures either way."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from planner.briefs import charts
from planner.briefs.blocks import Chart, charts_of, prerender


def _chart(n: int, parent: int | None = None) -> Chart:
    def draw():
        if parent is not None and os.getpid() != parent:
            raise RuntimeError("this chart cannot be drawn in a child process")
        return charts.bars(
            [f"item {i}" for i in range(n)], list(range(1, n + 1)), title=f"{n} bars", xlabel="x", ylabel="y"
        )

    return Chart(caption=f"{n} bars", alt=f"{n} bars", draw=draw)


def _fresh(count: int = 4, parent: int | None = None) -> list[Chart]:
    return [_chart(n + 2, parent) for n in range(count)]


def test_prerender_gives_the_same_pictures_as_drawing_in_turn():
    expected = [chart.png for chart in _fresh()]
    ahead = _fresh()
    prerender(ahead, "png")
    assert all("png" in chart._cache for chart in ahead)
    assert [chart._cache["png"] for chart in ahead] == expected
    assert all(picture.startswith(b"\x89PNG") for picture in expected)


# Run in a fresh process: the test process may hold threads of earlier tests, and prerender forks only without them.
CHILD_SCRIPT = """
import os
from planner.briefs.blocks import prerender
from tests.test_briefs_blocks import _fresh

forks = []
real_fork = os.fork
os.fork = lambda: forks.append(1) or real_fork()
expected = [chart.png for chart in _fresh()]
for parent in (None, os.getpid()):  # then with every draw failing in a child process
    ahead = _fresh(parent=parent)
    prerender(ahead, "png")
    assert [chart._cache["png"] for chart in ahead] == expected
ahead = _fresh()
assert prerender(ahead, "png", meanwhile=os.getpid) == os.getpid()  # `meanwhile` runs here, its result comes back
assert [chart._cache["png"] for chart in ahead] == expected
def fail():
    raise KeyError("meanwhile failed")
try:
    prerender(_fresh(), "png", meanwhile=fail)
except KeyError:
    pass
try:
    os.waitpid(-1, os.WNOHANG)
    print("a child was left behind")
except ChildProcessError:
    pass
print("forks", len(forks))
"""


@pytest.mark.skipif(not hasattr(os, "fork") or (os.cpu_count() or 1) < 2, reason="needs fork and two cores")
def test_prerender_shares_the_work_with_a_child_and_draws_here_what_it_failed_to_draw():
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", CHILD_SCRIPT], cwd=root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["forks", "4"]


def test_prerender_never_forks_a_threaded_process(monkeypatch):
    def no_fork():
        raise AssertionError("forked a process with other threads running")

    monkeypatch.setattr(os, "fork", no_fork)
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        ahead = _fresh()
        prerender(ahead, "png")
    finally:
        stop.set()
        worker.join()
    assert all(chart._cache["png"].startswith(b"\x89PNG") for chart in ahead)


def test_charts_of_lists_a_contexts_charts_in_order():
    first, second = _fresh(2)
    context = {"sections": [{"blocks": [first]}, {"blocks": ["text"]}, {"blocks": [second]}]}
    assert charts_of(context) == [first, second]
