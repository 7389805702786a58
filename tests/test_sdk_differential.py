"""Differential test against the official TypeScript SDK (``@orq-ai/node``, pinned).

The SDK parses the snake_case wire with zod schemas: ``createImageVariationUsageFromJSON`` and
``createImageVariationResponseBodyFromJSON`` (``models/operations/createimagevariation.js``),
after turning the response bytes into text as ``fetch``'s ``response.text()`` does (see
``tests/sdk/runner.js``). Thousands of seeded documents (valid, wrong types, odd numbers,
duplicate keys, broken syntax, truncations, invalid UTF-8, byte-order marks, bodies) go to one
node process; :func:`usagecodec.decode_usage` and :func:`usagecodec.decode_response` with
``wire="snake"`` must accept exactly what the SDK accepts, with the same values (numbers
compared as JS doubles), except for the deliberate differences listed in :data:`DIFFERENCES`,
each a named predicate that must explain the mismatch *and* occur in the corpus.

The SDK is installed from ``tests/sdk/package.json`` and ``package-lock.json`` into a
temporary folder with ``npm ci`` once per session; the test is skipped only when ``node`` or
``npm`` is missing.
"""

from __future__ import annotations

import base64
import json
import math
import random
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from msgspec import UNSET

from usagecodec import (
    MAX_DEPTH,
    PostV2ProxyImagesVariationsResponseBody,
    Usage,
    UsageDecodeError,
    decode_response,
    decode_usage,
    extract_usage,
)

from .conftest import reference_depth

# Installs and runs the official SDK with node and npm: the full tier.
pytestmark = pytest.mark.slow

SDK_DIR = Path(__file__).parent / "sdk"
SDK_VERSION = "4.15.11"
SEED = 20_240_611
BOM = b"\xef\xbb\xbf"

# --- the SDK -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sdk_install(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pinned SDK installed with ``npm ci`` into a temporary folder, once per session."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed to run the official TypeScript SDK")
    target = tmp_path_factory.mktemp("orq-sdk")
    for name in ("package.json", "package-lock.json", ".npmrc"):
        shutil.copyfile(SDK_DIR / name, target / name)
    proc = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--prefer-offline", "--legacy-peer-deps"],
        cwd=target,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, f"npm ci failed:\n{proc.stdout}\n{proc.stderr}"
    return target


def _number(obj: dict[str, Any]) -> Any:
    """object_hook: the runner writes numbers as {"#": String(n)}; give back the double."""
    if len(obj) == 1 and "#" in obj:
        return float(obj["#"])  # "Infinity", "-Infinity" and "-0" included
    return obj


def run_sdk(install: Path, docs: list[bytes]) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Feed every document to one node process; return its versions and one result each."""
    node = shutil.which("node")
    assert node is not None
    stdin = b"".join(base64.b64encode(d) + b"\n" for d in docs)
    proc = subprocess.run(
        [node, str(SDK_DIR / "runner.js"), str(install)],
        input=stdin,
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    lines = proc.stdout.decode().splitlines()
    versions = json.loads(lines[0])
    results = [json.loads(line, object_hook=_number) for line in lines[1:]]
    assert len(results) == len(docs)
    return versions, results


# --- the corpus ----------------------------------------------------------------------------


class Raw(NamedTuple):
    """Bytes written verbatim where a JSON value goes (odd numbers, invalid UTF-8, ...)."""

    text: bytes


class Obj(NamedTuple):
    """A JSON object as ordered pairs, so that keys may repeat."""

    pairs: list[tuple[str, Any]]


USAGE_KEYS = ("total_tokens", "input_tokens", "output_tokens", "input_tokens_details")
DETAIL_KEYS = ("text_tokens", "image_tokens")
ODD_NUMBERS = [
    b"1e400",
    b"-1e400",
    b"1E400",
    b"1.7976931348623157e308",
    b"1.7976931348623158e308",
    b"1.7976931348623159e308",
    b"-1.7976931348623159e308",
    b"1e-400",
    b"-1e-400",
    b"4.9e-324",
    b"2.4e-324",
    b"2.5e-324",
    b"2.2250738585072014e-308",
    b"9223372036854775807",
    b"9223372036854775808",
    b"-9223372036854775808",
    b"-9223372036854775809",
    b"18446744073709551615",
    b"18446744073709551616",
    b"9007199254740993",
    b"123456789012345678901234567890",
    b"1" * 400,
    b"1" * 400 + b".5",
    b"0." + b"0" * 400 + b"1",
    b"1" + b"0" * 400 + b"e-400",
    b"-0",
    b"-0.0",
    b"0e0",
    b"1.0",
    b"1E2",
    b"1e+2",
    b"1E-2",
    b"0.1",
    b"100.000000000000000000001",
    b"5e-1",
    b"1.5e300",
]
BAD_NUMBERS = [
    b"01",
    b"1.",
    b".5",
    b"+1",
    b"0x10",
    b"NaN",
    b"Infinity",
    b"-",
    b"1e",
    b"1e+",
    b"--1",
]
WRONG_VALUES: list[Any] = [None, True, False, "5", "", [], [1], {}, {"a": 1}, Raw(b'"\\u0035"')]
ODD_STRINGS = [
    Raw(b'"caf\xe9"'),  # invalid UTF-8 (Latin-1 byte)
    Raw(b'"\xff\xfe"'),
    Raw(b'"\xed\xa0\x80"'),  # UTF-8-encoded surrogate
    Raw(b'"\xc0\xaf"'),  # overlong
    Raw(b'"\\ud800"'),  # lone high surrogate escape
    Raw(b'"\\udc00x"'),  # lone low surrogate escape
    Raw(b'"\\ud83d\\ude00"'),  # a valid pair
    Raw(b'"\\u0000"'),
    Raw(b'"a\\/b\\"c\\\\"'),
    Raw('"\u00e9\U0001f600"'.encode()),
    Raw(b'"\\uFFFF"'),
]


def serialise(value: Any, rng: random.Random | None = None) -> bytes:
    """JSON text of a value built from dict/Obj/list/str/number/Raw, with optional spacing."""

    def space() -> bytes:
        if rng is None or rng.random() < 0.85:
            return b""
        return rng.choice([b" ", b"\t", b"\n", b"\r\n", b"  "])

    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Obj):
        items = [
            space() + serialise(k) + space() + b":" + space() + serialise(v, rng) + space()
            for k, v in value.pairs
        ]
        return b"{" + b",".join(items) + b"}"
    if isinstance(value, dict):
        return serialise(Obj(list(value.items())), rng)
    if isinstance(value, list):
        return b"[" + b",".join(space() + serialise(v, rng) + space() for v in value) + b"]"
    return json.dumps(value).encode()


def random_number(rng: random.Random) -> Any:
    """A value a usage field may hold (or the odd literal)."""
    roll = rng.random()
    if roll < 0.35:
        return rng.randint(0, 100_000)
    if roll < 0.5:
        return rng.randint(-(2**63), 2**63 - 1)
    if roll < 0.65:
        return rng.uniform(-1e6, 1e6)
    if roll < 0.75:
        return Raw(f"{rng.randint(1, 9)}.{rng.randint(0, 999)}e{rng.randint(-320, 310)}".encode())
    if roll < 0.85:
        return rng.choice([0, -1, 1, 2**53, 2**53 + 1, -(2**63), 2**63 - 1, 0.5, 1e-7])
    return Raw(rng.choice(ODD_NUMBERS))


def random_json(rng: random.Random, depth: int = 0) -> Any:
    """Any JSON value, sometimes odd (invalid UTF-8, lone surrogates, huge numbers)."""
    roll = rng.random()
    if depth > 3 or roll < 0.3:
        return rng.choice(
            [None, True, False, 0, -1, 3.25, "x", "", Raw(rng.choice(ODD_NUMBERS)), *ODD_STRINGS]
        )
    if roll < 0.5:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if roll < 0.7:
        return {
            rng.choice(["a", "b", "total_tokens", "__proto__", ""]): random_json(rng, depth + 1)
            for _ in range(rng.randint(0, 3))
        }
    return "s" * rng.randint(0, 20)


def usage_obj(rng: random.Random) -> Obj:
    details = Obj([(k, random_number(rng)) for k in DETAIL_KEYS])
    pairs: list[tuple[str, Any]] = [(k, random_number(rng)) for k in USAGE_KEYS[:3]]
    pairs.append((USAGE_KEYS[3], details))
    if rng.random() < 0.2:
        rng.shuffle(pairs)
    return Obj(pairs)


def mutate_usage(rng: random.Random, usage: Obj) -> tuple[str, Obj]:
    """One structural change to a usage object; returns its category and the result."""
    pairs = list(usage.pairs)
    details_index = next(i for i, (k, _) in enumerate(pairs) if k == "input_tokens_details")
    in_details = rng.random() < 0.4
    target = list(pairs[details_index][1].pairs) if in_details else pairs
    index = rng.randrange(len(target))
    key = target[index][0]
    roll = rng.randrange(8)
    category: str
    if roll == 0:
        del target[index]
        category = "missing"
    elif roll == 1:
        target[index] = (key, rng.choice(WRONG_VALUES))
        category = "wrong-type"
    elif roll == 2:
        target[index] = (key, Raw(rng.choice(ODD_NUMBERS)))
        category = "odd-number"
    elif roll == 3:
        target[index] = (key, Raw(rng.choice(BAD_NUMBERS)))
        category = "bad-number"
    elif roll == 4:
        for _ in range(rng.randint(1, 3)):
            name = rng.choice(["x", "cost", "audio_tokens", "totalTokens", "é", "__proto__"])
            target.insert(rng.randrange(len(target) + 1), (name, random_json(rng)))
        category = "extra-field"
    elif roll == 5:
        other = rng.choice([random_number(rng), rng.choice(WRONG_VALUES), Raw(b"1e400")])
        target.insert(rng.choice([index, index + 1]), (key, other))
        category = "duplicate-key"
    elif roll == 6:
        target[index] = (rng.choice([key.upper(), key.replace("_", ""), key + " "]), 1)
        category = "renamed-key"
    else:
        depth = rng.choice([MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 1000])
        target.insert(index, ("deep", Raw(b"[" * depth + b"]" * depth)))
        category = "deep-extra-field"
    if in_details:
        pairs[details_index] = ("input_tokens_details", Obj(target))
    return category, Obj(pairs)


def body_obj(rng: random.Random, usage: Any) -> Obj:
    def item() -> Obj:
        pairs: list[tuple[str, Any]] = []
        if rng.random() < 0.6:
            size = rng.choice([0, 4, 100, 3000, 6000])
            pairs.append(("b64_json", "QUJD" * (size // 4)))
        if rng.random() < 0.5:
            pairs.append(("url", f"https://example.com/{rng.randint(0, 999)}.png"))
        if rng.random() < 0.1:
            pairs.append(("revised_prompt", random_json(rng)))
        return Obj(pairs)

    pairs: list[tuple[str, Any]] = [
        ("created", random_number(rng)),
        ("data", [item() for _ in range(rng.randint(0, 3))]),
    ]
    pairs.extend(
        (name, rng.choice(["png", "1024x1024", "high", ""]))
        for name in ("output_format", "size", "quality")
        if rng.random() < 0.5
    )
    if usage is not UNSET:
        pairs.append(("usage", usage))
    if rng.random() < 0.2:
        rng.shuffle(pairs)
    return Obj(pairs)


def mutate_body(rng: random.Random, body: Obj) -> tuple[str, Obj]:
    """One structural change to a body outside its usage."""
    pairs = list(body.pairs)
    roll = rng.randrange(6)
    index = rng.randrange(len(pairs))
    key = pairs[index][0]
    if roll == 0:
        del pairs[index]
        return "body-missing", Obj(pairs)
    if roll == 1:
        pairs[index] = (
            key,
            rng.choice([*WRONG_VALUES, Raw(b"1e400"), Raw(b"18446744073709551616")]),
        )
        return "body-wrong-type", Obj(pairs)
    if roll == 2:
        value: Any = rng.choice([*ODD_STRINGS, None, 5, {}])
        item = Obj([(rng.choice(["b64_json", "url"]), value)])
        pairs.append(("data", [item]))
        return "body-data-item", Obj(pairs)
    if roll == 3:
        pairs.append((rng.choice(["output_format", "size", "quality"]), rng.choice(ODD_STRINGS)))
        return "body-odd-string", Obj(pairs)
    if roll == 4:
        pairs.insert(rng.randrange(len(pairs) + 1), ("extra", random_json(rng)))
        return "body-extra-field", Obj(pairs)
    pairs.insert(rng.randrange(len(pairs) + 1), (key, rng.choice([None, 1, "x", []])))
    return "body-duplicate-key", Obj(pairs)


def mutate_bytes(rng: random.Random, doc: bytes) -> tuple[str, bytes]:
    """One byte-level change: truncation, splice, BOM, trailing junk, broken syntax."""
    roll = rng.randrange(9)
    if roll == 0 and len(doc) > 1:
        return "truncated", doc[: rng.randrange(1, len(doc))]
    if roll == 1:
        out = bytearray(doc)
        for _ in range(rng.randint(1, 3)):
            pos = rng.randrange(len(out) + 1)
            op = rng.randrange(3)
            byte = rng.choice([*b'{}[]",:0123456789-+.eE \t\n\\tfnul', 0x00, 0x7F, 0xC3, 0xFF])
            if op == 0 and pos < len(out):
                del out[pos]
            elif op == 1:
                out.insert(pos, byte)
            elif pos < len(out):
                out[pos] = byte
        return "spliced", bytes(out)
    if roll == 2:
        return "bom", rng.choice([BOM + doc, BOM + BOM + doc, b"\xff\xfe" + doc, doc + BOM])
    if roll == 3:
        cut = rng.randrange(len(doc) + 1)
        return "bom-inside", doc[:cut] + BOM + doc[cut:]
    if roll == 4:
        junk = rng.choice([b"x", b",", b"{}", b"\x00", b" \n", b"\n\n", b"//c", doc])
        return "trailing", doc + junk
    if roll == 5:
        return "leading", rng.choice(
            [b" ", b"\n", b"\t\r\n ", b"\x0c", b"\xc2\xa0", b"\x00"]
        ) + doc
    if roll == 6:
        return "trailing-comma", doc[:-1] + b",}"
    if roll == 7:
        return "single-quotes", doc.replace(b'"', b"'", rng.randint(1, 4))
    return "comment", doc.replace(b",", b",/*c*/", 1)


HANDMADE: dict[str, bytes] = {
    "valid": b'{"total_tokens":3,"input_tokens":2,"output_tokens":1,'
    b'"input_tokens_details":{"text_tokens":1,"image_tokens":1}}',
    "valid-body": b'{"created":1,"data":[{"url":"u"},{"b64_json":"QUJD"}],"output_format":"png",'
    b'"usage":{"total_tokens":3,"input_tokens":2,"output_tokens":1,'
    b'"input_tokens_details":{"text_tokens":1,"image_tokens":1}}}',
}
HANDMADE.update(
    {
        "bom": BOM + HANDMADE["valid"],
        "bom-body": BOM + HANDMADE["valid-body"],
        "utf8-unknown-field": HANDMADE["valid"][:-1] + b',"note":"caf\xe9"}',
        "utf8-unknown-key": HANDMADE["valid"][:-1] + b',"n\xffte":1}',
        "utf8-url": HANDMADE["valid-body"].replace(b'"url":"u"', b'"url":"u\xff"'),
        "lone-surrogate-unknown-field": HANDMADE["valid"][:-1] + b',"note":"\\ud800"}',
        "lone-surrogate-url": HANDMADE["valid-body"].replace(b'"url":"u"', b'"url":"\\ud800"'),
        "duplicate-last-wins": HANDMADE["valid"].replace(
            b'"total_tokens":3', b'"total_tokens":9,"total_tokens":3'
        ),
        "duplicate-earlier-invalid": HANDMADE["valid"].replace(
            b'"total_tokens":3', b'"total_tokens":"x","total_tokens":3'
        ),
        "unknown-fields": HANDMADE["valid"][:-1] + b',"cost":{"usd":[1,{"x":null}]}}',
        "null-optional": HANDMADE["valid-body"].replace(b'"output_format":"png"', b'"size":null'),
        "null-usage": b'{"created":1,"data":[],"usage":null}',
        "huge-number": HANDMADE["valid"].replace(b'"total_tokens":3', b'"total_tokens":1e400'),
        "int-beyond-int64": HANDMADE["valid"].replace(
            b'"total_tokens":3', b'"total_tokens":9223372036854775808'
        ),
        "deep-unknown-field": HANDMADE["valid"][:-1]
        + b',"deep":'
        + b"[" * (MAX_DEPTH + 1)
        + b"]" * (MAX_DEPTH + 1)
        + b"}",
        "camel": b'{"totalTokens":3,"inputTokens":2,"outputTokens":1,'
        b'"inputTokensDetails":{"textTokens":1,"imageTokens":1}}',
    }
)


def corpus() -> list[tuple[str, bytes]]:
    """The documents: the handmade ones, then at least 5,000 seeded random ones."""
    rng = random.Random(SEED)
    docs = [(f"handmade:{name}", doc) for name, doc in HANDMADE.items()]
    for _ in range(7000):
        is_body = rng.random() < 0.4
        category = "valid"
        usage: Any = usage_obj(rng)
        if rng.random() < 0.6:
            category, usage = mutate_usage(rng, usage)
        value: Any = usage
        if is_body:
            roll = rng.random()
            if roll < 0.15:
                usage = UNSET
            elif roll < 0.2:
                usage = rng.choice([None, [], "x", 5])
            value = body_obj(rng, usage)
            if rng.random() < 0.3:
                category, value = mutate_body(rng, value)
            category = "body:" + category
        doc = serialise(value, rng)
        if rng.random() < 0.3:
            kind, doc = mutate_bytes(rng, doc)
            category += "+" + kind
        docs.append((category, doc))
    return docs


# --- our side and the comparison -----------------------------------------------------------


class Outcome(NamedTuple):
    """What one parser made of one document: a value, or the rejection."""

    ok: bool
    value: Any
    error: UsageDecodeError | None = None


def ours(fn: Callable[[bytes], Any], doc: bytes) -> Outcome:
    try:
        return Outcome(True, fn(doc))
    except UsageDecodeError as err:
        return Outcome(False, None, err)


def decode_snake_usage(doc: bytes) -> Usage:
    return decode_usage(doc, wire="snake")


def decode_snake_body(doc: bytes) -> PostV2ProxyImagesVariationsResponseBody:
    return decode_response(doc, wire="snake")


def same_number(ours_value: float, sdk_value: Any) -> bool:
    """Our int or float, as a JS double, equals the SDK's number."""
    return isinstance(sdk_value, float) and float(ours_value) == sdk_value


def same_usage(u: Usage, v: Any) -> bool:
    if not isinstance(v, dict) or set(v) != {
        "totalTokens",
        "inputTokens",
        "outputTokens",
        "inputTokensDetails",
    }:
        return False
    d = v["inputTokensDetails"]
    return (
        isinstance(d, dict)
        and set(d) == {"textTokens", "imageTokens"}
        and same_number(u.total_tokens, v["totalTokens"])
        and same_number(u.input_tokens, v["inputTokens"])
        and same_number(u.output_tokens, v["outputTokens"])
        and same_number(u.input_tokens_details.text_tokens, d["textTokens"])
        and same_number(u.input_tokens_details.image_tokens, d["imageTokens"])
    )


def same_body(b: PostV2ProxyImagesVariationsResponseBody, v: Any) -> bool:
    if not isinstance(v, dict) or not same_number(b.created, v.get("created")):
        return False
    strings = {
        "outputFormat": b.output_format,
        "size": b.size,
        "quality": b.quality,
    }
    expected_keys = {"created", "data"} | {k for k, s in strings.items() if s is not UNSET}
    if b.usage is not UNSET:
        expected_keys.add("usage")
    if set(v) != expected_keys:
        return False
    if any(s is not UNSET and v[k] != s for k, s in strings.items()):
        return False
    data = v["data"]
    if not isinstance(data, list) or len(data) != len(b.data):
        return False
    for item, sdk_item in zip(b.data, data, strict=True):
        mine = {
            "b64Json": item.b64_json,
            "url": item.url,
        }
        if sdk_item != {k: s for k, s in mine.items() if s is not UNSET}:
            return False
    return b.usage is UNSET or same_usage(b.usage, v["usage"])


def agree(mine: Outcome, sdk: dict[str, Any], same: Callable[[Any, Any], bool]) -> bool:
    if mine.ok != sdk["ok"]:
        return False
    return not mine.ok or same(mine.value, sdk["value"])


# --- the deliberate differences ------------------------------------------------------------


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _path_tokens(path: str) -> list[str | int]:
    """``$.data[0].url`` -> ``["data", 0, "url"]``."""
    return [key or int(index) for key, index in re.findall(r"\.([^.\[]+)|\[(\d+)\]", path[1:])]


def sdk_value_at(value: Any, path: str) -> Any:
    """The SDK's value at one of our (snake) error paths, such as ``$.usage.total_tokens``."""
    for token in _path_tokens(path):
        if isinstance(token, int):
            if not isinstance(value, list) or token >= len(value):
                return None
            value = value[token]
        elif isinstance(value, dict) and _camel(token) in value:
            value = value[_camel(token)]
        else:
            return None
    return value


class _RawNumber(str):
    """A number literal kept verbatim through Python's json parser."""


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as its ordered pairs (repeated keys kept)."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def sdk_view(doc: bytes) -> Any:
    """The document as JSON.parse sees it in the SDK, objects as pairs; raises if invalid.

    The text is decoded as the runner does (UTF-8 with U+FFFD, one leading BOM dropped).
    """
    text = doc.decode("utf-8", "replace").removeprefix("\ufeff")
    return json.loads(
        text,
        object_pairs_hook=_Pairs,
        parse_float=_RawNumber,
        parse_int=_RawNumber,
        parse_constant=_reject_constant,
    )


def repeated_key_on_path(doc: bytes, path: str) -> bool:
    """Whether some object on our error path repeats the key the path goes through."""
    try:
        value = sdk_view(doc)
    except (ValueError, RecursionError):
        return False
    for token in _path_tokens(path):
        if isinstance(token, int):
            if not isinstance(value, list) or isinstance(value, _Pairs) or token >= len(value):
                return False
            value = value[token]
            continue
        if not isinstance(value, _Pairs):
            return False
        found = [v for k, v in value if k == token]
        if len(found) != 1:
            return len(found) > 1
        value = found[0]
    return False


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, _Pairs):
        for k, v in value:
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str) and not isinstance(value, _RawNumber):
        yield value


def has_lone_surrogate(doc: bytes) -> bool:
    """Whether a string or key of the document holds an unpaired UTF-16 surrogate."""
    try:
        value = sdk_view(doc)
    except (ValueError, RecursionError):
        return False
    return any(re.search("[\ud800-\udfff]", s) for s in _strings(value))


def _sdk_strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _sdk_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _sdk_strings(v)
    elif isinstance(value, str):
        yield value


class Context(NamedTuple):
    """One mismatch: the document, our error (we reject), the SDK's value (it accepts)."""

    doc: bytes
    error: UsageDecodeError
    sdk_value: Any


def _number_out_of_double_range(c: Context) -> bool:
    value = sdk_value_at(c.sdk_value, c.error.path)
    return c.error.reason.startswith("number out of range") and value in (math.inf, -math.inf)


def _integer_beyond_int64(c: Context) -> bool:
    value = sdk_value_at(c.sdk_value, c.error.path)
    return (
        c.error.reason == "integer outside the signed 64-bit range"
        and isinstance(value, float)
        and abs(value) >= 2.0**63
    )


def _invalid_utf8_in_kept_string(c: Context) -> bool:
    try:
        c.doc.decode("utf-8")
    except UnicodeDecodeError:
        return c.error.reason.startswith("invalid UTF-8") and any(
            "\ufffd" in s for s in _sdk_strings(c.sdk_value)
        )
    return False


def _lone_surrogate_escape(c: Context) -> bool:
    return bool(
        re.search("surrogate|hex escape|truncated", c.error.reason)
    ) and has_lone_surrogate(c.doc)


def _nesting_deeper_than_max_depth(c: Context) -> bool:
    return (
        c.error.reason == f"nesting deeper than {MAX_DEPTH} levels"
        and reference_depth(c.doc) > MAX_DEPTH
    )


def _repeated_key_earlier_value_invalid(c: Context) -> bool:
    return repeated_key_on_path(c.doc, c.error.path)


class Difference(NamedTuple):
    """A deliberate difference: the SDK accepts a document that we reject, and why."""

    name: str
    sentence: str
    explains: Callable[[Context], bool]


DIFFERENCES = [
    Difference(
        "number_out_of_double_range",
        "A number beyond the double range (1e400) becomes Infinity in the SDK (JSON.parse; "
        "zod's number() allows it, and JSON.stringify writes it back as null); we reject it.",
        _number_out_of_double_range,
    ),
    Difference(
        "integer_beyond_int64",
        "An integer outside the signed 64-bit range (2**63) becomes the nearest double in the "
        "SDK, silently imprecise; we reject it.",
        _integer_beyond_int64,
    ),
    Difference(
        "invalid_utf8_in_kept_string",
        "Invalid UTF-8 inside a string the body keeps (url, b64_json, output_format, ...) "
        "becomes U+FFFD in the SDK (fetch's response.text()); we reject it (invalid UTF-8 "
        "in skipped fields is tolerated by both).",
        _invalid_utf8_in_kept_string,
    ),
    Difference(
        "lone_surrogate_escape",
        "An unpaired \\uD800-\\uDFFF escape is accepted by JSON.parse anywhere, even in a kept "
        "string; we (msgspec) reject it as malformed JSON, in skipped fields too.",
        _lone_surrogate_escape,
    ),
    Difference(
        "nesting_deeper_than_max_depth",
        f"An unknown field nested deeper than MAX_DEPTH ({MAX_DEPTH}) levels is skipped by the "
        "SDK; we reject the document before parsing it.",
        _nesting_deeper_than_max_depth,
    ),
    Difference(
        "repeated_key_earlier_value_invalid",
        "A repeated key: both keep the last value, but we also validate the earlier "
        "occurrences, so an invalid earlier value is rejected; JSON.parse discards it.",
        _repeated_key_earlier_value_invalid,
    ),
]


def explain(context: Context) -> str | None:
    """The name of the first deliberate difference explaining a mismatch, or None."""
    for difference in DIFFERENCES:
        if difference.explains(context):
            return difference.name
    return None


def describe(category: str, doc: bytes, mine: Outcome, sdk: dict[str, Any]) -> str:
    ours_text = repr(mine.value) if mine.ok else str(mine.error)
    sdk_text = repr(sdk.get("value")) if sdk["ok"] else sdk["error"]
    return f"[{category}] {doc[:300]!r}\n  ours: {ours_text[:300]}\n  sdk:  {sdk_text[:300]}"


class Comparison(NamedTuple):
    """The result of one schema's comparison over the corpus."""

    agreed: int
    both_accepted: int
    explained: dict[str, list[str]]
    unexplained: list[str]


def compare(
    docs: list[tuple[str, bytes]],
    sdk_results: list[dict[str, Any]],
    schema: str,
    decode: Callable[[bytes], Any],
    same: Callable[[Any, Any], bool],
) -> Comparison:
    agreed = both_accepted = 0
    explained: dict[str, list[str]] = {d.name: [] for d in DIFFERENCES}
    unexplained = []
    for (category, doc), result in zip(docs, sdk_results, strict=True):
        sdk = result[schema]
        mine = ours(decode, doc)
        if agree(mine, sdk, same):
            agreed += 1
            both_accepted += mine.ok
            continue
        name = None
        if sdk["ok"] and not mine.ok:
            assert mine.error is not None
            name = explain(Context(doc, mine.error, sdk["value"]))
        if name is None:
            unexplained.append(describe(category, doc, mine, sdk))
        else:
            explained[name].append(category)
    return Comparison(agreed, both_accepted, explained, unexplained)


# --- fixtures over the corpus --------------------------------------------------------------


@pytest.fixture(scope="module")
def docs() -> list[tuple[str, bytes]]:
    return corpus()


@pytest.fixture(scope="module")
def sdk_run(
    sdk_install: Path, docs: list[tuple[str, bytes]]
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    return run_sdk(sdk_install, [doc for _, doc in docs])


@pytest.fixture(scope="module")
def usage_comparison(
    docs: list[tuple[str, bytes]], sdk_run: tuple[dict[str, str], list[dict[str, Any]]]
) -> Comparison:
    return compare(docs, sdk_run[1], "usage", decode_snake_usage, same_usage)


@pytest.fixture(scope="module")
def body_comparison(
    docs: list[tuple[str, bytes]], sdk_run: tuple[dict[str, str], list[dict[str, Any]]]
) -> Comparison:
    return compare(docs, sdk_run[1], "body", decode_snake_body, same_body)


def handmade(
    name: str, docs: list[tuple[str, bytes]], sdk_run: tuple[Any, list[dict[str, Any]]]
) -> dict[str, Any]:
    index = [category for category, _ in docs].index(f"handmade:{name}")
    result: dict[str, Any] = sdk_run[1][index]
    return result


# --- the tests -----------------------------------------------------------------------------


class TestPinnedSdk:
    def test_package_json_pins_an_exact_version(self) -> None:
        """package.json and the lock file pin @orq-ai/node to one exact version, zod to 3.x."""
        package = json.loads((SDK_DIR / "package.json").read_text())
        lock = json.loads((SDK_DIR / "package-lock.json").read_text())
        assert package["dependencies"]["@orq-ai/node"] == SDK_VERSION
        assert lock["packages"]["node_modules/@orq-ai/node"]["version"] == SDK_VERSION
        assert lock["packages"]["node_modules/zod"]["version"].startswith("3.")

    def test_runner_reports_the_pinned_versions(
        self, sdk_run: tuple[dict[str, str], list[dict[str, Any]]]
    ) -> None:
        """The node runner loads the pinned SDK (and the zod 3 its peer range asks for)."""
        versions = sdk_run[0]
        assert versions["sdk"] == SDK_VERSION
        assert versions["zod"].startswith("3.")


class TestCorpusGenerator:
    def test_corpus_is_large_seeded_and_varied(self) -> None:
        """At least 5,000 documents, the same ones every run, across every kind of change."""
        first = corpus()
        assert len(first) >= 5000
        assert first == corpus()
        categories = {part for category, _ in first for part in re.split(r"[:+]", category)}
        for kind in (
            "valid",
            "missing",
            "wrong-type",
            "odd-number",
            "bad-number",
            "extra-field",
            "duplicate-key",
            "deep-extra-field",
            "truncated",
            "spliced",
            "bom",
            "bom-inside",
            "trailing",
            "body-data-item",
            "body-odd-string",
        ):
            assert kind in categories

    def test_serialiser_keeps_repeated_keys_and_raw_bytes(self) -> None:
        """Obj pairs may repeat a key and Raw bytes are written verbatim."""
        assert serialise(Obj([("a", 1), ("a", Raw(b"1e400"))])) == b'{"a":1,"a":1e400}'


class TestSdkBehaviour:
    """What the SDK does with the cases the README must talk about (pinned)."""

    @pytest.mark.parametrize(
        ("name", "usage_ok"),
        [
            ("valid", True),
            ("bom", True),
            ("utf8-unknown-field", True),
            ("utf8-unknown-key", True),
            ("lone-surrogate-unknown-field", True),
            ("duplicate-last-wins", True),
            ("duplicate-earlier-invalid", True),
            ("unknown-fields", True),
            ("huge-number", True),
            ("int-beyond-int64", True),
            ("deep-unknown-field", True),
            ("camel", False),
        ],
    )
    def test_sdk_usage_verdicts(
        self,
        name: str,
        usage_ok: bool,
        docs: list[tuple[str, bytes]],
        sdk_run: tuple[Any, list[dict[str, Any]]],
    ) -> None:
        """The SDK accepts BOMs, bad UTF-8 and lone surrogates in skipped fields, 1e400, 2**63."""
        assert handmade(name, docs, sdk_run)["usage"]["ok"] is usage_ok

    def test_sdk_keeps_the_last_duplicate(
        self, docs: list[tuple[str, bytes]], sdk_run: tuple[Any, list[dict[str, Any]]]
    ) -> None:
        """For a repeated key JSON.parse keeps the last value, and so do we."""
        sdk = handmade("duplicate-last-wins", docs, sdk_run)["usage"]["value"]
        assert sdk["totalTokens"] == 3.0
        assert decode_usage(HANDMADE["duplicate-last-wins"], "snake").total_tokens == 3

    def test_sdk_turns_huge_numbers_into_infinity(
        self, docs: list[tuple[str, bytes]], sdk_run: tuple[Any, list[dict[str, Any]]]
    ) -> None:
        """1e400 is Infinity for the SDK, and 2**63 the double 9223372036854775808."""
        assert handmade("huge-number", docs, sdk_run)["usage"]["value"]["totalTokens"] == math.inf
        value = handmade("int-beyond-int64", docs, sdk_run)["usage"]["value"]["totalTokens"]
        assert value == 2.0**63

    def test_sdk_replaces_invalid_utf8_in_kept_strings(
        self, docs: list[tuple[str, bytes]], sdk_run: tuple[Any, list[dict[str, Any]]]
    ) -> None:
        """An invalid byte in a url becomes U+FFFD for the SDK; we reject the body."""
        body = handmade("utf8-url", docs, sdk_run)["body"]
        assert body["ok"]
        assert body["value"]["data"][0]["url"] == "u\ufffd"
        with pytest.raises(UsageDecodeError, match="UTF-8"):
            decode_response(HANDMADE["utf8-url"], "snake")

    def test_sdk_rejects_null_for_optional_fields(
        self, docs: list[tuple[str, bytes]], sdk_run: tuple[Any, list[dict[str, Any]]]
    ) -> None:
        """null is no value for an optional field (size, usage) in the SDK, nor for us."""
        for name in ("null-optional", "null-usage"):
            assert handmade(name, docs, sdk_run)["body"]["ok"] is False
            with pytest.raises(UsageDecodeError):
                decode_response(HANDMADE[name], "snake")

    def test_sdk_accepts_a_byte_order_mark(
        self, docs: list[tuple[str, bytes]], sdk_run: tuple[Any, list[dict[str, Any]]]
    ) -> None:
        """A leading BOM is dropped by the SDK's text decoding, and ignored by us."""
        assert handmade("bom-body", docs, sdk_run)["body"]["ok"] is True
        assert decode_response(HANDMADE["bom-body"], "snake").usage is not UNSET


class TestUsageAgainstSdk:
    def test_decode_usage_agrees_with_the_sdk(self, usage_comparison: Comparison) -> None:
        """decode_usage(wire="snake") accepts what the SDK accepts, with the same numbers."""
        assert usage_comparison.unexplained == [], "\n".join(usage_comparison.unexplained[:20])
        assert usage_comparison.agreed > 4000
        assert usage_comparison.both_accepted > 1000

    def test_every_named_difference_occurs(
        self, usage_comparison: Comparison, body_comparison: Comparison
    ) -> None:
        """Each deliberate difference explains at least one document (none is dead)."""
        for difference in DIFFERENCES:
            hits = (
                usage_comparison.explained[difference.name]
                + (body_comparison.explained[difference.name])
            )
            assert hits, difference.name


class TestBodyAgainstSdk:
    def test_decode_response_agrees_with_the_sdk(self, body_comparison: Comparison) -> None:
        """decode_response(wire="snake") accepts what the SDK accepts, with the same values."""
        assert body_comparison.unexplained == [], "\n".join(body_comparison.unexplained[:20])
        assert body_comparison.agreed > 4000
        assert body_comparison.both_accepted > 500

    def test_extract_usage_agrees_with_decode_response(
        self, docs: list[tuple[str, bytes]]
    ) -> None:
        """extract_usage gives decode_response's usage (or None), or the same error, always."""
        wrong = []
        for category, doc in docs:
            full = ours(decode_snake_body, doc)
            extracted = ours(lambda d: extract_usage(d, wire="snake"), doc)
            if full.ok:
                usage = None if full.value.usage is UNSET else full.value.usage
                good = extracted.ok and extracted.value == usage
            else:
                good = not extracted.ok and str(extracted.error) == str(full.error)
            if not good:
                wrong.append(describe(category, doc, extracted, {"ok": False, "error": "-"}))
        assert wrong == [], "\n".join(wrong[:10])
