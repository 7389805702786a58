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
from usagecodec import InputTokensDetails, Usage, UsageCodec
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
        group: ``decode``, ``encode``, ``extract`` or ``ndjson``.
        variant: What is decoded: ``camel``, ``snake``, ``msgpack``, ``2MB``, ``1M``...
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
    """The five counts of whatever a decode case returns (object, tuple or encoded bytes)."""
    if isinstance(obj, tuple):
        return obj
    if isinstance(obj, str):
        obj = obj.encode()
    if isinstance(obj, bytes):
        data: Any = json.loads(obj) if obj[:1] == b"{" else msgspec.msgpack.decode(obj)
        top = {k.replace("_", "").lower(): v for k, v in data.items()}
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
