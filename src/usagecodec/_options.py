"""The reading options: one frozen, picklable object, validated once.

Every reader (:func:`~usagecodec.read_usages`, :func:`~usagecodec.summarize`, the command
line, :mod:`usagecodec.arrow`, :mod:`usagecodec.dask` and the worker processes) takes its
options from a :class:`ReadOptions`; the public entry points keep their keyword arguments and
build one.
"""

from __future__ import annotations

from typing import Literal

from msgspec import Struct

from ._scan import MAX_DEPTH

__all__ = ["DEFAULT_CHUNK_SIZE", "DEFAULT_MAX_LINE_BYTES", "OnError", "ReadOptions"]

OnError = Literal["raise", "skip", "collect"]
"""What to do with a bad line: raise at once, count it, or count and keep it."""

DEFAULT_CHUNK_SIZE = 1 << 20
"""Bytes read at a time (1 MiB)."""
DEFAULT_MAX_LINE_BYTES = 64 << 20
"""Longest line accepted (64 MiB); longer lines are bad lines, skipped in bounded memory."""

_WIRES = ("camel", "snake", "auto")
_FORMATS = ("json", "msgpack")
_ON_ERROR = ("raise", "skip", "collect")


class ReadOptions(Struct, frozen=True, kw_only=True):
    """How to read a stream of records; every value is checked when the object is built.

    Attributes:
        wire: ``"camel"``, ``"snake"`` or ``"auto"`` (per record).
        at: Dotted path of the usage inside each record, such as ``"response.body.usage"``,
            or ``None`` for bare usages and response bodies.
        strict: Reject unknown fields inside the usage and negative counts.
        on_error: ``"raise"``, ``"skip"`` or ``"collect"``.
        max_line_bytes: Longest accepted line (or MessagePack document), in bytes.
        chunk_size: Bytes read at a time.
        format: ``"json"`` (NDJSON) or ``"msgpack"`` (concatenated documents).

    Raises:
        ValueError: For a value out of its range (a message names the option).
        TypeError: For a value of the wrong type.
    """

    wire: Literal["camel", "snake", "auto"] = "camel"
    at: str | None = None
    strict: bool = False
    on_error: OnError = "raise"
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    chunk_size: int = DEFAULT_CHUNK_SIZE
    format: Literal["json", "msgpack"] = "json"

    def __post_init__(self) -> None:
        _choice("wire", self.wire, _WIRES)
        _choice("format", self.format, _FORMATS)
        _choice("on_error", self.on_error, _ON_ERROR)
        if type(self.strict) is not bool:
            raise TypeError(f"strict must be a bool, not {type(self.strict).__name__}")
        for name in ("max_line_bytes", "chunk_size"):
            value = getattr(self, name)
            if type(value) is not int:
                raise TypeError(f"{name} must be an int, not {type(value).__name__}")
            if value < 1:
                raise ValueError(f"{name} must be positive, not {value}")
        if self.at is not None:
            path_keys(self.at)
            if self.format == "msgpack":
                raise ValueError("at applies to NDJSON, not to MessagePack streams")

    @property
    def at_keys(self) -> tuple[str, ...]:
        """The keys of ``at``, outermost first (empty without ``at``)."""
        return () if self.at is None else tuple(self.at.split("."))


def path_keys(at: object) -> list[str]:
    """Split a dotted path into its keys, or raise ValueError saying what is wrong with it."""
    if not isinstance(at, str):
        raise TypeError(f"at must be a str, not {type(at).__name__}")
    keys = at.split(".")
    if not at or any(not k for k in keys):
        raise ValueError(
            f"at must be a dotted path of object keys, like 'response.usage', not {at!r}"
        )
    if len(keys) >= MAX_DEPTH:
        raise ValueError(
            f"at has {len(keys)} keys; a usage nested that deep is past the nesting bound "
            f"({MAX_DEPTH} levels)"
        )
    return keys


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
