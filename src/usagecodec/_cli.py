"""The ``usagecodec`` command: summarize, validate, convert, schema.

``main(argv) -> int`` never lets a traceback out for expected failures: bad input, missing or
unreadable files and broken pipes become a one-line message on stderr and an exit status
(0 success, 1 bad data, 2 usage error such as a missing file or a wrong option).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from importlib import resources
from typing import IO, Any

from ._codec import UsageCodec
from ._errors import UsageDecodeError, UsageError
from ._stream import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_MAX_LINE_BYTES,
    OnError,
    UsageReader,
    read_usages,
    summarize,
)
from ._totals import TOKEN_FIELDS, Totals

__all__ = ["main"]

PROG = "usagecodec"
EXIT_OK, EXIT_BAD_DATA, EXIT_USAGE = 0, 1, 2


class _UsageFailure(Exception):
    """A problem with how the command was called (exit status 2)."""


# --- argument parsing --------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _size(text: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    t = text.strip().lower().removesuffix("ib").removesuffix("b")
    factor = units.get(t[-1:], 1)
    number = t[:-1] if t[-1:] in units else t
    try:
        value = int(float(number) * factor)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a size such as 65536, 64k, 64MiB, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive size, got {text!r}")
    return value


def _add_input_options(p: argparse.ArgumentParser, *, at: bool = True) -> None:
    p.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="NDJSON files to read; '-' or nothing reads standard input",
    )
    p.add_argument(
        "--wire",
        choices=("camel", "snake", "auto"),
        default="auto",
        help="wire dialect of the records (default: auto, either per line)",
    )
    if at:
        p.add_argument(
            "--at",
            metavar="PATH",
            help="dotted path of the usage inside each record, e.g. response.body.usage "
            "(default: each record is a usage or a full response body)",
        )
    p.add_argument(
        "--strict",
        action="store_true",
        help="reject unknown fields inside the usage and negative counts",
    )
    p.add_argument(
        "--input-format",
        choices=("json", "msgpack"),
        default="json",
        help="json: NDJSON (the default); msgpack: concatenated MessagePack usage documents",
    )
    p.add_argument(
        "--max-line-bytes",
        type=_size,
        default=DEFAULT_MAX_LINE_BYTES,
        metavar="SIZE",
        help="longest accepted line; longer lines are bad lines (default: 64MiB)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Decode, check and sum the token usage of image-variation responses "
        "(orq.ai /v2/proxy/images/variations) in NDJSON logs.",
        epilog="Run 'usagecodec COMMAND --help' for the options and examples of a command.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser(
        "summarize",
        help="count records and sum the token fields",
        description="Count the records of NDJSON files and sum their five token fields "
        "exactly; report bad, blank and audit-flagged lines.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  usagecodec summarize --demo\n"
        "  usagecodec summarize logs/*.ndjson --workers 4\n"
        "  zcat usage.ndjson.gz | usagecodec summarize --json -\n"
        "  usagecodec summarize events.ndjson --at response.body.usage --on-error collect\n"
        "  usagecodec summarize --scheduler tcp://scheduler:8786 'logs/*.ndjson'",
    )
    _add_input_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument(
        "--workers",
        type=_positive_int,
        default=1,
        metavar="N",
        help="processes; files are split at line boundaries (default: 1)",
    )
    p.add_argument(
        "--on-error",
        choices=("raise", "skip", "collect"),
        default=None,
        help="on a bad line: stop with an error (raise, the default), count it (skip), or "
        "count and list it (collect; the default with --demo)",
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="summarize the sample log bundled with the package (no FILE needed)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=os.environ.get("USAGECODEC_SCHEDULER") or None,
        help="run on the Dask cluster at ADDRESS, e.g. tcp://10.0.0.5:8786 (default: "
        "$USAGECODEC_SCHEDULER); FILE may then be paths, globs or URLs that the workers "
        "can read; needs pip install 'usagecodec[dask]'",
    )
    _add_progress_option(p)

    p = sub.add_parser(
        "validate",
        help="list every bad line",
        description="Check every line; print each bad one with its line number, JSON path "
        "and reason. Exit status: 0 all good, 1 some bad, 2 usage error.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  usagecodec validate usage.ndjson\n"
        "  usagecodec validate --strict --wire snake api-bodies.ndjson\n"
        "  cat usage.ndjson | usagecodec validate -",
    )
    _add_input_options(p)
    p.add_argument(
        "--quiet", "-q", action="store_true", help="print nothing; only the exit status"
    )
    _add_progress_option(p)

    p = sub.add_parser(
        "convert",
        help="re-encode usages between dialects and formats",
        description="Read NDJSON usage records (bare usages, response bodies, or --at PATH) "
        "and write one usage per record: NDJSON or a MessagePack stream, camel or snake. "
        "Bad lines are reported on stderr, never written to the output. Output is flushed "
        "after every chunk, so it works as a filter in a pipeline.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  usagecodec convert --to snake camel.ndjson > snake.ndjson\n"
        "  tail -f proxy.log | usagecodec convert --at response.usage --to camel -\n"
        "  usagecodec convert --format msgpack -o usage.msgpack usage.ndjson\n"
        "  usagecodec convert --input-format msgpack --to snake usage.msgpack\n"
        "  usagecodec convert --to parquet -o usage.parquet logs/*.ndjson",
    )
    _add_input_options(p)
    p.add_argument(
        "--to",
        choices=("camel", "snake", "parquet"),
        default="camel",
        help="dialect to write (default: camel), or parquet: one Parquet file of flat columns "
        "(needs -o FILE and pip install 'usagecodec[arrow]')",
    )
    p.add_argument(
        "--format",
        choices=("json", "msgpack"),
        default="json",
        help="json writes NDJSON; msgpack writes concatenated MessagePack documents",
    )
    p.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        default="-",
        help="where to write (default: standard output)",
    )
    p.add_argument(
        "--on-error",
        choices=("raise", "skip", "collect"),
        default="collect",
        help="on a bad line: stop (raise), drop it silently (skip) or drop it and report it "
        "on stderr (collect, the default)",
    )
    _add_progress_option(p)

    p = sub.add_parser(
        "schema",
        help="print the JSON Schema",
        description="Print the JSON Schema (2020-12) of the usage object or response body.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  usagecodec schema\n  usagecodec schema --wire snake --kind response",
    )
    p.add_argument("--wire", choices=("camel", "snake"), default="camel")
    p.add_argument("--kind", choices=("usage", "response"), default="usage")
    p.add_argument("--strict", action="store_true", help="the schema of what --strict accepts")
    return parser


def _add_progress_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )


def _version() -> str:
    from . import __version__  # noqa: PLC0415

    return __version__


# --- inputs ------------------------------------------------------------------------------------


def _demo_path() -> str:
    return str(resources.files("usagecodec").joinpath("data/demo.ndjson"))


def _inputs(args: argparse.Namespace) -> list[str]:
    files: list[str] = list(args.files)
    if getattr(args, "demo", False):
        if files:
            raise _UsageFailure("--demo reads the bundled sample: give no FILE with it")
        return [_demo_path()]
    if not files:
        if sys.stdin is None or sys.stdin.isatty():
            raise _UsageFailure("no input: give FILE arguments, '-' for standard input, or --demo")
        return ["-"]
    if files.count("-") > 1:
        raise _UsageFailure("standard input ('-') can be read only once")
    for name in files:
        if name == "-":
            continue
        if not os.path.exists(name):
            raise _UsageFailure(f"{name}: no such file")
        if os.path.isdir(name):
            raise _UsageFailure(f"{name}: is a directory")
        if not os.access(name, os.R_OK):
            raise _UsageFailure(f"{name}: permission denied")
    return files


def _total_size(files: Sequence[str]) -> int | None:
    try:
        return sum(os.path.getsize(f) for f in files if f != "-") if "-" not in files else None
    except OSError:
        return None


class _Progress:
    """A one-line progress display on stderr: bytes done and records per second."""

    def __init__(self, enabled: bool, total: int | None) -> None:
        self.enabled = enabled
        self.total = total
        self.start = time.monotonic()
        self.last = 0.0
        self.records = 0

    def __call__(self, done: int, records: int | None = None) -> None:
        if not self.enabled:
            return
        if records is not None:
            self.records = records
        now = time.monotonic()
        if now - self.last < 0.2:
            return
        self.last = now
        rate = self.records / max(now - self.start, 1e-9)
        if self.total:
            frac = min(done / self.total, 1.0)
            bar = "#" * int(frac * 30)
            text = f"[{bar:<30}] {frac:6.1%} {_human(done)}/{_human(self.total)}"
        else:
            text = f"{_human(done)}"
        if self.records:
            text += f"  {rate:,.0f} records/s"
        sys.stderr.write("\r" + text + " " * 4)
        sys.stderr.flush()

    def close(self) -> None:
        """Erase the progress line (it is drawn again on the next update)."""
        if self.enabled and self.last:
            sys.stderr.write("\r" + " " * 78 + "\r")
            sys.stderr.flush()
            self.last = 0.0


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def _progress_enabled(args: argparse.Namespace) -> bool:
    if args.progress is not None:
        return bool(args.progress)
    return bool(sys.stderr is not None and sys.stderr.isatty())


# --- commands ----------------------------------------------------------------------------------


def _check_format(args: argparse.Namespace) -> None:
    if args.input_format == "msgpack" and getattr(args, "at", None):
        raise _UsageFailure("--at applies to NDJSON records, not to --input-format msgpack")


def _cmd_summarize(args: argparse.Namespace, out: IO[str]) -> int:
    _check_format(args)
    if args.scheduler:
        return _summarize_on_cluster(args, out)
    files = _inputs(args)
    on_error: OnError = args.on_error or ("collect" if args.demo else "raise")
    wire = args.wire
    progress = _Progress(_progress_enabled(args), _total_size(files))
    try:
        totals = summarize(
            files,
            workers=args.workers,
            wire=wire,
            at=args.at,
            strict=args.strict,
            on_error=on_error,
            max_line_bytes=args.max_line_bytes,
            chunk_size=min(DEFAULT_CHUNK_SIZE, args.max_line_bytes),
            progress=progress if progress.enabled else None,
            format=args.input_format,
        )
    finally:
        progress.close()
    if args.json:
        out.write(json.dumps(totals.to_dict()) + "\n")
    else:
        out.write(_table(totals, files, args))
    return EXIT_OK


def _summarize_on_cluster(args: argparse.Namespace, out: IO[str]) -> int:
    files = [_demo_path()] if args.demo and not args.files else list(args.files)
    if args.demo and args.files:
        raise _UsageFailure("--demo reads the bundled sample: give no FILE with it")
    if not files or "-" in files:
        raise _UsageFailure(
            "--scheduler reads files on the cluster: give FILE paths, globs or URLs, not "
            "standard input (unset USAGECODEC_SCHEDULER to read it here)"
        )
    if args.workers != 1:
        raise _UsageFailure("--workers and --scheduler exclude each other")
    if args.input_format != "json":
        raise _UsageFailure("--scheduler reads NDJSON: MessagePack streams cannot be split")
    try:
        from . import dask as on_dask  # noqa: PLC0415
    except ImportError:
        raise _UsageFailure(
            "--scheduler needs dask and distributed: pip install 'usagecodec[dask]'"
        ) from None
    totals = on_dask.summarize(
        files,
        scheduler=args.scheduler,
        wire=args.wire,
        at=args.at,
        strict=args.strict,
        on_error=args.on_error or ("collect" if args.demo else "raise"),
        max_line_bytes=args.max_line_bytes,
        chunk_size=min(DEFAULT_CHUNK_SIZE, args.max_line_bytes),
    )
    out.write(json.dumps(totals.to_dict()) + "\n" if args.json else _table(totals, files, args))
    return EXIT_OK


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
    if t.errors:
        lines += ["", f"  bad lines ({len(t.errors)}):"]
        lines += [f"    {e}" for e in t.errors[:20]]
        if len(t.errors) > 20:
            lines.append(f"    ... and {len(t.errors) - 20} more (see usagecodec validate)")
    return "\n".join(lines) + "\n"


def _fmt(value: Any) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    return f"{float(value):,.6f}".rstrip("0").rstrip(".")


def _reader(args: argparse.Namespace, name: str, on_error: OnError) -> UsageReader:
    """A reader of one input with the command's reading options."""
    return read_usages(
        name,
        wire=args.wire,
        at=args.at,
        strict=args.strict,
        on_error=on_error,
        max_line_bytes=args.max_line_bytes,
        chunk_size=min(DEFAULT_CHUNK_SIZE, args.max_line_bytes),
        format=args.input_format,
    )


def _cmd_validate(args: argparse.Namespace, out: IO[str]) -> int:
    _check_format(args)
    files = _inputs(args)
    progress = _Progress(_progress_enabled(args), _total_size(files))
    bad = 0
    done = 0
    try:
        for name in files:
            reader = _reader(args, name, "collect")
            for _ in reader.batches():
                for err in reader.errors:
                    if not args.quiet:
                        out.write(f"{err}\n")
                bad += len(reader.errors)
                reader.errors.clear()
                progress(done + reader.bytes_read, reader.records)
            done += reader.bytes_read
    finally:
        progress.close()
    return EXIT_BAD_DATA if bad else EXIT_OK


def _cmd_convert(args: argparse.Namespace, out: IO[str]) -> int:
    _check_format(args)
    files = _inputs(args)
    if args.to == "parquet":
        return _convert_parquet(args, files)
    encoder = UsageCodec(args.to, args.format)
    encode_lines = encoder.encode_lines
    sink, close = _open_output(args.output)
    progress = _Progress(_progress_enabled(args), _total_size(files))
    bad = done = 0
    try:
        for name in files:
            reader = _reader(args, name, args.on_error)
            for usages in reader.batches():
                if usages:
                    sink.write(encode_lines(usages))
                    sink.flush()
                if reader.errors:
                    progress.close()
                for err in reader.errors:
                    sys.stderr.write(f"{PROG} convert: bad line: {err}\n")
                bad += len(reader.errors)
                reader.errors.clear()
                progress(done + reader.bytes_read, reader.records)
            done += reader.bytes_read
    finally:
        progress.close()
        close()
    return EXIT_BAD_DATA if bad else EXIT_OK


def _convert_parquet(args: argparse.Namespace, files: list[str]) -> int:
    if args.output == "-":
        raise _UsageFailure("--to parquet needs -o FILE (Parquet is not written to a pipe)")
    if args.format != "json":
        raise _UsageFailure("--format applies to --to camel or snake, not to --to parquet")
    if os.path.isdir(args.output):
        raise _UsageFailure(f"{args.output}: is a directory")
    try:
        from . import arrow  # noqa: PLC0415
    except ImportError:
        raise _UsageFailure(
            "--to parquet needs pyarrow: pip install 'usagecodec[arrow]'"
        ) from None
    bad = 0

    def report(err: object) -> None:
        nonlocal bad
        bad += 1
        sys.stderr.write(f"{PROG} convert: bad line: {err}\n")

    arrow.write_parquet(
        files,
        args.output,
        wire=args.wire,
        at=args.at,
        strict=args.strict,
        on_error=args.on_error,
        max_line_bytes=args.max_line_bytes,
        chunk_size=min(DEFAULT_CHUNK_SIZE, args.max_line_bytes),
        format=args.input_format,
        on_bad_line=report,
    )
    return EXIT_BAD_DATA if bad else EXIT_OK


def _open_output(name: str) -> tuple[IO[bytes], Callable[[], None]]:
    if name == "-":
        return sys.stdout.buffer, sys.stdout.buffer.flush
    if os.path.isdir(name):
        raise _UsageFailure(f"{name}: is a directory")
    try:
        f = open(name, "wb")  # noqa: SIM115 - closed by the returned function
    except OSError as exc:
        raise _UsageFailure(f"{name}: {exc.strerror or exc}") from None
    return f, f.close


def _cmd_schema(args: argparse.Namespace, out: IO[str]) -> int:
    from ._codec import json_schema  # noqa: PLC0415

    schema = json_schema(args.kind, wire=args.wire, strict=args.strict)
    out.write(json.dumps(schema, indent=2) + "\n")
    return EXIT_OK


_COMMANDS: dict[str, Callable[[argparse.Namespace, IO[str]], int]] = {
    "summarize": _cmd_summarize,
    "validate": _cmd_validate,
    "convert": _cmd_convert,
    "schema": _cmd_schema,
}


@contextlib.contextmanager
def _quiet_broken_pipe() -> Iterator[None]:
    try:
        yield
    except BrokenPipeError:
        # The reader went away (usagecodec ... | head): stop quietly, as Unix filters do.
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        raise


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Args:
        argv: Arguments without the program name (default: ``sys.argv[1:]``).

    Returns:
        0 on success, 1 when the data has bad lines (or stops on one), 2 for usage errors.
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on errors and 0 for --help
        return int(exc.code or 0)
    out = sys.stdout
    try:
        with _quiet_broken_pipe():
            return _COMMANDS[args.command](args, out)
    except BrokenPipeError:
        return EXIT_OK
    except _UsageFailure as exc:
        sys.stderr.write(f"{PROG} {args.command}: error: {exc}\n")
        return EXIT_USAGE
    except UsageDecodeError as exc:
        sys.stderr.write(f"{PROG} {args.command}: {exc}\n")
        return EXIT_BAD_DATA
    except UsageError as exc:
        sys.stderr.write(f"{PROG} {args.command}: {exc}\n")
        return EXIT_BAD_DATA
    except OSError as exc:
        name = exc.filename or ""
        what = exc.strerror or errno.errorcode.get(exc.errno or 0, str(exc))
        sys.stderr.write(f"{PROG} {args.command}: error: {name}{': ' if name else ''}{what}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG} {args.command}: interrupted\n")
        return 130
