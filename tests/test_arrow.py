"""Columnar output: Arrow batches, tables and Parquet files that add up to the exact totals."""

from __future__ import annotations

import io
import os
import random
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

pa = pytest.importorskip("pyarrow", reason="usagecodec[arrow] (pyarrow) is not installed")
pc = pytest.importorskip("pyarrow.compute", reason="usagecodec[arrow] is not installed")
pq = pytest.importorskip("pyarrow.parquet", reason="usagecodec[arrow] is not installed")

from usagecodec import (  # noqa: E402 - after the skip
    INT64_MAX,
    BadLine,
    UsageDecodeError,
    UsageReader,
    read_usages,
    summarize,
)
from usagecodec import arrow as ua  # noqa: E402
from usagecodec._cli import main  # noqa: E402

from .conftest import camel, snake  # noqa: E402

GOOD = camel(10, 6, 4, 5, 1)
BAD = b'{"totalTokens":"ten"}'
INT64 = pa.int64()
FLOAT64 = pa.float64()


def mixed_log(n: int, seed: int = 3) -> bytes:
    """Camel and snake records, bodies, blank, bad and CRLF lines; integer counts only."""
    rng = random.Random(seed)
    lines = []
    for k in range(n):
        x, m, o = rng.randint(0, 300), rng.randint(0, 1500), rng.randint(0, 6000)
        r = rng.random()
        if r < 0.02:
            lines.append(BAD)
        elif r < 0.04:
            lines.append(b"  ")
        elif r < 0.06:
            lines.append(b'{"created":1,"data":[]}')
        elif r < 0.5:
            lines.append(snake(x + m + o, x + m, o, x, m))
        else:
            lines.append(camel(x + m + o, x + m, o, x, m))
        if k % 31 == 0:
            lines[-1] += b"\r"
    return b"\n".join(lines) + b"\n"


def token_sums(table: Any) -> dict[str, Any]:
    return {name: pc.sum(table.column(name)).as_py() for name in ua.TOKEN_COLUMNS}


def exact_sums(totals: Any) -> dict[str, Any]:
    return {name: getattr(totals, name) for name in ua.TOKEN_COLUMNS}


class TestRecordBatch:
    def test_columns_and_types(self) -> None:
        """Integer counts give int64 columns, in the documented order, plus the line column."""
        usages = list(read_usages(io.BytesIO(GOOD + b"\n" + camel(3, 2, 1, 1, 1))))
        batch = ua.record_batch(usages, [1, 2])
        assert batch.schema.names == list(ua.COLUMNS)
        assert set(batch.schema.types) == {INT64}
        assert batch.column("total_tokens").to_pylist() == [10, 3]
        assert batch.column("image_tokens").to_pylist() == [1, 1]
        assert batch.column("line").to_pylist() == [1, 2]

    def test_a_fraction_makes_only_its_column_float(self) -> None:
        """The type is decided per column: a fraction in image_tokens leaves the others int64."""
        usages = list(read_usages(io.BytesIO(GOOD + b"\n" + camel(3, 2, 1, 1, 0.5))))
        batch = ua.record_batch(usages, [1, 2])
        types = dict(zip(batch.schema.names, batch.schema.types, strict=True))
        assert types["image_tokens"] == FLOAT64
        assert types["total_tokens"] == types["text_tokens"] == types["line"] == INT64
        assert batch.column("image_tokens").to_pylist() == [1.0, 0.5]

    @pytest.mark.parametrize("literal", [b"3.0", b"3e0", b"0.3e1"])
    def test_integral_float_literal_is_float(self, literal: bytes) -> None:
        """A value written with a fraction or exponent is a float, so its column is float64."""
        line = GOOD.replace(b'"totalTokens":10', b'"totalTokens":' + literal)
        batch = ua.record_batch(list(read_usages(io.BytesIO(line))), [1])
        assert batch.schema.field("total_tokens").type == FLOAT64
        assert batch.column("total_tokens").to_pylist() == [3.0]

    def test_largest_integers_are_exact(self) -> None:
        """int64 columns hold the signed 64-bit extremes exactly."""
        line = camel(INT64_MAX, -(2**63), 0, 0, 0)
        batch = ua.record_batch(list(read_usages(io.BytesIO(line))), [7])
        assert batch.column("total_tokens").to_pylist() == [INT64_MAX]
        assert batch.column("input_tokens").to_pylist() == [-(2**63)]

    def test_large_integer_among_floats_is_rounded_not_refused(self) -> None:
        """An int above 2**53 in a float64 column becomes the nearest double."""
        data = camel(2**53 + 1, 0, 0, 0, 0) + b"\n" + camel(0.5, 0, 0, 0, 0)
        batch = ua.record_batch(list(read_usages(io.BytesIO(data))), [1, 2])
        assert batch.column("total_tokens").to_pylist() == [float(2**53), 0.5]

    def test_lengths_must_match(self) -> None:
        """Usages and line numbers of different lengths are refused."""
        with pytest.raises(ValueError, match="1 usages but 2 line numbers"):
            ua.record_batch(list(read_usages(io.BytesIO(GOOD))), [1, 2])

    def test_schema_refuses_unknown_columns(self) -> None:
        """schema(floats=...) names token columns only."""
        with pytest.raises(ValueError, match="not token columns: line"):
            ua.schema(floats=["line"])


class TestIterBatches:
    def test_one_batch_per_chunk_with_true_line_numbers(self) -> None:
        """Small chunks give several batches whose line numbers skip blank, bad and body lines."""
        data = mixed_log(400)
        reader = read_usages(io.BytesIO(data), wire="auto", on_error="skip")
        expected = [n for _, nums in reader.numbered_batches() for n in nums]
        batches = list(
            ua.iter_batches(io.BytesIO(data), wire="auto", on_error="skip", chunk_size=2048)
        )
        assert len(batches) > 10
        assert [n for b in batches for n in b.column("line").to_pylist()] == expected
        assert all(b.num_rows > 0 for b in batches)

    def test_chunks_without_usage_yield_nothing(self) -> None:
        """A source of only bad and blank lines yields no batch."""
        data = b"\n".join([BAD, b"", b"nope"]) + b"\n"
        assert list(ua.iter_batches(io.BytesIO(data), on_error="skip")) == []

    def test_raise_mode_names_the_line(self) -> None:
        """In raise mode the first bad line stops the iteration with its line number."""
        batches = ua.iter_batches(io.BytesIO(GOOD + b"\n" + BAD + b"\n"), chunk_size=8)
        with pytest.raises(UsageDecodeError) as info:
            list(batches)
        assert info.value.lineno == 2

    def test_reading_options_are_used(self) -> None:
        """wire, at and strict reach the reader: envelopes, snake records, strict refusals."""
        event = b'{"ts":1,"resp":{"usage":' + snake(3, 2, 1, 1, 1) + b"}}"
        table = ua.to_arrow(io.BytesIO(event), wire="snake", at="resp.usage")
        assert table.column("total_tokens").to_pylist() == [3]
        strict = ua.to_arrow(
            io.BytesIO(camel(-1, 0, 0, 0, 0) + b"\n" + GOOD), strict=True, on_error="skip"
        )
        assert strict.column("line").to_pylist() == [2]

    def test_reader_gives_access_to_errors_and_counters(self) -> None:
        """A UsageReader passed in keeps its collected errors and counters for the caller."""
        reader = UsageReader(io.BytesIO(GOOD + b"\n" + BAD + b"\n" + GOOD), on_error="collect")
        rows = sum(b.num_rows for b in ua.iter_batches(reader))
        assert (rows, reader.records, reader.bad_lines) == (2, 2, 1)
        assert [e.lineno for e in reader.errors] == [2]

    def test_reader_and_options_together_are_refused(self) -> None:
        """Options given next to a reader would be ignored, so they are refused."""
        with pytest.raises(ValueError, match="give the reading options to the UsageReader"):
            list(ua.iter_batches(UsageReader(io.BytesIO(GOOD)), wire="snake"))

    def test_source_column(self, tmp_path: Path) -> None:
        """source_column adds the source's name to every row."""
        path = tmp_path / "u.ndjson"
        path.write_bytes(GOOD + b"\n" + GOOD)
        table = ua.to_arrow(path, source_column=True)
        assert table.column("source").to_pylist() == [str(path), str(path)]
        assert table.schema.field("source").type == pa.string()

    def test_messagepack_stream(self) -> None:
        """format='msgpack' reads a MessagePack stream; line is the index of the document."""
        usages = list(read_usages(io.BytesIO(GOOD + b"\n" + camel(3, 2, 1, 1, 1))))
        stream = b"".join(msgspec.msgpack.encode(u) for u in usages)
        table = ua.to_arrow(io.BytesIO(stream), format="msgpack")
        assert table.column("line").to_pylist() == [1, 2]
        assert table.column("total_tokens").to_pylist() == [10, 3]


class TestToArrow:
    def test_sums_equal_summarize(self, tmp_path: Path) -> None:
        """pyarrow's own sums of the table equal the exact totals of usagecodec.summarize."""
        path = tmp_path / "log.ndjson"
        path.write_bytes(mixed_log(3000))
        totals = summarize(path, wire="auto", on_error="skip")
        table = ua.to_arrow(path, wire="auto", on_error="skip", chunk_size=4096)
        assert table.num_rows == totals.records
        assert token_sums(table) == exact_sums(totals)
        assert set(table.schema.types) == {INT64}

    def test_batches_of_different_types_unify_to_float64(self) -> None:
        """An int64 batch and a float64 batch make one float64 column; other columns stay int."""
        data = (GOOD + b"\n") * 50 + camel(10, 6, 4, 5, 0.5) + b"\n"
        batches = list(ua.iter_batches(io.BytesIO(data), chunk_size=256))
        kinds = {b.schema.field("image_tokens").type for b in batches}
        assert kinds == {INT64, FLOAT64}
        table = ua.to_arrow(io.BytesIO(data), chunk_size=256)
        assert table.schema.field("image_tokens").type == FLOAT64
        assert table.schema.field("total_tokens").type == INT64
        assert table.column("image_tokens").to_pylist() == [1.0] * 50 + [0.5]

    def test_empty_source_gives_an_empty_int_table(self) -> None:
        """A source without usage gives zero rows and the int64 schema."""
        table = ua.to_arrow(io.BytesIO(b""))
        assert table.num_rows == 0
        assert table.schema == ua.schema()


class TestWriteParquet:
    def test_round_trip_sums(self, tmp_path: Path) -> None:
        """Several sources into one file: rows, sources and sums equal the exact totals."""
        a, b = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
        a.write_bytes(mixed_log(2000, seed=1))
        b.write_bytes(mixed_log(1500, seed=2))
        out = tmp_path / "out.parquet"
        rows = ua.write_parquet([a, b], out, wire="auto", on_error="skip", row_group_rows=500)
        totals = summarize([a, b], wire="auto", on_error="skip")
        table = pq.read_table(out)
        assert rows == table.num_rows == totals.records
        assert token_sums(table) == exact_sums(totals)
        assert pq.ParquetFile(out).num_row_groups > 2
        sources = pc.unique(table.column("source")).to_pylist()
        assert sources == [str(a), str(b)]

    def test_late_fraction_is_refused_never_rewritten(self, tmp_path: Path) -> None:
        """With dtype="auto" the first row group fixes the types: a later fraction for an
        int64 column is refused with its line, and nothing is left behind."""
        data = (GOOD + b"\n") * 300 + camel(10, 6, 4, 5, 0.25) + b"\n" + (GOOD + b"\n") * 10
        src = tmp_path / "late.ndjson"
        src.write_bytes(data)
        out = tmp_path / "late.parquet"
        with pytest.raises(ValueError, match=r"late.ndjson:301: .*0.25.*image_tokens.*float64"):
            ua.write_parquet(src, out, chunk_size=512, row_group_rows=64)
        assert sorted(os.listdir(tmp_path)) == ["late.ndjson"]
        ua.write_parquet(src, out, chunk_size=512, row_group_rows=64, dtype="float64")
        table = pq.read_table(out)
        assert all(table.schema.field(c).type == FLOAT64 for c in ua.TOKEN_COLUMNS)
        assert table.column("image_tokens").to_pylist() == [1.0] * 300 + [0.25] + [1.0] * 10
        assert table.column("line").to_pylist() == list(range(1, 312))
        assert sorted(os.listdir(tmp_path)) == ["late.ndjson", "late.parquet"]

    def test_late_integral_float_and_early_fraction(self, tmp_path: Path) -> None:
        """A later 8105.0 fits an int64 column; a fraction in the first row group makes the
        column float64 (auto), and later integers are cast to it."""
        src = tmp_path / "f.ndjson"
        src.write_bytes(
            (GOOD + b"\n") * 100 + camel(10, 6, 4, 5, 1.0) + b"\n" + (GOOD + b"\n") * 5
        )
        out = tmp_path / "f.parquet"
        ua.write_parquet(src, out, chunk_size=256, row_group_rows=32)
        assert pq.read_table(out).schema.field("image_tokens").type == INT64
        src.write_bytes(camel(10, 6, 4, 5, 0.5) + b"\n" + (GOOD + b"\n") * 100)
        ua.write_parquet(src, out, chunk_size=256, row_group_rows=32)
        table = pq.read_table(out)
        assert table.schema.field("image_tokens").type == FLOAT64
        assert table.column("image_tokens").to_pylist() == [0.5] + [1.0] * 100

    @pytest.mark.parametrize("dtype", ["int64", "float64"])
    def test_dtype_chosen_up_front(self, tmp_path: Path, dtype: str) -> None:
        """dtype="int64"/"float64" give those types from the first batch on, empty or not."""
        src = tmp_path / "d.ndjson"
        src.write_bytes((GOOD + b"\n") * 10)
        table = ua.to_arrow(src, dtype=dtype)  # type: ignore[arg-type]
        assert {str(table.schema.field(c).type) for c in ua.TOKEN_COLUMNS} == {
            "int64" if dtype == "int64" else "double"
        }
        empty = ua.to_arrow(io.BytesIO(b""), dtype=dtype)  # type: ignore[arg-type]
        assert str(empty.schema.field("total_tokens").type) == (
            "int64" if dtype == "int64" else "double"
        )
        src.write_bytes(GOOD + b"\n" + camel(10, 6, 4, 5, 0.5) + b"\n")
        if dtype == "int64":
            with pytest.raises(ValueError, match=r"d.ndjson:2: token count 0.5"):
                ua.to_arrow(src, dtype="int64", source_column=True)
        with pytest.raises(ValueError, match="dtype must be"):
            ua.to_arrow(src, dtype="int32")  # type: ignore[arg-type]

    def test_bad_line_in_raise_mode_leaves_no_file(self, tmp_path: Path) -> None:
        """A bad line stops the write and leaves neither the file nor a temporary one."""
        src = tmp_path / "bad.ndjson"
        src.write_bytes((GOOD + b"\n") * 100 + BAD + b"\n")
        with pytest.raises(UsageDecodeError):
            ua.write_parquet(src, tmp_path / "o.parquet", row_group_rows=10, chunk_size=256)
        assert os.listdir(tmp_path) == ["bad.ndjson"]

    def test_bad_lines_are_reported_as_found(self, tmp_path: Path) -> None:
        """on_bad_line receives each collected bad line, in order, with its source."""
        src = tmp_path / "s.ndjson"
        src.write_bytes(b"\n".join([GOOD, BAD, GOOD, b"{", GOOD]))
        seen: list[BadLine] = []
        rows = ua.write_parquet(
            src, tmp_path / "o.parquet", on_error="collect", on_bad_line=seen.append
        )
        assert rows == 3
        assert [(e.lineno, e.source) for e in seen] == [(2, str(src)), (4, str(src))]

    def test_empty_input_writes_an_empty_file(self, tmp_path: Path) -> None:
        """No usage at all still gives a readable file with the int64 schema."""
        out = tmp_path / "empty.parquet"
        assert ua.write_parquet(io.BytesIO(b""), out) == 0
        table = pq.read_table(out)
        assert table.num_rows == 0
        assert table.schema.field("total_tokens").type == INT64


class TestConvertCommand:
    def _files(self, tmp_path: Path) -> list[str]:
        paths = []
        for k in range(2):
            path = tmp_path / f"part{k}.ndjson"
            path.write_bytes(mixed_log(1200, seed=10 + k))
            paths.append(str(path))
        return paths

    def _summary(self, files: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
        assert main(["summarize", "--json", "--on-error", "skip", *files]) == 0
        return msgspec.json.decode(capsys.readouterr().out)  # type: ignore[no-any-return]

    def test_parquet_sums_equal_summarize(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """convert --to parquet writes a file whose column sums equal summarize --json."""
        files = self._files(tmp_path)
        out = tmp_path / "out.parquet"
        status = main(["convert", "--to", "parquet", "-o", str(out), *files])
        err = capsys.readouterr().err
        assert status == 1  # the logs hold bad lines, reported on stderr
        assert err.count("usagecodec convert: bad line: ") == len(err.splitlines()) > 0
        summary = self._summary(files, capsys)
        table = pq.read_table(out)
        assert table.num_rows == summary["records"]
        assert token_sums(table) == {k: summary[k] for k in ua.TOKEN_COLUMNS}

    def test_duckdb_reads_the_same_sums(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """DuckDB summing the Parquet file agrees with summarize."""
        duckdb = pytest.importorskip("duckdb", reason="duckdb is not installed")
        files = self._files(tmp_path)
        out = tmp_path / "out.parquet"
        main(["convert", "--to", "parquet", "--on-error", "skip", "-o", str(out), *files])
        summary = self._summary(files, capsys)
        (row,) = duckdb.sql(
            "select count(*), sum(total_tokens), sum(input_tokens), sum(output_tokens), "
            f"sum(text_tokens), sum(image_tokens) from read_parquet('{out}')"
        ).fetchall()
        assert list(row) == [summary[k] for k in ("records", *ua.TOKEN_COLUMNS)]

    def test_polars_reads_the_same_sums(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Polars summing the Parquet file agrees with summarize."""
        pl = pytest.importorskip("polars", reason="polars is not installed")
        files = self._files(tmp_path)
        out = tmp_path / "out.parquet"
        main(["convert", "--to", "parquet", "--on-error", "skip", "-o", str(out), *files])
        summary = self._summary(files, capsys)
        sums = pl.read_parquet(out).select(pl.col(list(ua.TOKEN_COLUMNS)).sum()).row(0)
        assert list(sums) == [summary[k] for k in ua.TOKEN_COLUMNS]

    def test_needs_an_output_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Parquet to standard output is a usage error with a one-line message."""
        files = self._files(tmp_path)
        assert main(["convert", "--to", "parquet", *files]) == 2
        assert capsys.readouterr().err == (
            "usagecodec convert: error: --to parquet needs -o FILE "
            "(Parquet is not written to a pipe)\n"
        )

    def test_missing_pyarrow_is_one_line(
        self,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Without pyarrow, --to parquet says which extra to install, and writes nothing."""
        import usagecodec

        monkeypatch.setitem(sys.modules, "pyarrow", None)
        monkeypatch.delitem(sys.modules, "usagecodec.arrow")
        monkeypatch.delattr(usagecodec, "arrow")
        out = tmp_path / "o.parquet"
        files = self._files(tmp_path)
        assert main(["convert", "--to", "parquet", "-o", str(out), *files]) == 2
        assert capsys.readouterr().err == (
            "usagecodec convert: error: --to parquet needs pyarrow: "
            "pip install 'usagecodec[arrow]'\n"
        )
        assert not out.exists()
