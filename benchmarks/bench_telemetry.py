"""pytest-benchmark, group ``logging``: ``UsageFilter.filter`` and ``JsonFormatter.format``.

Each case passes over 1,000 fresh records (100 for the 64 KiB image body), refilled before
every round outside the timed region: a record already filtered would return at once. Next to
each, the codec call that does the same decode over the same values (or, for the formatter,
``logging.Formatter`` writing the same fields). The targets and the guard are in
``benchmarks/test_guard_logging.py``; ``benchmarks/logging_cases.py`` builds the cases.

``python -m pytest benchmarks/bench_telemetry.py --benchmark-only``
"""

from __future__ import annotations

from typing import Any

import pytest

from . import cases, logging_cases

PAIRS = [*logging_cases.filter_pairs(), logging_cases.formatter_pair()]
CASES = [case for pair in PAIRS for case in (pair.ours, pair.ref)]


@pytest.mark.benchmark(group="logging")
@pytest.mark.parametrize("case", CASES, ids=[f"{c.variant}-{c.impl}" for c in CASES])
def test_logging(benchmark: Any, case: cases.Case) -> None:
    benchmark.extra_info.update(cases.as_dict(case))

    def fresh() -> None:
        with case.context():  # refills the records
            pass

    benchmark.pedantic(case.fn, args=(case.arg,), setup=fresh, rounds=30, iterations=1)
    if case.check is not None:
        case.check(None)
