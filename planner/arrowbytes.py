"""The UTF-8 bytes of an Arrow string array as numpy arrays, for scans over every string at once."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def string_bytes(strings: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Return (offsets, data): string i is data[offsets[i]:offsets[i + 1]], offsets int64 from 0 (no copy of data).

    Works on string and large_string arrays, sliced or not; a null reads as an empty string.
    """
    if not len(strings):
        return np.zeros(1, np.int64), np.zeros(0, np.uint8)
    large = pa.types.is_large_string(strings.type)
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int64 if large else np.int32)
    offsets = offsets[strings.offset : strings.offset + len(strings) + 1].astype(np.int64)
    buffer = strings.buffers()[2]
    data = (
        np.frombuffer(buffer, dtype=np.uint8)[offsets[0] : offsets[-1]] if buffer is not None else np.zeros(0, np.uint8)
    )
    return offsets - offsets[0], data
