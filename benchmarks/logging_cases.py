"""Cases of the logging benchmarks: ``UsageFilter.filter`` and ``JsonFormatter.format`` per record.

Shared by the standalone script ``bench_logging.py`` and the guard ``test_guard_logging.py``,
so both time exactly the same calls on exactly the same values.

Fresh records: the filter must be timed on records it has never seen (a record it already
annotated is passed through after two dictionary look-ups, which would flatter it). Each case
is one pass of a plain ``for`` loop over a list of ``RECORDS`` records; the case's
``context`` (entered around every timed batch, outside the timed region) replaces the list's
records with fresh copies of a template before the batch, and every batch is exactly one call
(``number=1``). The reference of each comparison loops the same way over a list of the same
values, calling the codec method that does the same decode, so the loop overhead cancels.
Times are per record: divide a case's best time per call by :attr:`Pair.records`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import msgspec

from usagecodec import InputTokensDetails, Usage, UsageCodec
from usagecodec import telemetry as ul

from .cases import Case

__all__ = [
    "CAMEL",
    "FORMAT",
    "IMAGE_BODY",
    "SMALL_BODY",
    "SNAKE",
    "USAGE",
    "USAGE_DICT",
    "Pair",
    "filter_pairs",
    "formatter_pair",
]

USAGE = Usage(8105, 7451, 654, InputTokensDetails(5950, 1501))
"""The usage every value carries."""
CAMEL = UsageCodec("camel").encode(USAGE)
"""``{"totalTokens":8105,...}``: 118 bytes."""
SNAKE = UsageCodec("snake").encode(USAGE)
"""``{"total_tokens":8105,...}``: 125 bytes."""
SMALL_BODY = (
    b'{"created":1764547200,"data":[{"url":"https://images.example.com/v/abcdef0123456789/'
    b'variation-1.png"}],"output_format":"png","size":"1024x1024","quality":"high","usage":'
    + SNAKE
    + b"}"
)
"""A small response body (snake, an image URL): 295 bytes."""
IMAGE_BODY = (
    b'{"created":1764547200,"data":[{"b64_json":"'
    + b"iVBORw0KGgoAAAANSUhEUgAA" * (65536 // 24)
    + b"iVBORw0KGgoAAAANSUhE"[: 65536 % 24]
    + b'"}],"output_format":"png","size":"1024x1024","quality":"high","usage":'
    + SNAKE
    + b"}"
)
"""A response body carrying a 64 KiB base64 image (snake)."""
USAGE_DICT: dict[str, Any] = msgspec.json.decode(SNAKE)
"""The usage as a Python dict (snake names, as ``json.loads`` of the HTTP API's body gives)."""

FORMAT = (
    "%(asctime)s %(levelname)s %(name)s %(message)s in=%(usage_input_tokens)s"
    " out=%(usage_output_tokens)s total=%(usage_total_tokens)s text=%(usage_text_tokens)s"
    " image=%(usage_image_tokens)s"
)
"""The plain format string the JSON formatter is compared with: the same fields (time, level,
logger name, message and the five usage counts)."""

RECORDS = 1000
"""Records per timed pass (one batch) for the small values."""
RECORDS_LARGE = 100
"""Records per timed pass for the 64 KiB body."""

_TEMPLATE = logging.LogRecord(
    "bench.images", logging.INFO, __file__, 1, "image variation done", (), None
)


def _dict_reference(codec: UsageCodec) -> Callable[[Any], Any]:
    """What decoding a dict costs with the library's own calls: JSON-encode, then decode."""
    encode = msgspec.json.encode
    decode = codec.decode

    def decode_dict(value: Any) -> Any:
        return decode(encode(value))

    return decode_dict


@dataclass
class Pair:
    """One comparison: ``ours`` (``f(record)`` over fresh records) and its reference."""

    name: str
    ours: Case
    ref: Case
    records: int
    factor: float
    """The bound is ``factor * t_ref + offset`` (seconds per record)."""
    offset: float

    def bound(self, t_ref: float) -> float:
        """The largest ``t_ours`` (seconds per record) that meets the target."""
        return self.factor * t_ref + self.offset


def _loop(fn: Callable[[Any], Any]) -> Callable[[list[Any]], None]:
    def loop(items: list[Any], fn: Callable[[Any], Any] = fn) -> None:
        for item in items:
            fn(item)

    return loop


def _fresh(
    extra: dict[str, Any], n: int, prepare: Callable[[logging.LogRecord], Any] | None = None
) -> tuple[list[logging.LogRecord], Callable[[], contextlib.AbstractContextManager[None]]]:
    """A list of ``n`` records and a context that refills it with fresh copies of a template."""
    template = dict(_TEMPLATE.__dict__)
    template.update(extra)
    new = logging.LogRecord.__new__
    cls = logging.LogRecord
    records: list[logging.LogRecord] = []

    def refill() -> None:
        fresh = []
        for _ in range(n):
            rec = new(cls)
            rec.__dict__.update(template)
            if prepare is not None:
                prepare(rec)
            fresh.append(rec)
        records[:] = fresh

    refill()

    @contextlib.contextmanager
    def context() -> Iterator[None]:
        refill()
        yield

    return records, context


def _check_usage(rec_list: list[logging.LogRecord]) -> Callable[[Any], None]:
    def check(_: Any) -> None:
        for rec in rec_list:
            assert rec.__dict__.get("usage_attributes") == USAGE.otel_attributes(), rec.__dict__
            assert rec.__dict__.get("usage_total_tokens") == 8105

    return check


def filter_pairs() -> list[Pair]:
    """The filter's comparisons: each carrier against the codec call doing the same decode.

    * ``camel`` and ``snake``: bare usage JSON bytes against ``UsageCodec("auto").decode``;
    * ``body`` (295 B) and ``image`` (64 KiB of base64): a response body against
      ``UsageCodec("auto").extract_usage`` (the filter only needs its usage);
    * ``object``: a :class:`~usagecodec.Usage`: no decode at all, so the bound is 0.5 us per
      record, the loop's own cost included (the reference, a no-op called in the same loop,
      is measured for context only);
    * ``dict``: a usage as a Python dict against ``UsageCodec("auto").decode`` of its
      ``msgspec.json.encode`` (the library has no dict decoder: this is what the filter did).
    """
    auto = UsageCodec("auto")
    filt = ul.UsageFilter()
    pairs = []
    values: list[tuple[str, str, Any, Callable[[Any], Any], int]] = [
        ("camel", "usage", CAMEL, auto.decode, RECORDS),
        ("snake", "usage", SNAKE, auto.decode, RECORDS),
        ("body", "response_body", SMALL_BODY, auto.extract_usage, RECORDS),
        ("image", "response_body", IMAGE_BODY, auto.extract_usage, RECORDS_LARGE),
        ("object", "usage", USAGE, _nothing, RECORDS),
        ("dict", "usage", USAGE_DICT, _dict_reference(auto), RECORDS),
    ]
    for name, attr, value, reference, n in values:
        records, context = _fresh({attr: value}, n)
        ref_value = None if reference is _nothing else value
        ref_arg = [ref_value] * n
        ours = Case(
            "logging", name, "filter", "ours", f"UsageFilter.filter, {attr}={name}",
            _loop(filt.filter), records, context=context, records=n,
            check=_check_usage(records),
        )  # fmt: skip
        label = getattr(reference, "__name__", "")
        ref = Case(
            "logging", name, "codec", "floor", f"the same decode, {label}",
            _loop(reference), ref_arg, records=n,
        )  # fmt: skip
        # A Usage object needs no decode: its reference is the empty loop, shown for context,
        # and the bound is 0.5 us per record, loop included.
        factor = 0.0 if reference is _nothing else 1.5
        pairs.append(Pair(name, ours, ref, n, factor, 0.5e-6))
    return pairs


def _nothing(value: Any) -> None:
    return None


def formatter_pair() -> Pair:
    """``JsonFormatter().format`` against ``logging.Formatter(FORMAT).format``, per record.

    Both format fresh records that carry ``extra={"usage": CAMEL}`` and that a
    :class:`~usagecodec.telemetry.UsageFilter` has annotated (outside the timed region: the
    documented setup, the filter on the handler and then the formatter). The plain formatter
    prints the same fields (``asctime``, level, logger name, message, the five counts) with
    ``defaults=FORMAT_DEFAULTS``.
    """
    filt = ul.UsageFilter()
    records_json, context_json = _fresh({"usage": CAMEL}, RECORDS, filt.filter)
    records_plain, context_plain = _fresh({"usage": CAMEL}, RECORDS, filt.filter)
    json_fmt = ul.JsonFormatter()
    plain = logging.Formatter(FORMAT, defaults=ul.FORMAT_DEFAULTS)

    def check_json(_: Any) -> None:
        line = msgspec.json.decode(json_fmt.format(records_json[0]))
        assert line["orq.usage.total_tokens"] == 8105, line

    ours = Case(
        "logging", "format", "json", "ours", "JsonFormatter().format", _loop(json_fmt.format),
        records_json, context=context_json, records=RECORDS, check=check_json,
    )  # fmt: skip
    ref = Case(
        "logging", "format", "plain", "floor", "logging.Formatter(FORMAT).format",
        _loop(plain.format), records_plain, context=context_plain, records=RECORDS,
    )  # fmt: skip
    return Pair("format", ours, ref, RECORDS, 2.0, 0.0)
