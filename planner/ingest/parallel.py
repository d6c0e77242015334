"""Normalise a big file's chunks in a worker process, one chunk ahead of the database writes of the previous one.

Reading the file and writing rows stay in the calling process (they hold the file and the transaction); the
worker gets each chunk's records and returns its validated rows. On two cores the validation, entity extraction and
language detection (fastText holds the GIL, so a thread would not do) then overlap with the inserts. When the worker
falls behind (language detection makes its side the slower one), the calling process normalises the next chunk
itself instead of waiting, so both cores stay busy; rows still come out in file order.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

import pandas as pd

from planner.ingest.formats import Chunk, ReadState
from planner.ingest.pipeline import Context, Rejected, normalise_chunk

# Files expected to hold at least this many rows get a worker: below it, starting one costs more than it saves.
WORKER_ROWS = 100_000
# Chunks the worker holds at once; with this many still running, this process normalises the next one itself.
WORKER_AHEAD = 2
# Chunks read but not yet handed on (bounds memory): with this many, wait for the oldest.
MAX_PENDING = 4

Normalised = tuple[pd.DataFrame, list[Rejected], list[int]]


def use_worker() -> bool:
    """Return whether a worker process would help: a core is idle, and this process may fork."""
    # A forked worker starts in milliseconds with every module loaded; a spawned one would import them all again.
    # Forking a process that runs other threads (the app's server) can copy a lock some thread holds: only the CLI
    # and scripts, single-threaded, get the worker. On a busy machine the worker only competes with the inserts
    # (measured: 13.6 s instead of 10.2 s for 200k rows at a load of 6.5 on 2 cores).
    if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() != 1:
        return False
    # Room for this process and its worker now. The load average is no guide: it trails by a minute, so a program
    # that had just finished (the benchmark's floor run, an earlier import) kept the worker away from a quiet machine.
    idle = idle_cores()
    if idle is None:
        return os.getloadavg()[0] <= (os.cpu_count() or 1) - 1
    return idle >= 1.5


def idle_cores(interval: float = 0.1) -> float | None:
    """Return how many cores were idle over the next `interval` seconds (Linux /proc/stat), or None elsewhere."""
    try:
        before = _cpu_times()
        time.sleep(interval)
        after = _cpu_times()
    except (OSError, ValueError, IndexError):
        return None
    spent = [b - a for a, b in zip(before, after, strict=True)]
    total = sum(spent)
    if total <= 0:
        return None
    idle = spent[3] + spent[4]  # idle and iowait
    return idle / total * (os.cpu_count() or 1)


def _cpu_times() -> list[int]:
    """Return the machine's CPU times from /proc/stat: user, nice, system, idle, iowait, irq, softirq, steal."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = stat.readline().split()
    if fields[0] != "cpu":
        raise ValueError("unexpected /proc/stat")
    return [int(v) for v in fields[1:9]]


def normalised(
    chunks: Iterable[Chunk], state: ReadState, file_size: int, make_context: Callable[[], Context]
) -> Iterator[tuple[Chunk, Context, int, Normalised]]:
    """Yield (chunk, context, bytes read when the chunk was read, normalise_chunk's result), in file order.

    The context is made when the first chunk has been read (the format learns the columns from it). Once the file
    is expected to hold WORKER_ROWS rows, later chunks are normalised in a worker process, one chunk ahead, if
    use_worker() says it helps.
    """
    ctx: Context | None = None
    pool: ProcessPoolExecutor | None = None
    pending: deque[tuple[Chunk, int, Future | Normalised]] = deque()
    rows = 0
    try:
        for chunk in chunks:
            ctx = ctx or make_context()
            bytes_read = state.bytes_read
            rows += len(chunk.frame)
            if pool is None and not pending and file_size * rows >= WORKER_ROWS * max(bytes_read, 1) and use_worker():
                pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
            if pool is None:
                yield chunk, ctx, bytes_read, normalise_chunk(chunk.frame, ctx)
                continue
            running = sum(isinstance(work, Future) and not work.done() for _c, _r, work in pending)
            if running < WORKER_AHEAD:
                pending.append((chunk, bytes_read, pool.submit(normalise_chunk, chunk.frame, ctx)))
            else:
                pending.append((chunk, bytes_read, normalise_chunk(chunk.frame, ctx)))
            while pending and (len(pending) >= MAX_PENDING or _ready(pending[0][2])):
                yield _handed_on(pending.popleft(), ctx)
        while pending:
            yield _handed_on(pending.popleft(), ctx)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _ready(work: Future | Normalised) -> bool:
    return not isinstance(work, Future) or work.done()


def _handed_on(item: tuple[Chunk, int, Future | Normalised], ctx: Context) -> tuple[Chunk, Context, int, Normalised]:
    chunk, read, work = item
    return chunk, ctx, read, work.result() if isinstance(work, Future) else work
