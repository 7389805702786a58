"""Structural pre-scan of JSON documents: long-string removal (and, re-exported, depth).

:func:`prescan` validates the content of every *long* string (typically the multi-megabyte
base64 ``b64_json`` of an image response) in bulk and returns the document with those
contents removed, with a bounded number of C calls (byte searches, ``translate``, ``replace``,
``split``) per string rather than a Python loop over every byte. Parsing that small remainder
with msgspec then validates everything else (structure, numbers, keys, short strings) exactly
as parsing the original would, without ever allocating the huge strings. It steps over a
bounded number of short strings (:func:`default_max_strings`), each in time linear in its
length. The depth bound (:func:`max_depth`, :func:`exceeds_depth`) lives in :mod:`._depth`
and is re-exported here.

For :func:`prescan`, string boundaries are found with :meth:`bytes.find`: a string starts at a
quote found outside strings and ends at the first following quote preceded by an even number
of backslashes. In a valid document that is exactly the JSON tokenisation; in an invalid one
the remainder is invalid too, so validity is preserved either way. The depth scan uses the
same definition of a string.

The bulk validation of a long string uses numpy when it is importable: a single ``int8``
minimum finds control characters and non-ASCII bytes, ``bytes.find`` finds backslashes, and a
string longer than 512 KiB is checked chunk by chunk as its closing quote is searched for, so
that the checks read from cache. Without numpy, msgspec validates (decoding the quoted span to
:class:`msgspec.Raw` checks control characters and escapes without building a ``str``). Both
paths accept and reject exactly the same strings and report the same error position. numpy is
imported on first use only.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import re
from types import ModuleType

import msgspec

from ._depth import MAX_DEPTH, exceeds_depth, max_depth

__all__ = [
    "HAVE_NUMPY",
    "MAX_DEPTH",
    "ScanError",
    "default_max_strings",
    "exceeds_depth",
    "max_depth",
    "prescan",
]



def _numpy_installed() -> bool:
    try:
        return importlib.util.find_spec("numpy") is not None
    except (ImportError, ValueError):  # pragma: no cover - broken or shadowed installation
        return False


HAVE_NUMPY: bool = _numpy_installed()
"""Whether numpy is installed. It is imported lazily, by the first :func:`prescan` of a body
large enough to hold a long string."""

_use_numpy: bool = True
"""Switch for tests and benchmarks: ``False`` forces the pure msgspec validation path."""

_QUOTE = b'"'
_BACKSLASH = b"\\"
_BACKSLASH_BYTE = 0x5C
_HEX4 = re.compile(rb"[0-9A-Fa-f]{4}")
_SIMPLE_ESCAPES = frozenset(b'"\\/bfnrt')
_U = 0x75  # "u"
_CONTROL_BYTES = tuple(bytes((b,)) for b in range(0x20))
_RAW_DECODER = msgspec.json.Decoder(msgspec.Raw)
# After this many escapes checked one by one in Python, the rest of a long string is
# checked by msgspec in C (dense escapes such as PHP's "\/" in base64).
_ESCAPES_IN_PYTHON = 32
# After this many escaped quotes stepped over one by one in a string, its end is searched
# for in windows of _BULK_WINDOW bytes and more (see _string_end_bulk).
_ESCAPED_QUOTES_IN_PYTHON = 16
_BULK_WINDOW = 1024
# Strings longer than this are validated chunk by chunk while their closing quote is searched
# for, so that the second and third passes (control/ASCII, backslash) over each chunk hit the
# L2 cache even when the body itself is not cached (measured: 512 KiB is best for 2-8 MB).
_CHUNK = 512 * 1024


class ScanError(Exception):
    """Invalid JSON content found by the pre-scan.

    Attributes:
        reason: What is wrong, for a person, such as
            ``"control character U+0001 inside a string"``.
        pos: Byte offset of the offending byte (or of the backslash starting an invalid
            escape) in the original buffer.
    """

    reason: str
    pos: int

    def __init__(self, reason: str, pos: int) -> None:
        super().__init__(reason, pos)
        self.reason = reason
        self.pos = pos

    def __str__(self) -> str:
        return f"{self.reason} (byte {self.pos})"


@functools.cache
def _load_numpy() -> ModuleType | None:
    """Import numpy once; None when it is missing or broken."""
    try:
        return importlib.import_module("numpy")
    except ImportError:  # pragma: no cover - depends on the installation
        return None


def _numpy() -> ModuleType | None:
    """The numpy module when the vectorised path is available and enabled, else None."""
    if not (HAVE_NUMPY and _use_numpy):
        return None
    return _load_numpy()


# --------------------------------------------------------------------------------------------
# String boundaries
# --------------------------------------------------------------------------------------------


def _odd_backslashes(buf: bytes, end: int, lo: int) -> bool:
    """Whether the run of backslashes ending just before ``end`` (not before ``lo``) is odd."""
    count = 0
    j = end
    step = 16
    while j > lo:  # look back in doubling steps: O(log n) calls even for a huge run
        k = max(lo, j - step)
        kept = len(buf[k:j].rstrip(_BACKSLASH))
        count += (j - k) - kept
        if kept:
            break
        j = k
        step *= 2
    return count % 2 == 1


def _string_end(buf: bytes, q: int) -> int:
    """Index of the quote closing the string opened at ``q``, or -1 when unterminated."""
    find = buf.find
    c = find(_QUOTE, q + 1)
    escaped = 0
    while c >= 0 and buf[c - 1] == _BACKSLASH_BYTE and _odd_backslashes(buf, c, q + 1):
        escaped += 1
        if escaped > _ESCAPED_QUOTES_IN_PYTHON:
            return _string_end_bulk(buf, c + 1)
        c = find(_QUOTE, c + 1)
    return c


def _string_end_bulk(buf: bytes, start: int) -> int:
    """Closing quote at or after ``start`` (not inside a backslash run), or -1.

    For strings dense with escaped quotes: in each window, escape pairs and escaped quotes
    are overwritten (same length, so positions are kept) and the first quote left is the
    closing one. Windows double from _BULK_WINDOW bytes, so the work is linear in the length
    of the string whatever its escapes.
    """
    size = len(buf)
    width = _BULK_WINDOW
    while start < size:
        end = min(start + width, size)
        window = buf[start:end]
        found = window.replace(b"\\\\", b"__").replace(b'\\"', b"__").find(_QUOTE)
        if found >= 0:
            return start + found
        if end == size:
            return -1
        # Restart at the beginning of the trailing backslash run (its escapes are unknown),
        # or from the same start if the whole window is backslashes.
        tail = len(window) - len(window.rstrip(_BACKSLASH))
        if tail < len(window):
            start = end - tail
        width *= 2
    return -1


# --------------------------------------------------------------------------------------------
# Validation of a long string's content buf[start:end]
# --------------------------------------------------------------------------------------------


def _walk_escapes(buf: bytes, i: int, end: int, limit: int | None) -> tuple[int, str | None]:
    """Check the escapes of ``buf[i:end]``, where ``buf[i]`` is a backslash starting one.

    Returns:
        ``(-1, None)`` when every escape is valid; ``(pos, reason)`` for the first invalid
        escape (``pos`` is its backslash); ``(pos, None)`` when ``limit`` escapes were checked
        and ``pos`` is the next backslash still to check.
    """
    find = buf.find
    checked = 0
    while i >= 0:
        if limit is not None and checked >= limit:
            return i, None
        checked += 1
        ch = buf[i + 1]  # the closing quote is unescaped, so i + 1 < end
        if ch in _SIMPLE_ESCAPES:
            i = find(_BACKSLASH, i + 2, end)
            continue
        if ch != _U:
            return i, f"invalid escape {buf[i : i + 2]!r} inside a string"
        if i + 6 > end or _HEX4.fullmatch(buf, i + 2, i + 6) is None:
            return i, f"invalid \\u escape {buf[i : min(i + 6, end)]!r} inside a string"
        code = int(buf[i + 2 : i + 6], 16)
        if 0xDC00 <= code <= 0xDFFF:
            return i, f"unpaired UTF-16 surrogate {buf[i : i + 6]!r} inside a string"
        if 0xD800 <= code <= 0xDBFF:
            low = i + 6
            if (
                low + 6 > end
                or buf[low : low + 2] != b"\\u"
                or _HEX4.fullmatch(buf, low + 2, low + 6) is None
                or not 0xDC00 <= int(buf[low + 2 : low + 6], 16) <= 0xDFFF
            ):
                return i, f"unpaired UTF-16 surrogate {buf[i : i + 6]!r} inside a string"
            i = find(_BACKSLASH, low + 6, end)
        else:
            i = find(_BACKSLASH, i + 6, end)
    return -1, None


def _utf8_error(buf: bytes, start: int, end: int) -> tuple[int, str] | None:
    """First invalid UTF-8 sequence of ``buf[start:end]`` as ``(pos, reason)``, or None."""
    try:
        str(memoryview(buf)[start:end], "utf-8")
    except UnicodeDecodeError as exc:
        return start + exc.start, f"invalid UTF-8 inside a string ({exc.reason})"
    return None


def _raise_first_error(buf: bytes, start: int, end: int, check_utf8: bool) -> None:
    """Raise :class:`ScanError` for the first invalid byte of the content ``buf[start:end]``.

    Used once a fast check has failed; slow but exact, and the same for both paths.
    """
    errors: list[tuple[int, str]] = []
    find = buf.find
    limit = end
    for code, byte in enumerate(_CONTROL_BYTES):
        p = find(byte, start, limit)
        if p >= 0:
            limit = p
            errors.append((p, f"control character U+{code:04X} inside a string"))
    first_backslash = find(_BACKSLASH, start, end)
    if first_backslash >= 0:
        p, reason = _walk_escapes(buf, first_backslash, end, None)
        if reason is not None:
            errors.append((p, reason))
    if check_utf8:
        utf8 = _utf8_error(buf, start, end)
        if utf8 is not None:
            errors.append(utf8)
    if errors:
        pos, reason = min(errors)
        raise ScanError(reason, pos)
    # Only reachable if msgspec rejected what the checks above accept.
    raise ScanError("invalid string", start - 1)  # pragma: no cover


def _validate_numpy(np: ModuleType, buf: bytes, start: int, end: int, check_utf8: bool) -> None:
    """Validate ``buf[start:end]`` with numpy reductions and :meth:`bytes.find`."""
    view = np.frombuffer(buf, np.int8, end - start, start)
    # As int8, bytes >= 0x80 are negative: one reduction finds control and non-ASCII bytes.
    if np.minimum.reduce(view) < 0x20 and (
        np.minimum.reduce(view.view(np.uint8)) < 0x20
        or (check_utf8 and _utf8_error(buf, start, end) is not None)
    ):
        _raise_first_error(buf, start, end, check_utf8)
    backslash = buf.find(_BACKSLASH, start, end)
    if backslash < 0:
        return
    pos, reason = _walk_escapes(buf, backslash, end, _ESCAPES_IN_PYTHON)
    if reason is not None:
        _raise_first_error(buf, start, end, check_utf8)
    if pos >= 0:  # many escapes: let msgspec check the rest of the string in C
        try:
            _RAW_DECODER.decode(memoryview(buf)[start - 1 : end + 1])
        except msgspec.DecodeError:
            _raise_first_error(buf, start, end, check_utf8)


def _validate_msgspec(buf: bytes, start: int, end: int, check_utf8: bool, ascii_doc: bool) -> None:
    """Validate ``buf[start:end]`` with msgspec (and a UTF-8 decode unless all ASCII)."""
    try:
        _RAW_DECODER.decode(memoryview(buf)[start - 1 : end + 1])
    except msgspec.DecodeError:
        _raise_first_error(buf, start, end, check_utf8)
    if check_utf8 and not ascii_doc and _utf8_error(buf, start, end) is not None:
        _raise_first_error(buf, start, end, check_utf8)


# --------------------------------------------------------------------------------------------
# Long-string removal
# --------------------------------------------------------------------------------------------


def _long_string_numpy(
    np: ModuleType, buf: bytes, start: int, check_utf8: bool, searched: int = 0
) -> int:
    """Find the end of, and validate, a string longer than one chunk starting at ``start``.

    Each chunk is checked (int8 minimum, backslash search) right after the quote search went
    through it; bytes before ``searched`` are known to hold no quote, and are not searched
    again. At the first chunk holding a backslash, a control or a non-ASCII byte, the whole
    string is delimited and validated exactly by :func:`_validate_numpy` instead.

    Returns:
        The index of the closing quote, or -1 when the string is unterminated (then nothing
        is validated: the parser will report the truncation).
    """
    find = buf.find
    size = len(buf)
    view = np.frombuffer(buf, np.int8)
    smallest = np.minimum.reduce
    chunk = _CHUNK
    pos = start
    while True:
        end = min(pos + chunk, size)
        c = -1 if end <= searched else find(_QUOTE, max(pos, searched), end)
        stop = end if c < 0 else c
        if stop > pos and (smallest(view[pos:stop]) < 0x20 or find(_BACKSLASH, pos, stop) >= 0):
            break
        if c >= 0:  # no backslash anywhere before it in this string: the closing quote
            return c
        if end >= size:
            return -1
        pos = end
    c = _string_end(buf, start - 1)
    if c >= 0:
        _validate_numpy(np, buf, start, c, check_utf8)
    return c


def default_max_strings(size: int) -> int:
    """Default budget of short strings :func:`prescan` steps over for a ``size``-byte body.

    Stepping over a string costs a fraction of a microsecond of Python, about what msgspec
    needs to parse a kilobyte; the budget keeps the worst case (a body made of many short
    strings) within a fraction of a full parse.
    """
    return 64 + size // 8192


def prescan(
    buf: bytes,
    *,
    min_len: int = 16384,
    check_utf8: bool = True,
    max_strings: int | None = None,
) -> bytes | None:
    r"""Remove and validate the content of every long string of a JSON document.

    Every string whose raw content (between the quotes, escapes undecoded) is at least
    ``min_len`` bytes long is validated in bulk and its content removed, quotes kept
    (``"AAAA...":`` becomes ``"":``). The content must have:

    * no raw byte below 0x20 (JSON forbids unescaped control characters),
    * only valid escapes: ``\"`` ``\\`` ``\/`` ``\b`` ``\f`` ``\n`` ``\r`` ``\t``
      and ``\u`` with 4 hex digits, UTF-16 surrogates properly paired (as msgspec requires),
    * when ``check_utf8``, valid UTF-8 (strict, as Python and msgspec decode it).

    Everything else, short strings included, is copied verbatim, so parsing the remainder
    with msgspec validates the structure, numbers, keys and short strings exactly as parsing
    ``buf`` would. An unterminated string is left in place, so the parser reports the
    truncation.

    Args:
        buf: The JSON document (``bytes``; convert other buffers first).
        min_len: Raw content length from which a string is removed (at least 1). Removing a
            string has a fixed cost of a few microseconds (numpy call overhead), which a
            string pays for from about 16 KiB (``benchmarks/scan_study.py``).
        check_utf8: Also validate the UTF-8 of removed contents (msgspec does not when it
            skips a string, but does when it decodes one).
        max_strings: How many short strings to step over before giving up and returning
            None, because the scan would then cost more than it saves. Defaults to
            :func:`default_max_strings` of ``len(buf)``.

    Returns:
        The remainder, or None when no string was removed (no string of ``min_len`` bytes or
        more, or ``max_strings`` exceeded): the caller then parses ``buf`` itself.

    Raises:
        ScanError: A removed content is invalid; ``pos`` is its first invalid byte. Contents
            are checked in document order, so a syntax error located before that string is
            reported by the parser only once ``buf`` itself is parsed.
    """
    min_len = max(min_len, 1)
    size = len(buf)
    last_start = size - min_len - 1  # a long string cannot open at or after this index
    if last_start <= 0:
        return None
    budget = default_max_strings(size) if max_strings is None else max_strings
    np = _numpy()
    # With numpy, a string with no quote within `horizon` bytes is long, and is validated
    # chunk by chunk while its end is searched for. Otherwise strings are delimited first.
    horizon = max(min_len, _CHUNK) if np is not None else size
    ascii_doc: bool | None = None
    find = buf.find
    quote = _QUOTE
    backslash = _BACKSLASH_BYTE
    mv = memoryview(buf)
    pieces: list[memoryview] = []
    copied = 0
    pos = 0
    short = 0
    while True:
        q = find(quote, pos)
        if q < 0 or q >= last_start:
            break  # what is left is copied verbatim: it holds no long string
        c = find(quote, q + 1, q + 1 + horizon)
        if c < 0:
            if np is None or q + 1 + horizon >= size:
                break  # unterminated: left for the parser to report
            c = _long_string_numpy(np, buf, q + 1, check_utf8, q + 1 + horizon)
            if c < 0:
                break
            pieces.append(mv[copied : q + 1])
            copied = c
            pos = c + 1
            continue
        if buf[c - 1] == backslash and _odd_backslashes(buf, c, q + 1):
            c = _string_end(buf, q)  # escaped quotes: the rare, careful path
            if c < 0:
                break  # unterminated: left for the parser to report
        if c - q - 1 >= min_len:
            if np is not None:
                _validate_numpy(np, buf, q + 1, c, check_utf8)
            else:
                if ascii_doc is None:
                    ascii_doc = not check_utf8 or buf.isascii()
                _validate_msgspec(buf, q + 1, c, check_utf8, ascii_doc)
            pieces.append(mv[copied : q + 1])
            copied = c
        else:
            short += 1
            if short > budget:
                return None
        pos = c + 1
    if not pieces:
        return None
    pieces.append(mv[copied:])
    return b"".join(pieces)
