"""The usagecodec command, run as users run it: a subprocess, on files the tests write."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from usagecodec import read_usages
from usagecodec._cli import main

GOOD = (
    b'{"totalTokens":10,"inputTokens":6,"outputTokens":4,'
    b'"inputTokensDetails":{"textTokens":5,"imageTokens":1}}'
)
SNAKE = (
    b'{"total_tokens":3,"input_tokens":2,"output_tokens":1,'
    b'"input_tokens_details":{"text_tokens":1,"image_tokens":1}}'
)
BAD = b'{"totalTokens":"ten","inputTokens":6,"outputTokens":4}'


def run(
    *args: str, stdin: bytes | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run the installed console script when there is one, else python -m usagecodec."""
    script = shutil.which("usagecodec")
    cmd = [script] if script else [sys.executable, "-m", "usagecodec"]
    env = dict(os.environ)
    src = str(Path(__file__).parents[1] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [*cmd, *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=120,
        check=False,
        cwd=cwd,
        env=env,
    )


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def summary(proc: subprocess.CompletedProcess[bytes]) -> dict[str, object]:
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


class TestSummarize:
    def test_demo_runs_on_a_fresh_install(self) -> None:
        """summarize --demo works with no file, lists the sample's bad lines and exits 0."""
        proc = run("summarize", "--demo")
        assert proc.returncode == 0, proc.stderr.decode()
        out = proc.stdout.decode()
        assert "records" in out and "total_tokens" in out
        assert "bad lines (5)" in out

    def test_demo_json_matches_the_library(self) -> None:
        """--json gives the same numbers as read_usages on the bundled file."""
        from usagecodec._cli import _demo_path

        d = summary(run("summarize", "--demo", "--json"))
        lib = read_usages(_demo_path(), wire="auto", on_error="collect").totals().to_dict()
        assert d == lib
        assert d["records"] > 2000 and d["bad_lines"] == 5 and d["flagged"] == 1

    def test_good_file(self, tmp_path: Path) -> None:
        """A clean file gives its totals as JSON with every documented key."""
        path = write(tmp_path, "good.ndjson", (GOOD + b"\n") * 3)
        d = summary(run("summarize", "--json", path))
        for key in (
            "records",
            "bad_lines",
            "blank_lines",
            "flagged",
            "total_tokens",
            "input_tokens",
            "output_tokens",
            "text_tokens",
            "image_tokens",
        ):
            assert key in d
        assert (d["records"], d["total_tokens"], d["image_tokens"]) == (3, 30, 3)

    def test_mixed_crlf_no_final_newline(self, tmp_path: Path) -> None:
        """CRLF, blank lines, snake lines and a missing last newline are all counted."""
        path = write(tmp_path, "mixed.ndjson", GOOD + b"\r\n\r\n" + SNAKE + b"\r\n" + GOOD)
        d = summary(run("summarize", "--json", path))
        assert (d["records"], d["blank_lines"], d["lines"], d["total_tokens"]) == (3, 1, 4, 23)

    def test_bad_line_stops_with_one_line_error(self, tmp_path: Path) -> None:
        """By default the first bad line stops the run: exit 1, one line: file:line and path."""
        path = write(tmp_path, "bad.ndjson", GOOD + b"\n" + BAD + b"\n")
        proc = run("summarize", path)
        assert proc.returncode == 1
        err = proc.stderr.decode().strip()
        assert len(err.splitlines()) == 1
        assert f"{path}:2:" in err and "$.totalTokens" in err
        assert "Traceback" not in err

    @pytest.mark.parametrize("policy", ["skip", "collect"])
    def test_bad_lines_counted(self, tmp_path: Path, policy: str) -> None:
        """--on-error skip/collect count bad lines; collect lists them in the JSON."""
        path = write(tmp_path, "bad.ndjson", GOOD + b"\n" + BAD + b"\n" + GOOD + b"\n")
        d = summary(run("summarize", "--json", "--on-error", policy, path))
        assert (d["records"], d["bad_lines"]) == (2, 1)
        assert ("errors" in d) == (policy == "collect")

    def test_empty_file(self, tmp_path: Path) -> None:
        """An empty file is zero records, exit 0."""
        d = summary(run("summarize", "--json", write(tmp_path, "empty.ndjson", b"")))
        assert d["records"] == 0 and d["lines"] == 0

    def test_huge_line(self, tmp_path: Path) -> None:
        """A line over --max-line-bytes is one bad line; the others are summed."""
        huge = b'{"x":"' + b"A" * 3_000_000 + b'"}'
        path = write(tmp_path, "huge.ndjson", GOOD + b"\n" + huge + b"\n" + GOOD + b"\n")
        d = summary(
            run("summarize", "--json", "--on-error", "collect", "--max-line-bytes", "1MiB", path)
        )
        assert (d["records"], d["bad_lines"]) == (2, 1)
        assert "longer than max_line_bytes" in d["errors"][0]["reason"]  # type: ignore[index]

    def test_stdin(self) -> None:
        """'-' reads standard input."""
        d = summary(run("summarize", "--json", "-", stdin=(GOOD + b"\n") * 4))
        assert d["records"] == 4

    def test_workers_give_the_same_totals(self, tmp_path: Path) -> None:
        """--workers 2 prints exactly what one process prints."""
        lines = [GOOD, SNAKE, BAD, b""] * 5000
        path = write(tmp_path, "big.ndjson", b"\n".join(lines) + b"\n")
        one = summary(run("summarize", "--json", "--on-error", "collect", path))
        two = summary(run("summarize", "--json", "--on-error", "collect", "--workers", "2", path))
        assert one == two

    def test_at_path(self, tmp_path: Path) -> None:
        """--at finds the usage inside log events."""
        event = b'{"level":"info","response":{"body":{"usage":' + GOOD + b',"data":[]}}}'
        path = write(tmp_path, "events.ndjson", event + b"\n" + event + b"\n")
        d = summary(run("summarize", "--json", "--at", "response.body.usage", path))
        assert (d["records"], d["total_tokens"]) == (2, 20)

    def test_table_output(self, tmp_path: Path) -> None:
        """Without --json the totals are a readable table."""
        proc = run("summarize", write(tmp_path, "g.ndjson", GOOD))
        assert proc.returncode == 0
        assert "total_tokens" in proc.stdout.decode() and "records" in proc.stdout.decode()

    def test_no_progress_bar_when_stderr_is_not_a_terminal(self, tmp_path: Path) -> None:
        """Piped stderr stays empty on success (no progress bar)."""
        proc = run("summarize", write(tmp_path, "g.ndjson", (GOOD + b"\n") * 1000))
        assert proc.returncode == 0 and proc.stderr == b""

    def test_progress_bar_on_a_terminal(self, tmp_path: Path) -> None:
        """When stderr is a terminal, a progress line (percent, bytes, records/s) is drawn."""
        import pty

        path = write(tmp_path, "p.ndjson", (GOOD + b"\n") * 30_000)
        master, slave = pty.openpty()
        script = shutil.which("usagecodec")
        cmd = [script] if script else [sys.executable, "-m", "usagecodec"]
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1] / "src"))
        proc = subprocess.run(
            [*cmd, "summarize", "--json", "--workers", "1", path],
            stdout=subprocess.PIPE,
            stderr=slave,
            timeout=120,
            check=False,
            env=env,
        )
        os.close(slave)
        drawn = b""
        with contextlib.suppress(OSError):
            while chunk := os.read(master, 65536):
                drawn += chunk
        os.close(master)
        assert proc.returncode == 0
        assert json.loads(proc.stdout)["records"] == 30_000
        assert b"%" in drawn and b"MiB" in drawn


class TestFailures:
    @pytest.mark.parametrize("command", ["summarize", "validate", "convert"])
    def test_missing_file(self, tmp_path: Path, command: str) -> None:
        """A missing file is one line on stderr and exit 2."""
        proc = run(command, str(tmp_path / "nope.ndjson"))
        assert proc.returncode == 2
        assert proc.stderr.decode().count("\n") == 1 and "no such file" in proc.stderr.decode()

    @pytest.mark.parametrize("command", ["summarize", "validate"])
    def test_directory(self, tmp_path: Path, command: str) -> None:
        """A directory is refused with one line, exit 2."""
        proc = run(command, str(tmp_path))
        assert proc.returncode == 2 and b"is a directory" in proc.stderr

    @pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
    def test_unreadable_file(self, tmp_path: Path) -> None:
        """An unreadable file is refused with one line, exit 2."""
        path = write(tmp_path, "secret.ndjson", GOOD)
        os.chmod(path, 0)
        proc = run("summarize", path)
        assert proc.returncode == 2 and b"permission denied" in proc.stderr

    def test_unreadable_file_as_root_too(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A file that cannot be opened (EACCES at open time) is one line and exit 2."""
        path = write(tmp_path, "secret.ndjson", GOOD)
        import usagecodec._framing as stream

        def deny(*args: object, **kwargs: object) -> None:
            raise PermissionError(13, "Permission denied", path)

        monkeypatch.setattr(stream, "open", deny, raising=False)
        assert main(["summarize", path]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Permission denied" in err

    def test_binary_garbage(self, tmp_path: Path) -> None:
        """Binary garbage is a one-line error (raise) or bad lines (collect), no traceback."""
        path = write(tmp_path, "garbage.bin", bytes(range(256)) * 400 + b"\x00\n\xff\xfe")
        proc = run("summarize", path)
        assert proc.returncode == 1 and b"Traceback" not in proc.stderr
        assert proc.stderr.count(b"\n") == 1
        # Nothing carried a usage: the summary is printed, and the status says so (1).
        skipped = run("summarize", "--json", "--on-error", "skip", path)
        assert skipped.returncode == 1 and b"no record carried a usage" in skipped.stderr
        d = json.loads(skipped.stdout)
        assert d["records"] == 0 and d["bad_lines"] >= 1

    def test_bad_option_is_a_usage_error(self) -> None:
        """A wrong option value exits 2."""
        assert run("summarize", "--workers", "zero", "x").returncode == 2
        assert run("validate", "--wire", "kebab", "x").returncode == 2

    def test_no_input_on_a_terminal_is_a_usage_error(self) -> None:
        """Called with no file, main reports a usage error rather than waiting (stdin is a TTY)."""

        class Tty:
            def isatty(self) -> bool:
                return True

        old = sys.stdin
        sys.stdin = Tty()  # type: ignore[assignment]
        try:
            assert main(["summarize"]) == 2
        finally:
            sys.stdin = old

    @pytest.mark.parametrize("command", ["summarize", "validate", "convert", "schema"])
    def test_help_has_examples(self, command: str) -> None:
        """Every command has --help with examples."""
        proc = run(command, "--help")
        assert proc.returncode == 0
        assert b"examples:" in proc.stdout

    def test_broken_pipe(self, tmp_path: Path) -> None:
        """Closing the reader early (| head) ends the run quietly."""
        path = write(tmp_path, "many.ndjson", (GOOD + b"\n") * 200_000)
        script = shutil.which("usagecodec")
        cmd = f"{script or (sys.executable + ' -m usagecodec')} convert {path} | head -1"
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1] / "src"))
        proc = subprocess.run(
            ["bash", "-o", "pipefail", "-c", cmd],
            capture_output=True,
            timeout=120,
            check=False,
            env=env,
        )
        assert proc.stdout.count(b"\n") == 1
        assert b"Traceback" not in proc.stderr and b"BrokenPipe" not in proc.stderr


class TestValidate:
    def test_all_good_exits_0(self, tmp_path: Path) -> None:
        """A clean file: no output, exit 0."""
        proc = run("validate", write(tmp_path, "g.ndjson", GOOD + b"\n" + SNAKE))
        assert (proc.returncode, proc.stdout) == (0, b"")

    def test_every_bad_line_is_listed(self, tmp_path: Path) -> None:
        """Each bad line: file:line, reason and JSON path; exit 1."""
        path = write(
            tmp_path, "b.ndjson", b"\n".join([GOOD, BAD, b"{", GOOD, b'{"created":"x","data":[]}'])
        )
        proc = run("validate", path)
        assert proc.returncode == 1
        lines = proc.stdout.decode().splitlines()
        assert len(lines) == 3
        assert lines[0].startswith(f"{path}:2: ") and "`$.totalTokens`" in lines[0]
        assert lines[1].startswith(f"{path}:3: ")
        assert lines[2].startswith(f"{path}:5: ") and "`$.created`" in lines[2]

    def test_strict_validation(self, tmp_path: Path) -> None:
        """--strict reports unknown fields and negative counts."""
        extra = b'{"x":1,' + GOOD[1:]
        path = write(tmp_path, "s.ndjson", extra + b"\n" + GOOD.replace(b"10", b"-10"))
        proc = run("validate", "--strict", path)
        assert proc.returncode == 1
        assert b"unknown field `x`" in proc.stdout and b"negative" in proc.stdout


class TestConvert:
    def test_to_snake_as_a_filter(self) -> None:
        """convert --to snake reads stdin and writes snake NDJSON to stdout."""
        proc = run("convert", "--to", "snake", "-", stdin=GOOD + b"\n" + GOOD + b"\n")
        assert proc.returncode == 0
        assert (
            proc.stdout.splitlines()
            == [
                b'{"total_tokens":10,"input_tokens":6,"output_tokens":4,'
                b'"input_tokens_details":{"text_tokens":5,"image_tokens":1}}'
            ]
            * 2
        )

    def test_bad_lines_go_to_stderr_only(self) -> None:
        """Bad lines are reported on stderr and never mixed into stdout; exit 1."""
        proc = run("convert", "-", stdin=GOOD + b"\n" + BAD + b"\n" + SNAKE + b"\n")
        assert proc.returncode == 1
        assert len(proc.stdout.splitlines()) == 2
        assert b"ten" not in proc.stdout
        assert b":2:" in proc.stderr

    def test_msgpack_round_trip(self, tmp_path: Path) -> None:
        """--format msgpack writes a MessagePack stream the codec reads back."""
        out = tmp_path / "u.msgpack"
        src = write(tmp_path, "u.ndjson", GOOD + b"\n" + SNAKE + b"\n")
        proc = run("convert", "--format", "msgpack", "-o", str(out), src)
        assert proc.returncode == 0, proc.stderr
        from usagecodec import UsageCodec

        usages = UsageCodec(format="msgpack").decode_lines(out.read_bytes())
        assert [u.total_tokens for u in usages] == [10, 3]

    def test_bodies_become_usages(self) -> None:
        """Full response bodies convert to their usage; bodies without usage are dropped."""
        body = b'{"created":1,"data":[{"url":"u"}],"usage":' + SNAKE + b"}"
        proc = run("convert", "-", stdin=body + b'\n{"created":1,"data":[]}\n')
        assert proc.returncode == 0
        assert [msgspec.json.decode(x)["totalTokens"] for x in proc.stdout.splitlines()] == [3]


class TestSchema:
    @pytest.mark.parametrize("wire", ["camel", "snake"])
    def test_schema_is_json(self, wire: str) -> None:
        """schema prints a JSON Schema with the dialect's property names."""
        proc = run("schema", "--wire", wire)
        schema = json.loads(proc.stdout)
        props = schema["$defs"]["PostV2ProxyImagesVariationsUsage"]["properties"]
        assert ("totalTokens" if wire == "camel" else "total_tokens") in props


def test_python_dash_m_and_main_agree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """main([...]) in-process prints what the subprocess prints."""
    path = write(tmp_path, "g.ndjson", GOOD)
    assert main(["summarize", "--json", path]) == 0
    assert json.loads(capsys.readouterr().out) == summary(run("summarize", "--json", path))


class TestMessagePackInput:
    def test_msgpack_to_ndjson_and_back(self, tmp_path: Path) -> None:
        """convert reads a MessagePack stream (--input-format msgpack) and writes NDJSON."""
        packed = tmp_path / "u.msgpack"
        src = write(tmp_path, "u.ndjson", GOOD + b"\n" + SNAKE + b"\n")
        assert run("convert", "--format", "msgpack", "-o", str(packed), src).returncode == 0
        proc = run("convert", "--input-format", "msgpack", "--to", "snake", str(packed))
        assert proc.returncode == 0, proc.stderr
        assert [msgspec.json.decode(x)["total_tokens"] for x in proc.stdout.splitlines()] == [
            10,
            3,
        ]

    def test_summarize_msgpack(self, tmp_path: Path) -> None:
        """summarize --input-format msgpack counts documents and names a bad one by index."""
        from usagecodec import UsageCodec, decode_usage

        codec = UsageCodec(format="msgpack")
        u = decode_usage(GOOD)
        path = write(tmp_path, "u.msgpack", codec.encode(u) * 3 + codec.encode(u)[:-2])
        d = summary(
            run("summarize", "--json", "--input-format", "msgpack", "--on-error", "collect", path)
        )
        assert (d["records"], d["bad_lines"], d["total_tokens"]) == (3, 1, 30)
        assert d["errors"][0]["lineno"] == 4  # type: ignore[index]

    def test_at_with_msgpack_is_a_usage_error(self, tmp_path: Path) -> None:
        """--at is for NDJSON; with --input-format msgpack it is refused (exit 2)."""
        proc = run(
            "summarize", "--input-format", "msgpack", "--at", "a.b", write(tmp_path, "x", b"")
        )
        assert proc.returncode == 2 and b"--at" in proc.stderr
