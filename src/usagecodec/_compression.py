"""Compressed inputs: gzip, bzip2, xz and zstd, recognised by their magic bytes.

A compressed source is decompressed in a background thread (zlib, bz2, lzma and zstd release
the GIL while they work), so decompression and decoding overlap on two cores as they would
in ``zcat f.gz | usagecodec summarize -``. gzip uses ``isal`` when it is installed (the
``usagecodec[gzip]`` extra: several times faster than zlib); zstd needs Python 3.14's
``compression.zstd`` or the ``backports.zstd`` package (the ``usagecodec[zstd]`` extra).
A corrupt or truncated stream raises :class:`CompressedInputError` (an ``OSError``) naming the
source, after the data before the damage was delivered.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import queue
import threading
from typing import IO, Any

__all__ = ["CompressedInputError", "detect", "open_compressed"]

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)
_BLOCK = 1 << 20
_QUEUED = 4  # blocks decompressed ahead of the reader


class CompressedInputError(OSError):
    """A compressed input is corrupt, truncated, or needs a module that is not installed."""


def detect(head: bytes) -> str | None:
    """The compression of a stream that starts with ``head`` (6 bytes suffice), or None."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return None


def _module(*names: str) -> Any:
    """The first of ``names`` that imports, or None."""
    for name in names:
        with contextlib.suppress(ImportError):
            return importlib.import_module(name)
    return None


def _decompressor(raw: IO[bytes], kind: str, name: str) -> Any:
    if kind == "gzip":
        isal = _module("isal.igzip")
        if isal is not None:
            return isal.IGzipFile(fileobj=raw, mode="rb")
        import gzip  # noqa: PLC0415

        return gzip.GzipFile(fileobj=raw, mode="rb")
    if kind == "bz2":
        import bz2  # noqa: PLC0415

        return bz2.BZ2File(raw, "rb")
    if kind == "xz":
        import lzma  # noqa: PLC0415

        return lzma.LZMAFile(raw, "rb")
    zstd = _module("compression.zstd", "backports.zstd")
    if zstd is None:
        raise CompressedInputError(
            f"{name}: zstd-compressed input needs Python 3.14 or pip install 'usagecodec[zstd]'"
        )
    return zstd.ZstdFile(raw, "rb")


class _Threaded(io.RawIOBase):
    """A readable stream whose data a background thread reads (decompresses) ahead."""

    def __init__(self, source: IO[bytes], name: str, kind: str) -> None:
        super().__init__()
        self._queue: queue.Queue[bytes | BaseException | None] = queue.Queue(_QUEUED)
        self._buffer = b""
        self._done = False
        self._stop = threading.Event()
        self._name = name
        self._kind = kind
        self._source = source
        self._thread = threading.Thread(
            target=self._pump, name=f"usagecodec-{kind}", daemon=True
        )
        self._thread.start()

    def _pump(self) -> None:
        put = self._queue.put
        try:
            read = getattr(self._source, "read1", None) or self._source.read
            while not self._stop.is_set():
                block = read(_BLOCK)
                if not block:
                    break
                put(block)
        except BaseException as exc:  # handed over to the reader's thread
            put(exc)
            return
        put(None)

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if not self._buffer:
            if self._done:
                return 0
            item = self._queue.get()
            if item is None:
                self._done = True
                return 0
            if isinstance(item, BaseException):
                self._done = True
                raise self._error(item) from item
            self._buffer = item
        n = min(len(b), len(self._buffer))
        b[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n

    def _error(self, exc: BaseException) -> BaseException:
        if isinstance(exc, EOFError):
            return CompressedInputError(
                f"{self._name}: truncated {self._kind} data (the compressed stream ends early)"
            )
        if isinstance(exc, (OSError, ValueError)) or type(exc).__name__.endswith("Error"):
            return CompressedInputError(f"{self._name}: corrupt {self._kind} data ({exc})")
        return exc

    def close(self) -> None:
        if not self.closed:
            self._stop.set()
            with contextlib.suppress(queue.Empty):  # unblock a pump waiting on a full queue
                while True:
                    self._queue.get_nowait()
            # A pump blocked on a slow pipe is a daemon thread: it is not waited for long.
            self._thread.join(timeout=1.0)
            if not self._thread.is_alive():
                self._source.close()
        super().close()


def open_compressed(raw: IO[bytes], kind: str, name: str) -> IO[bytes]:
    """A buffered binary stream of the decompressed content of ``raw``."""
    return io.BufferedReader(_Threaded(_decompressor(raw, kind, name), name, kind), _BLOCK)
