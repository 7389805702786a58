"""Memory and time of breakdowns: ``python -m benchmarks.groups [LINES]``.

Summarises one file of LINES camel log events (default 1,000,000) three ways, each in a child
process of its own so that peak RSS is measured cleanly (``ru_maxrss`` of the child):

- without ``--by``;
- ``--by model --by ts:day`` (a few dozen groups);
- ``--by request.id`` (every line its own group: LINES distinct keys).

Memory grows with the number of groups, not with lines: the first two stay at the reader's
bounded footprint; the third holds one small ``Totals`` per distinct key.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.test_guard_groups import events_file

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
