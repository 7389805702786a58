"""pytest configuration of the benchmarks: collect ``bench_*.py``, print the guard's ratios.

The repository's pytest configuration only collects ``test_*.py`` (under ``tests``); the
pytest-benchmark suite lives in ``bench_*.py`` files, collected here when ``benchmarks/`` is
named on the command line: ``python -m pytest benchmarks/ --benchmark-only``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import targets


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    """Collect the pytest-benchmark modules, ``benchmarks/bench_*.py``."""
    if (
        file_path.suffix == ".py"
        and file_path.name.startswith("bench_")
        # a file named on the command line is collected by pytest itself
        and not parent.session.isinitpath(file_path)
    ):
        module: pytest.Module = pytest.Module.from_parent(parent, path=file_path)
        return module
    return None


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """After the guard: every ratio measured, met or not (the assertions print failures)."""
    if targets.LOG:
        terminalreporter.section("performance guard: measured ratios")
        for line in targets.LOG:
            terminalreporter.write_line(line)
