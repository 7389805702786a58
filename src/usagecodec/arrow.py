r"""Columnar output: NDJSON usages decoded straight into Arrow record batches.

Needs the optional extra ``usagecodec[arrow]`` (pyarrow). Importing :mod:`usagecodec` never
imports pyarrow; importing this module does, and raises an :class:`ImportError` naming the
extra when it is missing.

Every record batch has the same flat columns, in this order:

========================  ========================================================
``total_tokens``          ``total_tokens``
``input_tokens``          ``input_tokens``
``output_tokens``         ``output_tokens``
``text_tokens``           ``input_tokens_details.text_tokens``
``image_tokens``          ``input_tokens_details.image_tokens``
``line``                  1-based line number of the record in its source (int64)
``source``                the source's name (string), only with ``source_column=True``
========================  ========================================================

Number types: one policy, ``dtype``, chosen before the first batch, here and in
:func:`usagecodec.dask.to_dataframe` alike. ``"int64"``: every token column is ``int64``; a
value with a fractional part (or beyond the 64-bit range) is an error naming its source and
line. ``"float64"``: every token column is ``float64`` (an integer above 2**53 is rounded to
the nearest double). ``"auto"`` (the default here; Dask frames, whose types must be known
before anything is read, take ``"int64"`` or ``"float64"`` only): a token column of a batch is
``int64`` when every value of that column in the batch was written as an integer literal
(``8105``), else ``float64`` (``8105.75``, ``8105.0`` and ``1e3`` are floats on the wire, as
everywhere in usagecodec). :func:`to_arrow` then unifies the batches (``float64`` when any
batch has it so); :func:`write_parquet` fixes the file's types with its first row group and
casts every later batch to them, refusing (with the line) a fraction for an ``int64`` column:
a written file is never rewritten. Exact sums of any mix are what :func:`usagecodec.summarize`
gives.

>>> import io, usagecodec.arrow
>>> table = usagecodec.arrow.to_arrow(io.BytesIO(
...     b'{"totalTokens":3,"inputTokens":2,"outputTokens":1,'
...     b'"inputTokensDetails":{"textTokens":1,"imageTokens":1}}\n'))
>>> table.column_names
['total_tokens', 'input_tokens', 'output_tokens', 'text_tokens', 'image_tokens', 'line']
>>> table.column("total_tokens").to_pylist(), str(table.schema.field("line").type)
([3], 'int64')
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import attrgetter
from typing import Any, Literal

import msgspec

try:
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.compute as pc  # type: ignore[import-untyped]
except ImportError as _exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("usagecodec.arrow needs pyarrow: pip install 'usagecodec[arrow]'") from _exc

from usagecodec._codec import Format, Wire
from usagecodec._models import INT64_MAX, INT64_MIN
from usagecodec._models import PostV2ProxyImagesVariationsUsage as Usage
from usagecodec._output import Output
from usagecodec._stream import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_MAX_LINE_BYTES,
    OnError,
    Source,
    UsageReader,
    read_usages,
)
from usagecodec._totals import TOKEN_FIELDS, BadLine

_np: Any
try:
    import numpy

    _np = numpy
except ImportError:  # pragma: no cover - pyarrow works without numpy, only slower here
    _np = None

__all__ = [
    "COLUMNS",
    "TOKEN_COLUMNS",
    "Dtype",
    "NoRows",
    "iter_batches",
    "record_batch",
    "schema",
    "to_arrow",
    "write_parquet",
]

TOKEN_COLUMNS: tuple[str, ...] = TOKEN_FIELDS
"""The five token columns, in order (nested fields by their leaf name)."""
COLUMNS: tuple[str, ...] = (*TOKEN_FIELDS, "line")
"""Every column of a batch without the optional ``source`` column."""

_T = attrgetter("total_tokens")
_I = attrgetter("input_tokens")
_O = attrgetter("output_tokens")
_D = attrgetter("input_tokens_details")
_X = attrgetter("text_tokens")
_M = attrgetter("image_tokens")

_ROW_GROUP_ROWS = 1 << 17  # 131,072 rows: ~6 MiB of columns buffered before a row group


def schema(
    *,
    floats: Iterable[str] = (),
    source_column: bool = False,
    kept: Sequence[tuple[str, Any]] = (),
) -> Any:
    """Return the Arrow schema of the batches.

    Args:
        floats: Names of the token columns that are ``float64``; the others are ``int64``.
        source_column: Include the ``source`` column (string).
        kept: ``(path, arrow type)`` of the columns of kept paths (``keep=``), last.

    Returns:
        A ``pyarrow.Schema``.

    Raises:
        ValueError: When ``floats`` names something that is not a token column.
    """
    floats = set(floats)
    unknown = floats.difference(TOKEN_COLUMNS)
    if unknown:
        raise ValueError(f"not token columns: {', '.join(sorted(unknown))}")
    fields = [
        pa.field(name, pa.float64() if name in floats else pa.int64(), nullable=False)
        for name in TOKEN_COLUMNS
    ]
    fields.append(pa.field("line", pa.int64(), nullable=False))
    if source_column:
        fields.append(pa.field("source", pa.string()))
    fields += [pa.field(name, kind) for name, kind in kept]
    return pa.schema(fields)


def _kept_column(values: list[Any]) -> Any:
    """A column of kept values: int64, float64, bool or string (mixed types: string)."""
    kinds = {type(v) for v in values if v is not None}
    if kinds == {bool}:
        return pa.array(values, type=pa.bool_())
    if kinds and kinds <= {int, float}:
        if kinds == {int} and all(v is None or INT64_MIN <= v <= INT64_MAX for v in values):
            return pa.array(values, type=pa.int64())
        if float in kinds or all(v is None or abs(v) < 2**1023 for v in values):
            return pa.array([None if v is None else float(v) for v in values], pa.float64())
    if kinds <= {str}:
        return pa.array(values, type=pa.string())
    return pa.array([None if v is None else _as_text(v) for v in values], type=pa.string())


def _as_text(value: Any) -> str:
    """A kept value in a string column: strings as they are, anything else as JSON text."""
    if isinstance(value, str):
        return value
    return msgspec.json.encode(value).decode()


Dtype = Literal["auto", "int64", "float64"]
"""The number type of the token columns (see the module docstring)."""

_DTYPES = ("auto", "int64", "float64")


def _check_dtype(dtype: object) -> None:
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(_DTYPES)}, not {dtype!r}")


def _fit(batch: Any, target: Any, source: str | None, why: str) -> Any:
    """``batch`` in the ``target`` schema, decided earlier; ValueError when it cannot be.

    int64 -> float64 (integers above 2**53 round) and anything -> string are always
    possible; float64 -> int64 only when every value is an integer in range, else the error
    names the first value that is not, its line, and the way out (``dtype='float64'``).
    """
    if batch.schema.equals(target):
        return batch
    for field in target:
        column = batch.column(field.name)
        if column.type == field.type or field.type != pa.int64():
            continue
        if column.type == pa.float64():
            bad = pc.or_(
                pc.not_equal(pc.trunc(column), column),
                pc.greater_equal(pc.abs(column), 2.0**63),
            )
            row = pc.index(bad, True).as_py()
            if row < 0:
                continue
            value = column[row].as_py()
        else:
            row, value = 0, column[0].as_py()
        lineno = batch.column("line")[row].as_py()
        where = f"{source}:{lineno}" if source else f"line {lineno}"
        what = "token count" if field.name in TOKEN_COLUMNS else "value"
        raise ValueError(
            f"{where}: {what} {value!r} in `{field.name}` does not fit its int64 column "
            f"({why}): pass dtype='float64'"
        )
    return batch.cast(target, safe=False)


def _check_keep(keep: Sequence[str], source_column: bool) -> None:
    taken = {*COLUMNS, "source"} if source_column else set(COLUMNS)
    for name in keep:
        if name in taken:
            raise ValueError(f"keep={name!r} would replace the {name!r} column")
    if len(set(keep)) != len(keep):
        raise ValueError(f"a kept path is given twice: {list(keep)}")


def _column(values: list[Any]) -> Any:
    # sum() of ints and floats is an int exactly when the list holds no float.
    if type(sum(values)) is int:
        if _np is not None:  # numpy converts a list of ints ~1.5x faster than pyarrow
            return pa.array(_np.array(values, dtype=_np.int64))
        return pa.array(values, type=pa.int64())
    # float() first: pyarrow refuses an int above 2**53 in a float64 array.
    return pa.array(list(map(float, values)), type=pa.float64())


def _line_column(lines: Sequence[int]) -> Any:
    if isinstance(lines, range):
        if _np is not None:
            return pa.array(_np.arange(lines.start, lines.stop, lines.step, dtype=_np.int64))
        lines = list(lines)  # pyarrow walks a range 3x slower than a list
    return pa.array(lines, type=pa.int64())


def record_batch(
    usages: Sequence[Usage],
    lines: Sequence[int],
    *,
    source: str | None = None,
    source_column: bool = False,
    keep: Sequence[str] = (),
    kept: Sequence[Sequence[Any]] = (),
    dtype: Dtype = "auto",
) -> Any:
    """Build one record batch from usages and their line numbers.

    This is the kernel of :func:`iter_batches`, for callers that drive a
    :class:`~usagecodec.UsageReader` themselves (``reader.numbered_batches()``).

    Args:
        usages: The usages.
        lines: The 1-based line number of each usage (same length).
        source: The value of the ``source`` column.
        source_column: Add the ``source`` column.
        keep: Names of kept columns (dotted paths).
        kept: For each usage, its values at the ``keep`` paths (see
            :meth:`UsageReader.kept_batches`).
        dtype: The token columns' type (see the module docstring): ``"auto"`` (per
            column, as the values say), ``"int64"`` or ``"float64"``.

    Returns:
        A ``pyarrow.RecordBatch`` with the columns of :func:`schema` (types as documented in
        the module: per column, ``int64`` when every value is an ``int``).

    Raises:
        ValueError: When ``usages`` and ``lines`` differ in length, or (``dtype="int64"``)
            a count is not an integer (naming the source and line).
    """
    if len(usages) != len(lines):
        raise ValueError(f"{len(usages)} usages but {len(lines)} line numbers")
    _check_dtype(dtype)
    details = list(map(_D, usages))
    columns = [
        _column(list(map(_T, usages))),
        _column(list(map(_I, usages))),
        _column(list(map(_O, usages))),
        _column(list(map(_X, details))),
        _column(list(map(_M, details))),
    ]
    columns.append(_line_column(lines))
    floats = [
        name
        for name, array in zip(TOKEN_COLUMNS, columns, strict=False)
        if array.type == pa.float64()
    ]
    if source_column:
        columns.append(pa.repeat(pa.scalar(source, pa.string()), len(usages)))
    kinds = []
    for k, name in enumerate(keep):
        column = _kept_column([values[k] for values in kept])
        columns.append(column)
        kinds.append((name, column.type))
    batch = pa.RecordBatch.from_arrays(
        columns, schema=schema(floats=floats, source_column=source_column, kept=kinds)
    )
    if dtype == "auto":
        return batch
    target = schema(
        floats=TOKEN_COLUMNS if dtype == "float64" else (),
        source_column=source_column,
        kept=kinds,
    )
    return _fit(batch, target, source, "dtype='int64'")


def _reader(
    source: Source | UsageReader,
    *,
    wire: Wire,
    at: str | None,
    strict: bool,
    on_error: OnError,
    max_line_bytes: int,
    chunk_size: int,
    format: Format,
) -> UsageReader:
    if not isinstance(source, UsageReader):
        return read_usages(
            source,
            wire=wire,
            at=at,
            strict=strict,
            on_error=on_error,
            max_line_bytes=max_line_bytes,
            chunk_size=chunk_size,
            format=format,
        )
    given = (wire, at, strict, on_error, max_line_bytes, chunk_size, format)
    default = ("camel", None, False, "raise", DEFAULT_MAX_LINE_BYTES, DEFAULT_CHUNK_SIZE, "json")
    if given != default:
        raise ValueError("give the reading options to the UsageReader, not with it")
    return source


def iter_batches(
    source: Source | UsageReader,
    *,
    wire: Wire = "camel",
    at: str | None = None,
    strict: bool = False,
    on_error: OnError = "raise",
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    format: Format = "json",
    source_column: bool = False,
    keep: Sequence[str] = (),
    dtype: Dtype = "auto",
) -> Iterator[Any]:
    """Decode an NDJSON source into Arrow record batches, one chunk at a time.

    Memory stays bounded: one chunk of input (``chunk_size`` bytes, or one line up to
    ``max_line_bytes``) and its batch at a time. Chunks without any usage (only bad, blank or
    usage-less lines) yield no batch. Types follow the module's rule: a token column of a
    batch is ``int64`` when all its values are ints, else ``float64``.

    Args:
        source: A path, ``"-"`` for standard input, a binary file object, or a
            :class:`~usagecodec.UsageReader` (to read its counters and collected ``errors``
            afterwards; the reading options are then the reader's own and must not be given
            here).
        wire: See :func:`usagecodec.read_usages`.
        at: See :func:`usagecodec.read_usages`.
        strict: See :func:`usagecodec.read_usages`.
        on_error: See :func:`usagecodec.read_usages`.
        max_line_bytes: See :func:`usagecodec.read_usages`.
        chunk_size: See :func:`usagecodec.read_usages`.
        format: ``"json"`` (NDJSON) or ``"msgpack"`` (a MessagePack stream, whose ``line``
            is the 1-based index of the document); see :func:`usagecodec.read_usages`.
        source_column: Add a ``source`` column holding the source's name.
        keep: Dotted paths of the whole record to keep as columns of their own, named as
            written (``"model"``, ``"request.team"``): ``int64``, ``float64``, ``bool`` or
            ``string`` (mixed types, objects and arrays: string, as JSON text for
            non-strings); null where a record has no value there.
        dtype: ``"auto"`` (each batch's token columns as its values say), ``"int64"`` or
            ``"float64"``: see the module docstring.

    Yields:
        ``pyarrow.RecordBatch`` objects, in input order.

    Raises:
        UsageDecodeError: In ``"raise"`` mode, at the first bad line.
        ValueError: When a reader is given together with reading options.
    """
    reader = _reader(
        source,
        wire=wire,
        at=at,
        strict=strict,
        on_error=on_error,
        max_line_bytes=max_line_bytes,
        chunk_size=chunk_size,
        format=format,
    )
    _check_dtype(dtype)
    if not keep:
        for usages, lines in reader.numbered_batches():
            if usages:
                yield record_batch(
                    usages, lines, source=reader.name, source_column=source_column, dtype=dtype
                )
        return
    keep = list(keep)
    _check_keep(keep, source_column)
    for usages, lines, values in reader.kept_batches(keep):
        if usages:
            yield record_batch(
                usages,
                lines,
                source=reader.name,
                source_column=source_column,
                keep=keep,
                kept=values,
                dtype=dtype,
            )


def _unified(schemas: Iterable[Any], source_column: bool, keep: Sequence[str] = ()) -> Any:
    schemas = list(schemas)
    floats = {
        field.name
        for s in schemas
        for field in s
        if field.name in TOKEN_COLUMNS and field.type == pa.float64()
    }
    kept = []
    for name in keep:
        kinds = {s.field(name).type for s in schemas if s.get_field_index(name) >= 0}
        if len(kinds) == 1:
            kind = kinds.pop()
        elif kinds == {pa.int64(), pa.float64()}:
            kind = pa.float64()
        else:
            kind = pa.string()
        kept.append((name, kind))
    return schema(floats=floats, source_column=source_column, kept=kept)


def _source_of(batch: Any) -> str | None:
    index = batch.schema.get_field_index("source")
    return None if index < 0 or not batch.num_rows else batch.column(index)[0].as_py()


def _cast(batch: Any, target: Any) -> Any:
    # int64 -> float64 (unsafe: integers above 2**53 round instead of failing); kept columns
    # of mixed types -> string.
    return batch if batch.schema.equals(target) else batch.cast(target, safe=False)


def to_arrow(
    source: Source | UsageReader,
    *,
    wire: Wire = "camel",
    at: str | None = None,
    strict: bool = False,
    on_error: OnError = "raise",
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    format: Format = "json",
    source_column: bool = False,
    keep: Sequence[str] = (),
    dtype: Dtype = "auto",
) -> Any:
    """Decode a whole NDJSON source into one Arrow table.

    The batches of :func:`iter_batches`, unified: a token column is ``float64`` when it is
    ``float64`` in any batch (its ``int64`` batches are cast), else ``int64``. A source
    without any usage gives an empty table with ``int64`` columns.

    Args:
        source: See :func:`iter_batches`.
        wire: See :func:`usagecodec.read_usages`.
        at: See :func:`usagecodec.read_usages`.
        strict: See :func:`usagecodec.read_usages`.
        on_error: See :func:`usagecodec.read_usages`.
        max_line_bytes: See :func:`usagecodec.read_usages`.
        chunk_size: See :func:`usagecodec.read_usages`.
        format: ``"json"`` (NDJSON) or ``"msgpack"`` (a MessagePack stream, whose ``line``
            is the 1-based index of the document); see :func:`usagecodec.read_usages`.
        source_column: Add a ``source`` column holding the source's name.
        keep: Paths to keep as columns (see :func:`iter_batches`); a column whose batches
            disagree on its type is ``float64`` for ints and floats, else ``string``.
        dtype: ``"auto"`` (a token column is ``float64`` when any batch has it so, its
            ``int64`` batches cast), ``"int64"`` or ``"float64"``: see the module docstring.

    Returns:
        A ``pyarrow.Table``.

    Raises:
        UsageDecodeError: In ``"raise"`` mode, at the first bad line.
    """
    batches = list(
        iter_batches(
            source,
            wire=wire,
            at=at,
            strict=strict,
            on_error=on_error,
            max_line_bytes=max_line_bytes,
            chunk_size=chunk_size,
            format=format,
            source_column=source_column,
            keep=keep,
            dtype=dtype,
        )
    )
    if not batches and dtype == "float64":
        return schema(floats=TOKEN_COLUMNS, source_column=source_column).empty_table()
    target = _unified((b.schema for b in batches), source_column, keep)
    return pa.Table.from_batches([_cast(b, target) for b in batches], schema=target)


class NoRows(ValueError):
    """Lines were read but none carried a usage (see ``write_parquet(require_rows=True)``).

    Attributes:
        lines: The lines read.
    """

    def __init__(self, lines: int) -> None:
        super().__init__(f"no record carried a usage ({lines:,} lines read)")
        self.lines = lines


class _ParquetSink:
    """Write batches to one Parquet file, in bounded memory, never rewriting what is written.

    Rows are buffered into row groups of ``row_group_rows``. The file's schema is fixed when
    the first row group is written (with ``dtype="auto"``, by that row group's types); every
    later batch is cast to it, or refused with an error naming its line when it cannot be (a
    fraction for an ``int64`` column). Everything goes to a temporary file beside the target
    (:class:`~usagecodec._output.Output`), renamed over it by :meth:`commit`; :meth:`abort`
    removes it.
    """

    def __init__(
        self,
        output: Output,
        *,
        source_column: bool,
        compression: str,
        rows: int,
        keep: Sequence[str] = (),
        dtype: Dtype = "auto",
    ) -> None:
        import pyarrow.parquet as pq  # type: ignore[import-untyped]  # noqa: PLC0415

        self._pq = pq
        self.output = output
        self.tmp = output.path()
        self.source_column = source_column
        self.compression = compression
        self.rows = rows
        self.keep = list(keep)
        self.dtype = dtype
        self.writer: Any = None
        self.schema: Any = None
        self.buffer: list[Any] = []
        self.buffered = 0
        self.written = 0

    def write(self, batch: Any) -> None:
        self.buffer.append(batch)
        self.buffered += batch.num_rows
        if self.buffered >= self.rows:
            self._flush()

    def _flush(self) -> None:
        if not self.buffer:
            return
        target = _unified(
            [b.schema for b in self.buffer] + ([self.schema] if self.schema else []),
            self.source_column,
            self.keep,
        )
        if self.writer is None:
            self.writer = self._open(self.tmp, target)
            batches = [_cast(b, target) for b in self.buffer]
        else:
            target = self.schema
            why = "fixed by the file's first row group"
            batches = [_fit(b, target, _source_of(b), why) for b in self.buffer]
        table = pa.Table.from_batches(batches, schema=target)
        self.writer.write_table(table, row_group_size=self.rows)
        self.written += table.num_rows
        self.buffer, self.buffered = [], 0

    def _open(self, path: str, target: Any) -> Any:
        self.schema = target
        return self._pq.ParquetWriter(path, target, compression=self.compression)

    def commit(self) -> int:
        self._flush()
        if self.writer is None:  # no row at all: an empty file (int64 unless float64 asked)
            empty = schema(
                floats=TOKEN_COLUMNS if self.dtype == "float64" else (),
                source_column=self.source_column,
                kept=[(name, pa.string()) for name in self.keep],
            )
            self.writer = self._open(self.tmp, empty)
        self.writer.close()
        self.output.commit()
        return self.written

    def abort(self) -> None:
        if self.writer is not None:
            with contextlib.suppress(Exception):
                self.writer.close()
        self.output.abort()


def write_parquet(
    sources: Source | Iterable[Source],
    where: str | os.PathLike[str],
    *,
    wire: Wire = "camel",
    at: str | None = None,
    strict: bool = False,
    on_error: OnError = "raise",
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    format: Format = "json",
    source_column: bool = True,
    compression: str = "zstd",
    row_group_rows: int = _ROW_GROUP_ROWS,
    on_bad_line: Callable[[BadLine], None] | None = None,
    require_rows: bool = False,
    keep: Sequence[str] = (),
    dtype: Dtype = "auto",
) -> int:
    """Decode NDJSON sources into one Parquet file, in bounded memory.

    The sources are read in order, one chunk at a time; rows are buffered into row groups of
    ``row_group_rows``. Column types follow ``dtype`` and are fixed before the first row
    group is written: a file is never rewritten. It appears only when everything was
    written: it is built under a temporary name in the same folder and renamed at the end,
    so an error (a bad line in ``"raise"`` mode, a fraction for an ``int64`` column, a full
    disk) leaves no partial file.

    Args:
        sources: A path, ``"-"``, a binary file object, or an iterable of them.
        where: The Parquet file to write (replaced if it exists).
        wire: See :func:`usagecodec.read_usages`.
        at: See :func:`usagecodec.read_usages`.
        strict: See :func:`usagecodec.read_usages`.
        on_error: See :func:`usagecodec.read_usages`.
        max_line_bytes: See :func:`usagecodec.read_usages`.
        chunk_size: See :func:`usagecodec.read_usages`.
        format: ``"json"`` (NDJSON) or ``"msgpack"`` (a MessagePack stream, whose ``line``
            is the 1-based index of the document); see :func:`usagecodec.read_usages`.
        source_column: Add the ``source`` column (the name of each row's source), so that
            the ``line`` numbers of several sources stay meaningful.
        compression: Parquet compression codec (``"zstd"``, ``"snappy"``, ``"none"``...).
        row_group_rows: Rows per row group (the memory bound).
        on_bad_line: With ``on_error="collect"``, called with each bad line as it is found
            (then forgotten, keeping memory bounded).
        require_rows: Raise :class:`NoRows` (writing nothing) when lines were read but none
            carried a usage, instead of writing an empty file.
        keep: Paths to keep as columns (see :func:`iter_batches` and :func:`to_arrow`).
        dtype: ``"int64"``, ``"float64"`` or ``"auto"`` (the default: the types of the first
            row group, after which a fraction for an ``int64`` column is an error): see the
            module docstring. A written file is never rewritten.

    Returns:
        The number of rows written.

    Raises:
        UsageDecodeError: In ``"raise"`` mode, at the first bad line.
        NoRows: With ``require_rows``, when no line carried a usage.
        OSError: When a source cannot be read or the file cannot be written (the target is
            then untouched: rows go to a temporary file beside it, renamed on success).
        ValueError: When ``where`` is one of the sources or a directory (before anything is
            written), or an option is out of range.
    """
    if row_group_rows < 1:
        raise ValueError("row_group_rows must be positive")
    if isinstance(sources, (str, os.PathLike)) or hasattr(sources, "read"):
        items: list[Source] = [sources]  # type: ignore[list-item]
    else:
        items = list(sources)
    # Refused before anything is written: the output is an input, or a directory.
    output = Output(where, [os.fspath(i) for i in items if isinstance(i, (str, os.PathLike))])
    keep = list(keep)
    _check_keep(keep, source_column)
    _check_dtype(dtype)
    sink = _ParquetSink(
        output,
        source_column=source_column,
        compression=compression,
        rows=row_group_rows,
        keep=keep,
        dtype=dtype,
    )
    lines_read = 0
    try:
        for item in items:
            reader = read_usages(
                item,
                wire=wire,
                at=at,
                strict=strict,
                on_error=on_error,
                max_line_bytes=max_line_bytes,
                chunk_size=chunk_size,
                format=format,
            )
            batches = (
                reader.kept_batches(keep)
                if keep
                else ((u, n, ()) for u, n in reader.numbered_batches())
            )
            for usages, lines, values in batches:
                if usages:
                    sink.write(
                        record_batch(
                            usages,
                            lines,
                            source=reader.name,
                            source_column=source_column,
                            keep=keep,
                            kept=values,
                            dtype=dtype,
                        )
                    )
                if on_bad_line is not None and reader.errors:
                    for err in reader.errors:
                        on_bad_line(err)
                    reader.errors.clear()
            lines_read += reader.lines
        if require_rows and lines_read and not sink.written and not sink.buffered:
            raise NoRows(lines_read)
        return sink.commit()
    except BaseException:
        sink.abort()
        raise
