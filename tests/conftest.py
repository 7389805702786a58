"""Shared fixtures and hypothesis strategies."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from usagecodec import INT64_MAX, INT64_MIN, InputTokensDetails, Usage

DATA = Path(__file__).parent / "data"

# CI (CI=true) runs a fixed number of examples with a derandomised seed so a run is
# reproducible; the quick local loop runs fewer, also derandomised; HYPOTHESIS_PROFILE=dev
# explores more.
settings.register_profile(
    "ci", max_examples=150, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "quick", max_examples=30, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=1000)
_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if _CI else "quick"))

numbers = st.one_of(
    st.integers(min_value=INT64_MIN, max_value=INT64_MAX),
    st.floats(allow_nan=False, allow_infinity=False),
)
"""Every value a usage field may hold."""


@st.composite
def usages(draw: st.DrawFn, values: st.SearchStrategy[int | float] = numbers) -> Usage:
    """Any valid usage."""
    return Usage(
        draw(values),
        draw(values),
        draw(values),
        InputTokensDetails(draw(values), draw(values)),
    )


@pytest.fixture
def seed_bytes() -> bytes:
    """The example of the reference page, serialised as the TypeScript SDK does (camel)."""
    return (DATA / "seed_example.json").read_bytes().strip()


@pytest.fixture
def seed_usage() -> Usage:
    """The values of the reference page's example."""
    return Usage(8105.75, 7451.29, 1442.01, InputTokensDetails(5727.82, 1501.66))


WIRES = ("camel", "snake", "auto")
FORMATS = ("json", "msgpack")


def camel(t: Any, i: Any, o: Any, x: Any, m: Any) -> bytes:
    """A usage document in the camel dialect, with any values (bad ones included)."""
    return msgspec.json.encode(
        {
            "totalTokens": t,
            "inputTokens": i,
            "outputTokens": o,
            "inputTokensDetails": {"textTokens": x, "imageTokens": m},
        }
    )


def snake(t: Any, i: Any, o: Any, x: Any, m: Any) -> bytes:
    """A usage document in the snake dialect, with any values (bad ones included)."""
    return msgspec.json.encode(
        {
            "total_tokens": t,
            "input_tokens": i,
            "output_tokens": o,
            "input_tokens_details": {"text_tokens": x, "image_tokens": m},
        }
    )


def reference_depth(data: bytes) -> int:
    """Deepest nesting of arrays and objects outside strings: a char-by-char state machine,
    independent of the library (the specification its depth checks are tested against)."""
    best = level = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in b"[{":
            level += 1
            best = max(best, level)
        elif byte in b"]}":
            level = max(level - 1, 0)
    return best
