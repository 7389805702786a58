"""The performance targets, evaluated the same way by the guard and by ``python -m benchmarks``.

A target compares two measurements taken in the same interleaved run (see ``measure.py``):

* ``max_ratio``: ``time(ours) / time(ref)`` must stay at or below the bound (``strict``: below);
* ``min_speedup``: ``time(ref) / time(ours)``, how many times faster we are, must reach it;
* ``max_value``: a plain value (bytes of peak RSS growth) must stay below the bound.

Targets without a bound are reported, not asserted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["LOG", "TARGETS", "Outcome", "Target", "by_id"]

MIB = 1024 * 1024


@dataclass(frozen=True)
class Target:
    """One performance target (see the module docstring)."""

    id: str
    text: str
    ours: str
    ref: str
    kind: str  # "max_ratio" | "min_speedup" | "max_value"
    bound: float | None
    strict: bool = False
    known: str = ""  # a known shortfall: why the bound is not reached (reported, not guarded)

    def evaluate(self, values: Mapping[str, float]) -> Outcome:
        """Compute the measured value from ``values`` (case key -> seconds, or bytes)."""
        if self.kind == "max_value":
            value = values[self.ours]
        elif self.kind == "max_ratio":
            value = values[self.ours] / values[self.ref]
        else:
            value = values[self.ref] / values[self.ours]
        return Outcome(self, value)


@dataclass(frozen=True)
class Outcome:
    """A target and what was measured for it."""

    target: Target
    value: float

    @property
    def met(self) -> bool | None:
        """True/False when the target has a bound, None when it is informational."""
        t = self.target
        if t.bound is None:
            return None
        if t.kind == "min_speedup":
            return self.value >= t.bound
        if t.strict:
            return self.value < t.bound
        return self.value <= t.bound

    @property
    def bound_text(self) -> str:
        """``<= 1.15``, ``>= 6`` or ``< 64 MiB``; ``(report)`` without a bound."""
        t = self.target
        if t.bound is None:
            return "(report)"
        op = ">=" if t.kind == "min_speedup" else ("<" if t.strict else "<=")
        if t.kind == "max_value":
            return f"{op} {t.bound / MIB:g} MiB"
        return f"{op} {t.bound:g}"

    @property
    def value_text(self) -> str:
        """The measured value, formatted as its bound is."""
        if self.target.kind == "max_value":
            return f"{self.value / MIB:.1f} MiB"
        return f"{self.value:.3f}"

    def message(self) -> str:
        """One line: what, measured, target, verdict."""
        verdict = {True: "met", False: "NOT MET", None: "reported"}[self.met]
        if self.met is False and self.target.known:
            verdict = f"known shortfall: {self.target.known}"
        kind = {"max_ratio": "t_ours/t_ref", "min_speedup": "t_ref/t_ours", "max_value": ""}
        what = kind[self.target.kind]
        what = f" ({what})" if what else ""
        return (
            f"{self.target.id}: {self.target.text}{what}: measured {self.value_text}, "
            f"target {self.bound_text} -> {verdict}"
        )


def _t(*args: object, **kwargs: object) -> Target:
    return Target(*args, **kwargs)  # type: ignore[arg-type]


TARGETS: tuple[Target, ...] = (
    # decode: one small usage document
    _t("decode-codec-vs-msgspec", "UsageCodec.decode (camel JSON) vs bare msgspec",
       "decode/camel/codec", "decode/camel/msgspec", "max_ratio", 1.15),
    _t("decode-codec-vs-sdk", "UsageCodec.decode (camel JSON) speed-up over the SDK (snake)",
       "decode/camel/codec", "decode/snake/sdk", "min_speedup", 6.0,
       known="bare msgspec on the public struct, whose signed 64-bit bound on ints costs ~7%,"
       " is itself only ~6.4x faster than the SDK, and a Python-level wrapper adds ~12%"),
    _t("decode-snake-vs-sdk", 'UsageCodec("snake").decode speed-up over the SDK (snake)',
       "decode/snake/codec", "decode/snake/sdk", "min_speedup", None),
    _t("decode-snake-vs-msgspec", 'UsageCodec("snake").decode vs bare msgspec (snake twin)',
       "decode/snake/codec", "decode/snake/msgspec", "max_ratio", None),
    _t("decode-function-vs-msgspec", "decode_usage (camel JSON) vs bare msgspec",
       "decode/camel/function", "decode/camel/msgspec", "max_ratio", 1.3),
    _t("decode-msgpack-vs-msgspec", 'UsageCodec(format="msgpack").decode vs bare msgspec',
       "decode/msgpack/codec", "decode/msgpack/msgspec", "max_ratio", None),
    # encode
    _t("encode-codec-vs-sdk", "UsageCodec().encode (camel JSON) speed-up over SDK model_dump_json",
       "encode/camel/codec", "encode/snake/sdk", "min_speedup", 3.5),
    _t("encode-snake-vs-sdk", 'UsageCodec("snake").encode speed-up over SDK model_dump_json',
       "encode/snake/codec", "encode/snake/sdk", "min_speedup", 3.5,
       known="encoding snake builds the snake twin of the usage (two Struct constructions,"
       " ~190 ns)"),
    _t("encode-msgpack-vs-json", 'UsageCodec(format="msgpack").encode vs UsageCodec().encode',
       "encode/msgpack/codec", "encode/camel/codec", "max_ratio", 1.0, True),
    _t("encode-codec-vs-msgspec", "UsageCodec().encode vs bare msgspec",
       "encode/camel/codec", "encode/camel/msgspec", "max_ratio", None),
    # extract: usage of full response bodies
    _t("extract-0.1MB-vs-sdk", "extract_usage (numpy), 0.1 MB body, speed-up over the SDK",
       "extract/0.1MB/numpy", "extract/0.1MB/sdk", "min_speedup", 1.0),
    _t("extract-2MB-vs-sdk", "extract_usage (numpy), 2 MB body, speed-up over the SDK",
       "extract/2MB/numpy", "extract/2MB/sdk", "min_speedup", 2.5),
    _t("extract-8MB-vs-sdk", "extract_usage (numpy), 8 MB body, speed-up over the SDK",
       "extract/8MB/numpy", "extract/8MB/sdk", "min_speedup", 3.0),
    _t("extract-0.1MB-pure-vs-sdk", "extract_usage (pure fallback), 0.1 MB, speed-up over SDK",
       "extract/0.1MB/pure", "extract/0.1MB/sdk", "min_speedup", None),
    _t("extract-2MB-pure-vs-sdk", "extract_usage (pure fallback), 2 MB, speed-up over SDK",
       "extract/2MB/pure", "extract/2MB/sdk", "min_speedup", None),
    _t("extract-8MB-pure-vs-sdk", "extract_usage (pure fallback), 8 MB, speed-up over SDK",
       "extract/8MB/pure", "extract/8MB/sdk", "min_speedup", None),
    # body: one response body (one url, or one 1.5 MB b64_json image), against the plain
    # msgspec Struct of the body in the same dialect
    _t("body-url-snake-vs-plain", 'UsageCodec("snake").decode_response, url body, vs plain Struct',
       "body/url-snake/decode_response", "body/url-snake/msgspec", "max_ratio", 1.25,
       known="past what msgspec allows for a public result: snake JSON decodes into private"
       " twins (one set of wire names per class) whose four objects become public by __class__"
       " assignment (~30 ns each); the twin decode plus those assignments alone measures"
       " 1.40-1.46x (body-url-snake-limit-vs-plain), decode_response 1.42-1.46x: 0.97-1.00x"
       " that limit"),
    _t("body-url-snake-limit-vs-plain",
       "the limit: strict snake twin + the four __class__ assignments, vs plain Struct",
       "body/url-snake/limit", "body/url-snake/msgspec", "max_ratio", None),
    _t("body-url-snake-vs-limit", 'UsageCodec("snake").decode_response vs that limit',
       "body/url-snake/decode_response", "body/url-snake/limit", "max_ratio", None),
    _t("body-url-camel-vs-plain", "UsageCodec().decode_response, url body, vs plain Struct",
       "body/url-camel/decode_response", "body/url-camel/msgspec", "max_ratio", 1.25),
    _t("body-1.5MB-snake-vs-plain",
       'UsageCodec("snake").decode_response, 1.5 MB image body, vs plain Struct',
       "body/1.5MB-snake/decode_response", "body/1.5MB-snake/msgspec", "max_ratio", 1.25),
    _t("body-1.5MB-camel-vs-plain",
       "UsageCodec().decode_response, 1.5 MB image body, vs plain Struct",
       "body/1.5MB-camel/decode_response", "body/1.5MB-camel/msgspec", "max_ratio", 1.25),
    _t("body-url-snake-extract-vs-plain",
       'UsageCodec("snake").extract_usage, url body, vs plain Struct body decode',
       "body/url-snake/extract_usage", "body/url-snake/msgspec", "max_ratio", 1.3,
       known="at the bound: the twin decode plus the usage's two __class__ assignments alone"
       " measures 1.20-1.28x (body-url-snake-extract-limit-vs-plain); the size check that keeps"
       " memory bounded on large bodies and the call add the rest: 1.30-1.38x"),
    _t("body-url-snake-extract-limit-vs-plain",
       "the limit: strict snake twin + the usage's two __class__ assignments, vs plain Struct",
       "body/url-snake/limit-extract", "body/url-snake/msgspec", "max_ratio", None),
    _t("body-url-camel-extract-vs-plain",
       "UsageCodec().extract_usage, url body, vs plain Struct body decode",
       "body/url-camel/extract_usage", "body/url-camel/msgspec", "max_ratio", 1.3),
    _t("body-1.5MB-snake-extract-vs-sdk",
       'UsageCodec("snake").extract_usage, 1.5 MB image body, speed-up over the SDK',
       "body/1.5MB-snake/extract_usage", "body/1.5MB-snake/sdk", "min_speedup", 3.0),
    # auto: UsageCodec("auto") against the codec of the document's dialect, same call
    _t("auto-snake-decode-vs-snake", 'UsageCodec("auto").decode vs UsageCodec("snake"), snake',
       "auto/snake-decode/auto", "auto/snake-decode/snake", "max_ratio", 1.15),
    _t("auto-snake-decode_response-vs-snake",
       'UsageCodec("auto").decode_response vs UsageCodec("snake"), snake url body',
       "auto/snake-decode_response/auto", "auto/snake-decode_response/snake", "max_ratio", 1.15),
    _t("auto-snake-extract_usage-vs-snake",
       'UsageCodec("auto").extract_usage vs UsageCodec("snake"), snake url body',
       "auto/snake-extract_usage/auto", "auto/snake-extract_usage/snake", "max_ratio", 1.15),
    _t("auto-snake-decode_lines-vs-snake",
       'UsageCodec("auto").decode_lines vs UsageCodec("snake"), 1,000 snake lines',
       "auto/snake-decode_lines/auto", "auto/snake-decode_lines/snake", "max_ratio", 1.15),
    _t("auto-camel-decode-vs-camel", 'UsageCodec("auto").decode vs UsageCodec(), camel',
       "auto/camel-decode/auto", "auto/camel-decode/camel", "max_ratio", 1.1),
    _t("auto-camel-decode_response-vs-camel",
       'UsageCodec("auto").decode_response vs UsageCodec(), camel url body',
       "auto/camel-decode_response/auto", "auto/camel-decode_response/camel", "max_ratio", 1.1),
    _t("auto-camel-extract_usage-vs-camel",
       'UsageCodec("auto").extract_usage vs UsageCodec(), camel url body',
       "auto/camel-extract_usage/auto", "auto/camel-extract_usage/camel", "max_ratio", 1.1),
    _t("auto-camel-decode_lines-vs-camel",
       'UsageCodec("auto").decode_lines vs UsageCodec(), 1,000 camel lines',
       "auto/camel-decode_lines/auto", "auto/camel-decode_lines/camel", "max_ratio", 1.1),
    # ndjson (the variant is filled in by for_lines())
    _t("ndjson-w1-vs-floor", "summarize workers=1 vs read + bare decode_lines + sums",
       "ndjson/{n}/workers=1", "ndjson/{n}/msgspec", "max_ratio", 1.15),
    _t("ndjson-w1-vs-decode_lines", "summarize workers=1 vs bare decode_lines alone (in memory)",
       "ndjson/{n}/workers=1", "ndjson/{n}/decode_lines", "max_ratio", None),
    _t("ndjson-w2-vs-w1", "summarize workers=2 speed-up over workers=1",
       "ndjson/{n}/workers=2", "ndjson/{n}/workers=1", "min_speedup", 1.7),
    _t("ndjson-rss", "peak RSS growth during summarize workers=1",
       "ndjson/{n}/rss-growth", "", "max_value", 64 * MIB, True),
    # import
    _t("import-vs-msgspec", "import usagecodec vs import msgspec (fresh interpreters)",
       "import/usagecodec", "import/msgspec", "max_ratio", 2.0),
)  # fmt: skip


def by_id(target_id: str, lines: str | None = None) -> Target:
    """The target ``target_id``; ndjson keys get the file's line-count label ``lines``."""
    for t in TARGETS:
        if t.id == target_id:
            if lines is not None and "{n}" in t.ours + t.ref:
                return Target(
                    t.id, t.text, t.ours.format(n=lines), t.ref.format(n=lines), t.kind,
                    t.bound, t.strict,
                )  # fmt: skip
            return t
    raise KeyError(target_id)


LOG: list[str] = []
"""Outcome messages of the guard, printed by the conftest at the end of the session."""
