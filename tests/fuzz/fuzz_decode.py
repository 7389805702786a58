#!/usr/bin/env python3
"""Coverage-guided fuzzing of every usagecodec decode entry point (atheris, libFuzzer).

Each input is one selector byte followed by the document. The selector picks the entry point
(decode_usage, decode_response, extract_usage, decode_lines, read_usages), the wire dialect,
the format, ``strict``, the input kind (bytes, bytearray, memoryview, str) and whether the
document is embedded as an unknown field of a valid usage (so the skip path sees it). Any
exception other than :class:`usagecodec.UsageDecodeError` is a finding, and so is a broken
invariant: extract_usage must agree with decode_response, and a decoded usage must survive an
encode/decode round trip. See README.md beside this file for how to run it.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from typing import Any

import atheris  # type: ignore[import-untyped]
import msgspec

with atheris.instrument_imports():
    import usagecodec
    from usagecodec import UsageCodec, UsageDecodeError

WIRES = ("camel", "snake", "auto")
FORMATS = ("json", "msgpack")
ENVELOPE = {
    "camel": b'{"totalTokens":10,"inputTokens":6,"outputTokens":4,'
    b'"inputTokensDetails":{"textTokens":5,"imageTokens":1}}',
    "snake": b'{"total_tokens":10,"input_tokens":6,"output_tokens":4,'
    b'"input_tokens_details":{"text_tokens":5,"image_tokens":1}}',
}
CODECS = {
    (wire, fmt, strict): UsageCodec(wire, fmt, strict=strict)  # type: ignore[arg-type]
    for wire in WIRES
    for fmt in FORMATS
    for strict in (False, True)
}


def _as_kind(data: bytes, kind: int) -> Any:
    if kind == 0:
        return data
    if kind == 1:
        return bytearray(data)
    if kind == 2:
        return memoryview(data)
    return data.decode("utf-8", "surrogateescape")  # a str; may hold lone surrogates


def _same_outcome(a: Callable[[], Any], b: Callable[[], Any]) -> tuple[Any, Any]:
    """Run two decoders; return both values, or raise if only one of them rejects."""
    results: list[Any] = []
    errors: list[str | None] = []
    for fn in (a, b):
        try:
            results.append(fn())
            errors.append(None)
        except UsageDecodeError as err:
            results.append(None)
            errors.append(str(err))
    if errors[0] != errors[1]:
        raise AssertionError(f"decoders disagree: {errors[0]!r} != {errors[1]!r}")
    return results[0], results[1]


def _read_usages(data: bytes, wire: str, strict: bool, options: int) -> None:
    read_usages = getattr(usagecodec, "read_usages", None)
    if read_usages is None:  # the streaming reader is not in this version of the package
        return
    chunk_size = (1, 7, 64, 1 << 20)[options & 0b11]
    on_error = ("raise", "collect")[(options >> 2) & 1]
    reader = read_usages(
        io.BytesIO(data), wire=wire, strict=strict, chunk_size=chunk_size, on_error=on_error
    )
    if on_error == "raise":
        for usage in reader:
            assert type(usage) is usagecodec.Usage
    else:
        reader.totals()


def test_one_input(raw: bytes) -> None:
    """Decode one fuzzer input through the entry point its two header bytes select.

    Byte 0: entry point (bits 0-1: decode, decode_response + extract_usage, decode_lines,
    read_usages) and input kind (bits 4-5: bytes, bytearray, memoryview, str). Byte 1: wire
    (value % 3), format (bit 2), strict (bit 3), embedded as field ``x`` (bit 4), reader chunk
    size and error policy (bits 5-7).
    """
    if len(raw) < 2:
        return
    entry, kind = raw[0] & 0b11, (raw[0] >> 4) & 0b11
    wire = WIRES[raw[1] % 3]
    fmt = FORMATS[(raw[1] >> 2) & 1]
    strict = bool((raw[1] >> 3) & 1)
    data = raw[2:]
    if (raw[1] >> 4) & 1 and fmt == "json":
        envelope = ENVELOPE["snake" if wire == "snake" else "camel"]
        data = b'{"x":' + data + b"," + envelope[1:]
    codec = CODECS[(wire, fmt, strict)]
    buf = _as_kind(data, kind)
    try:
        if entry == 0:
            usage, again = _same_outcome(
                lambda: codec.decode(buf),
                lambda: usagecodec.decode_usage(buf, wire, fmt, strict),  # type: ignore[arg-type]
            )
            if usage is not None:
                assert type(usage) is usagecodec.Usage
                assert again == usage
                assert codec.decode(codec.encode(usage)) == usage
        elif entry == 1:
            body, usage = _same_outcome(
                lambda: codec.decode_response(buf), lambda: codec.extract_usage(buf)
            )
            if body is not None:
                assert usage == (None if body.usage is msgspec.UNSET else body.usage)
            _same_outcome(
                lambda: usagecodec.decode_response(buf, wire, fmt, strict),  # type: ignore[arg-type]
                lambda: usagecodec.extract_usage(buf, wire, fmt, strict),  # type: ignore[arg-type]
            )
        elif entry == 2:
            for usage in codec.decode_lines(buf):
                assert type(usage) is usagecodec.Usage
        elif fmt == "json":
            _read_usages(data, wire, strict, raw[1] >> 5)
        else:
            codec.decode_lines(buf)
    except UsageDecodeError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
