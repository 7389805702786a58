"""pytest-benchmark, group ``encode``: one usage encoded to camel, snake JSON and MessagePack.

``python -m pytest benchmarks/bench_encode.py --benchmark-only``
"""

from __future__ import annotations

from typing import Any

import pytest

from . import cases

CASES = cases.encode_cases()


@pytest.mark.benchmark(group="encode")
@pytest.mark.parametrize("case", CASES, ids=[f"{c.variant}-{c.impl}" for c in CASES])
def test_encode(benchmark: Any, case: cases.Case) -> None:
    benchmark.extra_info.update(cases.as_dict(case))
    result = benchmark(case.fn, case.arg, **(case.kwargs or {}))
    assert case.check is not None
    case.check(result)
