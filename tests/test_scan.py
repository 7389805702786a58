"""Tests of the structural pre-scan: nesting depth and long-string removal."""

from __future__ import annotations

import json
import time
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from usagecodec import _scan
from usagecodec._scan import (
    MAX_DEPTH,
    ScanError,
    exceeds_depth,
    max_depth,
    prescan,
)

from .conftest import reference_depth

# ------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------


PATHS = ["numpy", "numpy-chunked", "fallback"]
# Configurations: (use numpy, chunk size of the long-string path); a tiny chunk sends every
# long string of the tests through the chunked validation of strings longer than a chunk.
CONFIGS = {"numpy": (True, None), "numpy-chunked": (True, 7), "fallback": (False, None)}


@pytest.fixture(params=PATHS)
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with numpy (whole and chunked validation) and with the msgspec fallback."""
    use, chunk = CONFIGS[request.param]
    if use and not _scan.HAVE_NUMPY:
        pytest.skip("numpy is not installed")
    monkeypatch.setattr(_scan, "_use_numpy", use)
    if chunk is not None:
        monkeypatch.setattr(_scan, "_CHUNK", chunk)
    assert (_scan._numpy() is not None) == use
    return str(request.param)


def run_all(fn: Any) -> list[Any]:
    """Call fn() under every available configuration; return the outcomes."""
    outcomes = []
    saved = _scan._use_numpy, _scan._CHUNK
    try:
        for name, (use, chunk) in CONFIGS.items():
            if use and not _scan.HAVE_NUMPY:
                continue
            _scan._use_numpy = use
            _scan._CHUNK = saved[1] if chunk is None else chunk
            try:
                outcomes.append((name, "ok", fn()))
            except ScanError as exc:
                outcomes.append((name, "error", exc.reason, exc.pos))
    finally:
        _scan._use_numpy, _scan._CHUNK = saved
    return outcomes


def same_everywhere(outcomes: list[Any]) -> Any:
    """Assert every configuration had the same outcome and return it."""
    first = outcomes[0][1:]
    for outcome in outcomes[1:]:
        assert outcome[1:] == first, (outcomes[0], outcome)
    return first


class Details(msgspec.Struct):
    text_tokens: int
    image_tokens: int


class Usage(msgspec.Struct):
    total_tokens: int
    input_tokens: int
    output_tokens: int
    input_tokens_details: Details


class Item(msgspec.Struct):
    b64_json: str = ""


class Body(msgspec.Struct):
    data: list[Item]
    usage: Usage
    created: int = 0


USAGE_JSON = (
    b'"usage":{"total_tokens":100,"input_tokens":50,"output_tokens":50,'
    b'"input_tokens_details":{"text_tokens":10,"image_tokens":40}}'
)
EXPECTED_USAGE = Usage(100, 50, 50, Details(10, 40))


def image_body(*contents: bytes) -> bytes:
    """An image response body whose data entries hold the given raw b64_json contents."""
    items = b",".join(b'{"b64_json":"' + c + b'"}' for c in contents)
    return (
        b'{"created":1700000000,"data":['
        + items
        + b'],"output_format":"png","size":"1024x1024","quality":"high",'
        + USAGE_JSON
        + b"}"
    )


LONG = b"QUJD" * 64  # 256 bytes of base64, long for min_len=64
MIN = 64


def long_with(fragment: bytes, at: int = 100) -> bytes:
    """A long base64-like content with fragment spliced in at offset at."""
    return LONG[:at] + fragment + LONG[at:]


def content_offset(body: bytes) -> int:
    """Byte offset of the first b64_json content in an image_body."""
    return body.index(b'"b64_json":"') + len(b'"b64_json":"')


# ------------------------------------------------------------------------------------------
# max_depth / exceeds_depth
# ------------------------------------------------------------------------------------------

json_strings = st.text(alphabet='[]{}"\\ab\u00e9/\n', max_size=8)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | json_strings,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(json_strings, children, max_size=4)
    ),
    max_leaves=30,
)


@given(json_values)
def test_max_depth_matches_reference_on_json(value: Any) -> None:
    """max_depth equals the char-by-char reference on valid JSON with tricky strings."""
    buf = json.dumps(value, ensure_ascii=False).encode()
    assert max_depth(buf) == reference_depth(buf)


@given(st.text(alphabet='[]{}"\\a,:', max_size=60).map(str.encode))
def test_max_depth_matches_reference_on_arbitrary_bytes(buf: bytes) -> None:
    """max_depth equals the reference on arbitrary bracket/quote/backslash soup."""
    assert max_depth(buf) == reference_depth(buf)


@given(st.text(alphabet='[]{}"\\a,', max_size=80).map(str.encode), st.integers(0, 12))
def test_exceeds_depth_matches_reference(buf: bytes, limit: int) -> None:
    """exceeds_depth(buf, limit) is exactly reference_depth(buf) > limit."""
    assert exceeds_depth(buf, limit) == (reference_depth(buf) > limit)


@given(st.text(alphabet='[]{}"\\a,', max_size=80).map(str.encode), st.integers(0, 12))
def test_stop_above_only_shortens_deep_results(buf: bytes, limit: int) -> None:
    """With stop_above, the result is exact up to the limit and above it when deeper."""
    exact = reference_depth(buf)
    early = max_depth(buf, stop_above=limit)
    if exact <= limit:
        assert early == exact
    else:
        assert limit < early <= exact


def test_deep_nesting_is_fast_and_exact() -> None:
    """100,000 nested brackets are measured exactly, quickly and without recursion."""
    n = 100_000
    buf = b"[" * n + b"]" * n
    mixed = b'{"a":' * n + b"1" + b"}" * n
    start = time.perf_counter()
    assert max_depth(buf) == n
    assert max_depth(mixed) == n
    assert exceeds_depth(buf)
    assert exceeds_depth(mixed, limit=n - 1)
    assert not exceeds_depth(mixed, limit=n)
    assert max_depth(buf, stop_above=MAX_DEPTH) > MAX_DEPTH
    assert time.perf_counter() - start < 5.0


def test_brackets_inside_strings_are_ignored() -> None:
    """Brackets inside strings, keys included, do not count."""
    buf = b'{"[[[[{{{{": ["]]]]", "[[[[[[[["], "k": "{"}'
    assert max_depth(buf) == 2
    assert not exceeds_depth(buf, limit=2)
    assert exceeds_depth(buf, limit=1)


def test_escaped_quotes_do_not_end_strings() -> None:
    """A quote after an odd number of backslashes stays inside the string."""
    assert max_depth(b'["a\\"[[[[", 1]') == 1
    assert max_depth(b'["a\\\\\\"[[[[", 1]') == 1
    # An even number of backslashes escapes itself: the quote ends the string.
    assert max_depth(b'["a\\\\", [[1]]]') == 3
    assert max_depth(b'["' + b"\\" * 200 + b'", [[1]]]') == 3
    assert max_depth(b'["' + b"\\" * 201 + b'", [[1]]]') == 1


def reference_string_end(buf: bytes, q: int) -> int:
    """Char-by-char end of the string opened at q: the specification of _string_end."""
    i = q + 1
    while i < len(buf):
        if buf[i] == 0x5C:
            i += 2
        elif buf[i] == 0x22:
            return i
        else:
            i += 1
    return -1


@settings(max_examples=500)
@given(
    st.text(alphabet='\\"a', max_size=60).map(str.encode),
    st.integers(0, 3),
    st.integers(1, 9),
)
def test_string_end_matches_reference_in_python_and_bulk_modes(
    content: bytes, in_python: int, window: int
) -> None:
    """The closing quote is the same whether escaped quotes are stepped over or found in bulk."""
    buf = b'x"' + content
    expected = reference_string_end(buf, 1)
    saved = _scan._ESCAPED_QUOTES_IN_PYTHON, _scan._BULK_WINDOW
    try:
        _scan._ESCAPED_QUOTES_IN_PYTHON, _scan._BULK_WINDOW = in_python, window
        assert _scan._string_end(buf, 1) == expected
    finally:
        _scan._ESCAPED_QUOTES_IN_PYTHON, _scan._BULK_WINDOW = saved
    assert _scan._string_end(buf, 1) == expected


def test_dense_escaped_quotes_are_not_quadratic_or_slow() -> None:
    """A multi-megabyte string of escaped quotes is delimited in bulk, quickly."""
    content = b'ab\\"' * 500_000 + b"\\\\"
    buf = b'["' + content + b'", [[1]]]'
    start = time.perf_counter()
    assert _scan._string_end(buf, 1) == 2 + len(content)
    assert max_depth(buf) == 3
    rem = prescan(buf)
    assert rem == b'["", [[1]]]'
    assert time.perf_counter() - start < 5.0


def test_unterminated_string_ends_the_scan() -> None:
    """Brackets after an unterminated string are not counted."""
    assert max_depth(b'[["abc [[[[[[') == 2
    assert max_depth(b'[["abc\\" [[[[[[') == 2


def test_exceeds_depth_is_false_for_short_or_bracket_poor_documents() -> None:
    """Documents no longer than the limit, or with few openers, are never too deep."""
    assert not exceeds_depth(b"[" * 128, limit=128)
    assert exceeds_depth(b"[" * 129, limit=128)
    wide = b"[" + b",".join([b"[1]"] * 500) + b"]"
    assert max_depth(wide) == 2
    assert not exceeds_depth(wide, limit=2)
    assert exceeds_depth(wide, limit=1)
    assert not exceeds_depth(b"[]" * 10 + b'"' + b"[" * 500 + b'"', limit=3)


def test_closing_brackets_at_depth_zero_are_ignored() -> None:
    """Unbalanced closers never make the depth negative."""
    assert max_depth(b"]]]][[") == 2
    assert max_depth(b"") == 0
    assert max_depth(b'"[[["') == 0


# ------------------------------------------------------------------------------------------
# prescan: behaviour
# ------------------------------------------------------------------------------------------


def test_remainder_decodes_to_the_same_usage(path: str) -> None:
    """The remainder parses with msgspec to the same usage as the original body."""
    body = image_body(LONG, LONG * 3)
    rem = prescan(body, min_len=MIN)
    assert rem is not None
    assert rem == image_body(b"", b"")
    original = msgspec.json.decode(body, type=Body)
    scanned = msgspec.json.decode(rem, type=Body)
    assert scanned.usage == original.usage == EXPECTED_USAGE
    assert [i.b64_json for i in scanned.data] == ["", ""]
    assert [len(i.b64_json) for i in original.data] == [len(LONG), 3 * len(LONG)]


def test_realistic_body_with_default_settings(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ~1 MB base64 image body is reduced to its small skeleton with default settings."""
    import base64
    import os

    if path == "numpy-chunked":
        monkeypatch.setattr(_scan, "_CHUNK", 65536 - 3)  # chunked, yet not slow

    content = base64.b64encode(os.urandom(750_000))
    body = image_body(content)
    rem = prescan(body)
    assert rem == image_body(b"")
    assert msgspec.json.decode(rem, type=Body).usage == EXPECTED_USAGE


def test_returns_none_when_no_string_is_long(path: str) -> None:
    """Without a string of min_len bytes, prescan returns None."""
    body = image_body(LONG[: MIN - 1])
    assert prescan(body, min_len=MIN) is None
    assert prescan(image_body(LONG[:MIN]), min_len=MIN) == image_body(b"")
    assert prescan(b'"' + LONG + b'"', min_len=10**6) is None
    assert prescan(b"", min_len=1) is None
    assert prescan(b"[1, 2, 3]", min_len=1) is None


def test_long_string_at_the_very_end_is_found(path: str) -> None:
    """A long string closing on the last byte is removed; one byte shorter than min_len is not."""
    doc = b'"' + LONG + b'"'
    assert prescan(doc, min_len=len(LONG)) == b'""'
    assert prescan(doc, min_len=len(LONG) + 1) is None
    tail = b'[1, "' + LONG + b'"]'
    assert prescan(tail, min_len=len(LONG)) == b'[1, ""]'


def test_min_len_zero_leaves_empty_strings_alone(path: str) -> None:
    """min_len below 1 behaves as 1: empty strings are not 'removed'."""
    assert prescan(b'["", ""]', min_len=0) is None
    assert prescan(b'["", "a"]', min_len=0) == b'["", ""]'


@pytest.mark.parametrize("code", range(0x20))
def test_control_characters_are_rejected_at_their_position(path: str, code: int) -> None:
    """Each raw byte 0x00-0x1f inside a long string raises ScanError at its offset."""
    body = image_body(long_with(bytes([code])))
    with pytest.raises(ScanError) as info:
        prescan(body, min_len=MIN)
    assert info.value.pos == content_offset(body) + 100
    assert f"U+{code:04X}" in info.value.reason
    assert body[info.value.pos] == code


def test_delete_character_is_allowed(path: str) -> None:
    """0x7f is not a control character for JSON and is accepted."""
    assert prescan(image_body(long_with(b"\x7f")), min_len=MIN) == image_body(b"")


@pytest.mark.parametrize(
    "escape",
    [b"\\x", b"\\a", b"\\U0041", b"\\u12G4", b"\\u-123", b"\\u 123", b"\\u+123", b"\\'"],
)
def test_invalid_escapes_are_rejected_at_the_backslash(path: str, escape: bytes) -> None:
    """A backslash not starting a valid escape raises ScanError at the backslash."""
    body = image_body(long_with(escape))
    with pytest.raises(ScanError) as info:
        prescan(body, min_len=MIN)
    assert info.value.pos == content_offset(body) + 100
    assert "escape" in info.value.reason
    with pytest.raises(msgspec.DecodeError):
        msgspec.json.decode(body)


@pytest.mark.parametrize(
    "escape",
    [
        b"\\udc00",  # lone low surrogate
        b"\\ud800",  # high surrogate followed by plain text
        b"\\ud800\\u0041",  # high surrogate followed by a non-surrogate
        b"\\ud800\\ud800",  # two high surrogates
        b"\\ud800\\n",  # high surrogate followed by another escape
        b"\\ud800xxdc00",  # high surrogate followed by low-surrogate digits, not an escape
    ],
)
def test_unpaired_surrogate_escapes_are_rejected(path: str, escape: bytes) -> None:
    """UTF-16 surrogate escapes must pair up, as msgspec requires."""
    body = image_body(long_with(escape))
    with pytest.raises(ScanError) as info:
        prescan(body, min_len=MIN)
    assert info.value.pos == content_offset(body) + 100
    assert "surrogate" in info.value.reason
    with pytest.raises(msgspec.DecodeError):
        msgspec.json.decode(body)


@pytest.mark.parametrize("tail", [b"\\u", b"\\u1", b"\\u12", b"\\u123", b"\\ud800\\udc0"])
def test_truncated_unicode_escape_at_end_of_string_is_rejected(path: str, tail: bytes) -> None:
    """A \\u escape cut short by the closing quote is invalid."""
    content = LONG + tail
    body = image_body(content)
    with pytest.raises(ScanError) as info:
        prescan(body, min_len=MIN)
    assert info.value.pos == content_offset(body) + len(LONG)


@pytest.mark.parametrize(
    "escape",
    [b"\\/", b'\\"', b"\\\\", b"\\u00e9", b"\\u00E9", b"\\b\\f\\n\\r\\t", b"\\ud83d\\ude00"],
)
def test_valid_escapes_are_accepted(path: str, escape: bytes) -> None:
    """Every valid JSON escape is accepted and the content removed."""
    body = image_body(long_with(escape))
    assert msgspec.json.decode(body)  # valid for msgspec too
    assert prescan(body, min_len=MIN) == image_body(b"")


def test_many_escapes_are_checked_in_bulk(path: str) -> None:
    """A string dense with escapes (PHP-style \\/) is accepted, and a late bad one is found."""
    content = b"QUJD\\/" * 2000
    body = image_body(content)
    assert prescan(body, min_len=MIN) == image_body(b"")
    bad = content[:9000] + b"\\q" + content[9000:]
    bad_body = image_body(bad)
    with pytest.raises(ScanError) as info:
        prescan(bad_body, min_len=MIN)
    assert info.value.pos == content_offset(bad_body) + 9000
    late_control = image_body(content + b"\x01")
    with pytest.raises(ScanError) as info:
        prescan(late_control, min_len=MIN)
    assert info.value.pos == content_offset(late_control) + len(content)


def test_first_error_is_reported(path: str) -> None:
    """With several problems in one string, the earliest byte is reported."""
    body = image_body(LONG[:50] + b"\\x" + LONG[50:150] + b"\x01" + LONG[150:])
    with pytest.raises(ScanError) as info:
        prescan(body, min_len=MIN)
    assert info.value.pos == content_offset(body) + 50
    body = image_body(LONG[:50] + b"\x02" + LONG[50:150] + b"\\x\xff" + LONG[150:])
    with pytest.raises(ScanError) as info:
        prescan(body, min_len=MIN)
    assert info.value.pos == content_offset(body) + 50
    body = image_body(LONG[:50] + b"\xff" + LONG[50:150] + b"\x01" + LONG[150:])
    with pytest.raises(ScanError) as info:
        prescan(body, min_len=MIN)
    assert info.value.pos == content_offset(body) + 50
    assert "UTF-8" in info.value.reason


def test_backslash_at_end_of_content(path: str) -> None:
    """An escaped backslash right before the closing quote ends the string there."""
    body = image_body(LONG + b"\\\\")
    assert prescan(body, min_len=MIN) == image_body(b"")
    # A single backslash escapes the quote: the string continues to the next quote.
    tricky = b'["' + LONG + b'\\", 1]'
    assert prescan(tricky, min_len=MIN) is None  # unterminated, left for the parser
    with pytest.raises(msgspec.DecodeError):
        msgspec.json.decode(tricky)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 63, 64, 65, 128, 129])
def test_quote_after_backslash_runs(path: str, n: int) -> None:
    """A quote ends the string iff preceded by an even number of backslashes."""
    body = b'["' + LONG + b"\\" * n + b'", "' + LONG + b'"]'
    rem = prescan(body, min_len=MIN)
    if n % 2 == 0:
        assert rem == b'["", ""]'
        assert msgspec.json.decode(body)[0] == (LONG + b"\\" * (n // 2)).decode()
    else:
        # The first string swallows `", ` and ends at the second string's opening quote.
        assert rem is not None
        assert rem.startswith(b'[""')
        with pytest.raises(msgspec.DecodeError):
            msgspec.json.decode(rem)
        with pytest.raises(msgspec.DecodeError):
            msgspec.json.decode(body)


def test_invalid_utf8_is_rejected_only_when_checked(path: str) -> None:
    """Invalid UTF-8 in a long string raises ScanError with check_utf8, else passes."""
    for bad in [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82"]:
        body = image_body(long_with(bad))
        with pytest.raises(ScanError) as info:
            prescan(body, min_len=MIN)
        assert info.value.pos == content_offset(body) + 100
        assert "UTF-8" in info.value.reason
        assert prescan(body, min_len=MIN, check_utf8=False) == image_body(b"")
        # Note: msgspec raises UnicodeDecodeError, not msgspec.DecodeError, for bad UTF-8.
        with pytest.raises(UnicodeDecodeError):
            msgspec.json.decode(body)


def test_valid_utf8_is_accepted(path: str) -> None:
    """Multi-byte UTF-8 (2, 3 and 4 bytes) is accepted, also elsewhere in the document."""
    content = long_with("é€😀".encode())
    body = b'{"note":"caf\xc3\xa9",' + image_body(content)[1:]
    rem = prescan(body, min_len=MIN)
    assert rem == b'{"note":"caf\xc3\xa9",' + image_body(b"")[1:]


def test_multiple_long_strings_are_all_removed(path: str) -> None:
    """Every long string goes, each validated, the rest kept verbatim."""
    body = b'{"a":"' + LONG + b'","b":["x","' + LONG * 2 + b'",' + b'"y"],"c":"' + LONG + b'"}'
    assert prescan(body, min_len=MIN) == b'{"a":"","b":["x","","y"],"c":""}'
    bad = body.replace(LONG * 2, LONG + b"\x00" + LONG)
    with pytest.raises(ScanError) as info:
        prescan(bad, min_len=MIN)
    assert info.value.pos == bad.index(b"\x00")


def test_long_string_as_a_key(path: str) -> None:
    """A long key is emptied like a value; the remainder still parses."""
    body = b'{"' + LONG + b'": 1, "k": "v"}'
    rem = prescan(body, min_len=MIN)
    assert rem == b'{"": 1, "k": "v"}'
    assert msgspec.json.decode(rem) == {"": 1, "k": "v"}


def test_short_strings_are_copied_verbatim(path: str) -> None:
    """Short strings, even invalid ones, are left for the parser to judge."""
    body = b'{"s":"a\\u00e9\\x\x01","b":"' + LONG + b'"}'
    assert prescan(body, min_len=MIN) == b'{"s":"a\\u00e9\\x\x01","b":""}'


def test_unterminated_long_string_is_left_intact(path: str) -> None:
    """An unterminated long string stays, so the parser reports the truncation."""
    trunc = b'{"a":"' + LONG + b'","b":"' + LONG[:100]
    rem = prescan(trunc, min_len=MIN)
    assert rem == b'{"a":"","b":"' + LONG[:100]
    with pytest.raises(msgspec.DecodeError, match="truncated"):
        msgspec.json.decode(rem)
    assert prescan(b'{"a":"' + LONG, min_len=MIN) is None


def test_short_string_budget_gives_up(path: str) -> None:
    """Past max_strings short strings, prescan returns None (the caller parses buf)."""
    body = b'["a","b","c","' + LONG + b'"]'
    assert prescan(body, min_len=MIN, max_strings=3) == b'["a","b","c",""]'
    assert prescan(body, min_len=MIN, max_strings=2) is None
    assert _scan.default_max_strings(0) >= 1


def test_scan_error_carries_reason_and_position() -> None:
    """ScanError exposes reason and pos and shows both."""
    err = ScanError("control character U+0001 inside a string", 42)
    assert err.reason == "control character U+0001 inside a string"
    assert err.pos == 42
    assert "byte 42" in str(err)
    assert isinstance(err, Exception)


def test_no_huge_allocation_for_a_big_string(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every path validates an 8 MB string without allocating a copy of it."""
    import tracemalloc

    if path == "numpy-chunked":
        monkeypatch.setattr(_scan, "_CHUNK", 65536 - 3)  # chunked, yet not slow

    content = b"QUJD" * (2 * 1024 * 1024)
    body = image_body(content)
    prescan(body)  # warm-up: lazy imports, caches
    tracemalloc.start()
    try:
        rem = prescan(body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rem == image_body(b"")
    assert peak < 1024 * 1024  # numpy views, msgspec.Raw and isascii copy nothing


# ------------------------------------------------------------------------------------------
# prescan: differential test against msgspec on the original document
# ------------------------------------------------------------------------------------------

DIFF_MIN = 16

leaf_text = st.text(
    alphabet=st.sampled_from(list('ab/"\\\n\x01\x1f\u00e9\u20ac\U0001f600 [{')), max_size=40
)


@st.composite
def encoded_string(draw: st.DrawFn, text: str) -> bytes:
    """JSON-encode text choosing escape styles at random (all valid)."""
    out = bytearray(b'"')
    for ch in text:
        code = ord(ch)
        style = draw(st.integers(0, 2))
        if ch == '"':
            out += b'\\"' if style else b"\\u0022"
        elif ch == "\\":
            out += b"\\\\" if style else b"\\u005C"
        elif ch == "/":
            out += [b"/", b"\\/", b"\\u002f"][style]
        elif ch == "\n":
            out += b"\\n" if style else b"\\u000a"
        elif code < 0x20:
            out += b"\\u%04x" % code
        elif code > 0xFFFF and style == 0:
            v = code - 0x10000
            out += b"\\u%04X\\u%04x" % (0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF))
        elif code > 0x7F and style == 0:
            out += b"\\u%04x" % code
        else:
            out += ch.encode()
    out += b'"'
    return bytes(out)


@st.composite
def document(draw: st.DrawFn, depth: int = 0) -> tuple[bytes, Any]:
    """A JSON document and the value msgspec should decode from its prescan remainder."""
    kind = draw(st.sampled_from(["int", "str", "list", "dict"] if depth < 3 else ["int", "str"]))
    if kind == "int":
        n = draw(st.integers(-(10**6), 10**6))
        return str(n).encode(), n
    if kind == "str":
        text = draw(leaf_text)
        raw = draw(encoded_string(text))
        return raw, ("" if len(raw) - 2 >= DIFF_MIN else text)
    if kind == "list":
        items = draw(st.lists(document(depth + 1), max_size=4))
        return b"[" + b", ".join(i[0] for i in items) + b"]", [i[1] for i in items]
    keys = draw(st.lists(leaf_text, max_size=4))
    parts, expected = [], {}
    for key in keys:
        raw_key = draw(encoded_string(key))
        raw_value, value = draw(document(depth + 1))
        parts.append(raw_key + b": " + raw_value)
        expected["" if len(raw_key) - 2 >= DIFF_MIN else key] = value
    return b"{" + b",".join(parts) + b"}", expected


NASTY = list(b'\x00\x01\x1f "\\/u0aAF[]{},:\x7f\x80\xc3\xa9\xed\xf0\xff')
FRAGMENTS = [
    b"\\udc00",
    b"\\uDFFF",
    b"\\ud800",
    b"\\uDBFF\\uDC00",
    b"\\ud800\\u0041",
    b"\\ud800\\ud800",
    b"\\u12",
    b"\\u00e9",
    b"\\x",
    b'\\"',
    b"\\\\",
    b"\xed\xa0\x80",
    b"\xf0\x9f\x98\x80",
    b"\xc3",
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid document with a few random byte flips, insertions, deletions and splices."""
    buf = bytearray(draw(document())[0])
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "splice"]))
        i = draw(st.integers(0, len(buf)))
        byte = draw(st.sampled_from(NASTY))
        if op == "splice":
            buf[i:i] = draw(st.sampled_from(FRAGMENTS))
        elif op == "insert":
            buf.insert(i, byte)
        elif i < len(buf):
            if op == "flip":
                buf[i] = byte
            else:
                del buf[i]
    return bytes(buf)


def scan_then_parse(buf: bytes) -> tuple[bool, bytes | None]:
    """Whether prescan succeeds and msgspec parses its remainder (or buf when None)."""
    try:
        rem = prescan(buf, min_len=DIFF_MIN, check_utf8=True)
    except ScanError:
        return False, None
    try:
        msgspec.json.decode(buf if rem is None else rem)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return False, rem
    return True, rem


def parses(buf: bytes) -> bool:
    """Whether msgspec decodes buf generically (which decodes, so validates, every string)."""
    try:
        msgspec.json.decode(buf)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return False
    return True


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document())
def test_remainder_of_valid_documents_decodes_as_expected(doc: tuple[bytes, Any]) -> None:
    """On valid documents, the remainder decodes to the value with long strings emptied."""
    buf, expected = doc
    assert parses(buf)
    outcome = same_everywhere(run_all(lambda: prescan(buf, min_len=DIFF_MIN)))
    assert outcome[0] == "ok"
    rem = outcome[1]
    assert msgspec.json.decode(buf if rem is None else rem) == expected


def _accepts_exactly_what_msgspec_accepts(buf: bytes) -> None:
    outcome = same_everywhere(run_all(lambda: scan_then_parse(buf)))  # paths agree exactly
    ok, _ = outcome[1]
    assert ok == parses(buf)


@given(mutated())
def test_prescan_then_parse_accepts_exactly_what_msgspec_accepts(buf: bytes) -> None:
    """'prescan succeeds and the remainder parses' iff msgspec parses the original."""
    _accepts_exactly_what_msgspec_accepts(buf)


@pytest.mark.slow
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_prescan_then_parse_accepts_exactly_what_msgspec_accepts_long(buf: bytes) -> None:
    """The same, over 1500 examples (the full tier)."""
    _accepts_exactly_what_msgspec_accepts(buf)


@settings(max_examples=300, deadline=None)
@given(mutated())
def test_numpy_and_fallback_report_the_same_error(buf: bytes) -> None:
    """All validation paths return the same remainder or the same reason and position."""
    assume(b'"' in buf)
    same_everywhere(run_all(lambda: prescan(buf, min_len=DIFF_MIN)))
