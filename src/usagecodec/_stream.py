"""Streaming NDJSON: bounded-memory reading, error policies, totals, parallel summaries.

Reading: a source is read in fixed-size chunks (never whole); each chunk is cut at its last
newline and the tail carried over. A line longer than ``max_line_bytes`` is reported as bad
and skipped without ever being held whole.

Decoding: a chunk of bare usage records goes to msgspec's ``decode_lines`` with the strict
class of the codec's dialect (no depth risk, no per-line Python work); a chunk that does not
decode that way (a bad line, a response body, an unknown field, the other dialect) is decoded
line by line through the full codec, so a bad line never costs a good one.

Parallel: ``summarize(workers=N)`` splits files at newline boundaries into byte ranges, runs
them in worker processes that send back :class:`Totals` (never records), and adds them up in
file order, fixing line numbers of collected errors.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, Literal

import msgspec
from msgspec import UNSET, Struct

from . import _mpscan, _scan
from ._codec import _BOM, _CAUGHT, Format, UsageCodec, Wire, _blank, _normalize
from ._errors import UsageDecodeError
from ._models import PostV2ProxyImagesVariationsUsage as Usage
from ._totals import BadLine, Totals, add_amounts, batch_totals
from ._variants import DIALECTS

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_MAX_LINE_BYTES",
    "OnError",
    "Part",
    "Source",
    "UsageReader",
    "merge_parts",
    "read_part",
    "read_usages",
    "summarize",
]

OnError = Literal["raise", "skip", "collect"]
"""What to do with a bad line: raise at once, count it, or count and keep it."""
Source = str | os.PathLike[str] | IO[bytes]
"""A path, ``"-"`` for standard input, or a binary file object."""

DEFAULT_CHUNK_SIZE = 1 << 20
"""Bytes read at a time (1 MiB)."""
DEFAULT_MAX_LINE_BYTES = 64 << 20
"""Longest line accepted (64 MiB); longer lines are bad lines, skipped in bounded memory."""

_ON_ERROR = ("raise", "skip", "collect")


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Chunk:
    """Complete lines (the last one may lack its newline at end of input)."""

    data: bytes


@dataclass(frozen=True)
class _Oversized:
    """One line longer than the limit, skipped; ``size`` counts its bytes, newline included."""

    size: int


def _pieces(read: Callable[[int], bytes], chunk_size: int, max_line: int) -> Iterator[Any]:
    """Cut a byte stream into chunks of whole lines and oversized-line markers.

    At most ``max_line`` bytes of an unfinished line are held (as a list of reads, joined once
    when its newline arrives); a longer line is counted and discarded up to its newline.
    """
    step = max(1, min(chunk_size, max_line))
    parts: list[bytes] = []  # the unfinished line so far
    held = 0  # bytes in parts
    skipped = -1  # >= 0 while discarding an oversized line: its bytes so far
    while True:
        data = read(step)
        if not data:
            break
        nl = data.find(b"\n")
        if skipped >= 0:
            if nl < 0:
                skipped += len(data)
                continue
            yield _Oversized(skipped + nl + 1)
            skipped = -1
            data = data[nl + 1 :]
            nl = data.find(b"\n")
        if nl < 0:
            if held + len(data) > max_line:
                skipped, parts, held = held + len(data), [], 0
            else:
                parts.append(data)
                held += len(data)
            continue
        if parts:
            if held + nl > max_line:
                yield _Oversized(held + nl + 1)
                data = data[nl + 1 :]
            else:
                parts.append(data)
                data = b"".join(parts)
            parts, held = [], 0
        cut = data.rfind(b"\n")
        if cut < 0:  # only possible after an oversized first line was cut off
            if len(data) > max_line:
                skipped = len(data)
            elif data:
                parts, held = [data], len(data)
            continue
        yield _Chunk(data[: cut + 1])
        tail = data[cut + 1 :]
        if tail:
            parts, held = [tail], len(tail)
    if skipped >= 0:
        yield _Oversized(skipped)
    elif parts:
        yield _Chunk(b"".join(parts))


@dataclass(frozen=True)
class _Documents:
    """Whole MessagePack documents: ``data[start:end]`` for each ``(start, end)``."""

    data: bytes
    bounds: list[tuple[int, int]]


def _msgpack_pieces(read: Callable[[int], bytes], chunk_size: int, max_doc: int) -> Iterator[Any]:
    """Cut a stream of concatenated MessagePack documents into runs of whole documents.

    A document is delimited by its own structure (:func:`_mpscan.walk`). A stream has no
    resynchronisation point: after a document that cannot be delimited (a never-used type
    byte), the rest of the stream is one bad document.
    """
    buf = b""
    eof = False
    while not eof:
        data = read(max(1, min(chunk_size, max_doc)))
        if not data:
            eof = True
        buf += data
        bounds: list[tuple[int, int]] = []
        pos = 0
        while pos < len(buf):
            end, _ = _mpscan.walk(buf, pos)
            if end < 0:
                break
            bounds.append((pos, end))
            pos = end
        if bounds:
            yield _Documents(buf, bounds)
            buf = buf[pos:]
        if eof and buf:
            yield _Documents(buf, [(0, len(buf))])  # truncated or undelimitable: one bad doc
        elif len(buf) > max_doc:
            yield _Oversized(len(buf))
            return


def count_lines(chunk: bytes) -> int:
    """Lines in a chunk, as the reader counts them (the last one may lack its newline)."""
    # bytes.count is a scalar loop; replace() finds newlines with memchr: ~5x faster here.
    n = len(chunk) - len(chunk.replace(b"\n", b""))
    return n if not chunk or chunk.endswith(b"\n") else n + 1


# --- decoding one line, whatever it holds --------------------------------------------------


def _envelope_types(at: str, usage_cls: type) -> type:
    """Lenient Structs that reach the usage at a dotted path, skipping everything else."""
    keys = at.split(".")
    if not at or any(not k for k in keys):
        raise ValueError(
            f"at must be a dotted path of object keys, like 'response.usage', not {at!r}"
        )
    inner: type = usage_cls
    for depth, key in enumerate(reversed(keys)):
        inner = msgspec.defstruct(
            f"_Envelope{len(keys) - depth}",
            [("value", inner | msgspec.UnsetType, UNSET)],
            rename={"value": key},
            gc=False,
        )
    return inner


class _LineDecoder:
    """Decode one record: a bare usage, a response body, or an envelope (``at``)."""

    def __init__(self, codec: UsageCodec, at: str | None) -> None:
        self.codec = codec
        self.at = at
        self.wire = codec.wire
        self.format = codec.format
        if at is not None:
            wires = ("camel", "snake") if codec.wire == "auto" else (codec.wire,)
            self.envelopes: list[tuple[str, Any, bool]] = []
            for name in wires:
                dialect = DIALECTS[name]
                for lenient in (False, True) if not codec.strict else (False,):
                    cls = (dialect.lenient if lenient else dialect.strict)[Usage]
                    dec: Any = msgspec.json.Decoder(_envelope_types(at, cls))
                    self.envelopes.append((name, dec.decode, cls is not Usage))
            self.at_keys = at.split(".")
        # With wire="auto", a line's dialect is guessed from its bytes (snake keys end in
        # "_tokens"), so that files mixing dialects line by line decode at first try.
        self.guess = codec.wire == "auto" and codec.format == "json" and not codec.strict
        if self.guess:
            camel, snake = codec._usage.attempts[:2]
            self.by_guess = {True: (snake, camel), False: (camel, snake)}

    def __call__(self, line: bytes) -> Usage | None:
        """Return the record's usage (``None`` when it has none) or raise UsageDecodeError."""
        if self.at is not None:
            return self._envelope(line)
        if self.guess and type(line) is bytes and len(line) <= _BODY_LIKELY:
            for attempt in self.by_guess[b'_tokens"' in line]:
                try:
                    obj = attempt.decode(line)
                except _CAUGHT:
                    continue
                return obj if attempt.adopt is None else attempt.adopt(obj)  # type: ignore[no-any-return]
        if len(line) > _BODY_LIKELY:
            # A usage object takes a few hundred bytes: a long record is a response body, and
            # trying it as a usage first would skip all of it twice (once per dialect).
            try:
                return self.codec.extract_usage(line)
            except UsageDecodeError as body_error:
                if not _wrong_shape(body_error):
                    raise
                try:
                    return self.codec.decode(line)
                except UsageDecodeError as usage_error:
                    raise (body_error if _wrong_shape(usage_error) else usage_error) from None
        try:
            return self.codec.decode(line)
        except UsageDecodeError as usage_error:
            if not _wrong_shape(usage_error):
                raise  # a usage with a problem (or not JSON at all)
            try:
                return self.codec.extract_usage(line)
            except UsageDecodeError as body_error:
                # Report the error of what the line most looks like.
                raise (usage_error if _wrong_shape(body_error) else body_error) from None

    def _envelope(self, line: bytes) -> Usage | None:
        data = _normalize(line, self.wire, self.format)
        if _scan.exceeds_depth(data, _scan.MAX_DEPTH):
            raise UsageDecodeError(
                f"nesting deeper than {_scan.MAX_DEPTH} levels", wire=self.wire, format="json"
            )
        first: UsageDecodeError | None = None
        for name, decode, adopt in self.envelopes:
            try:
                env = decode(data)
            except _CAUGHT as exc:
                err = _translate_envelope(exc, name)
                if first is None or (first.path == "$" and err.path != "$"):
                    first = err
                continue
            value = env
            for _ in self.at_keys:
                value = value.value
                if value is UNSET:
                    return None
            if adopt:
                value = _adopt(value)
            if self.codec.strict:
                from ._codec import _strict_checks  # noqa: PLC0415

                _strict_checks(value, name, "json")
            return value  # type: ignore[no-any-return]
        assert first is not None
        raise first


_BODY_LIKELY = 4096
"""Records longer than this are tried as response bodies first."""

_WRONG_SHAPE = (
    "Object missing required field `totalTokens`",
    "Object missing required field `total_tokens`",
    "Object missing required field `created`",
    "Object contains unknown field",
    "Expected `object`",
)


def _wrong_shape(err: UsageDecodeError) -> bool:
    """True when an error says the record is not of the kind tried (a usage, a body)."""
    return err.path == "$" and err.reason.startswith(_WRONG_SHAPE)


def _adopt(obj: Any) -> Usage:
    from ._variants import ADOPT  # noqa: PLC0415

    return ADOPT[Usage](obj)  # type: ignore[no-any-return]


def _translate_envelope(exc: BaseException, wire: str) -> UsageDecodeError:
    from ._codec import _translate  # noqa: PLC0415

    return _translate(exc, wire, "json")


# --- the reader ----------------------------------------------------------------------------


@dataclass
class _Batch:
    """What one chunk gave."""

    usages: list[Usage]
    lines: int = 0
    records: int = 0
    without_usage: int = 0
    blank: int = 0
    first: int = 1  # line number of the chunk's first line
    chunk: bytes = b""  # kept to find line numbers when blank lines interleave
    linenos: list[int] | None = None  # line number of each usage, when not consecutive

    def line_numbers(self) -> Sequence[int]:
        """The 1-based line number of each usage of the batch."""
        if self.linenos is not None:
            return self.linenos
        if not self.blank:
            return range(self.first, self.first + len(self.usages))
        # Rare: blank lines among records decoded in one go; find the non-blank ones.
        self.linenos = [
            n
            for n, line in enumerate(self.chunk.split(b"\n")[: self.lines], self.first)
            if not _blank(line)
        ]
        return self.linenos


class UsageReader:
    """Iterate over the usages of an NDJSON source, in bounded memory.

    Build it with :func:`read_usages`. Iterating yields each usage; :meth:`batches` yields
    them a chunk at a time (faster); :meth:`totals` consumes the rest and returns
    :class:`Totals`. The counters (``lines``, ``records``, ``without_usage``, ``bad_lines``,
    ``blank_lines``) and ``errors`` (collected bad lines) grow as the source is read.
    """

    def __init__(
        self,
        source: Source,
        *,
        wire: Wire = "camel",
        at: str | None = None,
        strict: bool = False,
        on_error: OnError = "raise",
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        name: str | None = None,
        byte_range: tuple[int, int] | None = None,
        format: Format = "json",
    ) -> None:
        if on_error not in _ON_ERROR:
            raise ValueError(f"on_error must be one of {', '.join(_ON_ERROR)}, not {on_error!r}")
        if max_line_bytes < 1 or chunk_size < 1:
            raise ValueError("max_line_bytes and chunk_size must be positive")
        if format not in ("json", "msgpack"):
            raise ValueError(f"format must be 'json' or 'msgpack', not {format!r}")
        if format == "msgpack" and (at is not None or byte_range is not None):
            raise ValueError("at and byte ranges apply to NDJSON, not to MessagePack streams")
        self.format = format
        self.codec = UsageCodec(wire, format, strict=strict)
        self.on_error = on_error
        self.max_line_bytes = max_line_bytes
        self.chunk_size = chunk_size
        self._source = source
        self.name = name if name is not None else _source_name(source)
        self._decode_line = _LineDecoder(self.codec, at)
        self._fast = self._chunk_decoders() if at is None and format == "json" else []
        self.lines = 0
        self.records = 0
        self.without_usage = 0
        self.bad_lines = 0
        self.blank_lines = 0
        self.flagged = 0
        self.bytes_read = 0
        self.errors: list[BadLine] = []
        self._range = byte_range
        self._sums: tuple[Any, ...] = (0, 0, 0, 0, 0)

    def _chunk_decoders(self) -> list[tuple[Callable[[bytes], list[Any]], Any]]:
        # decode_lines of the strict classes, per dialect; the one that worked last goes first.
        out: list[tuple[Callable[[bytes], list[Any]], Any]] = []
        for name in ("camel", "snake") if self.codec.wire == "auto" else (self.codec.wire,):
            cls = DIALECTS[name].strict[Usage]
            adopt = None if cls is Usage else _adopt
            out.append((msgspec.json.Decoder(cls).decode_lines, adopt))
        return out

    # -- iteration ---------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Usage]:
        for batch in self.batches():
            yield from batch

    def batches(self) -> Iterator[list[Usage]]:
        """Yield the usages of each chunk as a list (the records without usage excluded)."""
        for batch in self._run():
            yield batch.usages

    def numbered_batches(self) -> Iterator[tuple[list[Usage], Sequence[int]]]:
        """Like :meth:`batches`, with the 1-based line number of each usage."""
        for batch in self._run():
            yield batch.usages, batch.line_numbers()

    def totals(self, progress: Callable[[int, int], None] | None = None) -> Totals:
        """Read the rest of the source and return its :class:`Totals`.

        Args:
            progress: Called after each chunk with the bytes and records read so far.
        """
        for batch in self._run():
            flagged, t, i, o, x, m = batch_totals(batch.usages)
            self.flagged += flagged
            self._sums = tuple(
                add_amounts(a, b) for a, b in zip(self._sums, (t, i, o, x, m), strict=True)
            )
            if progress is not None:
                progress(self.bytes_read, self.records)
        t, i, o, x, m = self._sums
        return Totals(
            self.records,
            self.without_usage,
            self.bad_lines,
            self.blank_lines,
            self.flagged,
            t,
            i,
            o,
            x,
            m,
            tuple(self.errors),
        )

    def _run(self) -> Iterator[_Batch]:
        with _open(self._source) as f:
            read = _reader(f, self) if self._range is None else _range_reader(f, *self._range)
            lineno = 1
            pieces = (
                _pieces(read, self.chunk_size, self.max_line_bytes)
                if self.format == "json"
                else _msgpack_pieces(read, self.chunk_size, self.max_line_bytes)
            )
            for piece in pieces:
                if isinstance(piece, _Oversized):
                    batch = _Batch([], lines=1)
                    self._bad(
                        batch,
                        lineno,
                        UsageDecodeError(
                            f"{'line' if self.format == 'json' else 'document'} longer than "
                            f"max_line_bytes ({piece.size:,} bytes > {self.max_line_bytes:,})",
                            wire=self.codec.wire,
                            format=self.format,
                        ),
                    )
                elif isinstance(piece, _Documents):
                    batch = self._decode_documents(piece, lineno)
                else:
                    data = piece.data
                    if lineno == 1 and data[:3] == _BOM:
                        data = data[3:]  # the source's byte-order mark
                    batch = self._decode_chunk(data, lineno)
                lineno += batch.lines
                self.lines += batch.lines
                self.records += batch.records
                self.without_usage += batch.without_usage
                self.blank_lines += batch.blank
                yield batch

    def _decode_chunk(self, chunk: bytes, lineno: int) -> _Batch:
        lines = count_lines(chunk)
        for k, (decode_lines, adopt) in enumerate(self._fast):
            try:
                usages = decode_lines(chunk)
            except _CAUGHT:
                continue
            if adopt is not None:
                for u in usages:
                    adopt(u)
            if self.codec.strict and any(_negative(u) for u in usages):
                break
            if k:
                self._fast.insert(0, self._fast.pop(k))
            blank = lines - len(usages)
            return _Batch(
                usages,
                lines=lines,
                records=len(usages),
                blank=blank,
                first=lineno,
                chunk=chunk if blank else b"",
            )
        return self._decode_each(chunk, lineno, lines)

    def _decode_each(self, chunk: bytes, lineno: int, lines: int) -> _Batch:
        batch = _Batch([], lines=lines, first=lineno, linenos=[])
        linenos = batch.linenos
        assert linenos is not None
        decode = self._decode_line
        for n, line in enumerate(chunk.split(b"\n"), lineno):
            if n - lineno == lines:
                break  # the empty piece after the chunk's final newline
            if _blank(line):
                batch.blank += 1
                continue
            try:
                usage = decode(line)
            except UsageDecodeError as err:
                self._bad(batch, n, err)
                continue
            if usage is None:
                batch.without_usage += 1
            else:
                batch.records += 1
                batch.usages.append(usage)
                linenos.append(n)
        return batch

    def _decode_documents(self, piece: _Documents, lineno: int) -> _Batch:
        batch = _Batch([], lines=len(piece.bounds), first=lineno, linenos=[])
        linenos = batch.linenos
        assert linenos is not None
        view = memoryview(piece.data)
        decode = self.codec.decode
        for n, (start, end) in enumerate(piece.bounds, lineno):
            try:
                usage = decode(view[start:end])
            except UsageDecodeError as err:
                self._bad(batch, n, err)
                continue
            batch.records += 1
            batch.usages.append(usage)
            linenos.append(n)
        return batch

    def _bad(self, batch: _Batch, lineno: int, err: UsageDecodeError) -> None:
        self.bad_lines += 1
        if self.on_error == "raise":
            raise err.located(lineno=lineno, source=self.name) from err.__cause__
        if self.on_error == "collect":
            self.errors.append(BadLine(lineno, err.path, err.reason, self.name))


def _negative(u: Usage) -> bool:
    d = u.input_tokens_details
    return (
        u.total_tokens < 0
        or u.input_tokens < 0
        or u.output_tokens < 0
        or d.text_tokens < 0
        or d.image_tokens < 0
    )


def _source_name(source: Source) -> str | None:
    if isinstance(source, (str, os.PathLike)):
        return "<stdin>" if os.fspath(source) == "-" else os.fspath(source)
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else None


class _open:
    """Open a path (or ``-``) for binary reading, or pass a file object through."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.file: IO[bytes] | None = None

    def __enter__(self) -> IO[bytes]:
        if isinstance(self.source, (str, os.PathLike)):
            if os.fspath(self.source) == "-":
                return sys.stdin.buffer
            self.file = open(self.source, "rb")
            return self.file
        if isinstance(self.source, io.TextIOBase):  # type: ignore[unreachable]
            raise TypeError("open the source in binary mode ('rb'), or pass its path")
        return self.source

    def __exit__(self, *exc: object) -> None:
        if self.file is not None:
            self.file.close()


def _reader(f: IO[bytes], reader: UsageReader) -> Callable[[int], bytes]:
    raw_read = getattr(f, "read1", None) or f.read

    def read(n: int) -> bytes:
        # read1 returns what is available (pipes, short reads); loop until n or EOF so chunks
        # stay large, but never block for more once something arrived and EOF is near.
        data = raw_read(n)
        if data and len(data) < n:
            parts = [data]
            size = len(data)
            while size < n:
                more = raw_read(n - size)
                if not more:
                    break
                parts.append(more)
                size += len(more)
            data = b"".join(parts)
        reader.bytes_read += len(data)
        return bytes(data)

    return read


def read_usages(
    source: Source,
    *,
    wire: Wire = "camel",
    at: str | None = None,
    strict: bool = False,
    on_error: OnError = "raise",
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    format: Format = "json",
) -> UsageReader:
    """Read the usages of an NDJSON source in bounded memory.

    A record (line) may be a bare usage object, a full response body (its ``usage`` is
    taken; a body without one counts as ``without_usage``) or, with ``at``, any JSON object
    holding the usage at that dotted path (everything else in it is skipped, never built).

    Args:
        source: A path, ``"-"`` for standard input, or a binary file object.
        wire: ``"camel"``, ``"snake"`` or ``"auto"`` (per line).
        at: Dotted path of the usage inside each record, such as ``"response.body.usage"``.
        strict: Reject unknown fields inside the usage and negative counts.
        on_error: ``"raise"`` (default: :class:`UsageDecodeError` naming the line and path),
            ``"skip"`` (count bad lines) or ``"collect"`` (count and keep them in ``errors``).
        max_line_bytes: Longest accepted line; longer ones are bad lines.
        chunk_size: Bytes read at a time.
        format: ``"json"`` (NDJSON, the default) or ``"msgpack"``: a stream of concatenated
            MessagePack usage documents, where "line" numbers count documents.

    Returns:
        A :class:`UsageReader`: iterate it, or call ``totals()``.
    """
    return UsageReader(
        source,
        wire=wire,
        at=at,
        strict=strict,
        on_error=on_error,
        max_line_bytes=max_line_bytes,
        chunk_size=chunk_size,
        format=format,
    )


# --- summaries, local and parallel -----------------------------------------------------------


class _Task(Struct, frozen=True):
    """A byte range of one file: lines that *start* in [start, end)."""

    index: int
    path: str
    start: int
    end: int


class _Options(Struct, frozen=True):
    wire: str
    at: str | None
    strict: bool
    on_error: str
    max_line_bytes: int
    chunk_size: int


def _range_reader(f: IO[bytes], start: int, end: int) -> Callable[[int], bytes]:
    """A read() over the lines that start in [start, end) of a seekable file."""
    if start > 0:
        f.seek(start - 1)
        # Skip the line in progress at start - 1: it belongs to the previous range.
        while True:
            block = f.read(1 << 16)
            if not block:
                break
            nl = block.find(b"\n")
            if nl >= 0:
                f.seek(f.tell() - len(block) + nl + 1)
                break
    else:
        f.seek(0)
    pos = f.tell()
    finishing = False
    last = b"\n"

    def read(n: int) -> bytes:
        nonlocal pos, finishing, last
        if finishing:
            return b""
        if pos < end:
            data = f.read(min(n, end - pos))
            pos += len(data)
            if data:
                last = data[-1:]
            return data
        if last == b"\n":
            finishing = True  # the range ends exactly at a line boundary
            return b""
        # Past the end: finish the line that started before it.
        data = f.read(n)
        nl = data.find(b"\n")
        if nl >= 0:
            finishing = True
            return data[: nl + 1]
        if not data:
            finishing = True
        return data

    if pos >= end:
        finishing = True
    return read


def _summarize_range(task: _Task, options: _Options) -> tuple[int, Part]:
    """Worker: totals of one range; in raise mode, stop at its first bad line."""
    with open(task.path, "rb") as f:
        reader = UsageReader(
            f,
            wire=options.wire,  # type: ignore[arg-type]
            at=options.at,
            strict=options.strict,
            on_error=options.on_error,  # type: ignore[arg-type]
            max_line_bytes=options.max_line_bytes,
            chunk_size=options.chunk_size,
            name=task.path,
            byte_range=(task.start, task.end),
        )
        return task.index, read_part(reader)


def summarize(
    sources: Source | Iterable[Source],
    *,
    workers: int = 1,
    wire: Wire = "camel",
    at: str | None = None,
    strict: bool = False,
    on_error: OnError = "raise",
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Callable[[int, int], None] | None = None,
    format: Format = "json",
) -> Totals:
    """Totals of one or more NDJSON sources.

    With ``workers=N`` (N > 1), files are split at newline boundaries into byte ranges read
    by N worker processes, which send back totals, not records. The result is identical to
    one process: counts, exact sums, collected errors (in file order, with their true line
    numbers) and, in ``"raise"`` mode, the same first error.

    Args:
        sources: A path, ``"-"``, a binary file object, or an iterable of them. File objects
            and standard input are always read by this process.
        workers: Number of processes.
        wire: See :func:`read_usages`.
        at: See :func:`read_usages`.
        strict: See :func:`read_usages`.
        on_error: See :func:`read_usages`.
        max_line_bytes: See :func:`read_usages`.
        chunk_size: See :func:`read_usages`.
        progress: Called with the bytes and records read so far, after each chunk (one
            process) or as ranges complete (workers).
        format: ``"json"`` or ``"msgpack"`` (see :func:`read_usages`); MessagePack streams
            cannot be split at a boundary, so each is read by one process.

    Returns:
        The :class:`Totals` of all sources, in order.

    Raises:
        UsageDecodeError: In ``"raise"`` mode, for the first bad line (file order).
        OSError: When a source cannot be opened or read.
    """
    if isinstance(sources, (str, os.PathLike)) or hasattr(sources, "read"):
        items: list[Source] = [sources]  # type: ignore[list-item]
    else:
        items = list(sources)
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if on_error not in _ON_ERROR:
        raise ValueError(f"on_error must be one of {', '.join(_ON_ERROR)}, not {on_error!r}")
    options = _Options(wire, at, strict, on_error, max_line_bytes, chunk_size)
    total = Totals()
    done = 0
    for item in items:
        path = _plain_path(item)
        if workers > 1 and path is not None and format == "json":
            part = _parallel(path, workers, options, progress, done)
        else:
            reader = UsageReader(
                item,
                wire=wire,
                at=at,
                strict=strict,
                on_error=on_error,
                max_line_bytes=max_line_bytes,
                chunk_size=chunk_size,
                format=format,
            )
            part = reader.totals(_shifted(progress, done))
        done += _size(item)
        total = total + part
    return total


def _shifted(
    progress: Callable[[int, int], None] | None, base: int
) -> Callable[[int, int], None] | None:
    """A progress callback that adds the bytes of the sources already read."""
    if progress is None:
        return None
    report = progress
    return lambda done, records: report(base + done, records)


def _plain_path(item: Source) -> str | None:
    if isinstance(item, (str, os.PathLike)):
        path = os.fspath(item)
        if path != "-" and os.path.isfile(path):
            return path
    return None


def _size(item: Source) -> int:
    path = _plain_path(item)
    return os.path.getsize(path) if path else 0


def _parallel(
    path: str,
    workers: int,
    options: _Options,
    progress: Callable[[int, int], None] | None,
    base: int,
) -> Totals:
    import multiprocessing  # noqa: PLC0415 - only parallel runs pay for it
    import threading  # noqa: PLC0415

    size = os.path.getsize(path)
    # Ranges small enough to balance, large enough that process start-up stays negligible.
    n = workers if size < (64 << 20) * workers else max(workers, size // (64 << 20))
    bounds = [size * k // n for k in range(n + 1)]
    tasks = [_Task(k, path, bounds[k], bounds[k + 1]) for k in range(n)]
    shares = [tasks[k::workers] for k in range(workers)]
    # fork is by far the cheapest start; only safe while this process runs no other thread.
    method = (
        "fork"
        if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
        else "spawn"
    )
    context: Any = multiprocessing.get_context(method)
    children = []
    for share in shares[1:]:
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_child, args=(send, share, options), daemon=True)
        child.start()
        send.close()
        children.append((child, receive))
    results: list[Part | None] = [None] * n
    done_bytes = done_records = 0

    def collect(parts: list[tuple[int, Part]]) -> None:
        nonlocal done_bytes, done_records
        for index, part in parts:
            results[index] = part
            done_bytes += bounds[index + 1] - bounds[index]
            done_records += part.totals.records
        if progress is not None:
            progress(base + done_bytes, done_records)

    try:
        collect([_summarize_range(task, options) for task in shares[0]])  # this process's share
        for child, receive in children:
            try:
                status, payload = receive.recv()
            except EOFError:
                child.join()
                raise OSError(f"a worker process died (exit code {child.exitcode})") from None
            child.join()
            if status == "error":
                raise payload
            collect(payload)
    finally:
        for child, receive in children:
            receive.close()
            if child.is_alive():
                child.terminate()
                child.join()
    return merge_parts([r for r in results if r is not None])


def _child(send: Any, share: list[_Task], options: _Options) -> None:
    """Worker process: the totals of its ranges, or the exception that stopped it."""
    try:
        send.send(("ok", [_summarize_range(task, options) for task in share]))
    except BaseException as exc:
        send.send(("error", exc))
    finally:
        send.close()


class Part(Struct, frozen=True):
    """The result of one piece of a source read on its own (a byte range, a Dask block).

    Attributes:
        totals: Its totals; collected errors carry line numbers relative to the piece.
        lines: Lines it holds.
        error: In ``"raise"`` mode, the error of its first bad line (with a line number
            relative to the piece), else ``None``.
    """

    totals: Totals
    lines: int
    error: UsageDecodeError | None = None


def read_part(reader: UsageReader) -> Part:
    """Read a whole piece; in ``"raise"`` mode, stop at its first bad line."""
    try:
        totals = reader.totals()
    except UsageDecodeError as err:
        return Part(Totals(), reader.lines, err)
    return Part(totals, reader.lines)


def merge_parts(parts: Iterable[Part]) -> Totals:
    """Add up the parts of one source, in order, making line numbers absolute.

    Raises:
        UsageDecodeError: For the first part that stopped on a bad line (raise mode).
    """
    total = Totals()
    lines_before = 0
    for part in parts:
        if part.error is not None:
            err = part.error
            raise err.located(lineno=(err.lineno or 0) + lines_before) from err.__cause__
        totals = part.totals
        if totals.errors and lines_before:
            totals = msgspec.structs.replace(
                totals,
                errors=tuple(
                    msgspec.structs.replace(e, lineno=e.lineno + lines_before)
                    for e in totals.errors
                ),
            )
        total = total + totals
        lines_before += part.lines
    return total
