"""Entry point for `python -m planner`."""

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
    module then takes another 0.15-0.2 s of every command (a fifth of a 1M-post co-post detection). Output is
    flushed first. When another thread or a child process is still running, Python exits as usual (it waits for
    them).
    """
    processes = sys.modules.get("multiprocessing")
    if threading.active_count() > 1 or (processes is not None and processes.active_children()):
        sys.exit(code)
    logging = sys.modules.get("logging")
    if logging is not None:
        logging.shutdown()
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
