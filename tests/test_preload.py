"""planner.preload: modules imported in a background thread, missing ones skipped."""

from __future__ import annotations

import sys

from planner import preload


def test_imports_the_modules_in_a_named_daemon_thread_and_skips_missing_ones(monkeypatch):
    monkeypatch.delitem(sys.modules, "colorsys", raising=False)
    thread = preload.in_background(("no_such_module_here", "colorsys"), "test-preload")
    assert thread.name == "test-preload" and thread.daemon
    thread.join(10)
    assert not thread.is_alive() and "colorsys" in sys.modules
