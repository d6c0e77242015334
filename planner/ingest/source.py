"""Where an import reads from: a file on disk or uploaded bytes, its encoding, and a NUL-free text stream."""

from __future__ import annotations

import codecs
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from charset_normalizer import from_bytes

from planner.errors import PlannerError, one_line

# Enough bytes to see a header, a few records and most files' encoding.
SNIFF_BYTES = 1 << 20
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class FormatError(PlannerError):
    """The file cannot be read as the format asked for (or any format): it is refused as a whole."""

    def __init__(self, message: object):
        super().__init__(one_line(message))


@dataclass
class Source:
    """A named file to import; `open()` returns a fresh binary stream each time."""

    name: str
    open: Callable[[], BinaryIO]
    size: int

    @classmethod
    def from_path(cls, path: str | Path) -> Source:
        path = Path(path)
        if not path.is_file():
            raise FormatError(f"{path}: no such file")
        return cls(path.name, lambda: open(path, "rb"), path.stat().st_size)

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> Source:
        return cls(name, lambda: io.BytesIO(data), len(data))

    def head(self, size: int = SNIFF_BYTES) -> bytes:
        with self.open() as fh:
            return fh.read(size)


def detect_encoding(head: bytes) -> str:
    """Return the encoding of a file that starts with `head`: BOM, then UTF-8, UTF-16 without BOM, then a guess."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    if not head:
        return "utf-8"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        if b"\x00" not in head[:4096] or head[:4096].count(b"\x00") < len(head[:4096]) // 4:
            return "utf-8"
    except UnicodeDecodeError:
        pass
    sample = head[:4096]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > len(sample) // 4 and even < odd // 8:
        return "utf-16-le"
    if even > len(sample) // 4 and odd < even // 8:
        return "utf-16-be"
    return _single_byte_encoding(head[:65536])


def _single_byte_encoding(sample: bytes) -> str:
    # Short Western European samples fool detectors (Latin-1 text guessed as cp1250), so a guess is taken only when
    # it reads mostly as a non-Latin script (cp1251 Cyrillic, for example); otherwise Windows-1252, or Latin-1 when
    # the bytes are not valid Windows-1252.
    best = from_bytes(sample).best()
    if best is not None:
        decoded = sample.decode(best.encoding, errors="replace")
        letters = [ch for ch in decoded if ch.isalpha()]
        if letters and sum(ord(ch) > 0x24F for ch in letters) > len(letters) / 2:
            return codecs.lookup(best.encoding).name
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


class TextStream(io.TextIOBase):
    """A decoded, NUL-free text view of a binary stream; counts removed NULs and reports progress in bytes."""

    def __init__(self, raw: BinaryIO, encoding: str, name: str):
        self.raw = raw
        self.name = name
        self.encoding_name = encoding
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        self._offset = 0
        self.nuls_removed = 0
        self._buffer = ""

    def readable(self) -> bool:
        return True

    @property
    def bytes_read(self) -> int:
        return self._offset

    def read(self, size: int | None = -1) -> str:
        if size is None or size < 0:
            parts = [self._buffer]
            self._buffer = ""
            while chunk := self.raw.read(1 << 20):
                parts.append(self._decode_more(chunk))
            parts.append(self._decode_more(b""))
            return "".join(parts)
        while len(self._buffer) < size:
            data = self.raw.read(max(size, 1 << 16))
            self._buffer += self._decode_more(data)
            if not data:
                break
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    def _decode_more(self, data: bytes) -> str:
        try:
            text = self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            where = self._offset + exc.start
            raise FormatError(
                f"{self.name}: byte {where:,} is not valid {self.encoding_name}: state the file's encoding "
                "(for example latin-1 or utf-16)"
            ) from exc
        self._offset += len(data)
        if "\x00" in text:
            self.nuls_removed += text.count("\x00")
            text = text.replace("\x00", "")
        return text


def open_text(source: Source, encoding: str | None = None) -> tuple[BinaryIO, TextStream]:
    """Open `source` decoded with `encoding` (detected when None); return (binary stream, text stream)."""
    if encoding:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError as exc:
            raise FormatError(f"encoding: {encoding!r} is not an encoding Python knows") from exc
    else:
        encoding = detect_encoding(source.head())
    raw = source.open()
    # utf-8-sig strips a BOM if there is one and is harmless otherwise; the report still says utf-8.
    stream = TextStream(raw, "utf-8-sig" if encoding in {"utf-8", "utf-8-sig"} else encoding, source.name)
    stream.encoding_name = "utf-8" if encoding == "utf-8-sig" else encoding
    return raw, stream
