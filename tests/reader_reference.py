"""An independent reference for the streaming reader, and a generator of files to feed it.

The reference reads NDJSON the plain way: split the bytes on ``b"\\n"``, parse each line with
Python's :mod:`json`, classify the parsed value by hand and add the counts up as exact
:class:`~fractions.Fraction` values. It imports nothing from ``usagecodec``: it is the
specification the reader is compared with (``tests/test_reader_differential.py``).

Where the library deliberately departs from a plain strict parse, the README says so and the
reference follows the README; each such place is marked ``README:`` below.
"""

from __future__ import annotations

import base64
import codecs
import json
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import msgspec

__all__ = [
    "AT",
    "Config",
    "Expected",
    "Raw",
    "dump",
    "minimise",
    "random_file",
    "random_msgpack_stream",
    "reference",
    "reference_msgpack",
    "split_keep_ends",
]

BOM = b"\xef\xbb\xbf"
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_DEPTH = 128
AT = "response.body.usage"
"""The dotted path the generated envelopes carry their usage at."""

Counts = tuple[Any, Any, Any, Any, Any]
"""total, input, output, text, image: ints and floats as they were on the wire."""

DIALECT_KEYS: dict[str, tuple[str, str, str, str, str, str]] = {
    "camel": (
        "totalTokens",
        "inputTokens",
        "outputTokens",
        "inputTokensDetails",
        "textTokens",
        "imageTokens",
    ),
    "snake": (
        "total_tokens",
        "input_tokens",
        "output_tokens",
        "input_tokens_details",
        "text_tokens",
        "image_tokens",
    ),
}
BODY_KEYS: dict[str, dict[str, str]] = {
    # PostV2ProxyImagesVariationsResponseBody / ...Data, as each dialect spells them.
    "camel": {"output_format": "outputFormat", "b64_json": "b64Json"},
    "snake": {"output_format": "output_format", "b64_json": "b64_json"},
}
ORDER = {"camel": ("camel",), "snake": ("snake",), "auto": ("camel", "snake")}

# README ("UTF-8"): invalid UTF-8 is rejected in the strings a body keeps, but tolerated
# inside unknown fields and unknown keys, which are skipped. To tell the two apart, each byte
# of an invalid sequence is decoded to a private-use character of plane 16 (the generated
# files hold no such character otherwise); after parsing, a kept string holding one is bad.
_SENTINEL = 0x10FF00


def _mark_invalid(exc: UnicodeError) -> tuple[str, int]:
    assert isinstance(exc, UnicodeDecodeError)
    bad = exc.object[exc.start : exc.end]
    return "".join(chr(_SENTINEL + b) for b in bad), exc.end


codecs.register_error("reader-reference-mark", _mark_invalid)


def _valid_text(s: str) -> bool:
    return not any(ord(c) >= _SENTINEL for c in s)


def _no_lone_surrogate(s: str) -> bool:
    return not any(0xD800 <= ord(c) <= 0xDFFF for c in s)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# --- one line ----------------------------------------------------------------------------


class _Bad:
    def __repr__(self) -> str:
        return "BAD"


BAD = _Bad()
"""The outcome of a bad line."""
NO_USAGE = None
"""The outcome of a good record without a usage."""


def _depth(obj: Any) -> int:
    """Nesting of arrays and objects, the outermost one counting as 1 (iterative)."""
    best = 0
    stack = [(obj, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            best = max(best, level)
            stack.extend((v, level + 1) for v in value.values())
        elif isinstance(value, list):
            best = max(best, level)
            stack.extend((v, level + 1) for v in value)
    return best


def _strings_ok(obj: Any) -> bool:
    """README: an unpaired surrogate escape is rejected anywhere, skipped fields included."""
    stack = [obj]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if not _no_lone_surrogate(value):
                return False
        elif isinstance(value, dict):
            for k, v in value.items():
                if not _no_lone_surrogate(k):
                    return False
                stack.append(v)
        elif isinstance(value, list):
            stack.extend(value)
    return True


def _number(value: Any) -> bool:
    """A count or ``created``: an int in the signed 64-bit range or a finite float."""
    if type(value) is int:
        return INT64_MIN <= value <= INT64_MAX
    if type(value) is float:
        return math.isfinite(value)
    return False  # bool, str, None, containers


def usage_of(obj: Any, dialect: str, strict: bool) -> Counts | None:
    """The counts of a valid usage object of ``dialect``, else ``None``."""
    t, i, o, det, x, m = DIALECT_KEYS[dialect]
    if type(obj) is not dict or not all(k in obj for k in (t, i, o, det)):
        return None
    if strict and set(obj) - {t, i, o, det}:
        return None
    details = obj[det]
    if type(details) is not dict or x not in details or m not in details:
        return None
    if strict and set(details) - {x, m}:
        return None
    counts = (obj[t], obj[i], obj[o], details[x], details[m])
    if not all(_number(c) for c in counts):
        return None
    if strict and any(c < 0 for c in counts):
        return None
    return counts


def _kept_string(value: Any) -> bool:
    return type(value) is str and _valid_text(value)


def body_of(obj: Any, dialect: str, strict: bool) -> Counts | _Bad | None:
    """The usage of a valid response body of ``dialect`` (``None`` if it has none), or BAD."""
    names = BODY_KEYS[dialect]
    output_format, b64 = names["output_format"], names["b64_json"]
    if type(obj) is not dict:
        return BAD
    if strict and set(obj) - {"created", "data", output_format, "size", "quality", "usage"}:
        return BAD
    if "created" not in obj or not _number(obj["created"]):
        return BAD
    data = obj.get("data")
    if type(data) is not list:
        return BAD
    for item in data:
        if type(item) is not dict:
            return BAD
        if strict and set(item) - {b64, "url"}:
            return BAD
        if any(k in item and not _kept_string(item[k]) for k in (b64, "url")):
            return BAD
    if any(k in obj and not _kept_string(obj[k]) for k in (output_format, "size", "quality")):
        return BAD
    if "usage" not in obj:
        return NO_USAGE
    counts = usage_of(obj["usage"], dialect, strict)
    return BAD if counts is None else counts


def classify(obj: Any, *, wire: str, at: str | None, strict: bool) -> Counts | _Bad | None:
    """What a parsed record gives: its counts, ``None`` (no usage) or BAD."""
    dialects = ORDER[wire]
    if at is not None:
        # Any object; the value at the dotted path, when present, must be a usage.
        value = obj
        for key in at.split("."):
            if type(value) is not dict:
                return BAD
            if key not in value:
                return NO_USAGE
            value = value[key]
        for dialect in dialects:
            counts = usage_of(value, dialect, strict)
            if counts is not None:
                return counts
        return BAD
    # A bare usage first (camel before snake under "auto"), then a response body.
    for dialect in dialects:
        counts = usage_of(obj, dialect, strict)
        if counts is not None:
            return counts
    for dialect in dialects:
        outcome = body_of(obj, dialect, strict)
        if outcome is not BAD:
            return outcome
    return BAD


def parse_line(line: bytes) -> Any:
    """The one JSON document of a non-blank line (one leading BOM removed), or BAD.

    ``json.loads`` refuses a second document on the line ("Extra data"), half a document,
    control characters in strings and a BOM left over; ``parse_constant`` refuses NaN and
    the infinities. Numbers are checked later, only where they are kept (README, "Numbers":
    values skipped in unknown fields are checked for JSON syntax only, so ``1e400`` or
    ``2**64`` there is fine). The nesting bound holds everywhere (README, "Nesting bound").
    """
    if line.startswith(BOM):
        line = line[3:]
    text = line.decode("utf-8", "reader-reference-mark")
    try:
        obj = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        return BAD
    if _depth(obj) > MAX_DEPTH or not _strings_ok(obj):
        return BAD
    return obj


def is_blank(line: bytes) -> bool:
    """Empty, or spaces, tabs and CRs only, after one leading BOM."""
    if line.startswith(BOM):
        line = line[3:]
    return not line.strip(b" \t\r")


# --- a whole source ------------------------------------------------------------------------


Amount = int | Fraction


def exact(values: Sequence[Any]) -> Amount:
    """The exact sum: ints as ints, each float as the Fraction it is; an int when integral."""
    total = sum(Fraction(v) if type(v) is float else v for v in values)
    if isinstance(total, Fraction) and total.denominator == 1:
        return int(total)
    return total


def _same(a: Any, b: Any) -> bool:
    # Usage.audit: integers compared exactly, anything else with a tolerance of 1e-9.
    if type(a) is int and type(b) is int:
        return bool(a == b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def flagged(c: Counts) -> bool:
    """Whether Usage.audit has a finding: a negative count or a sum that does not hold."""
    t, i, o, x, m = c
    return any(v < 0 for v in c) or not _same(t, i + o) or not _same(i, x + m)


@dataclass
class Expected:
    """What a reader must report for a source."""

    records: int = 0
    without_usage: int = 0
    bad_lines: int = 0
    blank_lines: int = 0
    flagged: int = 0
    sums: tuple[Amount, ...] = (0, 0, 0, 0, 0)
    bad_linenos: list[int] = field(default_factory=list)
    record_linenos: list[int] = field(default_factory=list)
    usages: list[Counts] = field(default_factory=list)

    @property
    def lines(self) -> int:
        return self.records + self.without_usage + self.bad_lines + self.blank_lines

    def add(self, lineno: int, outcome: Counts | _Bad | None) -> None:
        if outcome is BAD:
            self.bad_lines += 1
            self.bad_linenos.append(lineno)
        elif outcome is None:
            self.without_usage += 1
        else:
            assert isinstance(outcome, tuple)
            self.records += 1
            self.record_linenos.append(lineno)
            self.usages.append(outcome)
            self.flagged += flagged(outcome)

    def finish(self) -> Expected:
        self.sums = tuple(exact([u[k] for u in self.usages]) for k in range(5))
        return self


def split_lines(data: bytes) -> list[bytes]:
    """The lines of a source: one leading BOM dropped, split on LF only, a final LF ends the
    last line (it does not start an empty one)."""
    if data.startswith(BOM):
        data = data[3:]
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines


def reference(
    data: bytes, *, wire: str = "camel", at: str | None = None, strict: bool = False
) -> Expected:
    """Everything the reader must report for ``data``, computed line by line with ``json``."""
    out = Expected()
    for lineno, line in enumerate(split_lines(data), 1):
        if is_blank(line):
            out.blank_lines += 1
            continue
        obj = parse_line(line)
        out.add(lineno, BAD if obj is BAD else classify(obj, wire=wire, at=at, strict=strict))
    return out.finish()


def reference_msgpack(
    docs: Sequence[bytes], *, wire: str, max_doc: int, strict: bool = False
) -> Expected:
    """A stream of concatenated MessagePack usage documents: one record each, or one bad
    record for a document over ``max_doc`` bytes or not a valid usage."""
    out = Expected()
    for n, doc in enumerate(docs, 1):
        if len(doc) > max_doc:
            out.add(n, BAD)
            continue
        try:
            obj = msgspec.msgpack.decode(doc)  # a generic decode into dicts and lists
        except msgspec.DecodeError:
            out.add(n, BAD)
            continue
        counts = None
        for dialect in ORDER[wire]:
            counts = usage_of(obj, dialect, strict)
            if counts is not None:
                break
        out.add(n, BAD if counts is None else counts)
    return out.finish()


# --- writing JSON by hand ------------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """Bytes written as they are (a number's spelling, something broken)."""

    data: bytes


def dump(obj: Any, rng: random.Random, ws: Sequence[bytes] = (b"",)) -> bytes:
    """Serialise with a random key order kept as given, random whitespace between tokens."""

    def w() -> bytes:
        return rng.choice(ws)

    if isinstance(obj, Raw):
        return obj.data
    if obj is None:
        return b"null"
    if obj is True:
        return b"true"
    if obj is False:
        return b"false"
    if isinstance(obj, int):
        return str(obj).encode()
    if isinstance(obj, float):
        return _float_text(obj, rng)
    if isinstance(obj, str):
        return json.dumps(obj, ensure_ascii=rng.random() < 0.5).encode()
    if isinstance(obj, dict):
        items = [
            (k.data if isinstance(k, Raw) else dump(k, rng, ws))
            + w()
            + b":"
            + w()
            + dump(v, rng, ws)
            for k, v in obj.items()
        ]
        return b"{" + w() + (w() + b"," + w()).join(items) + w() + b"}"
    if isinstance(obj, list):
        return b"[" + w() + (w() + b"," + w()).join(dump(v, rng, ws) for v in obj) + w() + b"]"
    raise TypeError(type(obj))


def _float_text(v: float, rng: random.Random) -> bytes:
    r = rng.random()
    if r < 0.7 or not math.isfinite(v):
        return repr(v).encode()
    if r < 0.85:
        return f"{v:.17e}".encode()  # 17 significant digits: the same double
    return f"{v:.17E}".encode()


# --- the generator -------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """The reader options a generated file is read with."""

    wire: str
    at: str | None
    strict: bool

    def options(self) -> dict[str, Any]:
        return {"wire": self.wire, "at": self.at, "strict": self.strict}


INVALID_UTF8 = (
    b"\xff",
    b"\xfe",
    b"\x80",
    b"\xc3(",
    b"\xe2\x82",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
)


class _Gen:
    """Random lines of every kind the reader meets."""

    def __init__(self, rng: random.Random, cfg: Config) -> None:
        self.rng = rng
        self.cfg = cfg
        # Whitespace between tokens: a bare CR is JSON whitespace, and never ends a line.
        self.ws: tuple[bytes, ...] = (
            (b"",) * 8 + (b" ", b"\t") + ((b"\r", b" \r") if rng.random() < 0.3 else ())
        )

    # values

    def counts(self) -> list[Any]:
        rng = self.rng
        r = rng.random()
        if r < 0.55:  # consistent integers
            x, m, o = rng.randint(0, 3000), rng.randint(0, 3000), rng.randint(0, 9000)
            return [x + m + o, x + m, o, x, m]
        if r < 0.65:  # inconsistent or negative integers
            vals = [rng.randint(-50, 5000) for _ in range(5)]
            if rng.random() < 0.5:
                vals[rng.randrange(5)] = -rng.randint(1, 100)
            return vals
        if r < 0.8:  # consistent floats (within the audit's tolerance)
            x, m, o = (round(rng.uniform(0, 5000), rng.randint(0, 3)) for _ in range(3))
            i = x + m
            return [i + o, i, o, x, m]
        if r < 0.88:  # floats slightly or clearly off
            x, m, o = (rng.uniform(0, 100) for _ in range(3))
            eps = rng.choice([1e-12, 1e-6, 1.0])
            return [x + m + o + eps, x + m, o, x, m]
        if r < 0.94:  # mixed ints and floats
            x, o = rng.randint(0, 100), rng.choice([0.5, 0.25, 1e-3, 2.0])
            m = rng.choice([1, 1.0, 0.0, -0.0])
            return [x + m + o, x + m, o, x, m]
        # extremes: the int64 bounds, big and tiny doubles
        return [
            rng.choice([INT64_MAX, INT64_MIN, 0, -0.0, 1e300, 5e-324, 2.0**53 + 1])
            for _ in range(5)
        ]

    def unknown_value(self) -> Any:
        rng = self.rng
        r = rng.random()
        if r < 0.3:
            return rng.choice([1, "x", None, True, [1, 2], {"k": "v"}, 2.5])
        if r < 0.4:
            return Raw(rng.choice([b"1e400", b"-1e400", b"99999999999999999999999999"]))
        if r < 0.5:  # README: invalid UTF-8 inside skipped values is tolerated
            return Raw(b'"a' + rng.choice(INVALID_UTF8) + b'b"')
        if r < 0.6:  # nesting at and around the 128-level bound (the record adds its own)
            depth = rng.choice([1, 60, 124, 125, 126, 127, 128, 129, 200])
            return Raw(b"[" * depth + b"]" * depth)
        if r < 0.63:
            return Raw(b'"\\ud800"')  # README: an unpaired surrogate escape, anywhere: bad
        if r < 0.66:
            return Raw(b'"\\ud83d\\ude00"')  # a paired one is fine
        return "some text é"

    def maybe_unknown(self, obj: dict[Any, Any], p: float = 0.15) -> dict[Any, Any]:
        rng = self.rng
        while rng.random() < p:
            key: Any = rng.choice(["id", "model", "extra", "note", "x_y"])
            if rng.random() < 0.1:
                key = Raw(b'"k' + rng.choice(INVALID_UTF8) + b'"')  # an invalid unknown key
            obj[key] = self.unknown_value()
        return self.shuffle(obj)

    def shuffle(self, obj: dict[Any, Any]) -> dict[Any, Any]:
        items = list(obj.items())
        if self.rng.random() < 0.3:
            self.rng.shuffle(items)
        return dict(items)

    def dialect(self) -> str:
        wire = self.cfg.wire
        if wire == "auto" or self.rng.random() < 0.1:
            return self.rng.choice(["camel", "snake"])
        return wire

    def usage(self, dialect: str | None = None, values: list[Any] | None = None) -> dict[Any, Any]:
        t, i, o, det, x, m = DIALECT_KEYS[dialect or self.dialect()]
        c = values if values is not None else self.counts()
        details = self.maybe_unknown({x: c[3], m: c[4]}, 0.05)
        return self.maybe_unknown({t: c[0], i: c[1], o: c[2], det: details}, 0.1)

    def body(self) -> dict[Any, Any]:
        rng = self.rng
        dialect = self.dialect()
        names = BODY_KEYS[dialect]
        items = []
        for _ in range(rng.randint(0, 2)):
            if rng.random() < 0.5:
                item: dict[Any, Any] = {"url": f"https://img.example/{rng.randint(0, 999)}.png"}
            else:
                size = 5000 if rng.random() < 0.06 else rng.randint(0, 40)
                item = {names["b64_json"]: base64.b64encode(rng.randbytes(size)).decode()}
            if rng.random() < 0.04:  # README: invalid UTF-8 in a kept string is bad
                key = "url" if "url" in item else names["b64_json"]
                item[key] = Raw(b'"https://x/' + rng.choice(INVALID_UTF8) + b'"')
            items.append(self.maybe_unknown(item, 0.05))
        obj: dict[Any, Any] = {"created": rng.choice([1_700_000_000, 1.7e9, 0])}
        obj["data"] = items
        optional = {names["output_format"]: "png", "size": "1024x1024", "quality": "high"}
        obj.update({k: v for k, v in optional.items() if rng.random() < 0.3})
        if rng.random() < 0.8:
            obj["usage"] = self.usage(dialect)
        return self.maybe_unknown(obj, 0.1)

    def envelope(self) -> dict[Any, Any]:
        rng = self.rng
        r = rng.random()
        inner: Any
        if r < 0.6:
            inner = {"status": 200, "body": self.maybe_unknown({"usage": self.usage()})}
        elif r < 0.75:
            inner = {"status": 200, "body": self.body()}  # the usage of a whole body
        elif r < 0.85:
            inner = rng.choice([{}, {"body": {}}, {"status": 500}])  # no usage there
        elif r < 0.95:
            inner = rng.choice([5, [1], "x", None, {"body": 3}, {"body": {"usage": None}}])
        else:
            inner = {"body": {"usage": self.usage(values=[1, 1, "1", 1, 1])}}
        return self.maybe_unknown({"id": rng.randint(1, 999), "response": inner}, 0.1)

    def hybrid(self) -> dict[Any, Any]:
        """A record valid two ways: both dialects' usage keys (camel wins under "auto"), or a
        usage that is also a response body (a usage wins), short or long (over 4 KiB)."""
        rng = self.rng
        if rng.random() < 0.5:
            return self.shuffle({**self.usage("camel"), **self.usage("snake")})
        obj = {**self.usage(), **self.body()}
        if rng.random() < 0.5:
            obj["pad"] = "x" * 5000
        return self.shuffle(obj)

    def record(self) -> dict[Any, Any]:
        """A record of the kinds this file is about, mostly good."""
        r = self.rng.random()
        if self.cfg.at is not None and r < 0.75:
            return self.envelope()
        if r < 0.03:
            return self.hybrid()
        if r < 0.7:
            return self.usage()
        return self.body()

    def doc(self) -> bytes:
        return dump(self.record(), self.rng, self.ws)

    # lines

    def bad_usage(self) -> bytes:
        rng = self.rng
        obj = self.usage()
        keys = list(obj)
        k = rng.choice([k for k in keys if not isinstance(k, Raw)])
        r = rng.random()
        if r < 0.3:  # wrong type
            obj[k] = rng.choice(["5", True, None, [1], Raw(b"{}")])
        elif r < 0.45:  # missing field
            del obj[k]
        elif r < 0.65:  # a number out of range (2**63 - 1 and -2**63 are fine)
            obj[k] = Raw(
                rng.choice(
                    [b"9223372036854775808", b"-9223372036854775809", b"100000000000000000000",
                     b"9223372036854775807", b"-9223372036854775808", b"1e400", b"-1e400"]
                )
            )  # fmt: skip
        elif r < 0.8:
            obj[k] = Raw(rng.choice([b"NaN", b"Infinity", b"-Infinity", b"nan"]))
        else:
            obj[k] = Raw(b'"' + rng.choice(INVALID_UTF8) + b'"')
        return dump(obj, rng, self.ws)

    def bad(self) -> bytes:
        rng = self.rng
        r = rng.random()
        if r < 0.2:  # truncated
            doc = self.doc()
            return doc[: rng.randint(1, len(doc) - 1)]
        if r < 0.35:
            return rng.choice(
                [b"not json", b"{", b"}", b"[1,2", b"{'a':1}", b"nul", b"\x00", b'{"a" 1}',
                 b"\x0c", b"{}", b"[]", b"1", b'"s"', b"null", b"true", b"{,}", b"\x1b[0m"]
            )  # fmt: skip
        if r < 0.65:
            return self.bad_usage()
        if r < 0.72:  # deep nesting as the whole line
            depth = rng.choice([128, 129, 300])
            return b"[" * depth + b"]" * depth
        if r < 0.8:  # invalid UTF-8 between tokens
            doc = self.doc()
            cut = rng.randint(1, len(doc) - 1)
            return doc[:cut] + rng.choice(INVALID_UTF8) + doc[cut:]
        if r < 0.9:  # two byte-order marks: only one is dropped
            return BOM + BOM + self.doc()
        if r < 0.95:
            return self.doc() + b","
        return b"[" + self.doc() + b"]"

    def blank(self) -> bytes:
        return self.rng.choice([b"", b"", b" ", b"\t", b"\r", b"  \t \r", BOM, BOM + b" "])

    def lines(self) -> list[bytes]:
        """One to three lines."""
        rng = self.rng
        r = rng.random()
        if r < 0.55:
            doc = self.doc()
            if rng.random() < 0.05:
                doc = BOM + doc  # a byte-order mark at the start of a line
            if rng.random() < 0.05:
                doc = rng.choice([b" ", b"\t", b"\r"]) + doc + rng.choice([b" ", b"\r"])
            return [doc]
        if r < 0.72:
            return [self.bad()]
        if r < 0.82:
            return [self.blank()]
        if r < 0.91:  # two documents on one line
            sep = rng.choice([b"", b" ", b"\t", b"\r", b"  ", b" \r "])
            return [self.doc() + sep + self.doc()]
        doc = self.doc()  # a document split over two lines
        cut = rng.randint(1, len(doc) - 1)
        return [doc[:cut], doc[cut:]]


def random_file(rng: random.Random, max_lines: int = 40) -> tuple[bytes, Config]:
    """A random NDJSON file and the options to read it with."""
    cfg = Config(
        wire=rng.choice(["camel", "snake", "auto"]),
        at=AT if rng.random() < 0.3 else None,
        strict=rng.random() < 0.25,
    )
    gen = _Gen(rng, cfg)
    lines: list[bytes] = []
    target = rng.randint(1, max_lines)
    while len(lines) < target:
        lines.extend(gen.lines())
    style = rng.random()
    out = BOM if rng.random() < 0.15 else b""
    for n, line in enumerate(lines):
        last = n == len(lines) - 1
        if last and rng.random() < 0.3:
            out += line  # no final newline
        elif style < 0.5 or (style < 0.75 and rng.random() < 0.5):
            out += line + b"\n"
        else:
            out += line + b"\r\n"
    return out, cfg


def random_msgpack_stream(rng: random.Random) -> tuple[list[bytes], str]:
    """Random MessagePack usage documents (some bad, some long) and the wire to read them."""
    wire = rng.choice(["camel", "snake", "auto"])
    gen = _Gen(rng, Config(wire, None, False))
    docs = []
    for _ in range(rng.randint(1, 30)):
        dialect = gen.dialect()
        t, i, o, det, x, m = DIALECT_KEYS[dialect]
        c = gen.counts()
        obj: dict[str, Any] = {t: c[0], i: c[1], o: c[2], det: {x: c[3], m: c[4]}}
        r = rng.random()
        if r < 0.15:
            obj["pad"] = "p" * rng.randint(0, 300)  # an unknown field: a longer document
        elif r < 0.2:
            obj[t] = rng.choice(["5", None, True, 2**64 - 1, float("nan")])
        elif r < 0.25:
            del obj[o]
        docs.append(msgspec.msgpack.encode(obj))
    return docs, wire


# --- diagnosis -----------------------------------------------------------------------------


def split_keep_ends(data: bytes) -> list[bytes]:
    """The pieces of ``data`` up to and including each LF (the last one may lack it)."""
    pieces = data.split(b"\n")
    out = [p + b"\n" for p in pieces[:-1]]
    if pieces[-1]:
        out.append(pieces[-1])
    return out


def minimise(pieces: list[bytes], failing: Callable[[list[bytes]], bool]) -> list[bytes]:
    """Drop pieces (lines) one at a time for as long as ``failing`` stays true."""
    current = list(pieces)
    changed = True
    while changed:
        changed = False
        for k in range(len(current)):
            trial = current[:k] + current[k + 1 :]
            if failing(trial):
                current = trial
                changed = True
                break
    return current
