"""The log shapes users have, as files, and every way of totalling them that we compare.

Shapes (one file each, generated once with a fixed seed into the benchmark cache directory,
``$USAGECODEC_BENCH_CACHE`` or the system's temporary directory, and reused):

* ``camel``: bare camel usages, ``{"totalTokens":...,"inputTokensDetails":{...}}``;
* ``snake``: bare snake usages;
* ``bodies``: snake response bodies with one URL each,
  ``{"created":...,"data":[{"url":"https://..."}],"usage":{snake usage}}`` (only fields of
  ``PostV2ProxyImagesVariationsResponseBody``);
* ``events``: camel log events (timestamp, level, request id, model, route, request and
  response headers...) holding a camel response body, the usage at ``response.body.usage``;
* ``images``: camel response bodies carrying one 64 KiB base64 ``b64Json`` image each;
* ``msgpack``: a stream of concatenated MessagePack documents, each a camel usage (what
  ``usagecodec convert --format msgpack`` writes);
* ``mixed``: bare usages whose dialect alternates line by line (camel, snake, camel, ...);
* ``mixed-ref``: the very same records, all camel.

Counts vary record by record and are consistent (``total = input + output``,
``input = text + image``); every file's five sums are computed while it is written and kept
next to it, so every implementation's answer is checked before it is timed.

Implementations (a function of the path returning ``(records, total, input, output, text,
image)``, or :class:`usagecodec.Totals`):

* ``summarize``: ``usagecodec.summarize(path, workers=N, wire=..., at=..., format=...)``;
* ``msgspec`` (the *plain msgspec loop*, the floor): the file read in 1 MiB chunks, the
  partial last line carried over, ``msgspec.json.Decoder(<minimal Struct>).decode_lines``
  per chunk and five ``sum(map(attrgetter(...)))``. The minimal Structs declare only the path
  to the usage (a body: ``usage`` only; an event: ``response`` -> ``body`` -> ``usage``)
  and plain ``int`` counts. MessagePack has no ``decode_lines`` and msgspec no stream
  decoder: the whole stream is read at once and decoded document by document, each one's
  end found by a first ``decode`` of the rest, which fails with ``trailing characters
  (byte N)`` after decoding the document; the document is then decoded on its own
  (:func:`msgpack_floor`; the report also shows :func:`msgpack_known_count`, one decode of
  the whole stream as an array whose length is taken from the sums file: what msgspec costs
  when the framing is free). ``mixed`` decodes into one Struct declaring both dialects' keys;
* ``duckdb``: ``read_ndjson`` with the columns given (nothing inferred), ``SET threads=2``,
  ``count(*)`` and five ``sum``;
* ``polars``: ``pl.scan_ndjson`` with the schema given, five ``sum``;
* ``orjson``: the same 1 MiB chunk loop, ``orjson.loads`` per line, the five values indexed
  and added in Python;
* ``sdk``: the same loop, the official orq SDK's pydantic model
  (``CreateImageVariationUsage`` or ``CreateImageVariationResponseBody``)
  ``model_validate_json`` per line; the SDK speaks only the snake wire;
* ``jq``: ``jq -n 'reduce inputs as $r (...)'`` in a subprocess.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import random
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any

import msgspec

import usagecodec
from usagecodec import InputTokensDetails, Usage, UsageCodec

from .cases import _cache_dir

__all__ = [
    "SHAPES",
    "Shape",
    "expected",
    "file_for",
    "impls",
]

CHUNK = 1 << 20
"""Bytes per read of the chunked loops (1 MiB, as the reader)."""

Sums = tuple[int, int, int, int, int, int]
"""``(records, total, input, output, text, image)``."""

_VERSION = 1

# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


def _records(n: int, seed: int) -> Iterator[tuple[int, int, int, int, int]]:
    """``(total, input, output, text, image)`` of ``n`` consistent usages, fixed seed."""
    randrange = random.Random(seed).randrange
    for _ in range(n):
        x, m, o = randrange(20, 6000), randrange(0, 3000), randrange(1, 2500)
        yield x + m + o, x + m, o, x, m


def _camel(t: int, i: int, o: int, x: int, m: int) -> str:
    return (
        f'{{"totalTokens":{t},"inputTokens":{i},"outputTokens":{o},'
        f'"inputTokensDetails":{{"textTokens":{x},"imageTokens":{m}}}}}'
    )


def _snake(t: int, i: int, o: int, x: int, m: int) -> str:
    return (
        f'{{"total_tokens":{t},"input_tokens":{i},"output_tokens":{o},'
        f'"input_tokens_details":{{"text_tokens":{x},"image_tokens":{m}}}}}'
    )


def _body(created: int, item: str, usage: str) -> str:
    """A response body: ``created``, one image (``item``), ``usage``."""
    return f'{{"created":{created},"data":[{item}],"usage":{usage}}}'


_EPOCH = 1_764_547_200  # 2025-12-01T00:00:00Z
_MODELS = ("openai/gpt-image-1", "openai/dall-e-2", "google/imagen-4")


class _Writer:
    """Turns record ``k`` (and a seeded RNG) into one line (str) or document (bytes)."""

    def __init__(self, kind: str, seed: int) -> None:
        self.kind = kind
        self.rng = random.Random(seed ^ 0x5EED)
        self.msgpack = UsageCodec(format="msgpack").encode

    def __call__(self, k: int, counts: tuple[int, int, int, int, int]) -> str | bytes:
        kind, rng = self.kind, self.rng
        t, i, o, x, m = counts
        if kind in ("camel", "mixed-ref"):
            return _camel(t, i, o, x, m)
        if kind == "snake":
            return _snake(t, i, o, x, m)
        if kind == "mixed":
            return (_camel if k % 2 == 0 else _snake)(t, i, o, x, m)
        if kind == "msgpack":
            return self.msgpack(Usage(t, i, o, InputTokensDetails(x, m)))
        image_id = f"{rng.getrandbits(128):032x}"
        url = f"https://cdn.orq.ai/v2/images/variations/{image_id}.png"
        created = _EPOCH + k
        if kind == "bodies":
            return _body(created, f'{{"url":"{url}"}}', _snake(*counts))
        if kind == "images":
            b64 = base64.b64encode(rng.randbytes(_IMAGE_RAW)).decode("ascii")
            return _body(created, f'{{"b64Json":"{b64}"}}', _camel(*counts))
        if kind == "events":
            ms = rng.randrange(1000)
            hms = f"{(k // 3600) % 24:02d}:{(k // 60) % 60:02d}:{k % 60:02d}.{ms:03d}"
            request_id = f"req_{rng.getrandbits(96):024x}"
            body = _body(created, f'{{"url":"{url}"}}', _camel(*counts))
            return (
                f'{{"timestamp":"2025-12-01T{hms}Z","level":"info","service":"orq-proxy",'
                f'"requestId":"{request_id}","model":"{_MODELS[k % 3]}",'
                f'"route":"/v2/proxy/images/variations","method":"POST",'
                f'"durationMs":{rng.randrange(800, 20000)},"attempt":1,"cached":false,'
                f'"request":{{"headers":{{"content-type":"multipart/form-data; boundary='
                f'----orq{image_id[:16]}","user-agent":"orq-python/4.17.13",'
                f'"x-request-id":"{request_id}"}},"n":1,"size":"1024x1024"}},'
                f'"response":{{"status":200,"headers":{{"content-type":"application/json",'
                f'"x-ratelimit-remaining-requests":"{rng.randrange(5000)}",'
                f'"openai-processing-ms":"{rng.randrange(800, 20000)}"}},"body":{body}}}}}'
            )
        raise ValueError(kind)


_IMAGE_RAW = 48 * 1024
"""Raw bytes of each ``images`` picture: 64 KiB of base64."""

# --------------------------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """One log shape: how its file looks, how big it is, how ``summarize`` reads it.

    Attributes:
        key: Short id (``camel``, ``bodies``...).
        title: What a line holds, for people.
        lines: Records in the file (sized so that one ``summarize`` call in one process, at
            the target speed, takes about 0.3-1 s here; the plain msgspec loop takes 0.2-0.9 s).
        options: Keyword arguments of ``usagecodec.summarize`` for it.
        cli: The same, as ``usagecodec summarize`` options.
        suffix: File name suffix.
    """

    key: str
    title: str
    lines: int
    options: dict[str, Any] = field(default_factory=dict)
    cli: str = ""
    suffix: str = "ndjson"


SHAPES: dict[str, Shape] = {
    s.key: s
    for s in (
        Shape("camel", "(a) bare camel usages", 1_000_000, {"wire": "camel"}, "--wire camel"),
        Shape("snake", "(b) bare snake usages", 1_000_000, {"wire": "snake"}, "--wire snake"),
        Shape(
            "bodies",
            "(c) snake response bodies, one URL each",
            300_000,
            {"wire": "snake"},
            "--wire snake",
        ),
        Shape(
            "events",
            "(d) camel log events, usage at response.body.usage",
            250_000,
            {"wire": "camel", "at": "response.body.usage"},
            "--wire camel --at response.body.usage",
        ),
        Shape(
            "images",
            "(e) camel bodies with a 64 KiB base64 b64Json image",
            5_000,
            {"wire": "camel"},
            "--wire camel",
        ),
        Shape(
            "msgpack",
            "(f) MessagePack stream of camel usages",
            400_000,
            {"wire": "camel", "format": "msgpack"},
            "--input-format msgpack",
            "msgpack",
        ),
        Shape(
            "mixed",
            "(g) bare usages, dialect alternating line by line",
            500_000,
            {"wire": "auto"},
            "--wire auto",
        ),
        Shape(
            "mixed-ref",
            "(g) the same records, all camel",
            500_000,
            {"wire": "auto"},
            "--wire auto",
        ),
    )
}

_SEEDS = {"mixed-ref": "mixed"}  # the same records as another shape


def _lines(shape: Shape) -> int:
    """The line count, or ``$USAGECODEC_SHAPES_SCALE`` times it (for quick trials)."""
    scale = float(os.environ.get("USAGECODEC_SHAPES_SCALE", "1"))
    return max(2, round(shape.lines * scale))


@functools.cache
def file_for(key: str) -> tuple[Path, Sums]:
    """The file of shape ``key`` (written on first use) and its expected sums."""
    shape = SHAPES[key]
    n = _lines(shape)
    path = _cache_dir() / f"shape-{key}-{n}-v{_VERSION}.{shape.suffix}"
    sums_path = path.with_name(path.name + ".sums.json")
    if path.is_file() and sums_path.is_file():
        return path, tuple(json.loads(sums_path.read_text()))  # type: ignore[return-value]
    seed = sum(map(ord, _SEEDS.get(key, key))) * 1_000_003 + n
    write = _Writer(key, seed)
    st = si = so = sx = sm = 0
    buf: list[bytes] = []
    held = 0
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        for k, counts in enumerate(_records(n, seed)):
            t, i, o, x, m = counts
            st, si, so, sx, sm = st + t, si + i, so + o, sx + x, sm + m
            item = write(k, counts)
            data = item if isinstance(item, bytes) else (item + "\n").encode("ascii")
            buf.append(data)
            held += len(data)
            if held >= 8 << 20:
                f.write(b"".join(buf))
                buf, held = [], 0
        f.write(b"".join(buf))
    sums: Sums = (n, st, si, so, sx, sm)
    sums_tmp = sums_path.with_name(f"{sums_path.name}.{os.getpid()}.tmp")
    sums_tmp.write_text(json.dumps(sums))
    os.replace(tmp, path)
    os.replace(sums_tmp, sums_path)
    return path, sums


def expected(key: str) -> Sums:
    """The six expected numbers of shape ``key``."""
    return file_for(key)[1]


def as_sums(result: Any) -> tuple[Any, ...]:
    """``(records, total, input, output, text, image)`` of a tuple or a ``Totals``."""
    if isinstance(result, tuple):
        return result
    return (
        result.records,
        result.total_tokens,
        result.input_tokens,
        result.output_tokens,
        result.text_tokens,
        result.image_tokens,
    )


def checker(key: str) -> Callable[[Any], None]:
    """``check(result)``: raise ``AssertionError`` unless it holds the file's sums."""
    want = expected(key)

    def check(result: Any) -> None:
        got = as_sums(result)
        assert got == want, f"{key}: wrong totals {got!r}, expected {want!r}"

    return check


# --------------------------------------------------------------------------------------------
# usagecodec
# --------------------------------------------------------------------------------------------


def summarize(path: str, workers: int, options: dict[str, Any]) -> Any:
    """``usagecodec.summarize(path, workers=workers, **options)``."""
    return usagecodec.summarize(path, workers=workers, **options)


# --------------------------------------------------------------------------------------------
# The plain msgspec loop (the floor)
# --------------------------------------------------------------------------------------------


class _Details(msgspec.Struct, rename="camel", gc=False):
    text_tokens: int
    image_tokens: int


class _CamelUsage(msgspec.Struct, rename="camel", gc=False):
    total_tokens: int
    input_tokens: int
    output_tokens: int
    input_tokens_details: _Details


class _SnakeDetails(msgspec.Struct, gc=False):
    text_tokens: int
    image_tokens: int


class _SnakeUsage(msgspec.Struct, gc=False):
    total_tokens: int
    input_tokens: int
    output_tokens: int
    input_tokens_details: _SnakeDetails


class _SnakeBody(msgspec.Struct, gc=False):
    usage: _SnakeUsage


class _CamelBody(msgspec.Struct, gc=False):
    usage: _CamelUsage


class _Response(msgspec.Struct, gc=False):
    body: _CamelBody


class _Event(msgspec.Struct, gc=False):
    response: _Response


class _BothDetails(msgspec.Struct, gc=False):
    textTokens: int = 0  # the wire names of both dialects in one Struct
    imageTokens: int = 0
    text_tokens: int = 0
    image_tokens: int = 0


class _BothUsage(msgspec.Struct, gc=False):
    totalTokens: int = 0
    inputTokens: int = 0
    outputTokens: int = 0
    inputTokensDetails: _BothDetails | None = None
    total_tokens: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    input_tokens_details: _BothDetails | None = None


def _getters(prefix: str, names: tuple[str, ...]) -> tuple[Callable[[Any], int], ...]:
    return tuple(attrgetter(prefix + name) for name in names)


_ATTRS = (
    "total_tokens",
    "input_tokens",
    "output_tokens",
    "input_tokens_details.text_tokens",
    "input_tokens_details.image_tokens",
)
_FLOOR_TYPES: dict[str, tuple[type, str]] = {
    "camel": (_CamelUsage, ""),
    "mixed-ref": (_CamelUsage, ""),
    "snake": (_SnakeUsage, ""),
    "bodies": (_SnakeBody, "usage."),
    "images": (_CamelBody, "usage."),
    "events": (_Event, "response.body.usage."),
}


def _chunks(path: str) -> Iterator[bytes]:
    """Whole lines, about 1 MiB at a time (the partial last line carried to the next)."""
    carry = b""
    with open(path, "rb") as f:
        read = f.read
        while True:
            data = read(CHUNK)
            if not data:
                break
            cut = data.rfind(b"\n")
            if cut < 0:
                carry += data
                continue
            yield carry + data[: cut + 1]
            carry = data[cut + 1 :]
    if carry:
        yield carry


def _floor(key: str) -> Callable[[str], Sums]:
    """The plain msgspec loop for an NDJSON shape."""
    cls, prefix = _FLOOR_TYPES[key]
    decode_lines = msgspec.json.Decoder(cls).decode_lines
    gt, gi, go, gx, gm = _getters(prefix, _ATTRS)

    def msgspec_loop(path: str) -> Sums:
        n = t = i = o = x = m = 0
        for chunk in _chunks(path):
            items = decode_lines(chunk)
            n += len(items)
            t += sum(map(gt, items))
            i += sum(map(gi, items))
            o += sum(map(go, items))
            x += sum(map(gx, items))
            m += sum(map(gm, items))
        return n, t, i, o, x, m

    return msgspec_loop


_MIXED_LINES = msgspec.json.Decoder(_BothUsage).decode_lines


def mixed_floor(path: str) -> Sums:
    """The plain msgspec loop for ``mixed``: one Struct declaring both dialects' keys."""
    n = t = i = o = x = m = 0
    for chunk in _chunks(path):
        for u in _MIXED_LINES(chunk):
            n += 1
            t += u.totalTokens + u.total_tokens
            i += u.inputTokens + u.input_tokens
            o += u.outputTokens + u.output_tokens
            d = u.inputTokensDetails or u.input_tokens_details
            x += d.textTokens + d.text_tokens
            m += d.imageTokens + d.image_tokens
    return n, t, i, o, x, m


_MP_DECODE = msgspec.msgpack.Decoder(_CamelUsage).decode
_TRAILING = re.compile(r"trailing characters \(byte (\d+)\)")
_MP_GETTERS = _getters("", _ATTRS)


def msgpack_floor(path: str) -> Sums:
    """The plain msgspec loop for a MessagePack stream: read whole, decode one by one.

    msgspec decodes one document per call and has no stream decoder. ``decode`` of the rest of
    the stream decodes its first document, then fails with ``trailing characters (byte N)``:
    N is where that document ends, and it is decoded again on its own.
    """
    with open(path, "rb") as f:
        data = f.read()
    view = memoryview(data)
    size = len(data)
    pos = 0
    usages = []
    append = usages.append
    decode, search, error = _MP_DECODE, _TRAILING.search, msgspec.DecodeError
    while pos < size:
        try:
            append(decode(view[pos:]))
            break
        except error as exc:
            found = search(str(exc))
            if found is None:
                raise
            end = pos + int(found.group(1))
        append(decode(view[pos:end]))
        pos = end
    return (len(usages), *(sum(map(g, usages)) for g in _MP_GETTERS))  # type: ignore[return-value]


_MP_ARRAY = msgspec.msgpack.Decoder(list[_CamelUsage]).decode


def msgpack_known_count(path: str) -> Sums:
    """A reference, not a floor: the stream decoded in one call as an array, its length known
    in advance (from the sums written with the file: a reader has no such knowledge)."""
    with open(path, "rb") as f:
        data = f.read()
    count = expected("msgpack")[0]
    usages = _MP_ARRAY(b"\xdd" + count.to_bytes(4, "big") + data)
    return (len(usages), *(sum(map(g, usages)) for g in _MP_GETTERS))  # type: ignore[return-value]


def floor_for(key: str) -> Callable[[str], Sums]:
    """The plain msgspec loop of shape ``key``."""
    if key == "msgpack":
        return msgpack_floor
    if key == "mixed":
        return mixed_floor
    return _floor(key)


# --------------------------------------------------------------------------------------------
# Peers
# --------------------------------------------------------------------------------------------

_CAMEL_SQL = (
    "STRUCT(totalTokens BIGINT, inputTokens BIGINT, outputTokens BIGINT, "
    "inputTokensDetails STRUCT(textTokens BIGINT, imageTokens BIGINT))"
)
_SNAKE_SQL = (
    "STRUCT(total_tokens BIGINT, input_tokens BIGINT, output_tokens BIGINT, "
    "input_tokens_details STRUCT(text_tokens BIGINT, image_tokens BIGINT))"
)
_CAMEL_KEYS = ("totalTokens", "inputTokens", "outputTokens", "inputTokensDetails")
_CAMEL_DETAIL_KEYS = ("textTokens", "imageTokens")
_SNAKE_KEYS = ("total_tokens", "input_tokens", "output_tokens", "input_tokens_details")
_SNAKE_DETAIL_KEYS = ("text_tokens", "image_tokens")

# shape -> (top-level column, its type, path to the usage inside it, camel?)
_COLUMNS: dict[str, tuple[str, str, tuple[str, ...], bool]] = {
    "camel": ("", _CAMEL_SQL, (), True),
    "mixed-ref": ("", _CAMEL_SQL, (), True),
    "snake": ("", _SNAKE_SQL, (), False),
    "bodies": ("usage", _SNAKE_SQL, ("usage",), False),
    "images": ("usage", _CAMEL_SQL, ("usage",), True),
    "events": (
        "response",
        f"STRUCT(body STRUCT(usage {_CAMEL_SQL}))",
        ("response", "body", "usage"),
        True,
    ),
}


def _usage_keys(camel: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return (_CAMEL_KEYS, _CAMEL_DETAIL_KEYS) if camel else (_SNAKE_KEYS, _SNAKE_DETAIL_KEYS)


def duckdb_for(key: str, threads: int = 2) -> Callable[[str], Sums] | None:
    """DuckDB ``read_ndjson`` with explicit columns, ``SET threads=<threads>``, six aggregates."""
    if key not in _COLUMNS:
        return None
    try:
        import duckdb
    except ImportError:
        return None
    column, sql_type, path, camel = _COLUMNS[key]
    top, details = _usage_keys(camel)
    if column:
        columns = {column: sql_type}
        base = ".".join(f'"{p}"' for p in path) + "."
    else:  # a bare usage: its keys are the columns
        columns = dict.fromkeys(top[:3], "BIGINT")
        columns[top[3]] = f"STRUCT({details[0]} BIGINT, {details[1]} BIGINT)"
        base = ""
    exprs = [f'{base}"{name}"' for name in top[:3]] + [
        f'{base}"{top[3]}"."{name}"' for name in details
    ]
    columns_sql = "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"
    sql = (
        "SELECT count(*), "
        + ", ".join(f"sum({e})" for e in exprs)
        + f" FROM read_ndjson(?, columns={columns_sql}, format='newline_delimited')"
    )
    con = duckdb.connect()
    con.execute(f"SET threads={threads}")

    def duckdb_read_ndjson(file: str) -> Sums:
        row = con.execute(sql, [file]).fetchone()
        assert row is not None
        return tuple(int(v) for v in row)  # type: ignore[return-value]

    duckdb_read_ndjson.sql = sql  # type: ignore[attr-defined]
    return duckdb_read_ndjson


def polars_for(key: str) -> Callable[[str], Sums] | None:
    """Polars ``scan_ndjson`` with the schema given, then six aggregates."""
    if key not in _COLUMNS:
        return None
    try:
        import polars as pl
    except ImportError:
        return None
    column, _, path, camel = _COLUMNS[key]
    top, details = _usage_keys(camel)
    usage_type = pl.Struct(
        {
            top[0]: pl.Int64,
            top[1]: pl.Int64,
            top[2]: pl.Int64,
            top[3]: pl.Struct({details[0]: pl.Int64, details[1]: pl.Int64}),
        }
    )
    if column:
        dtype: Any = usage_type
        for name in reversed(path[1:]):
            dtype = pl.Struct({name: dtype})
        schema = {column: dtype}

        def usage_field(name: str) -> Any:
            expr = pl.col(column)
            for p in path[1:]:
                expr = expr.struct.field(p)
            return expr.struct.field(name)

    else:
        schema = dict(usage_type.to_schema())

        def usage_field(name: str) -> Any:
            return pl.col(name)

    exprs = [pl.len().alias("records")]
    exprs += [usage_field(name).sum().alias(name) for name in top[:3]]
    exprs += [usage_field(top[3]).struct.field(name).sum().alias(name) for name in details]

    def polars_scan_ndjson(file: str) -> Sums:
        row = pl.scan_ndjson(file, schema=schema).select(exprs).collect().row(0)
        return tuple(int(v) for v in row)  # type: ignore[return-value]

    return polars_scan_ndjson


def orjson_for(key: str) -> Callable[[str], Sums] | None:
    """``orjson.loads`` per line in the 1 MiB chunk loop; the five values added in Python."""
    if key not in _COLUMNS and key != "mixed":
        return None
    try:
        import orjson
    except ImportError:
        return None
    loads = orjson.loads
    if key == "mixed":

        def orjson_mixed(path: str) -> Sums:
            n = t = i = o = x = m = 0
            for chunk in _chunks(path):
                for line in chunk.splitlines():
                    if not line:
                        continue
                    u = loads(line)
                    keys, detail_keys = _usage_keys("totalTokens" in u)
                    d = u[keys[3]]
                    n += 1
                    t += u[keys[0]]
                    i += u[keys[1]]
                    o += u[keys[2]]
                    x += d[detail_keys[0]]
                    m += d[detail_keys[1]]
            return n, t, i, o, x, m

        return orjson_mixed
    _, _, path_keys, camel = _COLUMNS[key]
    (kt, ki, ko, kd), (kx, km) = _usage_keys(camel)

    def orjson_loop(path: str) -> Sums:
        n = t = i = o = x = m = 0
        for chunk in _chunks(path):
            for line in chunk.splitlines():
                if not line:
                    continue
                u = loads(line)
                for p in path_keys:
                    u = u[p]
                d = u[kd]
                n += 1
                t += u[kt]
                i += u[ki]
                o += u[ko]
                x += d[kx]
                m += d[km]
        return n, t, i, o, x, m

    return orjson_loop


def sdk_for(key: str) -> Callable[[str], Sums] | None:
    """The official SDK's pydantic model per line (snake shapes only: its only wire)."""
    if key not in ("snake", "bodies"):
        return None
    try:
        from orq_ai_sdk import models
    except ImportError:
        return None
    model = (
        models.CreateImageVariationUsage
        if key == "snake"
        else models.CreateImageVariationResponseBody
    )
    validate = model.model_validate_json
    body = key == "bodies"

    def sdk_loop(path: str) -> Sums:
        n = t = i = o = x = m = 0
        for chunk in _chunks(path):
            for line in chunk.splitlines():
                if not line:
                    continue
                u = validate(line)
                if body:
                    u = u.usage
                d = u.input_tokens_details
                n += 1
                t += u.total_tokens
                i += u.input_tokens
                o += u.output_tokens
                x += d.text_tokens
                m += d.image_tokens
        return n, t, i, o, x, m

    return sdk_loop


def jq_for(key: str) -> Callable[[str], Sums] | None:
    """``jq -n 'reduce inputs as $r (...)'`` on the file; ``None`` without ``jq``."""
    if key not in _COLUMNS and key != "mixed":
        return None
    exe = shutil.which("jq")
    if exe is None:
        return None
    if key == "mixed":
        pick = (
            "(if $r.totalTokens then $r else ($r | {totalTokens: .total_tokens, inputTokens: "
            ".input_tokens, outputTokens: .output_tokens, inputTokensDetails: "
            "(.input_tokens_details | {textTokens: .text_tokens, imageTokens: .image_tokens})})"
            " end)"
        )
        (kt, ki, ko, kd), (kx, km) = _usage_keys(True)
    else:
        _, _, path_keys, camel = _COLUMNS[key]
        pick = "$r" + "".join(f".{p}" for p in path_keys)
        (kt, ki, ko, kd), (kx, km) = _usage_keys(camel)
    program = (
        f"reduce inputs as $r ([0,0,0,0,0,0]; {pick} as $u | "
        f"[.[0] + 1, .[1] + $u.{kt}, .[2] + $u.{ki}, .[3] + $u.{ko}, "
        f".[4] + $u.{kd}.{kx}, .[5] + $u.{kd}.{km}]) | @csv"
    )

    def jq_reduce(path: str) -> Sums:
        out = subprocess.run(
            [exe, "-nr", program, path], check=True, capture_output=True, text=True
        ).stdout
        return tuple(int(float(v)) for v in out.strip().split(","))  # type: ignore[return-value]

    jq_reduce.program = program  # type: ignore[attr-defined]
    return jq_reduce


# --------------------------------------------------------------------------------------------
# Everything, per shape
# --------------------------------------------------------------------------------------------

IMPL_LABELS = {
    "workers=1": "usagecodec.summarize, 1 process",
    "workers=2": "usagecodec.summarize, workers=2",
    "msgspec": "plain msgspec loop",
    "duckdb": "DuckDB read_ndjson, 2 threads",
    "polars": "Polars scan_ndjson",
    "orjson": "orjson loop",
    "sdk": "orq SDK loop",
    "jq": "jq reduce",
    "msgspec-known-count": "msgspec, whole stream as one array of known length (reference)",
}


def impls(key: str, *, peers: bool = True) -> dict[str, Callable[[str], Any]]:
    """Every implementation available for shape ``key``: impl id -> ``fn(path)``."""
    shape = SHAPES[key]
    out: dict[str, Callable[[str], Any]] = {
        "workers=1": functools.partial(summarize, workers=1, options=shape.options),
        "workers=2": functools.partial(summarize, workers=2, options=shape.options),
        "msgspec": floor_for(key),
    }
    makers: tuple[Callable[[str], Callable[[str], Any] | None], ...] = (duckdb_for,)
    if peers:
        makers += (polars_for, orjson_for, sdk_for, jq_for)
    for make in makers:
        fn = make(key)
        if fn is not None:
            out[make.__name__.removesuffix("_for")] = fn
    if peers and key == "msgpack":
        out["msgspec-known-count"] = msgpack_known_count
    return out
