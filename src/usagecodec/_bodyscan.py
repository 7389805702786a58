"""Bounded-memory decoding of large response bodies: the ``data`` array a slice at a time.

:meth:`UsageCodec.extract_usage` must accept exactly the bodies :meth:`decode_response`
accepts, but a body of millions of tiny ``data`` items would make every decode attempt build
millions of objects (about ten times the body in memory). :func:`bounded` returns a copy of a
codec's body plan whose attempts decode the same classes with the same outcome, the same
errors and the same order of attempts (``_Plan.slow`` itself runs them), without ever
holding more than a slice of the ``data`` items. One attempt (:class:`_Shape`) goes:

1. Decode the body with a twin of its class whose ``data`` accepts only ``[]``: it either
   succeeds (every ``data`` is empty), fails before any non-empty ``data`` (the class fails
   the same way, so that error is raised), or stops at the first element of the first
   non-empty ``data`` with nothing wrong before it.
2. Find where that array starts (bisecting on prefixes with the same twin), then validate
   its elements with the class's own element decoder, in slices of about ``_SLICE`` bytes
   cut after whole elements. Cuts are found by the string-aware, non-recursive bracket walk
   of :mod:`usagecodec._scan`, at C speed.
3. Go on after the array: decode the following entries with the class itself, in regions
   of about ``_SLICE`` bytes of whole entries (a region holds no large ``data``), or, from
   an entry too large for that, restart the stopping twin at the comma before it, rewritten
   as ``{`` in a copy of the rest (a repeated ``data`` key stops it again: back to 2).
4. Decode the body with every large ``data`` emptied, with the class itself: the result,
   and the errors that only the whole object can give (a missing field, trailing bytes).

Errors keep the class's message; paths inside a slice become ``$.data[i]...`` and byte
positions are those of the body.
"""

from __future__ import annotations

import copy
import functools
import re
import typing
from collections.abc import Callable
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from . import _depth, _scan
from ._messages import at_data_itself, data_error, got_kind, in_data, missing_here, shifted
from ._models import PostV2ProxyImagesVariationsResponseBody as Body
from ._variants import DIALECTS

__all__ = ["SMALL", "body_usage", "bounded"]

SMALL = 16 * 1024
"""Bodies up to this size are decoded whole: their ``data`` list is small anyway."""

_LARGE = 16 * 1024
"""A ``data`` array this long or longer is emptied before the whole body is decoded."""
_SLICE = 256 * 1024
"""Bytes of ``data`` items validated at a time, at most (a single larger item is taken
whole); a thirty-second of the body at least, or 4 KiB: a slice of 3-byte items (``{}``) is
decoded into about 13 times its size."""
_WINDOW = 64 * 1024
"""Bytes scanned at a time when looking for the end of an item."""
_STEP = 256
"""Below this many bytes, the end of an item is looked for closer by closer."""

_NEVER = Annotated[int, Meta(ge=1, le=0)]
_EMPTY_ONLY = Annotated[list[_NEVER], Meta(max_length=0)]
"""``data`` of the stopping twin: ``[]`` passes, anything else fails at its first element."""

_SYNTAX = msgspec.json.Decoder(list[msgspec.Raw]).decode
_WS = re.compile(rb"[ \t\r\n]*")
_TOKEN = re.compile(rb'[,"\[\]{}]')
_DATA_KEY = re.compile(rb'"data"[ \t\r\n]*:[ \t\r\n]*\[[ \t\r\n]*')
_NOT_BACKSLASH = re.compile(rb"[^\\]")
_NUMBER = re.compile(rb"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
# A first element of this kind fails the class for its kind only: decode a sample.
_SAMPLES = {"str": b'[""]', "bool": b"[true]", "null": b"[null]"}
_COMMA, _BRACE, _BACKSLASH = 0x2C, 0x7B, 0x5C


# --- scanning ------------------------------------------------------------------------------


def _skip_ws(buf: bytes | bytearray, i: int) -> int:
    match = _WS.match(buf, i)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def _safe(buf: bytes | bytearray, i: int, stop: int) -> int:
    """``i``, or the first point after it that does not split an escape (at most ``stop``)."""
    if i >= stop:
        return stop
    if buf[i - 1] != _BACKSLASH:
        return i
    match = _NOT_BACKSLASH.search(buf, i, stop)
    return stop if match is None else match.end()


def _advance(buf: bytes | bytearray, start: int, end: int, inside: bool) -> tuple[int, int, bool]:
    """Walk ``buf[start:end]`` (brackets outside strings).

    Returns:
        The net change of level, the lowest level reached (0 or less, relative to the start,
        which counts) and whether the end is inside a string.
    """
    brackets, inside = _depth._outside(bytes(buf[start:end]), inside)
    if not brackets:
        return 0, 0, inside
    net = 2 * brackets.count(b"[") - len(brackets)
    # A closer at depth 0 is ignored by the clamped walk: its final depth is net - lowest.
    return net, net - _depth._walk_from_zero(brackets)[1], inside


def _drop(
    buf: bytes | bytearray, at: int, level: int, inside: bool, *, goal: int, stop: int
) -> tuple[int | None, int, bool]:
    """First closer outside strings at or after ``at`` after which the level is ``goal``.

    ``level`` (the level at ``at``) must be above ``goal``. Windows (doubling from
    ``_STEP`` to ``_WINDOW`` bytes) where the level stays above it are skipped whole; the one
    where it drops is halved, then stepped closer by closer.

    Returns:
        The point after that closer (None if ``stop`` comes first), and the level and the
        string state there (or at ``stop``).
    """
    width = _STEP
    while at < stop:
        end = _safe(buf, at + width, stop)
        net, low, after = _advance(buf, at, end, inside)
        if level + low > goal:
            level, inside, at = level + net, after, end
            width = min(2 * width, _WINDOW)
            continue
        while end - at > _STEP:
            mid = _safe(buf, at + (end - at) // 2, end)
            if mid >= end:
                break
            net, low, after = _advance(buf, at, mid, inside)
            if level + low <= goal:
                end = mid
            else:
                level, inside, at = level + net, after, mid
        while True:  # no closer between ``at`` and the next one, so the drop is at a closer
            closers = [i for i in (buf.find(b"]", at, end), buf.find(b"}", at, end)) if i >= 0]
            if not closers:  # pragma: no cover - the window holds the drop
                return None, level, inside
            point = min(closers) + 1
            net, low, after = _advance(buf, at, point, inside)
            if level + low <= goal:
                return point, level + net, after
            level, inside, at = level + net, after, point
    return None, level, inside


def _entry_end(buf: bytes | bytearray, start: int, target: int) -> int | None:
    """The first comma between the entries of an object at or after ``target``.

    ``buf[start]`` opens the object, and what lies between it and ``target`` is well formed.

    Returns:
        The comma's index; None when the object ends first, or for malformed data.
    """
    size = len(buf)
    at = _safe(buf, target, size)
    if at >= size:
        return None
    net, low, inside = _advance(buf, start + 1, at, False)
    level = 1 + net
    if 1 + low <= 0:
        return None  # the object closed before the target
    for _ in range(8):  # a key, a colon and a value at most lie before the next comma
        if inside:  # in a key or a string value: go to its end
            at = _scan._string_end_bulk(buf, at) + 1  # type: ignore[arg-type]
            if at <= 0:
                return None
            inside = False
        elif level > 1:  # in a container value: go to its end
            end, level, inside = _drop(buf, at, level, inside, goal=1, stop=size)
            if end is None:
                return None
            at = end
        else:
            match = _TOKEN.search(buf, at)
            if match is None or match.group() in b"}]":
                return None
            at = match.end()
            token = match.group()
            if token == b",":
                return at - 1
            if token == b'"':
                inside = True
            else:
                level += 1
    return None  # pragma: no cover - malformed


# --- errors --------------------------------------------------------------------------------


_shifted = shifted
_in_data = in_data
_data_error = data_error
_missing_here = missing_here


# --- one class -----------------------------------------------------------------------------


class _Shape:
    """Bounded decoding of one body class (a dialect and strictness)."""

    def __init__(self, cls: type) -> None:
        hints = typing.get_type_hints(cls, include_extras=True)
        config = cls.__struct_config__  # type: ignore[attr-defined]
        fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
        for info in msgspec.structs.fields(cls):
            tp = _EMPTY_ONLY if info.name == "data" else hints[info.name]
            fields.append((info.name, tp) if info.required else (info.name, tp, info.default))
        stop = msgspec.defstruct(
            cls.__name__,
            fields,
            module=__name__,
            rename={info.name: info.encode_name for info in msgspec.structs.fields(cls)},
            forbid_unknown_fields=config.forbid_unknown_fields,
            omit_defaults=config.omit_defaults,
            gc=config.gc,
        )
        (item,) = typing.get_args(typing.get_args(hints["data"])[0])
        self.until_data: Callable[[Any], Any] = msgspec.json.Decoder(stop).decode
        items: Any = list[item]  # type: ignore[valid-type]
        self.items: Callable[[Any], list[Any]] = msgspec.json.Decoder(items).decode
        self.whole: Callable[[Any], Any] = msgspec.json.Decoder(cls).decode

    def decode(self, doc: bytes) -> Any:
        """Decode ``doc`` as the class would: the same object or the same error."""
        try:
            self.until_data(doc)
        except msgspec.ValidationError as exc:
            if not _data_error(exc):
                raise
            stop: msgspec.ValidationError = exc
        else:
            return self.whole(doc)  # every data is [] (or there is none)
        kept: list[bytes | memoryview] = []  # the body up to each large data, emptied
        done = 0  # doc[done:] is still to be copied into the emptied body
        # The twin's parse started at buf[start:]; buf[i] is doc[base + i].
        buf: bytes | bytearray = doc
        base = start = 0
        while True:
            if at_data_itself(stop):
                raise stop  # not an array: the class says the same
            opening = self._locate(buf, start, stop)
            end = self._check_items(buf, opening, base)
            if end - opening > _LARGE:  # checked: the whole decode gets it empty
                kept += (memoryview(doc)[done : base + opening], b"[]")
                done = base + end
            comma = _skip_ws(buf, end)
            if comma >= len(buf) or buf[comma] != _COMMA:
                break  # "}" or an error that the whole decode reports
            after, buf, base, start = self._rest(buf, comma, base)
            if after is None:
                break
            stop = after
        del buf
        if not kept:
            return self.whole(doc)
        shift = done - sum(map(len, kept))
        emptied = b"".join([*kept, memoryview(doc)[done:]])
        try:
            return self.whole(emptied)
        except msgspec.DecodeError as exc:  # only after the last data (all before is checked)
            raise _shifted(exc, shift) from exc.__cause__

    def _reached(self, view: memoryview) -> bool:
        """Whether this prefix of the twin's input reaches its non-empty data."""
        try:
            self.until_data(view)
        except msgspec.ValidationError as exc:
            return _data_error(exc)
        except msgspec.DecodeError:
            return False
        return False  # pragma: no cover - a prefix stops before the object closes

    def _locate(self, buf: bytes | bytearray, start: int, error: msgspec.ValidationError) -> int:
        """Index of the ``[`` of the non-empty data the twin stopped at with ``error``.

        Raises:
            msgspec.ValidationError: The first item is not an object or an array: the class's
                error for it.
        """
        kind = got_kind(error) or "number"
        if kind in _SAMPLES:
            try:
                self.items(_SAMPLES[kind])
            except msgspec.ValidationError as exc:
                raise _in_data(exc, 0) from None
        # The twin fails on the first byte of an object or an array: the shortest failing
        # prefix ends there. Try the first '"data": [' first, then bisect.
        view = memoryview(buf)
        key = _DATA_KEY.search(buf, start)
        if key is not None and kind in ("object", "array"):
            item = key.end()
            if not self._reached(view[start:item]) and self._reached(view[start : item + 1]):
                return key.start() + len(key.group().rstrip(b" \t\r\n")) - 1
        low, high, step = start, len(buf), 64
        while low + step < high:
            if self._reached(view[start : low + step]):
                high = low + step
                break
            low += step
            step *= 2
        while high - low > 1:
            middle = (low + high) // 2
            if self._reached(view[start:middle]):
                high = middle
            else:
                low = middle
        item = high - 1
        if kind not in ("object", "array"):
            # A number: the twin fails on some prefix of it (not all: "-2." is malformed).
            item = len(bytes(buf[start:item]).rstrip(b"-+.0123456789eE")) + start
            number = _NUMBER.match(buf, item)
            sample = b"[" + (number.group() if number else b"0") + b"]"
            try:
                self.items(sample)
            except msgspec.ValidationError as exc:
                raise _in_data(exc, 0) from None
            raise error  # pragma: no cover - a number never decodes as an item
        return len(bytes(buf[start:item]).rstrip(b" \t\r\n")) + start - 1

    def _check_items(self, buf: bytes | bytearray, opening: int, base: int) -> int:
        """Validate the items of the array opening at ``buf[opening]``, a slice at a time.

        Returns:
            The index after the array's closing bracket.

        Raises:
            msgspec.ValidationError: The first invalid item, with its path in the body.
            msgspec.DecodeError: The first malformed byte, with its position in the body.
        """
        size = len(buf)
        first = _skip_ws(buf, opening + 1)
        if first < size and buf[first] in b",:}":  # no first item: msgspec's error
            self._check(buf, first, first + 1, 0, base, close=False)
            raise msgspec.DecodeError("Input data was truncated")  # pragma: no cover
        index = 0
        while True:
            cut, closing = self._cut(buf, first, size)
            if cut is None or (closing is not None and buf[closing] != 0x5D):
                # Malformed, or an item that is no container: msgspec's error, in order.
                self._check(buf, first, size if cut is None else cut + 1, index, base, close=False)
                raise msgspec.DecodeError("Input data was truncated")  # pragma: no cover
            index += self._check(buf, first, cut, index, base)
            if closing is not None:
                return closing + 1
            bad = _skip_ws(buf, cut)
            if bad < size and buf[bad] == 0x5D:
                return bad + 1
            if bad < size and buf[bad] == _COMMA:
                first = _skip_ws(buf, bad + 1)
                if first < size and buf[first] not in b",:]}":
                    continue  # the next item (if it is malformed, its slice says so)
                bad = first
            # Not a separator, or nothing after one: msgspec's error after an item.
            try:
                _SYNTAX(b"".join((b"[{}", memoryview(buf)[cut : bad + 1])))
            except msgspec.DecodeError as exc:
                raise _shifted(exc, base + cut - 3) from None
            raise msgspec.DecodeError("Input data was truncated")  # pragma: no cover

    def _check(
        self,
        buf: bytes | bytearray,
        first: int,
        cut: int,
        index: int,
        base: int,
        *,
        close: bool = True,
    ) -> int:
        """Decode the items ``buf[first:cut]`` (``index`` of the first); return how many.

        Raises:
            msgspec.ValidationError: The first invalid item, with its path in the body.
            msgspec.DecodeError: The first malformed byte, with its position in the body.
        """
        piece = b"".join((b"[", memoryview(buf)[first:cut], b"]" if close else b""))
        try:
            return len(self.items(piece))
        except msgspec.ValidationError as exc:
            raise _in_data(exc, index) from None
        except msgspec.DecodeError as exc:
            raise _shifted(exc, base + first - 1) from None

    def _cut(self, buf: bytes | bytearray, first: int, size: int) -> tuple[int | None, int | None]:
        """Where to end the slice of items starting at ``buf[first]`` (level 1, outside strings).

        Returns:
            ``(cut, None)``: the slice ends at ``cut``, after an item, and more may follow;
            ``(cut, cut)``: the array closes at ``cut``;
            ``(None, None)``: no cut found (malformed data, or an item that is not an object
            or an array): the caller decodes everything left, and msgspec reports the error.
        """
        target = _safe(buf, first + min(_SLICE, max(4096, size >> 5)), size)
        end, level, inside = _drop(buf, first, 1, False, goal=0, stop=target)
        if end is not None:  # the array closes before the target
            return end - 1, end - 1
        if target >= size:
            return None, None
        if level > 1:  # inside an item: cut after it
            end, _, inside = _drop(buf, target, level, inside, goal=1, stop=size)
            return (None, None) if end is None or inside else (end, None)
        if inside:  # a string item
            return None, None
        at = _skip_ws(buf, target)  # between items, or in an item that is no container
        if at < size and buf[at] == _COMMA:
            return at, None
        if at < size and buf[at] in b"[{":
            before = len(bytes(buf[first:target]).rstrip(b" \t\r\n")) + first - 1
            return (before, None) if buf[before] == _COMMA else (None, None)
        if at < size and buf[at] == 0x5D:
            return at, at
        return None, None

    def _rest(
        self, buf: bytes | bytearray, comma: int, base: int
    ) -> tuple[msgspec.ValidationError | None, bytes | bytearray, int, int]:
        """Check the entries after the comma at ``buf[comma]``, up to the next large value.

        Regions of about ``_SLICE`` bytes of whole entries, and a rest shorter than two, are
        decoded with the class itself (a copy between ``{`` and ``}``): they hold no large
        ``data``. From a region with a larger value on, the stopping twin parses the rest,
        in a copy of it whose comma becomes ``{`` (in place when ``buf`` is that copy).

        Returns:
            The twin's error at the next non-empty data (None when everything is checked,
            but for the missing fields and the bytes after the body, which only the whole
            decode sees), and the buffer, base and start of the twin's parse.
        """
        region = min(_SLICE, max(4096, len(buf) >> 5))
        start = comma
        while True:
            if len(buf) - start <= 2 * region:  # a short rest
                self._part(buf, start, len(buf), base, close=False)
                return None, buf, base, start
            end = _entry_end(buf, start, start + region)
            if end is None or end - start > 2 * region:
                break
            self._part(buf, start, end, base, close=True)
            start = end
        if not isinstance(buf, bytearray):
            buf = bytearray(memoryview(buf)[start:])
            base, start = base + start, 0
        buf[start] = _BRACE
        try:
            self.until_data(memoryview(buf)[start:])
        except msgspec.ValidationError as exc:
            if _data_error(exc):
                return exc, buf, base, start
            if not _missing_here(exc):
                raise
        except msgspec.DecodeError as exc:
            raise _shifted(exc, base + start) from exc.__cause__
        return None, buf, base, start

    def _part(
        self, buf: bytes | bytearray, comma: int, end: int, base: int, *, close: bool
    ) -> None:
        """Decode the entries ``buf[comma + 1:end]`` as an object of the class.

        Raises:
            msgspec.ValidationError: As the class, but for fields missing from the object.
            msgspec.DecodeError: As the class, with its position in the body.
        """
        text = b"".join((b"{", memoryview(buf)[comma + 1 : end], b"}" if close else b""))
        try:
            self.whole(text)
        except msgspec.ValidationError as exc:
            if not _missing_here(exc):
                raise
        except msgspec.DecodeError as exc:
            raise _shifted(exc, base + comma) from exc.__cause__


# --- the plan ------------------------------------------------------------------------------


class _Attempt:
    """An attempt of a plan, decoding with :class:`_Shape` (what ``_Plan.slow`` uses)."""

    def __init__(self, wire: str, lenient: bool, adopt: Callable[[Any], Any] | None) -> None:
        dialect = DIALECTS[wire]
        shape = _Shape((dialect.lenient if lenient else dialect.strict)[Body])
        self.decode: Callable[[Any], Any] = shape.decode
        self.adopt = adopt
        self.lenient = lenient
        self.wire = wire


@functools.cache
def bounded(plan: Any) -> Any:
    """A copy of a JSON body plan whose attempts hold a slice of the ``data`` items at most.

    Its ``slow(doc)`` returns or raises exactly what the plan's does (the public body, with
    every ``data`` list emptied in the bounded case).
    """
    proxy = copy.copy(plan)
    proxy.attempts = [_Attempt(a.wire, a.lenient, a.adopt) for a in plan.attempts]
    proxy.first = proxy.attempts[0]
    if plan.wire != "auto":
        proxy._other = _Attempt("snake" if plan.wire == "camel" else "camel", True, None)
    return proxy


def body_usage(codec: Any, doc: bytes) -> Any:
    """The ``usage`` of ``codec.decode_response(doc)``, in bounded memory above :data:`SMALL`.

    Raises:
        UsageDecodeError: As ``codec.decode_response(doc)``.
    """
    if len(doc) <= SMALL:
        return codec.decode_response(doc).usage
    return bounded(codec._body).slow(doc).usage
