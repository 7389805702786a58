"""Conformance: every file of JSONTestSuite through every public decode entry point.

``tests/data/JSONTestSuite`` is a verbatim copy of the suite's ``test_parsing`` (``y_``: must
parse, ``n_``: must not, ``i_``: implementation-defined) and ``test_transform`` folders. Each
file is decoded twice per entry point: as the whole document ("top level"), and embedded as
the value of an unknown field of an otherwise valid document (``{"x": <file>, ...}``), which
exercises the skip path, where a parser sees everything the suite tests.

Every case runs in a child process (the source below, run with ``python -c``) that prints a
JSON report: a segfault or a stack overflow in the decoder fails the test that caused it,
naming the last case started, instead of killing the run. The child needs usagecodec and
msgspec only, so the same source also runs on another interpreter (Python 3.13).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import usagecodec
from usagecodec import MAX_DEPTH

from .conftest import reference_depth

CORPUS = Path(__file__).parent / "data" / "JSONTestSuite"
PARSING = sorted((CORPUS / "test_parsing").glob("*.json"))
TRANSFORM = sorted((CORPUS / "test_transform").glob("*.json"))
FILES = {f"{p.parent.name}/{p.name}": p for p in PARSING + TRANSFORM}
SRC = str(Path(usagecodec.__file__).resolve().parent.parent)
# The Python 3.13 to run on: $USAGECODEC_PY313 (.ci/run sets it), else python3.13 on PATH.
_PY313_FOUND = os.environ.get("USAGECODEC_PY313") or shutil.which("python3.13")
PY313 = Path(_PY313_FOUND) if _PY313_FOUND else None
BOM = b"\xef\xbb\xbf"

# --- the child process ---------------------------------------------------------------------
# Kept free of pytest and of this package: it must run on any interpreter that has usagecodec
# and msgspec. argv[1] is a JSON spec; stdout gets the JSON report; stderr gets the name of
# every case before it runs, so the last line names the culprit of a crash.
CHILD = r"""
import io, json, sys, threading
import usagecodec
from usagecodec import InputTokensDetails, Usage, UsageCodec, UsageDecodeError

spec = json.loads(sys.argv[1])
EXPECTED = Usage(10, 6, 4, InputTokensDetails(5, 1))
CAMEL = (b'{"totalTokens":10,"inputTokens":6,"outputTokens":4,'
         b'"inputTokensDetails":{"textTokens":5,"imageTokens":1}}')
SNAKE = (b'{"total_tokens":10,"input_tokens":6,"output_tokens":4,'
         b'"input_tokens_details":{"text_tokens":5,"image_tokens":1}}')
BODY = b'{"created":1700000000,"data":[{"url":"https://example.com/a.png"}],"usage":%s}'

def read_usages(b):
    # NDJSON READER ENTRY POINT: usagecodec.read_usages over an in-memory binary file, with
    # its defaults (on_error="raise"). Its expectations are those of decode_lines (LINE_ENTRIES).
    return list(usagecodec.read_usages(io.BytesIO(b)))

ENTRIES = {  # name: (callable, envelope the file is embedded in as field "x")
    "decode_usage[camel]": (lambda b: usagecodec.decode_usage(b, "camel"), CAMEL),
    "decode_usage[snake]": (lambda b: usagecodec.decode_usage(b, "snake"), SNAKE),
    "decode_usage[auto]": (lambda b: usagecodec.decode_usage(b, "auto"), SNAKE),
    "decode_usage[camel,strict]": (
        lambda b: usagecodec.decode_usage(b, "camel", strict=True), CAMEL),
    "decode_usage[auto,msgpack]": (lambda b: usagecodec.decode_usage(b, "auto", "msgpack"), None),
    "decode_response[camel]": (lambda b: usagecodec.decode_response(b), BODY % CAMEL),
    "decode_response[snake]": (lambda b: usagecodec.decode_response(b, "snake"), BODY % SNAKE),
    "extract_usage[camel]": (lambda b: usagecodec.extract_usage(b), BODY % CAMEL),
    "extract_usage[snake]": (lambda b: usagecodec.extract_usage(b, "snake"), BODY % SNAKE),
    "UsageCodec.decode_lines[camel]": (UsageCodec("camel").decode_lines, CAMEL),
    "UsageCodec.decode_lines[auto]": (UsageCodec("auto").decode_lines, SNAKE),
    "UsageCodec.decode_lines[msgpack]": (UsageCodec("auto", "msgpack").decode_lines, None),
    "read_usages": (read_usages, CAMEL),
}

def summary(value):
    if isinstance(value, usagecodec.PostV2ProxyImagesVariationsResponseBody):
        value = value.usage
    if value == EXPECTED or value == [EXPECTED]:
        return "usage"
    if value == []:
        return "empty"
    if value is None:
        return "none"
    return "other: " + repr(value)[:200]

def run_one(fn, data):
    try:
        value = fn(data)
    except UsageDecodeError as err:
        return ["error", err.reason, err.pos, err.path]
    except BaseException as exc:
        return ["unexpected", (type(exc).__name__ + ": " + str(exc))[:300]]
    return ["value", summary(value)]

def main():
    results = {}
    for entry in spec["entries"]:
        fn, envelope = ENTRIES[entry]
        per_entry = results[entry] = {}
        for mode in spec["modes"]:
            if mode == "embedded" and envelope is None:
                continue
            per_mode = per_entry[mode] = {}
            for name in spec["files"]:
                with open(spec["corpus"] + "/" + name, "rb") as f:
                    data = f.read()
                if mode == "embedded":
                    data = b'{"x":' + data + b"," + envelope[1:]
                sys.stderr.write(f"{entry} {mode} {name}\n")
                sys.stderr.flush()
                per_mode[name] = run_one(fn, data)
    return results

if spec.get("recursionlimit"):
    sys.setrecursionlimit(spec["recursionlimit"])
if spec.get("stack"):
    box = []
    threading.stack_size(spec["stack"])
    worker = threading.Thread(target=lambda: box.append(main()))
    worker.start()
    worker.join()
    results = box[0]
else:
    results = main()
print(json.dumps({"python": sys.version.split()[0], "results": results}))
"""

ENTRIES = [
    "decode_usage[camel]",
    "decode_usage[snake]",
    "decode_usage[auto]",
    "decode_usage[camel,strict]",
    "decode_usage[auto,msgpack]",
    "decode_response[camel]",
    "decode_response[snake]",
    "extract_usage[camel]",
    "extract_usage[snake]",
    "UsageCodec.decode_lines[camel]",
    "UsageCodec.decode_lines[auto]",
    "UsageCodec.decode_lines[msgpack]",
    "read_usages",
]
JSON_ENTRIES = [e for e in ENTRIES if "msgpack" not in e]
# NDJSON entry points: a buffer is cut into lines at every b"\n", and blank lines are skipped.
LINE_ENTRIES = {"UsageCodec.decode_lines[camel]", "UsageCodec.decode_lines[auto]", "read_usages"}
STRICT_ENTRIES = {"decode_usage[camel,strict]"}


def _skip_missing(entry: str) -> None:
    # NDJSON READER ENTRY POINT: while the package does not export usagecodec.read_usages, its
    # cases are skipped (saying why); they run as soon as it does.
    if entry == "read_usages" and not hasattr(usagecodec, "read_usages"):
        pytest.skip("usagecodec.read_usages (streaming NDJSON reader) is not exported yet")


Outcome = list[Any]  # ["value", summary] | ["error", reason, pos, path] | ["unexpected", text]


def run_child(spec: dict[str, Any], python: str = sys.executable) -> dict[str, Any]:
    """Run the child on a spec; fail (naming the last case started) unless it exits cleanly."""
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    spec = {"corpus": str(CORPUS), **spec}
    proc = subprocess.run(
        [python, "-c", CHILD, json.dumps(spec)],
        capture_output=True,
        timeout=600,
        env=env,
        check=False,
    )
    stderr = proc.stderr.decode("utf-8", "replace").splitlines()
    assert proc.returncode == 0, (
        f"child exited with {proc.returncode}; last case started: "
        f"{stderr[-1] if stderr else '(none)'}; stderr tail: {stderr[-5:]}"
    )
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


@functools.cache
def corpus_report(entry: str) -> dict[str, dict[str, Outcome]]:
    """Outcomes of one entry point over the whole corpus, top level and embedded."""
    spec = {"entries": [entry], "modes": ["top", "embedded"], "files": sorted(FILES)}
    results: dict[str, dict[str, Outcome]] = run_child(spec)["results"][entry]
    return results


def verdict(outcome: Outcome) -> str:
    """'usage', 'empty', 'none' or 'other: ...' for a value; 'reject' for our error."""
    if outcome[0] == "value":
        return str(outcome[1])
    return "reject" if outcome[0] == "error" else "unexpected"


# --- pinned expectations for the implementation-defined files ------------------------------

ACCEPT, REJECT = "usage", "reject"
# Embedded as an unknown field (the skip path), for every non-strict JSON entry point. The
# documented policy: a skipped value is checked for JSON syntax only, so invalid UTF-8 and
# numbers out of any range are tolerated there (as JSON.parse in the official SDK tolerates
# them), while what msgspec treats as syntax (unpaired \\u surrogate escapes, UTF-16 input, a
# byte-order mark inside the document) and nesting beyond MAX_DEPTH are rejected.
PINNED_EMBEDDED: dict[str, tuple[str, str]] = {
    "test_parsing/i_number_double_huge_neg_exp.json": (ACCEPT, "numbers: syntax only"),
    "test_parsing/i_number_huge_exp.json": (ACCEPT, "numbers: syntax only"),
    "test_parsing/i_number_neg_int_huge_exp.json": (ACCEPT, "numbers: syntax only"),
    "test_parsing/i_number_pos_double_huge_exp.json": (ACCEPT, "numbers: syntax only"),
    "test_parsing/i_number_real_neg_overflow.json": (ACCEPT, "numbers: syntax only"),
    "test_parsing/i_number_real_pos_overflow.json": (ACCEPT, "numbers: syntax only"),
    "test_parsing/i_number_real_underflow.json": (ACCEPT, "numbers: syntax only"),
    "test_parsing/i_number_too_big_neg_int.json": (ACCEPT, "numbers: syntax only"),
    "test_parsing/i_number_too_big_pos_int.json": (ACCEPT, "numbers: syntax only"),
    "test_parsing/i_number_very_big_negative_int.json": (ACCEPT, "numbers: syntax only"),
    "test_parsing/i_object_key_lone_2nd_surrogate.json": (REJECT, "unpaired \\u escape"),
    "test_parsing/i_string_1st_surrogate_but_2nd_missing.json": (REJECT, "unpaired \\u escape"),
    "test_parsing/i_string_1st_valid_surrogate_2nd_invalid.json": (REJECT, "unpaired \\u escape"),
    "test_parsing/i_string_UTF-16LE_with_BOM.json": (REJECT, "UTF-16 is not JSON text here"),
    "test_parsing/i_string_UTF-8_invalid_sequence.json": (ACCEPT, "UTF-8: not checked in skip"),
    "test_parsing/i_string_UTF8_surrogate_U+D800.json": (ACCEPT, "UTF-8: not checked in skip"),
    "test_parsing/i_string_incomplete_surrogate_and_escape_valid.json": (
        REJECT,
        "unpaired \\u escape",
    ),
    "test_parsing/i_string_incomplete_surrogate_pair.json": (REJECT, "unpaired \\u escape"),
    "test_parsing/i_string_incomplete_surrogates_escape_valid.json": (
        REJECT,
        "unpaired \\u escape",
    ),
    "test_parsing/i_string_invalid_lonely_surrogate.json": (REJECT, "unpaired \\u escape"),
    "test_parsing/i_string_invalid_surrogate.json": (REJECT, "unpaired \\u escape"),
    "test_parsing/i_string_invalid_utf-8.json": (ACCEPT, "UTF-8: not checked in skip"),
    "test_parsing/i_string_inverted_surrogates_U+1D11E.json": (REJECT, "unpaired \\u escape"),
    "test_parsing/i_string_iso_latin_1.json": (ACCEPT, "UTF-8: not checked in skip"),
    "test_parsing/i_string_lone_second_surrogate.json": (REJECT, "unpaired \\u escape"),
    "test_parsing/i_string_lone_utf8_continuation_byte.json": (ACCEPT, "UTF-8: not checked"),
    "test_parsing/i_string_not_in_unicode_range.json": (ACCEPT, "UTF-8: not checked in skip"),
    "test_parsing/i_string_overlong_sequence_2_bytes.json": (ACCEPT, "UTF-8: not checked"),
    "test_parsing/i_string_overlong_sequence_6_bytes.json": (ACCEPT, "UTF-8: not checked"),
    "test_parsing/i_string_overlong_sequence_6_bytes_null.json": (ACCEPT, "UTF-8: not checked"),
    "test_parsing/i_string_truncated-utf-8.json": (ACCEPT, "UTF-8: not checked in skip"),
    "test_parsing/i_string_utf16BE_no_BOM.json": (REJECT, "UTF-16 is not JSON text here"),
    "test_parsing/i_string_utf16LE_no_BOM.json": (REJECT, "UTF-16 is not JSON text here"),
    "test_parsing/i_structure_500_nested_arrays.json": (REJECT, "deeper than MAX_DEPTH"),
    "test_parsing/i_structure_UTF-8_BOM_empty_object.json": (REJECT, "BOM inside a document"),
    "test_transform/number_-9223372036854775808.json": (ACCEPT, "numbers: syntax only"),
    "test_transform/number_-9223372036854775809.json": (ACCEPT, "numbers: syntax only"),
    "test_transform/number_1.0.json": (ACCEPT, "numbers: syntax only"),
    "test_transform/number_1.000000000000000005.json": (ACCEPT, "numbers: syntax only"),
    "test_transform/number_1000000000000000.json": (ACCEPT, "numbers: syntax only"),
    "test_transform/number_10000000000000000999.json": (ACCEPT, "numbers: syntax only"),
    "test_transform/number_1e-999.json": (ACCEPT, "numbers: syntax only"),
    "test_transform/number_1e6.json": (ACCEPT, "numbers: syntax only"),
    "test_transform/number_9223372036854775807.json": (ACCEPT, "numbers: syntax only"),
    "test_transform/number_9223372036854775808.json": (ACCEPT, "numbers: syntax only"),
    "test_transform/object_key_nfc_nfd.json": (ACCEPT, "keys are not normalised"),
    "test_transform/object_key_nfd_nfc.json": (ACCEPT, "keys are not normalised"),
    "test_transform/object_same_key_different_values.json": (ACCEPT, "duplicate keys"),
    "test_transform/object_same_key_same_value.json": (ACCEPT, "duplicate keys"),
    "test_transform/object_same_key_unclear_values.json": (ACCEPT, "duplicate keys"),
    "test_transform/string_1_escaped_invalid_codepoint.json": (REJECT, "unpaired \\u escape"),
    "test_transform/string_1_invalid_codepoint.json": (ACCEPT, "UTF-8: not checked in skip"),
    "test_transform/string_2_escaped_invalid_codepoints.json": (REJECT, "unpaired \\u escape"),
    "test_transform/string_2_invalid_codepoints.json": (ACCEPT, "UTF-8: not checked in skip"),
    "test_transform/string_3_escaped_invalid_codepoints.json": (REJECT, "unpaired \\u escape"),
    "test_transform/string_3_invalid_codepoints.json": (ACCEPT, "UTF-8: not checked in skip"),
    "test_transform/string_with_escaped_NULL.json": (ACCEPT, "\\u0000 is a valid escape"),
}

# A y_ file rejected at top level must be rejected for its shape (it is valid JSON, just not a
# usage or a body), never as a syntax error: no byte offset, and one of these reasons.
SHAPE_ERROR = re.compile(
    r"^(Expected `object`, got `\w+`|Object (missing required|contains unknown) field `[^`]*`)"
)
MSGPACK_MAP_BYTES = {*range(0x80, 0x90), 0xDE, 0xDF}


def expected_top(entry: str, name: str, data: bytes) -> str:
    """What an entry point must give for a corpus file decoded as the whole document.

    No file of the suite is a usage object or a response body (none has the required fields),
    so every file is rejected, except that an NDJSON entry point reads a blank buffer (empty,
    a space, a lone byte-order mark) as zero records, and a MessagePack stream reader reads an
    empty buffer as zero documents.
    """
    if entry in LINE_ENTRIES and not data.removeprefix(BOM).strip(b" \t\r\n"):
        return "empty"
    if entry == "UsageCodec.decode_lines[msgpack]" and not data:
        return "empty"
    return REJECT


def expected_embedded(entry: str, name: str, data: bytes) -> str:
    """What an entry point must give for a corpus file embedded as an unknown field."""
    kind = name.split("/")[1][:2]
    if entry in STRICT_ENTRIES:
        return REJECT  # strict=True rejects the unknown field itself
    if entry in LINE_ENTRIES and b"\n" in data:
        return REJECT  # the newline cuts the document into two invalid lines
    if kind == "n_":
        return REJECT
    if kind == "y_":
        return ACCEPT if reference_depth(data) + 1 <= MAX_DEPTH else REJECT
    return PINNED_EMBEDDED[name][0]


def mismatches(entry: str, mode: str, report: dict[str, Outcome]) -> list[str]:
    rule = expected_top if mode == "top" else expected_embedded
    out = []
    for name, path in sorted(FILES.items()):
        want = rule(entry, name, path.read_bytes())
        got = verdict(report[name])
        if got != want:
            out.append(f"{name}: expected {want}, got {report[name]}")
    return out


class TestCorpus:
    def test_copy_is_complete(self) -> None:
        """The copy holds the suite's 318 parsing files, 22 transform files and its LICENSE."""
        assert FILES
        assert len(PARSING) == 318
        assert len(TRANSFORM) == 22
        assert (CORPUS / "LICENSE").is_file()
        assert {p.name[:2] for p in PARSING} == {"y_", "n_", "i_"}

    def test_pinned_expectations_cover_exactly_the_undefined_files(self) -> None:
        """Every i_ and transform file has a pinned verdict, and every pin names a real file."""
        undefined = {n for n in FILES if n.startswith("test_transform/") or "/i_" in n}
        assert set(PINNED_EMBEDDED) == undefined

    def test_depth_helper_measures_nesting(self) -> None:
        """The test's own depth measure counts brackets outside strings only."""
        assert reference_depth(b'[{"a":"[[["},[1]]') == 2
        assert reference_depth(
            FILES["test_parsing/n_structure_100000_opening_arrays.json"].read_bytes()
        ) > (MAX_DEPTH)


@pytest.mark.slow
class TestTopLevel:
    @pytest.mark.parametrize("entry", ENTRIES)
    def test_only_values_or_usage_decode_errors(self, entry: str) -> None:
        """Every file gives a value or UsageDecodeError, and the child process survives."""
        _skip_missing(entry)
        report = corpus_report(entry)["top"]
        assert set(report) == set(FILES)
        bad = {name: o for name, o in report.items() if o[0] == "unexpected"}
        assert not bad

    @pytest.mark.parametrize("entry", ENTRIES)
    def test_outcomes_match_expectations(self, entry: str) -> None:
        """n_, y_, i_ and transform files are all rejected (blank buffers: zero NDJSON lines)."""
        _skip_missing(entry)
        assert mismatches(entry, "top", corpus_report(entry)["top"]) == []

    @pytest.mark.parametrize("entry", [e for e in JSON_ENTRIES if e not in LINE_ENTRIES])
    def test_valid_json_is_rejected_for_its_shape_only(self, entry: str) -> None:
        """A y_ file is refused as a wrong type or a missing field, never as malformed JSON."""
        report = corpus_report(entry)["top"]
        wrong = {
            name: o
            for name, o in report.items()
            if "/y_" in name and not (o[2] is None and SHAPE_ERROR.match(o[1]))
        }
        assert not wrong

    @pytest.mark.parametrize("entry", sorted(LINE_ENTRIES))
    def test_valid_json_lines_are_rejected_for_their_shape_only(self, entry: str) -> None:
        """As an NDJSON buffer, a one-line y_ file is refused for its shape, not its syntax."""
        _skip_missing(entry)
        report = corpus_report(entry)["top"]
        wrong = {
            name: o
            for name, o in report.items()
            if "/y_" in name
            and b"\n" not in FILES[name].read_bytes().rstrip(b"\r\n")
            and not (o[2] is None and SHAPE_ERROR.match(o[1]))
        }
        assert not wrong

    def test_no_file_starts_like_a_msgpack_map(self) -> None:
        """The MessagePack entry points must reject every file: none starts with a map byte."""
        assert all(p.read_bytes()[:1] not in MSGPACK_MAP_BYTES for p in FILES.values())
        starts = {p.read_bytes()[0] for p in FILES.values() if p.read_bytes()}
        assert not starts & MSGPACK_MAP_BYTES


@pytest.mark.slow
class TestEmbedded:
    @pytest.mark.parametrize("entry", JSON_ENTRIES)
    def test_only_values_or_usage_decode_errors(self, entry: str) -> None:
        """Embedded in a valid document, every file gives a value or UsageDecodeError."""
        _skip_missing(entry)
        report = corpus_report(entry)["embedded"]
        assert set(report) == set(FILES)
        bad = {name: o for name, o in report.items() if o[0] == "unexpected"}
        assert not bad

    @pytest.mark.parametrize("entry", JSON_ENTRIES)
    def test_outcomes_match_expectations(self, entry: str) -> None:
        """Skipped y_ values decode to the usage, n_ ones are rejected, i_ ones as pinned."""
        _skip_missing(entry)
        assert mismatches(entry, "embedded", corpus_report(entry)["embedded"]) == []

    def test_strict_names_the_unknown_field(self) -> None:
        """strict=True rejects a y_ file embedded as field x because x is unknown."""
        report = corpus_report("decode_usage[camel,strict]")["embedded"]
        reasons = {o[1] for name, o in report.items() if "/y_" in name}
        assert reasons == {"Object contains unknown field `x`"}

    def test_deep_values_are_rejected_by_the_codec_bound(self) -> None:
        """A skipped value nested beyond MAX_DEPTH is refused by the codec's own depth check."""
        report = corpus_report("decode_usage[camel]")["embedded"]
        for name in (
            "i_structure_500_nested_arrays.json",
            "n_structure_100000_opening_arrays.json",
        ):
            outcome = report["test_parsing/" + name]
            assert outcome[0] == "error"
            assert f"deeper than {MAX_DEPTH}" in outcome[1]


DEEP = sorted(
    name for name, path in FILES.items() if reference_depth(path.read_bytes()) > MAX_DEPTH - 1
)


def assert_deep_cases_rejected(report: dict[str, Any]) -> None:
    """Every deep case is rejected with our error; non-strict ones by the codec's bound."""
    assert DEEP
    for entry, modes in report["results"].items():
        for mode, outcomes in modes.items():
            assert set(outcomes) == set(DEEP)
            for name, outcome in outcomes.items():
                case = f"{entry} {mode} {name}: {outcome}"
                assert outcome[0] == "error", case
                if entry not in STRICT_ENTRIES and "msgpack" not in entry:
                    assert f"deeper than {MAX_DEPTH}" in outcome[1], case


DEEP_ENTRIES = [e for e in ENTRIES if e != "read_usages" or hasattr(usagecodec, "read_usages")]


@pytest.mark.slow
class TestDeepNesting:
    @pytest.mark.parametrize(
        ("recursionlimit", "stack"),
        [
            (None, None),
            (50_000, None),
            (None, 256 * 1024),
            (None, 1024 * 1024),
            (50_000, 256 * 1024),
            (50_000, 1024 * 1024),
        ],
        ids=[
            "default",
            "recursionlimit-50000",
            "thread-256KiB",
            "thread-1MiB",
            "recursionlimit-50000-thread-256KiB",
            "recursionlimit-50000-thread-1MiB",
        ],
    )
    def test_deep_files_are_clean_errors(
        self, recursionlimit: int | None, stack: int | None
    ) -> None:
        """100,000 nested brackets are a UsageDecodeError whatever the recursion limit or stack."""
        assert {
            "test_parsing/i_structure_500_nested_arrays.json",
            "test_parsing/n_structure_100000_opening_arrays.json",
            "test_parsing/n_structure_open_array_object.json",
        } <= set(DEEP)
        spec = {
            "entries": DEEP_ENTRIES,
            "modes": ["top", "embedded"],
            "files": DEEP,
            "recursionlimit": recursionlimit,
            "stack": stack,
        }
        assert_deep_cases_rejected(run_child(spec))


def _py313_problem() -> str | None:
    """Why the Python 3.13 run cannot happen here, or None when it can."""
    if PY313 is None:
        return "no Python 3.13: set USAGECODEC_PY313 or put python3.13 on PATH"
    if not PY313.exists():
        return f"{PY313} does not exist"
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    probe = subprocess.run(
        [str(PY313), "-c", "import msgspec, usagecodec"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["?"])[-1]
        return f"msgspec or usagecodec is not importable by {PY313}: {last}"
    return None


@pytest.mark.slow
class TestOtherInterpreter:
    @pytest.mark.parametrize(
        ("recursionlimit", "stack"),
        [(50_000, None), (50_000, 256 * 1024)],
        ids=["recursionlimit-50000", "recursionlimit-50000-thread-256KiB"],
    )
    def test_deep_files_on_python_313(self, recursionlimit: int, stack: int | None) -> None:
        """On CPython 3.13 too, the deep files are clean errors in the main thread and a thread."""
        problem = _py313_problem()
        if problem is not None:
            pytest.skip(f"no Python 3.13 with msgspec to run on: {problem}")
        spec = {
            "entries": DEEP_ENTRIES,
            "modes": ["top", "embedded"],
            "files": DEEP,
            "recursionlimit": recursionlimit,
            "stack": stack,
        }
        report = run_child(spec, python=str(PY313))
        assert report["python"].startswith("3.13.")
        assert_deep_cases_rejected(report)
