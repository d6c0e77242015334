"""Parse the timestamps of a whole column at once: ISO 8601, epoch seconds or milliseconds, Twitter's format."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import pyarrow as pa

from planner.ingest.source import FormatError

# Microseconds: what the database keeps, and a range far wider than nanoseconds' 1677-2262.
UNIT = "datetime64[us, UTC]"
TWITTER_FORMAT = "%a %b %d %H:%M:%S %z %Y"
# Posts older than this are almost certainly a misread column (epoch 0, a year typed as 26).
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
# Far beyond any plausible post; keeps conversions inside the nanosecond range.
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
# Clocks drift; a post a day in the future is plausible, a week is a misread.
FUTURE_SLACK = timedelta(days=2)
# Epoch values above this are milliseconds (10^11 seconds is the year 5138).
MS_THRESHOLD = 1e11
_NUMERIC = r"^\d{9,14}(?:\.\d+)?$"
_TWITTER = r"^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} [+-]\d{4} \d{4}$"
_HAS_ZONE = r"(?:Z|[+-]\d{2}(?::?\d{2})?|UTC|GMT)$"
# What most exports write (ISO 8601 in UTC, "Z"): Arrow's cast reads a column of them in C, several times faster than
# pandas; a value it refuses (a 30 February, a leap second) sends the whole column the usual way.
_ISO_UTC = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z$"


def zone(name: str | None) -> ZoneInfo:
    """Return the time zone called `name` (default UTC); raise FormatError if it is unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise FormatError(f"timezone: {name!r} is not a known time zone (use a name like Europe/Berlin)") from exc


def parse_timestamps(values: pd.Series, tz: ZoneInfo, now: datetime | None = None) -> pd.Series:
    """Return `values` as UTC datetimes (NaT where a value is empty, unreadable or implausible).

    Naive values are read in `tz`; values with an offset or Z keep it.
    """
    text = values.fillna("").astype(str).str.strip()
    out = pd.Series(pd.NaT, index=text.index, dtype=UNIT)
    todo = text != ""

    iso = todo & text.str.match(_ISO_UTC)
    if iso.any():
        try:
            parsed = pa.array(text[iso].array, type=pa.large_string()).cast(pa.timestamp("us", "UTC"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        else:
            out[iso] = pd.Series(parsed.to_pandas().array, index=text.index[iso]).astype(UNIT)
            todo &= ~iso
            text = text.where(todo, "")  # the patterns below skip what is read

    numeric = todo & text.str.match(_NUMERIC)
    if numeric.any():
        num = pd.to_numeric(text[numeric], errors="coerce")
        ms = num > MS_THRESHOLD
        seconds = num.where(~ms, num / 1000)
        # Out-of-range values would overflow the conversion: they are bad rows, not errors.
        num = num.where((seconds >= EARLIEST.timestamp()) & (seconds <= LATEST.timestamp()))
        for mask, unit in ((ms, "ms"), (~ms, "s")):
            if mask.any():
                out[mask[mask].index] = pd.to_datetime(num[mask], unit=unit, utc=True, errors="coerce").astype(UNIT)
    todo &= ~numeric

    twitter = todo & text.str.match(_TWITTER)
    if twitter.any():
        out[twitter] = pd.to_datetime(text[twitter], format=TWITTER_FORMAT, utc=True, errors="coerce").astype(UNIT)
    todo &= ~twitter

    if todo.any():
        zoned = todo & text.str.contains(_HAS_ZONE, regex=True)
        for mask, naive in ((zoned, False), (todo & ~zoned, True)):
            if mask.any():
                out[mask] = _parse_text(text[mask], tz if naive else None).astype(UNIT)

    now = now or datetime.now(UTC)
    out[(out < EARLIEST) | (out > now + FUTURE_SLACK)] = pd.NaT
    return out


def _parse_text(text: pd.Series, tz: ZoneInfo | None) -> pd.Series:
    # The fast ISO 8601 path first; only what it cannot read goes through the slow per-value parser.
    parsed = pd.to_datetime(text, format="ISO8601", utc=tz is None, errors="coerce")
    missing = parsed.isna()
    if missing.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            slow = pd.Series(
                [_parse_one(v, tz is None) for v in text[missing]], index=text.index[missing], dtype=object
            )
        parsed = parsed.astype(object)
        parsed[missing] = slow
        parsed = pd.to_datetime(parsed, utc=tz is None, errors="coerce")
    if tz is not None:
        if parsed.dt.tz is not None:
            return parsed.dt.tz_convert(UTC)
        localised = parsed.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        return localised.dt.tz_convert(UTC)
    return parsed


def _parse_one(value: str, utc: bool):
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        try:
            from dateutil import parser

            stamp = pd.Timestamp(parser.parse(value))
        except (ValueError, TypeError, OverflowError):
            return pd.NaT
    if stamp is pd.NaT or not EARLIEST.year <= stamp.year <= LATEST.year:
        return pd.NaT
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(UTC)
        return stamp if utc else stamp.tz_localize(None)
    return stamp.tz_localize(UTC) if utc else stamp
