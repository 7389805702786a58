"""Logging benchmark: cost per record of ``usagecodec.telemetry``'s ``UsageFilter`` and formatter.

A standalone script (no test in it; pytest may import it and finds nothing to run)::

    python benchmarks/bench_logging.py [--records 100000] [--repeat 5]

Every case logs the same call, ``logger.info("image variation done", extra=...)``, through a
handler that formats the record (the same format string and defaults both ways) and writes it
to a sink that drops it, so the numbers are the cost of logging itself: record creation,
filters, formatting. Each case is timed with and without the filter on the handler; the
difference is the filter's overhead per record.
"""

from __future__ import annotations

import argparse
import io
import logging
import platform
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script from a checkout: find src/usagecodec
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


class _Sink(io.TextIOBase):
    def write(self, s: str) -> int:
        return len(s)


FORMAT_USAGE = (
    "%(asctime)s %(levelname)s %(name)s %(message)s"
    " in=%(usage_input_tokens)s out=%(usage_output_tokens)s"
)


def _logger(formatter: logging.Formatter, with_filter: bool) -> logging.Logger:
    import usagecodec.telemetry as ul

    handler = logging.StreamHandler(_Sink())
    handler.setFormatter(formatter)
    if with_filter:
        handler.addFilter(ul.UsageFilter())
    log = logging.getLogger(f"bench-{id(handler)}")
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.INFO)
    return log


def _time(log: logging.Logger, extra: dict[str, Any] | None, records: int, repeat: int) -> float:
    """Best ns per ``log.info`` call over ``repeat`` runs of ``records`` calls."""
    info = log.info
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter_ns()
        for _ in range(records):
            info("image variation done", extra=extra)
        best = min(best, (time.perf_counter_ns() - start) / records)
    return best


def _filter_alone(usage_filter: logging.Filter, extra: dict[str, Any] | None, args: Any) -> float:
    """Best ns of one filter() call on a fresh copy of a record, the copy's cost subtracted."""
    rec = logging.LogRecord("bench", logging.INFO, __file__, 1, "done", (), None)
    rec.__dict__.update(extra or {})
    base = dict(rec.__dict__)
    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter_ns()
        for _ in range(args.records):
            rec.__dict__ = base.copy()
            usage_filter.filter(rec)
        middle = time.perf_counter_ns()
        for _ in range(args.records):
            rec.__dict__ = base.copy()
        end = time.perf_counter_ns()
        best = min(best, ((middle - start) - (end - middle)) / args.records)
    return best


def _per_record(args: Any) -> None:
    """The guard's figures: per fresh record, against the codec call doing the same decode."""
    if __package__ in (None, ""):
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks import logging_cases, measure

    print("| per fresh record (guard's cases) | ours | reference | bound | ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for pair in [*logging_cases.filter_pairs(), logging_cases.formatter_pair()]:
        pair.ours.verify()
        timings = measure.interleaved(
            [pair.ours, pair.ref], rounds=max(11, args.repeat * 4), number=1
        )
        ours = timings[pair.ours.key].best / pair.records
        ref = timings[pair.ref.key].best / pair.records
        bound = pair.bound(ref)
        print(
            f"| {pair.name}: {pair.ours.label} | {ours * 1e9:,.0f} ns | {ref * 1e9:,.0f} ns "
            f"| {bound * 1e9:,.0f} ns | {ours / ref:.2f}x{'' if ours <= bound else ' (over)'} |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    import msgspec

    import usagecodec
    import usagecodec.telemetry as ul

    usage = usagecodec.Usage(8105, 7451, 654, usagecodec.InputTokensDetails(5950, 1501))
    camel = usagecodec.encode_usage(usage)
    body = msgspec.json.encode(
        {
            "created": 1,
            "data": [{"b64_json": "QUJD" * 16_384}],
            "usage": msgspec.json.decode(camel),
        }
    )
    with_fields = logging.Formatter(FORMAT_USAGE, defaults=ul.FORMAT_DEFAULTS)
    cases: list[tuple[str, dict[str, Any] | None]] = [
        ("no usage in the record", None),
        ("usage: Usage object", {"usage": usage}),
        (f"usage: camel JSON bytes ({len(camel)} B)", {"usage": camel}),
        (
            f"response_body: JSON with a base64 image ({len(body) // 1024} KiB)",
            {"response_body": body},
        ),
        ("usage: bad bytes (marked usage_error)", {"usage": b'{"totalTokens":"5"}'}),
    ]
    print(
        f"Python {platform.python_version()}, usagecodec {usagecodec.__version__}; "
        f"best of {args.repeat} x {args.records:,} records; ns per logger.info() call"
    )
    print()
    print("| record | without filter | with UsageFilter | overhead |")
    print("| --- | ---: | ---: | ---: |")
    for name, extra in cases:
        without = _time(_logger(with_fields, False), extra, args.records, args.repeat)
        with_ = _time(_logger(with_fields, True), extra, args.records, args.repeat)
        print(f"| {name} | {without:,.0f} | {with_:,.0f} | {with_ - without:+,.0f} |")
    print()
    print("| UsageFilter.filter(record) alone | ns per call |")
    print("| --- | ---: |")
    for name, extra in cases:
        print(f"| {name} | {_filter_alone(ul.UsageFilter(), extra, args):,.0f} |")
    print()
    print("| JsonFormatter (decodes itself, no filter needed) | ns per call |")
    print("| --- | ---: |")
    json_log = _logger(ul.JsonFormatter(), False)
    for name, extra in cases[:3]:
        print(f"| {name} | {_time(json_log, extra, args.records, args.repeat):,.0f} |")
    print()
    _per_record(args)
    print()
    print(
        f"Both columns format {FORMAT_USAGE!r} with defaults=FORMAT_DEFAULTS ('-' when "
        "a record has no usage fields), so they differ only by the filter on the handler."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
