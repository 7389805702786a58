"""The exceptions usagecodec raises.

Everything the library rejects is a :class:`UsageError`, itself a :class:`ValueError`::

    ValueError
     └── UsageError               anything usagecodec rejects; catch this one
          ├── UsageDecodeError    input that does not decode to the requested type
          └── UsageValueError     a value that cannot be held or encoded (NaN, 2**64, "5")

Decoding never lets another exception escape: malformed JSON or MessagePack, invalid UTF-8,
nesting beyond :data:`MAX_DEPTH`, a wrong input type (``None``) and every type or range error
become a :class:`UsageDecodeError` carrying the JSON path.
"""

from __future__ import annotations

from typing import Any

__all__ = ["UsageDecodeError", "UsageError", "UsageValueError"]


class UsageError(ValueError):
    """Base class of every error usagecodec raises on purpose."""


class UsageDecodeError(UsageError):
    """Input that does not decode to a valid usage object.

    Attributes:
        reason: What was wrong, for a person (no path, no position).
        path: JSON path of the offending value, such as ``$.inputTokensDetails.textTokens``;
            ``$`` when the document as a whole is at fault (malformed syntax, wrong input type).
        wire: The wire dialect tried: ``"camel"``, ``"snake"`` or ``"auto"``.
        format: ``"json"`` or ``"msgpack"``.
        pos: Byte offset of a syntax error inside the document (or line), when known.
        lineno: 1-based line number when the document came from an NDJSON source (for a
            MessagePack stream, the 1-based index of the document).
        source: Name of the file or stream the line came from, when known.
    """

    reason: str
    path: str
    wire: str | None
    format: str | None
    pos: int | None
    lineno: int | None
    source: str | None

    def __init__(
        self,
        reason: str,
        *,
        path: str = "$",
        wire: str | None = None,
        format: str | None = None,
        pos: int | None = None,
        lineno: int | None = None,
        source: str | None = None,
    ) -> None:
        self.reason = reason
        self.path = path
        self.wire = wire
        self.format = format
        self.pos = pos
        self.lineno = lineno
        self.source = source
        super().__init__(reason)  # str() renders the full message, with path and context

    def _render(self) -> str:
        where = f"at `{self.path}`"
        if self.pos is not None and self.path == "$":
            where = f"at byte {self.pos}"
        prefix = ""
        if self.lineno is not None:
            unit = "document" if self.format == "msgpack" else "line"
            prefix = (
                f"{self.source}:{self.lineno}: "
                if self.source is not None
                else f"{unit} {self.lineno}: "
            )
        elif self.source is not None:
            prefix = f"{self.source}: "
        context = ", ".join(
            f"{k}={v}" for k, v in (("wire", self.wire), ("format", self.format)) if v
        )
        return f"{prefix}{self.reason} - {where}" + (f" ({context})" if context else "")

    def __str__(self) -> str:
        return self._render()

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only __init__: pickle through a helper so errors cross process boundaries
        # (parallel summaries collect them from worker processes).
        return (_rebuild_decode_error, (self.reason, self._fields()))

    def _fields(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "wire": self.wire,
            "format": self.format,
            "pos": self.pos,
            "lineno": self.lineno,
            "source": self.source,
        }

    def located(self, *, lineno: int | None = None, source: str | None = None) -> UsageDecodeError:
        """Return a copy of this error that names a line number and/or a source.

        Args:
            lineno: 1-based line number of the offending document.
            source: File name (or ``"<stdin>"``) the line came from.

        Returns:
            A new error, chained to this one.
        """
        fields = self._fields()
        if lineno is not None:
            fields["lineno"] = lineno
        if source is not None:
            fields["source"] = source
        new = UsageDecodeError(self.reason, **fields)
        new.__cause__ = self.__cause__
        return new


def _rebuild_decode_error(reason: str, fields: dict[str, Any]) -> UsageDecodeError:
    return UsageDecodeError(reason, **fields)


class UsageValueError(UsageError):
    """A value that a usage object cannot hold or that cannot be encoded faithfully.

    Raised when a usage object is built in Python with a boolean, a string, ``None``, NaN,
    an infinity or an integer outside the signed 64-bit range, and when encoding finds such a
    value (msgspec alone would write ``null`` for NaN: silent data loss).

    Attributes:
        path: Python attribute path of the value, such as ``input_tokens_details.text_tokens``.
        value: The offending value.
    """

    path: str
    value: object

    def __init__(self, message: str, *, path: str, value: object) -> None:
        self.path = path
        self.value = value
        super().__init__(f"{message} - at `{path}`")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_value_error, (self.args[0], self.path, self.value))


def _rebuild_value_error(message: str, path: str, value: object) -> UsageValueError:
    err = UsageValueError.__new__(UsageValueError)
    err.path = path
    err.value = value
    ValueError.__init__(err, message)
    return err


# Tracebacks name the errors where users import them from.
for _cls in (UsageError, UsageDecodeError, UsageValueError):
    _cls.__module__ = "usagecodec"
