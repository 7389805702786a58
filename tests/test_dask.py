"""Distributed summaries: Dask blocks on a real local cluster give exactly the local totals."""

from __future__ import annotations

import glob
import io
import json
import os
import random
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("dask", reason="usagecodec[dask] (dask) is not installed")
distributed = pytest.importorskip(
    "distributed", reason="usagecodec[dask] (distributed) is not installed"
)

from dask.bytes.core import read_bytes  # noqa: E402 - after the skip

import usagecodec  # noqa: E402
from usagecodec import Totals, UsageDecodeError, UsageReader, summarize  # noqa: E402
from usagecodec import dask as ud  # noqa: E402
from usagecodec._cli import main  # noqa: E402
from usagecodec._stream import OnError, count_lines  # noqa: E402

from .conftest import camel, snake  # noqa: E402

GOOD = camel(10, 6, 4, 5, 1)
BAD = b'{"totalTokens":"ten"}'


def log_lines(n: int, seed: int, *, fractions: bool = True) -> list[bytes]:
    """Camel and snake usages, bodies, fractions, blank and bad lines, some ending in CR."""
    rng = random.Random(seed)
    lines = []
    for k in range(n):
        x, m, o = rng.randint(0, 300), rng.randint(0, 1500), rng.randint(0, 6000)
        r = rng.random()
        if r < 0.02:
            lines.append(BAD)
        elif r < 0.03:
            lines.append(b"")
        elif r < 0.04:
            lines.append(b'{"created":1,"data":[{"url":"https://x"}]}')
        elif r < 0.07 and fractions:
            lines.append(camel(0.1, 0.05, 0.05, 0.025, 0.025))
        elif r < 0.5:
            lines.append(snake(x + m + o, x + m, o, x, m))
        else:
            lines.append(camel(x + m + o, x + m, o, x, m))
        if k % 37 == 0:
            lines[-1] += b"\r"
    return lines


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three logs written out of name order; the last one lacks its final newline."""
    folder = tmp_path_factory.mktemp("logs")
    (folder / "b.ndjson").write_bytes(b"\n".join(log_lines(3000, 1)) + b"\n")
    (folder / "a.ndjson").write_bytes(b"\n".join(log_lines(2500, 2)) + b"\r\n")
    (folder / "c.ndjson").write_bytes(b"\n".join(log_lines(2000, 3)))
    (folder / "empty.ndjson").write_bytes(b"")
    return folder


def local(folder: Path, **kw: Any) -> Totals:
    """What usagecodec.summarize gives for the files of the glob, in sorted order."""
    return summarize(sorted(glob.glob(str(folder / "*.ndjson"))), wire="auto", **kw)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A real two-process LocalCluster and a client that is the default scheduler."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


class TestBlocks:
    """Block boundaries, checked with Dask's synchronous scheduler (no cluster needed)."""

    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(
            st.sampled_from([GOOD, BAD, b"", b" ", camel(3, 2, 1, 1, 1) + b"\r", b"{"]),
            max_size=30,
        ),
        st.integers(1, 400),
        st.booleans(),
    )
    def test_any_blocksize_reads_every_line_once(
        self, lines: list[bytes], blocksize: int, final_newline: bool
    ) -> None:
        """Whatever the block size, block totals merge to the file's totals exactly."""
        data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "u.ndjson")
            with open(path, "wb") as f:
                f.write(data)
            got = ud.summarize(path, blocksize=blocksize, on_error="collect", scheduler="sync")
            assert got == summarize(path, on_error="collect")

    def test_line_ending_exactly_at_a_boundary(self, tmp_path: Path) -> None:
        """Lines whose newline falls exactly on a block boundary are neither lost nor doubled."""
        line = camel(1, 1, 0, 1, 0)
        path = tmp_path / "exact.ndjson"
        path.write_bytes((line + b"\n") * 40)
        size = len(line) + 1
        _, blocks = read_bytes(str(path), delimiter=b"\n", blocksize=size * 4, sample=False)
        assert len(blocks[0]) == 10  # a boundary after every fourth line
        for blocksize in (size - 1, size, size + 1, 4 * size):
            t = ud.summarize(path, blocksize=blocksize, scheduler="sync")
            assert (t.records, t.total_tokens) == (40, 40)

    def test_block_line_counts_match_the_reader(self, logs: Path) -> None:
        """The newline count used for data-frame line numbers is what the reader counts."""
        _, blocks = read_bytes(
            str(logs / "c.ndjson"), delimiter=b"\n", blocksize=5000, sample=False
        )
        import dask

        for block in dask.compute(*blocks[0], scheduler="sync"):
            reader = UsageReader(io.BytesIO(block), wire="auto", on_error="skip")
            reader.totals()
            assert count_lines(block) == reader.lines

    def test_unknown_options_fail_before_any_work(self, logs: Path) -> None:
        """A bad option is a ValueError raised here, not on a worker."""
        with pytest.raises(ValueError, match="on_error"):
            ud.summarize(str(logs / "*.ndjson"), on_error="ignore")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="dotted path"):
            ud.summarize(str(logs / "*.ndjson"), at="a..b")

    def test_no_file_is_an_os_error(self, tmp_path: Path) -> None:
        """A glob that matches nothing raises OSError."""
        with pytest.raises(OSError, match="resolved to no files"):
            ud.summarize(str(tmp_path / "*.ndjson"), scheduler="sync")


@pytest.mark.slow
@pytest.mark.usefixtures("cluster")
class TestSummarizeOnCluster:
    @pytest.mark.parametrize("on_error", ["collect", "skip"])
    def test_equals_local_totals(self, logs: Path, on_error: OnError) -> None:
        """Tiny blocks over several files give exactly the local totals, errors included."""
        got = ud.summarize(str(logs / "*.ndjson"), blocksize=4096, wire="auto", on_error=on_error)
        want = local(logs, on_error=on_error)
        assert got == want
        assert want.bad_lines > 0 and want.without_usage > 0
        if on_error == "collect":
            assert [e.source for e in got.errors] == sorted(str(e.source) for e in got.errors)
            assert max(e.lineno for e in got.errors) > 2000  # numbers of late blocks fixed

    def test_raise_mode_gives_the_same_first_error(self, logs: Path) -> None:
        """In raise mode the error names the same file, line, path and reason as locally."""
        with pytest.raises(UsageDecodeError) as dist:
            ud.summarize(str(logs / "*.ndjson"), blocksize=4096, wire="auto")
        with pytest.raises(UsageDecodeError) as here:
            local(logs)
        fields = ("source", "lineno", "path", "reason", "wire")
        assert [getattr(dist.value, f) for f in fields] == [getattr(here.value, f) for f in fields]
        assert dist.value.source == str(logs / "a.ndjson")

    def test_first_error_in_a_later_file_and_block(self, tmp_path: Path) -> None:
        """A first bad line deep in the second file is reported with its line in that file."""
        (tmp_path / "1.ndjson").write_bytes((GOOD + b"\n") * 500)
        lines = [GOOD] * 700
        lines[612] = BAD
        (tmp_path / "2.ndjson").write_bytes(b"\n".join(lines))
        with pytest.raises(UsageDecodeError) as info:
            ud.summarize(str(tmp_path / "*.ndjson"), blocksize=2048)
        assert (info.value.source, info.value.lineno) == (str(tmp_path / "2.ndjson"), 613)

    def test_runs_on_the_current_client(self, logs: Path, cluster: Any) -> None:
        """Without a scheduler argument the blocks run as tasks of the current client."""
        with distributed.get_task_stream(cluster) as stream:
            ud.summarize(str(logs / "*.ndjson"), blocksize=16_384, wire="auto", on_error="skip")
        assert any(str(task["key"]).startswith("_read_block-") for task in stream.data)

    def test_scheduler_address(self, logs: Path, cluster: Any) -> None:
        """A scheduler address connects a client of its own for the call."""
        got = ud.summarize(
            str(logs / "*.ndjson"),
            blocksize=8192,
            wire="auto",
            on_error="collect",
            scheduler=cluster.scheduler.address,
        )
        assert got == local(logs, on_error="collect")

    def test_list_of_paths_keeps_its_order(self, logs: Path) -> None:
        """A list of paths is read in the order given, like usagecodec.summarize."""
        files = [str(logs / "c.ndjson"), str(logs / "a.ndjson")]
        got = ud.summarize(files, blocksize=4096, wire="auto", on_error="collect")
        assert got == summarize(files, wire="auto", on_error="collect")
        assert got.errors[0].source == files[0]


@pytest.mark.slow
@pytest.mark.usefixtures("cluster")
class TestSummarizeCommand:
    def _json(self, capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
        assert main(["summarize", "--json", *argv]) == 0, capsys.readouterr().err
        return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]

    def test_scheduler_option(
        self, logs: Path, cluster: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """summarize --scheduler ADDRESS prints what the local command prints."""
        files = sorted(glob.glob(str(logs / "*.ndjson")))
        address = cluster.scheduler.address
        remote = self._json(capsys, "--on-error", "collect", "--scheduler", address, *files)
        assert remote == self._json(capsys, "--on-error", "collect", *files)

    def test_scheduler_from_the_environment(
        self,
        logs: Path,
        cluster: Any,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """USAGECODEC_SCHEDULER selects the cluster; a quoted glob is expanded there."""
        monkeypatch.setenv("USAGECODEC_SCHEDULER", cluster.scheduler.address)
        remote = self._json(capsys, "--on-error", "skip", str(logs / "*.ndjson"))
        monkeypatch.delenv("USAGECODEC_SCHEDULER")
        files = sorted(glob.glob(str(logs / "*.ndjson")))
        assert remote == self._json(capsys, "--on-error", "skip", *files)

    def test_standard_input_is_refused(
        self, cluster: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A cluster cannot read this process's standard input: usage error, exit 2."""
        assert main(["summarize", "--scheduler", cluster.scheduler.address, "-"]) == 2
        assert "not standard input" in capsys.readouterr().err


class TestWithoutDask:
    def test_missing_dask_is_one_line(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without dask, --scheduler names the extra to install and exits 2."""
        for name in [m for m in sys.modules if m == "dask" or m.startswith("dask.")]:
            monkeypatch.setitem(sys.modules, name, None)
        monkeypatch.delitem(sys.modules, "usagecodec.dask")
        monkeypatch.delattr(usagecodec, "dask")
        assert main(["summarize", "--scheduler", "tcp://127.0.0.1:1", "x.ndjson"]) == 2
        assert capsys.readouterr().err == (
            "usagecodec summarize: error: --scheduler needs dask and distributed: "
            "pip install 'usagecodec[dask]'\n"
        )


@pytest.mark.slow
@pytest.mark.usefixtures("cluster")
class TestDataFrame:
    @pytest.fixture(autouse=True)
    def _needs_dataframe(self) -> None:
        pytest.importorskip("pandas", reason="dask[dataframe] (pandas) is not installed")
        pytest.importorskip("pyarrow", reason="dask[dataframe] (pyarrow) is not installed")

    def test_columns_sums_and_line_numbers(self, tmp_path: Path) -> None:
        """The frame's sums equal the totals and each row names its file and true line."""
        for k, name in enumerate(("y.ndjson", "x.ndjson")):
            (tmp_path / name).write_bytes(b"\n".join(log_lines(1500, 20 + k, fractions=False)))
        frame = ud.to_dataframe(
            str(tmp_path / "*.ndjson"), blocksize=16_384, wire="auto", on_error="skip"
        )
        assert frame.npartitions > 4
        assert list(frame.columns) == [*usagecodec.arrow.COLUMNS, "source"]
        df = frame.compute()
        totals = local(tmp_path, on_error="skip")
        assert len(df) == totals.records
        assert df[list(usagecodec.arrow.TOKEN_COLUMNS)].sum().to_dict() == {
            name: getattr(totals, name) for name in usagecodec.arrow.TOKEN_COLUMNS
        }
        for name in ("x.ndjson", "y.ndjson"):
            path = str(tmp_path / name)
            reader = UsageReader(path, wire="auto", on_error="skip")
            want = [n for _, nums in reader.numbered_batches() for n in nums]
            assert df[df.source == path].line.tolist() == want

    def test_group_by_file(self, logs: Path) -> None:
        """Grouping on the cluster gives each file's own totals."""
        frame = ud.to_dataframe(
            str(logs / "*.ndjson"), blocksize=65_536, wire="auto", on_error="skip", dtype="float64"
        )
        sums = frame.groupby("source").total_tokens.sum().compute()
        for path, value in sums.items():
            want = summarize(path, wire="auto", on_error="skip").total_tokens
            assert value == pytest.approx(float(want))

    def test_fraction_in_an_int64_frame_names_its_line(self, tmp_path: Path) -> None:
        """dtype='int64' refuses a fractional count with the file and line; float64 takes it."""
        lines = [GOOD] * 300
        lines[250] = camel(10, 6, 4, 5, 0.5)
        path = tmp_path / "f.ndjson"
        path.write_bytes(b"\n".join(lines))
        with pytest.raises(ValueError, match=rf"{path}:251: token count 0.5 in `image_tokens`"):
            ud.to_dataframe(str(path), blocksize=2048).compute()
        frame = ud.to_dataframe(str(path), blocksize=2048, dtype="float64")
        assert frame.image_tokens.sum().compute() == 299.5
        assert str(frame.total_tokens.dtype) == "float64"

    def test_bad_line_error_has_the_line_in_the_file(self, tmp_path: Path) -> None:
        """In raise mode a bad line in a late block is reported with its line in the file."""
        lines = [GOOD] * 400
        lines[333] = BAD
        path = tmp_path / "bad.ndjson"
        path.write_bytes(b"\n".join(lines))
        with pytest.raises(UsageDecodeError) as info:
            ud.to_dataframe(str(path), blocksize=2048).compute()
        assert (info.value.lineno, info.value.source) == (334, str(path))

    def test_collect_is_refused(self, logs: Path) -> None:
        """A data frame has nowhere to put collected errors: on_error='collect' is refused."""
        with pytest.raises(ValueError, match="raise or skip"):
            ud.to_dataframe(str(logs / "*.ndjson"), on_error="collect")  # type: ignore[arg-type]
