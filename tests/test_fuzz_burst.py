"""A short, fixed-seed burst of the coverage-guided fuzzer (``tests/fuzz/fuzz_decode.py``).

The harness runs in a child process (libFuzzer exits the process on a finding), over a copy of
the seed corpus (libFuzzer adds the inputs it finds to its corpus folder). Long runs are
described in ``tests/fuzz/README.md``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import usagecodec

FUZZ = Path(__file__).parent / "fuzz"
HARNESS = FUZZ / "fuzz_decode.py"
SEEDS = FUZZ / "corpus"
SRC = str(Path(usagecodec.__file__).resolve().parent.parent)
RUNS = 20_000


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _need_atheris() -> None:
    if importlib.util.find_spec("atheris") is None:
        pytest.skip("atheris is not installed (pip install atheris): no fuzzing burst")


def _findings(folder: Path) -> str:
    """The crash inputs libFuzzer left in a folder, for the failure message."""
    return "\n".join(f"{p.name}: {p.read_bytes()[:300]!r}" for p in sorted(folder.glob("crash-*")))


class TestSeedCorpus:
    def test_seeds_exist_and_select_every_entry_point(self) -> None:
        """The seed corpus has a document for each entry point selector (byte 0, bits 0-1)."""
        seeds = [p.read_bytes() for p in SEEDS.iterdir()]
        assert len(seeds) >= 5
        assert {seed[0] & 0b11 for seed in seeds} == {0, 1, 2, 3}


@pytest.mark.slow
class TestFuzzBurst:
    def test_fixed_seed_burst_finds_nothing(self, tmp_path: Path) -> None:
        """20,000 fixed-seed runs over every entry point raise nothing but UsageDecodeError."""
        _need_atheris()
        corpus = tmp_path / "corpus"
        shutil.copytree(SEEDS, corpus)
        proc = subprocess.run(
            [
                sys.executable,
                str(HARNESS),
                f"-runs={RUNS}",
                "-seed=1",
                "-timeout=20",
                f"-artifact_prefix={tmp_path}{os.sep}",
                str(corpus),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env=_env(),
            check=False,
        )
        tail = "\n".join(proc.stderr.splitlines()[-40:])
        assert proc.returncode == 0, f"{tail}\n{_findings(tmp_path)}"
        assert f"Done {RUNS} runs" in proc.stderr

    def test_harness_reports_a_foreign_exception(self, tmp_path: Path) -> None:
        """The harness lets any exception but UsageDecodeError escape, so a bug is a finding."""
        _need_atheris()
        code = (
            "import importlib.util, sys\n"
            f"spec = importlib.util.spec_from_file_location('harness', {str(HARNESS)!r})\n"
            "harness = importlib.util.module_from_spec(spec)\n"
            "spec.loader.exec_module(harness)\n"
            "class Broken:\n"
            "    def decode(self, buf):\n"
            "        raise TypeError('planted')\n"
            "harness.CODECS[('camel', 'json', False)] = Broken()\n"
            "harness.test_one_input(b'\\x00\\x00{}')\n"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=120,
            env=_env(),
            check=False,
        )
        assert proc.returncode != 0
        assert "TypeError: planted" in proc.stderr
