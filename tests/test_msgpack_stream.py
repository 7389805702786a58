"""MessagePack streams: one document one record, exact limits, linear time, bounded memory.

The reference is independent of the library's framing: every stream is built from documents
encoded one by one with msgspec, each remembered with its size and what it should give (a
usage's ``total_tokens``, or a bad record), so the expected outcome of the stream is known
without walking it.
"""

from __future__ import annotations

import io
import random
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import msgspec
import pytest

from usagecodec import UsageCodec, UsageDecodeError, _framing, read_usages
from usagecodec._mpscan import FRAME_DEPTH, HEADER_MAX, Walker, walk

CHUNKS = (1, 2, 7, 64, 4096, 1 << 20)


def deep(levels: int) -> bytes:
    """A usage document whose unknown field nests ``levels`` arrays of two items (so that
    every level needs its own entry in a walk's state), ``levels + 1`` deep in all."""
    nested = b"\x92" * levels + b"\xc0" + b"\x01" * levels
    return usage_doc(1, x=None).replace(b"\xa1x\xc0", b"\xa1x" + nested)


def usage_doc(total: Any = 10, dialect: str = "camel", **extra: Any) -> bytes:
    """A MessagePack usage document (its other counts fixed), with unknown fields if any."""
    if dialect == "camel":
        obj = {
            "totalTokens": total,
            "inputTokens": 6,
            "outputTokens": 4,
            "inputTokensDetails": {"textTokens": 5, "imageTokens": 1},
        }
    else:
        obj = {
            "total_tokens": total,
            "input_tokens": 6,
            "output_tokens": 4,
            "input_tokens_details": {"text_tokens": 5, "image_tokens": 1},
        }
    return msgspec.msgpack.encode({**obj, **extra})


@dataclass
class Doc:
    """One document of a generated stream and what it should give."""

    data: bytes
    total: int | None  # the usage's total_tokens; None: not a usage (a bad record)


@dataclass
class Outcome:
    """What reading a stream gives: the records (line, total) and the bad lines."""

    lines: int = 0
    records: list[tuple[int, int]] = field(default_factory=list)
    bad: list[int] = field(default_factory=list)


def reference(docs: Sequence[Doc], limit: int, tail: bytes = b"") -> Outcome:
    """The expected outcome: a document over ``limit`` bytes, or not a usage, is one bad
    record; a non-empty ``tail`` (a document that cannot be delimited) is one more."""
    out = Outcome()
    for n, doc in enumerate(docs, 1):
        if len(doc.data) > limit or doc.total is None:
            out.bad.append(n)
        else:
            out.records.append((n, doc.total))
    out.lines = len(docs)
    if tail:
        out.lines += 1
        out.bad.append(out.lines)
    return out


def read(stream: bytes, *, limit: int, chunk: int, wire: str = "auto") -> Outcome:
    """Read a stream with the library, collecting the bad records."""
    reader = read_usages(
        io.BytesIO(stream),
        format="msgpack",
        wire=wire,  # type: ignore[arg-type]
        on_error="collect",
        max_line_bytes=limit,
        chunk_size=chunk,
    )
    out = Outcome()
    for usages, linenos in reader.numbered_batches():
        out.records += [(n, int(u.total_tokens)) for u, n in zip(usages, linenos, strict=True)]
    out.lines = reader.lines
    out.bad = [e.lineno for e in reader.errors]
    assert reader.bad_lines == len(reader.errors)
    assert reader.records == len(out.records)
    return out


SCALARS = [1, -3, 200, 300, 70000, 2**40, -(2**40), 1.5, None, True, "s", "ab", b"b"]


def random_list(rng: random.Random, depth: int, *, long: bool = True) -> list[Any]:
    """Runs of one scalar of random lengths (around the lengths where the walker crosses a
    run at once), mixed with nested lists."""
    lengths = [1, 2, 15, 16, 17, 18, 40] + ([1000, 70000] if long else [])
    out: list[Any] = []
    for _ in range(rng.randint(0, 6)):
        if depth and rng.random() < 0.3:
            out.append(random_list(rng, depth - 1, long=long))
        else:
            out += [rng.choice(SCALARS)] * rng.choice(lengths)
    return out


def random_docs(rng: random.Random, count: int) -> list[Doc]:
    """Usage documents of both dialects, some bad, with unknown fields of every MessagePack
    kind whose length is in a prefix (str, bin, ext, arrays and maps of 16 and 32 bits)."""
    docs = []
    for k in range(count):
        total = rng.randint(0, 1 << 40) if rng.random() < 0.5 else k
        extra: dict[str, Any] = {}
        r = rng.random()
        if r < 0.15:
            extra["pad"] = "p" * rng.choice([0, 5, 31, 32, 255, 256, 300, 65536])
        elif r < 0.3:
            extra["bin"] = rng.randbytes(rng.choice([0, 1, 255, 256, 1000, 65536]))
        elif r < 0.4:
            size = rng.choice([1, 2, 3, 4, 8, 16, 17, 300])
            extra["ext"] = msgspec.msgpack.Ext(rng.randint(0, 127), rng.randbytes(size))
        elif r < 0.5:
            extra["list"] = random_list(rng, 2)
        elif r < 0.55:
            extra["map"] = {str(i): [i, {"x": i}] for i in range(rng.choice([15, 16, 40]))}
        bad = rng.random() < 0.1
        data = usage_doc("ten" if bad else total, rng.choice(["camel", "snake"]), **extra)
        docs.append(Doc(data, None if bad else total))
    return docs


class TestOversized:
    @pytest.mark.parametrize("chunk", CHUNKS)
    def test_oversized_document_in_the_middle(self, chunk: int) -> None:
        """A document over the limit is one bad record; the documents after it are read."""
        small = [Doc(usage_doc(k), k) for k in range(4)]
        big = Doc(usage_doc(99, pad="p" * 300), 99)
        docs = [small[0], small[1], big, small[2], big, small[3]]
        limit = len(small[0].data) + 10
        stream = b"".join(d.data for d in docs)
        got = read(stream, limit=limit, chunk=chunk)
        assert got == reference(docs, limit)
        assert (got.lines, got.records, got.bad) == (6, [(1, 0), (2, 1), (4, 2), (6, 3)], [3, 5])

    @pytest.mark.parametrize("chunk", CHUNKS)
    def test_oversized_first_and_last(self, chunk: int) -> None:
        """Oversized documents at both ends of the stream are one bad record each."""
        docs = [Doc(usage_doc(1, bin=bytes(500)), 1), Doc(usage_doc(2), 2)]
        docs.append(Doc(usage_doc(3, list=[1] * 500), 3))
        limit = len(docs[1].data)
        got = read(b"".join(d.data for d in docs), limit=limit, chunk=chunk)
        assert got == reference(docs, limit)
        assert (got.records, got.bad) == ([(2, 2)], [1, 3])

    def test_the_error_names_the_document_and_its_size(self) -> None:
        """In raise mode the usages before it are delivered, then the error names the document
        and its exact size."""
        small, big = usage_doc(1), usage_doc(2, pad="p" * 200)
        reader = read_usages(
            io.BytesIO(small + small + big + small),
            format="msgpack",
            max_line_bytes=len(small),
            chunk_size=16,
        )
        seen: list[Any] = []
        with pytest.raises(UsageDecodeError) as info:
            seen.extend(reader)
        assert len(seen) == 2
        assert info.value.lineno == 3
        assert f"({len(big):,} bytes > {len(small):,})" in str(info.value)

    def test_skip_mode_counts_it(self) -> None:
        """With on_error='skip' the oversized document is counted and everything else read."""
        small, big = usage_doc(5), usage_doc(7, bin=bytes(5000))
        totals = read_usages(
            io.BytesIO(big + small + big + small),
            format="msgpack",
            on_error="skip",
            max_line_bytes=1000,
        ).totals()
        assert (totals.lines, totals.records, totals.bad_lines) == (4, 2, 2)
        assert totals.total_tokens == 10


class TestExactLimit:
    @pytest.mark.parametrize("chunk", CHUNKS)
    def test_a_document_of_exactly_the_limit_is_read(self, chunk: int) -> None:
        """The limit is exact: L bytes are accepted, L + 1 bytes are one bad record."""
        exact = Doc(usage_doc(1, pad="p" * 40), 1)
        longer = Doc(usage_doc(2, pad="p" * 41), 2)
        assert len(longer.data) == len(exact.data) + 1
        docs = [exact, longer, exact, longer, exact]
        limit = len(exact.data)
        got = read(b"".join(d.data for d in docs), limit=limit, chunk=chunk)
        assert got == reference(docs, limit)
        assert got.bad == [2, 4]

    @pytest.mark.parametrize("chunk", [1, 7, 4096])
    @pytest.mark.parametrize("size", [1000, 70000])
    def test_a_long_payload_at_the_limit(self, chunk: int, size: int) -> None:
        """A document whose bin payload ends exactly at the limit (past many reads) is read;
        one byte more is bad."""
        exact = Doc(usage_doc(1, bin=bytes(size)), 1)
        longer = Doc(usage_doc(2, bin=bytes(size + 1)), 2)
        docs = [longer, exact, longer, exact]
        limit = len(exact.data)
        assert read(b"".join(d.data for d in docs), limit=limit, chunk=chunk) == reference(
            docs, limit
        )


class TestUndelimitable:
    @pytest.mark.parametrize("chunk", CHUNKS)
    @pytest.mark.parametrize("cut", [1, 2, 10, 40])
    def test_truncated_tail_is_one_bad_record(self, chunk: int, cut: int) -> None:
        """A stream cut inside its last document: the documents before it are read, the cut
        one is one bad record."""
        docs = [Doc(usage_doc(k), k) for k in range(3)]
        last = usage_doc(9, pad="p" * 30)
        stream = b"".join(d.data for d in docs) + last[:cut]
        assert read(stream, limit=1000, chunk=chunk) == reference(docs, 1000, tail=last[:cut])

    @pytest.mark.parametrize("chunk", [1, 7, 4096])
    def test_truncated_inside_a_long_payload(self, chunk: int) -> None:
        """A document cut inside a payload the framer was skipping is one bad record, under
        the limit or over it."""
        docs = [Doc(usage_doc(1), 1)]
        last = usage_doc(2, bin=bytes(3000))[:2000]
        stream = docs[0].data + last
        for limit in (1000, 10_000):
            assert read(stream, limit=limit, chunk=chunk) == reference(docs, limit, tail=last)

    @pytest.mark.parametrize("chunk", CHUNKS)
    def test_never_used_byte_makes_the_rest_one_bad_record(self, chunk: int) -> None:
        """A document holding 0xc1 cannot be delimited: it and everything after it are one
        bad record, whether that rest is under the limit or over it."""
        docs = [Doc(usage_doc(k), k) for k in range(2)]
        broken = usage_doc(5, x=None).replace(b"\xa1x\xc0", b"\xa1x\xc1")
        rest = broken + usage_doc(6) * 3
        stream = b"".join(d.data for d in docs) + rest
        for limit in (len(rest), len(rest) - 1, 30):
            assert read(stream, limit=limit, chunk=chunk) == reference(docs, limit, tail=rest)

    @pytest.mark.parametrize("chunk", [1, 7, 4096])
    def test_a_deep_document_is_one_bad_record(self, chunk: int) -> None:
        """A document nested deeper than the codec accepts is one bad record; the documents
        after it are read."""
        docs = [Doc(usage_doc(1), 1), Doc(deep(5000), None), Doc(usage_doc(3), 3)]
        stream = b"".join(d.data for d in docs)
        assert read(stream, limit=1 << 20, chunk=chunk) == reference(docs, 1 << 20)

    def test_deeper_than_the_framer_follows(self) -> None:
        """A document nested deeper than FRAME_DEPTH is not followed to its end (its walk
        would need memory for every level): the rest of the stream is one bad record, read in
        bounded memory."""
        docs = [Doc(usage_doc(1), 1)]
        rest = deep(1_000_000) + usage_doc(3)
        stream = io.BytesIO(docs[0].data + rest)
        tracemalloc.start()
        try:
            reader = read_usages(
                stream, format="msgpack", on_error="collect", max_line_bytes=64 << 10
            )
            totals = reader.totals()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert (totals.lines, totals.records, [e.lineno for e in totals.errors]) == (2, 1, [2])
        assert peak < 2 << 20, f"peak {peak:,} bytes"
        assert read(docs[0].data + deep(FRAME_DEPTH), limit=1 << 30, chunk=4096) == reference(
            [*docs, Doc(deep(FRAME_DEPTH), None)], 1 << 30
        )

    def test_empty_stream(self) -> None:
        """An empty stream has no document."""
        assert read(b"", limit=10, chunk=1) == Outcome()


class TestRandomStreams:
    @pytest.mark.parametrize("seed", range(8))
    def test_random_streams_agree_with_the_reference(self, seed: int) -> None:
        """Random streams, under random limits, at every chunk size, give what the documents
        encoded one by one say."""
        rng = random.Random(seed)
        docs = random_docs(rng, rng.randint(1, 25))
        sizes = sorted(len(d.data) for d in docs)
        stream = b"".join(d.data for d in docs)
        for limit in {sizes[0], sizes[len(sizes) // 2], sizes[-1], sizes[-1] - 1}:
            if limit < 1:
                continue
            expected = reference(docs, limit)
            for chunk in (1, 7, 257, 1 << 16):
                if chunk == 1 and len(stream) > 50_000:
                    continue  # a byte at a time through a long stream: slow, nothing new
                assert read(stream, limit=limit, chunk=chunk) == expected, (seed, limit, chunk)


def partition(stream: bytes, chunk: int, limit: int) -> list[tuple[str, int]]:
    """How the framer cuts a stream: ("doc", size) and ("over", size), in order."""
    out: list[tuple[str, int]] = []
    for piece in _framing.frame_documents(io.BytesIO(stream).read, chunk, limit):
        if isinstance(piece, _framing.Oversized):
            out.append(("over", piece.size))
        else:
            out += [("doc", end - start) for start, end in piece.bounds]
    return out


class TestFraming:
    @pytest.mark.parametrize("seed", range(30))
    def test_any_bytes_are_cut_the_same_way_at_every_chunk_size(self, seed: int) -> None:
        """Arbitrary bytes (documents mixed with garbage) are cut into pieces that cover the
        stream exactly, and the same pieces whatever the chunk size."""
        rng = random.Random(seed)
        parts = []
        for _ in range(rng.randint(0, 12)):
            if rng.random() < 0.6:
                parts.append(usage_doc(1, x=random_list(rng, 1, long=False)))
            else:
                parts.append(rng.randbytes(rng.randint(0, 12)))
        stream = b"".join(parts)
        limit = rng.choice([1, 5, 30, 100, 1000, 1 << 20])
        expected = partition(stream, 1 << 20, limit)
        assert sum(size for _, size in expected) == len(stream)
        assert all(kind == "over" for kind, size in expected if size > limit)
        assert all(kind == "doc" for kind, size in expected if size <= limit)
        for chunk in (1, 2, 3, 7, 64):
            assert partition(stream, chunk, limit) == expected, (seed, chunk, limit)


def time_ratio(small: Callable[[], object], big: Callable[[], object], repeat: int = 5) -> float:
    """Best time of ``big`` over best time of ``small``, measured in turns in one run (so a
    slow moment of the machine weighs on both)."""
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for k, fn in enumerate((small, big)):
            start = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - start)
    return best[1] / best[0]


SHAPES: dict[str, Callable[[int], bytes]] = {
    "array-of-fixints": lambda n: usage_doc(1, x=[1] * (16 * n)),
    "array-of-uint8": lambda n: usage_doc(1, x=[200] * n),
    "array-of-floats": lambda n: usage_doc(1, x=[1.5] * n),
    "array-of-fixstr": lambda n: usage_doc(1, x=["ab"] * n),
    "mixed-ints": lambda n: usage_doc(1, x=[200, 70000, -5, 3] * (n // 4)),
    "bin": lambda n: usage_doc(1, x=bytes(16 * n)),
    "nested": lambda n: usage_doc(1, x=[[i, {"k": "v" * (i % 40)}] for i in range(n // 4)]),
    "runs-in-runs": lambda n: usage_doc(
        1, x=[[200] * 17 + [300], 200, 200, [1.5] * 20, [7] * 30, 8, 9] * (n // 50)
    ),
}
"""Documents of one large unknown field; the first four are runs of one scalar type, crossed
in C, the next ones are walked item by item."""


class TestLinearTime:
    @pytest.mark.parametrize(
        ("shape", "chunk"),
        [("mixed-ints", 4096), ("nested", 4096), ("bin", 64)],
    )
    def test_a_large_document_is_read_in_linear_time(self, shape: str, chunk: int) -> None:
        """Reading a document 4x larger, cut into many reads, takes about 4x longer (it took
        16x when every read re-walked or re-copied the document so far)."""
        make = SHAPES[shape]
        tail = usage_doc(2)

        def run(n: int) -> Callable[[], None]:
            stream = make(n) + tail

            def go() -> None:
                got = read(stream, limit=1 << 30, chunk=chunk)
                assert got.records == [(1, 1), (2, 2)]

            return go

        ratio = time_ratio(run(50_000), run(200_000))
        assert ratio < 8, f"4x the size took {ratio:.1f}x the time"

    @pytest.mark.parametrize("chunk", [1, 7, 4096])
    @pytest.mark.parametrize("shape", SHAPES)
    def test_each_byte_is_walked_once(
        self, shape: str, chunk: int, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """However the stream is cut into reads, the framer's walk moves over each byte of it
        exactly once (a cut header is walked when it is whole, a payload jumped over once)."""
        walked = [0]

        class Counting(Walker):
            __slots__ = ()

            def run(self, data: bytes, pos: int) -> int:
                end = super().run(data, pos)
                walked[0] += end - pos
                return end

        monkeypatch.setattr(
            _framing, "_mpscan", SimpleNamespace(Walker=Counting, FRAME_DEPTH=FRAME_DEPTH)
        )
        n = 200 if chunk == 1 else 20_000
        stream = SHAPES[shape](n) + usage_doc(2) + SHAPES[shape](n // 2) + usage_doc(3)
        got = read(stream, limit=1 << 30, chunk=chunk)
        assert got.records == [(1, 1), (2, 2), (3, 1), (4, 3)]
        assert walked[0] == len(stream)

    def test_two_million_small_ints_in_an_unknown_field(self) -> None:
        """The shape that took minutes (every read re-walked the document) is read at once."""
        doc = usage_doc(3, x=[7] * 2_000_000)
        start = time.perf_counter()
        assert read(doc, limit=1 << 30, chunk=1 << 16).records == [(1, 3)]
        elapsed = time.perf_counter() - start
        assert elapsed < 5, elapsed

    def test_oversized_document_in_linear_time(self) -> None:
        """Skipping an oversized document also takes linear time."""
        tail = usage_doc(2)

        def run(n: int) -> Callable[[], None]:
            stream = SHAPES["mixed-ints"](n) + tail

            def go() -> None:
                got = read(stream, limit=1000, chunk=4096)
                assert (got.records, got.bad) == ([(2, 2)], [1])

            return go

        ratio = time_ratio(run(100_000), run(400_000))
        assert ratio < 8, f"4x the size took {ratio:.1f}x the time"


class TestBoundedMemory:
    @pytest.mark.parametrize("shape", ["bin", "array-of-fixints"])
    def test_an_oversized_document_is_never_held(self, shape: str) -> None:
        """Memory while skipping an 8 MB document stays near the limit plus one chunk."""
        doc = SHAPES[shape](512 << 10)
        stream = io.BytesIO(doc + usage_doc(2))
        limit = chunk = 64 << 10
        tracemalloc.start()
        try:
            reader = read_usages(
                stream, format="msgpack", on_error="skip", max_line_bytes=limit, chunk_size=chunk
            )
            totals = reader.totals()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert (totals.records, totals.bad_lines, totals.total_tokens) == (1, 1, 2)
        assert peak < 1 << 20, f"peak {peak:,} bytes for a {len(doc):,}-byte document"

    def test_a_long_accepted_document_is_joined_once(self) -> None:
        """A document under the limit, read in small pieces, is held once (not re-copied at
        every read)."""
        doc = usage_doc(1, x=bytes(4 << 20))
        stream = io.BytesIO(doc)
        tracemalloc.start()
        try:
            totals = read_usages(
                stream, format="msgpack", max_line_bytes=8 << 20, chunk_size=4096
            ).totals()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert totals.records == 1
        assert peak < 3 * len(doc), f"peak {peak:,} bytes for a {len(doc):,}-byte document"


class TestDecodeLines:
    @pytest.mark.parametrize("seed", range(6))
    def test_agrees_with_the_reader(self, seed: int) -> None:
        """decode_lines of a MessagePack codec gives what the reader gives, document for
        document; at a bad document it raises naming the document the reader names."""
        rng = random.Random(seed)
        docs = random_docs(rng, rng.randint(1, 20))
        stream = b"".join(d.data for d in docs)
        expected = reference(docs, 1 << 30)
        codec = UsageCodec("auto", "msgpack")
        if expected.bad:
            with pytest.raises(UsageDecodeError) as info:
                codec.decode_lines(stream)
            assert info.value.lineno == expected.bad[0]
            good = b"".join(d.data for d in docs if d.total is not None)
            expected = reference([d for d in docs if d.total is not None], 1 << 30)
            stream = good
        got = [int(u.total_tokens) for u in codec.decode_lines(stream)]
        assert got == [total for _, total in expected.records]
        assert [(n, t) for n, t in read(stream, limit=1 << 30, chunk=7).records] == [
            (n, t) for n, t in enumerate(got, 1)
        ]

    @pytest.mark.parametrize(
        ("tail", "reason"),
        [
            (usage_doc(3)[:-3], None),
            (usage_doc(3, x=None).replace(b"\xa1x\xc0", b"\xa1x\xc1") + usage_doc(4), None),
            (usage_doc(3, x=None).replace(b"\xa1x\xc0", b"\xa1x" + b"\x91" * 5000 + b"\xc0"),
             "deeper than"),
            (deep(1_000_000) + usage_doc(4), "deeper than"),
            (usage_doc("3"), None),
        ],
        ids=["truncated", "0xc1", "deep", "deep-and-wide", "bad-value"],
    )  # fmt: skip
    def test_names_the_bad_document(self, tail: bytes, reason: str | None) -> None:
        """The bad document is named by its 1-based index; deep nesting is our error."""
        codec = UsageCodec(format="msgpack")
        with pytest.raises(UsageDecodeError, match=reason) as info:
            codec.decode_lines(usage_doc(1) + usage_doc(2) + tail)
        assert info.value.lineno == 3

    @pytest.mark.parametrize("wire", ["camel", "snake", "auto"])
    @pytest.mark.parametrize("strict", [False, True])
    def test_every_codec_configuration(self, wire: str, strict: bool) -> None:
        """Each configuration reads its dialect, skipping unknown fields unless strict."""
        dialect = "snake" if wire == "snake" else "camel"
        plain = [usage_doc(k, dialect) for k in range(3)]
        codec = UsageCodec(wire, "msgpack", strict=strict)  # type: ignore[arg-type]
        assert [u.total_tokens for u in codec.decode_lines(b"".join(plain))] == [0, 1, 2]
        extra = plain[0] + usage_doc(1, dialect, x=[1, {"y": b"z"}])
        if strict:
            with pytest.raises(UsageDecodeError) as info:
                codec.decode_lines(extra)
            assert info.value.lineno == 2
            with pytest.raises(UsageDecodeError) as info:
                codec.decode_lines(plain[0] + usage_doc(-1, dialect))
            assert info.value.lineno == 2
        else:
            assert [u.total_tokens for u in codec.decode_lines(extra)] == [0, 1]

    def test_a_large_document_in_linear_time(self) -> None:
        """decode_lines walks each document once."""

        def run(n: int) -> Callable[[], object]:
            stream = SHAPES["mixed-ints"](n) * 2
            return lambda: UsageCodec(format="msgpack").decode_lines(stream)

        ratio = time_ratio(run(50_000), run(200_000))
        assert ratio < 8, f"4x the size took {ratio:.1f}x the time"


class TestWalker:
    @pytest.mark.parametrize("seed", range(4))
    def test_resumed_walk_finds_the_same_end(self, seed: int) -> None:
        """Walking a document in pieces cut anywhere (a cut header carried over, a payload
        skipped past the end of a piece) ends where walking it whole ends."""
        rng = random.Random(seed)
        for doc in (d.data for d in random_docs(rng, 6)):
            assert walk(doc + b"\x00") == (len(doc), walk(doc)[1])
            for cuts in ([], [1], *([rng.randrange(1, len(doc))] for _ in range(20))):
                pieces = [doc[a:b] for a, b in zip([0, *cuts], [*cuts, len(doc)], strict=True)]
                assert walk_pieces(pieces) == len(doc)
            if len(doc) < 3000:
                assert walk_pieces([doc[i : i + 1] for i in range(len(doc))]) == len(doc)

    def test_truncated_and_never_used(self) -> None:
        """A truncated document has no end; neither has one holding 0xc1."""
        doc = usage_doc(1, x=bytes(300))
        assert walk(doc[:-1])[0] == -1
        assert walk(doc[:5])[0] == -1
        w = Walker()
        w.run(b"\x92\x01\xc1\x02", 0)
        assert (w.bad, w.done) == (True, False)


def walk_pieces(pieces: list[bytes]) -> int:
    """Feed a document to a walker piece by piece, as the framer does; its end (absolute)."""
    w = Walker()
    base = pos = 0
    carry = b""
    for piece in pieces:
        buf = carry + piece
        pos = w.run(buf, pos)
        if w.done and pos <= len(buf):
            return base + pos
        if pos < len(buf):
            assert len(buf) - pos < HEADER_MAX
            carry, base, pos = buf[pos:], base + pos, 0
        else:
            carry, base, pos = b"", base + len(buf), pos - len(buf)
    raise AssertionError("the walk did not end")
