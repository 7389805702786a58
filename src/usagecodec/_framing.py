"""Framing: cutting a byte stream into whole lines (NDJSON) or whole documents (MessagePack).

Nothing here decodes a record. A source is read in chunks of at most ``chunk_size`` bytes;
each chunk of lines is cut at its last newline and the tail carried over. A line longer than
``max_line_bytes`` is reported as :class:`Oversized` and skipped without ever being held whole.
"""

from __future__ import annotations

import io
import os
import stat
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from . import _mpscan
from ._compression import detect, open_compressed

__all__ = [
    "Chunk",
    "Documents",
    "Oversized",
    "Source",
    "count_lines",
    "frame_documents",
    "frame_lines",
    "open_source",
    "range_reader",
    "source_name",
    "stream_reader",
]

Source = str | os.PathLike[str] | IO[bytes]
"""A path, ``"-"`` for standard input, or a binary file object."""


@dataclass(frozen=True)
class Chunk:
    """Complete lines (the last one may lack its newline at end of input)."""

    data: bytes


@dataclass(frozen=True)
class Oversized:
    """One line (or document) longer than the limit, skipped; ``size`` counts its bytes."""

    size: int


@dataclass(frozen=True)
class Documents:
    """Whole MessagePack documents: ``data[start:end]`` for each ``(start, end)``."""

    data: bytes
    bounds: list[tuple[int, int]]


def frame_lines(read: Callable[[int], bytes], chunk_size: int, max_line: int) -> Iterator[Any]:
    """Cut a byte stream into chunks of whole lines and oversized-line markers.

    At most ``max_line`` bytes of an unfinished line are held (as a list of reads, joined once
    when its newline arrives); a longer line is counted and discarded up to its newline.
    """
    step = max(1, min(chunk_size, max_line))
    parts: list[bytes] = []  # the unfinished line so far
    held = 0  # bytes in parts
    skipped = -1  # >= 0 while discarding an oversized line: its bytes so far
    while True:
        data = read(step)
        if not data:
            break
        nl = data.find(b"\n")
        if skipped >= 0:
            if nl < 0:
                skipped += len(data)
                continue
            yield Oversized(skipped + nl + 1)
            skipped = -1
            data = data[nl + 1 :]
            nl = data.find(b"\n")
        if nl < 0:
            if held + len(data) > max_line:
                skipped, parts, held = held + len(data), [], 0
            else:
                parts.append(data)
                held += len(data)
            continue
        if parts:
            if held + nl > max_line:
                yield Oversized(held + nl + 1)
                data = data[nl + 1 :]
            else:
                parts.append(data)
                data = b"".join(parts)
            parts, held = [], 0
        cut = data.rfind(b"\n")
        if cut < 0:  # only possible after an oversized first line was cut off
            if len(data) > max_line:
                skipped = len(data)
            elif data:
                parts, held = [data], len(data)
            continue
        yield Chunk(data[: cut + 1])
        tail = data[cut + 1 :]
        if tail:
            parts, held = [tail], len(tail)
    if skipped >= 0:
        yield Oversized(skipped)
    elif parts:
        yield Chunk(b"".join(parts))



def frame_documents(read: Callable[[int], bytes], chunk_size: int, max_doc: int) -> Iterator[Any]:
    """Cut a stream of concatenated MessagePack documents into runs of whole documents.

    A document is delimited by its own structure: one :class:`_mpscan.Walker` follows it
    across reads, so the stream is walked once, whatever the chunk size. A document over
    ``max_doc`` bytes (exactly) is one :class:`Oversized` of its size: once more than
    ``max_doc`` of its bytes have been read, the rest is skipped by its length, never held,
    and the documents after it are read. At most ``max_doc`` bytes of an unfinished document
    are held. A stream has no resynchronisation point: after a document that cannot be
    delimited (a never-used type byte, or nesting deeper than ``_mpscan.FRAME_DEPTH``), the
    rest of the stream is one bad document; so is a truncated last document.
    """
    step = max(1, min(chunk_size, max_doc))
    walker = _mpscan.Walker(stop_above=_mpscan.FRAME_DEPTH)
    parts: list[bytes] = []  # the unfinished document's bytes before the buffer
    held = 0  # its size so far (kept in parts, or counted only when dropping)
    dropping = False  # it is over the limit: its bytes are counted, not kept
    carry = b""  # a header cut by the end of the last read, to start the next buffer
    pos = 0  # where the walk resumes in the next buffer (> 0: payload bytes to skip)
    while True:
        data = read(step)
        if not data:
            break
        buf = carry + data if carry else data
        carry = b""
        n = len(buf)
        start = 0  # where the current document starts in buf (0: it began before)
        bounds: list[tuple[int, int]] = []
        while True:
            pos = walker.run(buf, pos)
            if walker.bad or walker.deep:  # undelimitable: the rest of the stream is in it
                pos = n
            if walker.done and pos <= n:
                size = held + pos - start
                if dropping or size > max_doc:
                    if bounds:
                        yield Documents(buf, bounds)
                        bounds = []
                    yield Oversized(size)
                elif parts:  # it began in an earlier read (it is the first in buf)
                    buf = b"".join([*parts, buf])
                    pos += held
                    n = len(buf)
                    bounds.append((0, pos))
                else:
                    bounds.append((start, pos))
                walker.reset()
                parts, held, dropping, start = [], 0, False, pos
                if pos < n:
                    continue
                pos = 0
                break
            # More bytes needed: keep (or count) what the buffer holds of the document. It is
            # dropped once the bytes seen pass the limit (not on a length it only announces:
            # truncated at the end of the stream, it is a bad document of the bytes seen).
            if not dropping and held + n - start > max_doc:
                dropping, parts = True, []
            end = min(pos, n)
            if end > start:
                held += end - start
                if not dropping:
                    parts.append(buf[start:end])
            if pos < n:
                carry, pos = buf[pos:], 0  # a cut header
            else:
                pos -= n
            break
        if bounds:
            yield Documents(buf, bounds)
    if held or carry:  # truncated (or undelimitable): one bad document
        size = held + len(carry)
        if dropping or size > max_doc:
            yield Oversized(size)
        else:
            yield Documents(b"".join([*parts, carry]), [(0, size)])


def count_lines(chunk: bytes) -> int:
    """Lines in a chunk, as the reader counts them (the last one may lack its newline)."""
    # bytes.count is a scalar loop; replace() finds newlines with memchr: ~5x faster here.
    n = len(chunk) - len(chunk.replace(b"\n", b""))
    return n if not chunk or chunk.endswith(b"\n") else n + 1


def source_name(source: Source) -> str | None:
    if isinstance(source, (str, os.PathLike)):
        return "<stdin>" if os.fspath(source) == "-" else os.fspath(source)
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else None


class open_source:
    """Open a path (or ``-``) for binary reading, or pass a file object through.

    A path, standard input or a file object that can ``peek`` is decompressed when its first
    bytes are those of gzip, bzip2, xz or zstd (see :mod:`._compression`).
    """

    def __init__(self, source: Source) -> None:
        self.source = source
        self.file: IO[bytes] | None = None
        self.stream: IO[bytes] | None = None

    def __enter__(self) -> IO[bytes]:
        name = source_name(self.source) or "input"
        if isinstance(self.source, (str, os.PathLike)):
            if os.fspath(self.source) == "-":
                stream: IO[bytes] = sys.stdin.buffer
            else:
                self.file = stream = open(self.source, "rb")
        elif isinstance(self.source, io.TextIOBase):  # type: ignore[unreachable]
            raise TypeError("open the source in binary mode ('rb'), or pass its path")
        else:
            stream = self.source
        peek = getattr(stream, "peek", None)
        if peek is not None:
            kind = detect(peek(6)[:6])
            if kind is not None:
                self.stream = stream = open_compressed(stream, kind, name)
        return stream

    def __exit__(self, *exc: object) -> None:
        if self.stream is not None:
            self.stream.close()
        if self.file is not None:
            self.file.close()


def stream_reader(f: IO[bytes], counter: Callable[[int], None]) -> Callable[[int], bytes]:
    """A ``read(n)`` for the framing: full chunks from files, what has arrived from pipes.

    From a regular file (or an object without a file descriptor) it reads until ``n`` bytes
    or the end, so chunks stay large. From a pipe, a terminal or a socket it returns as soon
    as nothing more is waiting, so that a filter (``tail -f log | usagecodec convert -``)
    passes each line on when it arrives, while a fast producer still fills whole chunks.
    """
    raw_read = getattr(f, "read1", None) or f.read
    waiting = _waiting_check(f)

    def read(n: int) -> bytes:
        data = raw_read(n)
        if data and len(data) < n:
            parts = [data]
            size = len(data)
            while size < n and (waiting is None or waiting()):
                more = raw_read(n - size)
                if not more:
                    break
                parts.append(more)
                size += len(more)
            data = b"".join(parts)
        counter(len(data))
        return bytes(data)

    return read


def _waiting_check(f: IO[bytes]) -> Callable[[], bool] | None:
    """For a pipe, terminal or socket: a check that more bytes wait to be read; else None."""
    try:
        fd = f.fileno()
        mode = os.fstat(fd).st_mode
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return None
    if stat.S_ISREG(mode) or stat.S_ISBLK(mode):
        return None
    import select  # noqa: PLC0415

    def waiting() -> bool:
        try:
            return bool(select.select([fd], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    return waiting


def range_reader(f: IO[bytes], start: int, end: int) -> Callable[[int], bytes]:
    """A read() over the lines that start in [start, end) of a seekable file."""
    if start > 0:
        f.seek(start - 1)
        # Skip the line in progress at start - 1: it belongs to the previous range.
        while True:
            block = f.read(1 << 16)
            if not block:
                break
            nl = block.find(b"\n")
            if nl >= 0:
                f.seek(f.tell() - len(block) + nl + 1)
                break
    else:
        f.seek(0)
    pos = f.tell()
    finishing = False
    last = b"\n"

    def read(n: int) -> bytes:
        nonlocal pos, finishing, last
        if finishing:
            return b""
        if pos < end:
            data = f.read(min(n, end - pos))
            pos += len(data)
            if data:
                last = data[-1:]
            return data
        if last == b"\n":
            finishing = True  # the range ends exactly at a line boundary
            return b""
        # Past the end: finish the line that started before it.
        data = f.read(n)
        nl = data.find(b"\n")
        if nl >= 0:
            finishing = True
            return data[: nl + 1]
        if not data:
            finishing = True
        return data

    if pos >= end:
        finishing = True
    return read
