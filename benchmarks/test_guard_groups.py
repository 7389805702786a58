"""Performance guard of breakdowns: the cost of ``--by`` and ``--price`` on an events file.

Run with ``python -m pytest benchmarks/test_guard_groups.py`` (about a minute on two cores).

Targets (the breakdown issue), each a ratio of two commands timed in the *same* run on the
same file, interleaved (A, B, A, B, ...), best of each within a run, median over RUNS runs;
a miss is measured afresh (RETRIES times at most) before the test fails, with the same
threshold:

- ``summarize --by model --by ts:day`` at most 1.5x the same ``summarize`` without ``--by``;
- with ``--price text=5,image=10,output=40`` as well, at most 1.55x.

Peak memory with 1,000,000 distinct keys is reported by ``python -m benchmarks.groups``
(see the module there), not guarded: it depends on the allocator more than on the code.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from usagecodec._cli import main

RUNS = 5
ROUNDS = 5
RETRIES = 2
LINES = int(os.environ.get("USAGECODEC_GUARD_GROUP_LINES", "100000"))
MODELS = ["gpt-image-1", "gpt-image-1-mini", "dall-e-2", "dall-e-3"]


def events_file(path: Path, lines: int, seed: int = 7) -> Path:
    """Camel log events, the usage at ``response.body.usage``, with a model and a time."""
    rng = random.Random(seed)
    start = 1_795_737_600  # 2026-11-27T00:00:00Z
    with path.open("w") as f:
        for k in range(lines):
            i = rng.randint(0, 2000)
            x = rng.randint(0, i)
            o = rng.choice([272, 408, 1056, 1584, 4160])
            stamp = start + k * 5
            event = {
                "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp)),
                "level": "info",
                "model": rng.choice(MODELS),
                "request": {"id": f"req_{k:08d}", "team": rng.choice("abcd")},
                "response": {
                    "status": 200,
                    "body": {
                        "created": stamp,
                        "data": [{"url": f"https://cdn.example.com/{k}.png"}],
                        "usage": {
                            "totalTokens": i + o,
                            "inputTokens": i,
                            "outputTokens": o,
                            "inputTokensDetails": {"textTokens": x, "imageTokens": i - x},
                        },
                    },
                },
            }
            f.write(json.dumps(event, separators=(",", ":")) + "\n")
    return path


def _command(args: list[str]) -> Callable[[], None]:
    def run() -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(args) == 0

    return run


def _ratio(plain: Callable[[], None], other: Callable[[], None]) -> tuple[float, list[float]]:
    ratios = []
    for _ in range(RUNS):
        best = {"plain": float("inf"), "other": float("inf")}
        for _ in range(ROUNDS):
            for name, fn in (("plain", plain), ("other", other)):
                start = time.perf_counter()
                fn()
                best[name] = min(best[name], time.perf_counter() - start)
        ratios.append(best["other"] / best["plain"])
    return statistics.median(ratios), ratios


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Path:
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
    base = ["summarize", "--json", "--at", "response.body.usage", str(events)]
    plain = _command(base)
    other = _command([*base, *extra])
    measured = []
    for _ in range(1 + RETRIES):
        ratio, runs = _ratio(plain, other)
        measured.append((ratio, runs))
        if ratio <= target:
            break
    ratio, runs = measured[-1]
    print(f"\n{' '.join(extra)}: {ratio:.3f}x (target <= {target}); runs "
          + ", ".join(f"{r:.3f}" for r in runs))  # fmt: skip
    assert ratio <= target, f"{ratio:.3f}x > {target}x; every measurement: {measured}"
