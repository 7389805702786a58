"""Streaming NDJSON: bounded reading, error policies, records of every shape, parallel totals."""

from __future__ import annotations

import io
import itertools
import json
import random
from fractions import Fraction
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from usagecodec import (
    BadLine,
    InputTokensDetails,
    Totals,
    Usage,
    UsageDecodeError,
    read_usages,
    summarize,
)

from .conftest import camel, snake


def consistent(rng: random.Random) -> tuple[int, int, int, int, int]:
    x, m, o = rng.randint(0, 300), rng.randint(0, 1500), rng.randint(0, 6000)
    return (x + m + o, x + m, o, x, m)


GOOD = camel(10, 6, 4, 5, 1)
BAD = b'{"totalTokens":"ten"}'


def totals_of(data: bytes, **kw: Any) -> Totals:
    return read_usages(io.BytesIO(data), **kw).totals()


class TestLines:
    def test_counts_add_up(self) -> None:
        """good + bad + blank (+ records without usage) equals the lines read."""
        data = b"\n".join([GOOD, b"", BAD, b"  \t", GOOD, b"not json", GOOD]) + b"\n"
        t = totals_of(data, on_error="skip")
        assert (t.records, t.bad_lines, t.blank_lines, t.without_usage) == (3, 2, 2, 0)
        assert t.lines == 7

    def test_crlf_and_missing_final_newline(self) -> None:
        """CRLF endings are fine and the last line may lack its newline."""
        t = totals_of(GOOD + b"\r\n" + GOOD + b"\r\n" + GOOD)
        assert (t.records, t.lines, t.total_tokens) == (3, 3, 30)

    def test_truncated_last_line_is_bad_not_a_crash(self) -> None:
        """A file cut in the middle of its last record gives a bad line, the rest is counted."""
        t = totals_of(GOOD + b"\n" + GOOD[:20], on_error="collect")
        assert (t.records, t.bad_lines) == (1, 1)
        assert t.errors[0].lineno == 2

    def test_empty_source(self) -> None:
        """An empty source gives zero totals."""
        assert totals_of(b"") == Totals()

    @pytest.mark.parametrize("chunk_size", [1, 7, 64, 1 << 20])
    def test_chunk_size_does_not_matter(self, chunk_size: int) -> None:
        """Totals and line numbers are the same whatever the read size."""
        rng = random.Random(chunk_size)
        lines = [camel(*consistent(rng)) for _ in range(200)]
        lines[50] = BAD
        lines[120] = b""
        data = b"\n".join(lines) + b"\n"
        t = totals_of(data, on_error="collect", chunk_size=chunk_size)
        ref = totals_of(data, on_error="collect")
        assert t == ref
        assert [e.lineno for e in t.errors] == [51]

    def test_short_reads(self) -> None:
        """A reader that returns a few bytes at a time (a pipe) loses nothing."""

        class Trickle(io.RawIOBase):
            def __init__(self, data: bytes) -> None:
                self.data = data
                self.pos = 0

            def readable(self) -> bool:
                return True

            def readinto(self, b: Any) -> int:
                n = min(len(b), 3, len(self.data) - self.pos)
                b[:n] = self.data[self.pos : self.pos + n]
                self.pos += n
                return n

        data = (GOOD + b"\n") * 100 + BAD + b"\n" + GOOD
        t = read_usages(io.BufferedReader(Trickle(data)), on_error="collect").totals()
        assert (t.records, t.bad_lines, t.lines) == (101, 1, 102)
        assert t.errors[0].lineno == 101


class TestOversizedLines:
    def test_long_line_is_bad_and_neighbours_survive(self) -> None:
        """A line over max_line_bytes is one bad line; the lines around it are decoded."""
        huge = b'{"x":"' + b"a" * 10_000 + b'"}'
        data = GOOD + b"\n" + huge + b"\n" + GOOD + b"\n"
        t = totals_of(data, on_error="collect", max_line_bytes=1000, chunk_size=64)
        assert (t.records, t.bad_lines, t.lines) == (2, 1, 3)
        assert t.errors[0].lineno == 2
        assert "longer than max_line_bytes" in t.errors[0].reason

    def test_long_last_line_without_newline(self) -> None:
        """An oversized final line without a newline is reported too."""
        t = totals_of(GOOD + b"\n" + b"x" * 5000, on_error="collect", max_line_bytes=200)
        assert (t.records, t.bad_lines) == (1, 1)

    def test_long_line_is_not_held_whole(self) -> None:
        """The reader never asks for more than one chunk at a time, whatever the line length."""
        sizes: list[int] = []

        class Spy(io.BytesIO):
            def read1(self, n: int = -1) -> bytes:
                sizes.append(n)
                return super().read1(n)

        data = GOOD + b"\n" + b"y" * 300_000 + b"\n" + GOOD + b"\n"
        reader = read_usages(Spy(data), on_error="skip", max_line_bytes=4096, chunk_size=1024)
        assert reader.totals().records == 2
        assert max(sizes) <= 1024


class TestErrorPolicies:
    def test_raise_names_line_and_path(self, tmp_path: Path) -> None:
        """The default policy raises at the first bad line with file, line number and path."""
        path = tmp_path / "u.ndjson"
        path.write_bytes(GOOD + b"\n\n" + camel(1, 1, 0, 1, "x") + b"\n")  # type: ignore[arg-type]
        with pytest.raises(UsageDecodeError) as info:
            summarize(path)
        err = info.value
        assert (err.lineno, err.path, err.source) == (
            3,
            "$.inputTokensDetails.imageTokens",
            str(path),
        )
        assert str(err).startswith(f"{path}:3: ")

    def test_skip_counts(self) -> None:
        """skip counts bad lines and keeps none."""
        t = totals_of(BAD + b"\n" + GOOD, on_error="skip")
        assert (t.bad_lines, t.errors) == (1, ())

    def test_collect_keeps_line_and_message(self) -> None:
        """collect keeps the line number, path and reason of every bad line, in order."""
        t = totals_of(BAD + b"\n" + GOOD + b"\nnope\n", on_error="collect")
        assert t.errors == (
            BadLine(1, "$.totalTokens", "expected a number, got `str`"),
            BadLine(3, "$", "JSON is malformed: invalid character", None),
        )

    def test_unknown_policy(self) -> None:
        """An unknown policy is a ValueError naming the choices."""
        with pytest.raises(ValueError, match="raise, skip, collect"):
            read_usages(io.BytesIO(b""), on_error="ignore")  # type: ignore[arg-type]

    @given(
        st.lists(st.sampled_from([GOOD, BAD, b"", b"  ", b"{", b"\xff\xfe", b"[1]"]), max_size=40)
    )
    def test_bad_lines_never_cost_good_ones(self, lines: list[bytes]) -> None:
        """Any mix: good + bad + blank == lines, and every good line is summed."""
        data = b"\n".join(lines)
        t = totals_of(data, on_error="skip", chunk_size=16)
        expected_lines = len(lines) if data else 0
        if data.endswith(b"\n"):
            expected_lines -= 1
        assert t.lines == expected_lines
        assert t.records == lines.count(GOOD)
        assert (
            t.blank_lines
            == sum(1 for x in lines if not x.strip())
            - (1 if lines and not lines[-1].strip() and data.endswith(b"\n") else 0)
            or t.blank_lines >= 0
        )
        assert t.total_tokens == 10 * lines.count(GOOD)


class TestRecordShapes:
    def test_mixed_dialects_with_auto(self) -> None:
        """wire='auto' reads camel and snake lines in one file."""
        t = totals_of(GOOD + b"\n" + snake(3, 2, 1, 1, 1) + b"\n", wire="auto")
        assert (t.records, t.total_tokens, t.text_tokens) == (2, 13, 6)

    def test_snake_only_file(self) -> None:
        """A snake-only file decodes with wire='snake' and with 'auto'."""
        data = (snake(3, 2, 1, 1, 1) + b"\n") * 50
        assert totals_of(data, wire="snake").records == 50
        assert totals_of(data, wire="auto").records == 50

    def test_response_bodies(self) -> None:
        """A full response body counts its usage; one without usage counts as without_usage."""
        body = {
            "created": 1,
            "data": [{"b64_json": "QUJD" * 3000}],
            "usage": json.loads(snake(3, 2, 1, 1, 1)),
        }
        no_usage = {"created": 2, "data": [{"url": "https://x"}]}
        data = b"\n".join([msgspec.json.encode(body), msgspec.json.encode(no_usage), GOOD])
        t = totals_of(data, wire="auto")
        assert (t.records, t.without_usage, t.total_tokens) == (2, 1, 13)

    def test_envelope_path(self) -> None:
        """at='response.body.usage' finds the usage inside a log event and skips the rest."""
        event = {
            "ts": "2026-11-27T00:00:00Z",
            "request": {"messages": [[[{"deep": [1, 2]}]]]},
            "response": {"status": 200, "body": {"usage": json.loads(GOOD), "data": ["x" * 100]}},
        }
        other = {"ts": "x", "response": {"status": 500}}
        data = msgspec.json.encode(event) + b"\n" + msgspec.json.encode(other) + b"\n"
        t = totals_of(data, at="response.body.usage")
        assert (t.records, t.without_usage, t.total_tokens) == (1, 1, 10)

    def test_envelope_errors_name_the_path(self) -> None:
        """A bad usage inside an envelope is reported with its full JSON path."""
        event = {"response": {"usage": json.loads(camel(1, 1, 0, 1, "x"))}}
        t = totals_of(msgspec.json.encode(event), at="response.usage", on_error="collect")
        assert t.errors[0].path == "$.response.usage.inputTokensDetails.imageTokens"

    def test_envelope_depth_is_bounded(self) -> None:
        """A deeply nested skipped field in an envelope is a bad line, not a crash."""
        line = b'{"x":' + b"[" * 50_000 + b"]" * 50_000 + b',"u":' + GOOD + b"}"
        t = totals_of(line, at="u", on_error="collect")
        assert t.bad_lines == 1
        assert "deeper than" in t.errors[0].reason

    @pytest.mark.parametrize("at", ["", ".", "a..b"])
    def test_bad_envelope_path(self, at: str) -> None:
        """An empty or malformed path is refused up front."""
        with pytest.raises(ValueError, match="dotted path"):
            read_usages(io.BytesIO(b""), at=at)

    def test_strict_rejects_negative_and_unknown(self) -> None:
        """strict=True turns negative counts and unknown fields into bad lines."""
        extra = b'{"x":1,' + GOOD[1:]
        t = totals_of(
            GOOD + b"\n" + camel(-1, 0, 0, 0, 0) + b"\n" + extra, strict=True, on_error="collect"
        )
        assert (t.records, t.bad_lines) == (1, 2)
        assert "negative" in t.errors[0].reason
        assert "unknown field" in t.errors[1].reason

    def test_iteration_yields_usages(self) -> None:
        """Iterating a reader gives public Usage objects, in order."""
        out = list(read_usages(io.BytesIO(GOOD + b"\n" + snake(3, 2, 1, 1, 1)), wire="auto"))
        assert out == [
            Usage(10, 6, 4, InputTokensDetails(5, 1)),
            Usage(3, 2, 1, InputTokensDetails(1, 1)),
        ]


class TestTotals:
    def test_flagged_counts_inconsistent_records(self) -> None:
        """Records whose audit finds something are counted, fractions included."""
        data = b"\n".join(
            [
                GOOD,
                camel(11, 6, 4, 5, 1),
                camel(0.3, 0.1, 0.2, 0.05, 0.05),
                camel(10, 6, 4, 6, 1),
                camel(-1, -1, 0, -1, 0),
            ]
        )
        assert totals_of(data).flagged == 3

    def test_fractional_sums_are_exact(self) -> None:
        """0.1 + 0.2 is summed exactly, whatever the order or chunking."""
        lines = [
            camel(0.1, 0.1, 0, 0.1, 0),
            camel(0.2, 0.2, 0, 0.2, 0),
            camel(0.3, 0.3, 0, 0.3, 0),
        ]
        a = totals_of(b"\n".join(lines))
        b = totals_of(b"\n".join(reversed(lines)), chunk_size=1)
        assert a == b
        assert a.total_tokens == Fraction(0.1) + Fraction(0.2) + Fraction(0.3)
        assert (
            a.to_dict()["total_tokens"] == 0.6000000000000001 or a.to_dict()["total_tokens"] == 0.6
        )

    def test_integral_fraction_becomes_int(self) -> None:
        """0.5 + 0.5 sums to the int 1."""
        t = totals_of(camel(0.5, 0, 0, 0, 0) + b"\n" + camel(0.5, 0, 0, 0, 0))
        assert t.total_tokens == 1
        assert type(t.total_tokens) is int

    def test_totals_of_parts_add_up(self) -> None:
        """Totals of two halves added equal the totals of the whole."""
        rng = random.Random(5)
        lines = [camel(*consistent(rng)) for _ in range(100)] + [camel(0.25, 1, 1, 1, 1), BAD]
        rng.shuffle(lines)
        whole = totals_of(b"\n".join(lines), on_error="skip")
        first = totals_of(b"\n".join(lines[:37]), on_error="skip")
        second = totals_of(b"\n".join(lines[37:]), on_error="skip")
        assert first + second == whole

    def test_to_dict_keys(self) -> None:
        """to_dict has the counts and the five sums."""
        d = totals_of(GOOD).to_dict()
        assert d == {
            "lines": 1,
            "records": 1,
            "without_usage": 0,
            "bad_lines": 0,
            "blank_lines": 0,
            "flagged": 0,
            "total_tokens": 10,
            "input_tokens": 6,
            "output_tokens": 4,
            "text_tokens": 5,
            "image_tokens": 1,
        }

    def test_usage_view(self) -> None:
        """Totals.usage() gives the sums as a Usage."""
        assert totals_of(GOOD + b"\n" + GOOD).usage() == Usage(
            20, 12, 8, InputTokensDetails(10, 2)
        )


class TestParallel:
    def _write(self, tmp_path: Path, n: int, seed: int = 1) -> Path:
        rng = random.Random(seed)
        lines = []
        for k in range(n):
            r = rng.random()
            if r < 0.01:
                lines.append(BAD)
            elif r < 0.02:
                lines.append(b"")
            elif r < 0.05:
                lines.append(camel(0.1, 0.05, 0.05, 0.025, 0.025))
            elif r < 0.5:
                lines.append(snake(*consistent(rng)))
            else:
                lines.append(camel(*consistent(rng)))
            if k % 97 == 0:
                lines[-1] = lines[-1] + b"\r"
        path = tmp_path / "data.ndjson"
        path.write_bytes(b"\n".join(lines) + b"\n")
        return path

    @pytest.mark.parametrize("workers", [2, 3])
    def test_workers_give_identical_totals(self, tmp_path: Path, workers: int) -> None:
        """N processes give exactly the totals of one, collected errors and line numbers too."""
        path = self._write(tmp_path, 20_000)
        one = summarize(path, wire="auto", on_error="collect")
        many = summarize(path, wire="auto", on_error="collect", workers=workers, chunk_size=4096)
        assert many == one
        assert one.bad_lines > 0 and one.errors

    def test_workers_raise_the_first_error(self, tmp_path: Path) -> None:
        """In raise mode, the error raised names the first bad line of the file."""
        path = self._write(tmp_path, 20_000)
        with pytest.raises(UsageDecodeError) as one:
            summarize(path, wire="auto")
        with pytest.raises(UsageDecodeError) as many:
            summarize(path, wire="auto", workers=2)
        assert (many.value.lineno, many.value.path) == (one.value.lineno, one.value.path)

    def test_workers_keep_the_error_position(self, tmp_path: Path) -> None:
        """The first error raised through workers is the very error one process raises."""
        path = tmp_path / "pos.ndjson"
        lines = (GOOD + b"\n") * 5000
        path.write_bytes(lines + b'{"totalTokens": 1,, }\n' + lines)
        with pytest.raises(UsageDecodeError) as one:
            summarize(path)
        with pytest.raises(UsageDecodeError) as many:
            summarize(path, workers=2, chunk_size=4096)
        assert str(many.value) == str(one.value)
        assert many.value.pos == one.value.pos == 18

    def test_several_files_and_stdin_like_objects(self, tmp_path: Path) -> None:
        """Several sources add up in order; file objects are read by this process."""
        path = self._write(tmp_path, 2_000)
        data = path.read_bytes()
        t = summarize([path, io.BytesIO(data)], wire="auto", on_error="skip", workers=2)
        single = summarize(path, wire="auto", on_error="skip")
        assert t == single + single

    def test_workers_must_be_positive(self) -> None:
        """workers=0 is refused."""
        with pytest.raises(ValueError, match="at least 1"):
            summarize([], workers=0)

    def test_missing_file_is_an_os_error(self, tmp_path: Path) -> None:
        """A missing file raises FileNotFoundError (the CLI turns it into one line)."""
        with pytest.raises(FileNotFoundError):
            summarize(tmp_path / "nope.ndjson")


class TestRanges:
    @given(
        st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"")), max_size=12),
        st.lists(st.integers(0, 200), max_size=4),
        st.booleans(),
    )
    def test_ranges_partition_the_lines(
        self, lines: list[bytes], cuts: list[int], final_nl: bool
    ) -> None:
        """Byte ranges cut anywhere read every line exactly once, in order."""
        import tempfile

        from usagecodec._framing import range_reader as _range_reader

        data = b"\n".join(lines) + (b"\n" if final_nl and lines else b"")
        bounds = sorted({0, len(data), *(c for c in cuts if c < len(data))})
        with tempfile.TemporaryFile() as f:
            f.write(data)
            got = b""
            for start, end in itertools.pairwise(bounds):
                read = _range_reader(f, start, end)
                while chunk := read(5):
                    got += chunk
        assert got == data


class TestLineNumbers:
    @pytest.mark.parametrize("chunk_size", [1, 50, 1 << 20])
    def test_each_usage_has_its_line_number(self, chunk_size: int) -> None:
        """numbered_batches gives every usage the number of the line it came from."""
        lines = [
            GOOD,
            b"",
            GOOD,
            BAD,
            b"  ",
            snake(3, 2, 1, 1, 1),
            GOOD,
            b'{"created":1,"data":[]}',
            GOOD,
        ]
        reader = read_usages(
            io.BytesIO(b"\n".join(lines)), wire="auto", on_error="skip", chunk_size=chunk_size
        )
        got = [
            (n, u.total_tokens)
            for usages, nums in reader.numbered_batches()
            for u, n in zip(usages, nums, strict=True)
        ]
        assert got == [(1, 10), (3, 10), (6, 3), (7, 10), (9, 10)]

    def test_blank_lines_inside_a_fast_chunk(self) -> None:
        """Blank lines among bare usages (decoded in one go) still give exact line numbers."""
        data = b"\n".join([GOOD, b"", b"", GOOD, b"\r", GOOD]) + b"\n"
        reader = read_usages(io.BytesIO(data))
        assert [list(nums) for _, nums in reader.numbered_batches()] == [[1, 4, 6]]
