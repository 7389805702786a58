"""UsageCodec and the convenience functions: dialects, formats, errors, round trips."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import threading
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

import usagecodec
from usagecodec import (
    MAX_DEPTH,
    InputTokensDetails,
    PostV2ProxyImagesVariationsData,
    PostV2ProxyImagesVariationsResponseBody,
    Usage,
    UsageCodec,
    UsageDecodeError,
    UsageValueError,
    decode_response,
    decode_usage,
    encode_response,
    encode_usage,
    extract_usage,
    json_schema,
)

from .conftest import FORMATS, WIRES, usages

CAMEL_KEYS = {
    "total": "totalTokens",
    "input": "inputTokens",
    "output": "outputTokens",
    "details": "inputTokensDetails",
    "text": "textTokens",
    "image": "imageTokens",
}
SNAKE_KEYS = {
    "total": "total_tokens",
    "input": "input_tokens",
    "output": "output_tokens",
    "details": "input_tokens_details",
    "text": "text_tokens",
    "image": "image_tokens",
}
KEYS = {"camel": CAMEL_KEYS, "snake": SNAKE_KEYS}


def doc(wire: str = "camel", **values: Any) -> dict[str, Any]:
    """A usage document as a dict in one dialect; a value of ... drops the key."""
    k = KEYS[wire]
    base: dict[str, Any] = {"total": 10, "input": 6, "output": 4, "text": 5, "image": 1}
    base.update(values)
    details = {k[f]: base[f] for f in ("text", "image") if base[f] is not ...}
    out = {k[f]: base[f] for f in ("total", "input", "output") if base[f] is not ...}
    if base.get("details") is not ...:
        out[k["details"]] = base.get("details", details)
    return out


def dump(obj: Any, fmt: str = "json") -> bytes:
    return msgspec.json.encode(obj) if fmt == "json" else msgspec.msgpack.encode(obj)


EXPECTED = Usage(10, 6, 4, InputTokensDetails(5, 1))


class TestSeed:
    def test_seed_example_decodes_to_its_values(
        self, seed_bytes: bytes, seed_usage: Usage
    ) -> None:
        """The reference page's example decodes to exactly its values, as floats."""
        u = decode_usage(seed_bytes)
        assert u == seed_usage
        assert u.total_tokens == 8105.75
        assert u.input_tokens_details.image_tokens == 1501.66

    def test_seed_example_re_encodes_byte_for_byte(self, seed_bytes: bytes) -> None:
        """encode(decode(b)) == b for the canonical camel example."""
        assert encode_usage(decode_usage(seed_bytes)) == seed_bytes


class TestDialects:
    @pytest.mark.parametrize("fmt", FORMATS)
    @pytest.mark.parametrize("wire", ["camel", "snake"])
    def test_each_dialect_decodes(self, wire: str, fmt: str) -> None:
        """Both dialects, both formats, give the same public object."""
        u = UsageCodec(wire, fmt).decode(dump(doc(wire), fmt))  # type: ignore[arg-type]
        assert u == EXPECTED
        assert type(u) is Usage
        assert type(u.input_tokens_details) is InputTokensDetails

    @pytest.mark.parametrize("fmt", FORMATS)
    @pytest.mark.parametrize("wire", ["camel", "snake"])
    def test_auto_accepts_either_dialect(self, wire: str, fmt: str) -> None:
        """wire='auto' decodes either dialect, per document."""
        assert UsageCodec("auto", fmt).decode(dump(doc(wire), fmt)) == EXPECTED  # type: ignore[arg-type]

    def test_camel_codec_rejects_snake_with_a_hint(self) -> None:
        """The default codec says when a document is in the other dialect."""
        with pytest.raises(UsageDecodeError, match="snake dialect") as info:
            decode_usage(dump(doc("snake")))
        assert info.value.path == "$"
        assert info.value.wire == "camel"

    def test_snake_objects_hash_and_compare_like_camel_ones(self) -> None:
        """Objects from both dialects are interchangeable in sets and dicts."""
        camel = decode_usage(dump(doc("camel")))
        snake = decode_usage(dump(doc("snake")), wire="snake")
        assert {camel: 1}[snake] == 1
        assert pickle.loads(pickle.dumps(snake)) == camel

    @pytest.mark.parametrize("fmt", FORMATS)
    def test_snake_encoding(self, fmt: str) -> None:
        """Encoding in snake writes the HTTP API's names."""
        out = encode_usage(EXPECTED, "snake", fmt)  # type: ignore[arg-type]
        decoded = msgspec.json.decode(out) if fmt == "json" else msgspec.msgpack.decode(out)
        assert decoded == doc("snake")

    def test_auto_encodes_camel(self) -> None:
        """wire='auto' writes camelCase."""
        assert UsageCodec("auto").encode(EXPECTED) == UsageCodec("camel").encode(EXPECTED)

    def test_response_body_in_snake(self) -> None:
        """The response body decodes from the HTTP API's snake_case wire, data and all."""
        body = {
            "created": 1700000000,
            "data": [{"b64_json": "QUJD"}, {"url": "https://x/y.png"}],
            "output_format": "png",
            "usage": doc("snake"),
        }
        b = decode_response(json.dumps(body), "snake")
        assert b.output_format == "png"
        assert b.data == [
            PostV2ProxyImagesVariationsData(b64_json="QUJD"),
            PostV2ProxyImagesVariationsData(url="https://x/y.png"),
        ]
        assert b.usage == EXPECTED
        assert msgspec.json.decode(encode_response(b, "snake")) == body


class TestRoundTrips:
    @given(usages())
    @pytest.mark.parametrize("fmt", FORMATS)
    @pytest.mark.parametrize("wire", ["camel", "snake"])
    def test_decode_encode_is_identity(self, wire: str, fmt: str, u: Usage) -> None:
        """decode(encode(u)) == u for any valid usage, ints staying ints."""
        codec = UsageCodec(wire, fmt)  # type: ignore[arg-type]
        back = codec.decode(codec.encode(u))
        assert back == u
        assert type(back.total_tokens) is type(u.total_tokens)

    @given(usages())
    @pytest.mark.parametrize("fmt", FORMATS)
    @pytest.mark.parametrize("wire", ["camel", "snake"])
    def test_canonical_bytes_survive(self, wire: str, fmt: str, u: Usage) -> None:
        """encode(decode(b)) == b for canonical input (as msgspec writes it)."""
        codec = UsageCodec(wire, fmt)  # type: ignore[arg-type]
        b = codec.encode(u)
        assert codec.encode(codec.decode(b)) == b

    @given(usages())
    def test_dialects_agree(self, u: Usage) -> None:
        """camel, snake and auto decode the same usage from their encodings."""
        camel = encode_usage(u)
        snake = encode_usage(u, "snake")
        assert decode_usage(camel) == decode_usage(snake, "snake") == u
        assert decode_usage(camel, "auto") == decode_usage(snake, "auto") == u

    def test_integers_are_not_rewritten_as_floats(self) -> None:
        """8105 stays 8105 (not 8105.0) through a round trip; 8105.0 stays a float."""
        assert encode_usage(decode_usage(dump(doc(total=8105)))).startswith(
            b'{"totalTokens":8105,'
        )
        assert encode_usage(decode_usage(b'{"totalTokens":8105.0' + dump(doc())[16:])).startswith(
            b'{"totalTokens":8105.0,'
        )


FIELDS = ["total", "input", "output", "text", "image"]
WRONG = {
    "null": None,
    "bool": True,
    "string": "5",
    "array": [5],
    "object": {"n": 5},
}


class TestFieldErrors:
    @pytest.mark.parametrize("fmt", FORMATS)
    @pytest.mark.parametrize("wire", ["camel", "snake"])
    @pytest.mark.parametrize("field", [*FIELDS, "details"])
    def test_missing_field_is_named(self, field: str, wire: str, fmt: str) -> None:
        """A missing required field is rejected with its name and the path of its parent."""
        k = KEYS[wire]
        with pytest.raises(UsageDecodeError) as info:
            UsageCodec(wire, fmt).decode(dump(doc(wire, **{field: ...}), fmt))  # type: ignore[arg-type]
        err = info.value
        assert f"missing required field `{k[field]}`" in err.reason
        assert err.path == ("$." + k["details"] if field in ("text", "image") else "$")
        assert (err.wire, err.format) == (wire, fmt)

    @pytest.mark.parametrize("fmt", FORMATS)
    @pytest.mark.parametrize("wire", ["camel", "snake"])
    @pytest.mark.parametrize("kind", list(WRONG))
    @pytest.mark.parametrize("field", FIELDS)
    def test_wrong_type_is_rejected_with_path(
        self, field: str, kind: str, wire: str, fmt: str
    ) -> None:
        """null, booleans, strings, arrays and objects are not numbers: rejected, path given."""
        k = KEYS[wire]
        with pytest.raises(UsageDecodeError) as info:
            UsageCodec(wire, fmt).decode(dump(doc(wire, **{field: WRONG[kind]}), fmt))  # type: ignore[arg-type]
        path = f"$.{k['details']}.{k[field]}" if field in ("text", "image") else f"$.{k[field]}"
        assert info.value.path == path
        assert "expected a number" in info.value.reason

    @pytest.mark.parametrize("kind", ["null", "bool", "string", "array", "number"])
    def test_details_of_wrong_type(self, kind: str) -> None:
        """The nested object must be an object."""
        value = {"null": None, "bool": False, "string": "x", "array": [], "number": 1}[kind]
        with pytest.raises(UsageDecodeError) as info:
            decode_usage(dump(doc(details=value)))
        assert info.value.path == "$.inputTokensDetails"

    @pytest.mark.parametrize(
        "raw",
        [b"1e400", b"-1e400", b"9223372036854775808", b"-9223372036854775809", b"1" * 400],
    )
    def test_out_of_range_numbers_are_rejected(self, raw: bytes) -> None:
        """Numbers beyond a double or beyond int64 are rejected, not rounded or kept as bigints."""
        text = dump(doc(image=7)).replace(b'"imageTokens":7', b'"imageTokens":' + raw)
        with pytest.raises(UsageDecodeError) as info:
            decode_usage(text)
        assert info.value.path == "$.inputTokensDetails.imageTokens"

    def test_int64_extremes_are_accepted(self) -> None:
        """-2**63 and 2**63-1 fit."""
        u = decode_usage(dump(doc(total=2**63 - 1, input=-(2**63))))
        assert (u.total_tokens, u.input_tokens) == (2**63 - 1, -(2**63))

    @pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
    def test_msgpack_non_finite_is_rejected(self, value: float) -> None:
        """MessagePack can carry NaN and infinities: they are refused with the path."""
        with pytest.raises(UsageDecodeError, match="non-finite") as info:
            decode_usage(dump(doc(output=value), "msgpack"), format="msgpack")
        assert info.value.path == "$.outputTokens"

    def test_msgpack_uint64_beyond_int64_is_rejected(self) -> None:
        """A MessagePack uint64 above 2**63-1 is refused."""
        with pytest.raises(UsageDecodeError, match="64-bit"):
            decode_usage(dump(doc(total=2**64 - 1), "msgpack"), format="msgpack")

    def test_negative_counts_are_accepted_by_default(self) -> None:
        """The API schema sets no minimum: negatives decode (and the audit reports them)."""
        u = decode_usage(dump(doc(text=-1)))
        assert u.input_tokens_details.text_tokens == -1
        assert next(f.code for f in u.audit()) == "negative"

    @pytest.mark.parametrize("wire", ["camel", "snake", "auto"])
    def test_strict_rejects_negative_counts(self, wire: str) -> None:
        """strict=True refuses a negative count, naming it in the document's dialect."""
        src = "snake" if wire == "snake" else "camel"
        with pytest.raises(UsageDecodeError, match="negative") as info:
            UsageCodec(wire, strict=True).decode(dump(doc(src, image=-3)))  # type: ignore[arg-type]
        assert info.value.path == "$." + KEYS[src]["details"] + "." + KEYS[src]["image"]


class TestUnknownFields:
    @pytest.mark.parametrize("fmt", FORMATS)
    @pytest.mark.parametrize("wire", WIRES)
    def test_unknown_fields_are_ignored(self, wire: str, fmt: str) -> None:
        """Extra fields, nested or not, of any type, are skipped by default."""
        src = "snake" if wire == "snake" else "camel"
        d = doc(src)
        d["cost"] = {"usd": [1, 2, {"x": None}]}
        d[KEYS[src]["details"]]["audioTokens"] = 3
        assert UsageCodec(wire, fmt).decode(dump(d, fmt)) == EXPECTED  # type: ignore[arg-type]

    @pytest.mark.parametrize("fmt", FORMATS)
    def test_strict_names_the_unknown_field(self, fmt: str) -> None:
        """strict=True rejects an unknown field and says which."""
        d = doc()
        d["inputTokensDetails"]["audioTokens"] = 3
        with pytest.raises(UsageDecodeError, match="unknown field `audioTokens`") as info:
            UsageCodec(format=fmt, strict=True).decode(dump(d, fmt))  # type: ignore[arg-type]
        assert info.value.path == "$.inputTokensDetails"

    def test_invalid_utf8_in_skipped_field_is_tolerated(self) -> None:
        """Invalid UTF-8 inside an ignored field does not spoil the document (SDK behaviour)."""
        text = b'{"note":"caf\xe9",' + dump(doc())[1:]
        assert decode_usage(text) == EXPECTED

    def test_invalid_utf8_is_rejected_in_strict_mode(self) -> None:
        """With strict=True the same document is rejected (the field is unknown), cleanly."""
        text = b'{"note":"caf\xe9",' + dump(doc())[1:]
        with pytest.raises(UsageDecodeError):
            decode_usage(text, strict=True)

    def test_invalid_utf8_in_decoded_string_is_our_error(self) -> None:
        """Invalid UTF-8 in a decoded field is a UsageDecodeError, not a UnicodeDecodeError."""
        body = b'{"created":1,"data":[{"url":"\xff"}]}'
        with pytest.raises(UsageDecodeError, match="UTF-8"):
            decode_response(body)


class TestInputs:
    @pytest.mark.parametrize(
        "convert",
        [bytes, bytearray, memoryview, lambda b: b.decode()],
        ids=["bytes", "bytearray", "memoryview", "str"],
    )
    def test_input_kinds(self, convert: Any) -> None:
        """bytes, bytearray, memoryview and str all decode."""
        assert decode_usage(convert(dump(doc()))) == EXPECTED

    def test_non_byte_memoryview(self) -> None:
        """A memoryview of another item size is read as its bytes."""
        data = dump(doc())
        data += b" " * (-len(data) % 4)
        assert decode_usage(memoryview(data).cast("I")) == EXPECTED

    def test_byte_order_mark_is_tolerated(self) -> None:
        """A leading UTF-8 BOM is ignored, in bytes and in str."""
        assert decode_usage(b"\xef\xbb\xbf" + dump(doc())) == EXPECTED
        assert decode_usage("\ufeff" + dump(doc()).decode()) == EXPECTED

    @pytest.mark.parametrize("value", [None, 5, 1.5, object(), ["x"], {"a": 1}])
    def test_wrong_input_type_is_our_error(self, value: object) -> None:
        """A non-buffer input raises UsageDecodeError (a ValueError), not TypeError."""
        with pytest.raises(UsageDecodeError, match="expected bytes"):
            decode_usage(value)  # type: ignore[arg-type]

    @pytest.mark.parametrize("text", [b"", b"   \n", b"\xef\xbb\xbf"])
    def test_empty_input(self, text: bytes) -> None:
        """Empty input is reported as such."""
        with pytest.raises(UsageDecodeError, match="empty document"):
            decode_usage(text)

    def test_str_with_lone_surrogate(self) -> None:
        """A str that has no UTF-8 form is rejected cleanly when the field is decoded."""
        with pytest.raises(UsageDecodeError):
            decode_usage('{"totalTokens":"\ud800"}')

    @pytest.mark.parametrize(
        ("text", "where"),
        [
            (b'{"totalTokens":1,}', "trailing comma"),
            (
                b'{"totalTokens":1,"inputTokens":1,"outputTokens":0,'
                b'"inputTokensDetails":{"textTokens":1,"imageTokens":0}} x',
                "trailing characters",
            ),
            (b'{"totalTokens":01}', "malformed"),
            (b'{"totalTokens"', "truncated"),
        ],
    )
    def test_malformed_json_gives_a_position(self, text: bytes, where: str) -> None:
        """Syntax errors carry the byte offset."""
        with pytest.raises(UsageDecodeError, match=where) as info:
            decode_usage(text)
        assert info.value.path == "$"


def _nested(depth: int, inner: bytes = b"1") -> bytes:
    return b"[" * depth + inner + b"]" * depth


class TestDepth:
    @pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5_000, 100_000])
    @pytest.mark.parametrize("fmt", FORMATS)
    def test_deep_nesting_in_unknown_field_is_our_error(self, depth: int, fmt: str) -> None:
        """Nesting beyond MAX_DEPTH in a skipped field is rejected, never a RecursionError."""
        if fmt == "json":
            text = b'{"x":' + _nested(depth) + b"," + dump(doc())[1:]
        else:
            text = dump({"x": 0, **doc()}, "msgpack")
            text = text.replace(b"\xa1x\x00", b"\xa1x" + b"\x91" * depth + b"\x00")
        with pytest.raises(UsageDecodeError, match=f"deeper than {MAX_DEPTH}"):
            decode_usage(text, format=fmt)  # type: ignore[arg-type]

    def test_nesting_up_to_the_bound_is_accepted(self) -> None:
        """An unknown field nested MAX_DEPTH - 1 levels (MAX_DEPTH with the document) decodes."""
        text = b'{"x":' + _nested(MAX_DEPTH - 1) + b"," + dump(doc())[1:]
        assert decode_usage(text) == EXPECTED

    def test_brackets_inside_strings_do_not_count(self) -> None:
        """Brackets in string values are text, not nesting."""
        text = b'{"x":"' + b"[" * 10_000 + b'",' + dump(doc())[1:]
        assert decode_usage(text) == EXPECTED

    def test_deep_nesting_with_raised_recursion_limit(self) -> None:
        """With sys.setrecursionlimit(50000), 100,000 brackets are still a clean error."""
        code = (
            "import sys, usagecodec\n"
            "sys.setrecursionlimit(50000)\n"
            "for fmt, text in (('json', b'{\"x\":' + b'[' * 100000 + b']' * 100000 + b'}'),\n"
            "                  ('msgpack', b'\\x81\\xa1x' + b'\\x91' * 100000 + b'\\xc0')):\n"
            "    for wire in ('camel', 'snake', 'auto'):\n"
            "        try:\n"
            "            usagecodec.decode_usage(text, wire, fmt)\n"
            "        except usagecodec.UsageDecodeError as e:\n"
            "            assert 'deeper than' in str(e), e\n"
            "print('ok')\n"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == "ok"

    def test_deep_nesting_in_a_small_thread(self) -> None:
        """Inside a thread with a 256 KiB stack, deep input is a clean error."""
        results: list[BaseException | None] = []
        text = b'{"x":' + _nested(100_000) + b"}"

        def work() -> None:
            try:
                decode_usage(text)
            except BaseException as exc:
                results.append(exc)
            else:
                results.append(None)

        old = threading.stack_size(256 * 1024)
        try:
            t = threading.Thread(target=work)
            t.start()
            t.join()
        finally:
            threading.stack_size(old)
        assert len(results) == 1
        assert isinstance(results[0], UsageDecodeError)


class TestLines:
    def test_ndjson_with_blank_lines_and_crlf(self) -> None:
        """decode_lines reads LF and CRLF lines and skips blank ones."""
        line = dump(doc())
        buf = line + b"\r\n\n  \n" + line + b"\n" + line
        assert UsageCodec().decode_lines(buf) == [EXPECTED] * 3

    def test_mixed_dialects_with_auto(self) -> None:
        """wire='auto' decodes a file that mixes camel and snake lines."""
        buf = dump(doc()) + b"\n" + dump(doc("snake")) + b"\n"
        assert UsageCodec("auto").decode_lines(buf) == [EXPECTED, EXPECTED]

    def test_snake_lines_are_public_objects(self) -> None:
        """Every object decoded from snake lines is a public Usage."""
        out = UsageCodec("snake").decode_lines(dump(doc("snake")) + b"\n" + dump(doc("snake")))
        assert all(type(u) is Usage for u in out)

    def test_bad_line_is_named(self) -> None:
        """The first bad line raises with its 1-based line number and path."""
        buf = dump(doc()) + b"\n\n" + dump(doc(text="x")) + b"\n"
        with pytest.raises(UsageDecodeError) as info:
            UsageCodec().decode_lines(buf)
        assert info.value.lineno == 3
        assert info.value.path == "$.inputTokensDetails.textTokens"
        assert "line 3:" in str(info.value)

    def test_strict_lines_name_the_negative_line(self) -> None:
        """strict decode_lines reports the line of a negative count."""
        buf = dump(doc()) + b"\n" + dump(doc(total=-1)) + b"\n"
        with pytest.raises(UsageDecodeError) as info:
            UsageCodec(strict=True).decode_lines(buf)
        assert info.value.lineno == 2

    def test_msgpack_stream(self) -> None:
        """For MessagePack, decode_lines reads concatenated documents, mixed dialects too."""
        codec = UsageCodec("auto", "msgpack")
        stream = (
            dump(doc(), "msgpack")
            + dump(doc("snake"), "msgpack")
            + dump({"x": [1], **doc()}, "msgpack")
        )
        assert codec.decode_lines(stream) == [EXPECTED] * 3
        assert (
            UsageCodec(format="msgpack").encode_lines([EXPECTED] * 2) == dump(doc(), "msgpack") * 2
        )

    def test_msgpack_stream_names_the_bad_document(self) -> None:
        """A bad document in a MessagePack stream is named by its index."""
        stream = dump(doc(), "msgpack") + dump(doc(total="x"), "msgpack")
        with pytest.raises(UsageDecodeError, match="document 2"):
            UsageCodec(format="msgpack").decode_lines(stream)

    def test_encode_lines_round_trip(self) -> None:
        """encode_lines writes NDJSON that decode_lines reads back."""
        codec = UsageCodec("snake")
        assert codec.decode_lines(codec.encode_lines([EXPECTED, EXPECTED])) == [EXPECTED] * 2


BODY = {
    "created": 1700000000,
    "data": [{"b64Json": "QUJD" * 5000}],
    "outputFormat": "png",
    "size": "1024x1024",
    "quality": "high",
    "usage": doc(),
}


class TestExtract:
    def test_extract_returns_the_usage(self) -> None:
        """extract_usage gives the body's usage."""
        assert extract_usage(json.dumps(BODY).encode()) == EXPECTED

    def test_extract_without_usage_is_none(self) -> None:
        """A body without usage gives None."""
        body = {k: v for k, v in BODY.items() if k != "usage"}
        assert extract_usage(json.dumps(body)) is None

    @pytest.mark.parametrize(
        "mutate",
        [
            lambda s: s.replace(b"QUJD", b"QU\x01D", 1),
            lambda s: s.replace(b"QUJD", b"QU\\qD", 1),
            lambda s: s[:-1] + b",}",
            lambda s: s + b"x",
            lambda s: s.replace(b'"created":1700000000', b'"created":"soon"'),
            lambda s: s.replace(b"QUJD", b"QU\xffD", 1),
        ],
        ids=["control-char", "bad-escape", "trailing-comma", "trailing-bytes", "type", "utf8"],
    )
    def test_extract_validates_like_a_full_parse(self, mutate: Any) -> None:
        """Whatever decode_response rejects anywhere in the body, extract_usage rejects too."""
        text = mutate(msgspec.json.encode(BODY))
        with pytest.raises(UsageDecodeError) as full:
            decode_response(text)
        with pytest.raises(UsageDecodeError) as extracted:
            extract_usage(text)
        assert str(extracted.value) == str(full.value)

    def test_extract_snake(self) -> None:
        """The snake body gives the same usage."""
        body = {
            "created": 1,
            "data": [{"b64_json": "QUJD" * 5000}],
            "output_format": "png",
            "usage": doc("snake"),
        }
        assert extract_usage(msgspec.json.encode(body), "snake") == EXPECTED

    def test_extract_msgpack(self) -> None:
        """MessagePack bodies are supported too."""
        assert extract_usage(msgspec.msgpack.encode(BODY), format="msgpack") == EXPECTED


class TestRandomInput:
    @given(st.binary(max_size=300))
    def test_random_bytes_give_a_usage_or_our_error(self, data: bytes) -> None:
        """Any bytes: a usage or UsageDecodeError, through every entry point and format."""
        for fmt in FORMATS:
            for wire in WIRES:
                codec = UsageCodec(wire, fmt)  # type: ignore[arg-type]
                for fn in (
                    codec.decode,
                    codec.decode_response,
                    codec.extract_usage,
                    codec.decode_lines,
                ):
                    try:
                        fn(data)
                    except UsageDecodeError:
                        pass

    @given(st.integers(0, 200), st.binary(max_size=8))
    def test_mutated_documents_give_a_usage_or_our_error(self, cut: int, junk: bytes) -> None:
        """Truncated and spliced valid documents never raise anything else."""
        base = dump(doc())
        for text in (base[:cut], base[:cut] + junk + base[cut:], base.replace(b"1", junk, 1)):
            for strict in (False, True):
                try:
                    decode_usage(text, "auto", strict=strict)
                except UsageDecodeError:
                    pass


class TestEncodeChecks:
    def test_encode_refuses_nan_smuggled_past_construction(self) -> None:
        """An object built around the checks still cannot be encoded with NaN (no silent null)."""
        bad = msgspec.structs.replace(EXPECTED, total_tokens=float("nan"))
        for fmt in FORMATS:
            with pytest.raises(UsageValueError, match="non-finite"):
                encode_usage(bad, format=fmt)  # type: ignore[arg-type]

    def test_false_alarms_still_encode(self) -> None:
        """A body whose strings contain "null", a float in MessagePack: encoded as they are."""
        body = PostV2ProxyImagesVariationsResponseBody(
            created=1, data=[PostV2ProxyImagesVariationsData(url="https://x/null.png")]
        )
        assert decode_response(encode_response(body)) == body
        floaty = Usage(0.5, 0.25, 0.25, InputTokensDetails(0.125, 0.125))
        assert decode_usage(encode_usage(floaty, format="msgpack"), format="msgpack") == floaty

    def test_encode_refuses_a_non_usage(self) -> None:
        """Encoding something else is refused with the project's error."""
        with pytest.raises(UsageValueError):
            encode_usage({"totalTokens": 1})  # type: ignore[arg-type]


class TestCodecObject:
    def test_bad_configuration(self) -> None:
        """Unknown wire or format is a ValueError naming the choices."""
        with pytest.raises(ValueError, match="camel, snake, auto"):
            UsageCodec("kebab")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="json, msgpack"):
            UsageCodec(format="xml")  # type: ignore[arg-type]

    def test_codec_is_a_usage_codec(self) -> None:
        """Codecs are UsageCodec instances, with a readable repr, and pickle."""
        codec = UsageCodec("snake", "msgpack", strict=True)
        assert isinstance(codec, UsageCodec)
        assert repr(codec) == "UsageCodec(wire='snake', format='msgpack', strict=True)"
        again = pickle.loads(pickle.dumps(codec))
        assert repr(again) == repr(codec)

    def test_subclassing_is_refused(self) -> None:
        """UsageCodec is final: a subclass would miss the per-configuration hot paths."""
        with pytest.raises(TypeError, match="not designed for subclassing"):

            class Mine(UsageCodec):  # type: ignore[misc]
                pass

    def test_decode_methods_are_documented(self) -> None:
        """The per-instance fast methods keep the documented docstrings."""
        assert "Decode one usage document" in (UsageCodec().decode.__doc__ or "")


class TestSchema:
    @pytest.mark.parametrize("wire", ["camel", "snake"])
    def test_schema_names_follow_the_dialect(self, wire: str) -> None:
        """The schema's property names are the dialect's wire names."""
        schema = json_schema(wire=wire)  # type: ignore[arg-type]
        usage = schema["$defs"]["PostV2ProxyImagesVariationsUsage"]
        assert list(usage["properties"]) == [
            KEYS[wire][f] for f in ("total", "input", "output", "details")
        ]
        assert usage["required"] == list(usage["properties"])

    def test_schema_validates_like_the_codec(self) -> None:
        """Documents the schema accepts are documents the codec accepts, and vice versa."""
        jsonschema = pytest.importorskip("jsonschema")
        schema = json_schema()
        strict = json_schema(strict=True)
        cases = [
            doc(),
            doc(total="5"),
            doc(text=None),
            doc(image=...),
            {**doc(), "x": 1},
            doc(total=-1),
        ]
        for case in cases:
            for sch, is_strict in ((schema, False), (strict, True)):
                ok_schema = jsonschema.Draft202012Validator(sch).is_valid(case)
                try:
                    decode_usage(json.dumps(case), strict=is_strict)
                    ok_codec = True
                except UsageDecodeError:
                    ok_codec = False
                assert ok_schema == ok_codec, (case, is_strict)

    def test_response_schema(self) -> None:
        """The response body has a schema too."""
        schema = json_schema("response", wire="snake")
        body = schema["$defs"]["PostV2ProxyImagesVariationsResponseBody"]
        assert body["required"] == ["created", "data"]
        assert "output_format" in body["properties"]


def test_public_module_exports() -> None:
    """usagecodec's names are the very objects its submodules define (no stale copies)."""
    from usagecodec import _codec, _functions, _models, _schema

    for name in ("decode_usage", "encode_usage", "decode_response", "encode_response",
                 "extract_usage"):  # fmt: skip
        assert getattr(usagecodec, name) is getattr(_functions, name), name
    assert usagecodec.json_schema is _schema.json_schema
    assert usagecodec.UsageCodec is _codec.UsageCodec
    for name in ("Usage", "InputTokensDetails", "ResponseBody", "Data", "Finding"):
        assert getattr(usagecodec, name) is getattr(_models, name), name
    assert usagecodec.ResponseBody is PostV2ProxyImagesVariationsResponseBody
    assert isinstance(usagecodec.ResponseBody(created=1, data=[]), msgspec.Struct)
