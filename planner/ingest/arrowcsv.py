"""Parse well-formed CSV text with Arrow's reader, chunk by chunk, and hand the rest to pandas at the first doubt.

pandas' reader makes a Python string of every field before it becomes a column; Arrow's parses the bytes straight
into columns, about eight times faster. The two read well-formed CSV alike, and Arrow refuses most of what they read
differently (a row with too few or too many fields, a line of spaces). What it would accept silently is checked
here first, on the bytes of each chunk:
- a record ends at a line feed outside quotes: one with an even number of double quotes before it in the chunk;
- that count is only right when every quote opens a field (it follows the separator, a line break or a quote) or
  closes one (a line break, the separator or a quote follows it), by its place in the count: a quote inside a field,
  which both parsers keep as a character, would shift it;
- no carriage return stands alone (both parsers end a record there; the count above does not), and the file does
  not end inside quotes (Arrow would close the field, pandas refuses the file);
- Arrow finds as many records as the count does, blank lines left aside.
A chunk that fails any of these is not parsed here: it and the rest of the file go to pandas, which gives every row
the treatment it always had (a ragged row rejected or refusing the file, with its line number).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

QUOTE, LF, CR = 0x22, 0x0A, 0x0D
# Characters asked for at a time while a chunk's records are not all in (grows with the rows the chunk needs).
MIN_READ = 1 << 16
# ... and at most this many at a time: the stream checks each read's longest line, which costs a scan of the text
# when the read is longer than a line may be (4M characters).
MAX_READ = 1 << 21
# The pandas dtype of a CSV field read as text ("str": Arrow-backed, missing as NaN), what read_csv(dtype=str) gives.
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


class Doubt(Exception):
    """A chunk Arrow might read differently from pandas: it goes to pandas, with the rest of the file."""


class ArrowCsv:
    """Chunks of records from a CSV text stream (header first), parsed by Arrow while the text is well formed.

    `stream` has read(size) -> str. After frames() stops early, `rest` is the text pandas should read instead: the
    header line, the last record parsed here (`primer`: 1, or 0 when none was), then everything not parsed (the
    stream itself holds the remainder); `lines` counts the lines parsed here before the primer as pandas numbers
    lines (records and blank lines, not the line breaks inside quotes), to number pandas' lines as the file's. The
    primer spares pandas' check of the first record after the header: a first record with too many fields refuses
    the file as a bad header, a later one as a bad line.
    """

    def __init__(self, stream, columns: list[str], sep: str):
        self.stream, self.columns, self.sep = stream, list(columns), sep
        self.pending = b""  # bytes read and not parsed yet, starting at a record
        self.header = ""
        self.rest = ""
        self.lines = 0
        self.primer = 0
        self._last = b""  # the last record parsed (the primer)
        self.finished = False
        self._eof = False
        self._separators = np.array([ord(sep), LF, CR, QUOTE], dtype=np.uint8)

    @staticmethod
    def usable(columns: list[str], sep: str) -> bool:
        """Return whether a file with this header can be read here: named, unique columns; a one-byte separator."""
        return bool(columns) and all(columns) and len(set(columns)) == len(columns) and len(sep.encode()) == 1

    def frames(self, next_rows: Callable[[int, int], int]) -> Iterator[pd.DataFrame]:
        """Yield each chunk's records as a frame of text columns (as pandas' read_csv(dtype=str) gives them).

        `next_rows(records, characters)` sizes the next chunk from what was read so far. Stops at the end of the file
        (`finished`) or before the first chunk in doubt (`rest`).
        """
        if not self._skip_header():
            self.rest = self.header + self.pending.decode()
            return
        records = chars = 0
        while True:
            rows = next_rows(records, chars)
            cut, ends = self._take(rows)
            if cut == 0:
                self.finished = True
                return
            data = self.pending[:cut]
            try:
                table, last = self._parse(data, ends)
            except Doubt:
                self.primer = int(bool(self._last))
                self.lines -= self.primer
                self.rest = self.header + (self._last + self.pending).decode()
                return
            self.pending = self.pending[cut:]
            self.lines += len(ends)
            self._last = last
            records += table.num_rows
            chars += len(data)
            yield table.to_pandas(types_mapper={pa.large_string(): TEXT}.get)

    def _skip_header(self) -> bool:
        """Read past the header line; return False when it is in doubt (then pandas reads the whole file)."""
        cut, _ends = self._take(1)
        head = self.pending[:cut]
        self.header = head.decode()
        self.pending = self.pending[cut:]
        return bool(cut) and head.endswith(b"\n") and not _quote_shifts(np.frombuffer(head, np.uint8), self._separators)

    def _take(self, rows: int) -> tuple[int, np.ndarray]:
        """Read until `rows` records are pending (or the file ends); return the bytes they take and their ends."""
        want = MIN_READ
        while True:
            data = np.frombuffer(self.pending, np.uint8)
            ends = record_ends(data)
            if len(ends) >= rows:
                return int(ends[rows - 1]) + 1, ends[:rows]
            if self._eof:
                return len(self.pending), ends
            if len(ends):  # read about what the missing records take, judging by the ones in
                want = max(want, int((rows - len(ends)) * (ends[-1] + 1) / len(ends) * 1.1))
            else:
                want *= 2
            text = self.stream.read(min(want, MAX_READ))
            if not text:
                self._eof = True
            self.pending += text.encode()

    def _parse(self, data: bytes, ends: np.ndarray) -> tuple[pa.Table, bytes]:
        """Return the records of `data` (whole records) as a table of text columns, and the last record's bytes;
        raise Doubt when in doubt."""
        view = np.frombuffer(data, np.uint8)
        ends = ends[ends < len(view)]
        if _quote_shifts(view, self._separators):
            raise Doubt("a double quote inside a field")
        if (view == QUOTE).sum() % 2:
            raise Doubt("the file ends inside quotes")
        carriage = np.flatnonzero(view == CR)
        if len(carriage) and (carriage[-1] + 1 >= len(view) or (view[carriage + 1] != LF).any()):
            raise Doubt("a carriage return without a line feed")
        try:
            table = pacsv.read_csv(
                pa.py_buffer(data),
                read_options=pacsv.ReadOptions(
                    column_names=self.columns, use_threads=False, block_size=max(len(data) + 1, MIN_READ)
                ),
                parse_options=pacsv.ParseOptions(delimiter=self.sep, newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(self.columns, pa.large_string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise Doubt(str(exc)) from exc
        blank = _blank_lines(view, ends)
        expected = len(ends) - int(blank.sum()) + (1 if len(view) and view[-1] != LF else 0)
        if table.num_rows != expected:
            raise Doubt(f"{table.num_rows} records where the line breaks say {expected}")
        filled = ends[~blank]
        if len(view) and view[-1] != LF:
            last = data[int(ends[-1]) + 1 if len(ends) else 0 :]
        elif len(filled):
            before = ends[ends < filled[-1]]
            last = data[int(before[-1]) + 1 if len(before) else 0 : int(filled[-1]) + 1]
        else:
            last = self._last
        return table, last


def record_ends(data: np.ndarray) -> np.ndarray:
    """Return the positions of the line feeds in `data` (uint8, starting at a record) outside double quotes."""
    feeds = np.flatnonzero(data == LF)
    quotes = np.flatnonzero(data == QUOTE)
    if not len(quotes):
        return feeds
    return feeds[np.searchsorted(quotes, feeds) % 2 == 0]


def _quote_shifts(data: np.ndarray, separators: np.ndarray) -> bool:
    """Return whether a double quote in `data` is neither where a field opens nor where one closes, by its rank.

    Counting from a record start, even-ranked quotes open a quoted field (or end an escaped pair): the byte before
    must be the separator, a line break or a quote. Odd-ranked ones close it (or start a pair): the byte after must
    be one of those.
    """
    quotes = np.flatnonzero(data == QUOTE)
    if not len(quotes):
        return False
    opening, closing = quotes[0::2], quotes[1::2]
    before = opening[opening > 0] - 1
    after = closing[closing < len(data) - 1] + 1
    return not (np.isin(data[before], separators).all() and np.isin(data[after], separators).all())


def _blank_lines(data: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Return per record end of `ends` whether it closes an empty line (line feed or CR LF alone), which both skip."""
    if not len(ends):
        return np.zeros(0, dtype=bool)
    previous = np.where(ends > 0, data[np.maximum(ends - 1, 0)], LF)
    blank = (ends == 0) | (previous == LF)
    crlf = (previous == CR) & ((ends == 1) | (data[np.maximum(ends - 2, 0)] == LF))
    return blank | crlf
