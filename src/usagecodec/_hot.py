"""Templates of the hot-path methods of :class:`UsageCodec`.

Each codec configuration gets its own copy of one of these functions (see :func:`bind`),
whose *globals* are a small dict holding that configuration's prebuilt decoder, slow path and
adopt step. Inside the method those are single specialised global loads, the signature stays
exactly ``(self, buf)`` (so CPython calls it through its fastest path), and there is nothing a
caller could override by passing an extra argument. Measured on CPython 3.11, this wrapper
costs about a tenth of a small decode; attribute or closure loads cost measurably more.
"""

from __future__ import annotations

import builtins
import types
from collections.abc import Callable
from typing import Any

__all__ = [
    "bind",
    "decode",
    "decode_adopt",
    "decode_strict",
    "decode_usage_adopt",
    "encode",
    "encode_convert",
    "encode_usage",
    "encode_usage_convert",
]

# Names bound per configuration by bind(); declared here for readers and type checkers.
_fast: Callable[[Any], Any]
_slow: Callable[[Any], Any]
_adopt: Callable[[Any], Any]
_checks: Callable[[Any, str, str], None]
_usage: type
_wire: str
_fmt: str
_caught: tuple[type[BaseException], ...]
_cls: Any
_encode: Callable[[Any], bytes]
_convert: Callable[[Any], Any]
_suspect: bytes
_refuse: Callable[[Any], bytes]
_details: Any
_twin: Callable[..., Any]
_twin_details: Callable[..., Any]


def decode(self: Any, buf: Any) -> Any:
    """Camel dialect, lenient: the public class is the decoder's own type."""
    try:
        return _fast(buf)
    except _caught:
        return _slow(buf)


def decode_usage_adopt(self: Any, buf: Any) -> Any:
    """Another dialect: the decoded twin becomes a public usage by class assignment."""
    try:
        obj = _fast(buf)
    except _caught:
        return _slow(buf)
    obj.input_tokens_details.__class__ = _details
    obj.__class__ = _usage
    return obj


def decode_adopt(self: Any, buf: Any) -> Any:
    """Another dialect, any class: adopt through a function."""
    try:
        obj = _fast(buf)
    except _caught:
        return _slow(buf)
    return _adopt(obj)


def decode_strict(self: Any, buf: Any) -> Any:
    """Strict codecs: adopt, then the checks strict adds (no negative count)."""
    try:
        obj = _fast(buf)
    except _caught:
        return _slow(buf)
    obj = _adopt(obj)
    _checks(obj, _wire, _fmt)
    return obj


def encode_usage(self: Any, obj: Any) -> bytes:
    """Encode a usage in the camel dialect: the public class's own names."""
    if type(obj) is not _cls:
        return _refuse(obj)
    d = obj.input_tokens_details
    if (
        type(d) is not _details
        or type(obj.total_tokens) is not int
        or type(obj.input_tokens) is not int
        or type(obj.output_tokens) is not int
        or type(d.text_tokens) is not int
        or type(d.image_tokens) is not int
    ):
        obj._check("")  # floats (maybe NaN) or values smuggled past the constructor
    return _encode(obj)


def encode_usage_convert(self: Any, obj: Any) -> bytes:
    """Encode a usage in the snake dialect, through its twin."""
    if type(obj) is not _cls:
        return _refuse(obj)
    d = obj.input_tokens_details
    if type(d) is not _details:
        obj._check("")
    a, b, c, e, f = (
        obj.total_tokens,
        obj.input_tokens,
        obj.output_tokens,
        d.text_tokens,
        (d.image_tokens),
    )
    if (
        type(a) is not int
        or type(b) is not int
        or type(c) is not int
        or type(e) is not int
        or type(f) is not int
    ):
        obj._check("")
    return _encode(_twin(a, b, c, _twin_details(e, f)))


def encode(self: Any, obj: Any) -> bytes:
    """Encode any public object as it is (its class's own dialect)."""
    if type(obj) is not _cls:
        return _refuse(obj)
    out = _encode(obj)
    if out.find(_suspect) >= 0:  # maybe a NaN or an infinity: check, field by field
        obj._check("")
    return out


def encode_convert(self: Any, obj: Any) -> bytes:
    """Encode any public object in another dialect, through its twin."""
    if type(obj) is not _cls:
        return _refuse(obj)
    out = _encode(_convert(obj))
    if out.find(_suspect) >= 0:
        obj._check("")
    return out


def bind(template: Callable[..., Any], name: str, doc: str | None, **values: Any) -> Any:
    """Return a copy of ``template`` whose free names are ``values``."""
    namespace: dict[str, Any] = {"__builtins__": builtins, **values}
    fn = types.FunctionType(template.__code__, namespace, name)
    fn.__qualname__ = f"UsageCodec.{name}"
    fn.__doc__ = doc
    fn.__module__ = "usagecodec"
    return fn
