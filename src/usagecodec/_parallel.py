"""Parallel runs: byte ranges of a file read by worker processes, and the parts added up.

``summarize(workers=N)`` splits files at newline boundaries into byte ranges, runs them in
forked (or spawned) child processes that send back :class:`Part` results (totals, never
records), reads one share itself, and adds the parts up in file order, fixing the line
numbers of collected errors. :mod:`usagecodec.dask` uses :class:`Part` the same way.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

import msgspec
from msgspec import Struct

from ._errors import UsageDecodeError
from ._groups import GroupedTotals, KeySpec
from ._options import ReadOptions
from ._totals import Totals

__all__ = [
    "Part",
    "Specs",
    "Task",
    "merge_grouped",
    "merge_parts",
    "range_tasks",
    "read_part",
    "run_tasks",
]

Specs = tuple[KeySpec, ...] | None
"""Group keys for a grouped run, or None."""


class Task(Struct, frozen=True):
    """A piece of work for one process: the lines that *start* in [start, end) of a file.

    ``end == -1`` means the whole file, read through :func:`._framing.open_source` (a
    compressed file, a MessagePack stream: neither can be cut at a byte offset).
    """

    index: int
    path: str
    start: int
    end: int


def _read_task(task: Task, options: ReadOptions, specs: Specs) -> tuple[int, Part]:
    """Worker: the part of one task; in raise mode, stop at its first bad line."""
    from ._stream import UsageReader  # noqa: PLC0415 - the reader module imports this one

    if task.end < 0:
        return task.index, read_part(UsageReader(task.path, options), specs)
    with open(task.path, "rb") as f:
        reader = UsageReader._part(f, options, name=task.path, byte_range=(task.start, task.end))
        return task.index, read_part(reader, specs)


def range_tasks(path: str, size: int, workers: int, first: int) -> list[Task]:
    """Byte ranges of a file for ``workers`` processes, numbered from ``first``."""
    # Ranges of at most about 64 MiB (a worker's results arrive as it goes, and a slow range
    # weighs less), a multiple of the workers in number, so that every worker gets as many.
    n = workers * max(1, -(-size // ((64 << 20) * workers)))
    bounds = [size * k // n for k in range(n + 1)]
    return [Task(first + k, path, bounds[k], bounds[k + 1]) for k in range(n)]


def run_tasks(
    tasks: list[Task],
    workers: int,
    options: ReadOptions,
    progress: Callable[[int, int], None] | None,
    base: int,
    *,
    specs: Specs = None,
) -> list[Part]:
    """The parts of ``tasks`` (in task order), read by ``workers`` processes (this one too)."""
    import multiprocessing  # noqa: PLC0415 - only parallel runs pay for it
    import threading  # noqa: PLC0415

    sizes = [
        (t.end - t.start) if t.end >= 0 else _file_size(t.path) for t in sorted(tasks, key=_index)
    ]
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
        if not share:
            continue
        receive, send = context.Pipe(duplex=False)
        child = context.Process(
            target=_child, args=(send, share, options, specs), daemon=True
        )
        child.start()
        send.close()
        children.append((child, receive))
    results: list[Part | None] = [None] * len(tasks)
    first = min((t.index for t in tasks), default=0)
    done_bytes = done_records = 0

    def collect(parts: list[tuple[int, Part]]) -> None:
        nonlocal done_bytes, done_records
        for index, part in parts:
            results[index - first] = part
            done_bytes += sizes[index - first]
            done_records += part.totals.records
        if progress is not None:
            progress(base + done_bytes, done_records)

    try:
        collect([_read_task(task, options, specs) for task in shares[0]])  # this one's share
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
    return [r for r in results if r is not None]


def _file_size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _index(task: Task) -> int:
    return task.index


def _child(send: Any, share: list[Task], options: ReadOptions, specs: Specs) -> None:
    """Worker process: the parts of its tasks, or the exception that stopped it."""
    try:
        send.send(("ok", [_read_task(task, options, specs) for task in share]))
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
    groups: dict[tuple[Any, ...], Totals] | None = None


def read_part(reader: Any, specs: tuple[KeySpec, ...] | None = None) -> Part:
    """Read a whole piece (grouped by ``specs`` if given); in raise mode, stop at a bad line."""
    try:
        if specs is None:
            return Part(reader.totals(), reader.lines)
        grouped = reader.grouped(specs)
    except UsageDecodeError as err:
        return Part(Totals(), reader.lines, err, None if specs is None else {})
    return Part(grouped.total, reader.lines, None, dict(grouped))


def merge_parts(parts: Iterable[Part]) -> Totals:
    """Add up the parts of one source, in order, making line numbers absolute.

    Raises:
        UsageDecodeError: For the first part that stopped on a bad line (raise mode).
    """
    return _merge(parts)[0]


def merge_grouped(parts: Iterable[Part], by: Iterable[str]) -> GroupedTotals:
    """:func:`merge_parts` for parts read with group keys: the grouped totals of the source."""
    total, groups = _merge(parts)
    return GroupedTotals(tuple(by), groups, total)


def _merge(parts: Iterable[Part]) -> tuple[Totals, dict[tuple[Any, ...], Totals]]:
    total = Totals()
    groups: dict[tuple[Any, ...], Totals] = {}
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
        for key, value in (part.groups or {}).items():
            mine = groups.get(key)
            groups[key] = value if mine is None else mine + value
        lines_before += part.lines
    return total, groups
