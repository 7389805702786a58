"""The streaming reader against an independent per-line reference (``reader_reference.py``).

Random files mix every kind of record and every way a line can be bad, blank or oddly ended;
each is read through a path, a ``BytesIO`` and a pipe that returns a few bytes per read, at
every chunk size, and by ``summarize`` with 2 and 3 workers. Counts, exact sums, the line
numbers of bad lines and of records must all equal the reference. A mismatch is shrunk to a
minimal file (whole lines dropped while it still fails) and printed.

Run: ``pytest -m "not slow" tests/test_reader_differential.py`` (100 random files and the
targeted tests, about 10 s) and ``pytest -m slow tests/test_reader_differential.py`` for
2,500 more files, each read every way (several minutes; add ``-n 2`` with pytest-xdist).
The reference, the generator and the shrinking live in ``tests/reader_reference.py``.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import msgspec
import pytest

import usagecodec
from usagecodec import Totals, read_usages, summarize

from .conftest import camel, snake
from .reader_reference import (
    Config,
    Expected,
    minimise,
    random_file,
    random_msgpack_stream,
    reference,
    reference_msgpack,
    split_keep_ends,
)

CHUNK_SIZES = (1, 7, 64, 257, 4096, 65536, 1 << 20)
SOURCES = ("path", "bytesio", "pipe")
WORKERS = (2, 3)


# --- sources -------------------------------------------------------------------------------


class Pipe(io.RawIOBase):
    """A raw binary stream whose reads return at most a few bytes (a pipe, a socket)."""

    def __init__(self, data: bytes, seed: int, most: int = 5) -> None:
        self.data = data
        self.pos = 0
        self.rng = random.Random(seed)
        self.most = most

    def readable(self) -> bool:
        return True

    def read1(self, n: int = -1) -> bytes:
        k = self.rng.randint(1, self.most)
        if n >= 0:
            k = min(n, k)
        data = self.data[self.pos : self.pos + k]
        self.pos += len(data)
        return data

    def read(self, n: int | None = -1) -> bytes:
        # A raw read may return less than asked for; only an empty result means the end.
        return self.readall() if n is None or n < 0 else self.read1(n)

    def readinto(self, b: Any) -> int:
        data = self.read1(len(b))
        b[: len(data)] = data
        return len(data)


@dataclass(frozen=True)
class Way:
    """One way of reading a source: a reader over a kind of source at a chunk size, or
    ``summarize`` with workers."""

    source: str
    chunk_size: int
    workers: int = 1

    def __str__(self) -> str:
        if self.workers > 1:
            return f"summarize(path, workers={self.workers}, chunk_size={self.chunk_size})"
        return f"read_usages({self.source}, chunk_size={self.chunk_size})"


def open_source(data: bytes, kind: str, tmp: Path) -> Any:
    if kind == "path":
        path = tmp / "data.ndjson"
        path.write_bytes(data)
        return path
    if kind == "bytesio":
        return io.BytesIO(data)
    return Pipe(data, seed=len(data))


# --- observing ------------------------------------------------------------------------------


def five(u: usagecodec.Usage) -> tuple[Any, ...]:
    d = u.input_tokens_details
    return (u.total_tokens, u.input_tokens, u.output_tokens, d.text_tokens, d.image_tokens)


def typed(values: Any) -> Any:
    """Values with their types, so that 3 and 3.0 differ (the wire form is kept)."""
    if isinstance(values, (list, tuple)):
        return [typed(v) for v in values]
    return (type(values).__name__, values)


def differences(expected: Expected, totals: Totals, numbered: Any = None) -> list[str]:
    """What differs between the reference and what was read (empty when all agree)."""
    got: dict[str, Any] = {
        "records": totals.records,
        "without_usage": totals.without_usage,
        "bad_lines": totals.bad_lines,
        "blank_lines": totals.blank_lines,
        "flagged": totals.flagged,
        "sums": typed(
            [
                totals.total_tokens,
                totals.input_tokens,
                totals.output_tokens,
                totals.text_tokens,
                totals.image_tokens,
            ]
        ),
        "bad_linenos": [e.lineno for e in totals.errors],
    }
    want: dict[str, Any] = {
        "records": expected.records,
        "without_usage": expected.without_usage,
        "bad_lines": expected.bad_lines,
        "blank_lines": expected.blank_lines,
        "flagged": expected.flagged,
        "sums": typed(list(expected.sums)),
        "bad_linenos": expected.bad_linenos,
    }
    if numbered is not None:
        usages, linenos = numbered
        got["record_linenos"] = linenos
        got["usages"] = typed(usages)
        want["record_linenos"] = expected.record_linenos
        want["usages"] = typed(expected.usages)
    return [
        f"{name}: expected {want[name]!r}, got {got[name]!r}"
        for name in want
        if want[name] != got[name]
    ]


def observe(data: bytes, cfg: Config, way: Way, tmp: Path, expected: Expected) -> list[str]:
    """Read ``data`` one way and list how it differs from ``expected`` (an exception the
    reader raises is a difference too)."""
    try:
        return _observe(data, cfg, way, tmp, expected)
    except Exception as exc:
        return [f"raised {type(exc).__name__}: {exc}"]


def _observe(data: bytes, cfg: Config, way: Way, tmp: Path, expected: Expected) -> list[str]:
    options: dict[str, Any] = {**cfg.options(), "on_error": "collect"}
    if way.workers > 1:
        path = tmp / "data.ndjson"
        path.write_bytes(data)
        totals = summarize(path, workers=way.workers, chunk_size=way.chunk_size, **options)
        return differences(expected, totals)
    reader = read_usages(open_source(data, way.source, tmp), chunk_size=way.chunk_size, **options)
    totals = reader.totals()
    usages: list[Any] = []
    linenos: list[int] = []
    uneven: list[str] = []
    reader = read_usages(open_source(data, way.source, tmp), chunk_size=way.chunk_size, **options)
    for batch, numbers in reader.numbered_batches():
        if len(batch) != len(numbers):
            uneven.append(f"{len(batch)} usages with line numbers {list(numbers)}")
        usages.extend(five(u) for u in batch)
        linenos.extend(numbers)
    found = differences(expected, totals, (usages, linenos))
    if uneven:
        found.append("numbered_batches: a batch of " + "; a batch of ".join(uneven))
    return found


def explain(data: bytes, cfg: Config, way: Way, tmp: Path, *, found: list[str], label: str) -> str:
    """A failure message: the mismatch and the smallest file (whole lines) that still shows
    one, read the same way."""

    def failing(pieces: list[bytes]) -> bool:
        small = b"".join(pieces)
        return bool(observe(small, cfg, way, tmp, reference(small, **cfg.options())))

    pieces = minimise(split_keep_ends(data), failing)
    small = b"".join(pieces)
    shown = data if len(data) < 3000 else data[:3000] + b"..."
    return (
        f"{label}: {way} with {cfg}\n  "
        + "\n  ".join(found)
        + f"\nminimal input ({len(pieces)} lines): {small!r}\n  "
        + "\n  ".join(observe(small, cfg, way, tmp, reference(small, **cfg.options())))
        + f"\nwhole input: {shown!r}"
    )


def ways_for(rng: random.Random, everything: bool) -> list[Way]:
    """Every chunk size through a BytesIO, then the other sources (every chunk size, or two at
    random) and ``summarize`` with workers (a random worker count and chunk size: one for
    every file, or for one file in five). Processes cost most, hence so few."""
    ways = [Way("bytesio", c) for c in CHUNK_SIZES]
    others = [Way(s, c) for s in ("path", "pipe") for c in CHUNK_SIZES]
    parallel = Way("path", rng.choice((7, 64, 1 << 20)), rng.choice(WORKERS))
    if everything:
        return [*ways, *others, parallel]
    return ways + rng.sample(others, 2) + ([parallel] if rng.random() < 0.2 else [])


def check_random_file(
    seed: int, tmp: Path, *, everything: bool, shrink: bool = True
) -> str | None:
    """The first mismatch for the file of ``seed`` (explained and shrunk, or in one line),
    or ``None`` when every way of reading it agrees with the reference."""
    rng = random.Random(seed)
    data, cfg = random_file(rng)
    expected = reference(data, **cfg.options())
    for way in ways_for(rng, everything):
        found = observe(data, cfg, way, tmp, expected)
        if found and shrink:
            return explain(data, cfg, way, tmp, found=found, label=f"seed {seed}")
        if found:
            return f"seed {seed}: {way} with {cfg}: {found[0][:200]}"
    return None


# --- random files ----------------------------------------------------------------------------


class TestRandomFiles:
    @pytest.mark.parametrize("seed", range(100))
    def test_reader_agrees_with_the_reference(self, seed: int, tmp_path: Path) -> None:
        """Counts, exact sums, bad-line and record line numbers equal the per-line reference,
        whatever the source, the chunk size or the worker count."""
        problem = check_random_file(seed, tmp_path, everything=False)
        assert problem is None, problem

    @pytest.mark.slow
    @pytest.mark.parametrize("block", range(25))
    def test_thousands_of_files(self, block: int, tmp_path: Path) -> None:
        """The same for 100 more files per block, each read every way (all chunk sizes through
        a path, a BytesIO and a pipe) and by 2 or 3 workers."""
        seeds = range(10_000 + 100 * block, 10_000 + 100 * (block + 1))
        failing = {}
        for seed in seeds:
            problem = check_random_file(seed, tmp_path, everything=True, shrink=False)
            if problem is not None:
                failing[seed] = problem
        if failing:
            first = check_random_file(min(failing), tmp_path, everything=True)
            pytest.fail(
                f"{len(failing)} of {len(seeds)} files differ:\n"
                + "\n".join(failing.values())
                + f"\n\nthe first, shrunk:\n{first}"
            )


# --- the defects, one by one -------------------------------------------------------------------

GOOD = camel(10, 6, 4, 5, 1)
GOOD_SNAKE = snake(7, 4, 3, 2, 2)


def read_all(data: bytes, chunk_size: int, **kw: Any) -> tuple[Totals, list[int]]:
    reader = read_usages(io.BytesIO(data), on_error="collect", chunk_size=chunk_size, **kw)
    totals = reader.totals()
    reader = read_usages(io.BytesIO(data), on_error="collect", chunk_size=chunk_size, **kw)
    linenos = [n for _, numbers in reader.numbered_batches() for n in numbers]
    return totals, linenos


def assert_matches_reference(data: bytes, chunk_size: int, **kw: Any) -> None:
    expected = reference(data, **kw)
    totals, linenos = read_all(data, chunk_size, **kw)
    found = differences(expected, totals)
    if linenos != expected.record_linenos:
        found.append(f"record_linenos: expected {expected.record_linenos}, got {linenos}")
    assert not found, f"{data!r} at chunk_size={chunk_size}:\n  " + "\n  ".join(found)


class TestRegressions:
    @pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
    @pytest.mark.parametrize("sep", [b" ", b"", b"\t", b"  "])
    def test_two_documents_on_one_line_is_one_bad_line(self, sep: bytes, chunk_size: int) -> None:
        """A line holding two documents (``{...} {...}`` or ``{...}{...}``) is one bad line;
        the lines around it are records."""
        data = GOOD + b"\n" + GOOD + sep + GOOD + b"\n" + GOOD + b"\n"
        expected = reference(data)
        assert (expected.records, expected.bad_linenos) == (2, [2])
        assert_matches_reference(data, chunk_size)

    @pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
    def test_two_documents_of_both_dialects_on_one_line(self, chunk_size: int) -> None:
        """Under wire="auto" too, a camel and a snake document on one line are one bad line."""
        data = GOOD + b" " + GOOD_SNAKE + b"\n" + GOOD_SNAKE + b"\n"
        assert_matches_reference(data, chunk_size, wire="auto")

    @pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
    @pytest.mark.parametrize(
        "cut",
        [
            b'{"totalTokens":10,"in',  # inside a key
            b'{"totalTokens":10,',  # after a comma
            b'{"totalTokens":',  # after a colon
            b'{"totalTokens":10,"inputTokens":6,"outputTokens":4,"inputTokensDetails":',
            GOOD[:-1],  # before the last brace
        ],
        ids=["in-key", "after-comma", "after-colon", "before-object", "before-brace"],
    )
    def test_a_split_document_gives_two_bad_lines(self, cut: bytes, chunk_size: int) -> None:
        """A document broken over two lines is two bad lines, numbered as they are, wherever
        the break falls (between tokens too: a newline ends a record, it is not whitespace
        inside one)."""
        assert GOOD.startswith(cut)
        data = GOOD + b"\n" + cut + b"\n" + GOOD[len(cut) :] + b"\n" + GOOD + b"\n"
        expected = reference(data)
        assert (expected.records, expected.bad_linenos) == (2, [2, 3])
        assert_matches_reference(data, chunk_size)

    @pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
    def test_bare_cr_between_two_documents_does_not_end_the_line(self, chunk_size: int) -> None:
        """``{...}\\r{...}`` is one line holding two documents: one bad line, not two
        records."""
        data = GOOD + b"\r" + GOOD + b"\n" + GOOD + b"\n"
        expected = reference(data)
        assert (expected.records, expected.bad_linenos) == (1, [1])
        assert_matches_reference(data, chunk_size)

    @pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
    def test_bare_cr_inside_a_document_is_whitespace(self, chunk_size: int) -> None:
        """``{"totalTokens":\\r10,...}`` is one good record: a CR is JSON whitespace."""
        inner = GOOD.replace(b'"totalTokens":', b'"totalTokens":\r').replace(b",", b",\r")
        data = inner + b"\n" + GOOD + b"\r\n"
        expected = reference(data)
        assert (expected.records, expected.bad_lines, expected.lines) == (2, 0, 2)
        assert_matches_reference(data, chunk_size)

    @pytest.mark.parametrize("chunk_size", [7, 1 << 20])
    @pytest.mark.parametrize("pad", [0, 5000])
    def test_a_usage_that_is_also_a_body_reads_as_a_usage(self, pad: int, chunk_size: int) -> None:
        """A record that is both a valid usage and a valid response body gives its own counts
        (a bare usage is tried first), however long the line: not those of its ``usage``."""
        inner = camel(99, 90, 9, 45, 45)
        line = GOOD[:-1] + b',"pad":"' + b"x" * pad + b'","created":1,"data":[],"usage":'
        data = line + inner + b"}\n" + GOOD + b"\n"
        expected = reference(data)
        assert (expected.records, expected.sums[0]) == (2, 20)
        assert_matches_reference(data, chunk_size)

    @pytest.mark.parametrize("pad", [0, 5000])
    @pytest.mark.parametrize(
        "extra",
        [b'"data":5', b'"created":"x"', b'"created":1,"data":[{"url":"\xff"}]'],
        ids=["data", "created", "invalid-url"],
    )
    def test_a_long_usage_is_a_usage_whatever_else_it_holds(self, extra: bytes, pad: int) -> None:
        """Unknown fields of a usage are ignored even when they are named like a body's and
        hold what a body may not, in a short line as in a long one (over 4 KiB)."""
        line = GOOD[:-1] + b"," + extra + b',"pad":"' + b"x" * pad + b'"}'
        data = line + b"\n" + GOOD + b"\n"
        expected = reference(data)
        assert (expected.records, expected.bad_lines) == (2, 0)
        assert_matches_reference(data, 1 << 20)

    @pytest.mark.parametrize("chunk_size", [7, 1 << 20])
    def test_camel_comes_first_under_auto(self, chunk_size: int) -> None:
        """A usage holding the keys of both dialects is read as camel under wire="auto"."""
        data = GOOD[:-1] + b"," + GOOD_SNAKE[1:] + b"\n" + GOOD_SNAKE[:-1] + b"," + GOOD[1:]
        expected = reference(data, wire="auto")
        assert (expected.records, expected.sums[0]) == (2, 20)
        assert_matches_reference(data, chunk_size, wire="auto")

    @pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
    def test_each_usage_has_one_line_number(self, chunk_size: int) -> None:
        """numbered_batches pairs every usage with exactly one line number, even around lines
        that hold two documents or half of one."""
        data = b"".join(
            [GOOD + b"\n", GOOD + b" " + GOOD + b"\n", GOOD[:-1] + b"\n", b"}\n", GOOD + b"\n"]
        )
        reader = read_usages(io.BytesIO(data), on_error="skip", chunk_size=chunk_size)
        pairs = [(len(batch), len(numbers)) for batch, numbers in reader.numbered_batches()]
        assert all(a == b for a, b in pairs), pairs
        assert sum(a for a, _ in pairs) == 2

    @pytest.mark.parametrize("workers", WORKERS)
    @pytest.mark.parametrize("chunk_size", [7, 1 << 20])
    def test_workers_drop_no_byte_order_mark_but_the_files(
        self, workers: int, chunk_size: int, tmp_path: Path
    ) -> None:
        """A line that opens with two byte-order marks is bad wherever it falls, at the start
        of a worker's byte range too: only the file's own first mark is dropped, and one per
        line."""
        double = b"\xef\xbb\xbf" * 2 + GOOD + b"\n"
        first = GOOD + b" " * (len(double) - len(GOOD) - 1) + b"\n"
        data = first + double * (workers - 1)  # equal lines: each range starts at a line
        path = tmp_path / "boms.ndjson"
        path.write_bytes(data)
        expected = reference(data)
        assert (expected.records, expected.bad_linenos) == (1, list(range(2, workers + 1)))
        assert_matches_reference(data, chunk_size)
        totals = summarize(path, workers=workers, chunk_size=chunk_size, on_error="collect")
        found = differences(expected, totals)
        assert not found, "\n".join(found)

    def test_chunk_size_does_not_change_anything(self, tmp_path: Path) -> None:
        """Files with every kind of line give the same totals and bad-line numbers at every
        chunk size, through every kind of source (no reference needed)."""
        for seed in range(10):
            data, cfg = random_file(random.Random(seed))
            results = set()
            for way in [Way(s, c) for s in SOURCES for c in CHUNK_SIZES]:
                options: dict[str, Any] = {**cfg.options(), "on_error": "collect"}
                source = open_source(data, way.source, tmp_path)
                t = read_usages(source, chunk_size=way.chunk_size, **options).totals()
                results.add(
                    repr(
                        msgspec.structs.replace(
                            t,
                            errors=tuple(
                                msgspec.structs.replace(e, source=None) for e in t.errors
                            ),
                        )
                    )
                )
            assert len(results) == 1, f"seed {seed}: {data!r} reads differently by chunk size"


class TestReference:
    """The reference itself, on cases whose answer is known by heart."""

    def test_readme_example(self) -> None:
        """The README's four-line example: two records, one blank line, one bad line."""
        data = GOOD + b"\n\n" + GOOD_SNAKE + b"\nnot json\n"
        e = reference(data, wire="auto")
        assert (e.records, e.blank_lines, e.bad_linenos, e.sums[0]) == (2, 1, [4], 17)

    def test_line_splitting(self) -> None:
        """LF ends a line, CRLF too, a bare CR does not; a final line may lack its LF."""
        data = b"\xef\xbb\xbf" + GOOD + b"\r\n\r\n" + GOOD + b"\r" + GOOD + b"\n" + GOOD
        e = reference(data)
        assert (e.records, e.blank_lines, e.bad_linenos, e.record_linenos) == (2, 1, [3], [1, 4])

    def test_numbers(self) -> None:
        """int64 bounds, NaN, 1e400 and booleans; exact float sums; the audit tolerance."""
        assert reference(camel(2**63 - 1, -(2**63), 0, 0, 0)).records == 1
        assert reference(camel(2**63, 1, 1, 1, 1)).bad_lines == 1
        assert reference(GOOD.replace(b"10", b"NaN")).bad_lines == 1
        assert reference(GOOD.replace(b"10", b"1e400")).bad_lines == 1
        assert reference(camel(True, 1, 1, 1, 1)).bad_lines == 1
        e = reference(camel(0.1, 0.1, 0, 0.1, 0) + b"\n" + camel(0.2, 0.1, 0.1, 0, 0.1))
        assert e.sums[0] == Fraction(0.1) + Fraction(0.2) and e.flagged == 0
        assert reference(camel(1.0 + 1e-6, 1, 0, 1, 0)).flagged == 1

    def test_depth_and_skipped_values(self) -> None:
        """128 levels pass and 129 do not; invalid UTF-8 and huge numbers in unknown fields
        are skipped (README), in a kept string they are not."""
        at = GOOD[:-1] + b',"x":' + b"[" * 127 + b"]" * 127 + b"}"
        assert reference(at).records == 1
        assert reference(at.replace(b"[]", b"[[]]")).bad_lines == 1
        assert reference(GOOD[:-1] + b',"x":"\xff","y":1e400}').records == 1
        body = b'{"created":1,"data":[{"url":"\xff"}]}'
        assert reference(body).bad_lines == 1
        assert reference(body.replace(b"\xff", b"ok")).without_usage == 1

    def test_envelopes(self) -> None:
        """With at, a missing path is a record without usage, a wrong type on the way is bad."""
        inner = GOOD.decode()
        lines = [
            '{"response":{"body":{"usage":' + inner + "}}}",
            '{"response":{}}',
            '{"response":5}',
            '{"response":{"body":{"usage":null}}}',
            "[]",
        ]
        e = reference("\n".join(lines).encode(), at="response.body.usage")
        assert (e.records, e.without_usage, e.bad_linenos) == (1, 1, [3, 4, 5])


# --- MessagePack --------------------------------------------------------------------------------


def msgpack_doc(dialect: str, *counts: Any, pad: int = 0) -> bytes:
    t, i, o, det, x, m = (
        ("totalTokens", "inputTokens", "outputTokens", "inputTokensDetails", "textTokens",
         "imageTokens")
        if dialect == "camel"
        else ("total_tokens", "input_tokens", "output_tokens", "input_tokens_details",
              "text_tokens", "image_tokens")
    )  # fmt: skip
    obj: dict[str, Any] = {
        t: counts[0],
        i: counts[1],
        o: counts[2],
        det: {x: counts[3], m: counts[4]},
    }
    if pad:
        obj["pad"] = "p" * pad
    return msgspec.msgpack.encode(obj)


def read_msgpack(
    docs: list[bytes], way: Way, tmp: Path, *, wire: str, max_doc: int
) -> tuple[Totals, list[int]]:
    data = b"".join(docs)

    def reader() -> usagecodec.UsageReader:
        return read_usages(
            open_source(data, way.source, tmp),
            format="msgpack",
            wire=wire,  # type: ignore[arg-type]
            on_error="collect",
            max_line_bytes=max_doc,
            chunk_size=way.chunk_size,
        )

    totals = reader().totals()
    linenos = [n for _, numbers in reader().numbered_batches() for n in numbers]
    return totals, linenos


def msgpack_problems(
    docs: list[bytes], way: Way, tmp: Path, *, wire: str, max_doc: int
) -> list[str]:
    expected = reference_msgpack(docs, wire=wire, max_doc=max_doc)
    totals, linenos = read_msgpack(docs, way, tmp, wire=wire, max_doc=max_doc)
    found = differences(expected, totals)
    if linenos != expected.record_linenos:
        found.append(f"record_linenos: expected {expected.record_linenos}, got {linenos}")
    return found


MSGPACK_WAYS = [Way(s, c) for s in SOURCES for c in (1, 7, 64, 257, 4096, 1 << 20)]


class TestMessagePack:
    @pytest.mark.parametrize("way", MSGPACK_WAYS, ids=str)
    def test_one_document_one_record(self, way: Way, tmp_path: Path) -> None:
        """Each of a stream of concatenated documents (either dialect) is one record."""
        docs = [msgpack_doc("camel", 10, 6, 4, 5, 1), msgpack_doc("snake", 7, 4, 3, 2, 2)] * 5
        docs.append(msgpack_doc("camel", 2.5, 1.5, 1, 1, 0.5))
        found = msgpack_problems(docs, way, tmp_path, wire="auto", max_doc=1 << 20)
        assert not found, "\n".join(found)

    @pytest.mark.parametrize("way", MSGPACK_WAYS, ids=str)
    def test_oversized_document_is_one_bad_record(self, way: Way, tmp_path: Path) -> None:
        """A document over max_line_bytes is one bad record; the documents after it are
        still read."""
        small = msgpack_doc("camel", 10, 6, 4, 5, 1)
        big = msgpack_doc("camel", 10, 6, 4, 5, 1, pad=200)
        docs = [small, small, big, small, big, small]
        found = msgpack_problems(docs, way, tmp_path, wire="camel", max_doc=len(small) + 10)
        assert not found, f"limit {len(small) + 10}, documents of {[len(d) for d in docs]}:\n" + (
            "\n".join(found)
        )

    @pytest.mark.parametrize("way", MSGPACK_WAYS, ids=str)
    def test_document_of_exactly_the_limit_passes(self, way: Way, tmp_path: Path) -> None:
        """A document of exactly max_line_bytes bytes is read; one byte more is one bad
        record."""
        exact = msgpack_doc("snake", 7, 4, 3, 2, 2, pad=40)
        longer = msgpack_doc("snake", 7, 4, 3, 2, 2, pad=41)
        docs = [exact, longer, exact, exact]
        found = msgpack_problems(docs, way, tmp_path, wire="snake", max_doc=len(exact))
        assert not found, f"limit {len(exact)}:\n" + "\n".join(found)

    @pytest.mark.parametrize("seed", range(20))
    def test_random_streams(self, seed: int, tmp_path: Path) -> None:
        """Random streams (good, bad and long documents) under random limits agree with the
        reference at every chunk size and through every kind of source."""
        rng = random.Random(seed)
        docs, wire = random_msgpack_stream(rng)
        sizes = sorted(len(d) for d in docs)
        max_doc = rng.choice([sizes[-1], sizes[len(sizes) // 2], sizes[0], 1 << 20])
        for way in MSGPACK_WAYS:
            found = msgpack_problems(docs, way, tmp_path, wire=wire, max_doc=max_doc)
            assert not found, (
                f"seed {seed}, {way}, limit {max_doc}, sizes {[len(d) for d in docs]}:\n"
                + "\n".join(found)
            )
