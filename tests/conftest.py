"""Shared fixtures and hypothesis strategies."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from usagecodec import INT64_MAX, INT64_MIN, InputTokensDetails, Usage

DATA = Path(__file__).parent / "data"

# CI runs a fixed number of examples with a derandomised seed so a run is reproducible;
# locally, HYPOTHESIS_PROFILE=dev explores more.
settings.register_profile(
    "ci", max_examples=150, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

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
