"""The hot paths of :class:`UsageCodec` against its reference path, document by document.

Every method of a codec first tries a prebuilt msgspec decoder of a strict class and falls back
to the plan's slow path (``_usage.slow``, ``_body.slow``, the general ``extract_usage``,
``_slow_lines``), which tries every class in a fixed order and words every error. These tests
pin that a hot path never changes an outcome: for each document, the value (with every nested
object of exactly the public class) or the error (message and JSON path) is the reference's.
The logging filter's shortcut (``_exact_body_usage``: a usage only for a body a strict class
reads) agrees with ``extract_usage``, on documents that never read as a usage.
``wire="auto"`` is run with its dialect hint set either way, and its adaptation is pinned:
the hint follows the last document decoded, per codec, whatever reference a caller holds.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from msgspec import UNSET

from usagecodec import (
    InputTokensDetails,
    ResponseBody,
    Usage,
    UsageCodec,
    UsageDecodeError,
    encode_usage,
)
from usagecodec._hot import NOT_EXACT
from usagecodec._models import PostV2ProxyImagesVariationsData as Data

from .conftest import usages
from .test_properties import BOM, bodies, mutate

CORPUS = sorted((Path(__file__).parent / "data" / "JSONTestSuite" / "test_parsing").glob("*.json"))
EXPECTED = Usage(10, 6, 4, InputTokensDetails(5, 1))
USAGE = {wire: encode_usage(EXPECTED, wire) for wire in ("camel", "snake")}
URL_BODY = {
    "camel": b'{"created":1764547200,"data":[{"url":"https://x.test/a_b.png"}],'
    b'"outputFormat":"png","usage":' + USAGE["camel"] + b"}",
    "snake": b'{"created":1764547200,"data":[{"url":"https://x.test/a_b.png"}],'
    b'"output_format":"png","usage":' + USAGE["snake"] + b"}",
}
CONFIGS = [
    (wire, fmt, strict)
    for wire in ("camel", "snake", "auto")
    for fmt in ("json", "msgpack")
    for strict in (False, True)
]


def _public(obj: Any) -> None:
    """Every object in a decoded value is of exactly its public class."""
    if obj is None:
        return
    if isinstance(obj, ResponseBody):
        assert type(obj) is ResponseBody
        for item in obj.data:
            assert type(item) is Data
        obj = obj.usage
        if obj is UNSET:
            return
    assert type(obj) is Usage
    assert type(obj.input_tokens_details) is InputTokensDetails


def outcome(fn: Any, doc: Any) -> tuple[str, Any]:
    """What a call gives: its value (checked public) or its error's words and path."""
    try:
        value = fn(doc)
    except UsageDecodeError as err:
        return ("error", str(err), err.path, err.wire)
    if isinstance(value, list):
        for item in value:
            _public(item)
    else:
        _public(value)
    return ("value", value)


def hint_states(codec: UsageCodec) -> list[bool | None]:
    """The dialect hints a codec can be in: both for a lenient auto codec, else none."""
    return [False, True] if codec._hint is not None else [None]


def agree(codec: UsageCodec, doc: Any) -> None:
    """decode, decode_response and extract_usage give what the reference path gives."""
    references = {
        "decode": codec._usage.slow,
        "decode_response": codec._body.slow,
        "extract_usage": lambda d: UsageCodec.extract_usage(codec, d),
    }
    for state in hint_states(codec):
        for name, reference in references.items():
            if state is not None:
                assert codec._hint is not None
                codec._hint["_snake"] = state
            got = outcome(getattr(codec, name), doc)
            assert got == outcome(reference, doc), (name, state, doc[:120])
        if not codec.strict:
            # The logging filter's shortcut: a usage only where the body reads strictly.
            exact = codec._exact_body_usage(doc)
            if exact is not NOT_EXACT:
                _public(exact)
                assert ("value", exact) == outcome(references["extract_usage"], doc)
                assert outcome(codec._usage.slow, doc)[0] == "error"


def _codec(wire: str, fmt: str = "json", strict: bool = False) -> UsageCodec:
    return UsageCodec(wire, fmt, strict=strict)  # type: ignore[arg-type]


class TestHotPathsAgreeWithTheReference:
    @pytest.mark.parametrize(("wire", "fmt", "strict"), CONFIGS)
    def test_known_documents(self, wire: str, fmt: str, strict: bool) -> None:
        """Usages and bodies of both dialects, with a BOM, extra fields, broken: same outcome."""
        codec = _codec(wire, fmt, strict)
        docs: list[Any] = []
        for dialect in ("camel", "snake"):
            for doc in (USAGE[dialect], URL_BODY[dialect]):
                value = msgspec.json.decode(doc)
                if fmt == "msgpack":
                    docs.append(msgspec.msgpack.encode(value))
                    continue
                extra = b'{"extra_field":[1,{"a":null}],' + doc[1:]
                docs += [doc, BOM + doc, BOM + BOM + doc, extra, doc[:-1], doc + b"x"]
                docs += [doc.decode(), bytearray(doc), memoryview(doc)]
        docs += [b"", b"{}", b"[]", b"null", 12, None, '{"created":1,"data":[]}']
        for doc in docs:
            agree(codec, doc)

    @pytest.mark.parametrize("wire", ["camel", "snake", "auto"])
    @pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
    def test_conformance_suite(self, wire: str, path: Path) -> None:
        """Every JSONTestSuite file, alone and as a usage's and a body's field value."""
        codec = _codec(wire)
        raw = path.read_bytes()
        agree(codec, raw)
        dialect = "snake" if wire == "snake" else "camel"
        agree(codec, USAGE[dialect][:-1] + b',"extra":' + raw + b"}")
        agree(codec, URL_BODY[dialect][:-1] + b',"extra":' + raw + b"}")

    @given(st.data())
    @pytest.mark.parametrize("wire", ["camel", "snake", "auto"])
    @pytest.mark.parametrize("strict", [False, True])
    def test_random_bodies(self, wire: str, strict: bool, data: st.DataObject) -> None:
        """Generated bodies of either dialect, mutated or not, up to past 16 KiB."""
        doc = data.draw(bodies(data.draw(st.sampled_from(["camel", "snake"]))))
        if data.draw(st.booleans()):
            doc = mutate(data, doc)
        agree(_codec(wire, strict=strict), doc)

    @given(u=usages(), dialect=st.sampled_from(["camel", "snake"]), data=st.data())
    @pytest.mark.parametrize("wire", ["camel", "snake", "auto"])
    def test_random_usages(self, wire: str, u: Usage, dialect: str, data: st.DataObject) -> None:
        """Generated usages of either dialect, mutated or not, as JSON and MessagePack."""
        doc = encode_usage(u, dialect)  # type: ignore[arg-type]
        if data.draw(st.booleans()):
            doc = mutate(data, doc)
        agree(_codec(wire), doc)
        agree(_codec(wire, "msgpack"), encode_usage(u, dialect, "msgpack"))  # type: ignore[arg-type]

    @pytest.mark.parametrize("wire", ["camel", "snake", "auto"])
    def test_decode_lines(self, wire: str) -> None:
        """decode_lines gives what decoding line by line gives, for each dialect and mixed."""
        codec = _codec(wire)
        buffers = [
            USAGE["camel"] + b"\n" + USAGE["camel"] + b"\r\n\n",
            USAGE["snake"] + b"\n" + USAGE["snake"] + b"\n",
            USAGE["snake"] + b"\n" + USAGE["camel"] + b"\n",
            USAGE["camel"] + b"\n{bad\n",
            b"",
        ]
        for buf in buffers:
            for state in hint_states(codec):
                if state is not None:
                    assert codec._hint is not None
                    codec._hint["_snake"] = state
                assert outcome(codec.decode_lines, buf) == outcome(codec._slow_lines, buf)


class TestAutoAdapts:
    def test_the_hint_follows_the_last_dialect(self) -> None:
        """A fresh codec tries camel first; each method moves the hint to what it decoded."""
        codec = UsageCodec("auto")
        assert codec._hint is not None
        assert codec._hint["_snake"] is False
        assert codec.decode(USAGE["snake"]) == EXPECTED
        assert codec._hint["_snake"] is True
        assert codec.extract_usage(URL_BODY["camel"]) == EXPECTED
        assert codec._hint["_snake"] is False
        assert codec.decode_response(URL_BODY["snake"]).usage == EXPECTED
        assert codec._hint["_snake"] is True
        assert codec.decode_lines(USAGE["camel"] + b"\n") == [EXPECTED]
        assert codec._hint["_snake"] is False

    def test_a_held_method_adapts_too(self) -> None:
        """``decode = codec.decode`` once, then documents of the other dialect: it follows."""
        codec = UsageCodec("auto")
        decode = codec.decode
        decode(USAGE["snake"])
        assert codec._hint is not None
        assert codec._hint["_snake"] is True
        assert codec.decode is decode

    def test_a_document_of_neither_dialect_leaves_the_hint(self) -> None:
        """A failure (or a lenient-only document) does not move the hint."""
        codec = UsageCodec("auto")
        codec.decode(USAGE["snake"])
        with pytest.raises(UsageDecodeError):
            codec.decode(b"{}")
        assert codec.decode(b'{"x":1,' + USAGE["camel"][1:]) == EXPECTED
        assert codec._hint is not None
        assert codec._hint["_snake"] is True

    def test_codecs_do_not_share_the_hint(self) -> None:
        """Each codec (and each unpickled copy) has its own hint."""
        one, two = UsageCodec("auto"), UsageCodec("auto")
        one.decode(USAGE["snake"])
        copy = pickle.loads(pickle.dumps(one))
        assert one._hint is not None
        assert two._hint is not None
        assert copy._hint is not None
        assert (one._hint["_snake"], two._hint["_snake"], copy._hint["_snake"]) == (
            True,
            False,
            False,
        )
        assert copy.decode(USAGE["snake"]) == EXPECTED

    def test_strict_and_single_dialect_codecs_have_no_hint(self) -> None:
        """Only lenient auto codecs adapt; the others keep their fixed order."""
        assert UsageCodec("snake")._hint is None
        assert UsageCodec("auto", strict=True)._hint is None


class TestFunctionsInTheInstance:
    @pytest.mark.parametrize(("wire", "fmt", "strict"), CONFIGS)
    def test_called_through_the_class_too(self, wire: str, fmt: str, strict: bool) -> None:
        """``UsageCodec.decode(codec, doc)`` and the others give what ``codec.decode`` gives."""
        codec = _codec(wire, fmt, strict)
        dialect = "snake" if wire == "snake" else "camel"
        usage = msgspec.json.decode(USAGE[dialect])
        body = msgspec.json.decode(URL_BODY[dialect])
        encode = msgspec.json.encode if fmt == "json" else msgspec.msgpack.encode
        doc, body_doc = encode(usage), encode(body)
        assert UsageCodec.decode(codec, doc) == codec.decode(doc) == EXPECTED
        assert UsageCodec.decode_response(codec, body_doc) == codec.decode_response(body_doc)
        assert UsageCodec.extract_usage(codec, body_doc) == codec.extract_usage(body_doc)
        assert UsageCodec.encode(codec, EXPECTED) == codec.encode(EXPECTED)
        parsed = codec.decode_response(body_doc)
        assert UsageCodec.encode_response(codec, parsed) == codec.encode_response(parsed)

    def test_the_functions_take_no_self(self) -> None:
        """``codec.decode`` is a function of the document alone, documented as the method."""
        codec = UsageCodec("snake")
        for name in ("decode", "decode_response", "extract_usage", "encode", "encode_response"):
            fn = getattr(codec, name)
            assert not hasattr(fn, "__self__"), name
            assert fn.__doc__ == getattr(UsageCodec, name).__doc__, name
