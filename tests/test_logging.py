"""Usage in logging: the record filter, the JSON formatter, structlog and OpenTelemetry."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import msgspec
import pytest

import usagecodec
from usagecodec import InputTokensDetails, Usage, UsageCodec
from usagecodec import telemetry as ul

USAGE = Usage(8105, 7451, 654, InputTokensDetails(5950, 1501))
CAMEL = UsageCodec("camel").encode(USAGE)
SNAKE = UsageCodec("snake").encode(USAGE)
OTHER = Usage(30, 20, 10, InputTokensDetails(15, 5))
"""Another usage: a record holding two usages tells which one a shortcut took."""
BODY = msgspec.json.encode(
    {"created": 1, "data": [{"b64_json": "QUJD" * 5000}], "usage": msgspec.json.decode(SNAKE)}
)
OTEL = {
    "gen_ai.usage.input_tokens": 7451,
    "gen_ai.usage.output_tokens": 654,
    "orq.usage.total_tokens": 8105,
    "orq.usage.input_tokens_details.text_tokens": 5950,
    "orq.usage.input_tokens_details.image_tokens": 1501,
}


def record(**extra: Any) -> logging.LogRecord:
    rec = logging.LogRecord("svc", logging.INFO, __file__, 1, "done %s", ("ok",), None)
    rec.__dict__.update(extra)
    return rec


@pytest.fixture
def logger() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A private logger writing to a string through a handler that carries the filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ul.UsageFilter())
    log = logging.getLogger(f"usagecodec-test-{id(stream)}")
    log.propagate = False
    log.setLevel(logging.INFO)
    log.addHandler(handler)
    yield log, stream
    log.removeHandler(handler)


class TestOtelAttributes:
    def test_names_and_values(self) -> None:
        """otel_attributes() uses the GenAI names and namespaced extras, ints kept as ints."""
        attrs = USAGE.otel_attributes()
        assert attrs == OTEL
        assert list(attrs) == list(OTEL)
        assert all(type(v) is int for v in attrs.values())

    def test_fractions_stay_floats(self) -> None:
        """Fractional counts are passed through unchanged."""
        attrs = Usage(1.5, 1, 0.5, InputTokensDetails(0.25, 0.75)).otel_attributes()
        assert attrs["orq.usage.input_tokens_details.text_tokens"] == 0.25

    def test_filter_names_match(self) -> None:
        """The filter's OpenTelemetry names are those of otel_attributes()."""
        assert sorted(ul.OTEL_NAMES.values()) == sorted(OTEL)


class TestUsageFilter:
    @pytest.mark.parametrize(
        "value",
        [USAGE, CAMEL, SNAKE, CAMEL.decode(), bytearray(SNAKE), memoryview(CAMEL), BODY],
        ids=["Usage", "camel", "snake", "str", "bytearray", "memoryview", "body"],
    )
    def test_every_carrier_is_decoded(self, value: object) -> None:
        """Usage objects, camel or snake bytes, str and full bodies all give the same fields."""
        rec = record(usage=value)
        assert ul.UsageFilter().filter(rec) is True
        assert (rec.usage_input_tokens, rec.usage_total_tokens) == (7451, 8105)  # type: ignore[attr-defined]
        assert rec.usage_text_tokens == 5950  # type: ignore[attr-defined]
        assert rec.usage_attributes == OTEL  # type: ignore[attr-defined]
        assert all(rec.__dict__[k] == v for k, v in OTEL.items())

    def test_dicts_and_response_body_attribute(self) -> None:
        """A dict (either dialect) and the response_body attribute are read too."""
        snake_dict = msgspec.json.decode(SNAKE)
        body_obj = usagecodec.decode_response(BODY, wire="snake")
        for rec in (
            record(usage=snake_dict),
            record(response_body=msgspec.json.decode(BODY)),
            record(response_body=body_obj),
        ):
            ul.UsageFilter().filter(rec)
            assert rec.usage_output_tokens == 654  # type: ignore[attr-defined]

    def test_percent_and_brace_styles_print_the_fields(
        self, logger: tuple[logging.Logger, io.StringIO]
    ) -> None:
        """Both format styles print the fields; records without usage use FORMAT_DEFAULTS."""
        log, stream = logger
        handler = log.handlers[0]
        handler.setFormatter(
            logging.Formatter(
                "%(message)s in=%(usage_input_tokens)s out=%(usage_output_tokens)s",
                defaults=ul.FORMAT_DEFAULTS,
            )
        )
        log.info("first", extra={"usage": CAMEL})
        log.info("plain")
        handler.setFormatter(
            logging.Formatter(
                "{message} total={usage_total_tokens}", style="{", defaults=ul.FORMAT_DEFAULTS
            )
        )
        log.info("second", extra={"response_body": BODY})
        assert stream.getvalue().splitlines() == [
            "first in=7451 out=654",
            "plain in=- out=-",
            "second total=8105",
        ]

    @pytest.mark.parametrize(
        ("value", "error"),
        [
            (
                b'{"totalTokens":"5"}',
                "expected a number, got `str` - at `$.totalTokens`",
            ),
            (b"{not json", "JSON is malformed: object keys must be strings - at `$`"),
            (12, "TypeError: expected bytes, str, dict, Usage or a response body, got int"),
            ({"totalTokens": object()}, "TypeError: Encoding objects of type object is"),
        ],
        ids=["wrong-type", "malformed", "int", "unencodable-dict"],
    )
    def test_bad_values_mark_the_record(
        self, logger: tuple[logging.Logger, io.StringIO], value: object, error: str
    ) -> None:
        """A bad value never raises and never drops the record: usage_error says why."""
        log, stream = logger
        log.handlers[0].setFormatter(logging.Formatter("%(message)s | %(usage_error)s"))
        log.info("logged anyway", extra={"usage": value})
        line = stream.getvalue().rstrip("\n")
        assert line.startswith("logged anyway | " + error)
        assert "usage_input_tokens" not in line

    def test_value_whose_str_fails(self) -> None:
        """Even an object whose error message cannot be built leaves a usable record."""

        class Hostile(Exception):
            def __str__(self) -> str:
                raise RuntimeError("no")

        class Weird:
            def __iter__(self) -> Iterator[int]:
                raise Hostile

        rec = record(usage=Weird())
        assert ul.UsageFilter().filter(rec) is True
        assert rec.usage_error.startswith("TypeError")  # type: ignore[attr-defined]

    def test_records_without_usage_are_untouched(self) -> None:
        """No usage attribute, or usage=None, or a body without usage: nothing is added."""
        body = b'{"created":1,"data":[]}'
        for rec in (record(), record(usage=None), record(response_body=body)):
            before = dict(rec.__dict__)
            ul.UsageFilter().filter(rec)
            assert rec.__dict__ == before

    def test_otel_names_can_be_left_out(self) -> None:
        """otel_names=False sets only the Python-style names."""
        rec = record(usage=CAMEL)
        ul.UsageFilter(otel_names=False).filter(rec)
        assert "gen_ai.usage.input_tokens" not in rec.__dict__
        assert rec.usage_input_tokens == 7451  # type: ignore[attr-defined]

    def test_custom_attribute_and_wire(self) -> None:
        """usage_attr and wire are honoured: a snake-only filter rejects camel bytes."""
        rec = record(payload=SNAKE)
        ul.UsageFilter(usage_attr="payload", wire="snake").filter(rec)
        assert rec.usage_total_tokens == 8105  # type: ignore[attr-defined]
        rec = record(payload=CAMEL)
        ul.UsageFilter(usage_attr="payload", wire="snake").filter(rec)
        assert "missing required field `total_tokens`" in rec.usage_error  # type: ignore[attr-defined]

    def test_second_filter_does_not_redo_the_work(self) -> None:
        """A record already annotated keeps its fields when another filter sees it."""
        rec = record(usage=CAMEL)
        ul.UsageFilter().filter(rec)
        rec.usage = b"garbage"
        ul.UsageFilter().filter(rec)
        assert "usage_error" not in rec.__dict__
        assert rec.usage_input_tokens == 7451  # type: ignore[attr-defined]


class TestJsonFormatter:
    def _line(self, rec: logging.LogRecord, **kw: Any) -> dict[str, Any]:
        text = ul.JsonFormatter(**kw).format(rec)
        assert "\n" not in text
        return json.loads(text)  # type: ignore[no-any-return]

    def test_usage_fields_under_otel_names(self) -> None:
        """One JSON line: time, level, logger, message, then the five OTel-named counts."""
        out = self._line(record(usage=CAMEL, request_id="r-1"))
        assert list(out)[:4] == ["time", "level", "logger", "message"]
        assert out["time"].endswith("Z")
        assert (out["level"], out["logger"], out["message"]) == ("INFO", "svc", "done ok")
        assert {k: out[k] for k in OTEL} == OTEL
        assert out["request_id"] == "r-1"
        assert "usage" not in out and "usage_input_tokens" not in out

    def test_raw_body_is_not_written(self) -> None:
        """The megabytes of a response body never reach the log line."""
        text = ul.JsonFormatter().format(record(response_body=BODY))
        assert "QUJD" not in text
        assert json.loads(text)["orq.usage.total_tokens"] == 8105

    def test_bad_usage_and_odd_extras(self) -> None:
        """A bad usage gives usage_error; a value JSON cannot hold is written as its repr."""

        class Thing:
            def __repr__(self) -> str:
                return "<thing>"

        out = self._line(record(usage=b"[1]", thing=Thing()))
        assert out["usage_error"].endswith("- at `$`")
        assert out["thing"] == "<thing>"

    def test_extras_can_be_left_out(self) -> None:
        """extras=False writes only the standard keys, the counts and usage_error."""
        out = self._line(record(usage=CAMEL, request_id="r-1"), extras=False)
        assert "request_id" not in out
        assert out["gen_ai.usage.output_tokens"] == 654
        bad = self._line(record(usage=b"{"), extras=False)
        assert "usage_error" in bad

    def test_exception_is_included(self, logger: tuple[logging.Logger, io.StringIO]) -> None:
        """logger.exception() gives an exception key with the traceback."""
        log, stream = logger
        log.handlers[0].setFormatter(ul.JsonFormatter())
        try:
            raise KeyError("boom")
        except KeyError:
            log.exception("failed", extra={"usage": USAGE})
        out = json.loads(stream.getvalue())
        assert "KeyError: 'boom'" in out["exception"]
        assert out["gen_ai.usage.input_tokens"] == 7451

    def test_with_the_filter_on_the_handler(
        self, logger: tuple[logging.Logger, io.StringIO]
    ) -> None:
        """With the filter already applied, the formatter writes each name once."""
        log, stream = logger
        log.handlers[0].setFormatter(ul.JsonFormatter())
        log.info("x", extra={"usage": SNAKE})
        text = stream.getvalue()
        assert text.count('"gen_ai.usage.input_tokens"') == 1
        assert json.loads(text)["orq.usage.total_tokens"] == 8105


class TestStructlog:
    def test_processor_without_structlog(self) -> None:
        """The processor is a plain callable: the raw value goes, the OTel names come."""
        event = ul.structlog_processor(None, "info", {"event": "x", "response_body": BODY})
        assert event == {"event": "x", **OTEL}

    def test_processor_marks_bad_values(self) -> None:
        """A bad value becomes usage_error; the processor never raises."""
        event = ul.structlog_processor(None, "info", {"event": "x", "usage": b"nope"})
        assert event["usage_error"].startswith("JSON is malformed")
        kept = ul.StructlogProcessor(keep_source=True)(None, "info", {"usage": CAMEL})
        assert kept["usage"] == CAMEL and kept["orq.usage.total_tokens"] == 8105

    def test_with_structlog(self) -> None:
        """In a structlog pipeline with the JSON renderer, the counts reach the output."""
        structlog = pytest.importorskip("structlog", reason="structlog is not installed")
        out = io.StringIO()
        log = structlog.wrap_logger(
            structlog.PrintLogger(out),
            processors=[ul.structlog_processor, structlog.processors.JSONRenderer()],
        )
        log.info("variation", usage=SNAKE)
        log.info("broken", usage=b"{}")
        first, second = (json.loads(line) for line in out.getvalue().splitlines())
        assert {k: first[k] for k in OTEL} == OTEL
        assert "usage" not in first
        assert "missing required field" in second["usage_error"]


class TestRecordTokenUsage:
    @pytest.fixture
    def reader_and_meter(self) -> tuple[Any, Any]:
        pytest.importorskip("opentelemetry.sdk", reason="opentelemetry-sdk is not installed")
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader

        reader = InMemoryMetricReader()
        provider = MeterProvider(metric_readers=[reader])
        return reader, provider.get_meter("test")

    def _points(self, reader: Any) -> tuple[Any, dict[str, Any]]:
        data = reader.get_metrics_data()
        (metric,) = [
            m
            for rm in data.resource_metrics
            for sm in rm.scope_metrics
            for m in sm.metrics
            if m.name == ul.TOKEN_USAGE_METRIC
        ]
        return metric, {p.attributes["gen_ai.token.type"]: p for p in metric.data.data_points}

    def test_histogram_by_token_type(self, reader_and_meter: tuple[Any, Any]) -> None:
        """Input and output counts go to gen_ai.client.token.usage, split by gen_ai.token.type."""
        reader, meter = reader_and_meter
        attrs = {"gen_ai.operation.name": "image_variation", "gen_ai.provider.name": "orq"}
        ul.record_token_usage(USAGE, meter=meter, attributes=attrs)
        ul.record_token_usage(
            Usage(3, 2, 1, InputTokensDetails(1, 1)), meter=meter, attributes=attrs
        )
        metric, points = self._points(reader)
        assert metric.unit == "{token}"
        assert set(points) == {"input", "output"}
        assert (points["input"].count, points["input"].sum) == (2, 7453)
        assert (points["output"].count, points["output"].sum) == (2, 655)
        assert points["input"].attributes["gen_ai.operation.name"] == "image_variation"
        assert list(points["input"].explicit_bounds) == list(ul.TOKEN_USAGE_BUCKETS)

    def test_negative_counts_are_not_recorded(self, reader_and_meter: tuple[Any, Any]) -> None:
        """A negative count (flagged by audit) is skipped, not sent to the histogram."""
        reader, meter = reader_and_meter
        ul.record_token_usage(Usage(1, 2, -1, InputTokensDetails(1, 1)), meter=meter)
        _, points = self._points(reader)
        assert set(points) == {"input"}

    def test_global_meter_without_sdk_is_harmless(self) -> None:
        """Without a configured provider the call records nowhere and does not fail."""
        pytest.importorskip("opentelemetry.metrics", reason="opentelemetry-api is not installed")
        ul.record_token_usage(USAGE)
        ul.record_token_usage(USAGE)


class TestImports:
    def test_importing_usagecodec_loads_no_optional_dependency(self) -> None:
        """import usagecodec (and usagecodec.telemetry) loads no pyarrow, dask or opentelemetry."""
        code = (
            "import sys, usagecodec, usagecodec.telemetry\n"
            "heavy = {'pyarrow', 'dask', 'distributed', 'opentelemetry', 'pandas', 'structlog'}\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
            "import logging; print(logging.getLogger.__module__)\n"
        )
        src = str(Path(usagecodec.__file__).parents[1])
        proc = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONPATH": src},
        )
        assert proc.stdout.splitlines() == ["[]", "logging"]


def test_old_module_name_warns_and_gives_the_same_objects() -> None:
    """usagecodec.logging (the old name) still imports, with a DeprecationWarning."""
    import importlib
    import sys

    sys.modules.pop("usagecodec.logging", None)
    with pytest.warns(DeprecationWarning, match="usagecodec.telemetry"):
        old = importlib.import_module("usagecodec.logging")
    assert old.UsageFilter is ul.UsageFilter and old.__all__ == ul.__all__
    assert {"TEXT_TOKENS", "IMAGE_TOKENS"} <= set(ul.__all__)


# --- equivalence with the reference implementation ------------------------------------------
#
# The filter and the formatter take shortcuts for the common values (a Usage, a usage or a
# response body as bytes, a plain dict, a record whose time falls in a cached second). Below,
# the implementation they replaced is kept as the reference, and both are fed everything: the
# JSONTestSuite corpus, generated usages and bodies in both dialects (extra fields, wrong
# types, huge ints, floats, escapes, byte-order marks, long images), every carrier type, and
# records without the attributes. Record attributes (names, order, values, types, error text)
# and formatter output must be identical.

from usagecodec import MAX_DEPTH  # noqa: E402
from usagecodec._line import LineDecoder  # noqa: E402
from usagecodec._models import PostV2ProxyImagesVariationsResponseBody as _Body  # noqa: E402

_SUITE_DIRS = [
    Path(__file__).parent / "data" / "JSONTestSuite" / "test_parsing",
    Path("/work/shared/conformance/JSONTestSuite/test_parsing"),
]
SUITE = next((d for d in _SUITE_DIRS if d.is_dir()), _SUITE_DIRS[0])
SUITE_FILES = sorted(SUITE.glob("*.json"))


class _ReferenceDecoder:
    """The filter's decoder before the fast paths: LineDecoder for text, JSON for dicts."""

    def __init__(self, wire: Any) -> None:
        self.line = LineDecoder(UsageCodec(wire, "json"), None)
        self.wire = wire

    def __call__(self, value: object) -> Usage | None:
        if type(value) is Usage:
            return value
        if isinstance(value, (bytes, bytearray, memoryview, str)):
            return self.line(value)  # type: ignore[arg-type]
        if value is None:
            return None
        if isinstance(value, (dict, Mapping)):
            if ul._too_deep(value):
                raise usagecodec.UsageDecodeError(
                    f"nesting deeper than {MAX_DEPTH} levels", wire=self.wire
                )
            return self.line(msgspec.json.encode(value))
        if isinstance(value, _Body):
            return None if value.usage is msgspec.UNSET else value.usage
        raise TypeError(
            f"expected bytes, str, dict, Usage or a response body, got {type(value).__name__}"
        )


class ReferenceFilter(logging.Filter):
    """UsageFilter as it was: the reference meaning of every record attribute."""

    def __init__(
        self,
        *,
        wire: Any = "auto",
        usage_attr: str = "usage",
        body_attr: str = "response_body",
        otel_names: bool = True,
    ) -> None:
        super().__init__()
        self._decode = _ReferenceDecoder(wire)
        self.usage_attr = usage_attr
        self.body_attr = body_attr
        self.otel_names = otel_names

    def filter(self, record: logging.LogRecord) -> bool:
        d = record.__dict__
        if self.usage_attr in d:
            value = d[self.usage_attr]
        elif self.body_attr in d:
            value = d[self.body_attr]
        else:
            return True
        if "usage_attributes" in d or "usage_error" in d:
            return True
        try:
            usage = self._decode(value)
        except Exception as exc:
            d["usage_error"] = ul._describe(exc)
            return True
        if usage is not None:
            attrs = usage.otel_attributes()
            d["usage_attributes"] = attrs
            d["usage_total_tokens"] = usage.total_tokens
            d["usage_input_tokens"] = usage.input_tokens
            d["usage_output_tokens"] = usage.output_tokens
            details = usage.input_tokens_details
            d["usage_text_tokens"] = details.text_tokens
            d["usage_image_tokens"] = details.image_tokens
            if self.otel_names:
                d.update(attrs)
        return True


class ReferenceJsonFormatter(ul.JsonFormatter):
    """JsonFormatter.format as it was (datetime per record, every attribute visited)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._filter = ReferenceFilter(  # type: ignore[assignment]
            wire=kwargs.get("wire", "auto"),
            usage_attr=kwargs.get("usage_attr", "usage"),
            body_attr=kwargs.get("body_attr", "response_body"),
            otel_names=False,
        )

    def format(self, record: logging.LogRecord) -> str:
        import datetime

        self._filter.filter(record)
        d = record.__dict__
        out: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        attrs = d.get("usage_attributes")
        if attrs:
            out.update(attrs)
        if self.extras:
            skip = self._skip
            for key, value in d.items():
                if key not in skip and key not in out:
                    out[key] = ul._DEEP if ul._too_deep(value) else value
        elif "usage_error" in d:
            out["usage_error"] = d["usage_error"]
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exception"] = record.exc_text
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        try:
            return self._encode(out).decode()
        except UnicodeEncodeError:
            return ul._ascii_json(out)
        except Exception:
            safe = {ul._safe_key(k): ul._safe_repr(v) for k, v in out.items()}
            try:
                return self._encode(safe).decode()
            except UnicodeEncodeError:
                return ul._ascii_json(safe)


def _typed(value: Any) -> Any:
    """A value with the type of every part, so that 1 == 1.0 == True do not compare equal."""
    if isinstance(value, dict):
        return ("dict", type(value), [(_typed(k), _typed(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value), [_typed(v) for v in value])
    if isinstance(value, float) and value != value:
        return (float, "nan")
    return (type(value), value)


_FILTERS: dict[tuple[Any, ...], tuple[logging.Filter, logging.Filter]] = {}


def _filters(**options: Any) -> tuple[logging.Filter, logging.Filter]:
    """One (new, reference) pair per option set, reused: codecs adapt to what they saw."""
    key = tuple(sorted(options.items()))
    if key not in _FILTERS:
        _FILTERS[key] = (ul.UsageFilter(**options), ReferenceFilter(**options))
    return _FILTERS[key]


def assert_same_annotation(extra: dict[str, Any], **options: Any) -> dict[str, Any]:
    """Filter two identical records, new and reference: identical attributes, in order."""
    new_filter, ref_filter = _filters(**options)
    new, ref = record(**extra), record(**extra)
    assert new_filter.filter(new) is True
    assert ref_filter.filter(ref) is True
    got, want = new.__dict__, ref.__dict__
    assert list(got) == list(want), (extra, got.keys() ^ want.keys())
    for key in want:
        if key in ("created", "msecs", "relativeCreated", "thread", "process"):
            continue
        if got[key] is want[key]:
            continue
        assert _typed(got[key]) == _typed(want[key]), (key, got[key], want[key], extra)
    return got


def _carriers(data: bytes) -> list[object]:
    return [data, bytearray(data), memoryview(data), data.decode("utf-8", "surrogateescape")]


def _big_body(usage: bytes, *, size: int = 6000, prefix: bytes = b"") -> bytes:
    return (
        prefix
        + b'{"created":1,"data":[{"b64_json":"'
        + b"QUJD" * (size // 4)
        + b'"}],"output_format":"png","usage":'
        + usage
        + b"}"
    )


class TestFilterEquivalence:
    @pytest.mark.skipif(not SUITE_FILES, reason="JSONTestSuite not found")
    def test_json_test_suite(self) -> None:
        """Every JSONTestSuite file, bare and inside bodies (small and long), every wire."""
        assert len(SUITE_FILES) > 300
        for path in SUITE_FILES:
            raw = path.read_bytes()
            values: list[object] = [
                raw,
                b'{"created":1,"data":[],"usage":' + raw + b"}",
                b'{"created":1,"data":[],"usage":' + SNAKE + b',"x":' + raw + b"}",
                _big_body(raw),
                _big_body(CAMEL, prefix=raw[:1]),
            ]
            if len(raw) < 100_000:
                values.append(raw.decode("utf-8", "surrogateescape"))
            for value in values:
                for wire in ("auto", "camel", "snake"):
                    for attr in ("usage", "response_body"):
                        assert_same_annotation({attr: value}, wire=wire)

    @pytest.mark.parametrize(
        "value",
        [
            CAMEL,
            SNAKE,
            BODY,
            b" " + CAMEL,
            b"\xef\xbb\xbf" + CAMEL,
            b"\xef\xbb\xbf" + BODY,
            b"\xef\xbb\xbf\xef\xbb\xbf" + SNAKE,
            CAMEL[:-1],
            CAMEL.replace(b"}}", b',"x":1}}'),
            CAMEL.replace(b'{"total', b'{"created":1,"data":[],"total'),
            SNAKE.replace(b'{"total', b'{"created":1,"data":[],"total'),
            CAMEL[:-1] + b"," + SNAKE[1:],
            SNAKE[:-1] + b"," + CAMEL[1:],
            SNAKE.replace(b"total_tokens", b"total\\u005ftokens"),
            b'{"created":1,"data":[],"usage":' + SNAKE.replace(b"text_", b"te\\u0078t_") + b"}",
            b'{"created":1,"data":[],"usage":' + SNAKE + b',"total_tokens":1}',
            b'{"created":1,"data":[],"total_tokens":1,"usage":' + SNAKE + b"}",
            b'{"created":1,"data":[],"total\\u005ftokens":1,"usage":' + SNAKE + b"}",
            b'{"created":1,"data":[],"input_tokens":"x","usage":' + SNAKE + b"}",
            b'{"created":1,"data":[],"usage":' + SNAKE + b',"usage":' + CAMEL + b"}",
            b'{"created":1,"data":[],"usage":' + SNAKE[:-2] + b',"image_tokens":2}}}',
            b'{"created":1,"data":[{"url":"tokens"}],"usage":' + SNAKE + b"}",
            b'{"created":1,"data":[]}',
            b'{"created":1,"data":[],"x":"okens"}',
            b'{"created":1,"data":[],"total_tokens":5}',
            b'{"created":1,"data":[],"usage":null}',
            b'{"created":1,"data":[],"x":' + b"[" * 200 + b"]" * 200 + b"}",
            b'{"created":1,"data":[],"x":' + b"[" * 127 + b"]" * 127 + b',"usage":' + SNAKE + b"}",
            b'{"created":1,"data":[],"x":' + b"[" * 128 + b"]" * 128 + b',"usage":' + SNAKE + b"}",
            b'{"t":1}',
            b"{}",
            b"[]",
            b"",
            b"x",
            b'{"',
            b'{"created"',
            b"totally",
            b'{"total_tokens":1e400,"input_tokens":1,"output_tokens":0,'
            b'"input_tokens_details":{"text_tokens":1,"image_tokens":0}}',
            b'{"totalTokens":9223372036854775808,"inputTokens":1,"outputTokens":0,'
            b'"inputTokensDetails":{"textTokens":1,"imageTokens":0}}',
            b'{"totalTokens":1.5,"inputTokens":1,"outputTokens":0.5,'
            b'"inputTokensDetails":{"textTokens":1,"imageTokens":0}}',
            _big_body(SNAKE),
            _big_body(CAMEL),
            _big_body(SNAKE, prefix=b"\xef\xbb\xbf"),
            _big_body(SNAKE).replace(b'"output_format"', b'"total_tokens":1,"output_format"'),
            _big_body(SNAKE).replace(b'"output_format"', b'"total\\u005ftokens":1,"o"'),
            _big_body(SNAKE).replace(b'"b64_json":"', b'"b64_json" : "'),
            _big_body(SNAKE).replace(b'"b64_json":"', b'"b64_json":"\\/'),
            _big_body(SNAKE).replace(b'"output_format":"png"', b'"x":{"b64_json":5}'),
            _big_body(SNAKE).replace(b'"}],', b'"},{"b64_json":"QUJD"}],'),
            _big_body(b"null"),
            _big_body(SNAKE)[:-1],
            _big_body(SNAKE).replace(b"QUJD", b"QU\x01D", 1),
            _big_body(SNAKE, size=100_000)[:-2] + b"," + CAMEL[1:] + b"}",
            # A long body that is also a bare usage (top-level usage keys, another usage):
            # it is the bare usage; small and long, both dialects.
            _big_body(SNAKE)[:-1] + b"," + UsageCodec("snake").encode(OTHER)[1:],
            _big_body(CAMEL)[:-1] + b"," + UsageCodec("camel").encode(OTHER)[1:],
            BODY[:-1] + b"," + UsageCodec("snake").encode(OTHER)[1:],
            _big_body(SNAKE).replace(b'"b64_json":"', b'"b64_json":"\"'),
            CAMEL + b" " * 5000,
            b"[" * 100_000,
            b'{"a":' * 50_000,
        ],
    )
    def test_edge_documents(self, value: bytes) -> None:
        """Documents at every boundary of the shortcuts, every carrier type, every wire."""
        for carrier in _carriers(value):
            for wire in ("auto", "camel", "snake"):
                for attr in ("usage", "response_body"):
                    assert_same_annotation({attr: carrier}, wire=wire)
                    assert_same_annotation({attr: carrier}, wire=wire, otel_names=False)

    def test_objects_dicts_and_others(self) -> None:
        """Usage and body objects, dicts (deep, odd values), None, other types, no attribute."""
        deep: dict[str, Any] = {}
        node = deep
        for _ in range(MAX_DEPTH + 5):
            node["a"] = node = {}
        shallow_deep: dict[str, Any] = {"x": [[[1]]], **msgspec.json.decode(SNAKE)}
        values: list[object] = [
            USAGE,
            Usage(1.5, 1, 0.5, InputTokensDetails(0.25, 0.75)),
            usagecodec.decode_response(BODY, wire="snake"),
            usagecodec.decode_response(b'{"created":1,"data":[]}'),
            msgspec.json.decode(SNAKE),
            msgspec.json.decode(CAMEL),
            msgspec.json.decode(BODY),
            {**msgspec.json.decode(SNAKE), "extra": [1, {"b": None}]},
            {**msgspec.json.decode(CAMEL), **msgspec.json.decode(SNAKE)},
            {"total_tokens": 2**70, "input_tokens": 1, "output_tokens": 0,
             "input_tokens_details": {"text_tokens": 1, "image_tokens": 0}},
            {"total_tokens": True, "input_tokens": 1, "output_tokens": 0,
             "input_tokens_details": {"text_tokens": 1, "image_tokens": 0}},
            {"total_tokens": 1.0, "input_tokens": 1, "output_tokens": 0,
             "input_tokens_details": {"text_tokens": 1, "image_tokens": 0}},
            {"totalTokens": object()},
            {1: 2},
            {"a": {"b": {"c": 1}}},
            {"a": float("nan")},
            {"a": "\ud800"},
            deep,
            shallow_deep,
            {"a": [deep]},
            __import__("collections").OrderedDict(msgspec.json.decode(SNAKE)),
            None,
            12,
            1.5,
            [SNAKE],
            (CAMEL,),
            object(),
        ]  # fmt: skip
        for value in values:
            for wire in ("auto", "camel", "snake"):
                for attr in ("usage", "response_body"):
                    assert_same_annotation({attr: value}, wire=wire)
        for extra in ({}, {"other": CAMEL}, {"usage": CAMEL, "response_body": b"x"}):
            assert_same_annotation(extra)
        assert_same_annotation({"payload": SNAKE}, usage_attr="payload", wire="snake")
        assert_same_annotation({"usage": CAMEL, "usage_attributes": {}})
        assert_same_annotation({"usage": CAMEL, "usage_error": "x"})

    def test_a_record_already_filtered_is_left_alone(self) -> None:
        """Double filtering: the second filter changes nothing."""
        rec = record(usage=CAMEL)
        ul.UsageFilter().filter(rec)
        before = dict(rec.__dict__)
        ul.UsageFilter().filter(rec)
        assert rec.__dict__ == before

    def test_values_keep_their_types(self) -> None:
        """Ints stay ints, floats stay floats, the attributes dict equals otel_attributes()."""
        rec = record(usage=CAMEL)
        ul.UsageFilter().filter(rec)
        assert type(rec.usage_attributes) is dict  # type: ignore[attr-defined]
        assert rec.usage_attributes == USAGE.otel_attributes()  # type: ignore[attr-defined]
        assert list(rec.usage_attributes) == list(USAGE.otel_attributes())  # type: ignore[attr-defined]


# Generated documents: usages and bodies in both dialects with everything that can go wrong.

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_NUMBERS: st.SearchStrategy[Any] = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64),
    st.integers(min_value=0, max_value=10_000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([True, None, "5", [], {}, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1]),
)
_JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
_USAGE_KEYS = {
    "camel": ("totalTokens", "inputTokens", "outputTokens", "inputTokensDetails",
              "textTokens", "imageTokens"),
    "snake": ("total_tokens", "input_tokens", "output_tokens", "input_tokens_details",
              "text_tokens", "image_tokens"),
}  # fmt: skip


@st.composite
def usage_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """A usage as a dict, either dialect, perhaps broken: missing, extra or odd fields."""
    t, i, o, d, x, m = _USAGE_KEYS[draw(st.sampled_from(["camel", "snake"]))]
    details: dict[str, Any] = {x: draw(_NUMBERS), m: draw(_NUMBERS)}
    usage: dict[str, Any] = {t: draw(_NUMBERS), i: draw(_NUMBERS), o: draw(_NUMBERS), d: details}
    if draw(st.booleans()):  # mostly valid ints
        for key in (t, i, o):
            usage[key] = draw(st.integers(min_value=0, max_value=100_000))
        details[x] = draw(st.integers(min_value=0, max_value=100_000))
        details[m] = draw(st.integers(min_value=0, max_value=100_000))
    for _ in range(draw(st.integers(0, 2))):
        target = draw(st.sampled_from([usage, details]))
        key = draw(st.one_of(st.text(max_size=6), st.sampled_from(sum(_USAGE_KEYS.values(), ()))))
        target[key] = draw(_JSONISH)
    if draw(st.integers(0, 9)) == 0:
        usage.pop(draw(st.sampled_from(sorted(usage))))
    keys = list(usage)
    order = draw(st.permutations(keys))
    return {k: usage[k] for k in order}


@st.composite
def documents(draw: st.DrawFn) -> bytes:
    """A bare usage or a response body (small or with a long image), as JSON bytes."""
    usage = draw(usage_dicts())
    kind = draw(st.sampled_from(["usage", "body", "image", "body-no-usage"]))
    if kind == "usage":
        doc: Any = usage
    else:
        item_key = "b64_json" if kind == "image" else "url"
        item_value = (
            "QUJD" * draw(st.integers(1100, 1500)) if kind == "image" else "https://x/a.png"
        )
        doc = {
            "created": draw(st.sampled_from([1, 1764547200, "x"])),
            "data": [{item_key: item_value}],
        }
        if kind != "body-no-usage":
            doc["usage"] = usage
        for _ in range(draw(st.integers(0, 2))):
            key = draw(
                st.one_of(st.text(max_size=6), st.sampled_from(sum(_USAGE_KEYS.values(), ())))
            )
            doc[key] = draw(_JSONISH)
    data = msgspec.json.encode(doc)
    if draw(st.integers(0, 9)) == 0:
        data = data.replace(b"_", b"\\u005f", 1)
    if draw(st.integers(0, 9)) == 0:
        data = data.replace(b":", b" : ")
    if draw(st.integers(0, 14)) == 0:
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 14)) == 0:
        cut = draw(st.integers(0, len(data)))
        data = data[:cut]
    return data


class TestGeneratedEquivalence:
    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        documents(),
        st.sampled_from(["auto", "camel", "snake"]),
        st.sampled_from(["usage", "response_body"]),
    )
    def test_generated_bytes(self, data: bytes, wire: str, attr: str) -> None:
        """Generated documents as bytes (and str, bytearray): identical attributes."""
        assert_same_annotation({attr: data}, wire=wire)
        assert_same_annotation({attr: bytearray(data)}, wire=wire)
        assert_same_annotation({attr: data.decode("utf-8", "surrogateescape")}, wire=wire)

    @settings(max_examples=300, deadline=None)
    @given(usage_dicts(), st.sampled_from(["auto", "camel", "snake"]))
    def test_generated_dicts(self, value: dict[str, Any], wire: str) -> None:
        """Generated usage dicts: identical attributes."""
        assert_same_annotation({"usage": value}, wire=wire)


class TestFormatterEquivalence:
    def _pair(self, extra: dict[str, Any], created: float | None = None,
              **options: Any) -> tuple[str, str]:  # fmt: skip
        new, ref = record(**extra), record(**extra)
        new.created = ref.created = new.created if created is None else created
        return ul.JsonFormatter(**options).format(new), ReferenceJsonFormatter(**options).format(
            ref
        )

    @settings(max_examples=500, deadline=None)
    @given(
        st.one_of(
            st.floats(min_value=0, max_value=4e10),
            st.floats(min_value=1.7e9, max_value=1.8e9),
            st.integers(0, 4 * 10**9).map(lambda n: n + 0.9995),
            st.integers(0, 4 * 10**9).map(lambda n: n + 0.0005),
            st.integers(0, 4 * 10**9).map(lambda n: n + 0.9999995),
            st.integers(0, 4 * 10**9).map(lambda n: n + 0.4999995),
            st.integers(0, 4 * 10**9).map(float),
            st.sampled_from([32503680000.0, 32503679999.9999995, -1.5, -0.0, 1e-7]),
        )
    )
    def test_time_is_identical(self, created: float) -> None:
        """The cached-second time text equals datetime's, rounding included."""
        new, ref = self._pair({"usage": CAMEL}, created)
        assert new == ref

    def test_time_of_odd_created_values(self) -> None:
        """Ints and out-of-range times take datetime's path: same text, same exception."""
        for created in (0, 1764547200, 10**11, float("nan"), float("inf"), 1e20):
            try:
                want = self._pair({}, created)[1]
            except Exception as exc:
                with pytest.raises(type(exc)):
                    self._pair({}, created)
            else:
                assert self._pair({}, created)[0] == want

    @pytest.mark.parametrize("extras", [True, False])
    def test_records_of_every_kind(self, extras: bool) -> None:
        """Usage, errors, extras of every kind (deep, unencodable, surrogates), exceptions."""
        deep: list[Any] = []
        node = deep
        for _ in range(MAX_DEPTH + 5):
            node.append([])
            node = node[0]

        class Unrepr:
            def __repr__(self) -> str:
                raise RuntimeError("no")

        try:
            raise ValueError("boom")
        except ValueError:
            exc_info = sys.exc_info()
        cases: list[dict[str, Any]] = [
            {},
            {"usage": CAMEL},
            {"response_body": BODY},
            {"usage": b"garbage"},
            {"usage": CAMEL, "request_id": "r-42", "n": 3, "f": 1.5, "none": None},
            {"usage": CAMEL, "time": "shadow", "level": "x", "logger": "y", "message": "z"},
            {"usage": CAMEL, "exception": "mine"},
            {"deep": deep},
            {"obj": object()},
            {"bad": Unrepr()},
            {"name_bytes": b"\xff"},
            {"surrogate": "\udc80"},
            {"usage": USAGE, "set": {1, 2}},
            {"exc_info": exc_info},
            {"stack_info": "Stack (most recent call last):\n  here"},
            {"usage_attributes": {"gen_ai.usage.input_tokens": 1}, "usage_error": "x"},
            {"msg": "done %s %d", "args": ("a", 3)},
        ]
        for extra in cases:
            new, ref = self._pair(extra, extras=extras)
            assert new == ref, extra
        created = record().created
        for extra in cases[:5]:
            new, ref = self._pair(extra, created, extras=extras)
            assert new == ref, extra

    def test_with_the_filter_on_the_handler(self) -> None:
        """Records annotated by a UsageFilter first (the documented setup): same output."""
        for value in (CAMEL, SNAKE, BODY, USAGE, b"bad", None):
            new, ref = record(usage=value), record(usage=value)
            # Made one after the other, the two may fall in different milliseconds.
            ref.created, ref.msecs = new.created, new.msecs
            ul.UsageFilter().filter(new)
            ReferenceFilter().filter(ref)
            assert ul.JsonFormatter().format(new) == ReferenceJsonFormatter().format(ref)
