"""One line, whatever it holds: the reference meaning of a record.

:class:`LineDecoder` decodes one line with the codec's full rules and error messages: a bare
usage (first), a response body, or an envelope holding the usage at a dotted path (``at``).
The chunk decoder of :mod:`._records` gets the same answers faster and falls back to it; the
logging filter of :mod:`usagecodec.telemetry` uses it for each value it meets.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET

from ._codec import UsageCodec
from ._errors import UsageDecodeError
from ._input import CAUGHT as _CAUGHT
from ._input import normalize as _normalize
from ._messages import dialect_problem, translate, wrong_shape
from ._models import PostV2ProxyImagesVariationsUsage as Usage
from ._options import path_keys
from ._plan import strict_checks as _strict_checks
from ._scan import MAX_DEPTH, exceeds_depth
from ._variants import ADOPT, DIALECTS

__all__ = ["LineDecoder", "envelope_type"]

_adopt_usage = ADOPT[Usage]
_translate = translate


def envelope_type(keys: list[str] | tuple[str, ...], usage_cls: type) -> type:
    """Lenient Structs that reach the usage at a path of keys, skipping everything else."""
    inner: type = usage_cls
    for depth, key in enumerate(reversed(keys)):
        inner = msgspec.defstruct(
            f"_Envelope{len(keys) - depth}",
            [("value", inner | msgspec.UnsetType, UNSET)],
            rename={"value": key},
            gc=False,
        )
    return inner


_BODY_LIKELY = 4096
"""Records longer than this are tried as response bodies first."""

def _usage_probe(wires: tuple[str, ...]) -> Any:
    """A decoder that tells whether a document has a top-level usage key (any value)."""
    names = {"camel": "totalTokens", "snake": "total_tokens"}
    cls = msgspec.defstruct(
        "_UsageProbe",
        [(f"k_{w}", msgspec.Raw | msgspec.UnsetType, UNSET) for w in wires],
        rename={f"k_{w}": names[w] for w in wires},
        gc=False,
    )
    return msgspec.json.Decoder(cls)


class LineDecoder:
    """Decode one record: a bare usage, a response body, or an envelope (``at``).

    A bare usage comes first: a line that reads both as a usage and as a response body is a
    usage. Errors are those of what the line most looks like.
    """

    def __init__(self, codec: UsageCodec, at: str | None) -> None:
        self.codec = codec
        self.at = at
        self.wire = codec.wire
        self.format = codec.format
        self.wires: tuple[str, ...] = ("camel", "snake") if codec.wire == "auto" else (codec.wire,)
        if at is not None:
            self.at_keys = path_keys(at)
            self.envelopes: list[tuple[str, Any, bool]] = []
            for name in self.wires:
                dialect = DIALECTS[name]
                for lenient in (False, True) if not codec.strict else (False,):
                    cls = (dialect.lenient if lenient else dialect.strict)[Usage]
                    dec: Any = msgspec.json.Decoder(envelope_type(self.at_keys, cls))
                    self.envelopes.append((name, dec.decode, cls is not Usage))
        # With wire="auto", a line's dialect is guessed from its bytes (snake keys end in
        # "_tokens"), so that files mixing dialects line by line decode at first try.
        self.guess = codec.wire == "auto" and codec.format == "json" and not codec.strict
        if self.guess:
            camel, snake = codec._usage.attempts[:2]
            self.by_guess = {True: (snake, camel), False: (camel, snake)}
        self._probe: Any = None
        self._other: Any = None

    def __call__(self, line: bytes) -> Usage | None:
        """Return the record's usage (``None`` when it has none) or raise UsageDecodeError."""
        if self.at is not None:
            return self._envelope(line)
        if self.guess and type(line) is bytes and len(line) <= _BODY_LIKELY:
            for attempt in self.by_guess[b'_tokens"' in line]:
                try:
                    obj = attempt.decode(line)
                except _CAUGHT:
                    continue
                return obj if attempt.adopt is None else attempt.adopt(obj)  # type: ignore[no-any-return]
        if len(line) > _BODY_LIKELY:
            # A usage object takes a few hundred bytes: a long record is a response body, and
            # trying it as a usage first would skip all of it twice (once per dialect).
            try:
                usage = self.codec.extract_usage(line)
            except UsageDecodeError as body_error:
                if not wrong_shape(body_error):
                    raise
                try:
                    return self.codec.decode(line)
                except UsageDecodeError as usage_error:
                    raise (body_error if wrong_shape(usage_error) else usage_error) from None
            if self._has_usage_keys(line):
                try:  # also a bare usage (its body fields unknown to it): a usage comes first
                    return self.codec.decode(line)
                except UsageDecodeError:
                    pass
            return usage
        try:
            return self.codec.decode(line)
        except UsageDecodeError as usage_error:
            if not wrong_shape(usage_error):
                raise  # a usage with a problem (or not JSON at all)
            try:
                return self.codec.extract_usage(line)
            except UsageDecodeError as body_error:
                # Report the error of what the line most looks like.
                raise (usage_error if wrong_shape(body_error) else body_error) from None

    def _has_usage_keys(self, line: bytes) -> bool:
        """Whether a valid body also has a top-level usage key (its depth is known bounded)."""
        if self._probe is None:
            self._probe = _usage_probe(self.wires)
        try:
            probe = self._probe.decode(_normalize(line, self.wire, "json"))
        except _CAUGHT:  # pragma: no cover - the line was just decoded as a body
            return False
        return any(value is not UNSET for value in msgspec.structs.astuple(probe))

    def _envelope(self, line: bytes) -> Usage | None:
        data = _normalize(line, self.wire, self.format)
        if exceeds_depth(data, MAX_DEPTH):
            raise UsageDecodeError(
                f"nesting deeper than {MAX_DEPTH} levels", wire=self.wire, format="json"
            )
        first: UsageDecodeError | None = None
        for name, decode, adopt in self.envelopes:
            try:
                env = decode(data)
            except _CAUGHT as exc:
                err = _translate(exc, name, "json")
                if first is None or (first.path == "$" and err.path != "$"):
                    first = err
                continue
            value = env
            for _ in self.at_keys:
                value = value.value
                if value is UNSET:
                    return None
            if adopt:
                value = _adopt_usage(value)
            if self.codec.strict:
                _strict_checks(value, name, "json")
            return value  # type: ignore[no-any-return]
        assert first is not None
        raise self._dialect_hint(first, data)

    def _dialect_hint(self, err: UsageDecodeError, data: bytes) -> UsageDecodeError:
        """The error, with a hint when the usage at ``at`` reads in the other dialect."""
        if self.wire == "auto" or not (
            dialect_problem(err.reason) and err.path.startswith("$")
        ):
            return err
        other = "snake" if self.wire == "camel" else "camel"
        if self._other is None:
            cls = DIALECTS[other].lenient[Usage]
            self._other = msgspec.json.Decoder(envelope_type(self.at_keys, cls)).decode
        try:
            self._other(data)
        except _CAUGHT:
            return err
        return UsageDecodeError(
            f"{err.reason}; the usage is in the {other} dialect "
            f"(use wire={other!r} or wire='auto')",
            path=err.path,
            wire=err.wire,
            format=err.format,
            pos=err.pos,
        )
