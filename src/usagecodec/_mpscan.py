"""A resumable structural walk over MessagePack documents: where each ends, how deep it nests.

A :class:`Walker` follows one document across as many buffers as it arrives in, keeping its
state (the open containers) between them, so a stream is walked once, in linear time, however
it is cut. Strings, binaries and extensions are jumped over by their length prefix, even past
the end of the buffer at hand, so a document carrying megabytes of image data costs a handful
of steps; a run of scalars of one kind inside a large container (small integers, floats...)
is crossed in a few C calls.

Used by the stream framer (document ends in bounded memory), by
:meth:`UsageCodec.decode_lines` for MessagePack (document ends), and on the slow path of a
decode to bound nesting depth before a lenient decoder skips unknown values (msgspec skips
recursively).
"""

from __future__ import annotations

import re

__all__ = ["FRAME_DEPTH", "HEADER_MAX", "Walker", "walk"]

# Fixed-size payloads after the type byte (0 = the type byte carries the value).
_FIXED: dict[int, int] = {
    0xC0: 0, 0xC2: 0, 0xC3: 0,  # nil, false, true
    0xCA: 4, 0xCB: 8,  # float32, float64
    0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8,  # uint8..64
    0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8,  # int8..64
    0xD4: 2, 0xD5: 3, 0xD6: 5, 0xD7: 9, 0xD8: 17,  # fixext1..16 (type byte + data)
}  # fmt: skip
# Length-prefixed payloads: type byte -> (size of the length field, extra bytes).
_SIZED: dict[int, tuple[int, int]] = {
    0xC4: (1, 0), 0xC5: (2, 0), 0xC6: (4, 0),  # bin8/16/32
    0xC7: (1, 1), 0xC8: (2, 1), 0xC9: (4, 1),  # ext8/16/32 (+ type byte)
    0xD9: (1, 0), 0xDA: (2, 0), 0xDB: (4, 0),  # str8/16/32
}  # fmt: skip
# Containers with a counted header: type byte -> (size of the count field, items per count).
_COUNTED: dict[int, tuple[int, int]] = {
    0xDC: (2, 1), 0xDD: (4, 1),  # array16/32
    0xDE: (2, 2), 0xDF: (4, 2),  # map16/32: a key and a value per entry
}  # fmt: skip


def _scalar_size(b: int) -> int:
    """Bytes of an item whose type byte gives its size; 0 for the other type bytes."""
    if b <= 0x7F or b >= 0xE0:  # positive / negative fixint
        return 1
    if 0xA0 <= b <= 0xBF:  # fixstr
        return 1 + (b & 0x1F)
    return 1 + _FIXED[b] if b in _FIXED else 0


_SIZE = [_scalar_size(b) for b in range(256)]
_ONE_BYTE_RUN = re.compile(
    b"[" + b"".join(re.escape(bytes([b])) for b in range(256) if _SIZE[b] == 1) + b"]+"
)
_TYPE_BYTE = [bytes([b]) for b in range(256)]
# With more items than this left in a container, a run of scalars is crossed at C speed.
_RUN = 16


def _run_length(data: bytes, pos: int, b: int, size: int, limit: int) -> int:
    """How many scalars of ``size`` bytes, each a single item, follow one another from ``pos``.

    They have the type byte ``b`` (or, for ``size`` 1, any one-byte type) and their type
    bytes lie before ``limit``; the one at ``pos`` counts, so the answer is at least 1. A long
    array of small ints, floats or uint8s is crossed in a few C calls: a regex match for
    one-byte items, else the type bytes taken with a stride and stripped, over spans that
    double while the run lasts (so a short run costs little).
    """
    if size == 1:
        m = _ONE_BYTE_RUN.match(data, pos, limit)
        return m.end() - pos if m is not None else 1
    type_byte = _TYPE_BYTE[b]
    count, span = 0, 16
    while True:
        end = min(limit, pos + span * size)
        types = data[pos:end:size]
        same = len(types) - len(types.lstrip(type_byte))
        count += same
        if same < len(types) or end >= limit:
            return count
        pos, span = end, span * 2


HEADER_MAX = 5
"""The longest header (type byte and length or count field) the walker must see whole."""
FRAME_DEPTH = 1 << 16
"""Deepest nesting a stream framer follows (the walk keeps 8 bytes a level): a document nested
deeper cannot be delimited in bounded memory, nor decoded (``MAX_DEPTH`` is far lower)."""


class Walker:
    """The state of a walk through one MessagePack document, resumable across buffers.

    Feed it the document's bytes with :meth:`run`, buffer after buffer; it never looks back
    at a byte it has passed, and it only needs a header (at most :data:`HEADER_MAX` bytes)
    whole: a payload may end beyond the buffer, and the walk resumes past it. Call
    :meth:`reset` before the next document.

    Args:
        stop_above: Stop as soon as the nesting depth exceeds this (``None``: never).

    Attributes:
        done: The document is complete: it ends where :meth:`run` returned.
        bad: The document holds the never-used type byte ``0xc1``: it cannot be delimited.
        deep: The walk stopped because the depth exceeded ``stop_above``.
        depth: The deepest nesting seen, a top-level array or map counting as 1.
    """

    __slots__ = ("bad", "deep", "depth", "done", "remaining", "stack", "stop_above")

    def __init__(self, stop_above: int | None = None) -> None:
        self.stop_above = stop_above
        self.stack: list[int] = []  # items left in each enclosing container
        self.remaining = 1  # items left in the innermost one (the document itself: 1)
        self.depth = 0
        self.done = False
        self.bad = False
        self.deep = False

    def reset(self) -> None:
        """Start over, for a document that begins where the last one ended."""
        self.stack.clear()
        self.remaining = 1
        self.depth = 0
        self.done = self.bad = self.deep = False

    def run(self, data: bytes, pos: int) -> int:
        """Walk ``data`` from ``pos`` as far as it goes.

        Args:
            data: A buffer holding the document's bytes from ``pos`` on (the walk's own state
                says where in the document ``pos`` is).
            pos: Where to resume: the offset at which the previous call stopped, shifted as
                the caller shifted its buffer. It may lie past the end of ``data`` (a payload
                still to be skipped); then nothing is read.

        Returns:
            Where the walk stopped. When :attr:`done`, the offset just past the document
            (beyond ``len(data)`` when its last payload ends in a later buffer). When
            :attr:`bad` or :attr:`deep`, the offset of the offending type byte or just past
            the too-deep header. Otherwise more bytes are needed: either the offset is
            ``len(data)`` or beyond (the bytes up to it belong to the document), or it is the
            offset of a header cut by the end of ``data`` (fewer than :data:`HEADER_MAX`
            bytes), which the next buffer must start with.
        """
        if self.done or self.bad or self.deep:
            return pos
        n = len(data)
        stack = self.stack
        remaining = self.remaining
        stop_above = self.stop_above
        sizes, sized, counted = _SIZE, _SIZED, _COUNTED
        while True:
            if remaining == 0:
                if not stack:
                    self.done = True
                    break
                remaining = stack.pop()
                continue
            if pos >= n:
                break
            b = data[pos]
            size = sizes[b]
            if size:  # one scalar, or a run of scalars of one size
                if remaining > _RUN and pos + size < n and sizes[data[pos + size]] == size:
                    k = _run_length(data, pos, b, size, min(n, pos + remaining * size))
                    pos += k * size
                    remaining -= k
                    continue
                pos += size  # (possibly past the end of data: skipped in the next buffer)
                remaining -= 1
                continue
            count = -1
            if b <= 0x8F:  # fixmap
                count, pos = 2 * (b & 0x0F), pos + 1
            elif b <= 0x9F:  # fixarray
                count, pos = b & 0x0F, pos + 1
            elif b in sized:
                width, extra = sized[b]
                if pos + 1 + width > n:
                    break  # the length is cut: resume at this header
                pos += 1 + width + extra + int.from_bytes(data[pos + 1 : pos + 1 + width], "big")
            elif b in counted:
                width, per = counted[b]
                if pos + 1 + width > n:
                    break  # the count is cut: resume at this header
                count = per * int.from_bytes(data[pos + 1 : pos + 1 + width], "big")
                pos += 1 + width
            else:  # 0xc1: never used
                self.bad = True
                break
            remaining -= 1
            if count >= 0:
                depth = len(stack) + 1
                if depth > self.depth:
                    self.depth = depth
                    if stop_above is not None and depth > stop_above:
                        self.deep = True
                        break
                if count:
                    stack.append(remaining)
                    remaining = count
        self.remaining = remaining
        return pos


def walk(data: bytes, pos: int = 0, stop_above: int | None = None) -> tuple[int, int]:
    """Walk the document that starts at ``pos`` of a buffer that holds all of it.

    Args:
        data: The buffer.
        pos: Offset of the document's first byte.
        stop_above: Return as soon as the depth exceeds this.

    Returns:
        ``(end, depth)``: the offset just past the document (``-1`` when it is truncated or
        holds the never-used type byte ``0xc1``; the offset where the walk stopped when the
        depth exceeded ``stop_above``) and the deepest nesting seen, a top-level array or
        map counting as 1.
    """
    walker = Walker(stop_above)
    end = walker.run(data, pos)
    if walker.deep or (walker.done and end <= len(data)):
        return end, walker.depth
    return -1, walker.depth
