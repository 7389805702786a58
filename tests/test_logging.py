"""Usage in logging: the record filter, the JSON formatter, structlog and OpenTelemetry."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
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
