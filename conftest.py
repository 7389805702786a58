"""Collection of the doctests in ``src/usagecodec`` (``--doctest-modules``, see pyproject).

A module whose optional dependency is not installed is left out, as its tests skip; the
deprecated ``usagecodec.logging`` shim warns on import by design (tested in test_logging).
"""

from __future__ import annotations

import importlib.util

_OPTIONAL = {
    "src/usagecodec/arrow.py": "pyarrow",
    "src/usagecodec/dask.py": "dask",
}

collect_ignore = ["src/usagecodec/logging.py", "src/usagecodec/__main__.py"]
# Scripts beside the tests (the fuzz harness needs atheris, the demo generator writes a file).
collect_ignore_glob = ["tests/fuzz/*.py", "tests/data/*.py", "tests/sdk/*"]
collect_ignore += [
    path for path, module in _OPTIONAL.items() if importlib.util.find_spec(module) is None
]
