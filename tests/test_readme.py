"""The README's Python examples run and print what the README says.

Each fenced block of ``>>>`` examples is a test of its own, named after the section it is in;
a block that uses an optional extra which is not installed is skipped, saying which.
"""

from __future__ import annotations

import doctest
import importlib.util
import re
from pathlib import Path

import pytest

import usagecodec

README = Path(__file__).parent.parent / "README.md"
_BLOCK = re.compile(r"```python\n(.*?)```", re.S)
_NEEDS = {
    "usagecodec.arrow": "pyarrow",
    "usagecodec.dask": "dask",
    "structlog": "structlog",
    "opentelemetry": "opentelemetry",
}


def _blocks() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    out = []
    for match in _BLOCK.finditer(text):
        code = match.group(1)
        if ">>>" not in code:
            continue
        heading = re.findall(r"^#+ (.+)$", text[: match.start()], re.M)[-1]
        out.append((f"{heading} ({text[: match.start()].count(chr(10)) + 1})", code))
    return out


BLOCKS = _blocks()


def test_the_readme_has_examples() -> None:
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("code", [code for _, code in BLOCKS], ids=[name for name, _ in BLOCKS])
def test_readme_example(code: str) -> None:
    """A block of >>> examples gives the output written under it."""
    for needle, module in _NEEDS.items():
        if needle in code and importlib.util.find_spec(module) is None:
            pytest.skip(f"needs {module}, not installed")
    parser = doctest.DocTestParser()
    # Each block runs on its own, as a reader who has done `import usagecodec` would run it.
    test = parser.get_doctest(code, {"usagecodec": usagecodec}, "README", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0
    assert result.failed == 0
