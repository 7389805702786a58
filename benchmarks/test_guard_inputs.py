"""Performance guard of compressed input: a gzip file read directly is no slower than ``zcat``.

Run with ``python -m pytest benchmarks/test_guard_inputs.py`` (about half a minute).

``usagecodec summarize f.gz`` decompresses in a background thread (isal when installed, the
``gzip`` extra), so decompression and decoding overlap as they do in ``zcat f.gz |
usagecodec summarize -``. Both commands run as child processes on the same file, interleaved,
best of ROUNDS per run, median of RUNS runs; a miss is measured afresh before the test fails.
Target: direct / pipeline <= 1.0.
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

RUNS = 5
ROUNDS = 3
RETRIES = 2
LINES = 300_000


def _usage_lines(lines: int) -> bytes:
    rng = random.Random(3)
    out = []
    for _ in range(lines):
        i, o = rng.randint(0, 2000), rng.choice([272, 1056, 4160])
        x = rng.randint(0, i)
        out.append(
            json.dumps(
                {"totalTokens": i + o, "inputTokens": i, "outputTokens": o,
                 "inputTokensDetails": {"textTokens": x, "imageTokens": i - x}},
                separators=(",", ":"),
            )
        )  # fmt: skip
    return ("\n".join(out) + "\n").encode()


def _time(command: list[str], *, shell: bool = False) -> float:
    start = time.perf_counter()
    subprocess.run(
        " ".join(command) if shell else command,
        shell=shell,
        check=True,
        stdout=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


@pytest.mark.skipif(shutil.which("zcat") is None, reason="zcat is not installed")
def test_gzip_direct_is_no_slower_than_zcat(tmp_path: Path) -> None:
    path = tmp_path / "usage.ndjson.gz"
    path.write_bytes(gzip.compress(_usage_lines(LINES), compresslevel=6))
    usagecodec = [sys.executable, "-m", "usagecodec", "summarize", "--json"]
    direct = [*usagecodec, str(path)]
    pipeline = ["zcat", str(path), "|", *usagecodec, "-"]
    measured = []
    for _ in range(1 + RETRIES):
        ratios = []
        for _ in range(RUNS):
            best_direct = min(_time(direct) for _ in range(ROUNDS))
            best_pipe = min(_time(pipeline, shell=True) for _ in range(ROUNDS))
            ratios.append(best_direct / best_pipe)
        ratio = statistics.median(ratios)
        measured.append((ratio, ratios))
        if ratio <= 1.0:
            break
    runs = ", ".join(f"{r:.3f}" for r in ratios)
    print(f"\ngzip direct / zcat pipeline: {ratio:.3f} (runs {runs})")
    assert ratio <= 1.0, f"direct {ratio:.3f}x the zcat pipeline; every measurement: {measured}"
