"""Everything that depends on the wording of msgspec's error messages, in one place.

msgspec reports a failed decode as an exception whose text carries the reason, the JSON path
(``... - at `$.usage.totalTokens```) and, for a syntax error, the byte position
(``... (byte 12)``). usagecodec turns that into :class:`UsageDecodeError` fields, rewords a
few reasons for people, and recognises a few reasons to decide what a record is (a usage in
the other dialect, a record of another kind). Every such pattern is here, and
``tests/test_messages.py`` feeds each one's triggering input to the installed msgspec: a
msgspec release that rewords a message fails that test, not a user.
"""

from __future__ import annotations

import re

import msgspec

from ._errors import UsageDecodeError

__all__ = [
    "MISSING_FIRST",
    "PATTERNS",
    "at_data_itself",
    "data_error",
    "dialect_problem",
    "got_kind",
    "humanize",
    "in_data",
    "missing_here",
    "not_a_usage",
    "shifted",
    "translate",
    "wrong_shape",
]

_AT = " - at `"
"""Separates a ValidationError's reason from its JSON path (which ends with a backquote)."""
_BYTE = re.compile(r"\s*\(byte (\d+)\)$")
"""A DecodeError's byte position, at the end of its text."""

_INT_BOUND = ("Expected `int` <= ", "Expected `int` >= ")
_FLOAT_BOUND = ("Expected `float` <= ", "Expected `float` >= ")
_TRUNCATED = "Input data was truncated"
_OUT_OF_RANGE = "Number out of range"
_NUMBER = "Expected `int | float`"
_MISSING = "Object missing required field"
_UNKNOWN = "Object contains unknown field"
_NOT_OBJECT = "Expected `object`"

MISSING_FIRST = (
    "Object missing required field `totalTokens`",
    "Object missing required field `total_tokens`",
)
"""A usage without its first field: most likely a usage in the other dialect (msgspec
reports the first missing field in declaration order)."""

_WRONG_SHAPE = (*MISSING_FIRST, "Object missing required field `created`", _UNKNOWN, _NOT_OBJECT)

_ITEM = re.compile(r" - at `\$\[(\d+)\]")
"""A path into an array decoded on its own (a slice of a body's items)."""
_BYTE_ANYWHERE = re.compile(r"\(byte (\d+)\)$")
_GOT = re.compile(r"got `(\w+)`")
_AT_DATA = " - at `$.data"

PATTERNS: dict[str, str] = {
    "int bound": _INT_BOUND[0],
    "float bound": _FLOAT_BOUND[0],
    "truncated": _TRUNCATED,
    "out of range": _OUT_OF_RANGE,
    "number": _NUMBER,
    "missing field": _MISSING,
    "unknown field": _UNKNOWN,
    "not an object": _NOT_OBJECT,
    "path": _AT,
    "byte": "(byte ",
    "got": "got `",
    "item path": " - at `$[",
    "data path": _AT_DATA,
}
"""Every phrase matched, by name (the test triggers each)."""


def humanize(reason: str) -> str:
    """Reword msgspec's messages where they would puzzle a person."""
    if reason.startswith(_INT_BOUND):
        return "integer outside the signed 64-bit range"
    if reason.startswith(_FLOAT_BOUND):
        return "non-finite number (NaN or infinity)"
    if reason == _TRUNCATED:
        return "truncated document (the input ends before the value does)"
    if reason == _OUT_OF_RANGE:
        return "number out of range (too large for a double)"
    if reason.startswith(_NUMBER):
        return "expected a number" + reason[len(_NUMBER) :]
    return reason


def translate(exc: BaseException, wire: str, fmt: str) -> UsageDecodeError:
    """Turn any decode failure into the project's error, keeping msgspec's path and position."""
    if isinstance(exc, UsageDecodeError):
        return exc
    pos: int | None = None
    path = "$"
    if isinstance(exc, msgspec.ValidationError):
        text = str(exc)
        reason, sep, rest = text.rpartition(_AT)
        if sep:
            path = rest[:-1]
        else:
            reason = text
        reason = humanize(reason)
    elif isinstance(exc, msgspec.DecodeError):
        reason = str(exc)
        m = _BYTE.search(reason)
        if m:
            pos = int(m.group(1))
            reason = reason[: m.start()]
        reason = humanize(reason)
    elif isinstance(exc, UnicodeError):
        reason = f"invalid UTF-8 ({exc.reason})" if hasattr(exc, "reason") else "invalid UTF-8"
    elif isinstance(exc, RecursionError):
        reason = "nesting too deep for this thread's stack"
    else:
        reason = f"{type(exc).__name__}: {exc}"
    err = UsageDecodeError(reason, path=path, wire=wire, format=fmt, pos=pos)
    err.__cause__ = exc
    return err


def dialect_problem(reason: str) -> bool:
    """Whether a reason only says that a usage is in the other dialect.

    That is: its first field is missing, or it has an unknown field.
    """
    return reason in MISSING_FIRST or reason.startswith(_UNKNOWN)


def wrong_shape(err: UsageDecodeError) -> bool:
    """True when an error says the record is not of the kind tried (a usage, a body)."""
    return err.path == "$" and err.reason.startswith(_WRONG_SHAPE)


def not_a_usage(err: UsageDecodeError) -> bool:
    """True when a record as a whole is not a usage (a field missing or unknown at ``$``)."""
    return err.path == "$" and err.reason.startswith((_MISSING, _UNKNOWN))


# --- the errors of a body's items read a slice at a time (see ._bodyscan) --------------------


def shifted(exc: msgspec.DecodeError, offset: int) -> msgspec.DecodeError:
    """A syntax error with its byte position moved by ``offset``."""
    text = str(exc)
    match = _BYTE_ANYWHERE.search(text)
    if match is None or not offset:
        return exc
    moved = msgspec.DecodeError(f"{text[: match.start()]}(byte {int(match.group(1)) + offset})")
    moved.__cause__ = exc
    return moved


def in_data(exc: msgspec.ValidationError, index: int) -> msgspec.ValidationError:
    """An error of a slice (``$[j]...``) as the body reports it (``$.data[index + j]...``)."""
    text = str(exc)
    match = _ITEM.search(text)
    if match is None:  # pragma: no cover - a slice is an array of items
        return exc
    head, tail = text[: match.start()], text[match.end() :]
    moved = msgspec.ValidationError(f"{head} - at `$.data[{index + int(match.group(1))}]{tail}")
    moved.__cause__ = exc
    return moved


def data_error(exc: BaseException) -> bool:
    """Whether an error is about a body's ``data`` (or inside it)."""
    return _AT_DATA in str(exc)


def at_data_itself(exc: BaseException) -> bool:
    """Whether an error is about ``data`` itself (not an array, say)."""
    return str(exc).endswith(_AT_DATA + "`")


def missing_here(exc: BaseException) -> bool:
    """A field missing from the object itself (not deeper: no path in the message)."""
    text = str(exc)
    return text.startswith(_MISSING) and _AT not in text


def got_kind(exc: BaseException) -> str | None:
    """The JSON kind a type error says it got (``str``, ``bool``, ``null``...), if it says."""
    match = _GOT.search(str(exc))
    return match.group(1) if match else None
