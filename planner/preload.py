"""Import modules in a background thread, so that loading them overlaps work that waits (a server, a read)."""

from __future__ import annotations

import importlib
import threading
import time


def in_background(modules: tuple[str, ...], name: str, delay_s: float = 0.0) -> threading.Thread:
    """Start importing `modules` in a daemon thread called `name`, after `delay_s`; return the thread.

    A module that is missing (an optional library) is skipped: the code that needs it reports that itself.
    """

    def load() -> None:
        time.sleep(delay_s)
        for module in modules:
            try:
                importlib.import_module(module)
            except ImportError:
                continue

    thread = threading.Thread(target=load, name=name, daemon=True)
    thread.start()
    return thread
