"""Memory and time of breakdowns: ``python -m benchmarks.groups [LINES]``.

First the cost of ``--by`` and ``--price`` on an events file, as ratios of two commands timed
in the same run (interleaved, best of each run, median of runs; see ``breakdown_ratio``):
the targets are ``--by model --by ts:day`` at most 1.5x the same ``summarize`` without
``--by``, and with ``--price`` at most 1.55x, guarded by ``benchmarks/test_guard_groups.py``
(measured at 1.33-1.38x and 1.35-1.41x on 2026-11-30, once group keys were read without a
comparison per value).

Then memory:

Summarises one file of LINES camel log events (default 1,000,000) three ways, each in a child
process of its own so that peak RSS is measured cleanly (``ru_maxrss`` of the child):

- without ``--by``;
- ``--by model --by ts:day`` (a few dozen groups);
- ``--by request.id`` (every line its own group: LINES distinct keys).

Memory grows with the number of groups, not with lines: the first two stay at the reader's
bounded footprint; the third holds one small ``Totals`` per distinct key.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from usagecodec._cli import main as cli

RUNS, ROUNDS = 5, 5
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
            status = cli(args)
        if status != 0:  # a failed command would time nothing worth comparing
            raise RuntimeError(f"usagecodec {' '.join(args)} exited with {status}")

    return run


def breakdown_ratio(path: Path, extra: list[str]) -> tuple[float, list[float]]:
    """Median over RUNS runs of best(summarize + extra) / best(summarize), interleaved."""
    base = ["summarize", "--json", "--at", "response.body.usage", str(path)]
    plain, other = _command(base), _command([*base, *extra])
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

_CHILD = """
import json, resource, sys, time
import usagecodec
path, by = sys.argv[1], json.loads(sys.argv[2])
start = time.perf_counter()
result = usagecodec.summarize(path, at="response.body.usage", by=by or None)
seconds = time.perf_counter() - start
groups = len(result) if by else 0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "groups": groups, "peak_kib": peak}))
"""


def measure(path: Path, by: list[str]) -> dict[str, float]:
    """Seconds, groups and peak RSS (KiB) of one summarize in a fresh child process."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), json.dumps(by)],
        capture_output=True,
        check=True,
        text=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def main() -> None:
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as folder:
        small = events_file(Path(folder) / "small.ndjson", 100_000)
        print("| breakdown | ratio (median) | target | runs |")
        print("| --- | ---: | ---: | --- |")
        for extra, target in (
            (["--by", "model", "--by", "ts:day"], 1.5),
            (["--by", "model", "--by", "ts:day", "--price", "text=5,image=10,output=40"], 1.55),
        ):
            ratio, runs = breakdown_ratio(small, extra)
            verdict = "met" if ratio <= target else "NOT MET"
            print(f"| {' '.join(extra)} | {ratio:.3f}x | <= {target} ({verdict}) | "
                  + ", ".join(f"{r:.3f}" for r in runs) + " |")  # fmt: skip
        print()
        path = events_file(Path(folder) / "events.ndjson", lines)
        size = path.stat().st_size
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"{lines:,} events, {size / 2**20:.0f} MiB; "
              f"({time.strftime('%Y-%m-%d')}, this process {base / 1024:.0f} MiB)\n")  # fmt: skip
        print("| run | groups | seconds | peak RSS |")
        print("| --- | ---: | ---: | ---: |")
        for label, by in (
            ("no --by", []),
            ("--by model --by ts:day", ["model", "ts:day"]),
            ("--by request.id (every line a group)", ["request.id"]),
        ):
            got = measure(path, by)
            print(f"| {label} | {got['groups']:,} | {got['seconds']:.2f} | "
                  f"{got['peak_kib'] / 1024:.0f} MiB |")  # fmt: skip


if __name__ == "__main__":
    main()
