"""Read and normalise a big file in a worker process while this process writes the rows it hands back.

The database writes stay in the calling process (it holds the transaction), so everything else leaves that process:
once the first chunk shows the file is big, a forked worker continues reading the file from there (the format's
generator, file position and all, is copied by the fork) and normalises each chunk (validation, entity extraction,
keys, language detection: fastText holds the GIL, so a thread would not do). While this process has few pieces
waiting (RAW_AHEAD), the worker hands it the next chunk still raw and this process normalises it itself, so both
cores stay busy whichever side is slower. Rows come out in file order either way, and an error in the worker (a bad
file, say) is raised here, in its place.

On SQLite, the process that normalises a chunk also parks its rows in a scratch file (planner.dataaccess.Staging),
numbered in file order, and hands on only where they are: the importing process then stores every part with one
INSERT ... SELECT each, in C, instead of turning each value into a Python object and binding it. The parts go to
STAGE_ROUNDS files one after the other, by how far into the file they are: once the first part of a file is in, the
earlier files are complete, and the importing process stores their parts while the rest is read."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue as queue_module
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import pandas as pd

from planner import langid
from planner.dataaccess import Staged, Staging
from planner.ingest.formats import Chunk, ReadState
from planner.ingest.pipeline import Context, Rejected, normalise_chunk
from planner.ingest.store import stage_posts

# Files expected to hold at least this many rows get a worker: below it, starting one costs more than it saves.
WORKER_ROWS = 100_000
# Pieces the worker may have handed on that this process has not taken yet (bounds memory).
MAX_PENDING = 4
# The worker hands a chunk on raw while fewer than this many pieces wait to be taken, so this process always has
# one to normalise. Storing each piece itself keeps this process busy: then it gets raw chunks only when it has
# taken everything (1); when the pieces are only parked (staged), it has time for more (2: both cores stay busy).
RAW_AHEAD = {False: 1, True: 2}
# Scratch files a staged load parks its parts in, each holding the parts of the next stretch of the file. SQLite
# attaches at most 10 files to a connection and detaches none inside a transaction (planner.dataaccess.Staging):
# the last file's parts, 1/STAGE_ROUNDS of the rows, are stored after the reading ends.
STAGE_ROUNDS = 8
# Without skip-bad-rows a bad row refuses the file, and only the rows the report lists need their source row.
LISTED_RAWS = 1000


@dataclass
class Piece:
    """A chunk's outcome: rows read, bytes of the file read by then, the valid rows and the rejected ones.

    A staged piece's valid rows are parked in `staged`; `valid` then keeps only their created_at column (for the
    report's time range and count).
    """

    rows: int
    bytes_read: int
    valid: pd.DataFrame
    rejects: list[Rejected]
    staged: Staged | None = None


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


def piece(
    chunk: Chunk,
    ctx: Context,
    bytes_read: int,
    all_raws: bool,
    stage_folder: str | None = None,
    part: int = 0,
    stage_round: int = 0,
) -> Piece:
    """Normalise `chunk`; give its rejected rows their source row (all of them, or the first LISTED_RAWS).

    `stage_folder`: park the valid rows there as part number `part`, in the file of round `stage_round`; None
    hands them on.
    """
    valid, rejects, positions = normalise_chunk(chunk.frame, ctx)
    raws = rejects if all_raws else rejects[:LISTED_RAWS]
    # `positions` may run on past the rejects (rows dropped for another reason): those get no source row.
    for reject, raw in zip(raws, chunk.raw_rows(positions[: len(raws)]), strict=True):
        reject.raw = raw
    if stage_folder is None or valid.empty:
        return Piece(len(chunk.frame), bytes_read, valid, rejects)
    staged = stage_posts(stage_folder, part, valid, f"round{stage_round}")
    return Piece(len(chunk.frame), bytes_read, valid[["created_at"]], rejects, staged)


def normalised(
    chunks: Iterable[Chunk],
    state: ReadState,
    file_size: int,
    make_context: Callable[[], Context],
    all_raws: bool,
    staging: Staging | None = None,
) -> Iterator[tuple[Context, Piece]]:
    """Yield (context, piece) for each chunk of `chunks`, in file order.

    The context is made once the first chunk has been read (the format learns the columns from it). When that chunk
    shows the file holds WORKER_ROWS rows or more and use_worker() says it helps, a worker reads and normalises the
    rest. `all_raws`: every rejected row keeps its source row (for the rejects CSV); else the first LISTED_RAWS of
    each chunk do. `state` is kept up to date as the worker reads (bytes read, warnings, NULs removed).
    `staging`: with a worker, every piece's valid rows are parked in its folder (Piece.staged); without one, none
    are (and no folder is made).
    """
    iterator = iter(chunks)
    first = next(iterator, None)
    if first is None:
        return
    ctx = make_context()
    bytes_read = state.bytes_read
    big = file_size * len(first.frame) >= WORKER_ROWS * max(bytes_read, 1)
    parallel = big and use_worker()
    folder = staging.folder if parallel and staging is not None else None
    if parallel:
        _warm(ctx, folder, "lang" not in first.frame)
    worker = _Worker.start(iterator, state, ctx, all_raws, folder, file_size) if parallel else None
    try:
        yield ctx, piece(first, ctx, bytes_read, all_raws, folder, 0, 0)
        # The rest: the worker's pieces (and raw chunks it hands back), or every chunk raw, read here.
        rest = worker.items() if worker is not None else ((chunk, state.bytes_read, 0, 0) for chunk in iterator)
        for item in rest:
            yield ctx, item if isinstance(item, Piece) else piece(item[0], ctx, item[1], all_raws, folder, *item[2:])
    finally:
        if worker is not None:
            worker.stop()


def _warm(ctx: Context, stage_folder: str | None, no_languages: bool) -> None:
    """Load, before the fork, what both processes will need: the worker gets it with the fork instead of loading it
    again (the language model, about 0.1 s; ADBC's modules, about 0.1 s)."""
    if ctx.detect_language and no_languages:
        langid.model()
    if stage_folder is not None:
        import adbc_driver_sqlite.dbapi  # noqa: F401


class _Worker:
    """The forked process that reads the rest of the file, and this process's end of the pipe from it."""

    def __init__(self, process, conn, pending, taken, state: ReadState):
        self.process, self.conn, self.pending, self.taken, self.state = process, conn, pending, taken, state

    @classmethod
    def start(
        cls,
        chunks: Iterator[Chunk],
        state: ReadState,
        ctx: Context,
        all_raws: bool,
        stage_folder: str | None,
        file_size: int,
    ) -> _Worker:
        mp = multiprocessing.get_context("fork")
        receiver, sender = mp.Pipe(duplex=False)
        pending = mp.Value("i", 0)  # pieces handed on and not yet taken (at most MAX_PENDING)
        taken = mp.Condition(pending.get_lock())  # signalled when this process takes one
        process = mp.Process(
            target=_work,
            args=(chunks, state, ctx, all_raws, stage_folder, file_size, sender, pending, taken),
            name="import-reader",
            daemon=True,
        )
        process.start()
        sender.close()  # the worker holds the only writing end: if it dies, reading here ends instead of waiting
        return cls(process, receiver, pending, taken, state)

    def items(self) -> Iterator[Piece | tuple[Chunk, int, int, int]]:
        """Yield the worker's pieces, and raw (chunk, bytes read, part number, round) for this process to
        normalise, in file order."""
        while True:
            try:
                kind, item, read = self.conn.recv()
            except (EOFError, OSError) as exc:  # OSError: it died in the middle of a piece
                self.process.join()
                code = self.process.exitcode
                raise RuntimeError(f"the import's reading process stopped (exit code {code})") from exc
            self.state.bytes_read, self.state.warnings[:], nuls = read
            if self.state.stream is not None:
                self.state.stream.nuls_removed = nuls
            if kind == "error":
                raise item
            if kind == "end":
                return
            with self.taken:
                self.pending.value -= 1
                self.taken.notify()
            yield item

    def stop(self) -> None:
        """End the worker (at once if this process stopped early) and close the pipe."""
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
        self.conn.close()


def _work(
    chunks, state: ReadState, ctx: Context, all_raws: bool, stage_folder, file_size: int, conn, pending, taken
) -> None:
    """(Worker) read the remaining chunks and hand them on: normalised, or raw when this process has taken all."""
    # A thread writes to the pipe while this one reads on: written here, each piece would hold the worker until the
    # importing process had read it, and every piece would look taken at once.
    outbox: queue_module.SimpleQueue = queue_module.SimpleQueue()
    writer = threading.Thread(target=_send_all, args=(outbox, conn), name="import-reader-send", daemon=True)
    writer.start()

    def read() -> tuple:
        return state.bytes_read, list(state.warnings), state.stream.nuls_removed if state.stream else 0

    stage_round = 0  # decided here for every part, never going back (bytes read may be an estimate)
    try:
        for part, chunk in enumerate(chunks, start=1):  # part 0 is the first chunk, read before the fork
            bytes_read = state.bytes_read
            stage_round = max(stage_round, min(STAGE_ROUNDS - 1, bytes_read * STAGE_ROUNDS // max(file_size, 1)))
            if pending.value < RAW_AHEAD[stage_folder is not None]:
                item = (chunk, bytes_read, part, stage_round)
            else:
                item = piece(chunk, ctx, bytes_read, all_raws, stage_folder, part, stage_round)
            with taken:
                while pending.value >= MAX_PENDING:
                    taken.wait()
                pending.value += 1
            outbox.put(("piece", item, read()))
        outbox.put(("end", None, read()))
    except BaseException as exc:  # raised in the importing process instead, in its place among the rows
        try:
            pickle.dumps(exc)
        except Exception:
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        outbox.put(("error", exc, read()))
    finally:
        outbox.put(None)
        writer.join()
        conn.close()


def _send_all(outbox: queue_module.SimpleQueue, conn) -> None:
    while (message := outbox.get()) is not None:
        conn.send(message)
