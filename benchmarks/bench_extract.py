"""pytest-benchmark, group ``extract``: the usage of 0.1, 2 and 8 MB response bodies.

``python -m pytest benchmarks/bench_extract.py --benchmark-only``; add
``--benchmark-group-by=group,param:size`` for one table per body size.
"""

from __future__ import annotations

from typing import Any

import pytest

from . import cases

IMPLS = ("numpy", "pure", "decode_response", "msgspec", "sdk")


@pytest.fixture(scope="module")
def extract_cases() -> dict[str, cases.Case]:
    return {c.key: c for c in cases.extract_cases()}


@pytest.mark.benchmark(group="extract")
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("size", list(cases.EXTRACT_SIZES))
def test_extract(
    benchmark: Any, extract_cases: dict[str, cases.Case], size: str, impl: str
) -> None:
    case = extract_cases.get(f"extract/{size}/{impl}")
    if case is None:
        pytest.skip(f"{impl} is not installed (pip install usagecodec[bench])")
    benchmark.extra_info.update(cases.as_dict(case))
    with case.context():
        result = benchmark(case.fn, case.arg, **(case.kwargs or {}))
    assert case.check is not None
    case.check(result)
