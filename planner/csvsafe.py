"""CSV that spreadsheets will not run: text cells starting with = + - @ tab or CR get a leading quote (OWASP).

Every CSV the app or the CLI writes goes through `writer` (row by row) or `frame_csv` (a DataFrame). Only text is
neutralised: numbers stay numbers, so a count of -5 in a numeric column is still -5. `raw=True` writes values as they
are, for machine pipelines that read the CSV with a parser rather than a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any, TextIO

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Return `value` with a leading single quote when it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class _SafeWriter:
    """A csv.writer whose text cells are neutralised (unless raw)."""

    def __init__(self, fh: TextIO, raw: bool, **fmtparams: Any) -> None:
        self._writer = csv.writer(fh, **fmtparams)
        self._raw = raw

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(row if self._raw else [neutralise(c) for c in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(fh: TextIO, *, raw: bool = False, **fmtparams: Any) -> _SafeWriter:
    """Return a csv.writer-like object on `fh` that neutralises formula-like text cells (all cells when not raw)."""
    return _SafeWriter(fh, raw, **fmtparams)


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of `frame` with formula-like text neutralised in its text columns; numeric columns unchanged."""
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype):
            out[col] = series.map(neutralise)
    out.columns = [neutralise(c) for c in out.columns]
    return out


def frame_csv(frame: pd.DataFrame, fh: TextIO | None = None, *, raw: bool = False, **kwargs: Any) -> str | None:
    """Write `frame` as CSV (no index) to `fh`, or return the text when `fh` is None; neutralised unless `raw`."""
    kwargs.setdefault("index", False)
    kwargs.setdefault("lineterminator", "\n")
    data = frame if raw else safe_frame(frame)
    if fh is None:
        return data.to_csv(**kwargs)
    data.to_csv(fh, **kwargs)
    return None


def rows_csv(header: Iterable[Any], rows: Iterable[Iterable[Any]], *, raw: bool = False) -> str:
    """Return a header and rows as CSV text (\\n line ends), neutralised unless `raw`."""
    buf = io.StringIO()
    out = writer(buf, raw=raw, lineterminator="\n")
    out.writerow(header)
    out.writerows(rows)
    return buf.getvalue()
