"""Token usage in Python logging, structlog and OpenTelemetry metrics.

No dependency beyond msgspec for logging; :func:`record_token_usage` needs
``opentelemetry-api`` (the optional extra ``usagecodec[otel]``), imported only when it is
called.

Log a response (or its usage) in ``extra`` and let :class:`UsageFilter` decode it::

    logger.info("image variation done", extra={"response_body": raw_bytes})
    logger.info("image variation done", extra={"usage": usage_obj_or_bytes_or_dict})

The attribute ``usage`` (or, when absent, ``response_body``) may hold a :class:`~usagecodec.Usage`,
a response body object, JSON ``bytes``/``bytearray``/``memoryview``/``str`` (a bare usage or a
full response body, camel or snake: ``wire="auto"``), or a ``dict`` of either. ``None`` means
"no usage" and is left alone. The filter then sets on the record:

==================================  ==========================================================
``usage_total_tokens``              ``total_tokens`` (names that work in every format style:
``usage_input_tokens``              ``%(usage_input_tokens)s``, ``{usage_input_tokens}``,
``usage_output_tokens``             ``$usage_input_tokens``)
``usage_text_tokens``               ``input_tokens_details.text_tokens``
``usage_image_tokens``              ``input_tokens_details.image_tokens``
``usage_attributes``                the OpenTelemetry mapping, :meth:`Usage.otel_attributes`
``gen_ai.usage.input_tokens`` ...   the same five values under their OpenTelemetry names,
                                    set in the record's ``__dict__`` (``otel_names=True``, the
                                    default) for handlers that export a record's attributes,
                                    such as OpenTelemetry's ``LoggingHandler``
``usage_error``                     instead of all of the above, when the value does not
                                    decode: ``"<reason> - at `<path>`"``
==================================  ==========================================================

The filter never raises and never drops a record. A body without ``usage`` sets nothing.
Records without either attribute are passed through untouched (two dictionary look-ups), so
a format string naming usage fields needs defaults for them: pass :data:`FORMAT_DEFAULTS` as
``logging.Formatter(fmt, defaults=FORMAT_DEFAULTS)``. Attach the filter to a *handler* (a
logger's filters do not see records propagated from its children).

OpenTelemetry names, after the GenAI semantic conventions (``gen_ai.*`` attributes, metric
``gen_ai.client.token.usage``): ``gen_ai.usage.input_tokens`` and
``gen_ai.usage.output_tokens`` are the conventions' own; they define no total and no input
breakdown by modality, so those are namespaced under ``orq.usage``:
``orq.usage.total_tokens``, ``orq.usage.input_tokens_details.text_tokens`` and
``orq.usage.input_tokens_details.image_tokens``.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import logging
import math
import weakref
from collections.abc import Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from usagecodec._codec import MAX_DEPTH, UsageCodec, Wire
from usagecodec._errors import UsageDecodeError
from usagecodec._hot import NOT_EXACT as _NOT_EXACT
from usagecodec._line import LineDecoder
from usagecodec._models import PostV2ProxyImagesVariationsResponseBody as ResponseBody
from usagecodec._models import PostV2ProxyImagesVariationsUsage as Usage
from usagecodec._scan import ScanError as _ScanError
from usagecodec._scan import prescan as _prescan

if TYPE_CHECKING:
    from opentelemetry.metrics import Histogram, Meter
    from opentelemetry.util.types import AttributeValue

__all__ = [
    "FORMAT_DEFAULTS",
    "IMAGE_TOKENS",
    "INPUT_TOKENS",
    "OTEL_NAMES",
    "OUTPUT_TOKENS",
    "TEXT_TOKENS",
    "TOKEN_USAGE_BUCKETS",
    "TOKEN_USAGE_METRIC",
    "TOTAL_TOKENS",
    "JsonFormatter",
    "StructlogProcessor",
    "UsageFilter",
    "record_token_usage",
    "structlog_processor",
]

INPUT_TOKENS = "gen_ai.usage.input_tokens"
"""OpenTelemetry GenAI attribute: tokens in the input."""
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
"""OpenTelemetry GenAI attribute: tokens in the output."""
TOTAL_TOKENS = "orq.usage.total_tokens"
"""Namespaced attribute for ``total_tokens`` (the conventions define no total)."""
TEXT_TOKENS = "orq.usage.input_tokens_details.text_tokens"
"""Namespaced attribute for ``input_tokens_details.text_tokens``."""
IMAGE_TOKENS = "orq.usage.input_tokens_details.image_tokens"
"""Namespaced attribute for ``input_tokens_details.image_tokens``."""

OTEL_NAMES: Mapping[str, str] = {
    "usage_input_tokens": INPUT_TOKENS,
    "usage_output_tokens": OUTPUT_TOKENS,
    "usage_total_tokens": TOTAL_TOKENS,
    "usage_text_tokens": TEXT_TOKENS,
    "usage_image_tokens": IMAGE_TOKENS,
}
"""Record attribute set by :class:`UsageFilter` -> its OpenTelemetry name."""

FORMAT_DEFAULTS: Mapping[str, Any] = {**dict.fromkeys(OTEL_NAMES, "-"), "usage_error": "-"}
"""Defaults for ``logging.Formatter(..., defaults=...)``: ``"-"`` for records without usage."""

TOKEN_USAGE_METRIC = "gen_ai.client.token.usage"
"""The OpenTelemetry GenAI histogram of token counts (unit ``{token}``)."""
TOKEN_USAGE_BUCKETS: Sequence[float] = tuple(float(4**k) for k in range(14))
"""Bucket boundaries the conventions recommend for it: 1, 4, 16, ... 67108864."""

_DONE = "usage_attributes"
_ERROR = "usage_error"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, UsageDecodeError):
        return f"{exc.reason} - at `{exc.path}`"
    try:
        return f"{type(exc).__name__}: {exc}"
    except Exception:  # a __str__ that fails too
        return type(exc).__name__


_SMALL = 4096
"""Values up to this size are tried as a bare usage first (as ``LineDecoder`` does)."""
_SCALARS = frozenset([int, str, float, bool, type(None)])


class _Decoder:
    """Turn whatever a record carries into a usage (or ``None``), raising on bad input.

    The reference meaning is ``LineDecoder``'s for text and that of the JSON encoding for a
    dict. Fast paths handle the common values (a ``Usage``, a usage or a response body as
    ``bytes``, a plain dict) with the codec's ``decode``, ``extract_usage`` and, for a small
    body, its strict body classes (``_exact_body_usage``); each takes a shortcut only when it
    can tell that ``LineDecoder`` would return the same usage, and hands the value to
    ``LineDecoder`` otherwise (so every error is its error).
    """

    def __init__(self, wire: Wire) -> None:
        codec = UsageCodec(wire, "json")
        self.line = LineDecoder(codec, None)
        self.wire = wire
        self.usage = codec.decode
        self.extract = codec.extract_usage
        self.exact = codec._exact_body_usage
        self._encode = msgspec.json.encode

    def __call__(self, value: object) -> Usage | None:
        """Return the usage ``value`` holds, ``None`` when it holds none, or raise."""
        return self.decode(value)

    def decode(self, value: object) -> Usage | None:
        """Return the usage ``value`` holds, ``None`` when it holds none, or raise."""
        kind = type(value)
        if kind is bytes:
            return self._bytes(value)  # type: ignore[arg-type]
        if kind is Usage:
            return value  # type: ignore[return-value]
        if kind is dict:
            if not _shallow(value) and _too_deep(value):  # type: ignore[arg-type]
                raise UsageDecodeError(f"nesting deeper than {MAX_DEPTH} levels", wire=self.wire)
            return self._bytes(self._encode(value))
        if isinstance(value, (bytes, bytearray, memoryview, str)):
            return self.line(value)  # type: ignore[arg-type]
        if value is None:
            return None
        if isinstance(value, Mapping):
            if _too_deep(value):
                raise UsageDecodeError(f"nesting deeper than {MAX_DEPTH} levels", wire=self.wire)
            return self.line(self._encode(value))
        if isinstance(value, ResponseBody):
            return None if value.usage is msgspec.UNSET else value.usage
        raise TypeError(
            f"expected bytes, str, dict, Usage or a response body, got {type(value).__name__}"
        )

    def _bytes(self, data: bytes) -> Usage | None:
        """``LineDecoder(data)``, with shortcuts for a bare usage and for a response body.

        A bare usage (it starts with ``{"t``, as every encoder writes one): whatever
        ``decode`` returns is what ``LineDecoder`` returns, as the strict classes it tries
        first (in either order) accept disjoint documents.

        A response body that a strict body class decodes (no unknown field) has no top-level
        key a usage reads, so every usage class fails on it with a wrong-shape error and
        ``LineDecoder`` returns the usage of the body. A longer one: see
        :func:`_no_usage_keys`.
        """
        if len(data) <= _SMALL:
            if len(data) > 2 and data[2] == 116:  # b'{"t...': most likely a bare usage
                try:
                    return self.usage(data)
                except UsageDecodeError:
                    return self.line(data)
            usage = self.exact(data)
            if usage is _NOT_EXACT:
                return self.line(data)
            return usage  # type: ignore[no-any-return]
        # A long record: LineDecoder tries it as a body first, then as a usage only when the
        # body decodes and has a top-level usage key. First, as extract_usage does, its long
        # strings are validated in bulk and emptied (_scan.prescan: the rest parses as the
        # whole would); a strict body class that reads the rest proves there is no such key.
        # Otherwise the usage comes from extract_usage (of the rest: the same answer, or an
        # error for both) and the rest's keys are counted (see _no_usage_keys).
        try:
            remainder = _prescan(data)
        except _ScanError:
            remainder = None  # an invalid long string: extract_usage decides what it means
        if remainder is not None:
            usage = self.exact(remainder)
            if usage is not _NOT_EXACT:
                return usage  # type: ignore[no-any-return]
        rest = data if remainder is None else remainder
        try:
            usage = self.extract(rest)
        except UsageDecodeError:
            return self.line(data)
        if _no_usage_keys(rest, usage is not None):
            return usage
        return self.line(data)


def _no_usage_keys(body: bytes, has_usage: bool) -> bool:
    """Whether a valid response body surely has no top-level key that a usage reads.

    Every key a usage reads, in either dialect (``totalTokens``, ``input_tokens_details``...),
    contains ``okens``, and a valid usage object holds six such keys (four, and two in its
    details). Without any backslash in the body every key appears as it is, so a body whose
    only six ``okens`` are its own usage object's (or, without a usage, that has none) has no
    usage key at the top level. ``False`` means "cannot tell".
    """
    if body.find(b"\\") >= 0:
        return False
    if has_usage:
        return body.count(b"okens") == _USAGE_OKENS
    return body.find(b"okens") < 0


_USAGE_OKENS = 6


def _shallow(value: dict[Any, Any]) -> bool:
    """A dict of scalars and of dicts of scalars (so not too deep), decided quickly."""
    scalars = _SCALARS
    for child in value.values():
        kind = type(child)
        if kind is dict:
            for grandchild in child.values():
                if type(grandchild) not in scalars:
                    return False
        elif kind not in scalars:
            return False
    return True


class UsageFilter(logging.Filter):
    """A logging filter that decodes the usage a record carries into record attributes.

    See the module's documentation for the attributes read and set. The filter always
    returns ``True``: it annotates, never drops, and never raises.

    Args:
        wire: Dialect of bytes, strings and dicts: ``"auto"`` (default), ``"camel"`` or
            ``"snake"``.
        usage_attr: Record attribute read first.
        body_attr: Record attribute read when ``usage_attr`` is absent.
        otel_names: Also set the five values under their OpenTelemetry names.

    Example:
        >>> import logging, usagecodec.telemetry
        >>> handler = logging.StreamHandler()
        >>> handler.addFilter(usagecodec.telemetry.UsageFilter())
        >>> handler.setFormatter(logging.Formatter(
        ...     "%(message)s in=%(usage_input_tokens)s out=%(usage_output_tokens)s",
        ...     defaults=usagecodec.telemetry.FORMAT_DEFAULTS))
    """

    def __init__(
        self,
        *,
        wire: Wire = "auto",
        usage_attr: str = "usage",
        body_attr: str = "response_body",
        otel_names: bool = True,
    ) -> None:
        super().__init__()
        decoder = _Decoder(wire)
        self._decode = decoder.decode
        self._usage = decoder.usage
        self._exact = decoder.exact
        self._encode = msgspec.json.encode
        self._reference = decoder.line
        self.usage_attr = usage_attr
        self.body_attr = body_attr
        self.otel_names = otel_names

    def filter(self, record: logging.LogRecord) -> bool:
        """Annotate ``record`` when it carries a usage; always return ``True``."""
        d = record.__dict__
        if self.usage_attr in d:
            value = d[self.usage_attr]
        elif self.body_attr in d:
            value = d[self.body_attr]
        else:
            return True
        if "usage_attributes" in d or "usage_error" in d:
            return True  # another filter (or handler) got here first
        kind = type(value)
        if kind is dict and _shallow(value):  # _Decoder.decode, written out: then as bytes
            try:
                value = self._encode(value)
            except Exception as exc:  # a value JSON cannot hold
                d[_ERROR] = _describe(exc)
                return True
            kind = bytes
        if kind is bytes and 2 < len(value) <= 4096:  # _Decoder._bytes, written out
            if value[2] == 116:  # b'{"t...': most likely a bare usage (b'{"totalTokens"...)
                try:
                    value = self._usage(value)
                except UsageDecodeError:
                    value = self._line(d, value)
            else:  # most likely a response body: see _Decoder._bytes
                data = value
                value = self._exact(data)
                if value is _NOT_EXACT:
                    value = self._line(d, data)
            if value is None:
                return True
        elif kind is not Usage:
            try:
                value = self._decode(value)
            except Exception as exc:  # never break logging, whatever the value
                d[_ERROR] = _describe(exc)
                return True
            if value is None:
                return True
        # The record's attributes, written out: this is the filter's whole cost for a Usage.
        details = value.input_tokens_details
        total = value.total_tokens
        inp = value.input_tokens
        out = value.output_tokens
        text = details.text_tokens
        image = details.image_tokens
        # The dict Usage.otel_attributes() returns (same keys, same order).
        d["usage_attributes"] = {
            "gen_ai.usage.input_tokens": inp,
            "gen_ai.usage.output_tokens": out,
            "orq.usage.total_tokens": total,
            "orq.usage.input_tokens_details.text_tokens": text,
            "orq.usage.input_tokens_details.image_tokens": image,
        }
        d["usage_total_tokens"] = total
        d["usage_input_tokens"] = inp
        d["usage_output_tokens"] = out
        d["usage_text_tokens"] = text
        d["usage_image_tokens"] = image
        if self.otel_names:
            d["gen_ai.usage.input_tokens"] = inp
            d["gen_ai.usage.output_tokens"] = out
            d["orq.usage.total_tokens"] = total
            d["orq.usage.input_tokens_details.text_tokens"] = text
            d["orq.usage.input_tokens_details.image_tokens"] = image
        return True

    def _line(self, d: dict[str, Any], value: bytes) -> Usage | None:
        """``LineDecoder``'s answer for ``value``; on an error, mark the record and return None."""
        try:
            return self._reference(value)
        except Exception as exc:  # never break logging, whatever the value
            d[_ERROR] = _describe(exc)
            return None


# The attributes every LogRecord has, and those of ours that the JSON output renames.
_STANDARD = frozenset(
    [
        *logging.LogRecord("", 0, "", 0, "", (), None).__dict__,
        "message",
        "asctime",
        "taskName",
        _DONE,
        *OTEL_NAMES,
    ]
)


def _fallback(obj: Any) -> Any:
    return repr(obj)


class JsonFormatter(logging.Formatter):
    """Format each record as one line of JSON, encoded with msgspec.

    Keys: ``time`` (ISO 8601, UTC, milliseconds), ``level``, ``logger``, ``message``, then,
    for a record that carries a usage, its five counts under their OpenTelemetry names
    (``gen_ai.usage.input_tokens``...) or ``usage_error``, then the record's other ``extra``
    attributes (values JSON cannot hold are written as their ``repr``), then ``exception``
    and ``stack`` when present. The raw ``usage`` and ``response_body`` values are not
    written (a response body may be megabytes of base64). The formatter decodes the usage
    itself when no :class:`UsageFilter` did.

    Args:
        wire: Dialect for decoding, as in :class:`UsageFilter`.
        usage_attr: As in :class:`UsageFilter`.
        body_attr: As in :class:`UsageFilter`.
        extras: Write the record's other ``extra`` attributes.
    """

    def __init__(
        self,
        *,
        wire: Wire = "auto",
        usage_attr: str = "usage",
        body_attr: str = "response_body",
        extras: bool = True,
    ) -> None:
        super().__init__()
        self._filter = UsageFilter(
            wire=wire, usage_attr=usage_attr, body_attr=body_attr, otel_names=False
        )
        self._skip = _STANDARD | {usage_attr, body_attr, *OTEL_NAMES.values()}
        self.extras = extras
        self._encode = msgspec.json.Encoder(enc_hook=_fallback).encode
        self._second: tuple[int, str] = (-1, "")

    def _time(self, created: float) -> str:
        """``created`` in ISO 8601, UTC, milliseconds: ``2026-01-31T12:34:56.789Z``.

        Exactly ``datetime.fromtimestamp(created, timezone.utc)`` written with
        ``isoformat(timespec="milliseconds")`` (microseconds rounded half to even, then
        truncated to milliseconds), with the date and time of the second cached.
        """
        if type(created) is not float or not 0.0 <= created < _YEAR_3000:
            return (
                datetime.datetime.fromtimestamp(created, datetime.timezone.utc)
                .isoformat(timespec="milliseconds")
                .replace("+00:00", "Z")
            )
        fraction, whole = math.modf(created)
        micro = round(fraction * 1e6)
        second = int(whole)
        if micro >= 1_000_000:
            micro -= 1_000_000
            second += 1
        cached = self._second  # one tuple: threads never see a second with another's text
        if cached[0] == second:
            text = cached[1]
        else:
            text = datetime.datetime.fromtimestamp(second, datetime.timezone.utc).isoformat()[:19]
            self._second = (second, text)
        return f"{text}.{micro // 1000:03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one line of JSON (no newline)."""
        self._filter.filter(record)
        d = record.__dict__
        out: dict[str, Any] = {
            "time": self._time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        attrs = d.get(_DONE)
        if attrs:
            out.update(attrs)
        if self.extras:
            # Most records have no extra attribute to write: one set difference (in C) says so.
            extra = d.keys() - self._skip
            if extra:
                for key, value in d.items():
                    if key in extra and key not in out:
                        # Bounded like every document the library writes: an encoder
                        # recursing through 200,000 nested dicts would overflow the C stack.
                        out[key] = _DEEP if _too_deep(value) else value
        elif _ERROR in d:
            out[_ERROR] = d[_ERROR]
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exception"] = record.exc_text
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        try:
            return self._encode(out).decode()
        except UnicodeEncodeError:
            # A lone surrogate (os.fsdecode of a non-UTF-8 name makes one) has no UTF-8 form:
            # the standard encoder writes it as a JSON escape (\udc80), in ASCII output.
            return _ascii_json(out)
        except Exception:  # an extra whose repr fails, a key JSON cannot hold...
            safe = {_safe_key(k): _safe_repr(v) for k, v in out.items()}
            try:
                return self._encode(safe).decode()
            except UnicodeEncodeError:
                return _ascii_json(safe)


_DEEP = f"<nested deeper than {MAX_DEPTH} levels>"
_YEAR_3000 = 32503680000.0
"""3000-01-01T00:00:00Z in seconds since the epoch: earlier times take the cached path."""


def _too_deep(value: object, limit: int = MAX_DEPTH) -> bool:
    """Whether dicts, lists and tuples nest deeper than ``limit`` (no recursion, cycles end)."""
    if not isinstance(value, (dict, list, tuple, Mapping)):
        return False
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, Mapping) else item
        stack.extend(
            (child, depth + 1)
            for child in children  # type: ignore[attr-defined]
            if isinstance(child, (dict, list, tuple, Mapping))
        )
    return False


def _ascii_json(out: dict[Any, Any]) -> str:
    try:
        return json.dumps(out, ensure_ascii=True, default=_safe_repr, separators=(",", ":"))
    except (ValueError, TypeError, RecursionError):
        safe = {_safe_key(k): _safe_repr(v) for k, v in out.items()}
        return json.dumps(safe, ensure_ascii=True, separators=(",", ":"))


def _safe_key(key: object) -> str:
    return key if isinstance(key, str) else str(_safe_repr(key))


def _safe_repr(value: object) -> object:
    if value is None or type(value) in (str, int, float, bool):
        return value
    try:
        return repr(value)
    except Exception:
        return f"<unrepresentable {type(value).__name__}>"


# --- structlog ------------------------------------------------------------------------------


class StructlogProcessor:
    """A structlog processor that decodes the usage an event carries.

    The event's ``usage`` key (or, when absent, ``response_body``) is read as
    :class:`UsageFilter` reads a record's attributes and replaced by the five counts under
    their OpenTelemetry names (``gen_ai.usage.input_tokens``...), or by ``usage_error`` when
    it does not decode. It never raises; the raw value is removed unless ``keep_source``.
    structlog itself is not needed to build or call it.

    Args:
        wire: Dialect for decoding, as in :class:`UsageFilter`.
        usage_key: Event key read first.
        body_key: Event key read when ``usage_key`` is absent.
        keep_source: Keep the raw value in the event.

    Example:
        >>> import usagecodec.telemetry
        >>> usagecodec.telemetry.structlog_processor(None, "info", {"event": "done",
        ...     "usage": {"total_tokens": 3, "input_tokens": 2, "output_tokens": 1,
        ...               "input_tokens_details": {"text_tokens": 2, "image_tokens": 0}}})
        ... # doctest: +NORMALIZE_WHITESPACE
        {'event': 'done', 'gen_ai.usage.input_tokens': 2, 'gen_ai.usage.output_tokens': 1,
         'orq.usage.total_tokens': 3, 'orq.usage.input_tokens_details.text_tokens': 2,
         'orq.usage.input_tokens_details.image_tokens': 0}
    """

    def __init__(
        self,
        *,
        wire: Wire = "auto",
        usage_key: str = "usage",
        body_key: str = "response_body",
        keep_source: bool = False,
    ) -> None:
        self._decode = _Decoder(wire)
        self.usage_key = usage_key
        self.body_key = body_key
        self.keep_source = keep_source

    def __call__(
        self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """Process one event (structlog's processor signature)."""
        if self.usage_key in event_dict:
            key = self.usage_key
        elif self.body_key in event_dict:
            key = self.body_key
        else:
            return event_dict
        value = event_dict[key] if self.keep_source else event_dict.pop(key)
        try:
            usage = self._decode(value)
        except Exception as exc:
            event_dict[_ERROR] = _describe(exc)
            return event_dict
        if usage is not None:
            event_dict.update(usage.otel_attributes())
        return event_dict


structlog_processor = StructlogProcessor()
"""A :class:`StructlogProcessor` with the default options, ready for ``processors=[...]``."""


# --- OpenTelemetry metrics ------------------------------------------------------------------

_HISTOGRAMS: weakref.WeakKeyDictionary[Any, Histogram] = weakref.WeakKeyDictionary()


def _histogram(meter: Meter | None) -> Histogram:
    if meter is None:
        from opentelemetry import metrics  # noqa: PLC0415

        from usagecodec import __version__  # noqa: PLC0415

        meter = metrics.get_meter("usagecodec", __version__)
    try:
        return _HISTOGRAMS[meter]
    except (KeyError, TypeError):
        pass
    histogram = meter.create_histogram(
        TOKEN_USAGE_METRIC,
        unit="{token}",
        description="Number of input and output tokens used.",
        explicit_bucket_boundaries_advisory=TOKEN_USAGE_BUCKETS,
    )
    # A meter that takes no weak reference gets its instrument created each time.
    with contextlib.suppress(TypeError):
        _HISTOGRAMS[meter] = histogram
    return histogram


def record_token_usage(
    usage: Usage,
    *,
    meter: Meter | None = None,
    attributes: Mapping[str, AttributeValue] | None = None,
) -> None:
    """Record a usage in the ``gen_ai.client.token.usage`` histogram (OpenTelemetry).

    Two measurements, as the GenAI semantic conventions define them: ``input_tokens`` with
    ``gen_ai.token.type="input"`` and ``output_tokens`` with ``gen_ai.token.type="output"``.
    The conventions also require ``gen_ai.operation.name`` and ``gen_ai.provider.name`` and
    recommend ``gen_ai.request.model``: pass them in ``attributes``. A negative count (which
    :meth:`~usagecodec.Usage.audit` reports) is not recorded: a histogram takes none.

    Needs ``opentelemetry-api`` (``pip install 'usagecodec[otel]'``); with no SDK configured
    the measurements go nowhere, at almost no cost.

    Args:
        usage: The usage to record.
        meter: The meter to create the histogram with (once per meter); by default the
            global meter provider's meter named ``usagecodec``.
        attributes: Attributes added to both measurements.
    """
    histogram = _histogram(meter)
    base = dict(attributes) if attributes else {}
    for token_type, value in (("input", usage.input_tokens), ("output", usage.output_tokens)):
        if value >= 0:
            histogram.record(value, {**base, "gen_ai.token.type": token_type})
