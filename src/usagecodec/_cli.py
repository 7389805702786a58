"""The ``usagecodec`` command: summarize, validate, convert, schema.

``main(argv) -> int`` never lets a traceback out for expected failures: bad input, missing or
unreadable files, refused outputs and broken pipes become a one-line message on stderr and an
exit status: 0 all good, 1 bad data (a bad line, an audit finding with ``validate --audit``, or
no record carrying a usage at all), 2 usage error (a wrong option, an unreadable input, a
refused output), 3 the output could not be written (a full disk, a closed standard output),
141 standard output or error closed by its reader (as a filter killed by SIGPIPE), 130 and 143
interrupted by SIGINT or SIGTERM. An interrupted or failed run leaves any ``-o`` target as it
was.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import math
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Sequence
from importlib import resources
from typing import IO, Any

import msgspec

from ._codec import UsageCodec
from ._errors import UsageDecodeError, UsageError
from ._framing import open_source as _open_input
from ._groups import GroupedTotals, KeySpec, Price, parse_specs
from ._options import ReadOptions, path_keys
from ._output import Output, OutputRefused
from ._report import Prices, group_rows, groups_json, load_prices
from ._stream import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_MAX_LINE_BYTES,
    OnError,
    UsageReader,
    summarize_with,
)
from ._totals import TOKEN_FIELDS, Totals, exact_decimal

__all__ = ["main"]

PROG = "usagecodec"
EXIT_OK, EXIT_BAD_DATA, EXIT_USAGE, EXIT_WRITE = 0, 1, 2, 3
EXIT_PIPE, EXIT_INT, EXIT_TERM = 141, 130, 143


class _UsageFailure(Exception):
    """A problem with how the command was called (exit status 2)."""


class _WriteFailure(Exception):
    """The output could not be written (exit status 3)."""


class _NothingMatched(Exception):
    """Lines were read but none carried a usage (exit status 1)."""


class _Terminated(BaseException):
    """SIGTERM arrived: unwind (removing temporary files) and exit 143."""


class _Sink:
    """A binary output whose write failures are told apart from read failures."""

    def __init__(self, stream: IO[bytes] | None, name: str) -> None:
        self.stream = stream
        self.name = name

    def write(self, data: bytes) -> None:
        if self.stream is None:
            raise _WriteFailure(f"{self.name} is closed")
        try:
            self.stream.write(data)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _WriteFailure(f"{self.name}: {exc.strerror or exc}") from None

    def flush(self) -> None:
        if self.stream is None:
            return
        try:
            self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _WriteFailure(f"{self.name}: {exc.strerror or exc}") from None


class _TextOut:
    """Standard output for text, with the same failure handling as :class:`_Sink`."""

    def __init__(self) -> None:
        stream = sys.stdout
        self.text = stream if stream is not None and not hasattr(stream, "buffer") else None
        buffer = None if stream is None or self.text is not None else stream.buffer
        self.sink = _Sink(buffer, "standard output")

    def write(self, text: str) -> None:
        if self.text is not None:  # a text-only stream (redirect_stdout to a StringIO)
            self.text.write(text)
            return
        self.sink.write(text.encode("utf-8", "surrogateescape"))

    def flush(self) -> None:
        self.sink.flush()


def _err(text: str) -> None:
    """One line on stderr (nothing when stderr is closed); a closed pipe propagates."""
    _write_text(sys.stderr, text if text.endswith("\n") else text + "\n")


def _write_text(stream: IO[str] | None, text: str) -> None:
    """Write to a text stream; a name that is not UTF-8 (a lone surrogate) is escaped."""
    if stream is None:
        return
    try:
        stream.write(text)
    except UnicodeEncodeError:
        stream.write(text.encode("utf-8", "backslashreplace").decode("utf-8"))
    stream.flush()


class _Parser(argparse.ArgumentParser):
    """argparse, with messages that survive undecodable arguments and a closed stderr."""

    def _print_message(self, message: str, file: Any = None) -> None:
        if message:
            _write_text(file if file is not None else sys.stderr, message)


def _cli_words(message: str) -> str:
    """Python spellings in a library message, as the command line spells them."""
    return _WIRE_KEYWORD.sub(r"--wire \1", message)


_WIRE_KEYWORD = re.compile(r"wire='(\w+)'")


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
        amount = float(number)
        if not math.isfinite(amount) or amount * factor > 1 << 62:
            raise ValueError(number)
        value = int(amount * factor)
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
    parser = _Parser(
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
        "--by",
        action="append",
        default=[],
        metavar="PATH",
        help="break the totals down by the value at PATH in each record (repeatable), e.g. "
        "model, request.team; PATH:hour, PATH:day or PATH:month buckets a time (RFC 3339 "
        "or epoch seconds) in UTC, e.g. ts:day, created:month",
    )
    p.add_argument("--by-file", action="store_true", help="break the totals down by file")
    p.add_argument(
        "--sort",
        choices=("key", "tokens", "cost"),
        default="key",
        help="order of the groups: by key (default), by total tokens or by cost, largest first",
    )
    p.add_argument(
        "--top",
        type=_positive_int,
        metavar="N",
        help="show the first N groups of the table and fold the rest into one row",
    )
    p.add_argument(
        "--price",
        metavar="text=N,image=N,output=N",
        help="US dollars per 1,000,000 input text, input image and output tokens; adds the "
        "exact cost per group and overall",
    )
    p.add_argument(
        "--prices",
        metavar="FILE",
        help="a TOML file of prices by the value of one --by key (key = \"model\", "
        "[prices.NAME] text/image/output, optional [default]); records whose value has no "
        "price are shown as unpriced",
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
    p.add_argument(
        "--audit",
        action="store_true",
        help="also list every record whose counts disagree (file:line: finding) and exit 1 "
        "when there is one: total != input + output, input != text + image, or a negative "
        "count",
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
        "--keep",
        metavar="PATH[,PATH...]",
        help="also write the values at these dotted paths of each record: NDJSON "
        '{"PATH": value, ..., "usage": {...}}; Parquet: one typed column per path',
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
        raise _UsageFailure("--" + text if text.startswith("at ") else text) from None


_SCHEDULER_NAMES = ("threads", "processes", "sync", "synchronous", "single-threaded")


def _cmd_summarize(args: argparse.Namespace, out: _TextOut) -> int:
    on_error: OnError = args.on_error or ("collect" if args.demo else "raise")
    options = _read_options(args, on_error)
    specs, prices = _breakdown(args)
    if args.scheduler:
        return _summarize_on_cluster(args, out)
    files = _inputs(args)
    progress = _Progress(_progress_enabled(args), _total_size(files))
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
        raise _UsageFailure(f"--by: {exc}") from None
    if args.price and args.prices:
        raise _UsageFailure("--price and --prices exclude each other")
    prices: Prices | None = None
    if args.price:
        try:
            prices = Prices(single=Price.parse(args.price))
        except ValueError as exc:
            raise _UsageFailure(f"--price: {exc}") from None
    elif args.prices:
        if specs is None:
            raise _UsageFailure("--prices prices the values of a group key: add --by KEY")
        try:
            prices = load_prices(args.prices, [spec.text for spec in specs])
        except ValueError as exc:
            raise _UsageFailure(f"--prices: {exc}") from None
    if args.sort == "cost" and prices is None:
        raise _UsageFailure("--sort cost needs --price or --prices")
    if (args.sort != "key" or args.top) and specs is None:
        raise _UsageFailure("--sort and --top order the groups of --by or --by-file")
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


def _summarize_on_cluster(args: argparse.Namespace, out: _TextOut) -> int:
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
    if "://" not in args.scheduler and args.scheduler not in _SCHEDULER_NAMES:
        raise _UsageFailure(
            f"--scheduler {args.scheduler!r}: expected an address such as "
            f"tcp://host:8786, or one of {', '.join(_SCHEDULER_NAMES)}"
        )
    try:
        from . import dask as on_dask  # noqa: PLC0415
    except ImportError:
        raise _UsageFailure(
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
        raise _UsageFailure(f"--scheduler {args.scheduler}: {exc}") from None
    _write_summary(result, files, args, out, prices)
    totals = result if isinstance(result, Totals) else result.total
    _check_matched(totals.lines, totals.records, [], _read_options(args, on_error))
    return EXIT_OK


def _check_matched(lines: int, records: int, files: Sequence[str], options: ReadOptions) -> None:
    """Raise when lines were read but none carried a usage, naming where one seems to be."""
    if records or not lines:
        return
    message = f"no record carried a usage ({lines:,} line{'s' if lines != 1 else ''} read)"
    found = _usage_path(files)
    if found is not None and found != options.at:
        message += f"; the records hold one at {found}: try --at {found}"
    elif options.at is not None and found is None:
        message += f"; nothing usage-shaped at --at {options.at}"
    raise _NothingMatched(message)


_USAGE_KEYS = ("totalTokens", "total_tokens")


def _usage_path(files: Sequence[str], sample: int = 1 << 16) -> str | None:
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


def _cmd_validate(args: argparse.Namespace, out: _TextOut) -> int:
    options = _read_options(args, "collect")
    files = _inputs(args)
    progress = _Progress(_progress_enabled(args), _total_size(files))
    bad = flagged = done = lines = records = 0
    try:
        for name in files:
            reader = UsageReader(name, options)
            for usages, numbers in reader.numbered_batches():
                if reader.errors:
                    progress.close()  # never mix a report line into the progress bar
                    if not args.quiet:
                        for err in reader.errors:
                            out.write(_cli_words(f"{err}\n"))
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


def _cmd_convert(args: argparse.Namespace, out: _TextOut) -> int:
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
        else _Sink(_open_for_writing(output), args.output)
    )
    progress = _Progress(_progress_enabled(args), _total_size(files))
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
                    for err in reader.errors:
                        _err(_cli_words(f"{PROG} convert: bad line: {err}"))
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
        raise _UsageFailure(
            f"--keep: {bad[0]!r} is not a dotted path such as model or request.team"
        )
    if "usage" in paths and args.to != "parquet":
        raise _UsageFailure("--keep usage would clash with the record's usage key")
    if len(set(paths)) != len(paths):
        raise _UsageFailure("--keep: a path is given twice")
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
        raise _UsageFailure(str(exc)) from None


def _open_for_writing(output: Output) -> IO[bytes]:
    try:
        return output.open()
    except OSError as exc:
        raise _UsageFailure(f"{output.target}: {exc.strerror or exc}") from None


def _commit(output: Output, name: str) -> None:
    try:
        output.commit()
    except OSError as exc:
        raise _WriteFailure(f"{name}: {exc.strerror or exc}") from None


def _convert_parquet(args: argparse.Namespace, files: list[str], options: ReadOptions) -> int:
    if args.output == "-":
        raise _UsageFailure("--to parquet needs -o FILE (Parquet is not written to a pipe)")
    if args.format != "json":
        raise _UsageFailure("--format applies to --to camel or snake, not to --to parquet")
    _output(args.output, files)  # refused here, before anything is read
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
        _err(_cli_words(f"{PROG} convert: bad line: {err}"))

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
        )
    except arrow.NoRows as exc:
        _check_matched(exc.lines, 0, files, options)
        raise  # pragma: no cover - _check_matched raised
    except OSError as exc:
        if exc.filename is not None and os.path.realpath(exc.filename) in {
            os.path.realpath(f) for f in files
        }:
            raise
        raise _WriteFailure(f"{args.output}: {exc.strerror or exc}") from None
    del rows
    return EXIT_BAD_DATA if bad else EXIT_OK


def _cmd_schema(args: argparse.Namespace, out: _TextOut) -> int:
    from ._codec import json_schema  # noqa: PLC0415

    schema = json_schema(args.kind, wire=args.wire, strict=args.strict)
    out.write(json.dumps(schema, indent=2) + "\n")
    return EXIT_OK


_COMMANDS: dict[str, Callable[[argparse.Namespace, _TextOut], int]] = {
    "summarize": _cmd_summarize,
    "validate": _cmd_validate,
    "convert": _cmd_convert,
    "schema": _cmd_schema,
}


def _silence_closed_pipes() -> None:
    """After a reader went away, send what Python still flushes at exit to /dev/null."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                with contextlib.suppress(OSError, ValueError):
                    os.dup2(devnull, stream.fileno())


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Args:
        argv: Arguments without the program name (default: ``sys.argv[1:]``).

    Returns:
        0 all good; 1 bad data (or nothing that carried a usage); 2 usage error; 3 the output
        could not be written; 141 a closed pipe; 130 or 143 interrupted.
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on errors and 0 for --help
        return int(exc.code or 0)
    previous = None
    with contextlib.suppress(ValueError):  # not the main thread: no handler, no cleanup need
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _run(args)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _nested_hint(exc: UsageDecodeError, args: argparse.Namespace) -> str:
    """A hint when the record is not a usage but holds one at some path (``--at``)."""
    if exc.path != "$" or not exc.reason.startswith(_NOT_A_USAGE):
        return ""
    files = [f for f in getattr(args, "files", None) or () if f != "-"]
    found = _usage_path(files)
    if found is None or found == getattr(args, "at", None):
        return ""
    return f"; the records hold a usage at {found}: try --at {found}"


_NOT_A_USAGE = ("Object missing required field", "Object contains unknown field")


def _run(args: argparse.Namespace) -> int:
    command = args.command
    try:
        try:
            return _COMMANDS[command](args, _TextOut())
        except _UsageFailure as exc:
            _err(f"{PROG} {command}: error: {exc}")
            return EXIT_USAGE
        except _WriteFailure as exc:
            _err(f"{PROG} {command}: error: cannot write {exc}")
            return EXIT_WRITE
        except _NothingMatched as exc:
            _err(f"{PROG} {command}: {exc}")
            return EXIT_BAD_DATA
        except UsageDecodeError as exc:
            _err(_cli_words(f"{PROG} {command}: {exc}{_nested_hint(exc, args)}"))
            return EXIT_BAD_DATA
        except UsageError as exc:
            _err(f"{PROG} {command}: {exc}")
            return EXIT_BAD_DATA
        except OSError as exc:
            if isinstance(exc, BrokenPipeError):
                raise
            name = exc.filename or ""
            what = exc.strerror or errno.errorcode.get(exc.errno or 0, str(exc))
            _err(f"{PROG} {command}: error: {name}{': ' if name else ''}{what}")
            return EXIT_USAGE
        except KeyboardInterrupt:
            _err(f"{PROG} {command}: interrupted")
            return EXIT_INT
        except _Terminated:
            _err(f"{PROG} {command}: terminated")
            return EXIT_TERM
    except BrokenPipeError:
        # The reader of stdout or stderr went away (... | head): stop quietly, not "all good".
        _silence_closed_pipes()
        return EXIT_PIPE
