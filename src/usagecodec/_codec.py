"""Decoding and encoding: :class:`UsageCodec`, a class specialised per configuration.

The rest of the decode lives beside it, one job a module: :mod:`._input` (what a decode
takes), :mod:`._plan` (the attempts of one configuration), :mod:`._messages` (msgspec's
wording), :mod:`._functions` (the one-off functions), :mod:`._schema` (the JSON Schema).

How a decode runs (the design in one place):

1. **Hot path.** The input goes straight to a prebuilt msgspec decoder of the *strict* class
   of the first dialect (for camel: the public class itself). A strict class never skips a
   value, so its nesting depth is bounded by the type: no depth check, no copy, no dict.
   For the snake dialect, the decoded twin becomes a public instance by class assignment.
   The hot paths are functions held in each codec's ``__dict__`` (see :mod:`._hot`); under
   ``auto`` they are the instance's own and try first the dialect it last decoded (the
   other dialect's strict class comes next, before the slow path).
2. **Anything else** (unknown fields, a byte-order mark, a wrong input type, an error;
   under ``auto``, a document neither strict class takes) takes the slow path, which
   normalises the input, bounds the nesting depth itself (:data:`MAX_DEPTH`, never the
   interpreter's recursion limit), tries the lenient classes and the other dialect, and
   turns whatever failed into one :class:`UsageDecodeError` with a JSON path.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, final

import msgspec
from msgspec import UNSET

from . import _bodyscan, _hot, _mpscan, _scan
from ._errors import UsageDecodeError, UsageValueError
from ._input import BOM as _BOM
from ._input import CAUGHT as _CAUGHT
from ._input import FORMATS as _FORMATS
from ._input import MAX_DEPTH, Format, Wire
from ._input import WIRES as _WIRES
from ._input import blank as _blank
from ._input import normalize as _normalize
from ._models import (
    PostV2ProxyImagesVariationsInputTokensDetails as Details,
)
from ._models import (
    PostV2ProxyImagesVariationsResponseBody as Body,
)
from ._models import (
    PostV2ProxyImagesVariationsUsage as Usage,
)
from ._plan import Plan as _Plan
from ._plan import adaptive as _adaptive
from ._plan import exact_body_usage as _exact_body_usage
from ._plan import extract_method as _extract_method
from ._plan import strict_checks as _strict_checks
from ._variants import DIALECTS

__all__ = ["MAX_DEPTH", "Format", "UsageCodec", "Wire"]


# --- the codec -----------------------------------------------------------------------------


@final
class UsageCodec:
    """A reusable decoder/encoder for one wire dialect and one format.

    Build it once and reuse it: every decoder and encoder is prepared in the constructor.
    :meth:`decode` is the hot path (a prebuilt msgspec decoder behind one ``try``).

    Args:
        wire: ``"camel"`` (default), ``"snake"`` or ``"auto"`` (either dialect per
            document; each codec tries first the dialect it last decoded, so a run of
            documents in one dialect costs what that dialect's codec costs).
        format: ``"json"`` (default) or ``"msgpack"``.
        strict: Reject unknown fields (naming them) and negative counts. By default unknown
            fields are ignored, as the official SDKs do.

    Example:
        >>> codec = UsageCodec()
        >>> u = codec.decode(b'{"totalTokens":3,"inputTokens":2,"outputTokens":1,'
        ...                  b'"inputTokensDetails":{"textTokens":1,"imageTokens":1}}')
        >>> u.total_tokens
        3
        >>> UsageCodec(wire="snake").encode(u)
        b'{"total_tokens":3,"input_tokens":2,"output_tokens":1,"input_tokens_details":{"text_tokens":1,"image_tokens":1}}'
    """

    wire: Wire
    format: Format
    strict: bool

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # The only subclasses are the per-configuration classes built by _specialized().
        if "_usage_plan" not in cls.__dict__:
            raise TypeError("UsageCodec is not designed for subclassing; wrap it instead")
        super().__init_subclass__(**kwargs)

    def __new__(
        cls,
        wire: Wire = "camel",
        format: Format = "json",
        *,
        strict: bool = False,
    ) -> UsageCodec:
        target = _specialized(wire, format, strict) if cls is UsageCodec else cls
        return object.__new__(target)

    def __init__(
        self,
        wire: Wire = "camel",
        format: Format = "json",
        *,
        strict: bool = False,
    ) -> None:
        self.wire = wire
        self.format = format
        self.strict = strict
        cls = type(self)
        self._usage: _Plan[Usage] = cls._usage_plan
        self._body: _Plan[Body] = cls._body_plan
        self._hint: dict[str, Any] | None = None
        # The hot paths, called without binding (see _hot): this configuration's functions.
        self.__dict__.update(cls._hot_paths)
        if wire == "auto" and not strict:
            # Functions of this instance, which try first the dialect it last decoded.
            self.__dict__.update(
                _adaptive(self, self._usage, self._body, UsageCodec.extract_usage)
            )

    _usage_plan: _Plan[Usage]
    _body_plan: _Plan[Body]
    _hot_paths: dict[str, Any]
    _exact_body_usage: Callable[[Any], Any]
    """Lenient codecs: the usage of a body a strict body class decodes (see ``_hot``)."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_codec, (self.wire, self.format, self.strict))

    def __repr__(self) -> str:
        strict = ", strict=True" if self.strict else ""
        return f"UsageCodec(wire={self.wire!r}, format={self.format!r}{strict})"

    # The methods below document the functions that each instance holds in its __dict__ (its
    # configuration's hot paths) and give the same results when called through the class.

    def decode(self, buf: bytes | bytearray | memoryview | str) -> Usage:
        """Decode one usage document.

        Args:
            buf: The document: ``bytes``, ``bytearray``, ``memoryview`` (any contiguous
                buffer) or ``str``. A leading UTF-8 byte-order mark is ignored.

        Returns:
            A :class:`PostV2ProxyImagesVariationsUsage`, whatever the dialect.

        Raises:
            UsageDecodeError: For anything that is not a valid usage document, with the JSON
                path of the offending value.
        """
        return self._usage.slow(buf)

    def decode_response(self, buf: bytes | bytearray | memoryview | str) -> Body:
        """Decode a full response body (``created``, ``data``, ..., ``usage``).

        Args:
            buf: The body, as for :meth:`decode`.

        Returns:
            A :class:`PostV2ProxyImagesVariationsResponseBody`.

        Raises:
            UsageDecodeError: For anything that is not a valid response body.
        """
        return self._body.slow(buf)

    def extract_usage(self, body: bytes | bytearray | memoryview | str) -> Usage | None:
        """Return the usage of a full response body, in memory bounded by the body's size.

        The body is validated as :meth:`decode_response` would validate it (malformed JSON
        anywhere, a control character inside the base64, a trailing comma or bytes after the
        closing brace are rejected). A body of up to 16 KiB is simply decoded whole, which is
        the fastest way. In a larger JSON body long strings are checked in bulk and never
        turned into Python objects, and the ``data`` items are validated a slice at a time:
        memory stays within a few times the body, however many items.

        Args:
            body: The response body, as for :meth:`decode`.

        Returns:
            The usage, or ``None`` when the body has none.

        Raises:
            UsageDecodeError: When :meth:`decode_response` would raise, with its message.
        """
        data = _normalize(body, self.wire, self.format)
        if self.format != "json" or data[:3] == _BOM:
            # MessagePack, or a second byte-order mark (an error decode_response reports).
            usage = self.decode_response(body).usage
            return None if usage is UNSET else usage
        try:
            remainder = _scan.prescan(data)
        except _scan.ScanError:
            remainder = None  # an invalid long string: decoding the body gives the message
        if remainder is not None:
            try:
                usage = _bodyscan.body_usage(self, remainder)
            except UsageDecodeError:
                pass  # positions would refer to the remainder: decode the body itself
            else:
                return None if usage is UNSET else usage
        usage = _bodyscan.body_usage(self, data)
        return None if usage is UNSET else usage

    def decode_lines(self, buf: bytes | bytearray | memoryview | str) -> list[Usage]:
        r"""Decode every usage in a buffer.

        For ``format="json"`` the buffer is NDJSON: one document a line, ``\n`` or ``\r\n``
        endings, blank lines skipped. For ``format="msgpack"`` it is a stream of
        concatenated MessagePack documents.

        Args:
            buf: The whole buffer.

        Returns:
            The usages, in order.

        Raises:
            UsageDecodeError: At the first bad document, with its 1-based line number
                (``lineno``; for MessagePack, the document's index + 1).
        """
        if self.format == "msgpack":
            return self._msgpack_stream(buf)
        attempts, hint = self._usage.attempts, self._hint
        first = attempts[1] if hint is not None and hint["_snake"] else attempts[0]
        assert first.decode_lines is not None
        try:
            objs = first.decode_lines(buf)
        except _CAUGHT:
            if hint is None:
                return self._slow_lines(buf)
            # wire="auto": the other dialect, for the whole buffer, then line by line.
            first = attempts[0] if first is attempts[1] else attempts[1]
            assert first.decode_lines is not None
            try:
                objs = first.decode_lines(buf)
            except _CAUGHT:
                return self._slow_lines(buf)
            hint["_snake"] = first.wire == "snake"
        if first.adopt is not None:
            adopt = first.adopt
            for obj in objs:
                adopt(obj)
        if self.strict:
            try:
                for obj in objs:
                    _strict_checks(obj, first.wire, self.format)
            except UsageDecodeError:
                return self._slow_lines(buf)  # raises, naming the line
        return objs

    def _slow_lines(self, buf: object) -> list[Usage]:
        data = _normalize(buf, self.wire, self.format)
        decode = self.decode
        out: list[Usage] = []
        for lineno, line in enumerate(data.split(b"\n"), 1):
            if _blank(line):
                continue
            try:
                out.append(decode(line))
            except UsageDecodeError as err:
                raise err.located(lineno=lineno) from err.__cause__
        return out

    def _msgpack_stream(self, buf: object) -> list[Usage]:
        data = _normalize(buf, self.wire, self.format)
        view = memoryview(data)
        # The hot path: the strict decoder on the exact document first; on anything else the
        # slow path, which bounds the nesting depth before a lenient decoder skips values.
        decode = self.decode
        walker = _mpscan.Walker(stop_above=MAX_DEPTH)
        out: list[Usage] = []
        pos, index, size = 0, 1, len(data)
        while pos < size:
            # The document's end, from its structure. One that cannot be delimited (truncated,
            # holding the never-used type byte 0xc1, or too deep to decode: the walk stops
            # there) runs to the end of the buffer, and its decode raises.
            walker.reset()
            end = walker.run(data, pos)
            if not walker.done or end > size:
                end = size
            try:
                out.append(decode(view[pos:end]))
            except UsageDecodeError as err:
                raise err.located(lineno=index) from err.__cause__
            pos = end
            index += 1
        return out

    def encode(self, usage: Usage) -> bytes:
        """Encode a usage in this codec's dialect and format.

        ``wire="auto"`` encodes camelCase. Objects are checked when they are built, so
        encoding only has to guard against what msgspec would silently alter: a NaN or an
        infinity (JSON has no form for them; msgspec writes ``null``), which only an object
        built around the checks (``msgspec.structs.replace``) can hold. The output is
        scanned for their trace (``null`` in JSON, a 64-bit float in MessagePack) and, when
        it is there, the object is checked field by field.

        Raises:
            UsageValueError: For a non-usage, and for a value the check refuses.
        """
        return self.__dict__["encode"](usage)  # type: ignore[no-any-return]

    def encode_response(self, body: Body) -> bytes:
        """Encode a response body in this codec's dialect and format.

        Raises:
            UsageValueError: As :meth:`encode`.
        """
        return self.__dict__["encode_response"](body)  # type: ignore[no-any-return]

    def encode_lines(self, usages: Iterable[Usage]) -> bytes:
        r"""Encode usages as NDJSON (one per line, ``\n`` endings) or a MessagePack stream."""
        encode = self.encode
        if self.format == "json":
            return b"".join(encode(u) + b"\n" for u in usages)
        return b"".join(encode(u) for u in usages)


@cache
def _specialized(wire: str, fmt: str, strict: bool) -> type[UsageCodec]:
    """The UsageCodec subclass for one configuration, with its hot-path methods built in."""
    if wire not in _WIRES:
        raise ValueError(f"wire must be one of {', '.join(_WIRES)}, not {wire!r}")
    if fmt not in _FORMATS:
        raise ValueError(f"format must be one of {', '.join(_FORMATS)}, not {fmt!r}")
    if not isinstance(strict, bool):
        raise TypeError(f"strict must be a bool, not {type(strict).__name__}")
    usage_plan = _Plan(Usage, wire, fmt, strict)
    body_plan = _Plan(Body, wire, fmt, strict)
    hot_paths = {
        "decode": usage_plan.method("decode", UsageCodec.decode.__doc__),
        "decode_response": body_plan.method("decode_response", UsageCodec.decode_response.__doc__),
        "encode": _encode_method(Usage, wire, fmt, "encode", UsageCodec.encode.__doc__),
        "encode_response": _encode_method(
            Body, wire, fmt, "encode_response", UsageCodec.encode_response.__doc__
        ),
    }
    namespace = {
        "__doc__": UsageCodec.__doc__,
        "__module__": UsageCodec.__module__,
        "__qualname__": "UsageCodec",
        "_usage_plan": usage_plan,
        "_body_plan": body_plan,
        "_hot_paths": hot_paths,
    }
    cls = type("UsageCodec", (UsageCodec,), namespace)
    # extract_usage falls back to the general method, which needs a codec: any codec of this
    # configuration answers alike, so one is made for it.
    general = types.MethodType(UsageCodec.extract_usage, cls(wire, fmt, strict=strict))
    extract = _extract_method(body_plan, general, UsageCodec.extract_usage.__doc__)
    if extract is not None:
        hot_paths["extract_usage"] = extract
        hot_paths["_exact_body_usage"] = _exact_body_usage(body_plan)
    return cls


def _encode_method(cls: type, wire: str, fmt: str, name: str, doc: str | None) -> Any:
    """Build the encode function of a codec configuration (see ``_hot``)."""
    convert = DIALECTS["camel" if wire == "auto" else wire].to_wire[cls]
    encoder: Any = msgspec.json.Encoder() if fmt == "json" else msgspec.msgpack.Encoder()

    def refuse(obj: object) -> bytes:
        raise UsageValueError(
            f"expected {cls.__name__}, got {type(obj).__name__}", path="", value=obj
        )

    if cls is Usage:
        # The five counts are checked in place: all ints is the common case and needs no more.
        twins = DIALECTS["camel" if wire == "auto" else wire].encoding
        return _hot.bind(
            _hot.encode_usage if convert is None else _hot.encode_usage_convert,
            name,
            doc,
            _cls=cls,
            _details=Details,
            _encode=encoder.encode,
            _twin=twins[Usage],
            _twin_details=twins[Details],
            _refuse=refuse,
        )
    return _hot.bind(
        _hot.encode if convert is None else _hot.encode_convert,
        name,
        doc,
        _cls=cls,
        _encode=encoder.encode,
        _convert=convert,
        # What a non-finite number leaves in the output: JSON null, a MessagePack float64.
        _suspect=b"null" if fmt == "json" else b"\xcb",
        _refuse=refuse,
    )


def _rebuild_codec(wire: Wire, fmt: Format, strict: bool) -> UsageCodec:
    return UsageCodec(wire, fmt, strict=strict)
