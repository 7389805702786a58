"""Performance guard of breakdowns: the cost of ``--by`` and ``--price`` on an events file.

Run with ``python -m pytest benchmarks/test_guard_groups.py`` (under a minute on two cores).

Targets (the breakdown issue), each a ratio of two commands timed in the *same* run on the
same file of 100,000 camel log events (``benchmarks.groups.events_file``: a model, an RFC 3339
time, the usage at ``response.body.usage``), interleaved (A, B, A, B, ...), best of each
within a run, median over runs (``benchmarks.groups.breakdown_ratio``); a miss is measured
afresh (RETRIES times at most) before the test fails, with the same threshold:

- ``summarize --by model --by ts:day`` at most 1.5x the same ``summarize`` without ``--by``;
- with ``--price text=5,image=10,output=40`` as well, at most 1.55x.

Measured on the 2-core machine of the README: 1.33-1.38x and 1.35-1.41x (2026-11-30).
Peak memory with 1,000,000 distinct keys is reported by ``python -m benchmarks.groups``, not
guarded: it depends on the allocator more than on the code.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .groups import breakdown_ratio, events_file

RETRIES = 2
LINES = int(os.environ.get("USAGECODEC_GUARD_GROUP_LINES", "100000"))


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The events file the ratios are measured on."""
    return events_file(tmp_path_factory.mktemp("groups") / "events.ndjson", LINES)


@pytest.mark.parametrize(
    ("extra", "target"),
    [
        (["--by", "model", "--by", "ts:day"], 1.5),
        (["--by", "model", "--by", "ts:day", "--price", "text=5,image=10,output=40"], 1.55),
    ],
    ids=["by", "by+price"],
)
def test_breakdown_cost(events: Path, extra: list[str], target: float) -> None:
    """A breakdown (and its prices) costs at most ``target`` times the plain summarize."""
    measured = []
    for _ in range(1 + RETRIES):
        ratio, runs = breakdown_ratio(events, extra)
        measured.append((round(ratio, 3), [round(r, 3) for r in runs]))
        if ratio <= target:
            break
    ratio, runs = measured[-1]
    print(f"\n{' '.join(extra)}: {ratio:.3f}x (target <= {target}); runs {runs}")
    assert ratio <= target, f"{ratio:.3f}x > {target}x; every measurement: {measured}"
