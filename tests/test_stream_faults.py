"""Streams under fault: NUL bytes, invalid UTF-8, a 100 MB line, truncation, short reads."""

from __future__ import annotations

import io
import tracemalloc
from typing import Any

import pytest

from usagecodec import read_usages

GOOD = (
    b'{"totalTokens":10,"inputTokens":6,"outputTokens":4,'
    b'"inputTokensDetails":{"textTokens":5,"imageTokens":1}}'
)


class Endless(io.RawIOBase):
    """A stream of GOOD lines around one line of ``size`` bytes, made on the fly."""

    def __init__(self, size: int) -> None:
        self.parts = [GOOD + b"\n", b'{"x":"', b"A" * size, b'"}\n', GOOD + b"\n"]
        self.index = 0
        self.offset = 0
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while self.index < len(self.parts):
            part = self.parts[self.index]
            if self.index == 2:  # the huge run of A's, never materialised whole
                left = len(part) - self.offset
                n = min(len(b), left)
                b[:n] = b"A" * n
            else:
                n = min(len(b), len(part) - self.offset)
                b[:n] = part[self.offset : self.offset + n]
            self.offset += n
            if self.offset == len(part):
                self.index, self.offset = self.index + 1, 0
            if n:
                self.served += n
                return n
        return 0


class TestFaults:
    def test_nul_bytes_spoil_only_their_line(self) -> None:
        """A line with NUL bytes is one bad line; the others are decoded."""
        data = GOOD + b"\n" + b"\x00" * 50 + b"\n" + GOOD[:10] + b"\x00" + GOOD[10:] + b"\n" + GOOD
        t = read_usages(io.BytesIO(data), on_error="collect").totals()
        assert (t.records, t.bad_lines) == (2, 2)
        assert [e.lineno for e in t.errors] == [2, 3]

    def test_invalid_utf8_in_one_line(self) -> None:
        """Invalid UTF-8 is tolerated in a skipped field and a bad line where it breaks JSON."""
        tolerated = b'{"note":"caf\xe9",' + GOOD[1:]
        broken = b"\xff\xfe" + GOOD
        data = b"\n".join([GOOD, tolerated, broken, GOOD])
        t = read_usages(io.BytesIO(data), on_error="collect").totals()
        assert (t.records, t.bad_lines) == (3, 1)
        assert t.errors[0].lineno == 3

    def test_truncated_mid_record(self) -> None:
        """A file cut inside its last record: every complete record counted, the rest bad."""
        data = (GOOD + b"\n") * 1000 + GOOD[: len(GOOD) // 2]
        t = read_usages(io.BytesIO(data), on_error="collect").totals()
        assert (t.records, t.bad_lines, t.lines) == (1000, 1, 1001)

    def test_mixed_line_endings(self) -> None:
        """LF and CRLF mixed in one file."""
        data = GOOD + b"\r\n" + GOOD + b"\n" + GOOD + b"\r\n\r\n" + GOOD
        t = read_usages(io.BytesIO(data)).totals()
        assert (t.records, t.blank_lines) == (4, 1)

    @pytest.mark.slow
    def test_100_mb_line_in_bounded_memory(self) -> None:
        """A 100 MB line is one bad line, read without holding it: memory stays near the limit."""
        limit = 8 << 20
        source = io.BufferedReader(Endless(100 << 20), buffer_size=1 << 16)
        tracemalloc.start()
        try:
            t = read_usages(source, on_error="collect", max_line_bytes=limit).totals()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert (t.records, t.bad_lines, t.lines) == (2, 1, 3)
        assert t.errors[0].lineno == 2
        assert peak < limit + (4 << 20), f"peak {peak / 2**20:.1f} MiB"
