"""pytest-benchmark, group ``ndjson``: totals of a 1,000,000-line NDJSON file.

``python -m pytest benchmarks/bench_ndjson.py --benchmark-only``. Skipped while
``usagecodec.summarize`` does not exist. Each ``summarize`` case also records the peak RSS
growth of one call, measured in a fresh process, in ``extra_info``.
"""

from __future__ import annotations

from typing import Any

import pytest

from . import cases, measure

IMPLS = ("workers=1", "workers=2", "msgspec", "decode_lines", "codec-decode_lines")
LINES = cases.NDJSON_LINES

pytestmark = pytest.mark.skipif(not cases.have_summarize(), reason=cases.SUMMARIZE_MISSING)


@pytest.fixture(scope="module")
def ndjson_cases() -> dict[str, cases.Case]:
    return {c.impl: c for c in cases.ndjson_cases(LINES)}


@pytest.mark.benchmark(group="ndjson")
@pytest.mark.parametrize("impl", IMPLS)
def test_ndjson(benchmark: Any, ndjson_cases: dict[str, cases.Case], impl: str) -> None:
    case = ndjson_cases[impl]
    benchmark.extra_info.update(cases.as_dict(case))
    if impl.startswith("workers="):
        workers = impl.partition("=")[2]
        growth = measure.peak_rss_growth(f"summarize/{workers}/{LINES}")
        benchmark.extra_info["peak_rss_growth_bytes"] = growth["growth"]
        benchmark.extra_info["worker_max_rss_bytes"] = growth["children_max_rss"]
    result = benchmark.pedantic(
        case.fn, args=(case.arg,), kwargs=case.kwargs or {}, rounds=3, warmup_rounds=1
    )
    assert case.check is not None
    case.check(result)
