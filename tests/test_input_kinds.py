"""The error contract for every kind of input, and logging that never drops a record."""

from __future__ import annotations

import array
import io
import json
import logging
import mmap
import sys
import tempfile
import threading
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import usagecodec
import usagecodec.telemetry as ulog

DOC = (
    b'{"totalTokens":3,"inputTokens":2,"outputTokens":1,'
    b'"inputTokensDetails":{"textTokens":1,"imageTokens":1}}'
)


class HostileStr(str):
    __slots__ = ()

    def encode(self, *args: object, **kwargs: object) -> bytes:  # type: ignore[override]
        raise RuntimeError("hostile encode")


class HostileBytes(bytes):
    def __bytes__(self) -> bytes:
        raise RuntimeError("hostile __bytes__")


def _released(data: bytes) -> memoryview:
    view = memoryview(data)
    view.release()
    return view


def _closed_mmap(data: bytes) -> mmap.mmap:
    with tempfile.TemporaryFile() as f:
        f.write(data or b" ")
        f.flush()
        m = mmap.mmap(f.fileno(), 0)
    m.close()
    return m


def _open_mmap(data: bytes) -> mmap.mmap:
    with tempfile.TemporaryFile() as f:
        f.write(data or b" ")
        f.flush()
        return mmap.mmap(f.fileno(), 0)


KINDS: dict[str, Callable[[bytes], Any]] = {
    "bytes": bytes,
    "bytearray": bytearray,
    "memoryview": memoryview,
    "strided": lambda d: memoryview(bytearray(d * 2))[::2],
    "released": _released,
    "closed mmap": _closed_mmap,
    "open mmap": _open_mmap,
    "str": lambda d: d.decode("utf-8", "surrogateescape"),
    "hostile str": lambda d: HostileStr(d.decode("utf-8", "surrogateescape")),
    "hostile bytes": HostileBytes,
    "array": lambda d: array.array("B", d),
    "int": len,
    "None": lambda d: None,
}

ENTRY_POINTS: dict[str, Callable[[Any], Any]] = {
    "decode_usage": usagecodec.decode_usage,
    "decode_response": usagecodec.decode_response,
    "extract_usage": usagecodec.extract_usage,
    "UsageCodec.decode": usagecodec.UsageCodec().decode,
    "snake decode": usagecodec.UsageCodec("snake").decode,
    "auto decode": usagecodec.UsageCodec("auto").decode,
    "strict decode": usagecodec.UsageCodec(strict=True).decode,
    "decode_lines": usagecodec.UsageCodec().decode_lines,
    "msgpack decode": usagecodec.UsageCodec(format="msgpack").decode,
}


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(sorted(KINDS)),
    entry=st.sampled_from(sorted(ENTRY_POINTS)),
    data=st.one_of(st.just(DOC), st.binary(max_size=64), st.just(DOC + b"\n" + DOC)),
)
def test_any_input_kind_gives_a_value_or_the_projects_error(
    kind: str, entry: str, data: bytes
) -> None:
    value = KINDS[kind](data)
    reason = "ok"
    try:
        ENTRY_POINTS[entry](value)
    except usagecodec.UsageDecodeError as err:
        reason = err.reason
    finally:
        if isinstance(value, mmap.mmap) and not value.closed:
            value.close()
    assert reason  # a value, or the project's error saying what was wrong


@pytest.mark.parametrize("kind", ["strided", "released", "closed mmap"])
def test_unreadable_kinds_are_refused_with_a_reason(kind: str) -> None:
    with pytest.raises(usagecodec.UsageDecodeError):
        usagecodec.decode_usage(KINDS[kind](DOC))


def test_hostile_subclasses_are_read_without_their_methods() -> None:
    assert usagecodec.decode_usage(HostileBytes(DOC)).total_tokens == 3
    snake = (
        '{"total_tokens":3,"input_tokens":2,"output_tokens":1,'
        '"input_tokens_details":{"text_tokens":1,"image_tokens":1}}'
    )
    assert usagecodec.UsageCodec("snake").decode(HostileStr(snake)).total_tokens == 3
    assert usagecodec.UsageCodec("auto").decode(HostileStr(" " + DOC.decode())).total_tokens == 3
    assert usagecodec.extract_usage(
        HostileBytes(b'{"created":1,"data":[],"usage":' + DOC + b"}")
    ) == usagecodec.decode_usage(DOC)


# --- logging -------------------------------------------------------------------------------


def _logger(formatter: logging.Formatter) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger(f"usagecodec-test-{id(stream)}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    return logger, stream


class TestLogging:
    def test_lone_surrogates_are_written_as_escapes(self) -> None:
        logger, stream = _logger(ulog.JsonFormatter())
        name = b"report-\xff.ndjson".decode("utf-8", "surrogateescape")
        try:
            raise ValueError(f"cannot read {name}")
        except ValueError:
            logger.exception("failed on %s", name, extra={"file": name, "usage": DOC})
        line = stream.getvalue().strip()
        record = json.loads(line)  # one valid JSON line, nothing dropped
        assert record["message"] == f"failed on {name}"
        assert record["file"] == name and name in record["exception"]
        assert record["gen_ai.usage.input_tokens"] == 2

    def _deep(self, depth: int) -> dict[str, Any]:
        top: dict[str, Any] = {}
        cur = top
        for _ in range(depth):
            cur["a"] = {}
            cur = cur["a"]
        return top

    def test_deep_dicts_with_a_raised_recursion_limit(self) -> None:
        logger, stream = _logger(ulog.JsonFormatter())
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(400_000)
        try:
            deep = self._deep(200_000)
            logger.warning("deep", extra={"payload": deep, "usage": deep})
        finally:
            sys.setrecursionlimit(old)
        record = json.loads(stream.getvalue())
        assert record["payload"] == f"<nested deeper than {usagecodec.MAX_DEPTH} levels>"
        assert "nesting deeper" in record["usage_error"]

    def test_deep_dicts_in_a_small_thread(self) -> None:
        """Logging a deep dict needs no C stack: it works in a thread of 64 KiB.

        The dict is built and freed in this thread: CPython 3.13 itself needs more than
        64 KiB of C stack to free 990 nested dicts (it crashes under pytest without any of
        this library's code), and that is not what is tested here.
        """
        logger, stream = _logger(ulog.JsonFormatter())
        done: list[BaseException | None] = []
        deep = self._deep(990)

        def work() -> None:
            try:
                logger.warning("deep", extra={"payload": deep, "usage": deep})
                done.append(None)
            except BaseException as exc:  # pragma: no cover - reported below
                done.append(exc)

        old = threading.stack_size(64 * 1024)
        try:
            thread = threading.Thread(target=work)
            thread.start()
            thread.join()
        finally:
            threading.stack_size(old)
        assert done == [None]
        assert json.loads(stream.getvalue())["message"] == "deep"

    def test_filter_bounds_dict_depth(self) -> None:
        record = logging.LogRecord("x", logging.INFO, "", 0, "m", (), None)
        record.usage = self._deep(200)
        assert ulog.UsageFilter().filter(record) is True
        assert "nesting deeper" in record.usage_error
