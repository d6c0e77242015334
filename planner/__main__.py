"""Entry point for `python -m planner`."""

import atexit
import os
import sys
import threading

from planner.cli import main


def _exit_code(exc: SystemExit) -> int:
    """Return the status SystemExit would give the process (printing a message code, as Python does)."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def _quick_exit(code: int) -> None:
    """Leave without tearing the interpreter down, when nothing is left to finish.

    A command closes its workspace before it returns; unloading pandas, SQLAlchemy, numpy and the rest module by
    module then takes another 0.15-0.2 s of every command (a fifth of a 1M-post co-post detection). The exit
    handlers run and output is flushed first. Python exits as usual while another thread or a child process still
    runs (it waits for them) and under a profiler or tracer (cProfile writes its figures after the module returns).
    """
    processes = sys.modules.get("multiprocessing")
    busy = threading.active_count() > 1 or (processes is not None and processes.active_children())
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)  # CPython's own, since 3.0
    if busy or sys.getprofile() is not None or sys.gettrace() is not None or run_exit_handlers is None:
        sys.exit(code)
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`): nothing more can be written anyway
            pass
    os._exit(code)


if __name__ == "__main__":
    try:
        main()
        status = 0
    except SystemExit as exc:
        status = _exit_code(exc)
    _quick_exit(status)
