"""A structural walk over one MessagePack document: where it ends and how deep it nests.

Used on the slow path only: to bound nesting depth before a lenient decoder skips unknown
values (msgspec skips recursively), and to find where a document ends in a stream when the
document cannot be decoded. Strings, binaries and extensions are jumped over by their length
prefix, so a document carrying megabytes of image data costs a handful of steps.
"""

from __future__ import annotations

__all__ = ["walk"]

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


def walk(data: bytes, pos: int = 0, stop_above: int | None = None) -> tuple[int, int]:
    """Walk the document that starts at ``pos``.

    Args:
        data: The buffer.
        pos: Offset of the document's first byte.
        stop_above: Return as soon as the depth exceeds this.

    Returns:
        ``(end, depth)``: the offset just past the document (``-1`` when it is truncated or
        holds the never-used type byte ``0xc1``) and the deepest nesting seen, a top-level
        array or map counting as 1.
    """
    n = len(data)
    stack: list[int] = []
    remaining = 1
    best = 0
    while True:
        if remaining == 0:
            if not stack:
                return (pos if pos <= n else -1), best
            remaining = stack.pop()
            continue
        if pos >= n:
            return -1, best
        b = data[pos]
        remaining -= 1
        if b <= 0x7F or b >= 0xE0:  # positive / negative fixint
            pos += 1
            continue
        count = -1
        if b <= 0x8F:  # fixmap
            count, pos = 2 * (b & 0x0F), pos + 1
        elif b <= 0x9F:  # fixarray
            count, pos = b & 0x0F, pos + 1
        elif b <= 0xBF:  # fixstr
            pos += 1 + (b & 0x1F)
        elif b in _FIXED:
            pos += 1 + _FIXED[b]
        elif b in _SIZED:
            width, extra = _SIZED[b]
            if pos + 1 + width > n:
                return -1, best
            pos += 1 + width + extra + int.from_bytes(data[pos + 1 : pos + 1 + width], "big")
        elif b in _COUNTED:
            width, per = _COUNTED[b]
            if pos + 1 + width > n:
                return -1, best
            count = per * int.from_bytes(data[pos + 1 : pos + 1 + width], "big")
            pos += 1 + width
        else:  # 0xc1: never used
            return -1, best
        if count >= 0:
            depth = len(stack) + 1
            if depth > best:
                best = depth
                if stop_above is not None and best > stop_above:
                    return pos, best
            if count:
                stack.append(remaining)
                remaining = count
