"""Scale-out benchmark: ``usagecodec.dask.summarize`` against ``summarize(workers=N)``.

A standalone script (no test in it; pytest may import it and finds nothing to run)::

    python benchmarks/bench_scaleout.py                      # 4 files x 500,000 lines
    python benchmarks/bench_scaleout.py --files 2 --lines 100000 --repeat 5

It writes the files (camel usages, ~117 bytes a line; ``--mixed``: half of them snake), then
times on the same files:
one process (``workers=1``), the local process pool (``workers=N``), and Dask on a
``distributed.LocalCluster`` of N single-threaded worker processes: the cluster's start, the
first (cold) run, and the best warm run (the files are touched before each Dask run so that
no result is reused from the cluster's memory). Every path must return the same ``Totals``.
Needs ``usagecodec[dask]``.
"""

from __future__ import annotations

import argparse
import glob
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script from a checkout: find src/usagecodec
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def write_files(
    folder: str, files: int, lines: int, *, mixed: bool = False, seed: int = 7
) -> list[str]:
    """Write ``files`` NDJSON logs of ``lines`` usage records each; return their paths.

    Camel records only, or with ``mixed`` half of them snake (interleaved dialects make the
    reader decode line by line instead of a chunk at a time: several times slower).
    """
    import msgspec

    rng = random.Random(seed)
    paths = []
    for k in range(files):
        path = os.path.join(folder, f"usage-{k:02d}.ndjson")
        out = []
        for _ in range(lines):
            x, m, o = rng.randint(0, 300), rng.randint(0, 1500), rng.randint(0, 6000)
            if not mixed or rng.random() < 0.5:
                rec: dict[str, Any] = {
                    "totalTokens": x + m + o,
                    "inputTokens": x + m,
                    "outputTokens": o,
                    "inputTokensDetails": {"textTokens": x, "imageTokens": m},
                }
            else:
                rec = {
                    "total_tokens": x + m + o,
                    "input_tokens": x + m,
                    "output_tokens": o,
                    "input_tokens_details": {"text_tokens": x, "image_tokens": m},
                }
            out.append(msgspec.json.encode(rec))
        with open(path, "wb") as f:
            f.write(b"\n".join(out) + b"\n")
        paths.append(path)
    return paths


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls, and the last result."""
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--lines", type=int, default=500_000, help="lines per file")
    parser.add_argument("--workers", type=int, default=2, help="local processes = Dask workers")
    parser.add_argument("--blocksize", default="64MiB", help="Dask block size")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", help="where to write the files (default: a temporary folder)")
    parser.add_argument("--mixed", action="store_true", help="interleave camel and snake")
    args = parser.parse_args(argv)

    import usagecodec

    try:
        import distributed

        import usagecodec.dask as ud
    except ImportError as exc:
        print(f"needs usagecodec[dask]: {exc}", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        paths = write_files(folder, args.files, args.lines, mixed=args.mixed)
        size = sum(os.path.getsize(p) for p in paths)
        lines = args.files * args.lines
        pattern = os.path.join(folder, "*.ndjson")
        assert sorted(glob.glob(pattern)) == paths

        rows: list[tuple[str, float]] = []
        one, want = best(lambda: usagecodec.summarize(paths, wire="auto"), args.repeat)
        rows.append(("local, workers=1", one))
        many, got = best(
            lambda: usagecodec.summarize(paths, wire="auto", workers=args.workers), args.repeat
        )
        assert got == want
        rows.append((f"local, workers={args.workers}", many))

        start = time.perf_counter()
        with (
            distributed.LocalCluster(
                n_workers=args.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster),
        ):
            startup = time.perf_counter() - start

            def on_dask() -> Any:
                # New modification times give new task keys: nothing is served from memory.
                for path in paths:
                    os.utime(path)
                return ud.summarize(pattern, wire="auto", blocksize=args.blocksize)

            cold, got = best(on_dask, 1)
            assert got == want
            warm, got = best(on_dask, args.repeat)
            assert got == want
            _, blocks = _count_blocks(pattern, args.blocksize)
        rows.append((f"dask, {args.workers} workers, first run", cold))
        rows.append((f"dask, {args.workers} workers, warm", warm))

    print(
        f"{args.files} files x {args.lines:,} lines = {lines:,} lines, {size / 2**20:.1f} MiB; "
        f"{blocks} Dask blocks of {args.blocksize}; best of {args.repeat}"
    )
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"usagecodec {usagecodec.__version__}, dask {_version('dask')}, "
        f"distributed {distributed.__version__}; load average {os.getloadavg()[0]:.1f}"
    )
    print()
    print("| path | seconds | MiB/s | lines/s | vs workers=1 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, seconds in rows:
        print(
            f"| {name} | {seconds:.2f} | {size / 2**20 / seconds:,.0f} | "
            f"{lines / seconds:,.0f} | {one / seconds:.2f}x |"
        )
    print(f"| LocalCluster start ({args.workers} processes) | {startup:.2f} | | | |")
    print()
    print(
        f"Dask overhead over the local pool (warm): {warm - many:+.2f} s "
        f"({(warm - many) / max(blocks, 1) * 1000:+.0f} ms per block)"
    )
    return 0


def _count_blocks(pattern: str, blocksize: str) -> tuple[int, int]:
    from dask.bytes.core import read_bytes

    _, blocks = read_bytes(pattern, delimiter=b"\n", blocksize=blocksize, sample=False)
    return len(blocks), sum(len(b) for b in blocks)


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


if __name__ == "__main__":
    sys.exit(main())
