"""Properties of the decoders over generated documents (hypothesis).

Round trips live in ``test_codec.py``; these pin what the decoders *reject* and the documented
skip policy: a value in an unknown (skipped) field is checked for JSON syntax only, so invalid
UTF-8 inside its strings and numbers beyond any range are tolerated by default (as the official
SDK's ``JSON.parse`` tolerates them), nesting is bounded by :data:`usagecodec.MAX_DEPTH`, and
``strict=True`` rejects unknown fields altogether. ``extract_usage`` must agree with
``decode_response`` on every body, mutated or not.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from msgspec import UNSET

from usagecodec import (
    MAX_DEPTH,
    InputTokensDetails,
    Usage,
    UsageCodec,
    UsageDecodeError,
    decode_response,
    decode_usage,
    encode_usage,
    extract_usage,
)

from .conftest import usages

BOM = b"\xef\xbb\xbf"
EXPECTED = Usage(10, 6, 4, InputTokensDetails(5, 1))
ENVELOPE = {wire: encode_usage(EXPECTED, wire) for wire in ("camel", "snake")}
DIALECT_OF = {"camel": "camel", "snake": "snake", "auto": "snake"}


def rejected(fn: Any, *args: Any, **kwargs: Any) -> UsageDecodeError | None:
    """The UsageDecodeError a call raises, or None when it returns (anything else escapes)."""
    try:
        fn(*args, **kwargs)
    except UsageDecodeError as err:
        return err
    return None


# --- generated JSON values with the oddities the skip path tolerates -----------------------

OUT_OF_RANGE = [b"1e400", b"-1e400", b"1" * 400, b"-9223372036854775809", b"2E+999"]
HUGE_NUMBERS = [*OUT_OF_RANGE, b"1e-400"]  # 1e-400 is no error anywhere: it reads as 0.0


@st.composite
def odd_string(draw: st.DrawFn) -> bytes:
    """A JSON string holding raw bytes that are not valid UTF-8 (no quote, backslash, control)."""
    raw = draw(st.binary(min_size=1, max_size=12))
    body = bytes(b for b in raw if b >= 0x20 and b not in b'"\\')
    return b'"' + body + b"\xff" * draw(st.integers(0, 1)) + b"\xc3" + b'"'


leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),  # unbounded: beyond int64 too
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(HUGE_NUMBERS),  # bytes: written verbatim
    odd_string(),
)
json_values = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=25,
)


def dump(value: Any, ascii_only: bool = False) -> bytes:
    """JSON bytes of a generated value; bytes leaves are written verbatim."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, dict):
        items = (dump(k, ascii_only) + b":" + dump(v, ascii_only) for k, v in value.items())
        return b"{" + b",".join(items) + b"}"
    if isinstance(value, list):
        return b"[" + b",".join(dump(v, ascii_only) for v in value) + b"]"
    return json.dumps(value, ensure_ascii=ascii_only).encode()


def nesting(value: Any) -> int:
    """Nesting depth of a generated (or parsed) value: a scalar is 0, ``[]`` is 1."""
    if isinstance(value, dict):
        return 1 + max((nesting(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((nesting(v) for v in value), default=0)
    return 0


def embed(value: bytes, wire: str) -> bytes:
    """A valid usage document with ``value`` as its first, unknown, field ``x``."""
    return b'{"x":' + value + b"," + ENVELOPE[DIALECT_OF[wire]][1:]


class _Syntax:
    """An oracle for the skip policy, independent of msgspec: Python's json module."""

    @staticmethod
    def _constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    @classmethod
    def parse(cls, doc: bytes) -> Any:
        """Parse with invalid UTF-8 made harmless (U+FFFD) and numbers left unconverted."""
        return json.loads(
            doc.decode("utf-8", "replace"),
            parse_int=str,
            parse_float=str,
            parse_constant=cls._constant,
        )

    @classmethod
    def strings(cls, value: Any) -> list[str]:
        if isinstance(value, dict):
            return [s for k, v in value.items() for s in [k, *cls.strings(v)]]
        if isinstance(value, list):
            return [s for v in value for s in cls.strings(v)]
        return [value] if isinstance(value, str) else []

    @classmethod
    def verdict(cls, doc: bytes, wire: str) -> str:
        """'usage' when the skip policy accepts ``doc`` as the envelope's usage, 'reject' when
        it must not, 'other' when the document is valid but says something else."""
        try:
            value = cls.parse(doc)
        except (ValueError, RecursionError):
            return "reject"
        if nesting(value) > MAX_DEPTH:
            return "reject"
        # msgspec refuses \\u escapes of unpaired UTF-16 surrogates (JSON.parse keeps them).
        if any(0xD800 <= ord(c) <= 0xDFFF for s in cls.strings(value) for c in s):
            return "reject"
        envelope = cls.parse(ENVELOPE[DIALECT_OF[wire]])
        if not isinstance(value, dict) or {k: v for k, v in value.items() if k != "x"} != envelope:
            return "other"
        return "usage"


# --- the tests -----------------------------------------------------------------------------


class TestProperPrefixes:
    @given(usages())
    @pytest.mark.parametrize("wire", ["camel", "snake", "auto"])
    def test_every_json_prefix_is_rejected(self, wire: str, u: Usage) -> None:
        """Every proper prefix of a valid JSON usage is rejected with UsageDecodeError."""
        doc = encode_usage(u, DIALECT_OF[wire])  # type: ignore[arg-type]
        assert decode_usage(doc, wire) == u  # type: ignore[arg-type]
        for cut in range(len(doc)):
            assert rejected(decode_usage, doc[:cut], wire) is not None, doc[:cut]
            assert rejected(decode_usage, doc[:cut], wire, strict=True) is not None

    @given(usages())
    @pytest.mark.parametrize("wire", ["camel", "snake", "auto"])
    def test_every_msgpack_prefix_is_rejected(self, wire: str, u: Usage) -> None:
        """Every proper prefix of a valid MessagePack usage is rejected with UsageDecodeError."""
        doc = encode_usage(u, DIALECT_OF[wire], "msgpack")  # type: ignore[arg-type]
        assert decode_usage(doc, wire, "msgpack") == u  # type: ignore[arg-type]
        for cut in range(len(doc)):
            assert rejected(decode_usage, doc[:cut], wire, "msgpack") is not None, doc[:cut]
            stream = UsageCodec(wire, "msgpack").decode_lines  # type: ignore[arg-type]
            if cut:
                assert rejected(stream, doc[:cut]) is not None, doc[:cut]

    @given(usages(), st.integers(0, 6000), st.data())
    @pytest.mark.parametrize("wire", ["camel", "snake"])
    def test_body_prefixes_are_rejected(
        self, wire: str, u: Usage, size: int, data: st.DataObject
    ) -> None:
        """Proper prefixes of a body, long base64 included, are rejected by both decoders."""
        b64 = "b64Json" if wire == "camel" else "b64_json"
        usage = msgspec.json.decode(encode_usage(u, wire))  # type: ignore[arg-type]
        doc = json.dumps(
            {"created": 1, "data": [{b64: "QUJD" * (size // 4)}], "usage": usage}
        ).encode()
        assert extract_usage(doc, wire) == u  # type: ignore[arg-type]
        for cut in data.draw(st.lists(st.integers(0, len(doc) - 1), max_size=20)):
            assert rejected(decode_response, doc[:cut], wire) is not None
            assert rejected(extract_usage, doc[:cut], wire) is not None


class TestSkipPolicy:
    @given(json_values, st.integers(-2, 2), st.sampled_from(["camel", "snake", "auto"]))
    def test_valid_json_is_skipped_up_to_the_depth_bound(
        self, value: Any, slack: int, wire: str
    ) -> None:
        """{"x": v, ...} decodes to the usage iff v, wrapped to near the bound, fits MAX_DEPTH."""
        wraps = max(MAX_DEPTH - 1 - nesting(value) + slack, 0)
        text = b"[" * wraps + dump(value) + b"]" * wraps
        doc = embed(text, wire)
        err = rejected(decode_usage, doc, wire)
        if nesting(value) + wraps <= MAX_DEPTH - 1:
            assert err is None, err
            assert decode_usage(doc, wire) == EXPECTED  # type: ignore[arg-type]
        else:
            assert err is not None
            assert err.reason == f"nesting deeper than {MAX_DEPTH} levels"

    @given(st.lists(st.one_of(odd_string(), st.sampled_from(OUT_OF_RANGE)), min_size=1))
    @pytest.mark.parametrize("wire", ["camel", "snake", "auto"])
    def test_bad_utf8_and_huge_numbers_are_tolerated_only_when_skipped(
        self, wire: str, oddities: list[bytes]
    ) -> None:
        """Invalid UTF-8 and out-of-range numbers pass in a skipped field, nowhere else."""
        text = b"[" + b",".join(oddities) + b"]"
        assert decode_usage(embed(text, wire), wire) == EXPECTED  # type: ignore[arg-type]
        err = rejected(decode_usage, embed(text, wire), wire, strict=True)
        assert err is not None
        assert err.reason.startswith("Object contains unknown field `x`")
        # The same bytes where a value is decoded (a url, a count) are rejected.
        body = b'{"created":1,"data":[{"url":' + oddities[0] + b"}]}"
        assert rejected(decode_response, body, wire) is not None
        count = ENVELOPE[DIALECT_OF[wire]].replace(b":10,", b":" + oddities[0] + b",", 1)
        assert rejected(decode_usage, count, wire) is not None

    @given(json_values, st.data())
    @pytest.mark.parametrize("wire", ["camel", "snake", "auto"])
    def test_mutated_values_decode_iff_the_document_is_valid_json(
        self, wire: str, value: Any, data: st.DataObject
    ) -> None:
        """After a one-byte change to v, {"x": v, ...} decodes iff Python's json finds it valid."""
        text = bytearray(dump(value, ascii_only=data.draw(st.booleans())))
        pos = data.draw(st.integers(0, len(text)))
        byte = data.draw(
            st.sampled_from(list(b'{}[]",:0123456789-+.eE \t\n\\tfnul\x00\x7f\xc3\xff'))
        )
        op = data.draw(st.sampled_from(["insert", "replace", "delete"]))
        if op == "insert":
            text.insert(pos, byte)
        elif pos < len(text):
            if op == "replace":
                text[pos] = byte
            else:
                del text[pos]
        doc = embed(bytes(text), wire)
        verdict = _Syntax.verdict(doc, wire)
        assume(verdict != "other")
        err = rejected(decode_usage, doc, wire)
        if verdict == "usage":
            assert err is None, (doc, err)
            assert decode_usage(doc, wire) == EXPECTED  # type: ignore[arg-type]
        else:
            assert err is not None, doc

    @given(json_values)
    @pytest.mark.parametrize("wire", ["camel", "snake", "auto"])
    def test_strict_rejects_every_unknown_field(self, wire: str, value: Any) -> None:
        """strict=True rejects {"x": v, ...} whatever v is, naming the field."""
        err = rejected(decode_usage, embed(dump(value), wire), wire, strict=True)
        assert err is not None
        assert "unknown field `x`" in err.reason


# --- bodies: extract_usage against decode_response -----------------------------------------


@st.composite
def bodies(draw: st.DrawFn, wire: str) -> bytes:
    """A response body in one dialect, sometimes with long base64 strings and odd spacing."""
    camel = wire == "camel"
    items = []
    for _ in range(draw(st.integers(0, 3))):
        item: dict[str, Any] = {}
        if draw(st.booleans()):
            size = draw(st.sampled_from([0, 8, 100, 4095, 4096, 4097, 6000, 9000]))
            alphabet = draw(st.sampled_from(["QUJD", "ab+/", "x\\/y"]))
            item["b64Json" if camel else "b64_json"] = alphabet * (size // len(alphabet))
        if draw(st.booleans()):
            item["url"] = draw(st.text(max_size=30))
        items.append(item)
    body: dict[str, Any] = {"created": draw(st.integers(0, 2**40)), "data": items}
    for name in ("output_format", "size", "quality"):
        if draw(st.booleans()):
            body[("outputFormat" if camel and name == "output_format" else name)] = "png"
    if draw(st.booleans()):
        u = draw(usages())
        body["usage"] = msgspec.json.decode(encode_usage(u, wire))  # type: ignore[arg-type]
    separators = draw(st.sampled_from([(",", ":"), (", ", ": ")]))
    text = json.dumps(body, separators=separators, ensure_ascii=draw(st.booleans())).encode()
    text = text.replace(b"\\\\/", b"\\/")  # keep some escaped slashes in the long strings
    extra = draw(
        st.one_of(
            st.none(),
            json_values.map(dump),
            st.sampled_from([b'"' + b"QUJD" * 1100 + b'\xff"', b'"' + b"QUJD" * 1100 + b'"']),
        )
    )
    if extra is not None:  # an unknown field, first: it is skipped, never built
        text = b'{"extra":' + extra + b"," + text[1:]
    return BOM + text if draw(st.booleans()) else text


def mutate(data: st.DataObject, doc: bytes) -> bytes:
    """One random byte-level change (or a byte-order mark put in front)."""
    out = bytearray(doc)
    pos = data.draw(st.integers(0, len(out)))
    byte = data.draw(st.sampled_from(list(b'{}[]",:\\0 \t\n\x01\x1f\x7f\x80\xc3\xef\xff')))
    op = data.draw(st.sampled_from(["insert", "replace", "delete", "bom"]))
    if op == "bom":
        return BOM + doc
    if op == "insert":
        out.insert(pos, byte)
    elif pos < len(out):
        if op == "replace":
            out[pos] = byte
        else:
            del out[pos]
    return bytes(out)


def outcomes_agree(doc: bytes, wire: str) -> None:
    """extract_usage(doc) is decode_response(doc).usage (None if absent), or the same error."""
    full_err = rejected(decode_response, doc, wire)
    extract_err = rejected(extract_usage, doc, wire)
    if full_err is None:
        assert extract_err is None, (doc[:200], extract_err)
        body = decode_response(doc, wire)  # type: ignore[arg-type]
        usage = extract_usage(doc, wire)  # type: ignore[arg-type]
        assert usage == (None if body.usage is UNSET else body.usage)
    else:
        assert extract_err is not None, (doc[:200], full_err)
        assert str(extract_err) == str(full_err)


class TestExtractAgreesWithDecodeResponse:
    @given(st.data())
    @pytest.mark.parametrize("wire", ["camel", "snake"])
    def test_random_bodies(self, wire: str, data: st.DataObject) -> None:
        """For random bodies, extract_usage gives decode_response's usage."""
        outcomes_agree(data.draw(bodies(wire)), wire)

    @given(st.data())
    @pytest.mark.parametrize("wire", ["camel", "snake", "auto"])
    def test_mutated_bodies(self, wire: str, data: st.DataObject) -> None:
        """After a one-byte change (or a BOM in front), both accept or both raise the same."""
        doc = data.draw(bodies("snake" if wire == "snake" else "camel"))
        outcomes_agree(mutate(data, doc), wire)

    @pytest.mark.parametrize("wire", ["camel", "snake", "auto"])
    def test_two_byte_order_marks(self, wire: str) -> None:
        """Two leading BOMs: decode_response rejects the body, and extract_usage must too."""
        outcomes_agree(BOM + BOM + b'{"created":1,"data":[]}', wire)
