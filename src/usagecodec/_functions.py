"""The one-off convenience functions: a codec per configuration, built on first use.

For many documents, build a :class:`~usagecodec.UsageCodec` once and call its methods; these
functions look the codec up on every call (the default configuration's decode skips even
that).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._codec import UsageCodec
from ._input import CAUGHT as _CAUGHT
from ._input import Format, Wire
from ._models import (
    PostV2ProxyImagesVariationsResponseBody as Body,
)
from ._models import (
    PostV2ProxyImagesVariationsUsage as Usage,
)

__all__ = ["decode_response", "decode_usage", "encode_response", "encode_usage", "extract_usage"]


_CODECS: dict[tuple[str, str, bool], UsageCodec] = {}
"""The codecs of the convenience functions, built on first use."""


def _codec(wire: str, fmt: str, strict: bool) -> UsageCodec:
    codec = _CODECS.get((wire, fmt, strict))
    if codec is None:
        codec = _CODECS[wire, fmt, strict] = UsageCodec(wire, fmt, strict=strict)  # type: ignore[arg-type]
    return codec


_DEFAULT = _codec("camel", "json", False)
_default_fast: Callable[[Any], Usage] = _DEFAULT._usage.first.decode
_default_slow: Callable[[Any], Usage] = _DEFAULT._usage.slow


def decode_usage(
    buf: bytes | bytearray | memoryview | str,
    wire: Wire = "camel",
    format: Format = "json",
    strict: bool = False,
) -> Usage:
    """Decode one usage document (see :meth:`UsageCodec.decode`).

    For many documents, build a :class:`UsageCodec` once and call its ``decode``.

    Raises:
        UsageDecodeError: For anything that is not a valid usage document.
    """
    if strict is False and wire == "camel" and format == "json":
        try:
            return _default_fast(buf)
        except _CAUGHT:
            return _default_slow(buf)
    return _codec(wire, format, strict).decode(buf)


def encode_usage(
    usage: Usage,
    wire: Wire = "camel",
    format: Format = "json",
) -> bytes:
    """Encode a usage (see :meth:`UsageCodec.encode`).

    Raises:
        UsageValueError: When a value has no faithful encoding.
    """
    return _codec(wire, format, False).encode(usage)


def decode_response(
    buf: bytes | bytearray | memoryview | str,
    wire: Wire = "camel",
    format: Format = "json",
    strict: bool = False,
) -> Body:
    """Decode a full response body (see :meth:`UsageCodec.decode_response`).

    Raises:
        UsageDecodeError: For anything that is not a valid response body.
    """
    return _codec(wire, format, strict).decode_response(buf)


def encode_response(
    body: Body,
    wire: Wire = "camel",
    format: Format = "json",
) -> bytes:
    """Encode a response body (see :meth:`UsageCodec.encode_response`).

    Raises:
        UsageValueError: When a value has no faithful encoding.
    """
    return _codec(wire, format, False).encode_response(body)


def extract_usage(
    body: bytes | bytearray | memoryview | str,
    wire: Wire = "camel",
    format: Format = "json",
    strict: bool = False,
) -> Usage | None:
    """Return the usage of a response body, or ``None`` (see :meth:`UsageCodec.extract_usage`).

    Raises:
        UsageDecodeError: When the body is not a valid response body.
    """
    return _codec(wire, format, strict).extract_usage(body)
