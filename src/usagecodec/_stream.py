"""Streaming NDJSON and MessagePack: the reader, its error policies and totals.

The work is split by job: :mod:`._framing` cuts the byte stream into whole lines (or
MessagePack documents) in bounded memory, :mod:`._records` decodes the records of a chunk
(one document per line, whatever the chunk size), :mod:`._parallel` runs byte ranges in
worker processes. This module ties them together behind :func:`read_usages` and
:func:`summarize`.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import attrgetter
from typing import Any, Literal, overload

from ._codec import Format, UsageCodec, Wire
from ._compression import detect
from ._errors import UsageDecodeError
from ._framing import (
    Documents,
    Oversized,
    Source,
    count_lines,
    frame_documents,
    frame_lines,
    open_source,
    range_reader,
    source_name,
    stream_reader,
)
from ._groups import GroupedTotals, GroupSums, KeyReader, KeySpec, parse_specs
from ._input import BOM as _BOM
from ._models import PostV2ProxyImagesVariationsUsage as Usage
from ._options import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_MAX_LINE_BYTES,
    OnError,
    ReadOptions,
    path_keys,
)
from ._parallel import (
    Part,
    Task,
    merge_grouped,
    merge_parts,
    range_tasks,
    read_part,
    run_tasks,
)
from ._records import Batch, ChunkDecoder
from ._totals import BadLine, Totals, add_amounts, batch_totals

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_MAX_LINE_BYTES",
    "OnError",
    "Part",
    "ReadOptions",
    "Source",
    "UsageReader",
    "count_lines",
    "merge_parts",
    "read_part",
    "read_usages",
    "summarize",
]


_SUMS = attrgetter("total_tokens", "input_tokens", "output_tokens", "text_tokens", "image_tokens")


class UsageReader:
    """Iterate over the usages of an NDJSON source (or MessagePack stream), in bounded memory.

    Build it with :func:`read_usages` (or from a :class:`ReadOptions`). Iterating yields each
    usage; :meth:`batches` yields them a chunk at a time (faster); :meth:`totals` consumes the
    rest and returns :class:`Totals`. The counters (``lines``, ``records``,
    ``without_usage``, ``bad_lines``, ``blank_lines``) and ``errors`` (collected bad lines)
    grow as the source is read.

    Args:
        source: A path, ``"-"`` for standard input, or a binary file object.
        options: How to read it (defaults: camel NDJSON, raise on the first bad line).
        **keywords: Or the options one by one, as for :func:`read_usages`.
    """

    def __init__(
        self, source: Source, options: ReadOptions | None = None, /, **keywords: Any
    ) -> None:
        if options is None:
            options = ReadOptions(**keywords)
        elif not isinstance(options, ReadOptions):
            raise TypeError(f"options must be a ReadOptions, not {type(options).__name__}")
        elif keywords:
            raise TypeError("give the options as a ReadOptions or as keywords, not both")
        self.options = options
        self.format: Format = options.format
        self.codec = UsageCodec(options.wire, options.format, strict=options.strict)
        self.on_error: OnError = options.on_error
        self.max_line_bytes = options.max_line_bytes
        self.chunk_size = options.chunk_size
        self._source = source
        self.name: str | None = source_name(source)
        self._range: tuple[int, int] | None = None
        self._at_start = True  # this reader starts the source (its byte-order mark is dropped)
        self._chunks = ChunkDecoder(options) if options.format == "json" else None
        self.lines = 0
        self.records = 0
        self.without_usage = 0
        self.bad_lines = 0
        self.blank_lines = 0
        self.flagged = 0
        self.bytes_read = 0
        self.errors: list[BadLine] = []
        self._sums: tuple[Any, ...] = (0, 0, 0, 0, 0)

    @classmethod
    def _part(
        cls,
        source: Source,
        options: ReadOptions,
        *,
        name: str | None = None,
        byte_range: tuple[int, int] | None = None,
        at_start: bool = True,
    ) -> UsageReader:
        """A reader of one piece of a source: a byte range of a file, or a named block.

        Only a piece that starts the source (``at_start``, or a range from byte 0) drops a
        leading byte-order mark as the source's: elsewhere a mark belongs to its line.
        """
        if byte_range is not None and options.format != "json":
            raise ValueError("byte ranges apply to NDJSON, not to MessagePack streams")
        reader = cls(source, options)
        if name is not None:
            reader.name = name
        reader._range = byte_range
        reader._at_start = at_start and (byte_range is None or byte_range[0] == 0)
        return reader

    # -- iteration ---------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Usage]:
        for batch in self._run():
            yield from batch.public()

    def batches(self) -> Iterator[list[Usage]]:
        """Yield the usages of each chunk as a list (the records without usage excluded)."""
        for batch in self._run():
            yield batch.public()

    def numbered_batches(self) -> Iterator[tuple[list[Usage], Sequence[int]]]:
        """Like :meth:`batches`, with the 1-based line number of each usage."""
        for batch in self._run():
            yield batch.public(), batch.linenos

    def kept_batches(
        self, keep: Iterable[str]
    ) -> Iterator[tuple[list[Usage], Sequence[int], list[tuple[Any, ...]]]]:
        """Like :meth:`numbered_batches`, with the values at ``keep`` paths of each record.

        Args:
            keep: Dotted paths into the whole record (``"model"``, ``"request.team"``).

        Yields:
            ``(usages, line_numbers, values)``: ``values[i]`` holds, for ``usages[i]``, the
            value at each path (``None`` where the record has none; objects and arrays as
            decoded).
        """
        specs = parse_specs([_plain(k) for k in keep])
        keys = KeyReader(specs, raw=True)
        for batch in self._run():
            usages = batch.public()
            values = (
                keys.keys(batch.chunk, batch.first, batch.linenos, batch.lines, self.name)
                if usages
                else []
            )
            yield usages, batch.linenos, values

    def totals(self, progress: Callable[[int, int], None] | None = None) -> Totals:
        """Read the rest of the source and return its :class:`Totals`.

        Args:
            progress: Called after each chunk with the bytes and records read so far.
        """
        for batch in self._run():
            self._add(batch)
            if progress is not None:
                progress(self.bytes_read, self.records)
        return self._totals()

    def grouped(
        self,
        by: Iterable[str | KeySpec],
        *,
        by_file: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> GroupedTotals:
        """Read the rest of the source and return its totals per group (and overall).

        Args:
            by: Group keys: dotted paths into the whole record (``"model"``,
                ``"request.team"``), optionally bucketed in UTC (``"ts:day"``, ``:hour``,
                ``:month``) from an RFC 3339 string or epoch seconds.
            by_file: Also group by the source's name (key ``"file"``).
            progress: As for :meth:`totals`.
        """
        specs = parse_specs(by, by_file=by_file)
        keys = KeyReader(specs)
        sums = GroupSums()
        if self._chunks is not None:  # the usage and the keys in one decode where it can
            self._chunks = ChunkDecoder(self.options, specs)
        file_keys = [k for k, spec in enumerate(specs) if spec.file]
        for batch in self._run():
            if batch.usages:
                usages = batch.public()  # in line order, as the keys
                if batch.keys is not None and batch.order is None:
                    found = batch.keys
                    if file_keys:
                        found = [_with_file(key, file_keys, self.name) for key in found]
                else:
                    found = keys.keys(
                        batch.chunk, batch.first, batch.linenos, batch.lines, self.name
                    )
                sums.add(found, usages)
            if progress is not None:
                progress(self.bytes_read, self.records)
        # Every usage is in one group: the overall sums are the groups' (summed once).
        groups = sums.totals()
        if any(spec.bucket for spec in specs):
            groups = {keys.finish(key): totals for key, totals in groups.items()}
        for totals in groups.values():
            self.flagged += totals.flagged
            self._sums = tuple(
                add_amounts(a, b)
                for a, b in zip(self._sums, _SUMS(totals), strict=True)
            )
        return GroupedTotals([s.text for s in specs], groups, self._totals())

    def _add(self, batch: Batch) -> None:
        for group in batch.groups():
            flagged, t, i, o, x, m = batch_totals(group)
            self.flagged += flagged
            self._sums = tuple(
                add_amounts(a, b) for a, b in zip(self._sums, (t, i, o, x, m), strict=True)
            )

    def _totals(self) -> Totals:
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

    def _count(self, n: int) -> None:
        self.bytes_read += n

    def _run(self) -> Iterator[Batch]:
        with open_source(self._source) as f:
            if self._range is None:
                read = stream_reader(f, self._count)
            else:
                read = range_reader(f, *self._range)
            lineno = 1
            json = self.format == "json"
            pieces: Iterator[Any] = (
                frame_lines(read, self.chunk_size, self.max_line_bytes)
                if json
                else frame_documents(read, self.chunk_size, self.max_line_bytes)
            )
            for piece in pieces:
                if isinstance(piece, Oversized):
                    batch = Batch([], [], 1)
                    what = "line" if json else "document"
                    batch.bad.append(
                        (
                            lineno,
                            UsageDecodeError(
                                f"{what} longer than max_line_bytes "
                                f"({piece.size:,} bytes > {self.max_line_bytes:,})",
                                wire=self.codec.wire,
                                format=self.format,
                            ),
                        )
                    )
                elif isinstance(piece, Documents):
                    batch = self._decode_documents(piece, lineno)
                else:
                    data = piece.data
                    if lineno == 1 and self._at_start and data[:3] == _BOM:
                        data = data[3:]  # the source's byte-order mark
                    assert self._chunks is not None
                    batch = self._chunks.decode(data, lineno)
                    batch.chunk, batch.first = data, lineno
                error = self._bad(batch) if batch.bad else None
                lineno += batch.lines
                self.lines += batch.lines
                self.records += len(batch.usages)
                self.without_usage += batch.without_usage
                self.blank_lines += batch.blank
                if batch.usages or error is None:
                    yield batch
                if error is not None:
                    raise error from error.__cause__

    def _bad(self, batch: Batch) -> UsageDecodeError | None:
        """Apply the error policy to the bad lines of a batch; the error to raise, if any.

        In ``"raise"`` mode the batch is cut before its first bad line: the usages before it
        are still delivered, then the error is raised.
        """
        if self.on_error == "raise":
            batch.public()  # in line order
            number, err = batch.bad[0]
            self.bad_lines += 1
            keep = bisect.bisect_left(batch.linenos, number)
            del batch.usages[keep:]
            batch.linenos = batch.linenos[:keep]
            if batch.keys is not None:
                del batch.keys[keep:]
            return err.located(lineno=number, source=self.name)
        self.bad_lines += len(batch.bad)
        if self.on_error == "collect":
            name = self.name
            self.errors.extend(
                BadLine(number, err.path, err.reason, name) for number, err in batch.bad
            )
        return None

    def _decode_documents(self, piece: Documents, lineno: int) -> Batch:
        batch = Batch([], [], len(piece.bounds))
        view = memoryview(piece.data)
        decode = self.codec.decode
        for n, (start, end) in enumerate(piece.bounds, lineno):
            try:
                usage = decode(view[start:end])
            except UsageDecodeError as err:
                batch.bad.append((n, err))
                continue
            batch.usages.append(usage)
            batch.linenos.append(n)
        return batch


def _with_file(key: tuple[Any, ...], positions: list[int], name: str | None) -> tuple[Any, ...]:
    out = list(key)
    for k in positions:
        out[k] = name
    return tuple(out)


def _plain(path: str) -> KeySpec:
    """A kept path: never a time bucket, even with a colon in a key."""
    return KeySpec(path, tuple(path_keys(path)))


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
    A line is exactly one record: a line holding two documents, or a document broken over two
    lines, is a bad line, whatever the chunk size.

    Args:
        source: A path, ``"-"`` for standard input, or a binary file object.
        wire: ``"camel"``, ``"snake"`` or ``"auto"`` (per line).
        at: Dotted path of the usage inside each record, such as ``"response.body.usage"``.
        strict: Reject unknown fields inside the usage and negative counts.
        on_error: ``"raise"`` (default: :class:`UsageDecodeError` naming the line and path,
            after the usages of the lines before it), ``"skip"`` (count bad lines) or
            ``"collect"`` (count and keep them in ``errors``).
        max_line_bytes: Longest accepted line; longer ones are bad lines.
        chunk_size: Bytes read at a time.
        format: ``"json"`` (NDJSON, the default) or ``"msgpack"``: a stream of concatenated
            MessagePack usage documents, where "line" numbers count documents.

    Returns:
        A :class:`UsageReader`: iterate it, or call ``totals()``.

    Raises:
        ValueError: For an option out of its range.
    """
    options = ReadOptions(
        wire=wire,
        at=at,
        strict=strict,
        on_error=on_error,
        max_line_bytes=max_line_bytes,
        chunk_size=chunk_size,
        format=format,
    )
    return UsageReader(source, options)


@overload
def summarize(
    sources: Source | Iterable[Source],
    *,
    workers: int = ...,
    wire: Wire = ...,
    at: str | None = ...,
    strict: bool = ...,
    on_error: OnError = ...,
    max_line_bytes: int = ...,
    chunk_size: int = ...,
    progress: Callable[[int, int], None] | None = ...,
    format: Format = ...,
    by: None = ...,
    by_file: Literal[False] = ...,
) -> Totals: ...
@overload
def summarize(
    sources: Source | Iterable[Source],
    *,
    workers: int = ...,
    wire: Wire = ...,
    at: str | None = ...,
    strict: bool = ...,
    on_error: OnError = ...,
    max_line_bytes: int = ...,
    chunk_size: int = ...,
    progress: Callable[[int, int], None] | None = ...,
    format: Format = ...,
    by: Iterable[str | KeySpec],
    by_file: bool = ...,
) -> GroupedTotals: ...
@overload
def summarize(
    sources: Source | Iterable[Source],
    *,
    workers: int = ...,
    wire: Wire = ...,
    at: str | None = ...,
    strict: bool = ...,
    on_error: OnError = ...,
    max_line_bytes: int = ...,
    chunk_size: int = ...,
    progress: Callable[[int, int], None] | None = ...,
    format: Format = ...,
    by: Iterable[str | KeySpec] | None = ...,
    by_file: Literal[True],
) -> GroupedTotals: ...
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
    by: Iterable[str | KeySpec] | None = None,
    by_file: bool = False,
) -> Totals | GroupedTotals:
    """Totals of one or more NDJSON sources, overall or per group.

    With ``workers=N`` (N > 1), files are split at newline boundaries into byte ranges read
    by N worker processes, which send back totals, not records; compressed files and
    MessagePack streams are read whole, one task a file. The result is identical to one
    process: counts, exact sums, collected errors (in file order, with their true line
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
        format: ``"json"`` or ``"msgpack"`` (see :func:`read_usages`).
        by: Group keys (see :meth:`UsageReader.grouped`): the result is then a
            :class:`GroupedTotals`, a mapping from key tuple to :class:`Totals` with the
            overall totals in ``.total``.
        by_file: Also group by source (the key ``"file"``, the source's name).

    Returns:
        The :class:`Totals` of all sources, in order; a :class:`GroupedTotals` with ``by``.

    Raises:
        UsageDecodeError: In ``"raise"`` mode, for the first bad line (file order).
        OSError: When a source cannot be opened or read.
        ValueError: For an option out of its range or a malformed group key.
    """
    options = ReadOptions(
        wire=wire,
        at=at,
        strict=strict,
        on_error=on_error,
        max_line_bytes=max_line_bytes,
        chunk_size=chunk_size,
        format=format,
    )
    specs = parse_specs(by or (), by_file=by_file) if by is not None or by_file else None
    result: Totals | GroupedTotals = summarize_with(
        sources, options, workers=workers, progress=progress, specs=specs
    )
    return result


def summarize_with(
    sources: Source | Iterable[Source],
    options: ReadOptions,
    *,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    specs: tuple[KeySpec, ...] | None = None,
) -> Any:
    """:func:`summarize` with the options given as one :class:`ReadOptions`.

    Returns :class:`Totals`, or :class:`GroupedTotals` when ``specs`` is given.
    """
    if isinstance(sources, (str, os.PathLike)) or hasattr(sources, "read"):
        items: list[Source] = [sources]  # type: ignore[list-item]
    else:
        items = list(sources)
    if type(workers) is not int or workers < 1:
        raise ValueError(f"workers must be an int of at least 1, not {workers!r}")
    by = None if specs is None else [s.text for s in specs]
    total: Any = Totals() if by is None else GroupedTotals(by, {}, Totals())
    if workers == 1:
        done = 0
        for item in items:
            reader = UsageReader(item, options)
            shifted = _shifted(progress, done)
            if specs is None:
                part: Any = reader.totals(shifted)
            else:
                part = reader.grouped(specs, progress=shifted)
            total = total + part
            done += _size(item)
        return total
    # Files are read by worker processes: plain NDJSON files cut into byte ranges, compressed
    # files and MessagePack streams whole. Standard input and file objects are read here.
    tasks: list[Task] = []
    plan: list[list[int] | None] = []
    for item in items:
        path = _plain_path(item)
        if path is None:
            plan.append(None)
        elif options.format == "json" and not _compressed(path):
            found = range_tasks(path, os.path.getsize(path), workers, len(tasks))
            plan.append([t.index for t in found])
            tasks += found
        else:
            plan.append([len(tasks)])
            tasks.append(Task(len(tasks), path, 0, -1))
    parts = run_tasks(tasks, workers, options, progress, 0, specs=specs) if tasks else []
    for item, indexes in zip(items, plan, strict=True):
        if indexes is None:
            reader = UsageReader(item, options)
            part = reader.totals() if specs is None else reader.grouped(specs)
        elif by is None:
            part = merge_parts([parts[i] for i in indexes])
        else:
            part = merge_grouped([parts[i] for i in indexes], by)
        total = total + part
    return total


def _compressed(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return detect(f.read(6)) is not None
    except OSError:
        return False


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
