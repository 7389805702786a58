"""Summaries and data frames of many large NDJSON files on a Dask cluster.

Needs the optional extra ``usagecodec[dask]`` (dask, distributed; :func:`to_dataframe` also
needs pandas and pyarrow, which ``dask[dataframe]`` brings). Importing :mod:`usagecodec` never
imports dask; importing this module does, and raises an :class:`ImportError` naming the extra
when it is missing.

How the work is split: :func:`dask.bytes.read_bytes` cuts every file into blocks of about
``blocksize`` bytes at line boundaries (a block starts just after a newline and ends just
after one, or at the end of the file; a line is never split nor repeated, and a line longer
than the block size makes its block longer). Each block is decoded on a worker by the same
decoder as :func:`usagecodec.summarize`, which sends back its totals (a small
:class:`~usagecodec._stream.Part`), never records. The client adds the parts up file by file,
in order, turning the line numbers of collected errors into line numbers of the file.

Which files, in what order: a string is a path, a glob (``"logs/*.ndjson"``) or a URL that
fsspec understands (``"s3://bucket/logs/*.ndjson"``, with its filesystem package installed);
a glob expands in sorted order (lexicographic, by full path). A list of paths or globs keeps
its order. Files are named in errors as fsspec lists them: the absolute path for local files,
the URL (with its protocol) otherwise. So ``usagecodec.dask.summarize(pattern)`` equals
``usagecodec.summarize(sorted(glob.glob(os.path.abspath(pattern))))`` exactly: counts, exact
sums, collected errors and, in ``"raise"`` mode, the first error (file order, then line
order).

Where it runs: on the ``scheduler`` given, else on the current :class:`distributed.Client`
when there is one, else on Dask's default scheduler for delayed work (threads of this
process, which the GIL serialises: pass ``scheduler="processes"`` or start a client).
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

try:
    from dask.base import compute
    from dask.bytes.core import read_bytes
    from dask.delayed import delayed
except ImportError as _exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "usagecodec.dask needs dask and distributed: pip install 'usagecodec[dask]'"
    ) from _exc

from usagecodec._codec import Wire
from usagecodec._errors import UsageDecodeError
from usagecodec._groups import GroupedTotals, KeySpec, parse_specs
from usagecodec._parallel import merge_grouped
from usagecodec._stream import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_MAX_LINE_BYTES,
    OnError,
    Part,
    ReadOptions,
    UsageReader,
    count_lines,
    merge_parts,
    read_part,
)
from usagecodec._totals import TOKEN_FIELDS, Totals

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = ["DEFAULT_BLOCKSIZE", "URLPath", "summarize", "to_dataframe"]

URLPath = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
"""A path, glob or URL, or a list of them."""

DEFAULT_BLOCKSIZE = 64 << 20
"""Bytes per block (64 MiB): large enough that task overhead stays negligible."""


# --- splitting ------------------------------------------------------------------------------


def _blocks(
    urlpath: URLPath, blocksize: int | str | None, storage_options: dict[str, Any] | None
) -> tuple[list[list[Any]], list[str]]:
    """Delayed blocks of every file (a list per file) and the name of each file."""
    import fsspec.core  # type: ignore[import-untyped]  # noqa: PLC0415 - dask needs fsspec
    from fsspec.implementations.local import (  # type: ignore[import-untyped]  # noqa: PLC0415
        LocalFileSystem,
    )

    if isinstance(urlpath, (str, os.PathLike)):
        spec: str | list[str] = os.fspath(urlpath)
    else:
        spec = [os.fspath(p) for p in urlpath]
        if not spec:
            return [], []
    options = storage_options or {}
    # Compressed files (by their extension: .gz, .bz2, .xz, .zst...) are decompressed by
    # fsspec and read whole, one block a file: a compressed stream cannot be cut anywhere.
    from fsspec.utils import infer_compression  # type: ignore[import-untyped]  # noqa: PLC0415

    _, _, expanded = fsspec.core.get_fs_token_paths(spec, storage_options=options)
    if any(infer_compression(p) for p in expanded):
        blocksize = None
    _, blocks, paths = read_bytes(  # type: ignore[no-untyped-call]
        spec,
        delimiter=b"\n",
        blocksize=blocksize,
        sample=False,
        include_path=True,
        compression="infer",
        **options,
    )
    first = spec if isinstance(spec, str) else spec[0]
    fs, _ = fsspec.core.url_to_fs(first, **options)
    if isinstance(fs, LocalFileSystem):
        names = [str(p) for p in paths]
    else:
        names = [fs.unstrip_protocol(p) for p in paths]
    return blocks, names


def _lines_after(before: int, block: bytes) -> int:
    return before + count_lines(block)


def _options(
    *,
    wire: Wire,
    at: str | None,
    strict: bool,
    on_error: OnError,
    max_line_bytes: int,
    chunk_size: int,
) -> ReadOptions:
    # Built (and so checked) here: bad options are refused now, not on a worker.
    return ReadOptions(
        wire=wire,
        at=at,
        strict=strict,
        on_error=on_error,
        max_line_bytes=max_line_bytes,
        chunk_size=chunk_size,
    )


@contextlib.contextmanager
def _scheduler(scheduler: Any) -> Iterator[Any]:
    """The scheduler for dask.compute; an address gets a client of its own, closed after."""
    if isinstance(scheduler, str) and "://" in scheduler:
        from distributed import Client  # noqa: PLC0415

        with Client(scheduler, set_as_default=False) as client:  # type: ignore[no-untyped-call]
            yield client
    else:
        yield scheduler


# --- summaries ------------------------------------------------------------------------------


def _read_block(
    block: bytes,
    name: str,
    options: ReadOptions,
    specs: tuple[KeySpec, ...] | None = None,
    first: bool = True,
) -> Part:
    """Worker: the totals of one block (in raise mode, up to its first bad line)."""
    reader = UsageReader._part(io.BytesIO(block), options, name=name, at_start=first)
    return read_part(reader, specs)


def summarize(
    urlpath: URLPath,
    *,
    blocksize: int | str | None = DEFAULT_BLOCKSIZE,
    wire: Wire = "camel",
    at: str | None = None,
    strict: bool = False,
    on_error: OnError = "raise",
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    scheduler: Any = None,
    storage_options: dict[str, Any] | None = None,
    by: Iterable[str] | None = None,
    by_file: bool = False,
) -> Any:
    """Totals of many NDJSON files, computed block by block on a Dask cluster.

    The result equals what :func:`usagecodec.summarize` gives for the same files in the same
    order (see the module's documentation for the order and the file names): counts, exact
    sums, collected errors with their line numbers in the file, and in ``"raise"`` mode the
    same first error. Every block is read even in ``"raise"`` mode.

    Args:
        urlpath: A path, glob or URL, or a list of them (see the module's documentation).
        blocksize: Bytes per block (an int or a string such as ``"64 MiB"``); ``None`` reads
            each file as one block.
        wire: See :func:`usagecodec.read_usages`.
        at: See :func:`usagecodec.read_usages`.
        strict: See :func:`usagecodec.read_usages`.
        on_error: See :func:`usagecodec.read_usages`.
        max_line_bytes: See :func:`usagecodec.read_usages`.
        chunk_size: See :func:`usagecodec.read_usages`.
        scheduler: Where to run: ``None`` (the current ``distributed.Client`` if there is
            one, else Dask's default), a ``distributed.Client``, a scheduler address such as
            ``"tcp://10.0.0.5:8786"`` (a client is connected for this call and closed after)
            or a Dask scheduler name (``"threads"``, ``"processes"``, ``"sync"``).
        storage_options: Options for the fsspec filesystem (credentials, endpoints).
        by: Group keys, as for :func:`usagecodec.summarize`: the result is then the
            :class:`~usagecodec.GroupedTotals` that :func:`usagecodec.summarize` gives.
        by_file: Also group by file (the key ``"file"``, the file's name).

    Returns:
        The :class:`~usagecodec.Totals` of all files, in order (a
        :class:`~usagecodec.GroupedTotals` with ``by`` or ``by_file``).

    Raises:
        UsageDecodeError: In ``"raise"`` mode, for the first bad line (file order).
        OSError: When the path resolves to no file, or a file cannot be read.
        ValueError: For an unknown option value.
    """
    options = _options(
        wire=wire,
        at=at,
        strict=strict,
        on_error=on_error,
        max_line_bytes=max_line_bytes,
        chunk_size=chunk_size,
    )
    specs = parse_specs(by or (), by_file=by_file) if by is not None or by_file else None
    blocks, names = _blocks(urlpath, blocksize, storage_options)
    read = delayed(_read_block, pure=True)
    tasks = [
        [read(block, name, options, specs, k == 0) for k, block in enumerate(file_blocks)]
        for file_blocks, name in zip(blocks, names, strict=True)
    ]
    flat = [task for file_tasks in tasks for task in file_tasks]
    parts: Sequence[Part] = ()
    if flat:
        with _scheduler(scheduler) as where:
            parts = compute(*flat, scheduler=where)  # type: ignore[no-untyped-call]
    if specs is None:
        total: Any = Totals()
    else:
        total = GroupedTotals([spec.text for spec in specs], {}, Totals())
    start = 0
    for file_tasks in tasks:
        mine = parts[start : start + len(file_tasks)]
        if specs is None:
            total = total + merge_parts(mine)
        else:
            total = total + merge_grouped(mine, [spec.text for spec in specs])
        start += len(file_tasks)
    return total


# --- data frames ----------------------------------------------------------------------------


def _frame_schema(dtype: str, keep: Sequence[str] = ()) -> Any:
    import pyarrow as pa  # type: ignore[import-untyped]  # noqa: PLC0415

    from usagecodec import arrow  # noqa: PLC0415

    floats = TOKEN_FIELDS if dtype == "float64" else ()
    kept = [(name, pa.string()) for name in keep]
    return arrow.schema(floats=floats, source_column=True, kept=kept)


def _block_frame(  # noqa: PLR0917 - a delayed task: arguments are positional
    block: bytes,
    name: str,
    before: int,
    options: ReadOptions,
    dtype: str,
    keep: Sequence[str] = (),
    first: bool = True,
) -> Any:
    """Worker: the pandas frame of one block, line numbers made absolute with ``before``."""
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.compute as pc  # type: ignore[import-untyped]  # noqa: PLC0415

    from usagecodec import arrow  # noqa: PLC0415

    target = _frame_schema(dtype, keep)
    line = target.get_field_index("line")
    batches = []
    reader = UsageReader._part(io.BytesIO(block), options, name=name, at_start=first)
    try:
        for found in arrow.iter_batches(reader, source_column=True, keep=keep):
            batch = found
            if before:
                batch = found.set_column(line, "line", pc.add(found.column(line), before))
            batches.append(_to_dtype(batch, target, name))
    except UsageDecodeError as err:
        raise err.located(lineno=(err.lineno or 0) + before) from err.__cause__
    return pa.Table.from_batches(batches, schema=target).to_pandas()


def _to_dtype(batch: Any, target: Any, name: str) -> Any:
    """Cast a batch to the frame's types; a fraction in an int64 frame is an error."""
    from usagecodec import arrow  # noqa: PLC0415

    return arrow._fit(batch, target, name, "dtype='int64'")


def to_dataframe(
    urlpath: URLPath,
    *,
    blocksize: int | str | None = DEFAULT_BLOCKSIZE,
    wire: Wire = "camel",
    at: str | None = None,
    strict: bool = False,
    on_error: Literal["raise", "skip"] = "raise",
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    dtype: Literal["int64", "float64"] = "int64",
    storage_options: dict[str, Any] | None = None,
    keep: Sequence[str] = (),
) -> dd.DataFrame:
    """A Dask DataFrame of the usages of many NDJSON files, one partition per block.

    Columns: ``total_tokens``, ``input_tokens``, ``output_tokens``, ``text_tokens``,
    ``image_tokens`` (all of ``dtype``), ``line`` (int64, the line number in the file) and
    ``source`` (string, the file's name as the module's documentation says). Files and
    blocks come in the order of :func:`summarize`. Nothing is read until the frame is
    computed (grouped, filtered, written with ``to_parquet``...), on whatever scheduler
    computes it.

    A Dask DataFrame needs one type per column before any data is read, so the number type is
    chosen, not inferred: with ``dtype="int64"`` (the default; token counts are integers in
    practice) a value with a fractional part makes the computation fail with a
    :class:`ValueError` naming the file and line; ``dtype="float64"`` takes every value
    (integers above 2**53 are rounded). A value written ``1e3`` or ``8105.0`` is integral
    and fits ``int64``.

    Args:
        urlpath: A path, glob or URL, or a list of them.
        blocksize: Bytes per block (and so per partition); ``None`` for one per file.
        wire: See :func:`usagecodec.read_usages`.
        at: See :func:`usagecodec.read_usages`.
        strict: See :func:`usagecodec.read_usages`.
        on_error: ``"raise"`` (computing fails with the first bad line met, its line number
            in the file) or ``"skip"``. Use :func:`summarize` to collect bad lines.
        max_line_bytes: See :func:`usagecodec.read_usages`.
        chunk_size: See :func:`usagecodec.read_usages`.
        dtype: ``"int64"`` or ``"float64"``, the type of the five token columns.
        storage_options: Options for the fsspec filesystem.
        keep: Dotted paths of the whole record kept as columns of their own, after
            ``source``. A frame's types are fixed before anything is read, so these columns
            are strings: a string as it is, any other value as its JSON text, null where a
            record has none (``usagecodec.arrow`` infers their types instead).

    Returns:
        A lazy ``dask.dataframe.DataFrame``.

    Raises:
        ValueError: For an unknown option value (``on_error="collect"`` included).
        OSError: When the path resolves to no file.
    """
    import dask.dataframe as dd  # noqa: PLC0415

    if on_error not in ("raise", "skip"):
        raise ValueError(
            f"on_error must be raise or skip, not {on_error!r} (summarize collects bad lines)"
        )
    if dtype not in ("int64", "float64"):
        raise ValueError(f"dtype must be int64 or float64, not {dtype!r}")
    from usagecodec import arrow  # noqa: PLC0415

    keep = list(keep)
    arrow._check_keep(keep, source_column=True)
    options = _options(
        wire=wire,
        at=at,
        strict=strict,
        on_error=on_error,
        max_line_bytes=max_line_bytes,
        chunk_size=chunk_size,
    )
    blocks, names = _blocks(urlpath, blocksize, storage_options)
    frame = delayed(_block_frame, pure=True)
    count = delayed(_lines_after, pure=True)
    parts = []
    for file_blocks, name in zip(blocks, names, strict=True):
        before: Any = 0
        for k, block in enumerate(file_blocks):
            parts.append(frame(block, name, before, options, dtype, keep, k == 0))
            before = count(before, block)
    meta = _frame_schema(dtype, keep).empty_table().to_pandas()
    frame_of: Any = dd.from_delayed if parts else dd.from_pandas
    if not parts:
        return frame_of(meta, npartitions=1)  # type: ignore[no-any-return]
    return frame_of(parts, meta=meta, verify_meta=True)  # type: ignore[no-any-return]
