"""Inputs, outputs and exit statuses a platform engineer can trust (the command line)."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import select
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import usagecodec
from usagecodec._cli import main

CAMEL = (
    b'{"totalTokens":10,"inputTokens":6,"outputTokens":4,'
    b'"inputTokensDetails":{"textTokens":5,"imageTokens":1}}'
)
SNAKE = (
    b'{"total_tokens":10,"input_tokens":6,"output_tokens":4,'
    b'"input_tokens_details":{"text_tokens":5,"image_tokens":1}}'
)
EVENT = b'{"ts":"2026-11-01T00:00:00Z","response":{"body":{"usage":' + CAMEL + b"}}}"
BAD = b'{"totalTokens":"ten"}'
CMD = [sys.executable, "-m", "usagecodec"]


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def run(*args: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    if "input" not in kwargs:
        kwargs.setdefault("stdin", subprocess.DEVNULL)
    if "stdout" in kwargs:
        kwargs.setdefault("stderr", subprocess.PIPE)
    else:
        kwargs.setdefault("capture_output", True)
    return subprocess.run([*CMD, *args], timeout=120, check=False, **kwargs)  # type: ignore[call-overload, no-any-return]


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".usagecodec-")]


# --- outputs never destroy data ------------------------------------------------------------


class TestOutputs:
    def test_output_that_is_the_input_is_refused(self, tmp_path: Path) -> None:
        path = write(tmp_path, "same.ndjson", CAMEL + b"\n")
        proc = run("convert", "--to", "snake", "-o", path, path)
        assert proc.returncode == 2 and b"is also an input" in proc.stderr
        assert Path(path).read_bytes() == CAMEL + b"\n"

    def test_output_that_is_the_input_through_a_link_is_refused(self, tmp_path: Path) -> None:
        path = write(tmp_path, "in.ndjson", CAMEL + b"\n")
        link = tmp_path / "link.ndjson"
        link.symlink_to(path)
        hard = tmp_path / "hard.ndjson"
        os.link(path, hard)
        for target in (link, hard):
            proc = run("convert", "-o", str(target), path)
            assert proc.returncode == 2, proc.stderr
        assert Path(path).read_bytes() == CAMEL + b"\n"

    def test_failed_run_leaves_the_target_untouched(self, tmp_path: Path) -> None:
        src = write(tmp_path, "in.ndjson", CAMEL + b"\n" + BAD + b"\n")
        out = write(tmp_path, "out.ndjson", b"precious\n")
        proc = run("convert", "--on-error", "raise", "-o", out, src)
        assert proc.returncode == 1
        assert Path(out).read_bytes() == b"precious\n"
        assert leftovers(tmp_path) == []

    def test_bad_at_leaves_the_target_untouched(self, tmp_path: Path) -> None:
        src = write(tmp_path, "in.ndjson", CAMEL + b"\n")
        out = write(tmp_path, "out.ndjson", b"precious\n")
        proc = run("convert", "--at", "a..b", "-o", out, src)
        assert proc.returncode == 2 and b"Traceback" not in proc.stderr
        assert Path(out).read_bytes() == b"precious\n"

    def test_success_replaces_the_target_with_the_usual_mode(self, tmp_path: Path) -> None:
        src = write(tmp_path, "in.ndjson", CAMEL + b"\n")
        out = tmp_path / "new.ndjson"
        proc = run("convert", "--to", "snake", "-o", str(out), src)
        assert proc.returncode == 0, proc.stderr
        assert out.read_bytes() == SNAKE + b"\n"
        umask = os.umask(0)
        os.umask(umask)
        assert out.stat().st_mode & 0o777 == 0o666 & ~umask
        assert leftovers(tmp_path) == []

    def test_symlink_is_followed(self, tmp_path: Path) -> None:
        src = write(tmp_path, "in.ndjson", CAMEL + b"\n")
        real = write(tmp_path, "real.ndjson", b"old\n")
        link = tmp_path / "link.ndjson"
        link.symlink_to(real)
        assert run("convert", "--to", "snake", "-o", str(link), src).returncode == 0
        assert link.is_symlink() and Path(real).read_bytes() == SNAKE + b"\n"

    @pytest.mark.parametrize("to", ["snake", "parquet"])
    def test_fifo_is_written_in_place(self, tmp_path: Path, to: str) -> None:
        if to == "parquet":
            pytest.importorskip("pyarrow")
        src = write(tmp_path, "in.ndjson", CAMEL + b"\n")
        fifo = tmp_path / "pipe"
        os.mkfifo(fifo)
        got: list[bytes] = []
        reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
        reader.start()
        proc = run("convert", "--to", to, "-o", str(fifo), src)
        reader.join(timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert fifo.is_fifo()
        if to == "snake":
            assert got == [SNAKE + b"\n"]
        else:
            assert got[0][:4] == b"PAR1"

    def test_dev_null_stays_a_device(self, tmp_path: Path) -> None:
        src = write(tmp_path, "in.ndjson", CAMEL + b"\n")
        assert run("convert", "-o", os.devnull, src).returncode == 0
        assert Path(os.devnull).is_char_device()

    def test_long_target_name(self, tmp_path: Path) -> None:
        src = write(tmp_path, "in.ndjson", CAMEL + b"\n")
        out = tmp_path / ("x" * 248 + ".ndjson")
        assert run("convert", "-o", str(out), src).returncode == 0
        assert out.read_bytes() == CAMEL + b"\n"

    def test_parquet_target_untouched_on_failure(self, tmp_path: Path) -> None:
        pytest.importorskip("pyarrow")
        src = write(tmp_path, "in.ndjson", CAMEL + b"\n" + BAD + b"\n")
        out = write(tmp_path, "out.parquet", b"precious")
        proc = run("convert", "--to", "parquet", "--on-error", "raise", "-o", out, src)
        assert proc.returncode == 1
        assert Path(out).read_bytes() == b"precious" and leftovers(tmp_path) == []

    def test_sigterm_removes_the_temporary_file(self, tmp_path: Path) -> None:
        out = write(tmp_path, "out.ndjson", b"precious\n")
        proc = subprocess.Popen(
            [*CMD, "convert", "-o", out, "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdin is not None
        proc.stdin.write(CAMEL + b"\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 30
        while not leftovers(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert leftovers(tmp_path), "the run never started writing"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 143, err
        assert Path(out).read_bytes() == b"precious\n" and leftovers(tmp_path) == []


# --- exit statuses -------------------------------------------------------------------------


class TestExitStatus:
    def test_validate_into_a_closed_pipe_is_not_success(self, tmp_path: Path) -> None:
        path = write(tmp_path, "allbad.ndjson", (BAD + b"\n") * 20000)
        proc = subprocess.run(
            f"{' '.join(CMD)} validate {path} | head -1; exit ${{PIPESTATUS[0]}}",
            shell=True,
            executable="/bin/bash",
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 141, proc.stderr
        assert b"Traceback" not in proc.stderr

    def test_convert_with_its_stderr_reader_gone_is_not_success(self, tmp_path: Path) -> None:
        lines = [CAMEL if k % 2 else BAD for k in range(180_000)]
        path = write(tmp_path, "mixbad.ndjson", b"\n".join(lines) + b"\n")
        out = tmp_path / "out.ndjson"
        proc = subprocess.run(
            f"{' '.join(CMD)} convert {path} 2>&1 >{out} | head -1; exit ${{PIPESTATUS[0]}}",
            shell=True,
            executable="/bin/bash",
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 141

    def test_disk_full_has_its_own_status(self, tmp_path: Path) -> None:
        if not os.path.exists("/dev/full"):
            pytest.skip("no /dev/full here")
        src = write(tmp_path, "in.ndjson", CAMEL + b"\n")
        proc = run("convert", "-o", "/dev/full", src)
        assert proc.returncode == 3 and proc.stderr.count(b"\n") == 1, proc.stderr
        with open("/dev/full", "wb") as full:
            proc = run("convert", src, stdout=full)
        assert proc.returncode == 3, proc.stderr

    def test_closed_stdout(self, tmp_path: Path) -> None:
        src = write(tmp_path, "in.ndjson", CAMEL + b"\n")
        proc = subprocess.run(
            f"{' '.join(CMD)} summarize {src} >&-",
            shell=True,
            capture_output=False,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 3 and b"Traceback" not in proc.stderr, proc.stderr

    @pytest.mark.parametrize(
        "args",
        [
            ["--at", "a..b"],
            ["--at", ""],
            ["--at", "a."],
            ["--at", ".".join(["k"] * 1000)],
            ["--max-line-bytes", "inf"],
            ["--max-line-bytes", "nan"],
            ["--max-line-bytes", "1e400"],
            ["--scheduler", "nonsense"],
        ],
    )
    def test_bad_option_values_are_usage_errors(
        self, tmp_path: Path, args: list[str], capsys: pytest.CaptureFixture[str]
    ) -> None:
        src = write(tmp_path, "in.ndjson", CAMEL + b"\n")
        assert main(["summarize", *args, src]) == 2
        assert "Traceback" not in capsys.readouterr().err

    def test_scheduler_from_the_environment(self, tmp_path: Path) -> None:
        src = write(tmp_path, "in.ndjson", CAMEL + b"\n")
        env = {**os.environ, "USAGECODEC_SCHEDULER": "nonsense"}
        proc = run("summarize", src, env=env)
        assert proc.returncode == 2 and b"Traceback" not in proc.stderr


_OPTIONS = st.sampled_from(
    [
        "--wire", "--at", "--strict", "--input-format", "--max-line-bytes", "--json",
        "--workers", "--on-error", "--demo", "--progress", "--no-progress", "--quiet",
        "--audit", "--to", "--format", "-o", "--kind", "--scheduler", "-",
    ]
)  # fmt: skip
_VALUES = st.one_of(
    st.sampled_from(
        ["camel", "snake", "auto", "json", "msgpack", "parquet", "0", "-1", "1", "2", "inf",
         "nan", "1e400", "64k", "", ".", "a..b", "a.", "raise", "skip", "collect", "usage",
         "sync", "nonsense", "/dev/null", "/nonexistent/x", "\udcff"]
    ),
    st.text(max_size=12),
)  # fmt: skip


class TestNoTraceback:
    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        command=st.sampled_from(["summarize", "validate", "convert", "schema"]),
        words=st.lists(st.one_of(_OPTIONS, _VALUES), max_size=6),
    )
    def test_any_argv(
        self,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
        command: str,
        words: list[str],
    ) -> None:
        """Whatever the options, the command ends with a status, never a traceback."""
        src = tmp_path / "in.ndjson"
        src.write_bytes(CAMEL + b"\n" + SNAKE + b"\n")
        monkeypatch.chdir(tmp_path)
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(CAMEL + b"\n")))
        words = ["out.x" if w == "-o" else w for w in words]
        status = main([command, *words, str(src)])
        assert status in (0, 1, 2, 3)
        assert "Traceback" not in capsys.readouterr().err


# --- nothing matched, hints ----------------------------------------------------------------


class TestNothingMatched:
    def test_wrong_at_names_the_right_one(self, tmp_path: Path) -> None:
        src = write(tmp_path, "events.ndjson", (EVENT + b"\n") * 3)
        for command in ("summarize", "validate", "convert"):
            proc = run(command, "--at", "response.usage", src)
            assert proc.returncode == 1, (command, proc.stderr)
            assert b"--at response.body.usage" in proc.stderr, proc.stderr

    def test_without_at_the_error_names_the_path(self, tmp_path: Path) -> None:
        src = write(tmp_path, "events.ndjson", (EVENT + b"\n") * 3)
        proc = run("summarize", src)
        assert proc.returncode == 1 and b"--at response.body.usage" in proc.stderr

    def test_hints_use_flags(self, tmp_path: Path) -> None:
        src = write(tmp_path, "snake.ndjson", (SNAKE + b"\n") * 3)
        proc = run("summarize", "--wire", "camel", src)
        assert proc.returncode == 1
        assert b"--wire snake" in proc.stderr and b"wire='" not in proc.stderr

    def test_dialect_hint_for_at_paths(self) -> None:
        event = b'{"r":{"usage":' + SNAKE + b"}}\n"
        reader = usagecodec.read_usages(io.BytesIO(event), at="r.usage")
        with pytest.raises(usagecodec.UsageDecodeError, match="wire='snake'"):
            reader.totals()

    def test_empty_input_is_fine(self, tmp_path: Path) -> None:
        src = write(tmp_path, "empty.ndjson", b"")
        assert run("summarize", src).returncode == 0


# --- compressed logs -----------------------------------------------------------------------


def _compress(kind: str, data: bytes) -> bytes:
    if kind == "gzip":
        return gzip.compress(data)
    if kind == "bz2":
        return bz2.compress(data)
    if kind == "xz":
        return lzma.compress(data)
    zstd = pytest.importorskip("backports.zstd") if sys.version_info < (3, 14) else None
    if zstd is None:  # pragma: no cover - Python 3.14
        from compression import zstd  # type: ignore[import-not-found, no-redef]
    return zstd.compress(data)  # type: ignore[no-any-return]


KINDS = ["gzip", "bz2", "xz", "zstd"]
LOG = b"\n".join([CAMEL, SNAKE, b"", BAD, CAMEL] * 200) + b"\n"


def _reference() -> dict[str, object]:
    return json.loads(run("summarize", "--json", "--on-error", "skip", "-", input=LOG).stdout)


class TestCompressed:
    @pytest.mark.parametrize("kind", KINDS)
    def test_summarize_path_and_stdin(self, tmp_path: Path, kind: str) -> None:
        expected = _reference()
        path = write(tmp_path, f"log.{kind}", _compress(kind, LOG))
        for args, stdin in (([path], None), (["-"], Path(path).read_bytes())):
            proc = run("summarize", "--json", "--on-error", "skip", *args, input=stdin)
            assert json.loads(proc.stdout) == expected, proc.stderr
        proc = run("summarize", "--json", "--on-error", "skip", "--workers", "2", path, path)
        doubled = json.loads(proc.stdout)
        assert doubled["records"] == 2 * expected["records"]  # type: ignore[operator]

    @pytest.mark.parametrize("kind", KINDS)
    def test_validate_convert_arrow(self, tmp_path: Path, kind: str) -> None:
        path = write(tmp_path, f"log.{kind}", _compress(kind, LOG))
        proc = run("validate", path)
        assert proc.returncode == 1 and proc.stdout.count(b"\n") == 200
        proc = run("convert", "--to", "snake", path)
        assert proc.stdout.count(b"\n") == 600
        pytest.importorskip("pyarrow")
        from usagecodec import arrow

        assert arrow.to_arrow(path, wire="auto", on_error="skip").num_rows == 600

    def test_truncated_stream_is_reported(self, tmp_path: Path) -> None:
        data = gzip.compress(LOG * 50)
        path = write(tmp_path, "cut.gz", data[: len(data) // 2])
        proc = run("summarize", "--on-error", "skip", path)
        assert proc.returncode == 2 and b"truncated gzip" in proc.stderr

    def test_dask_reads_compressed_files(self, tmp_path: Path) -> None:
        pytest.importorskip("dask")
        from usagecodec import dask as on_dask

        path = write(tmp_path, "log.ndjson.gz", gzip.compress(LOG))
        plain = write(tmp_path, "log.ndjson", LOG)
        got = on_dask.summarize(path, wire="auto", on_error="skip", scheduler="sync")
        assert got == usagecodec.summarize(plain, wire="auto", on_error="skip")


# --- filters stream ------------------------------------------------------------------------


def test_a_record_from_a_pipe_comes_out_promptly() -> None:
    proc = subprocess.Popen(
        [*CMD, "convert", "--to", "snake", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        time.sleep(1.0)  # start-up
        waits = []
        for _ in range(3):
            start = time.monotonic()
            proc.stdin.write(CAMEL + b"\n")
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], 10)
            assert ready, "nothing came out"
            assert os.read(proc.stdout.fileno(), 1 << 16) == SNAKE + b"\n"
            waits.append(time.monotonic() - start)
        assert min(waits) < 0.1, waits
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
        proc.stdout.close()
        if proc.stderr is not None:
            proc.stderr.close()


# --- totals of any size, audits ------------------------------------------------------------


def test_sums_beyond_the_double_range(tmp_path: Path) -> None:
    big = (
        b'{"totalTokens":1.5e308,"inputTokens":0,"outputTokens":0,'
        b'"inputTokensDetails":{"textTokens":0,"imageTokens":0}}'
    )
    half = big.replace(b"1.5e308", b"0.5")
    src = write(tmp_path, "big.ndjson", b"\n".join([big, big, half]) + b"\n")
    proc = run("summarize", "--json", src)
    assert proc.returncode == 0, proc.stderr
    total = json.loads(proc.stdout, parse_float=Decimal)["total_tokens"]
    assert Fraction(total) == Fraction(1.5e308) * 2 + Fraction(1, 2)
    table = run("summarize", src)
    assert table.returncode == 0 and b"Traceback" not in table.stderr


def test_validate_audit_lists_flagged_records(tmp_path: Path) -> None:
    off = CAMEL.replace(b'"totalTokens":10', b'"totalTokens":11')
    src = write(tmp_path, "audit.ndjson", b"\n".join([CAMEL, off, CAMEL]) + b"\n")
    assert run("validate", src).returncode == 0
    proc = run("validate", "--audit", src)
    assert proc.returncode == 1
    assert proc.stdout.decode().splitlines() == [
        f"{src}:2: total_tokens: total_tokens 11 != input_tokens + output_tokens (6 + 4)"
        " (total_mismatch)"
    ]


def test_demo_explains_flagged_and_fractions() -> None:
    proc = run("summarize", "--demo")
    assert proc.returncode == 0
    assert b"flagged" in proc.stdout and b"validate --audit" in proc.stdout
    assert b"fractional" in proc.stdout


def test_parquet_dtype(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    late = CAMEL.replace(b'"imageTokens":1', b'"imageTokens":1.5')
    src = write(tmp_path, "late.ndjson", (CAMEL + b"\n") * 140_000 + late + b"\n")
    out = tmp_path / "out.parquet"
    proc = run("convert", "--to", "parquet", "-o", str(out), src)
    assert proc.returncode == 1 and b"late.ndjson:140001" in proc.stderr, proc.stderr
    assert b"--dtype float64" in proc.stderr and not out.exists()
    proc = run("convert", "--to", "parquet", "--dtype", "float64", "-o", str(out), src)
    assert proc.returncode == 0, proc.stderr
    assert str(pq.read_schema(out).field("image_tokens").type) == "double"
