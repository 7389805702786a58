"""Breakdowns and costs, against an independent reference (the json module, exact sums)."""

from __future__ import annotations

import datetime
import io
import json
import random
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

import usagecodec
from usagecodec import GroupedTotals, KeySpec, Price, Totals

CMD = [sys.executable, "-m", "usagecodec"]
UTC = datetime.timezone.utc


# --- a reference written with json -----------------------------------------------------------


def _ref_bucket(value: Any, bucket: str) -> str | None:
    when = None
    if isinstance(value, str):
        text = value
        if len(text) >= 20 and text[10] in "Tt ":
            norm = text[:-1] + "+00:00" if text[-1] in "Zz" else text
            try:
                when = datetime.datetime.fromisoformat(norm[:10] + "T" + norm[11:])
            except ValueError:
                when = None
            if when is not None and when.tzinfo is None:
                when = None
    elif type(value) in (int, float):
        when = datetime.datetime.fromtimestamp(value, UTC)
    if when is None:
        return None
    when = when.astimezone(UTC)
    return {
        "hour": f"{when:%Y-%m-%dT%H}:00Z",
        "day": f"{when:%Y-%m-%d}",
        "month": f"{when:%Y-%m}",
    }[bucket]


def _ref_value(record: Any, path: str) -> Any:
    value = record
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _ref_key(record: Any, spec: str) -> Any:
    path, _, bucket = spec.partition(":")
    value = _ref_value(record, path)
    if bucket:
        return _ref_bucket(value, bucket)
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return value


CAMEL = ("totalTokens", "inputTokens", "outputTokens", "inputTokensDetails", "textTokens",
         "imageTokens")  # fmt: skip


def _ref_usage(record: Any, at: str | None) -> tuple[Fraction, ...] | None:
    usage = record if at is None else _ref_value(record, at)
    t, i, o, d, x, m = CAMEL
    details = usage[d]
    return tuple(Fraction(v) for v in (usage[t], usage[i], usage[o], details[x], details[m]))


def reference(lines: list[bytes], by: list[str], at: str | None) -> dict[Any, list[Any]]:
    groups: dict[Any, list[Any]] = {}
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        sums = _ref_usage(record, at)
        assert sums is not None
        key = tuple(_ref_key(record, spec) for spec in by)
        acc = groups.setdefault(key, [0, Fraction(0), Fraction(0), Fraction(0), Fraction(0),
                                      Fraction(0)])  # fmt: skip
        acc[0] += 1
        for k in range(5):
            acc[k + 1] += sums[k]
    return groups


# --- random logs -----------------------------------------------------------------------------

MODELS = ["gpt-image-1", "dall-e-2", "", "ü-model", 7, 2.5, True, None, {"name": "x"}, [1, "a"]]


def _time(rng: random.Random) -> Any:
    seconds = rng.randint(1_700_000_000, 1_800_000_000)
    when = datetime.datetime.fromtimestamp(seconds, UTC)
    choice = rng.randrange(8)
    if choice == 0:
        return seconds
    if choice == 1:
        return seconds + 0.25
    if choice == 2:
        offset = datetime.timezone(datetime.timedelta(hours=rng.choice([-11, -2, 5, 14])))
        return when.astimezone(offset).isoformat()
    if choice == 3:
        return "not a time"
    if choice == 4:
        return when.strftime("%Y-%m-%dT%H:%M:%S")  # no offset: not RFC 3339
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if choice == 5 else "%Y-%m-%dT%H:%M:%SZ")


def _usage(rng: random.Random) -> dict[str, Any]:
    i, o = rng.randint(0, 5000), rng.choice([rng.randint(0, 9000), rng.random() * 100])
    x = rng.randint(0, i)
    return {"totalTokens": i + o, "inputTokens": i, "outputTokens": o,
            "inputTokensDetails": {"textTokens": x, "imageTokens": i - x}}  # fmt: skip


def random_log(rng: random.Random, n: int, at: str | None) -> list[bytes]:
    lines = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.03:
            lines.append(b"")
            continue
        if roll < 0.06:
            lines.append(b'{"totalTokens":')  # bad
            continue
        record: dict[str, Any] = {} if at is None else {"response": {"body": {}}}
        if rng.random() < 0.9:
            record["model"] = rng.choice(MODELS)
        if rng.random() < 0.9:
            record["ts"] = _time(rng)
        if rng.random() < 0.5:
            record["request"] = rng.choice([{"team": rng.choice(["a", "b", None])}, "flat", 3])
        if at is None:
            record.update(_usage(rng))
        else:
            record["response"]["body"]["usage"] = _usage(rng)
        lines.append(json.dumps(record, ensure_ascii=rng.random() < 0.5).encode())
    return lines


def _as_reference(grouped: GroupedTotals) -> dict[Any, list[Any]]:
    return {
        key: [t.records, *(Fraction(getattr(t, f)) for f in
              ("total_tokens", "input_tokens", "output_tokens", "text_tokens", "image_tokens"))]
        for key, t in grouped.items()
    }  # fmt: skip


BY = ["model", "ts:day", "request.team", "ts:hour", "created:month"]


@pytest.mark.parametrize("at", [None, "response.body.usage"])
def test_grouped_totals_equal_the_reference(tmp_path: Path, at: str | None) -> None:
    _against_reference(tmp_path, at, rounds=6)


@pytest.mark.slow
@pytest.mark.parametrize("at", [None, "response.body.usage"])
def test_grouped_totals_equal_the_reference_many_files(tmp_path: Path, at: str | None) -> None:
    _against_reference(tmp_path, at, rounds=60, seed=100)


def _against_reference(tmp_path: Path, at: str | None, *, rounds: int, seed: int = 0) -> None:
    rng = random.Random(seed + (11 if at else 12))
    for round_ in range(rounds):
        lines = random_log(rng, rng.randint(1, 400), at)
        data = b"\n".join(lines) + b"\n"
        by = rng.sample(BY, rng.randint(1, 3))
        path = tmp_path / f"log{round_}.ndjson"
        path.write_bytes(data)
        expected = reference(lines, by, at)
        for chunk_size in (64, 4096, 1 << 20):
            got = usagecodec.summarize(
                io.BytesIO(data), at=at, on_error="skip", by=by, chunk_size=chunk_size
            )
            assert _as_reference(got) == expected, (by, chunk_size)
            assert sum(t.records for t in got.values()) == got.total.records
        for workers in (2, 3):
            again = usagecodec.summarize(str(path), at=at, on_error="skip", by=by,
                                         workers=workers, chunk_size=4096)  # fmt: skip
            assert _as_reference(again) == expected


def test_groups_add_up_to_the_total(tmp_path: Path) -> None:
    rng = random.Random(5)
    lines = random_log(rng, 2000, None)
    grouped = usagecodec.summarize(io.BytesIO(b"\n".join(lines)), on_error="skip", by=["model"])
    summed = Totals()
    for totals in grouped.values():
        summed = summed + totals
    total = grouped.total
    assert summed.records == total.records and summed.flagged == total.flagged
    for name in ("total_tokens", "input_tokens", "output_tokens", "text_tokens", "image_tokens"):
        assert getattr(summed, name) == getattr(total, name)
    assert total == usagecodec.summarize(io.BytesIO(b"\n".join(lines)), on_error="skip")


def test_grouping_never_makes_a_good_record_bad() -> None:
    usage = json.dumps(_usage(random.Random(1)))[1:-1]
    odd = [
        '{"model":{"deep":' + "[" * 200 + "]" * 200 + f"}},{usage}}}",  # past the bound
        f'{{"request":"flat",{usage}}}',
        f'{{"model":null,{usage}}}',
        f'{{"ts":"2026-13-45T99:99:99Z",{usage}}}',
        f'{{"ts":1e300,{usage}}}',
        f'{{"ts":true,{usage}}}',
    ]
    data = "\n".join(odd).encode()
    plain = usagecodec.summarize(io.BytesIO(data), on_error="collect")
    grouped = usagecodec.summarize(
        io.BytesIO(data), on_error="collect", by=["model", "ts:day", "request.team"]
    )
    assert grouped.total == plain


def test_file_key_and_equality(tmp_path: Path) -> None:
    a = tmp_path / "a.ndjson"
    b = tmp_path / "b.ndjson"
    rng = random.Random(9)
    a.write_bytes(b"\n".join(random_log(rng, 50, None)))
    b.write_bytes(b"\n".join(random_log(rng, 50, None)))
    one = usagecodec.summarize([a, b], on_error="skip", by=["model"], by_file=True)
    assert {key[-1] for key in one} == {str(a), str(b)}
    parts = usagecodec.summarize(a, on_error="skip", by=["model"], by_file=True) + \
        usagecodec.summarize(b, on_error="skip", by=["model"], by_file=True)  # fmt: skip
    assert parts == one
    two = usagecodec.summarize([a, b], on_error="skip", by=["model"], by_file=True, workers=2)
    assert two == one


@pytest.mark.parametrize(
    "text", ["", "a..b", "model:week", ":day", "ts:", "a.:day"]
)
def test_bad_key_specs(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each message names the spec
        KeySpec.parse(text)


def test_time_buckets() -> None:
    lines = [
        b'{"ts":"2026-11-01T23:30:00-02:00","totalTokens":1,"inputTokens":1,"outputTokens":0,'
        b'"inputTokensDetails":{"textTokens":1,"imageTokens":0}}',
        b'{"ts":1793577600,"totalTokens":1,"inputTokens":1,"outputTokens":0,'
        b'"inputTokensDetails":{"textTokens":1,"imageTokens":0}}',
    ]
    grouped = usagecodec.summarize(io.BytesIO(b"\n".join(lines)), by=["ts:day", "ts:hour"])
    assert set(grouped) == {("2026-11-02", "2026-11-02T01:00Z"),
                            ("2026-11-02", "2026-11-02T00:00Z")}  # fmt: skip


# --- prices ----------------------------------------------------------------------------------


def test_price_parse_and_exact_cost() -> None:
    price = Price.parse("text=5,image=10,output=40")
    assert price == Price(Decimal(5), Decimal(10), Decimal(40))
    totals = Totals(records=1, text_tokens=3, image_tokens=Fraction(1, 4), output_tokens=7)
    expected = (Fraction(3) * 5 + Fraction(1, 4) * 10 + Fraction(7) * 40) / 1_000_000
    assert Fraction(totals.cost(price)) == expected
    assert totals.cost(Price.parse("text=0.1,image=0.2,output=0.3")) == Decimal("0.00000245")
    for bad in ("text=5", "text=5,image=1,output=x", "text=-1,image=1,output=1",
                "text=5,text=5,image=1,output=1", "cost=5", "text=nan,image=1,output=1"):
        with pytest.raises(ValueError):  # noqa: PT011
            Price.parse(bad)


def run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*CMD, *args], capture_output=True, timeout=120, check=False, stdin=subprocess.DEVNULL
    )


def test_cli_groups_json_and_costs(tmp_path: Path) -> None:
    rng = random.Random(21)
    lines = random_log(rng, 500, None)
    path = tmp_path / "log.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    proc = run("summarize", "--json", "--on-error", "skip", "--by", "model", "--by", "ts:day",
               "--price", "text=5,image=10,output=40.5", str(path))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout, parse_float=Decimal)
    expected = reference(lines, ["model", "ts:day"], None)
    assert len(data["groups"]) == len(expected)
    total_cost = Fraction(0)
    for group in data["groups"]:
        key = (group["key"]["model"], group["key"]["ts:day"])
        if isinstance(key[0], Decimal):
            key = (float(key[0]), key[1])
        ref = expected[key]
        assert group["records"] == ref[0]
        total = group["total_tokens"]  # an int, or the nearest double of the exact sum
        assert total == ref[1] if isinstance(total, int) else float(total) == float(ref[1])
        cost = (ref[4] * 5 + ref[5] * 10 + ref[3] * Fraction("40.5")) / 1_000_000
        assert Fraction(group["cost"]) == cost
        total_cost += cost
    assert Fraction(data["cost"]) == total_cost
    assert data["records"] == sum(v[0] for v in expected.values())


def test_cli_prices_file_and_unpriced(tmp_path: Path) -> None:
    path = tmp_path / "log.ndjson"
    path.write_bytes(b"\n".join(random_log(random.Random(4), 300, None)) + b"\n")
    prices = tmp_path / "prices.toml"
    prices.write_text(
        'key = "model"\n[prices."gpt-image-1"]\ntext = 5\nimage = 10\noutput = 40\n'
        '[prices."dall-e-2"]\ntext = 0.5\nimage = 0.5\noutput = 0.25\n'
    )
    proc = run("summarize", "--json", "--on-error", "skip", "--by", "model",
               "--prices", str(prices), str(path))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout, parse_float=Decimal)
    priced = {g["key"]["model"]: g for g in data["groups"] if g["cost"] is not None}
    assert set(priced) == {"gpt-image-1", "dall-e-2"}
    unpriced = sum(g["records"] for g in data["groups"] if g["cost"] is None)
    assert data["unpriced_records"] == unpriced > 0
    table = run("summarize", "--on-error", "skip", "--by", "model", "--prices", str(prices),
                "--sort", "cost", "--top", "2", str(path))  # fmt: skip
    assert table.returncode == 0, table.stderr
    text = table.stdout.decode()
    assert "unpriced" in text and "more)" in text
    rows = [line.split()[0] for line in text.splitlines() if line.strip()]
    header = rows.index("model")
    assert rows[header + 1 : header + 4] == ["gpt-image-1", "dall-e-2", "(8"]


@pytest.mark.parametrize(
    "args",
    [["--by", "a..b"], ["--price", "text=1"], ["--prices", "/nonexistent"], ["--sort", "cost"],
     ["--top", "3"], ["--price", "text=1,image=1,output=1", "--prices", "x"]],
)  # fmt: skip
def test_cli_breakdown_errors(tmp_path: Path, args: list[str]) -> None:
    path = tmp_path / "log.ndjson"
    path.write_bytes(b"\n".join(random_log(random.Random(4), 10, None)))
    proc = run("summarize", *args, str(path))
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr, proc.stderr


def test_demo_breakdown() -> None:
    proc = run("summarize", "--demo", "--by", "model", "--by", "ts:day",
               "--price", "text=5,image=10,output=40")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert b"gpt-image-1" in proc.stdout and b"2026-11-27" in proc.stdout
    assert b"cost (USD)" in proc.stdout


# --- keep ------------------------------------------------------------------------------------


def test_convert_keep_ndjson(tmp_path: Path) -> None:
    lines = random_log(random.Random(8), 200, None)
    path = tmp_path / "log.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    proc = run("convert", "--keep", "model,request.team", "--to", "snake",
               "--on-error", "skip", str(path))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    got = [json.loads(line) for line in proc.stdout.splitlines()]
    records = [json.loads(line) for line in lines if line.strip() and line != b'{"totalTokens":']
    assert len(got) == len(records)
    for out, record in zip(got, records, strict=True):
        assert list(out) == ["model", "request.team", "usage"]
        assert out["model"] == record.get("model")
        assert out["request.team"] == _ref_value(record, "request.team")
        assert out["usage"]["total_tokens"] == record["totalTokens"]


def test_keep_columns_in_parquet_for_duckdb(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    duckdb = pytest.importorskip("duckdb")
    rng = random.Random(3)
    lines = random_log(rng, 600, None)
    path = tmp_path / "log.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "kept.parquet"
    proc = run("convert", "--to", "parquet", "--keep", "model,ts", "--on-error", "skip",
               "-o", str(out), str(path))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = duckdb.sql(
        f"select model, count(*) from '{out}' group by model order by model"
    ).fetchall()
    expected = reference(lines, ["model"], None)
    # mixed types: the column is a string column, non-strings as their JSON text
    as_text = {}
    for (model,), value in expected.items():
        text = model if isinstance(model, str) or model is None else json.dumps(
            model, separators=(",", ":"), ensure_ascii=False)  # fmt: skip
        as_text[text] = as_text.get(text, 0) + value[0]
    assert dict(rows) == as_text


def test_arrow_keep_types() -> None:
    pytest.importorskip("pyarrow")
    from usagecodec import arrow
    usage = json.dumps(_usage(random.Random(2)))[1:-1]
    data = "\n".join(
        [f'{{"n":1,"f":1,"b":true,"s":"x",{usage}}}', f'{{"n":2,"f":2.5,"b":false,{usage}}}']
    ).encode()
    table = arrow.to_arrow(io.BytesIO(data), keep=["n", "f", "b", "s"])
    types = {name: str(table.schema.field(name).type) for name in ("n", "f", "b", "s")}
    assert types == {"n": "int64", "f": "double", "b": "bool", "s": "string"}
    assert table.column("s").to_pylist() == ["x", None]
    with pytest.raises(ValueError, match="line"):
        arrow.to_arrow(io.BytesIO(data), keep=["line"])


@pytest.mark.slow
def test_dask_local_cluster_grouped(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    from usagecodec import dask as on_dask

    rng = random.Random(13)
    files = []
    for k in range(3):
        path = tmp_path / f"log{k}.ndjson"
        path.write_bytes(b"\n".join(random_log(rng, 3000, None)) + b"\n")
        files.append(str(path))
    local = usagecodec.summarize(files, on_error="skip", by=["model", "ts:day"], by_file=True)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:  # fmt: skip
        got = on_dask.summarize(files, on_error="skip", by=["model", "ts:day"], by_file=True,
                                scheduler=client, blocksize=20_000)  # fmt: skip
    assert got == local
