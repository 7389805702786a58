"""The record decoder's building blocks: the one-document-a-line check, options, raise mode."""

from __future__ import annotations

import io
import json
import pickle
import random

import msgspec
import pytest

import usagecodec
from usagecodec import ReadOptions
from usagecodec._records import ChunkDecoder, one_per_line

CAMEL = (
    b'{"totalTokens":10,"inputTokens":6,"outputTokens":4,'
    b'"inputTokensDetails":{"textTokens":5,"imageTokens":1}}'
)
SNAKE = (
    b'{"total_tokens":10,"input_tokens":6,"output_tokens":4,'
    b'"input_tokens_details":{"text_tokens":5,"image_tokens":1}}'
)


def _documents(chunk: bytes) -> int:
    return len(msgspec.json.Decoder(dict).decode_lines(chunk))


def _reference(chunk: bytes) -> int:
    """Blank lines when every non-blank line holds exactly one JSON object, else -1."""
    blank = 0
    lines = chunk.split(b"\n")
    if chunk.endswith(b"\n"):
        lines.pop()
    for line in lines:
        if not line.strip(b" \t\r"):
            blank += 1
            continue
        try:
            value = json.loads(line)
        except ValueError:
            return -1
        if not isinstance(value, dict):
            return -1
    return blank


class TestOnePerLine:
    @pytest.mark.parametrize(
        ("chunk", "expected"),
        [
            (CAMEL + b"\n" + CAMEL + b"\n", 0),
            (CAMEL + b"\n" + CAMEL, 0),
            (CAMEL + b" " + CAMEL + b"\n", -1),  # two documents on a line
            (CAMEL + CAMEL + b"\n", -1),
            (CAMEL + b"\r" + CAMEL + b"\n", -1),  # a bare CR is not a line end
            (CAMEL[:15] + b"\n" + CAMEL[15:] + b"\n", -1),  # a document over two lines
            (CAMEL + b"\r\n\r\n  \n" + CAMEL + b"\r\n", 2),  # blank lines, CRLF
            (b"\n\n" + CAMEL + b"\n\n", 3),
            # a split document and a line of two: the counts alone would balance
            (CAMEL + b" " + CAMEL + b"\n" + CAMEL[:15] + b"\n" + CAMEL[15:] + b"\n", -1),
        ],
    )
    def test_cases(self, chunk: bytes, expected: int) -> None:
        assert one_per_line(chunk, _documents(chunk)) == expected
        assert _reference(chunk) == expected

    def test_random_whitespace_against_json(self) -> None:
        """Random layouts of valid objects: the check agrees with a per-line json parse."""
        rng = random.Random(7)
        docs = [CAMEL, SNAKE, b'{"a":{"b":[1,{"c":"}{"}]}}', b"{}", b'{"x" : { } }']
        seps = [b"\n", b"\n", b"\n", b" ", b"\r", b"\r\n", b"\n\n", b" \n \t", b""]
        for _ in range(3000):
            parts = [rng.choice(docs) for _ in range(rng.randint(1, 6))]
            chunk = b""
            for part in parts:
                doc = part
                if rng.random() < 0.1:  # break a document where whitespace may go
                    cut = doc.find(b":") + 1
                    doc = doc[:cut] + b"\n" + doc[cut:]
                chunk += doc + rng.choice(seps)
            expected = _reference(chunk)
            got = one_per_line(chunk, _documents(chunk))
            # A "}{" inside a string only sends a good chunk to the slow path (-1), never
            # the other way round.
            assert got == expected or (got == -1 and b'"}{"' in chunk), chunk


class TestReadOptions:
    def test_defaults_and_pickle(self) -> None:
        options = ReadOptions(wire="auto", at="response.body.usage")
        assert options.at_keys == ("response", "body", "usage")
        assert pickle.loads(pickle.dumps(options)) == options

    @pytest.mark.parametrize(
        ("kwargs", "error"),
        [
            ({"wire": "kebab"}, ValueError),
            ({"format": "xml"}, ValueError),
            ({"on_error": "ignore"}, ValueError),
            ({"strict": 1}, TypeError),
            ({"max_line_bytes": 0}, ValueError),
            ({"max_line_bytes": float("inf")}, TypeError),
            ({"chunk_size": True}, TypeError),
            ({"at": ""}, ValueError),
            ({"at": "a..b"}, ValueError),
            ({"at": "a."}, ValueError),
            ({"at": ".".join(["k"] * 1000)}, ValueError),
            ({"at": 5}, TypeError),
            ({"at": "a", "format": "msgpack"}, ValueError),
        ],
    )
    def test_refused(self, kwargs: dict[str, object], error: type[Exception]) -> None:
        with pytest.raises(error):
            ReadOptions(**kwargs)  # type: ignore[arg-type]

    def test_reader_takes_options_or_keywords(self) -> None:
        data = CAMEL + b"\n" + SNAKE + b"\n"
        by_options = usagecodec.UsageReader(io.BytesIO(data), ReadOptions(wire="auto"))
        by_keywords = usagecodec.UsageReader(io.BytesIO(data), wire="auto")
        assert by_options.totals() == by_keywords.totals()
        with pytest.raises(TypeError):
            usagecodec.UsageReader(io.BytesIO(data), ReadOptions(), wire="auto")


class TestRaiseMode:
    def test_usages_before_the_bad_line_are_delivered(self) -> None:
        data = CAMEL + b"\n" + CAMEL + b"\n" + b"{oops}\n" + CAMEL + b"\n"
        seen: list[usagecodec.Usage] = []
        reader = iter(usagecodec.read_usages(io.BytesIO(data)))
        seen.append(next(reader))
        seen.append(next(reader))
        with pytest.raises(usagecodec.UsageDecodeError) as info:
            next(reader)
        assert len(seen) == 2
        assert info.value.lineno == 3

    def test_numbered_batches_stay_aligned(self) -> None:
        data = (CAMEL + b"\n") * 5 + CAMEL + b" " + CAMEL + b"\n" + CAMEL + b"\n"
        reader = usagecodec.read_usages(io.BytesIO(data), on_error="collect")
        for usages, numbers in reader.numbered_batches():
            assert len(usages) == len(numbers)
            assert all(type(u) is usagecodec.Usage for u in usages)
        assert [e.lineno for e in reader.errors] == [6]


class TestShapes:
    def _run(self, lines: list[bytes], **kwargs: object) -> usagecodec.Totals:
        return usagecodec.summarize(io.BytesIO(b"\n".join(lines) + b"\n"), **kwargs)  # type: ignore[arg-type]

    def test_snake_usages_are_public_when_handed_out(self) -> None:
        reader = usagecodec.read_usages(io.BytesIO((SNAKE + b"\n") * 50), wire="snake")
        usages = list(reader)
        assert len(usages) == 50 and all(type(u) is usagecodec.Usage for u in usages)

    def test_alternating_dialects_keep_line_order(self) -> None:
        lines = []
        for k in range(200):
            doc = json.loads(CAMEL if k % 2 else SNAKE)
            key = "totalTokens" if k % 2 else "total_tokens"
            doc[key] = k
            lines.append(json.dumps(doc).encode())
        reader = usagecodec.read_usages(io.BytesIO(b"\n".join(lines)), wire="auto")
        got = [
            (u.total_tokens, n)
            for us, ns in reader.numbered_batches()
            for u, n in zip(us, ns, strict=True)
        ]
        assert got == [(k, k + 1) for k in range(200)]

    def test_body_with_top_level_usage_keys_is_a_usage(self) -> None:
        """A line that reads both as a lenient body and as a bare usage is a usage."""
        both = json.loads(CAMEL)
        both.update(created=1, data=[], usage=json.loads(CAMEL.replace(b"10", b"99")))
        line = json.dumps(both).encode()
        totals = self._run([line] * 20)
        assert totals.records == 20 and totals.total_tokens == 200

    def test_envelope_without_the_path_counts_without_usage(self) -> None:
        event = b'{"response":{"body":{"usage":' + CAMEL + b"}}}"
        other = b'{"response":{"status":500}}'
        totals = self._run([event, other] * 30, at="response.body.usage")
        assert (totals.records, totals.without_usage, totals.bad_lines) == (30, 30, 0)

    def test_chunk_decoder_matches_line_decoder(self) -> None:
        """Each line alone, through the line decoder, gives what the chunk gave."""
        rng = random.Random(3)
        body = b'{"created":1,"data":[{"url":"u"}],"usage":' + CAMEL + b"}"
        pool = [CAMEL, SNAKE, body, b"{}", b"", b"[1]", CAMEL + b" " + CAMEL, b'{"x":1}']
        for wire in ("camel", "snake", "auto"):
            decoder = ChunkDecoder(ReadOptions(wire=wire))  # type: ignore[arg-type]
            for _ in range(200):
                lines = [rng.choice(pool) for _ in range(rng.randint(1, 40))]
                batch = decoder.decode(b"\n".join(lines) + b"\n", 1)
                expected = []
                for n, line in enumerate(lines, 1):
                    if not line.strip():
                        continue
                    try:
                        usage = decoder.line(line)
                    except usagecodec.UsageDecodeError:
                        continue
                    if usage is not None:
                        expected.append((n, usage))
                assert list(zip(batch.linenos, batch.public(), strict=True)) == expected
