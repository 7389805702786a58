"""Nesting depth of JSON text, bounded before a recursive parser sees it.

:func:`max_depth` and :func:`exceeds_depth` count the brackets outside strings at C speed: a
fixed number of C calls per window of the document, never a Python step per byte, string or
bracket, so that no line, however hostile, is slow or large in memory here. Used before any
lenient decoder (which skips unknown values recursively) and by the reader's checks.
"""

from __future__ import annotations

from binascii import unhexlify
from itertools import accumulate, chain, repeat
from operator import add, sub

__all__ = ["MAX_DEPTH", "exceeds_depth", "max_depth"]

MAX_DEPTH: int = 128
"""Documented nesting bound of the library (arrays and objects, outermost level is 1)."""

_QUOTE = b'"'
_BACKSLASH = b"\\"
_BACKSLASH_BYTE = 0x5C
_OPENERS = (b"[", b"{")
_COUNT_BELOW = 1024
"""Below this size, bytes.count (a scalar loop) beats several find calls."""


# --------------------------------------------------------------------------------------------
# Nesting depth
# --------------------------------------------------------------------------------------------
#
# The document is read in windows of _DEPTH_WINDOW bytes. Each window goes through three
# stages, every one a handful of C calls (translate, replace, split, join, and maps or
# accumulates of C functions), never a Python step per byte, string or bracket:
#
# 1. Alphabet. Everything but quotes and brackets is deleted ("{}" become "[]"). With
#    backslashes, escape pairs are removed first and an escaped quote becomes the marker "e".
# 2. Strings. Adjacent quotes are removed (a pair of toggles changes nothing), then the
#    pieces between quotes alternate outside/inside: the pieces outside strings are kept.
#    "e" (an odd run of backslashes before a quote) is an escaped quote inside a string but
#    opens one outside (invalid JSON): _outside_escaped rewrites it away exactly.
# 3. Depth. The brackets outside strings are walked by _bracket_walk: rounds of "[]" removal
#    while the peaks are dense, then either one C step per mountain (_walk_mountains) or one
#    per 8 brackets, packed into a byte (_walk_packed).
#
# Windows never end inside a run of backslashes at an odd offset, so escapes never straddle
# two windows; the string state and the depth are carried from one window to the next.

_DEPTH_WINDOW = 1 << 16
# Stage 3: a round of "[]" removal while at least one bracket in _DENSE_PEAKS ends a mountain
# (mountains of height 2 or less); then one step per mountain if at most one bracket in
# _SPARSE_PEAKS does, else one step per 8 brackets.
_DENSE_PEAKS = 4
_SPARSE_PEAKS = 24
_MIN_PEAKS = 64
# Stage 2 with escaped quotes: rounds of bracket removal after an "e" before splitting.
_BRACKET_ROUNDS = 8

_E = 0x65  # marker of an escaped quote: an odd run of backslashes, then a quote
_O_AS_QUOTE = bytes.maketrans(b"o", b'"')
_OPEN = 0x5B
_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
# Quotes, backslashes and brackets kept ({} become []), everything else becomes "a".
_FILL = bytes(
    b if b in b'"\\[]' else _OPEN if b == 0x7B else 0x5D if b == 0x7D else 0x61 for b in range(256)
)


def _window_end(buf: bytes, start: int, size: int) -> int:
    """End of the window starting at ``start``: never at an odd offset in a backslash run."""
    end = start + _DEPTH_WINDOW
    if end >= size:
        return size
    if buf[end - 1] != _BACKSLASH_BYTE:
        return end
    # Windows start outside backslash runs or at an even offset in one, so an even number
    # of backslashes at the end of this window are whole escape pairs.
    run = end - start - len(buf[start:end].rstrip(_BACKSLASH))
    if run % 2 == 0:
        return end
    return end - 1 if end - 1 > start else end + 1


def _outside(window: bytes, inside: bool) -> tuple[bytes, bool]:
    """Brackets of ``window`` outside strings (``[`` and ``]`` only), and the final state.

    Args:
        window: Part of the document (not ending at an odd offset in a backslash run).
        inside: Whether the window starts inside a string.

    Returns:
        The brackets, and whether the window ends inside a string.
    """
    if _BACKSLASH in window:
        # Pairs first (left to right, as JSON pairs them), then an escaped quote is "e"
        # and the other escaped characters are kept as they are.
        marked = (
            window.replace(b"\\\\", b"")
            .translate(_FILL)
            .replace(b'\\"', b"ea")  # same length (faster); "a" is deleted next
            .translate(None, b"a\\")
            .replace(b'""', b"__")
            .translate(None, b"_")
        )
        if _E in marked:
            return _outside_escaped(marked, inside)
    else:
        marked = (
            window.translate(_BRACKETS, _NOT_STRUCTURE).replace(b'""', b"__").translate(None, b"_")
        )
    pieces = marked.split(_QUOTE)
    outside = b"".join(pieces[1 if inside else 0 :: 2])
    return outside, inside != (len(pieces) % 2 == 0)


def _outside_escaped(marked: bytes, inside: bool) -> tuple[bytes, bool]:
    """:func:`_outside` of quotes, brackets and ``e`` (no two adjacent quotes).

    ``"`` toggles the state and ``e`` sets it to inside (an escaped quote inside a string,
    an opening one outside). These rewrites keep the state at every remaining bracket: ``"e``
    is ``e``; the brackets after an ``e`` and before the next quote are inside; ``ee`` is
    ``e``. Then every ``e`` but a final one is followed by a quote, and ``e"`` (called ``o``)
    sets the state to outside. The state before ``o`` is known from the parity of the quotes
    since the previous ``o``, so ``o`` becomes a quote or nothing and the ordinary split
    applies.
    """
    marked = marked.replace(b'"e', b"_e").translate(None, b"_")
    for _ in range(_BRACKET_ROUNDS):
        if b"e[" not in marked and b"e]" not in marked:
            break
        marked = marked.replace(b"e[", b"e").replace(b"e]", b"e")
    else:  # long runs of brackets after an "e": strip them in one step per "e"
        segments = marked.split(b"e")
        tails = list(map(bytes.lstrip, segments[1:], repeat(b"[]")))
        marked = segments[0] + b"e" + b"e".join(tails)
    while b"ee" in marked:
        marked = marked.replace(b"ee", b"e")
    ends_inside = marked[-1:] == b"e"
    if ends_inside:
        marked = marked[:-1]
    marked = marked.replace(b'e"', b"o_").translate(None, b"_")
    head, o, rest = marked.partition(b"o")
    if o:
        # The first "o" ends the head, entered in the window's state; every later one ends
        # a segment entered outside strings, hence inside at its end iff its quotes are odd.
        sep = _QUOTE if inside != (head.count(b'"') % 2 == 1) else b""
        odd = rest.translate(None, b"[]").replace(b'""', b"__").translate(None, b"_")
        odd = odd[: odd.rfind(b"o") + 1]  # the parity of each segment but the last
        if _QUOTE not in odd:
            rest = rest.translate(None, b"o")
        elif b"oo" not in odd and odd[:1] == _QUOTE:
            rest = rest.translate(_O_AS_QUOTE)
        else:
            parities = odd.split(b"o")  # one per segment but the last, b'"' when odd
            rest = b"".join(chain.from_iterable(zip(rest.split(b"o"), parities, strict=True)))
        marked = head + sep + rest
    pieces = marked.split(_QUOTE)
    outside = b"".join(pieces[1 if inside else 0 :: 2])
    return outside, ends_inside or inside != (len(pieces) % 2 == 0)


def _bracket_walk(brackets: bytes, depth: int) -> tuple[int, int]:
    """Deepest and final depth of a walk over ``[`` and ``]`` entered at ``depth``.

    A closer at depth 0 is ignored. Entered at ``depth`` >= the number of closers, the walk
    never reaches 0, so it is the walk entered at that number, shifted; below it, ``depth``
    openers are prepended. Either way the prefix is at most as long as ``brackets``.
    """
    closers = brackets.count(b"]")
    if not closers:
        top = depth + len(brackets)
        return top, top
    lift = min(depth, closers)
    base = depth - lift
    peak, end = _walk_from_zero(b"[" * lift + brackets if lift else brackets)
    return max(base + peak, depth), base + end


def _walk_from_zero(brackets: bytes) -> tuple[int, int]:
    """Deepest and final depth of a bracket walk entered at depth 0.

    Removing every ``[]`` keeps the depth of every other bracket, and lowers the deepest
    depth by exactly one when every deepest point is followed by a closer. That holds if the
    walk is followed by closers: the one that would pair with a final opener is counted in
    ``padding`` instead of being appended.
    """
    rounds = padding = 0
    while True:
        if b"[" not in brackets:
            return rounds, padding  # rounds > 0: the previous round removed the last peak
        peaks = brackets.count(b"][") + 1
        if peaks < _MIN_PEAKS or peaks * _DENSE_PEAKS < len(brackets):
            break
        if brackets[-1] == _OPEN:
            brackets = brackets[:-1]
            padding += 1
        brackets = brackets.replace(b"[]", b"")
        rounds += 1
    if peaks * _SPARSE_PEAKS < len(brackets):
        peak, end = _walk_mountains(brackets)
    else:
        peak, end = _walk_packed(brackets)
    return rounds + peak, padding + end


def _walk_mountains(brackets: bytes) -> tuple[int, int]:
    """:func:`_walk_from_zero` with one C step per mountain (openers, then closers)."""
    # Split at the valleys "][": piece i is "[" * a + "]" * b, less the "]" that the
    # separator after it took and the "[" that the separator before it took.
    pieces = brackets.split(b"][")
    opens = list(map(bytes.count, pieces, repeat(b"[")))
    nets = list(map(sub, map(add, opens, opens), map(len, pieces)))
    nets[0] -= 1
    nets[-1] += 1
    opens[0] -= 1
    levels = list(accumulate(nets, initial=0))  # unclamped depth before each mountain
    low = min(levels)
    if low < 0:  # some closers at depth 0 are ignored: subtract the running minimum
        levels = list(map(sub, levels, accumulate(levels, min)))
    return max(1 + max(map(add, levels, opens)), 0), levels[-1]


def _pack_tables() -> tuple[bytes, bytes, bytes, bytes]:
    """Tables of the walk of 8 brackets packed into a byte (first in the high bit, 1 for ``[``).

    Returns:
        Per byte: net change (as a signed byte), highest and lowest (signed) level reached
        from 0, deepest depth entered at depth 0 (closers at depth 0 ignored).
    """
    net, high, low, top = bytearray(256), bytearray(256), bytearray(256), bytearray(256)
    for group in range(256):
        level = hi = lo = depth = deepest = 0
        for bit in range(7, -1, -1):
            step = 1 if group >> bit & 1 else -1
            level += step
            depth = max(depth + step, 0)
            hi, lo, deepest = max(hi, level), min(lo, level), max(deepest, depth)
        net[group], high[group], low[group], top[group] = level & 0xFF, hi, lo & 0xFF, deepest
    return bytes(net), bytes(high), bytes(low), bytes(top)


_NET, _HIGH, _LOW, _TOP = _pack_tables()
# "[" and "]" as hex digits 1 and 0; then each unhexlify packs two digits into a byte, and
# a table turns that byte back into one digit for the next round: 2, 4, then 8 brackets.
_AS_BITS = bytes.maketrans(b"[]", b"10")
_PAIRS = bytes(
    b"0123"[(b >> 4) * 2 + (b & 15)] if b in (0x00, 0x01, 0x10, 0x11) else 0x30 for b in range(256)
)
_QUADS = bytes(
    b"0123456789abcdef"[(b >> 4) * 4 + (b & 15)] if b >> 4 < 4 and b & 15 < 4 else 0x30
    for b in range(256)
)


def _walk_packed(brackets: bytes) -> tuple[int, int]:
    """:func:`_walk_from_zero` with one C step per 8 brackets, packed into a byte."""
    whole = len(brackets) >> 3 << 3
    packed = unhexlify(
        unhexlify(unhexlify(brackets[:whole].translate(_AS_BITS)).translate(_PAIRS)).translate(
            _QUADS
        )
    )
    levels = list(accumulate(memoryview(packed.translate(_NET)).cast("b"), initial=0))
    lows = memoryview(packed.translate(_LOW)).cast("b")
    if min(map(add, levels, lows), default=0) >= 0:  # no closer at depth 0
        peak = max(map(add, levels, packed.translate(_HIGH)), default=0)
        depth = levels[-1]
    else:
        floors = list(accumulate(map(add, levels, lows), min, initial=0))
        peak = max(map(add, map(sub, levels, floors), packed.translate(_HIGH)))
        top = max(packed.translate(_TOP))  # the deepest point after a closer at depth 0
        peak = max(peak, top)
        depth = levels[-1] - floors[-1]
    for byte in brackets[whole:]:  # at most 7
        depth = depth + 1 if byte == _OPEN else max(depth - 1, 0)
        peak = max(peak, depth)
    return peak, depth


def max_depth(buf: bytes, stop_above: int | None = None) -> int:
    """Exact maximum nesting depth of brackets (``[`` and ``{``) outside strings.

    A string starts at a quote outside strings and ends at the next quote preceded by an even
    number of backslashes (a backslash outside strings is an ordinary byte). An unterminated
    string ends the scan (its content is not counted). Bracket kinds are not matched against
    each other, and a closing bracket at depth 0 is ignored (the depth never goes negative),
    so the result is an upper bound of what a parser would recurse through.

    Every input is scanned with a bounded number of C calls per 64 KiB window (translate,
    replace, split, join, and maps of C functions): no Python step per byte, string or
    bracket, and no recursion (100,000 nested brackets are fine). Extra memory is a few
    times the window, whatever the document.

    Args:
        buf: The JSON document.
        stop_above: When given, return as soon as the depth exceeds it (the value returned is
            then only known to be greater than ``stop_above``).

    Returns:
        The maximum depth; 0 for a document without brackets.
    """
    size = len(buf)
    depth = best = 0
    inside = False
    start = 0
    while start < size:
        end = _window_end(buf, start, size)
        brackets, inside = _outside(buf[start:end], inside)
        if brackets:
            peak, depth = _bracket_walk(brackets, depth)
            if peak > best:
                best = peak
                if stop_above is not None and best > stop_above:
                    return best
        start = end
    return best


def exceeds_depth(buf: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the bracket nesting of ``buf`` is deeper than ``limit``.

    Cheap in the common cases: a document of at most ``limit`` bytes, or with at most
    ``limit`` opening brackets in total, cannot be deeper. Openers are counted with a
    :meth:`bytes.find` loop stopping after ``limit + 1`` (``memchr`` speed; ``bytes.count``,
    a scalar loop, only for buffers under 1 KiB). Only otherwise is :func:`max_depth` run,
    which stays above 100 MB/s on ordinary documents and several tens of MB/s on the most
    hostile ones (dense short strings, escaped quotes, mountains of brackets).

    Args:
        buf: The JSON document.
        limit: The deepest nesting allowed.

    Returns:
        True when some bracket outside strings is nested more than ``limit`` levels deep.
    """
    size = len(buf)
    if size <= limit:
        return False
    if size <= _COUNT_BELOW:  # tiny buffers: bytes.count beats several find calls
        if buf.count(b"[") + buf.count(b"{") <= limit:
            return False
        return max_depth(buf, stop_above=limit) > limit
    find = buf.find
    count = 0
    for opener in _OPENERS:
        i = find(opener)
        while i >= 0:
            count += 1
            if count > limit:
                return max_depth(buf, stop_above=limit) > limit
            i = find(opener, i + 1)
    return False
