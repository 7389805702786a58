"""The decode plan of one codec configuration: class variants tried in order, and errors.

A plan knows, for one public class (the usage or the response body), one wire and one format,
which msgspec decoders to try (strict, then lenient; one dialect, then the other under
``auto``), how to turn a twin instance into a public one, and which error to report when every
attempt failed (see :mod:`._codec` for how a decode runs).
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import msgspec
from msgspec import UNSET

from . import _bodyscan, _hot, _mpscan, _scan
from ._errors import UsageDecodeError
from ._input import CAUGHT as _CAUGHT
from ._input import MAX_DEPTH, normalize
from ._messages import dialect_problem, translate
from ._models import (
    PostV2ProxyImagesVariationsData as Data,
)
from ._models import (
    PostV2ProxyImagesVariationsInputTokensDetails as Details,
)
from ._models import (
    PostV2ProxyImagesVariationsResponseBody as Body,
)
from ._models import (
    PostV2ProxyImagesVariationsUsage as Usage,
)
from ._variants import ADOPT, DIALECTS, Dialect

__all__ = ["Attempt", "Plan", "adaptive", "exact_body_usage", "extract_method", "strict_checks"]

_T = TypeVar("_T", Usage, Body)
_ORDER: dict[str, tuple[str, ...]] = {
    "camel": ("camel",),
    "snake": ("snake",),
    "auto": ("camel", "snake"),
}
_translate = translate
_normalize = normalize


def _off_dialect(err: UsageDecodeError) -> bool:
    """True when an error only says that the document is in another dialect.

    msgspec reports the first missing field in declaration order, so a usage whose very first
    field is missing was most likely written in the other dialect; so was a body whose usage
    (``$.usage``) has that problem.
    """
    return err.path in ("$", "$.usage") and dialect_problem(err.reason)


def _pick(errors: list[UsageDecodeError]) -> UsageDecodeError:
    """Choose the error to report when every dialect failed (auto)."""
    for err in errors:
        if not _off_dialect(err):
            return err
    return errors[0]


class Attempt:
    """One way to decode: a decoder of one class variant and how to adopt its result."""

    __slots__ = ("adopt", "decode", "decode_lines", "lenient", "wire")

    def __init__(self, dialect: Dialect, cls: type, fmt: str, *, lenient: bool) -> None:
        target = (dialect.lenient if lenient else dialect.strict)[cls]
        decoder: Any = (
            msgspec.json.Decoder(target) if fmt == "json" else msgspec.msgpack.Decoder(target)
        )
        self.decode: Callable[[Any], Any] = decoder.decode
        self.decode_lines: Callable[[Any], list[Any]] | None = getattr(
            decoder, "decode_lines", None
        )
        self.adopt: Callable[[Any], Any] | None = None if target is cls else ADOPT[cls]
        self.lenient = lenient
        self.wire = dialect.name


class Plan(Generic[_T]):
    """Everything one codec needs to decode one public class."""

    def __init__(self, cls: type[_T], wire: str, fmt: str, strict: bool) -> None:
        self.cls: type[_T] = cls
        self.wire = wire
        self.fmt = fmt
        self.strict = strict
        dialects = [DIALECTS[name] for name in _ORDER[wire]]
        self.attempts = [Attempt(d, cls, fmt, lenient=False) for d in dialects]
        if not strict:
            self.attempts += [Attempt(d, cls, fmt, lenient=True) for d in dialects]
        self.first = self.attempts[0]
        self._other: Attempt | None = None

    def slow(self, buf: object) -> _T:
        """Decode robustly: normalise, bound the depth, try every variant, explain failures."""
        data = _normalize(buf, self.wire, self.fmt)
        failures: list[tuple[Attempt, BaseException]] = []
        depth_checked = False
        for attempt in self.attempts:
            if attempt.lenient and not depth_checked:
                depth_checked = True
                self._check_depth(data)
            try:
                obj = attempt.decode(data)
            except _CAUGHT as exc:
                failures.append((attempt, exc))
                continue
            if attempt.adopt is not None:
                obj = attempt.adopt(obj)
            if self.strict:
                strict_checks(obj, attempt.wire, self.fmt)
            return obj  # type: ignore[no-any-return]
        # Every attempt failed. For a lenient codec the strict attempts were only a fast path:
        # report what the lenient classes said.
        err = _pick(
            [_translate(exc, a.wire, self.fmt) for a, exc in failures if a.lenient != self.strict]
        )
        if not data.strip(b" \t\r\n"):
            err = UsageDecodeError("empty document", wire=self.wire, format=self.fmt)
        elif self.wire != "auto" and _off_dialect(err) and self._other_dialect_decodes(data):
            other = "snake" if self.wire == "camel" else "camel"
            err = UsageDecodeError(
                f"{err.reason}; the document is in the {other} dialect "
                f"(use wire={other!r} or wire='auto')",
                path=err.path,
                wire=err.wire,
                format=err.format,
            )
        if self.wire == "auto" and err.wire != "auto":
            err = UsageDecodeError(
                err.reason,
                path=err.path,
                wire=f"auto/{err.wire}",
                format=err.format,
                pos=err.pos,
            )
        raise err

    def _other_dialect_decodes(self, data: bytes) -> bool:
        if self._other is None:  # built on first need: most codecs never need it
            other = DIALECTS["snake" if self.wire == "camel" else "camel"]
            self._other = Attempt(other, self.cls, self.fmt, lenient=True)
        if self._check_depth(data, raise_=False):
            return False
        try:
            self._other.decode(data)
        except _CAUGHT:
            return False
        return True

    def _check_depth(self, data: bytes, *, raise_: bool = True) -> bool:
        """Whether ``data`` nests deeper than MAX_DEPTH; raise the error if ``raise_``."""
        if self.fmt == "json":
            deep = _scan.exceeds_depth(data, MAX_DEPTH)
        else:
            deep = _msgpack_exceeds_depth(data, MAX_DEPTH)
        if deep and raise_:
            raise UsageDecodeError(
                f"nesting deeper than {MAX_DEPTH} levels", wire=self.wire, format=self.fmt
            )
        return deep

    def method(self, name: str, doc: str | None) -> Callable[..., _T]:
        """Build the hot-path function of a codec configuration (see ``_hot``)."""
        first = self.first
        values: dict[str, Any] = {"_fast": first.decode, "_slow": self.slow, "_caught": _CAUGHT}
        if self.strict:
            template: Callable[..., Any] = _hot.decode_strict
            values.update(
                _adopt=first.adopt or _identity,
                _checks=strict_checks,
                _wire=first.wire,
                _fmt=self.fmt,
            )
        elif first.adopt is None:
            template = _hot.decode
        elif self.cls is Usage:
            template = _hot.decode_usage_adopt
            values.update(_details=Details, _usage=Usage)
        elif self.cls is Body:
            template = _hot.decode_body_adopt
            values.update(_data=Data, _details=Details, _usage=Usage, _body=Body, _unset=UNSET)
        else:
            template = _hot.decode_adopt
            values.update(_adopt=first.adopt)
        return _hot.bind(template, name, doc, **values)  # type: ignore[no-any-return]


def exact_body_usage(plan: Plan[Body]) -> Any:
    """Build the ``_exact_body_usage`` of a lenient codec configuration (see ``_hot``)."""
    first = plan.first
    return _hot.bind(
        _hot.exact_body_usage if first.adopt is None else _hot.exact_body_usage_adopt,
        "_exact_body_usage",
        None,
        _fast=first.decode,
        _not_exact=_hot.NOT_EXACT,
        _unset=UNSET,
        _details=Details,
        _usage=Usage,
    )


def extract_method(plan: Plan[Body], general: Callable[[Any], Any], doc: str | None) -> Any:
    """Build the ``extract_usage`` of a codec configuration: small bodies in one decode.

    A body of at most :data:`._bodyscan.SMALL` bytes is decoded whole by the strict class of
    the first dialect, and only its usage is made public; anything else (a bigger body, a
    failure) takes ``general(buf)``, the bounded-memory path. Strict codecs (whose checks
    the general path runs) get None: they keep the general method.
    """
    first = plan.first
    if plan.strict:
        return None
    return _hot.bind(
        _hot.extract if first.adopt is None else _hot.extract_adopt,
        "extract_usage",
        doc,
        _fast=first.decode,
        _general=general,
        _small=_bodyscan.SMALL,
        _unset=UNSET,
        _details=Details,
        _usage=Usage,
    )


def adaptive(
    codec: Any, usage: Plan[Usage], body: Plan[Body], general: Callable[..., Any]
) -> dict[str, Any]:
    """The per-instance methods of a lenient ``wire="auto"`` codec (see ``_hot``).

    They share one namespace, whose ``_snake`` flag says which dialect's strict class is tried
    first: the dialect of the last document that one of them decoded.

    Returns:
        Method name -> function, for the instance's ``__dict__``; ``"_hint"`` -> the namespace.
    """
    camel_usage, snake_usage = usage.attempts[:2]
    camel_body, snake_body = body.attempts[:2]
    namespace: dict[str, Any] = {
        "_snake": False,
        "_caught": _CAUGHT,
        "_camel_usage": camel_usage.decode,
        "_snake_usage": snake_usage.decode,
        "_camel_body": camel_body.decode,
        "_snake_body": snake_body.decode,
        "_slow_usage": usage.slow,
        "_slow_body": body.slow,
        "_extract": types.MethodType(general, codec),
        "_small": _bodyscan.SMALL,
        "_unset": UNSET,
        "_data": Data,
        "_details": Details,
        "_usage": Usage,
        "_body": Body,
        # A miss (a change of dialect) is rare: it adopts through the shared functions.
        "_adopt_usage": ADOPT[Usage],
        "_adopt_body": ADOPT[Body],
    }
    bind = functools.partial(_hot.bind_to, namespace)
    namespace["_miss_usage"] = bind(_hot.auto_miss_usage, "_miss_usage", None)
    namespace["_miss_body"] = bind(_hot.auto_miss_body, "_miss_body", None)
    namespace["_not_exact"] = _hot.NOT_EXACT
    return {
        "decode": bind(_hot.auto_decode, "decode", type(codec).decode.__doc__),
        "decode_response": bind(
            _hot.auto_decode_response, "decode_response", type(codec).decode_response.__doc__
        ),
        "extract_usage": bind(_hot.auto_extract_usage, "extract_usage", general.__doc__),
        "_exact_body_usage": bind(_hot.auto_exact_body_usage, "_exact_body_usage", None),
        "_hint": namespace,
    }


def _identity(obj: Any) -> Any:
    return obj


def _msgpack_exceeds_depth(data: bytes, limit: int) -> bool:
    # A MessagePack container needs at least one byte per level: short input is safe.
    if len(data) <= limit:
        return False
    return _mpscan.walk(data, 0, stop_above=limit)[1] > limit


def strict_checks(obj: Any, wire: str, fmt: str) -> None:
    """What ``strict=True`` adds on top of the strict classes: no negative count."""
    usage = obj if type(obj) is Usage else obj.usage
    if usage is UNSET:
        return
    prefix = "$" if type(obj) is Usage else "$.usage"
    d = usage.input_tokens_details
    camel = wire == "camel"
    for name, camel_name, value in (
        ("total_tokens", "totalTokens", usage.total_tokens),
        ("input_tokens", "inputTokens", usage.input_tokens),
        ("output_tokens", "outputTokens", usage.output_tokens),
        ("input_tokens_details.text_tokens", "inputTokensDetails.textTokens", d.text_tokens),
        ("input_tokens_details.image_tokens", "inputTokensDetails.imageTokens", d.image_tokens),
    ):
        if value < 0:
            raise UsageDecodeError(
                f"negative count {value!r} (strict)",
                path=f"{prefix}.{camel_name if camel else name}",
                wire=wire,
                format=fmt,
            )
