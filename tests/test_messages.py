"""The msgspec wording usagecodec reads: each pattern triggered on the installed msgspec.

A msgspec release that rewords one of these messages fails here, with the pattern's name,
instead of silently changing usagecodec's errors or its reading of records.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
import pytest

from usagecodec import UsageDecodeError, _messages
from usagecodec._models import ResponseBody, Usage


class _Small(msgspec.Struct):
    n: Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
    f: Annotated[float, msgspec.Meta(ge=-1e308, le=1e308)] = 0.0


def _failure(decoder: Any, data: bytes) -> BaseException:
    with pytest.raises((msgspec.ValidationError, msgspec.DecodeError)) as info:
        decoder.decode(data)
    return info.value


TRIGGERS: dict[str, tuple[Any, bytes]] = {
    "int bound": (msgspec.json.Decoder(_Small), b'{"n": 9223372036854775808}'),
    "float bound": (msgspec.msgpack.Decoder(_Small), msgspec.msgpack.encode({"n": 1, "f": 2e308})),
    "truncated": (msgspec.json.Decoder(_Small), b'{"n": 1'),
    "out of range": (msgspec.json.Decoder(float), b"1e400"),
    "number": (msgspec.json.Decoder(Usage), b'{"totalTokens": "5"}'),
    "missing field": (msgspec.json.Decoder(Usage), b"{}"),
    "unknown field": (msgspec.json.Decoder(Usage), b'{"x": 1}'),
    "not an object": (msgspec.json.Decoder(Usage), b"[]"),
    "path": (msgspec.json.Decoder(Usage), b'{"totalTokens": "5"}'),
    "byte": (msgspec.json.Decoder(Usage), b"{,}"),
    "got": (msgspec.json.Decoder(Usage), b'{"totalTokens": "5"}'),
    "item path": (msgspec.json.Decoder(list[Usage]), b'[{"totalTokens": "5"}]'),
    "data path": (msgspec.json.Decoder(ResponseBody), b'{"created": 1, "data": [{"url": 5}]}'),
}


@pytest.mark.parametrize("name", sorted(_messages.PATTERNS))
def test_each_pattern_is_msgspecs_wording(name: str) -> None:
    decoder, data = TRIGGERS[name]
    text = str(_failure(decoder, data))
    assert _messages.PATTERNS[name] in text, (name, text)


def test_every_pattern_has_a_trigger() -> None:
    assert set(TRIGGERS) == set(_messages.PATTERNS)


def test_missing_first_field_names_the_first_field() -> None:
    """msgspec names the first missing field in declaration order, in each dialect."""
    camel = str(_failure(msgspec.json.Decoder(Usage), b'{"inputTokens": 1}'))
    assert camel.startswith(_messages.MISSING_FIRST[0])


@pytest.mark.parametrize(
    ("data", "reason", "path", "pos"),
    [
        (b'{"totalTokens": "5"}', "expected a number, got `str`", "$.totalTokens", None),
        (b"{,}", "JSON is malformed: object keys must be strings", "$", 1),
        (b'{"totalTokens": 1', "truncated document (the input ends before the value does)",
         "$", None),
        (b'{"totalTokens": 1e400}', "number out of range (too large for a double)",
         "$.totalTokens", None),
    ],
)  # fmt: skip
def test_translation(data: bytes, reason: str, path: str, pos: int | None) -> None:
    err = _messages.translate(_failure(msgspec.json.Decoder(Usage), data), "camel", "json")
    assert isinstance(err, UsageDecodeError)
    assert (err.reason, err.path, err.pos) == (reason, path, pos)


def test_predicates() -> None:
    missing = _messages.translate(_failure(msgspec.json.Decoder(Usage), b"{}"), "camel", "json")
    assert _messages.dialect_problem(missing.reason) and _messages.wrong_shape(missing)
    assert _messages.not_a_usage(missing)
    deep = _messages.translate(
        _failure(msgspec.json.Decoder(Usage), b'{"totalTokens": "x"}'), "camel", "json"
    )
    assert not _messages.dialect_problem(deep.reason) and not _messages.wrong_shape(deep)


def test_slice_helpers() -> None:
    """The helpers the bounded body reader uses, on msgspec's real messages."""
    item = _failure(msgspec.json.Decoder(list[Usage]), b'[{}, {"totalTokens": "5"}]')
    moved = _messages.in_data(item, 10)  # type: ignore[arg-type]
    assert "- at `$.data[10]" in str(moved) or "- at `$.data[11]" in str(moved)
    body = _failure(msgspec.json.Decoder(ResponseBody), b'{"created": 1, "data": 5}')
    assert _messages.data_error(body) and _messages.at_data_itself(body)
    missing = _failure(msgspec.json.Decoder(ResponseBody), b'{"data": []}')
    assert _messages.missing_here(missing)
    assert _messages.got_kind(_failure(msgspec.json.Decoder(Usage), b"[]")) == "array"
    syntax = _failure(msgspec.json.Decoder(Usage), b"{,}")
    assert str(_messages.shifted(syntax, 100)).endswith("(byte 101)")  # type: ignore[arg-type]
