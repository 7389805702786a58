"""pytest-benchmark, groups ``body`` and ``auto``: single response bodies, and ``wire="auto"``.

``body``: one response body (one url, or one 1.5 MB ``b64_json`` image), snake and camel:
``decode_response`` and ``extract_usage`` next to a plain msgspec Struct of the body, the SDK
(snake) and ``orjson.loads``. ``auto``: ``UsageCodec("auto")`` next to the codec of the
document's dialect, for ``decode``, ``decode_response``, ``extract_usage`` and
``decode_lines``.

``python -m pytest benchmarks/bench_body.py --benchmark-only``; add
``--benchmark-group-by=group,param:variant`` for one table per body.
"""

from __future__ import annotations

from typing import Any

import pytest

from . import cases

BODY = cases.body_cases()
AUTO = cases.auto_cases()


def _run(benchmark: Any, case: cases.Case) -> None:
    benchmark.extra_info.update(cases.as_dict(case))
    with case.context():
        result = benchmark(case.fn, case.arg, **(case.kwargs or {}))
    assert case.check is not None
    case.check(result)


@pytest.mark.benchmark(group="body")
@pytest.mark.parametrize("impl", list(dict.fromkeys(c.impl for c in BODY)))
@pytest.mark.parametrize("variant", list(dict.fromkeys(c.variant for c in BODY)))
def test_body(benchmark: Any, variant: str, impl: str) -> None:
    case = next((c for c in BODY if c.variant == variant and c.impl == impl), None)
    if case is None:  # the SDK on a camel body
        pytest.skip(f"{impl} does not read {variant} (the SDK reads snake only)")
    _run(benchmark, case)


@pytest.mark.benchmark(group="auto")
@pytest.mark.parametrize("case", AUTO, ids=[f"{c.variant}-{c.impl}" for c in AUTO])
def test_auto(benchmark: Any, case: cases.Case) -> None:
    _run(benchmark, case)
