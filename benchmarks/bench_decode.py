"""pytest-benchmark, group ``decode``: one small usage document, camel, snake and MessagePack.

``python -m pytest benchmarks/bench_decode.py --benchmark-only``
"""

from __future__ import annotations

from typing import Any

import pytest

from . import cases

CASES = cases.decode_cases()


@pytest.mark.benchmark(group="decode")
@pytest.mark.parametrize("case", CASES, ids=[f"{c.variant}-{c.impl}" for c in CASES])
def test_decode(benchmark: Any, case: cases.Case) -> None:
    benchmark.extra_info.update(cases.as_dict(case))
    result = benchmark(case.fn, case.arg, **(case.kwargs or {}))
    assert case.check is not None
    case.check(result)
