"""Benchmarks of usagecodec against the official SDK, pydantic, orjson, json and bare msgspec.

* ``python -m benchmarks``: every case, interleaved, printed as a table and written to
  ``benchmarks/results/latest.json`` and ``benchmarks/results/chart.svg``.
* ``python -m pytest benchmarks/ --benchmark-only``: the same cases as a pytest-benchmark suite
  (groups ``decode``, ``encode``, ``extract``, ``ndjson``).
* ``python -m pytest benchmarks/test_guard.py``: the performance targets as plain assertions.

Run from a checkout, the package is imported from ``src/`` (the tree being measured), whether or
not another copy is installed.
"""

from __future__ import annotations

import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
"""The checkout's source directory: measured in preference to an installed copy."""

if (SRC / "usagecodec" / "__init__.py").is_file() and str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))
