"""What a decode takes: the wire dialects and formats, and any input made plain bytes.

Every decode entry point accepts ``bytes``, ``bytearray``, ``memoryview`` (any contiguous
buffer) or ``str``; the slow path turns them into ``bytes`` here (never calling a subclass's own
``encode`` or ``__bytes__``), drops a UTF-8 byte-order mark, and refuses anything else with
the project's error.
"""

from __future__ import annotations

import codecs
from typing import Literal

import msgspec

from . import _scan
from ._errors import UsageDecodeError

__all__ = [
    "BOM",
    "CAUGHT",
    "FORMATS",
    "MAX_DEPTH",
    "WIRES",
    "Format",
    "Wire",
    "blank",
    "normalize",
]

Wire = Literal["camel", "snake", "auto"]
"""Wire dialect: ``camel`` (TypeScript SDK, reference page), ``snake`` (the HTTP API) or
``auto`` (either, per document; the dialect a codec last decoded is tried first)."""
Format = Literal["json", "msgpack"]
"""Serialisation format."""

MAX_DEPTH = _scan.MAX_DEPTH
"""Deepest nesting of arrays and objects accepted in a document (bounded by the codec)."""

WIRES = ("camel", "snake", "auto")
FORMATS = ("json", "msgpack")


# Every exception a msgspec decode can raise on bad input: msgspec's own (DecodeError and
# ValidationError are ValueErrors), UnicodeDecodeError/UnicodeEncodeError (ValueErrors),
# TypeError (not a buffer), RecursionError, OverflowError, BufferError (not contiguous).
CAUGHT = (
    ValueError,
    TypeError,
    RecursionError,
    OverflowError,
    BufferError,  # a strided memoryview
    msgspec.MsgspecError,
)

BOM = codecs.BOM_UTF8


def blank(line: bytes) -> bool:
    """An empty line, or one of JSON whitespace only (after a byte-order mark, if any)."""
    return not (line[3:] if line[:3] == BOM else line).strip(b" \t\r")


def normalize(buf: object, wire: str, fmt: str) -> bytes:
    """Return the input as ``bytes`` without a UTF-8 byte-order mark, or raise the error."""
    kind = type(buf)
    data: bytes
    if kind is bytes:
        data = buf  # type: ignore[assignment]
    elif isinstance(buf, str):
        # Lone surrogates have no UTF-8 form: keep them as the bytes 'surrogatepass' gives,
        # which are invalid UTF-8 and handled like any invalid UTF-8 in the document.
        # str.encode, not buf.encode: a subclass's own encode() is never called.
        data = str.encode(buf, "utf-8", "surrogatepass")
    else:
        # Through the buffer protocol (never a subclass's __bytes__): bytes and bytearray
        # subclasses, memoryviews, mmaps, arrays.
        try:
            view = memoryview(buf)  # type: ignore[arg-type]
        except TypeError:
            raise UsageDecodeError(
                f"expected bytes, bytearray, memoryview or str, got {kind.__name__}",
                wire=wire,
                format=fmt,
            ) from None
        except (ValueError, BufferError) as exc:  # a released view, a closed mmap
            raise UsageDecodeError(
                f"the buffer cannot be read ({exc})", wire=wire, format=fmt
            ) from None
        with view:
            if not view.contiguous:
                raise UsageDecodeError(
                    "expected a contiguous buffer, got a strided memoryview",
                    wire=wire,
                    format=fmt,
                )
            data = view.tobytes()
    if fmt == "json" and data[:3] == BOM:
        data = data[3:]
    return data
