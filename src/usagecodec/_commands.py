"""What each command of ``usagecodec`` does: summarize, validate, convert, schema.

:mod:`._cli` parses the arguments and maps failures to exit statuses; the functions here do
the work and raise the failures of :mod:`._cli_io`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from importlib import resources
from typing import IO, Any

import msgspec

from ._cli_io import (
    EXIT_BAD_DATA,
    EXIT_OK,
    PROG,
    BadData,
    NothingMatched,
    Progress,
    Sink,
    TextOut,
    UsageFailure,
    WriteFailure,
    cli_words,
    err,
    progress_enabled,
)
from ._codec import UsageCodec
from ._errors import UsageDecodeError
from ._framing import open_source as _open_input
from ._groups import GroupedTotals, KeySpec, Price, parse_specs
from ._options import ReadOptions, path_keys
from ._output import Output, OutputRefused
from ._report import Prices, group_rows, groups_json, load_prices
from ._stream import (
    DEFAULT_CHUNK_SIZE,
    OnError,
    UsageReader,
    summarize_with,
)
from ._totals import TOKEN_FIELDS, Totals, exact_decimal

__all__ = ["COMMANDS", "demo_path", "usage_path"]


# --- inputs ------------------------------------------------------------------------------------


def demo_path() -> str:
    return str(resources.files("usagecodec").joinpath("data/demo.ndjson"))


def _inputs(args: argparse.Namespace) -> list[str]:
    files: list[str] = list(args.files)
    if getattr(args, "demo", False):
        if files:
            raise UsageFailure("--demo reads the bundled sample: give no FILE with it")
        return [demo_path()]
    if not files:
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageFailure("no input: give FILE arguments, '-' for standard input, or --demo")
        return ["-"]
    if files.count("-") > 1:
        raise UsageFailure("standard input ('-') can be read only once")
    for name in files:
        if name == "-":
            continue
        if not os.path.exists(name):
            raise UsageFailure(f"{name}: no such file")
        if os.path.isdir(name):
            raise UsageFailure(f"{name}: is a directory")
        if not os.access(name, os.R_OK):
            raise UsageFailure(f"{name}: permission denied")
    return files


def _total_size(files: Sequence[str]) -> int | None:
    try:
        return sum(os.path.getsize(f) for f in files if f != "-") if "-" not in files else None
    except OSError:
        return None



# --- commands ----------------------------------------------------------------------------------


def _check_format(args: argparse.Namespace) -> None:
    if args.input_format == "msgpack" and getattr(args, "at", None):
        raise UsageFailure("--at applies to NDJSON records, not to --input-format msgpack")


def _read_options(args: argparse.Namespace, on_error: OnError) -> ReadOptions:
    """The command's reading options, checked once (a bad value is a usage error)."""
    _check_format(args)
    try:
        return ReadOptions(
            wire=args.wire,
            at=getattr(args, "at", None),
            strict=args.strict,
            on_error=on_error,
            max_line_bytes=args.max_line_bytes,
            chunk_size=min(DEFAULT_CHUNK_SIZE, args.max_line_bytes),
            format=args.input_format,
        )
    except (ValueError, TypeError) as exc:
        text = str(exc)
        raise UsageFailure("--" + text if text.startswith("at ") else text) from None


_SCHEDULER_NAMES = ("threads", "processes", "sync", "synchronous", "single-threaded")


def _cmd_summarize(args: argparse.Namespace, out: TextOut) -> int:
    on_error: OnError = args.on_error or ("collect" if args.demo else "raise")
    options = _read_options(args, on_error)
    specs, prices = _breakdown(args)
    if args.scheduler:
        return _summarize_on_cluster(args, out)
    files = _inputs(args)
    progress = Progress(progress_enabled(args), _total_size(files))
    try:
        result = summarize_with(
            files,
            options,
            workers=args.workers,
            progress=progress if progress.enabled else None,
            specs=specs,
        )
    finally:
        progress.close()
    _write_summary(result, files, args, out, prices)
    totals = result if isinstance(result, Totals) else result.total
    _check_matched(totals.lines, totals.records, files, options)
    return EXIT_OK  # bad lines were counted, as --on-error asked (raise stops with status 1)


def _breakdown(args: argparse.Namespace) -> tuple[tuple[KeySpec, ...] | None, Prices | None]:
    """The group keys and prices the command asks for (checked: a bad one is a usage error)."""
    try:
        specs = parse_specs(args.by, by_file=args.by_file) if args.by or args.by_file else None
    except ValueError as exc:
        raise UsageFailure(f"--by: {exc}") from None
    if args.price and args.prices:
        raise UsageFailure("--price and --prices exclude each other")
    prices: Prices | None = None
    if args.price:
        try:
            prices = Prices(single=Price.parse(args.price))
        except ValueError as exc:
            raise UsageFailure(f"--price: {exc}") from None
    elif args.prices:
        if specs is None:
            raise UsageFailure("--prices prices the values of a group key: add --by KEY")
        try:
            prices = load_prices(args.prices, [spec.text for spec in specs])
        except ValueError as exc:
            raise UsageFailure(f"--prices: {exc}") from None
    if args.sort == "cost" and prices is None:
        raise UsageFailure("--sort cost needs --price or --prices")
    if (args.sort != "key" or args.top) and specs is None:
        raise UsageFailure("--sort and --top order the groups of --by or --by-file")
    return specs, prices


def _write_summary(
    result: Totals | GroupedTotals,
    files: Sequence[str],
    args: argparse.Namespace,
    out: Any,
    prices: Prices | None = None,
) -> None:
    grouped = result if isinstance(result, GroupedTotals) else None
    totals = result if isinstance(result, Totals) else result.total
    if args.json:
        data = totals.to_dict()
        if grouped is not None:
            data["groups"], overall = groups_json(grouped, prices, args.sort)
            data.update(overall)
        elif prices is not None and prices.single is not None:
            data["cost"] = totals.cost(prices.single)
        out.write(_JSON.encode(data).decode() + "\n")
        return
    text = _table(totals, files, args)
    if grouped is not None:
        text += "\n" + "\n".join(group_rows(grouped, prices, args.sort, args.top)) + "\n"
    elif prices is not None and prices.single is not None:
        text += f"\n  cost (USD)  {totals.cost(prices.single):,.4f}\n"
    out.write(text)


_JSON = msgspec.json.Encoder(decimal_format="number")


def _summarize_on_cluster(args: argparse.Namespace, out: TextOut) -> int:
    files = [demo_path()] if args.demo and not args.files else list(args.files)
    if args.demo and args.files:
        raise UsageFailure("--demo reads the bundled sample: give no FILE with it")
    if not files or "-" in files:
        raise UsageFailure(
            "--scheduler reads files on the cluster: give FILE paths, globs or URLs, not "
            "standard input (unset USAGECODEC_SCHEDULER to read it here)"
        )
    if args.workers != 1:
        raise UsageFailure("--workers and --scheduler exclude each other")
    if args.input_format != "json":
        raise UsageFailure("--scheduler reads NDJSON: MessagePack streams cannot be split")
    if "://" not in args.scheduler and args.scheduler not in _SCHEDULER_NAMES:
        raise UsageFailure(
            f"--scheduler {args.scheduler!r}: expected an address such as "
            f"tcp://host:8786, or one of {', '.join(_SCHEDULER_NAMES)}"
        )
    try:
        from . import dask as on_dask  # noqa: PLC0415
    except ImportError:
        raise UsageFailure(
            "--scheduler needs dask and distributed: pip install 'usagecodec[dask]'"
        ) from None
    on_error: OnError = args.on_error or ("collect" if args.demo else "raise")
    specs, prices = _breakdown(args)
    try:
        result = on_dask.summarize(
            files,
            scheduler=args.scheduler,
            wire=args.wire,
            at=args.at,
            strict=args.strict,
            on_error=on_error,
            max_line_bytes=args.max_line_bytes,
            chunk_size=min(DEFAULT_CHUNK_SIZE, args.max_line_bytes),
            by=None if specs is None else [s for s in args.by],
            by_file=args.by_file,
        )
    except (OSError, TimeoutError) as exc:
        raise UsageFailure(f"--scheduler {args.scheduler}: {exc}") from None
    _write_summary(result, files, args, out, prices)
    totals = result if isinstance(result, Totals) else result.total
    _check_matched(totals.lines, totals.records, [], _read_options(args, on_error))
    return EXIT_OK


def _check_matched(lines: int, records: int, files: Sequence[str], options: ReadOptions) -> None:
    """Raise when lines were read but none carried a usage, naming where one seems to be."""
    if records or not lines:
        return
    message = f"no record carried a usage ({lines:,} line{'s' if lines != 1 else ''} read)"
    found = usage_path(files)
    if found is not None and found != options.at:
        message += f"; the records hold one at {found}: try --at {found}"
    elif options.at is not None and found is None:
        message += f"; nothing usage-shaped at --at {options.at}"
    raise NothingMatched(message)


_USAGE_KEYS = ("totalTokens", "total_tokens")


def usage_path(files: Sequence[str], sample: int = 1 << 16) -> str | None:
    """The dotted path of the first usage-shaped object in the first lines of the first file."""
    for name in files:
        if name == "-":
            continue
        try:
            with _open_input(name) as f:
                head = f.read(sample)
        except (OSError, EOFError, ValueError):
            continue
        for line in head.split(b"\n")[:50]:
            try:
                record = json.loads(line)
            except (ValueError, RecursionError):
                continue
            found = _find_usage(record, "", 0)
            if found is not None:
                return found or None  # "" would be a bare usage: nothing to suggest
        return None
    return None


def _find_usage(value: Any, path: str, depth: int) -> str | None:
    if depth > 16 or not isinstance(value, dict):
        return None
    if any(key in value for key in _USAGE_KEYS):
        return path
    for key, inner in value.items():
        if isinstance(key, str) and key and "." not in key:
            found = _find_usage(inner, f"{path}.{key}" if path else key, depth + 1)
            if found is not None:
                return found
    return None


def _table(t: Totals, files: Sequence[str], args: argparse.Namespace) -> str:
    src = "bundled demo sample" if args.demo else ", ".join(files)
    rows = [
        ("lines", t.lines),
        ("records", t.records),
        ("without usage", t.without_usage),
        ("bad lines", t.bad_lines),
        ("blank lines", t.blank_lines),
        ("flagged by audit", t.flagged),
    ]
    sums = [(name, getattr(t, name)) for name in TOKEN_FIELDS]
    width = max(len(_fmt(v)) for _, v in rows + sums)
    lines = [f"usagecodec summary of {src}", ""]
    lines += [f"  {name:<18} {_fmt(v):>{width}}" for name, v in rows]
    lines += ["", "  token sums"]
    lines += [f"  {name:<18} {_fmt(v):>{width}}" for name, v in sums]
    notes = []
    if t.flagged:
        notes.append(
            "flagged: records whose counts disagree (total != input + output,\n"
            "  input != text + image, or a negative count): usagecodec validate --audit"
        )
    if any(type(v) is not int for _, v in sums):
        notes.append(
            "fractional sums: some records carry fractional counts (JSON numbers such as\n"
            "  12.5); they are summed exactly and shown rounded to 6 places"
        )
    if notes:
        lines += [""] + [f"  {note}" for note in notes]
    if t.errors:
        lines += ["", f"  bad lines ({len(t.errors)}):"]
        lines += [f"    {e}" for e in t.errors[:20]]
        if len(t.errors) > 20:
            lines.append(f"    ... and {len(t.errors) - 20} more (see usagecodec validate)")
    return "\n".join(lines) + "\n"


def _fmt(value: Any) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    # Exact (a sum of doubles has a finite decimal form), rounded to 6 places for the table.
    return f"{exact_decimal(value):,.6f}".rstrip("0").rstrip(".")


def _cmd_validate(args: argparse.Namespace, out: TextOut) -> int:
    options = _read_options(args, "collect")
    files = _inputs(args)
    progress = Progress(progress_enabled(args), _total_size(files))
    bad = flagged = done = lines = records = 0
    try:
        for name in files:
            reader = UsageReader(name, options)
            for usages, numbers in reader.numbered_batches():
                if reader.errors:
                    progress.close()  # never mix a report line into the progress bar
                    if not args.quiet:
                        for bad_line in reader.errors:
                            out.write(cli_words(f"{bad_line}\n"))
                    bad += len(reader.errors)
                    reader.errors.clear()
                if args.audit:
                    found = _audit(usages, numbers, reader.name)
                    if found:
                        progress.close()
                        flagged += len(found)
                        if not args.quiet:
                            out.write("".join(found))
                progress(done + reader.bytes_read, reader.records)
            done += reader.bytes_read
            lines += reader.lines
            records += reader.records
    finally:
        progress.close()
    _check_matched(lines, records, files, options)
    return EXIT_BAD_DATA if bad or flagged else EXIT_OK


def _audit(usages: Sequence[Any], numbers: Sequence[int], name: str | None) -> list[str]:
    """One ``file:line: finding`` line for each audit finding of a batch."""
    found = []
    where = name or "line"
    for usage, number in zip(usages, numbers, strict=True):
        findings = usage.audit()
        if findings:
            sep = ":" if name else " "
            found += [f"{where}{sep}{number}: {f} ({f.code})\n" for f in findings]
    return found


def _cmd_convert(args: argparse.Namespace, out: TextOut) -> int:
    options = _read_options(args, args.on_error)
    files = _inputs(args)
    if args.to == "parquet":
        return _convert_parquet(args, files, options)
    keep = _keep(args)
    encoder = UsageCodec(args.to, args.format)
    encode_lines: Callable[..., bytes] = (
        encoder.encode_lines if not keep else _kept_encoder(encoder, keep)
    )
    output = _output(args.output, files)
    sink = (
        out.sink
        if output is None
        else Sink(_open_for_writing(output), args.output)
    )
    progress = Progress(progress_enabled(args), _total_size(files))
    bad = done = lines = records = 0
    try:
        for name in files:
            reader = UsageReader(name, options)
            batches = (
                reader.kept_batches(keep)
                if keep
                else ((u, (), None) for u in reader.batches())
            )
            for usages, _, values in batches:
                if usages:
                    sink.write(encode_lines(usages) if not keep else encode_lines(usages, values))
                    sink.flush()
                if reader.errors:
                    progress.close()
                    for bad_line in reader.errors:
                        err(cli_words(f"{PROG} convert: bad line: {bad_line}"))
                    bad += len(reader.errors)
                    reader.errors.clear()
                progress(done + reader.bytes_read, reader.records)
            done += reader.bytes_read
            lines += reader.lines
            records += reader.records
        _check_matched(lines, records, files, options)
        if output is not None:
            _commit(output, args.output)
    except BaseException:
        if output is not None:
            output.abort()
        raise
    finally:
        progress.close()
    return EXIT_BAD_DATA if bad else EXIT_OK


def _keep(args: argparse.Namespace) -> list[str]:
    """The paths of ``--keep``, checked (a bad one is a usage error)."""
    if not args.keep:
        return []
    paths = [p.strip() for p in args.keep.split(",")]
    bad = [p for p in paths if not _is_path(p)]
    if bad:
        raise UsageFailure(
            f"--keep: {bad[0]!r} is not a dotted path such as model or request.team"
        )
    if "usage" in paths and args.to != "parquet":
        raise UsageFailure("--keep usage would clash with the record's usage key")
    if len(set(paths)) != len(paths):
        raise UsageFailure("--keep: a path is given twice")
    return paths


def _is_path(text: str) -> bool:
    try:
        path_keys(text)
    except ValueError:
        return False
    return True


def _kept_encoder(codec: UsageCodec, keep: Sequence[str]) -> Callable[..., bytes]:
    """Encode records ``{"PATH": value, ..., "usage": usage}`` (NDJSON or MessagePack)."""
    wire = codec.wire if codec.wire != "auto" else "camel"
    to_wire = UsageCodec(wire, "json")
    if codec.format == "json":
        encode = msgspec.json.Encoder().encode

        def json_lines(usages: Sequence[Any], values: Sequence[tuple[Any, ...]]) -> bytes:
            out = []
            for usage, kept in zip(usages, values, strict=True):
                head = encode(dict(zip(keep, kept, strict=True)))
                out.append(head[:-1] + b',"usage":' + to_wire.encode(usage) + b"}\n")
            return b"".join(out)

        return json_lines
    pack = msgspec.msgpack.Encoder().encode
    raw = msgspec.json.Decoder()

    def msgpack_docs(usages: Sequence[Any], values: Sequence[tuple[Any, ...]]) -> bytes:
        return b"".join(
            pack({**dict(zip(keep, kept, strict=True)), "usage": raw.decode(to_wire.encode(u))})
            for u, kept in zip(usages, values, strict=True)
        )

    return msgpack_docs


def _output(name: str, files: Sequence[str]) -> Output | None:
    """The ``-o`` target (None for standard output), refused when it is an input."""
    if name == "-":
        return None
    try:
        return Output(name, files)
    except OutputRefused as exc:
        raise UsageFailure(str(exc)) from None


def _open_for_writing(output: Output) -> IO[bytes]:
    try:
        return output.open()
    except OSError as exc:
        raise UsageFailure(f"{output.target}: {exc.strerror or exc}") from None


def _commit(output: Output, name: str) -> None:
    try:
        output.commit()
    except OSError as exc:
        raise WriteFailure(f"{name}: {exc.strerror or exc}") from None


def _convert_parquet(args: argparse.Namespace, files: list[str], options: ReadOptions) -> int:
    if args.output == "-":
        raise UsageFailure("--to parquet needs -o FILE (Parquet is not written to a pipe)")
    if args.format != "json":
        raise UsageFailure("--format applies to --to camel or snake, not to --to parquet")
    _output(args.output, files)  # refused here, before anything is read
    try:
        from . import arrow  # noqa: PLC0415
    except ImportError:
        raise UsageFailure(
            "--to parquet needs pyarrow: pip install 'usagecodec[arrow]'"
        ) from None
    bad = 0

    def report(bad_line: object) -> None:
        nonlocal bad
        bad += 1
        err(cli_words(f"{PROG} convert: bad line: {bad_line}"))

    try:
        rows = arrow.write_parquet(
            files,
            args.output,
            wire=options.wire,
            at=options.at,
            strict=options.strict,
            on_error=options.on_error,
            max_line_bytes=options.max_line_bytes,
            chunk_size=options.chunk_size,
            format=options.format,
            on_bad_line=report,
            require_rows=True,
            keep=_keep(args),
            dtype=args.dtype,
        )
    except arrow.NoRows as exc:
        _check_matched(exc.lines, 0, files, options)
        raise  # pragma: no cover - _check_matched raised
    except UsageDecodeError:
        raise
    except ValueError as exc:  # a fraction for an int64 column (the file's types are fixed)
        raise BadData(str(exc).replace("pass dtype='float64'", "use --dtype float64")) from None
    except OSError as exc:
        if exc.filename is not None and os.path.realpath(exc.filename) in {
            os.path.realpath(f) for f in files
        }:
            raise
        raise WriteFailure(f"{args.output}: {exc.strerror or exc}") from None
    del rows
    return EXIT_BAD_DATA if bad else EXIT_OK


def _cmd_schema(args: argparse.Namespace, out: TextOut) -> int:
    from ._schema import json_schema  # noqa: PLC0415

    schema = json_schema(args.kind, wire=args.wire, strict=args.strict)
    out.write(json.dumps(schema, indent=2) + "\n")
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, TextOut], int]] = {
    "summarize": _cmd_summarize,
    "validate": _cmd_validate,
    "convert": _cmd_convert,
    "schema": _cmd_schema,
}


