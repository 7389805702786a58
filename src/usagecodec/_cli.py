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
import math
import os
import signal
import sys
from collections.abc import Sequence

from ._cli_io import (
    EXIT_BAD_DATA,
    EXIT_INT,
    EXIT_PIPE,
    EXIT_TERM,
    EXIT_USAGE,
    EXIT_WRITE,
    PROG,
    BadData,
    Parser,
    Terminated,
    TextOut,
    UsageFailure,
    WriteFailure,
    cli_words,
    err,
)
from ._commands import COMMANDS, demo_path, usage_path
from ._errors import UsageDecodeError, UsageError
from ._messages import not_a_usage
from ._stream import DEFAULT_MAX_LINE_BYTES

__all__ = ["main"]

_demo_path = demo_path  # (tests and scripts have imported it from here)


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
    parser = Parser(
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
        "--dtype",
        choices=("auto", "int64", "float64"),
        default="auto",
        help="--to parquet: the token columns' type; auto (the default) takes the types of "
        "the first row group and refuses a later fraction for an int64 column (the file is "
        "never rewritten); int64 refuses any fraction; float64 takes everything",
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



def _silence_closed_pipes() -> None:
    """After a reader went away, send what Python still flushes at exit to /dev/null."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                with contextlib.suppress(OSError, ValueError):
                    os.dup2(devnull, stream.fileno())


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


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
    if not not_a_usage(exc):
        return ""
    files = [f for f in getattr(args, "files", None) or () if f != "-"]
    found = usage_path(files)
    if found is None or found == getattr(args, "at", None):
        return ""
    return f"; the records hold a usage at {found}: try --at {found}"


def _run(args: argparse.Namespace) -> int:
    command = args.command
    try:
        try:
            return COMMANDS[command](args, TextOut())
        except UsageFailure as exc:
            err(f"{PROG} {command}: error: {exc}")
            return EXIT_USAGE
        except WriteFailure as exc:
            err(f"{PROG} {command}: error: cannot write {exc}")
            return EXIT_WRITE
        except BadData as exc:
            err(f"{PROG} {command}: {exc}")
            return EXIT_BAD_DATA
        except UsageDecodeError as exc:
            err(cli_words(f"{PROG} {command}: {exc}{_nested_hint(exc, args)}"))
            return EXIT_BAD_DATA
        except UsageError as exc:
            err(f"{PROG} {command}: {exc}")
            return EXIT_BAD_DATA
        except OSError as exc:
            if isinstance(exc, BrokenPipeError):
                raise
            name = exc.filename or ""
            what = exc.strerror or errno.errorcode.get(exc.errno or 0, str(exc))
            err(f"{PROG} {command}: error: {name}{': ' if name else ''}{what}")
            return EXIT_USAGE
        except KeyboardInterrupt:
            err(f"{PROG} {command}: interrupted")
            return EXIT_INT
        except Terminated:
            err(f"{PROG} {command}: terminated")
            return EXIT_TERM
    except BrokenPipeError:
        # The reader of stdout or stderr went away (... | head): stop quietly, not "all good".
        _silence_closed_pipes()
        return EXIT_PIPE
