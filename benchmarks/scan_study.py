"""Study: usage extraction from image-API bodies, with and without the long-string pre-scan.

Run with ``python benchmarks/scan_study.py`` (``PYTHONPATH=src`` from a checkout). Prints, for
bodies of 0.1, 2 and 8 MB (one base64 image), the best of interleaved repeats of:

* ``sdk``            orq_ai_sdk ``CreateImageVariationResponseBody.model_validate_json``
* ``msgspec-full``   msgspec decode into a Struct holding ``b64_json: str`` (validates all)
* ``msgspec-skip``   msgspec decode into a usage-only Struct (skips b64_json, so does NOT
  validate its UTF-8: not equivalent, shown for reference)
* ``prescan-numpy``  ``prescan`` + ``exceeds_depth(remainder)`` + msgspec decode of the
  remainder, numpy validation
* ``prescan-py``     the same with the msgspec fallback validation

Each size is timed interleaved (as asked), warm (each method back to back: the body stays
cached, as right after it was received) and, for 2 and 8 MB, cold (the body read from
memory). Then two tuning sweeps: single-image bodies of 2-256 KB for several ``min_len``
(where pre-scanning starts to pay), and 2 MB split into many medium strings (the cost per
removed string).
"""

from __future__ import annotations

import base64
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from usagecodec import _scan

try:
    from orq_ai_sdk.models import CreateImageVariationResponseBody
except ImportError:  # pragma: no cover - the SDK is an optional comparison
    CreateImageVariationResponseBody = None


class Details(msgspec.Struct):
    text_tokens: int
    image_tokens: int


class Usage(msgspec.Struct):
    total_tokens: int
    input_tokens: int
    output_tokens: int
    input_tokens_details: Details


class FullItem(msgspec.Struct):
    b64_json: str | None = None


class FullBody(msgspec.Struct):
    created: int
    data: list[FullItem]
    usage: Usage
    output_format: str | None = None
    size: str | None = None
    quality: str | None = None


class UsageOnly(msgspec.Struct):
    usage: Usage


FULL = msgspec.json.Decoder(FullBody)
USAGE = msgspec.json.Decoder(UsageOnly)


def make_body(size: int, images: int = 1) -> bytes:
    """An image-variation response body of about size bytes (images base64 strings)."""
    per_image = max(size // images, 8)
    items = b",".join(
        b'{"b64_json":"' + base64.b64encode(os.urandom(per_image * 3 // 4)) + b'"}'
        for _ in range(images)
    )
    return (
        b'{"created":1700000000,"data":['
        + items
        + b'],"output_format":"png","size":"1024x1024","quality":"high",'
        b'"usage":{"total_tokens":100,"input_tokens":50,"output_tokens":50,'
        b'"input_tokens_details":{"text_tokens":10,"image_tokens":40}}}'
    )


def via_prescan(body: bytes, min_len: int | None = None) -> Usage:
    """The pipeline the codec uses: pre-scan, depth bound on the remainder, msgspec decode.

    Without a remainder (nothing long), the body is decoded in full so that every string's
    UTF-8 is still validated, as the pre-scan would have.
    """
    rem = _scan.prescan(body) if min_len is None else _scan.prescan(body, min_len=min_len)
    if rem is None:
        if _scan.exceeds_depth(body):
            raise ValueError("too deep")
        return FULL.decode(body).usage
    if _scan.exceeds_depth(rem):
        raise ValueError("too deep")
    return USAGE.decode(rem).usage


def direct(body: bytes) -> Usage:
    """What a caller does without the pre-scan: depth bound, then a full msgspec decode."""
    if _scan.exceeds_depth(body):
        raise ValueError("too deep")
    return FULL.decode(body).usage


def with_numpy(use: bool, fn: Callable[[bytes], object]) -> Callable[[bytes], object]:
    """Wrap fn so that it runs with the numpy path switched on or off."""

    def run(body: bytes) -> object:
        _scan._use_numpy = use
        try:
            return fn(body)
        finally:
            _scan._use_numpy = True

    return run


_FLUSH = bytearray(64 * 1024 * 1024)  # larger than the L3 cache


def best_times(
    methods: dict[str, Callable[[bytes], object]],
    body: bytes,
    repeats: int,
    mode: str = "interleaved",
) -> dict[str, float]:
    """Best wall time of each method over repeats (seconds).

    Modes: ``interleaved`` (one run of each method in turn, so each finds the cache as the
    others left it), ``warm`` (each method's runs back to back: the body stays cached, as
    right after it was received) and ``cold`` (64 MB read before each run: the body comes
    from memory).
    """
    best = dict.fromkeys(methods, float("inf"))
    for fn in methods.values():  # warm-up: imports, caches
        fn(body)
    if mode == "warm":
        schedule = [name for name in methods for _ in range(repeats)]
    else:
        schedule = [name for _ in range(repeats) for name in methods]
    for name in schedule:
        fn = methods[name]
        if mode == "cold":
            _FLUSH.find(b"x")
        t0 = time.perf_counter()
        fn(body)
        dt = time.perf_counter() - t0
        best[name] = min(best[name], dt)
    return best


def main() -> None:
    print(
        f"python {sys.version.split()[0]}, msgspec {msgspec.__version__}, "
        f"numpy {'yes' if _scan.HAVE_NUMPY else 'no'}"
    )
    methods: dict[str, Callable[[bytes], object]] = {}
    if CreateImageVariationResponseBody is not None:
        methods["sdk"] = CreateImageVariationResponseBody.model_validate_json
    methods["msgspec-full"] = FULL.decode
    methods["msgspec-skip"] = USAGE.decode
    methods["prescan-numpy"] = with_numpy(True, via_prescan)
    methods["prescan-py"] = with_numpy(False, via_prescan)

    targets = {0.1: 1.0, 2: 2.5, 8: 3.0}
    verdicts = []
    for mb, target in targets.items():
        body = make_body(int(mb * 1024 * 1024))
        assert via_prescan(body) == FULL.decode(body).usage
        repeats = 400 if mb < 1 else 60
        for state in ("interleaved", "warm", "cold") if mb > 1 else ("interleaved", "warm"):
            best = best_times(methods, body, repeats, mode=state)
            ref = best.get("sdk")
            print(f"\n{mb} MB body ({len(body):,} bytes), best of {repeats} runs, {state}")
            for name, t in best.items():
                ratio = f"{ref / t:6.2f}x vs sdk" if ref else ""
                print(f"  {name:14s} {t * 1e3:9.4f} ms {len(body) / t / 1e9:7.2f} GB/s  {ratio}")
            if ref:
                speedup = ref / best["prescan-numpy"]
                verdicts.append(
                    f"{mb} MB {state}: prescan-numpy {speedup:.2f}x vs sdk "
                    f"(target {target}x: {'met' if speedup >= target else 'NOT met'})"
                )
    print("\n" + "\n".join(verdicts))

    print("\nsmall bodies, one image: best time in us (pipeline = prescan + decode)")
    min_lens = (8192, 16384, 32768, 65536)
    small: dict[str, Callable[[bytes], object]] = {}
    if "sdk" in methods:
        small["sdk"] = methods["sdk"]
    small["full"] = direct
    for m in min_lens:
        small[f"min_len={m // 1024}K"] = lambda b, m=m: via_prescan(b, min_len=m)
    print(" " * 16 + "".join(f"{k:>14}" for k in small))
    for size in (2_000, 8_000, 16_000, 24_000, 32_000, 48_000, 64_000, 100_000, 256_000):
        body = make_body(size)
        best = best_times(small, body, 1500)
        print(f"  {len(body):>8,} B    " + "".join(f"{v * 1e6:14.2f}" for v in best.values()))

    print("\nmany strings: ~2 MB made of n equal strings, best time in ms")
    many: dict[str, Callable[[bytes], object]] = {}
    if "sdk" in methods:
        many["sdk"] = methods["sdk"]
    many["full"] = direct
    many["prescan-numpy"] = with_numpy(True, via_prescan)
    print(" " * 30 + "".join(f"{k:>15}" for k in many))
    for n in (250, 125, 64, 32, 8):
        body = make_body(2 * 1024 * 1024, images=n)
        best = best_times(many, body, 40)
        print(
            f"  {n:4d} strings of ~{len(body) // n:>7,} B"
            + "".join(f"{v * 1e3:15.3f}" for v in best.values())
        )


if __name__ == "__main__":
    main()
