"""Decoding and encoding: :class:`UsageCodec` and the one-off convenience functions.

How a decode runs (the design in one place):

1. **Hot path.** The input goes straight to a prebuilt msgspec decoder of the *strict* class
   of the first dialect (for camel: the public class itself). A strict class never skips a
   value, so its nesting depth is bounded by the type: no depth check, no copy, no dict.
   For the snake dialect, the decoded twin becomes a public instance by class assignment.
2. **Anything else** (unknown fields, another dialect under ``auto``, a byte-order mark, a
   wrong input type, an error) takes the slow path, which normalises the input, bounds the
   nesting depth itself (:data:`MAX_DEPTH`, never the interpreter's recursion limit), tries
   the lenient classes and the other dialect, and turns whatever failed into one
   :class:`UsageDecodeError` with a JSON path.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, Generic, Literal, TypeVar, final, overload

import msgspec
from msgspec import UNSET

from . import _bodyscan, _hot, _mpscan, _scan
from ._errors import UsageDecodeError, UsageValueError
from ._messages import dialect_problem, translate
from ._models import (
    PostV2ProxyImagesVariationsInputTokensDetails as Details,
)
from ._models import (
    PostV2ProxyImagesVariationsResponseBody as Body,
)
from ._models import (
    PostV2ProxyImagesVariationsUsage as Usage,
)
from ._variants import ADOPT, DIALECTS, Dialect

__all__ = [
    "MAX_DEPTH",
    "Format",
    "UsageCodec",
    "Wire",
    "decode_response",
    "decode_usage",
    "encode_response",
    "encode_usage",
    "extract_usage",
    "json_schema",
]

Wire = Literal["camel", "snake", "auto"]
"""Wire dialect: ``camel`` (TypeScript SDK, reference page), ``snake`` (the HTTP API) or
``auto`` (either, per document; camel is tried first)."""
Format = Literal["json", "msgpack"]
"""Serialisation format."""

MAX_DEPTH = _scan.MAX_DEPTH
"""Deepest nesting of arrays and objects accepted in a document (bounded by the codec)."""

_WIRES = ("camel", "snake", "auto")
_FORMATS = ("json", "msgpack")
_ORDER: dict[str, tuple[str, ...]] = {
    "camel": ("camel",),
    "snake": ("snake",),
    "auto": ("camel", "snake"),
}

# Every exception a msgspec decode can raise on bad input: msgspec's own (DecodeError and
# ValidationError are ValueErrors), UnicodeDecodeError/UnicodeEncodeError (ValueErrors),
# TypeError (not a buffer), RecursionError, OverflowError, BufferError (not contiguous).
_CAUGHT = (
    ValueError,
    TypeError,
    RecursionError,
    OverflowError,
    BufferError,  # a strided memoryview
    msgspec.MsgspecError,
)

_T = TypeVar("_T", Usage, Body)
_BOM = codecs.BOM_UTF8


# --- errors (msgspec's wording is read in ._messages only) ---------------------------------

_translate = translate


def _off_dialect(err: UsageDecodeError) -> bool:
    """True when an error only says that the document is in another dialect.

    msgspec reports the first missing field in declaration order, so a usage whose very first
    field is missing was most likely written in the other dialect; so was a body whose usage
    (``$.usage``) has that problem.
    """
    return err.path in ("$", "$.usage") and dialect_problem(err.reason)


def _pick(errors: list[UsageDecodeError]) -> UsageDecodeError:
    """Choose the error to report when every dialect failed (auto)."""
    for err in errors:
        if not _off_dialect(err):
            return err
    return errors[0]


# --- input normalisation (slow path only) --------------------------------------------------


def _blank(line: bytes) -> bool:
    """An empty line, or one of JSON whitespace only (after a byte-order mark, if any)."""
    return not (line[3:] if line[:3] == _BOM else line).strip(b" \t\r")


def _normalize(buf: object, wire: str, fmt: str) -> bytes:
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
    if fmt == "json" and data[:3] == _BOM:
        data = data[3:]
    return data


# --- the plan of one codec -----------------------------------------------------------------


class _Attempt:
    """One way to decode: a decoder of one class variant and how to adopt its result."""

    __slots__ = ("adopt", "decode", "decode_lines", "lenient", "wire")

    def __init__(self, dialect: Dialect, cls: type, fmt: str, *, lenient: bool) -> None:
        target = (dialect.lenient if lenient else dialect.strict)[cls]
        decoder: Any = (
            msgspec.json.Decoder(target) if fmt == "json" else msgspec.msgpack.Decoder(target)
        )
        self.decode: Callable[[Any], Any] = decoder.decode
        self.decode_lines: Callable[[Any], list[Any]] | None = getattr(
            decoder, "decode_lines", None
        )
        self.adopt: Callable[[Any], Any] | None = None if target is cls else ADOPT[cls]
        self.lenient = lenient
        self.wire = dialect.name


class _Plan(Generic[_T]):
    """Everything one codec needs to decode one public class."""

    def __init__(self, cls: type[_T], wire: str, fmt: str, strict: bool) -> None:
        self.cls: type[_T] = cls
        self.wire = wire
        self.fmt = fmt
        self.strict = strict
        dialects = [DIALECTS[name] for name in _ORDER[wire]]
        self.attempts = [_Attempt(d, cls, fmt, lenient=False) for d in dialects]
        if not strict:
            self.attempts += [_Attempt(d, cls, fmt, lenient=True) for d in dialects]
        self.first = self.attempts[0]
        self._other: _Attempt | None = None

    def slow(self, buf: object) -> _T:
        """Decode robustly: normalise, bound the depth, try every variant, explain failures."""
        data = _normalize(buf, self.wire, self.fmt)
        failures: list[tuple[_Attempt, BaseException]] = []
        depth_checked = False
        for attempt in self.attempts:
            if attempt.lenient and not depth_checked:
                depth_checked = True
                self._check_depth(data)
            try:
                obj = attempt.decode(data)
            except _CAUGHT as exc:
                failures.append((attempt, exc))
                continue
            if attempt.adopt is not None:
                obj = attempt.adopt(obj)
            if self.strict:
                _strict_checks(obj, attempt.wire, self.fmt)
            return obj  # type: ignore[no-any-return]
        # Every attempt failed. For a lenient codec the strict attempts were only a fast path:
        # report what the lenient classes said.
        err = _pick(
            [_translate(exc, a.wire, self.fmt) for a, exc in failures if a.lenient != self.strict]
        )
        if not data.strip(b" \t\r\n"):
            err = UsageDecodeError("empty document", wire=self.wire, format=self.fmt)
        elif self.wire != "auto" and _off_dialect(err) and self._other_dialect_decodes(data):
            other = "snake" if self.wire == "camel" else "camel"
            err = UsageDecodeError(
                f"{err.reason}; the document is in the {other} dialect "
                f"(use wire={other!r} or wire='auto')",
                path=err.path,
                wire=err.wire,
                format=err.format,
            )
        if self.wire == "auto" and err.wire != "auto":
            err = UsageDecodeError(
                err.reason,
                path=err.path,
                wire=f"auto/{err.wire}",
                format=err.format,
                pos=err.pos,
            )
        raise err

    def _other_dialect_decodes(self, data: bytes) -> bool:
        if self._other is None:  # built on first need: most codecs never need it
            other = DIALECTS["snake" if self.wire == "camel" else "camel"]
            self._other = _Attempt(other, self.cls, self.fmt, lenient=True)
        if self._check_depth(data, raise_=False):
            return False
        try:
            self._other.decode(data)
        except _CAUGHT:
            return False
        return True

    def _check_depth(self, data: bytes, *, raise_: bool = True) -> bool:
        """Whether ``data`` nests deeper than MAX_DEPTH; raise the error if ``raise_``."""
        if self.fmt == "json":
            deep = _scan.exceeds_depth(data, MAX_DEPTH)
        else:
            deep = _msgpack_exceeds_depth(data, MAX_DEPTH)
        if deep and raise_:
            raise UsageDecodeError(
                f"nesting deeper than {MAX_DEPTH} levels", wire=self.wire, format=self.fmt
            )
        return deep

    def method(self, name: str, doc: str | None) -> Callable[..., _T]:
        """Build the hot-path method of a specialised codec class (see ``_hot``)."""
        first = self.first
        values: dict[str, Any] = {"_fast": first.decode, "_slow": self.slow, "_caught": _CAUGHT}
        if self.strict:
            template: Callable[..., Any] = _hot.decode_strict
            values.update(
                _adopt=first.adopt or _identity,
                _checks=_strict_checks,
                _wire=first.wire,
                _fmt=self.fmt,
            )
        elif first.adopt is None:
            template = _hot.decode
        elif self.cls is Usage:
            template = _hot.decode_usage_adopt
            values.update(_details=Details, _usage=Usage)
        else:
            template = _hot.decode_adopt
            values.update(_adopt=first.adopt)
        return _hot.bind(template, name, doc, **values)  # type: ignore[no-any-return]


def _identity(obj: Any) -> Any:
    return obj


def _msgpack_exceeds_depth(data: bytes, limit: int) -> bool:
    # A MessagePack container needs at least one byte per level: short input is safe.
    if len(data) <= limit:
        return False
    return _mpscan.walk(data, 0, stop_above=limit)[1] > limit


def _strict_checks(obj: Any, wire: str, fmt: str) -> None:
    """What ``strict=True`` adds on top of the strict classes: no negative count."""
    usage = obj if type(obj) is Usage else obj.usage
    if usage is UNSET:
        return
    prefix = "$" if type(obj) is Usage else "$.usage"
    d = usage.input_tokens_details
    camel = wire == "camel"
    for name, camel_name, value in (
        ("total_tokens", "totalTokens", usage.total_tokens),
        ("input_tokens", "inputTokens", usage.input_tokens),
        ("output_tokens", "outputTokens", usage.output_tokens),
        ("input_tokens_details.text_tokens", "inputTokensDetails.textTokens", d.text_tokens),
        ("input_tokens_details.image_tokens", "inputTokensDetails.imageTokens", d.image_tokens),
    ):
        if value < 0:
            raise UsageDecodeError(
                f"negative count {value!r} (strict)",
                path=f"{prefix}.{camel_name if camel else name}",
                wire=wire,
                format=fmt,
            )


# --- the codec -----------------------------------------------------------------------------


@final
class UsageCodec:
    """A reusable decoder/encoder for one wire dialect and one format.

    Build it once and reuse it: every decoder and encoder is prepared in the constructor.
    :meth:`decode` is the hot path (a prebuilt msgspec decoder behind one ``try``).

    Args:
        wire: ``"camel"`` (default), ``"snake"`` or ``"auto"`` (either dialect per
            document; camel is tried first and costs nothing extra).
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
        self._usage: _Plan[Usage] = type(self)._usage_plan
        self._body: _Plan[Body] = type(self)._body_plan

    _usage_plan: _Plan[Usage]
    _body_plan: _Plan[Body]

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_codec, (self.wire, self.format, self.strict))

    def __repr__(self) -> str:
        strict = ", strict=True" if self.strict else ""
        return f"UsageCodec(wire={self.wire!r}, format={self.format!r}{strict})"

    # The two methods below document the per-instance fast functions that replace them.

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
        return self._usage.slow(buf)  # pragma: no cover - replaced per codec class

    def decode_response(self, buf: bytes | bytearray | memoryview | str) -> Body:
        """Decode a full response body (``created``, ``data``, ..., ``usage``).

        Args:
            buf: The body, as for :meth:`decode`.

        Returns:
            A :class:`PostV2ProxyImagesVariationsResponseBody`.

        Raises:
            UsageDecodeError: For anything that is not a valid response body.
        """
        return self._body.slow(buf)  # pragma: no cover - replaced per codec class

    def extract_usage(self, body: bytes | bytearray | memoryview | str) -> Usage | None:
        """Return the usage of a full response body without building its ``data`` list.

        The body is validated as :meth:`decode_response` would validate it (malformed JSON
        anywhere, a control character inside the base64, a trailing comma or bytes after the
        closing brace are rejected), but long strings are checked in bulk and never turned
        into Python objects, and the ``data`` items of a JSON body over 16 KiB are validated
        a slice at a time: memory stays within a few times the body, however many items.

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
        first = self._usage.first
        assert first.decode_lines is not None
        try:
            objs = first.decode_lines(buf)
        except _CAUGHT:
            return self._slow_lines(buf)
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
        raise NotImplementedError  # pragma: no cover - replaced per codec class

    def encode_response(self, body: Body) -> bytes:
        """Encode a response body in this codec's dialect and format.

        Raises:
            UsageValueError: As :meth:`encode`.
        """
        raise NotImplementedError  # pragma: no cover - replaced per codec class

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
    namespace = {
        "__doc__": UsageCodec.__doc__,
        "__module__": UsageCodec.__module__,
        "__qualname__": "UsageCodec",
        "_usage_plan": usage_plan,
        "_body_plan": body_plan,
        "decode": usage_plan.method("decode", UsageCodec.decode.__doc__),
        "decode_response": body_plan.method("decode_response", UsageCodec.decode_response.__doc__),
        "encode": _encode_method(Usage, wire, fmt, "encode", UsageCodec.encode.__doc__),
        "encode_response": _encode_method(
            Body, wire, fmt, "encode_response", UsageCodec.encode_response.__doc__
        ),
    }
    return type("UsageCodec", (UsageCodec,), namespace)


def _encode_method(cls: type, wire: str, fmt: str, name: str, doc: str | None) -> Any:
    """Build the encode method of a specialised codec class (see ``_hot``)."""
    convert = DIALECTS["camel" if wire == "auto" else wire].to_wire[cls]
    encoder: Any = msgspec.json.Encoder() if fmt == "json" else msgspec.msgpack.Encoder()

    def refuse(obj: object) -> bytes:
        raise UsageValueError(
            f"expected {cls.__name__}, got {type(obj).__name__}", path="", value=obj
        )

    if cls is Usage:
        # The five counts are checked in place: all ints is the common case and needs no more.
        twins = DIALECTS["camel" if wire == "auto" else wire].strict
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


# --- convenience functions -----------------------------------------------------------------


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


@overload
def json_schema(
    *, wire: Literal["camel", "snake"] = ..., strict: bool = ...
) -> dict[str, Any]: ...
@overload
def json_schema(
    kind: Literal["usage", "response"],
    *,
    wire: Literal["camel", "snake"] = ...,
    strict: bool = ...,
) -> dict[str, Any]: ...
def json_schema(
    kind: Literal["usage", "response"] = "usage",
    *,
    wire: Literal["camel", "snake"] = "camel",
    strict: bool = False,
) -> dict[str, Any]:
    """Return the JSON Schema (2020-12) of the usage object or of the response body.

    Args:
        kind: ``"usage"`` (default) or ``"response"``.
        wire: ``"camel"`` or ``"snake"``: the property names of the schema.
        strict: Describe what ``strict=True`` accepts (no additional properties, no negative
            count) instead of the default.

    Returns:
        The schema as a dict, ready for ``json.dumps``.
    """
    if wire not in ("camel", "snake"):
        raise ValueError(f"wire must be 'camel' or 'snake', not {wire!r}")
    if kind not in ("usage", "response"):
        raise ValueError(f"kind must be 'usage' or 'response', not {kind!r}")
    dialect = DIALECTS[wire]
    cls = Usage if kind == "usage" else Body
    target = (dialect.strict if strict else dialect.lenient)[cls]
    schema = msgspec.json.schema(target)
    if strict:
        for definition in schema["$defs"].values():
            if definition["title"] in (
                "PostV2ProxyImagesVariationsUsage",
                "PostV2ProxyImagesVariationsInputTokensDetails",
            ):
                for prop in definition["properties"].values():
                    for alternative in prop.get("anyOf", ()):
                        alternative["minimum"] = 0
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
