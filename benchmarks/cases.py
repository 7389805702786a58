"""Shared case definitions: the documents, the implementations compared, how to check them.

Every benchmark front end (``python -m benchmarks``, the pytest-benchmark suite and the guard)
builds its cases here, so all three time exactly the same calls on exactly the same bytes.

A :class:`Case` is one call, ``fn(arg, **kwargs)``, in one comparison. Its ``role`` says what
it is compared as: ``ours`` (usagecodec), ``floor`` (bare msgspec doing the same decode, what
usagecodec's overhead is measured against), ``sdk`` (the official orq.ai Python SDK), ``peer``
(another way people write this) or ``ref`` (shown for context only).

Peers that are not installed are left out (they come with the ``bench`` extra).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import functools
import json
import os
import random
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any

import msgspec

import usagecodec
from usagecodec import InputTokensDetails, Usage, UsageCodec, Wire
from usagecodec._models import PostV2ProxyImagesVariationsResponseBody as Body
from usagecodec._variants import DIALECTS

# --------------------------------------------------------------------------------------------
# Documents
# --------------------------------------------------------------------------------------------

USAGE = Usage(8105, 7451, 654, InputTokensDetails(5950, 1501))
"""The usage every small document holds (integers, consistent)."""
EXPECTED = (8105, 7451, 654, 5950, 1501)
"""Its five counts: total, input, output, text, image."""

CAMEL = UsageCodec().encode(USAGE)
"""``{"totalTokens":8105,...}``: 118 bytes."""
SNAKE = UsageCodec("snake").encode(USAGE)
"""``{"total_tokens":8105,...}``: 125 bytes."""
MSGPACK = UsageCodec(format="msgpack").encode(USAGE)
"""The camel document as MessagePack."""

DOCS = {"camel": CAMEL, "snake": SNAKE, "msgpack": MSGPACK}

EXTRACT_SIZES = {"0.1MB": 100_000, "2MB": 2_000_000, "8MB": 8_000_000}
"""Response-body sizes of the ``extract`` group (decimal megabytes, exact byte counts)."""

NDJSON_LINES = 1_000_000
"""Lines of the ``ndjson`` group's file."""

SNAKE_USAGE_TYPE = DIALECTS["snake"].strict[Usage]
"""The private snake twin of :class:`usagecodec.Usage`: what bare msgspec decodes snake into."""
SNAKE_BODY_TYPE = DIALECTS["snake"].strict[Body]
"""The private snake twin of the response body."""


def count_label(n: int) -> str:
    """``1000000`` -> ``"1M"``, ``200000`` -> ``"200k"``."""
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


@functools.cache
def response_body(size: int) -> bytes:
    """A snake-wire response body of exactly ``size`` bytes, one base64 image inside.

    ``{"created":1700000000,"data":[{"b64_json":"<base64>"}],"output_format":"png",
    "size":"1024x1024","quality":"high","usage":{...snake...}}``; the base64 encodes
    pseudo-random bytes (fixed seed), so every run measures the same bytes.
    """
    head = b'{"created":1700000000,"data":[{"b64_json":"'
    tail = b'"}],"output_format":"png","size":"1024x1024","quality":"high","usage":' + SNAKE + b"}"
    length = size - len(head) - len(tail)
    length -= length % 4  # whole base64 quanta; pad the body with spaces to the exact size
    raw = random.Random(size).randbytes(length // 4 * 3)
    body = head + base64.b64encode(raw) + tail
    return body + b" " * (size - len(body))


# --------------------------------------------------------------------------------------------
# The NDJSON file
# --------------------------------------------------------------------------------------------

_NDJSON_VERSION = 1


def _cache_dir() -> Path:
    path = Path(os.environ.get("USAGECODEC_BENCH_CACHE", tempfile.gettempdir()))
    path = path / "usagecodec-bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


@functools.cache
def ndjson_file(lines: int = NDJSON_LINES) -> tuple[Path, tuple[int, ...]]:
    """An NDJSON file of ``lines`` camel usage documents, and its five expected sums.

    Counts vary line by line (pseudo-random, fixed seed) and are consistent
    (``total = input + output``, ``input = text + image``), as real logs mostly are. The file
    is generated once into a cache directory (``$USAGECODEC_BENCH_CACHE`` or the system's
    temporary directory) and reused.
    """
    path = _cache_dir() / f"usage-camel-{lines}-v{_NDJSON_VERSION}.ndjson"
    sums_path = path.with_suffix(".sums.json")
    if path.is_file() and sums_path.is_file():
        sums = tuple(json.loads(sums_path.read_text()))
        return path, sums
    rng = random.Random(lines)
    randrange = rng.randrange
    st = si = so = sx = sm = 0
    chunk: list[str] = []
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="ascii") as f:
        for _ in range(lines):
            x, m, o = randrange(20, 6000), randrange(0, 3000), randrange(1, 2500)
            i = x + m
            t = i + o
            st += t
            si += i
            so += o
            sx += x
            sm += m
            chunk.append(
                f'{{"totalTokens":{t},"inputTokens":{i},"outputTokens":{o},'
                f'"inputTokensDetails":{{"textTokens":{x},"imageTokens":{m}}}}}\n'
            )
            if len(chunk) >= 65536:
                f.write("".join(chunk))
                chunk.clear()
        f.write("".join(chunk))
    sums = (st, si, so, sx, sm)
    sums_tmp = sums_path.with_name(f"{sums_path.name}.{os.getpid()}.tmp")
    sums_tmp.write_text(json.dumps(sums))
    os.replace(tmp, path)
    os.replace(sums_tmp, sums_path)
    return path, sums


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------

ROLES = ("ours", "floor", "sdk", "peer", "ref")


@dataclass(eq=False)
class Case:
    """One call ``fn(arg, **kwargs)`` in one comparison.

    Attributes:
        group: ``decode``, ``encode``, ``extract``, ``body``, ``auto`` or ``ndjson``.
        variant: What is decoded: ``camel``, ``snake``, ``msgpack``, ``2MB``, ``url-snake``...
        impl: Short id of the implementation, unique within ``group/variant``.
        role: ``ours``, ``floor``, ``sdk``, ``peer`` or ``ref`` (see the module docstring).
        label: What the call is, for people.
        fn: The callable timed.
        arg: Its positional argument.
        kwargs: Keyword arguments, written as literal keywords in the timing loop.
        context: Entered around every timed batch (e.g. forcing the pure scan path).
        nbytes: Bytes processed per call (for GB/s); 0 when not meaningful.
        records: Records per call (for records/s).
        check: Called once with a result; raises ``AssertionError`` when it is wrong.
    """

    group: str
    variant: str
    impl: str
    role: str
    label: str
    fn: Callable[..., Any]
    arg: Any
    kwargs: dict[str, Any] | None = None
    context: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext
    nbytes: int = 0
    records: int = 1
    check: Callable[[Any], None] | None = field(default=None, repr=False)

    @property
    def key(self) -> str:
        """``group/variant/impl``: the id of the case in results, guard and chart."""
        return f"{self.group}/{self.variant}/{self.impl}"

    def call(self) -> Any:
        """Call the case once, in its context."""
        with self.context():
            return self.fn(self.arg, **(self.kwargs or {}))

    def verify(self) -> None:
        """Call once and check the result (a benchmark of a wrong answer is worthless)."""
        if self.check is not None:
            self.check(self.call())


def counts(obj: Any) -> tuple[Any, ...]:
    """The five counts of whatever a decode case returns (object, tuple, dict or encoded
    bytes; a dict has the keys of either dialect)."""
    if isinstance(obj, tuple):
        return obj
    if isinstance(obj, str):
        obj = obj.encode()
    if isinstance(obj, bytes):
        obj = json.loads(obj) if obj[:1] == b"{" else msgspec.msgpack.decode(obj)
    if isinstance(obj, dict):
        top = {k.replace("_", "").lower(): v for k, v in obj.items()}
        d = {k.replace("_", "").lower(): v for k, v in top["inputtokensdetails"].items()}
        names = ("totaltokens", "inputtokens", "outputtokens")
        return (*(top[n] for n in names), d["texttokens"], d["imagetokens"])
    d = obj.input_tokens_details
    return (obj.total_tokens, obj.input_tokens, obj.output_tokens, d.text_tokens, d.image_tokens)


def _check_usage(result: Any) -> None:
    got = counts(result)
    assert got == EXPECTED, f"wrong counts {got!r}, expected {EXPECTED!r}"


@contextlib.contextmanager
def pure_scan() -> Iterator[None]:
    """Force the pure (msgspec-only) long-string validation of ``extract_usage``."""
    from usagecodec import _scan

    saved = _scan._use_numpy
    _scan._use_numpy = False
    try:
        yield
    finally:
        _scan._use_numpy = saved


# --- peers ----------------------------------------------------------------------------------


def _sdk() -> Any | None:
    try:
        from orq_ai_sdk import models
    except ImportError:
        return None
    return models


@functools.cache
def _pydantic_camel() -> Any | None:
    """A plain pydantic v2 model on the camel wire (``alias_generator=to_camel``)."""
    try:
        from pydantic import BaseModel, ConfigDict
        from pydantic.alias_generators import to_camel
    except ImportError:
        return None

    config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    class PdInputTokensDetails(BaseModel):
        model_config = config
        text_tokens: int | float
        image_tokens: int | float

    class PdUsage(BaseModel):
        model_config = config
        total_tokens: int | float
        input_tokens: int | float
        output_tokens: int | float
        input_tokens_details: PdInputTokensDetails

    return PdUsage


@dataclass(frozen=True, slots=True)
class DcInputTokensDetails:
    """The stdlib peer: a frozen dataclass."""

    text_tokens: int | float
    image_tokens: int | float


@dataclass(frozen=True, slots=True)
class DcUsage:
    """The stdlib peer: a frozen dataclass."""

    total_tokens: int | float
    input_tokens: int | float
    output_tokens: int | float
    input_tokens_details: DcInputTokensDetails


def json_dataclass_decode(buf: bytes) -> DcUsage:
    """Stdlib ``json.loads``, then the dataclasses (field lookup, no type validation)."""
    d = json.loads(buf)
    x = d["inputTokensDetails"]
    return DcUsage(
        d["totalTokens"],
        d["inputTokens"],
        d["outputTokens"],
        DcInputTokensDetails(x["textTokens"], x["imageTokens"]),
    )


def json_dataclass_encode(u: DcUsage) -> bytes:
    """The dataclasses to a camel dict, then stdlib ``json.dumps`` (compact)."""
    x = u.input_tokens_details
    return json.dumps(
        {
            "totalTokens": u.total_tokens,
            "inputTokens": u.input_tokens,
            "outputTokens": u.output_tokens,
            "inputTokensDetails": {"textTokens": x.text_tokens, "imageTokens": x.image_tokens},
        },
        separators=(",", ":"),
    ).encode()


def _orjson() -> Any | None:
    try:
        import orjson
    except ImportError:
        return None
    return orjson


def _orjson_decoder(orjson: Any) -> Callable[[bytes], tuple[Any, ...]]:
    loads = orjson.loads

    def orjson_decode(buf: bytes) -> tuple[Any, ...]:
        """``orjson.loads``, then index the five fields (no type validation)."""
        d = loads(buf)
        x = d["inputTokensDetails"]
        return (
            d["totalTokens"],
            d["inputTokens"],
            d["outputTokens"],
            x["textTokens"],
            x["imageTokens"],
        )

    return orjson_decode


# --- groups ---------------------------------------------------------------------------------


_RANK = {"codec": 0, "msgspec": 1, "function": 2, "sdk": 3}


def _timing_order(cases: list[Case]) -> list[Case]:
    """Variant by variant: our codec, the floor right after it, then the rest.

    Cases next to each other in the list are timed back to back, which keeps their ratio
    steadiest on a noisy machine.
    """
    variants = {case.variant: i for i, case in reversed(list(enumerate(cases)))}
    return sorted(cases, key=lambda c: (variants[c.variant], _RANK.get(c.impl, 9)))


def decode_cases() -> list[Case]:
    """Group ``decode``: one small usage document, camel, snake and MessagePack."""
    cases: list[Case] = []

    def add(variant: str, impl: str, role: str, label: str, fn: Any, **kwargs: Any) -> None:
        doc = DOCS[variant]
        cases.append(
            Case(
                "decode",
                variant,
                impl,
                role,
                label,
                fn,
                doc,
                kwargs or None,
                nbytes=len(doc),
                check=_check_usage,
            )
        )

    for wire in ("camel", "snake"):
        codec = UsageCodec(wire)
        add(wire, "codec", "ours", f'UsageCodec("{wire}").decode', codec.decode)
        if wire == "camel":
            add(wire, "function", "ours", "usagecodec.decode_usage", usagecodec.decode_usage)
            add(
                wire,
                "msgspec",
                "floor",
                "msgspec.json.Decoder(Usage).decode",
                msgspec.json.Decoder(Usage).decode,
            )
        else:
            add(
                wire,
                "function",
                "ours",
                'usagecodec.decode_usage(wire="snake")',
                usagecodec.decode_usage,
                wire="snake",
            )
            add(
                wire,
                "msgspec",
                "floor",
                "msgspec.json.Decoder(<snake twin>).decode",
                msgspec.json.Decoder(SNAKE_USAGE_TYPE).decode,
            )
    codec = UsageCodec(format="msgpack")
    add("msgpack", "codec", "ours", 'UsageCodec(format="msgpack").decode', codec.decode)
    add(
        "msgpack",
        "function",
        "ours",
        'usagecodec.decode_usage(format="msgpack")',
        usagecodec.decode_usage,
        format="msgpack",
    )
    add(
        "msgpack",
        "msgspec",
        "floor",
        "msgspec.msgpack.Decoder(Usage).decode",
        msgspec.msgpack.Decoder(Usage).decode,
    )

    sdk = _sdk()
    if sdk is not None:
        add(
            "snake",
            "sdk",
            "sdk",
            "orq SDK Usage.model_validate_json",
            sdk.CreateImageVariationUsage.model_validate_json,
        )
    pd = _pydantic_camel()
    if pd is not None:
        add(
            "camel",
            "pydantic",
            "peer",
            "pydantic v2 model (to_camel).model_validate_json",
            pd.model_validate_json,
        )
    orjson = _orjson()
    if orjson is not None:
        add("camel", "orjson", "peer", "orjson.loads + index fields", _orjson_decoder(orjson))
    add("camel", "json-dataclass", "peer", "json.loads + dataclass", json_dataclass_decode)
    return _timing_order(cases)


def encode_cases() -> list[Case]:
    """Group ``encode``: the same usage encoded by each implementation."""
    cases: list[Case] = []

    def add(
        variant: str, impl: str, role: str, label: str, fn: Any, *, arg: Any, **kwargs: Any
    ) -> None:
        cases.append(
            Case(
                "encode",
                variant,
                impl,
                role,
                label,
                fn,
                arg,
                kwargs or None,
                nbytes=len(DOCS[variant]),
                check=_check_usage,
            )
        )

    add("camel", "codec", "ours", "UsageCodec().encode", UsageCodec().encode, arg=USAGE)
    add("camel", "function", "ours", "usagecodec.encode_usage", usagecodec.encode_usage, arg=USAGE)
    add(
        "camel",
        "msgspec",
        "floor",
        "msgspec.json.Encoder().encode",
        msgspec.json.Encoder().encode,
        arg=USAGE,
    )
    add(
        "snake",
        "codec",
        "ours",
        'UsageCodec("snake").encode',
        UsageCodec("snake").encode,
        arg=USAGE,
    )
    add(
        "snake",
        "function",
        "ours",
        'usagecodec.encode_usage(wire="snake")',
        usagecodec.encode_usage,
        arg=USAGE,
        wire="snake",
    )
    snake_twin: Any = msgspec.json.Decoder(SNAKE_USAGE_TYPE).decode(SNAKE)
    add(
        "snake",
        "msgspec",
        "floor",
        "msgspec.json.Encoder().encode(<snake twin>)",
        msgspec.json.Encoder().encode,
        arg=snake_twin,
    )
    add(
        "msgpack",
        "codec",
        "ours",
        'UsageCodec(format="msgpack").encode',
        UsageCodec(format="msgpack").encode,
        arg=USAGE,
    )
    add(
        "msgpack",
        "function",
        "ours",
        'usagecodec.encode_usage(format="msgpack")',
        usagecodec.encode_usage,
        arg=USAGE,
        format="msgpack",
    )
    add(
        "msgpack",
        "msgspec",
        "floor",
        "msgspec.msgpack.Encoder().encode",
        msgspec.msgpack.Encoder().encode,
        arg=USAGE,
    )

    sdk = _sdk()
    if sdk is not None:
        model = sdk.CreateImageVariationUsage.model_validate_json(SNAKE)
        add(
            "snake",
            "sdk",
            "sdk",
            "orq SDK Usage.model_dump_json",
            type(model).model_dump_json,
            arg=model,
        )
    pd = _pydantic_camel()
    if pd is not None:
        add(
            "camel",
            "pydantic",
            "peer",
            "pydantic v2 model.model_dump_json(by_alias=True)",
            pd.model_dump_json,
            arg=pd.model_validate_json(CAMEL),
            by_alias=True,
        )
    orjson = _orjson()
    if orjson is not None:
        add("camel", "orjson", "peer", "orjson.dumps(dict)", orjson.dumps, arg=json.loads(CAMEL))
    add(
        "camel",
        "json-dataclass",
        "peer",
        "dataclass -> dict + json.dumps",
        json_dataclass_encode,
        arg=json_dataclass_decode(CAMEL),
    )
    return _timing_order(cases)


def _usage_attr(obj: Any) -> Any:
    return obj.usage


def extract_cases(sizes: dict[str, int] | None = None) -> list[Case]:
    """Group ``extract``: the usage of full snake-wire response bodies (0.1, 2 and 8 MB)."""
    cases: list[Case] = []
    sdk = _sdk()
    floor: Callable[[bytes], Any] = msgspec.json.Decoder(SNAKE_BODY_TYPE).decode
    snake = UsageCodec("snake")

    def floor_usage(buf: bytes) -> Any:
        """msgspec full decode of the (snake twin of the) public body type, then ``.usage``."""
        return floor(buf).usage

    def ours_full(buf: bytes) -> Any:
        return snake.decode_response(buf).usage

    for variant, size in (sizes or EXTRACT_SIZES).items():
        body = response_body(size)

        def add(
            impl: str,
            role: str,
            label: str,
            fn: Any,
            *,
            v: str = variant,
            body: bytes = body,
            **kw: Any,
        ) -> None:
            cases.append(
                Case(
                    "extract",
                    v,
                    impl,
                    role,
                    label,
                    fn,
                    body,
                    kw.pop("kwargs", None),
                    nbytes=len(body),
                    check=_check_usage,
                    **kw,
                )
            )

        add(
            "numpy",
            "ours",
            'usagecodec.extract_usage(wire="snake"), numpy',
            usagecodec.extract_usage,
            kwargs={"wire": "snake"},
        )
        add(
            "pure",
            "ours",
            'usagecodec.extract_usage(wire="snake"), pure fallback',
            usagecodec.extract_usage,
            kwargs={"wire": "snake"},
            context=pure_scan,
        )
        add("decode_response", "ref", 'UsageCodec("snake").decode_response(...).usage', ours_full)
        add(
            "msgspec",
            "floor",
            "msgspec.json.Decoder(<snake body twin>).decode(...).usage",
            floor_usage,
        )
        if sdk is not None:
            sdk_body = sdk.CreateImageVariationResponseBody

            def sdk_usage(buf: bytes, validate: Any = sdk_body.model_validate_json) -> Any:
                return validate(buf).usage

            add(
                "sdk",
                "sdk",
                "orq SDK ResponseBody.model_validate_json(...).usage",
                sdk_usage,
            )
    return cases


# --- body: single response bodies -----------------------------------------------------------

BODY_URL = b"https://images.example.com/v/abcdef0123456789/variation-1.png"
"""The image URL of the small response body."""
BODY_IMAGE_B64 = 1_500_000
"""Bytes of base64 in the large response body's one ``b64_json`` image."""
BODY_KINDS = ("url", "1.5MB")
"""The two bodies of the ``body`` group: one URL, or one 1.5 MB base64 image."""
WIRES: tuple[Wire, ...] = ("snake", "camel")
"""The two dialects, in the order their cases are timed."""


@functools.cache
def image_b64(length: int = BODY_IMAGE_B64) -> bytes:
    """``length`` bytes of base64 (a multiple of 4) that look like a real PNG.

    The encoded bytes are a PNG signature and ``IHDR`` chunk header followed by pseudo-random
    bytes (fixed seed, incompressible like real image data): every run measures the same bytes.
    """
    if length % 4:
        raise ValueError(f"base64 length {length} is not a multiple of 4")
    # PNG signature, then the IHDR chunk of a 1024x1024 RGBA image (its CRC left random)
    head = (
        b"\x89PNG\r\n\x1a\n"
        + b"\x00\x00\x00\rIHDR\x00\x00\x04\x00\x00\x00\x04\x00\x08\x06\x00\x00\x00"
    )
    raw = head + random.Random(length).randbytes(length // 4 * 3 - len(head))
    return base64.b64encode(raw)


def response(item: bytes, wire: str) -> bytes:
    """A response body in ``wire`` with one ``data`` item (its JSON object) and the usage.

    ``{"created":1764547200,"data":[<item>],"output_format":"png","size":"1024x1024",
    "quality":"high","usage":{...}}``, keys in the dialect (``outputFormat`` in camel).
    """
    snake = wire == "snake"
    output_format, usage = (b"output_format", SNAKE) if snake else (b"outputFormat", CAMEL)
    return (
        b'{"created":1764547200,"data":[' + item + b'],"' + output_format
        + b'":"png","size":"1024x1024","quality":"high","usage":' + usage + b"}"
    )  # fmt: skip


@functools.cache
def body(kind: str, wire: str) -> bytes:
    """The ``body`` group's document ``kind`` (``url`` or ``1.5MB``) in ``wire``.

    ``url``: one ``{"url": ...}`` item (the key is ``url`` in both dialects; 295 bytes in
    snake). ``1.5MB``: one ``{"b64_json": ...}`` item (``b64Json`` in camel) holding
    :data:`BODY_IMAGE_B64` bytes of base64.
    """
    if kind == "url":
        item = b'{"url":"' + BODY_URL + b'"}'
    elif kind == "1.5MB":
        key = b"b64_json" if wire == "snake" else b"b64Json"
        item = b'{"' + key + b'":"' + image_b64() + b'"}'
    else:
        raise ValueError(f"unknown body {kind!r}")
    return response(item, wire)


# The floors of the body group: plain msgspec Structs of the body, default Struct config, in
# each dialect (no 64-bit bound on integers, no frozen/gc settings, unknown fields ignored).


class PlainSnakeDetails(msgspec.Struct):
    text_tokens: int | float
    image_tokens: int | float


class PlainSnakeUsage(msgspec.Struct):
    total_tokens: int | float
    input_tokens: int | float
    output_tokens: int | float
    input_tokens_details: PlainSnakeDetails


class PlainSnakeItem(msgspec.Struct):
    b64_json: str | msgspec.UnsetType = msgspec.UNSET
    url: str | msgspec.UnsetType = msgspec.UNSET


class PlainSnakeBody(msgspec.Struct):
    created: int | float
    data: list[PlainSnakeItem]
    output_format: str | msgspec.UnsetType = msgspec.UNSET
    size: str | msgspec.UnsetType = msgspec.UNSET
    quality: str | msgspec.UnsetType = msgspec.UNSET
    usage: PlainSnakeUsage | msgspec.UnsetType = msgspec.UNSET


class PlainCamelDetails(msgspec.Struct, rename="camel"):
    text_tokens: int | float
    image_tokens: int | float


class PlainCamelUsage(msgspec.Struct, rename="camel"):
    total_tokens: int | float
    input_tokens: int | float
    output_tokens: int | float
    input_tokens_details: PlainCamelDetails


class PlainCamelItem(msgspec.Struct, rename="camel"):
    b64_json: str | msgspec.UnsetType = msgspec.UNSET
    url: str | msgspec.UnsetType = msgspec.UNSET


class PlainCamelBody(msgspec.Struct, rename="camel"):
    created: int | float
    data: list[PlainCamelItem]
    output_format: str | msgspec.UnsetType = msgspec.UNSET
    size: str | msgspec.UnsetType = msgspec.UNSET
    quality: str | msgspec.UnsetType = msgspec.UNSET
    usage: PlainCamelUsage | msgspec.UnsetType = msgspec.UNSET


PLAIN_BODY: dict[str, type[msgspec.Struct]] = {"snake": PlainSnakeBody, "camel": PlainCamelBody}


def _body_checker(kind: str) -> Callable[[Any], None]:
    """Check a decoded body (object or dict): the usage's counts, and its one data item."""
    image = BODY_URL.decode() if kind == "url" else None

    def check(result: Any) -> None:
        if isinstance(result, dict):
            usage, items = result["usage"], result["data"]
            item = next(iter(items[0].values())) if len(items) == 1 else None
        else:
            usage, items = result.usage, result.data
            item = None
            if len(items) == 1:
                item = items[0].url if kind == "url" else items[0].b64_json
        got = counts(usage)
        assert got == EXPECTED, f"wrong counts {got!r}, expected {EXPECTED!r}"
        assert isinstance(item, str), f"expected one data item with a string, got {items!r:.200}"
        if image is not None:
            assert item == image, f"wrong url {item!r}"
        else:
            assert len(item) == BODY_IMAGE_B64, f"b64_json of {len(item)} bytes"

    return check


def _snake_limits() -> tuple[Callable[[bytes], Any], Callable[[bytes], Any]]:
    """The least Python needs to turn snake bytes into public objects, and into a usage.

    msgspec gives one set of wire names per class, so snake JSON decodes into private twins
    (subclasses of the public classes) whose objects become public by ``__class__``
    assignment. These two functions do exactly that and nothing else (no error handling):
    what ``decode_response`` and ``extract_usage`` of a snake codec cannot go below.
    """
    data, details = usagecodec.Data, InputTokensDetails
    twin = msgspec.json.Decoder(SNAKE_BODY_TYPE).decode

    def decode_limit(buf: bytes, _twin: Any = twin) -> Any:
        obj = _twin(buf)
        for item in obj.data:
            item.__class__ = data
        usage = obj.usage
        usage.input_tokens_details.__class__ = details
        usage.__class__ = Usage
        obj.__class__ = Body
        return obj

    def extract_limit(buf: bytes, _twin: Any = twin) -> Any:
        usage = _twin(buf).usage
        usage.input_tokens_details.__class__ = details
        usage.__class__ = Usage
        return usage

    return decode_limit, extract_limit


def body_cases(kinds: tuple[str, ...] = BODY_KINDS) -> list[Case]:
    """Group ``body``: one response body (one URL, or one 1.5 MB base64 image), both dialects.

    Variants ``<kind>-<wire>`` (``url-snake``, ``1.5MB-camel``...). Per variant:
    ``UsageCodec(wire).decode_response`` and ``.extract_usage`` (ours), the plain msgspec
    Struct of the body in that dialect (the floor, impl ``msgspec``), the SDK's
    ``CreateImageVariationResponseBody.model_validate_json`` (snake only) and ``orjson.loads``
    (a ref: parsing alone, no types).
    """
    cases: list[Case] = []
    sdk = _sdk()
    orjson = _orjson()
    for kind in kinds:
        check = _body_checker(kind)
        for wire in WIRES:
            doc = body(kind, wire)
            codec = UsageCodec(wire)

            def add(
                impl: str,
                role: str,
                label: str,
                fn: Any,
                check: Callable[[Any], None] = check,
                *,
                v: str = f"{kind}-{wire}",
                doc: bytes = doc,
            ) -> None:
                cases.append(
                    Case("body", v, impl, role, label, fn, doc, nbytes=len(doc), check=check)
                )

            add(
                "decode_response",
                "ours",
                f'UsageCodec("{wire}").decode_response',
                codec.decode_response,
            )
            add(
                "msgspec",
                "floor",
                f"msgspec.json.Decoder(<plain {wire} body Struct>).decode",
                msgspec.json.Decoder(PLAIN_BODY[wire]).decode,
            )
            add(
                "extract_usage",
                "ours",
                f'UsageCodec("{wire}").extract_usage',
                codec.extract_usage,
                _check_usage,
            )
            if wire == "snake":
                decode_limit, extract_limit = _snake_limits()
                add(
                    "limit",
                    "ref",
                    "strict snake twin decode + the __class__ assignments (least for a public"
                    " result)",
                    decode_limit,
                )
                add(
                    "limit-extract",
                    "ref",
                    "strict snake twin decode + the usage's two __class__ assignments",
                    extract_limit,
                    _check_usage,
                )
            if sdk is not None and wire == "snake":
                add(
                    "sdk",
                    "sdk",
                    "orq SDK ResponseBody.model_validate_json",
                    sdk.CreateImageVariationResponseBody.model_validate_json,
                )
            if orjson is not None:
                add("orjson", "ref", "orjson.loads (no types)", orjson.loads)
    return cases


# --- auto: wire="auto" against the codec of the document's dialect --------------------------

AUTO_LINES = 1000
"""Lines of the ``auto`` group's NDJSON buffer (the same usage on every line)."""
AUTO_CALLS = ("decode", "decode_response", "extract_usage", "decode_lines")
"""The calls compared: ``UsageCodec("auto").<call>`` vs ``UsageCodec(<wire>).<call>``."""


@functools.cache
def usage_lines(wire: str, lines: int = AUTO_LINES) -> bytes:
    """An NDJSON buffer of ``lines`` copies of the small usage document in ``wire``."""
    return (DOCS[wire] + b"\n") * lines


def _lines_checker(lines: int) -> Callable[[Any], None]:
    def check(result: Any) -> None:
        assert len(result) == lines, f"{len(result)} usages, expected {lines}"
        wrong = [i for i, usage in enumerate(result) if counts(usage) != EXPECTED]
        assert not wrong, f"wrong counts on lines {wrong[:5]}, expected {EXPECTED!r}"

    return check


def auto_cases(wires: tuple[Wire, ...] = WIRES) -> list[Case]:
    """Group ``auto``: ``UsageCodec("auto")`` against the codec of the document's dialect.

    Variants ``<wire>-<call>`` (``snake-decode``, ``camel-decode_lines``...), each with two
    cases: impl ``auto`` (``UsageCodec("auto").<call>``) and impl ``<wire>``
    (``UsageCodec(<wire>).<call>``, the base the ratio is taken against). The documents:
    :data:`SNAKE` / :data:`CAMEL` for ``decode``, the ``url`` body for ``decode_response`` and
    ``extract_usage``, :data:`AUTO_LINES` usage lines for ``decode_lines``.
    """
    cases: list[Case] = []
    auto = UsageCodec("auto")
    for wire in wires:
        fixed = UsageCodec(wire)
        for call in AUTO_CALLS:
            check: Callable[[Any], None] = _check_usage
            records = 1
            if call == "decode":
                doc = DOCS[wire]
            elif call == "decode_lines":
                doc = usage_lines(wire)
                records = AUTO_LINES
                check = _lines_checker(AUTO_LINES)
            else:
                doc = body("url", wire)
                if call == "decode_response":
                    check = _body_checker("url")
            for impl, codec in (("auto", auto), (wire, fixed)):
                cases.append(
                    Case(
                        "auto",
                        f"{wire}-{call}",
                        impl,
                        "ours",
                        f'UsageCodec("{impl}").{call}',
                        getattr(codec, call),
                        doc,
                        nbytes=len(doc),
                        records=records,
                        check=check,
                    )
                )
    return cases


# --- ndjson ---------------------------------------------------------------------------------

_TOTAL = attrgetter("total_tokens")
_INPUT = attrgetter("input_tokens")
_OUTPUT = attrgetter("output_tokens")
_TEXT = attrgetter("input_tokens_details.text_tokens")
_IMAGE = attrgetter("input_tokens_details.image_tokens")
_FLOOR_LINES = msgspec.json.Decoder(Usage).decode_lines


def floor_totals(path: str) -> tuple[int, ...]:
    """The floor of ``summarize``: read the file, bare ``decode_lines``, five C-level sums."""
    with open(path, "rb") as f:
        data = f.read()
    usages = _FLOOR_LINES(data)
    return (
        len(usages),
        sum(map(_TOTAL, usages)),
        sum(map(_INPUT, usages)),
        sum(map(_OUTPUT, usages)),
        sum(map(_TEXT, usages)),
        sum(map(_IMAGE, usages)),
    )


def have_summarize() -> bool:
    """Whether ``usagecodec.summarize`` exists yet."""
    return callable(getattr(usagecodec, "summarize", None))


SUMMARIZE_MISSING = "usagecodec.summarize does not exist yet: the ndjson cases need it"


def summarize(path: str, workers: int) -> Any:
    """``usagecodec.summarize([path], workers=workers, wire="camel")``."""
    return usagecodec.summarize([path], workers=workers, wire="camel")


def _totals_checker(lines: int, sums: tuple[int, ...]) -> Callable[[Any], None]:
    def check(result: Any) -> None:
        if isinstance(result, tuple):
            got: tuple[Any, ...] = result
        elif isinstance(result, list):
            got = (
                len(result),
                *(sum(map(g, result)) for g in (_TOTAL, _INPUT, _OUTPUT, _TEXT, _IMAGE)),
            )
        else:
            got = (
                result.records,
                result.total_tokens,
                result.input_tokens,
                result.output_tokens,
                result.text_tokens,
                result.image_tokens,
            )
        assert got == (lines, *sums), f"wrong totals {got!r}, expected {(lines, *sums)!r}"

    return check


def ndjson_cases(lines: int = NDJSON_LINES, *, with_summarize: bool | None = None) -> list[Case]:
    """Group ``ndjson``: totals of an NDJSON file (``summarize`` when it exists)."""
    path, sums = ndjson_file(lines)
    size = path.stat().st_size
    variant = count_label(lines)
    check = _totals_checker(lines, sums)
    cases: list[Case] = []

    def add(impl: str, role: str, label: str, fn: Any, arg: Any, **kwargs: Any) -> None:
        cases.append(
            Case(
                "ndjson",
                variant,
                impl,
                role,
                label,
                fn,
                arg,
                kwargs or None,
                nbytes=size,
                records=lines,
                check=check,
            )
        )

    if with_summarize is None:
        with_summarize = have_summarize()
    if with_summarize:
        add(
            "workers=1",
            "ours",
            "usagecodec.summarize([path], workers=1)",
            summarize,
            str(path),
            workers=1,
        )
        add(
            "workers=2",
            "ours",
            "usagecodec.summarize([path], workers=2)",
            summarize,
            str(path),
            workers=2,
        )
    add("msgspec", "floor", "read + msgspec decode_lines + 5 sums", floor_totals, str(path))
    data = path.read_bytes()
    add(
        "decode_lines",
        "ref",
        "msgspec.json.Decoder(Usage).decode_lines(bytes in memory)",
        _FLOOR_LINES,
        data,
    )
    add(
        "codec-decode_lines",
        "ref",
        "UsageCodec().decode_lines(bytes in memory)",
        UsageCodec().decode_lines,
        data,
    )
    return cases


# --- peak memory (run in a fresh process by measure.peak_rss_growth) ------------------------


class RssTarget:
    """A call whose peak RSS growth is measured: ``prepare()``, then ``__call__()``."""

    def __init__(self, spec: str) -> None:
        kind, _, rest = spec.partition("/")
        workers, _, lines = rest.partition("/")
        self.kind = kind
        self.workers = int(workers or 1)
        self.lines = int(lines or NDJSON_LINES)
        self.path = ""

    def prepare(self) -> None:
        """Create (or find) the file; nothing of it is read yet."""
        self.path = str(ndjson_file(self.lines)[0])

    def __call__(self) -> Any:
        if self.kind == "summarize":
            return summarize(self.path, self.workers)
        return floor_totals(self.path)


def rss_target(spec: str) -> RssTarget:
    """``"summarize/<workers>/<lines>"`` or ``"floor/1/<lines>"``."""
    return RssTarget(spec)


# --- everything -----------------------------------------------------------------------------


def versions() -> dict[str, str]:
    """Versions of Python and of every library measured."""
    import platform

    out = {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "usagecodec": usagecodec.__version__,
        "msgspec": msgspec.__version__,
    }
    for dist in ("numpy", "orq-ai-sdk", "pydantic", "pydantic-core", "orjson"):
        out[dist] = _dist_version(dist)
    return out


def _dist_version(dist: str) -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def as_dict(case: Case) -> dict[str, Any]:
    """The JSON-ready description of a case (no callables)."""
    return {
        f.name: getattr(case, f.name)
        for f in dataclasses.fields(case)
        if f.name in ("group", "variant", "impl", "role", "label", "nbytes", "records")
    }
