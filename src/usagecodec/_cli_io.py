"""The command line's plumbing: exit statuses, failures, and output streams that say why.

Shared by :mod:`._cli` (parsing, ``main``) and :mod:`._commands` (what each command does).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from typing import IO, Any

PROG = "usagecodec"
EXIT_OK, EXIT_BAD_DATA, EXIT_USAGE, EXIT_WRITE = 0, 1, 2, 3
EXIT_PIPE, EXIT_INT, EXIT_TERM = 141, 130, 143


class UsageFailure(Exception):
    """A problem with how the command was called (exit status 2)."""


class WriteFailure(Exception):
    """The output could not be written (exit status 3)."""


class BadData(Exception):
    """The data cannot be processed as asked (exit status 1), said in one line."""


class NothingMatched(BadData):
    """Lines were read but none carried a usage (exit status 1)."""


class Terminated(BaseException):
    """SIGTERM arrived: unwind (removing temporary files) and exit 143."""


class Sink:
    """A binary output whose write failures are told apart from read failures."""

    def __init__(self, stream: IO[bytes] | None, name: str) -> None:
        self.stream = stream
        self.name = name

    def write(self, data: bytes) -> None:
        if self.stream is None:
            raise WriteFailure(f"{self.name} is closed")
        try:
            self.stream.write(data)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise WriteFailure(f"{self.name}: {exc.strerror or exc}") from None

    def flush(self) -> None:
        if self.stream is None:
            return
        try:
            self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise WriteFailure(f"{self.name}: {exc.strerror or exc}") from None


class TextOut:
    """Standard output for text, with the same failure handling as :class:`Sink`."""

    def __init__(self) -> None:
        stream = sys.stdout
        self.text = stream if stream is not None and not hasattr(stream, "buffer") else None
        buffer = None if stream is None or self.text is not None else stream.buffer
        self.sink = Sink(buffer, "standard output")

    def write(self, text: str) -> None:
        if self.text is not None:  # a text-only stream (redirect_stdout to a StringIO)
            self.text.write(text)
            return
        self.sink.write(text.encode("utf-8", "surrogateescape"))

    def flush(self) -> None:
        self.sink.flush()


def err(text: str) -> None:
    """One line on stderr (nothing when stderr is closed); a closed pipe propagates."""
    write_text(sys.stderr, text if text.endswith("\n") else text + "\n")


def write_text(stream: IO[str] | None, text: str) -> None:
    """Write to a text stream; a name that is not UTF-8 (a lone surrogate) is escaped."""
    if stream is None:
        return
    try:
        stream.write(text)
    except UnicodeEncodeError:
        stream.write(text.encode("utf-8", "backslashreplace").decode("utf-8"))
    stream.flush()


class Parser(argparse.ArgumentParser):
    """argparse, with messages that survive undecodable arguments and a closed stderr."""

    def _print_message(self, message: str, file: Any = None) -> None:
        if message:
            write_text(file if file is not None else sys.stderr, message)


def cli_words(message: str) -> str:
    """Python spellings in a library message, as the command line spells them."""
    return _WIRE_KEYWORD.sub(r"--wire \1", message)


_WIRE_KEYWORD = re.compile(r"wire='(\w+)'")



class Progress:
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
            text = f"[{bar:<30}] {frac:6.1%} {human(done)}/{human(self.total)}"
        else:
            text = f"{human(done)}"
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


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def progress_enabled(args: argparse.Namespace) -> bool:
    if args.progress is not None:
        return bool(args.progress)
    return bool(sys.stderr is not None and sys.stderr.isatty())

