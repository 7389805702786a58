"""``python -m benchmarks``: run every case, print a table, write JSON and an SVG chart.

Each group (decode, encode, extract, body, auto, ndjson) is timed as one interleaved run (see
``measure.py``), so every ratio printed compares numbers taken side by side. Results go to
``benchmarks/results/latest.json`` and ``benchmarks/results/chart.svg`` (``--out`` to change),
with the command, versions and machine that produced them.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import usagecodec

from . import cases, chart, measure, targets

RESULTS = Path(__file__).resolve().parent / "results"

SECTION_TITLES = {
    ("decode", "camel"): "decode: one usage, camel JSON ({nbytes} B)",
    ("decode", "snake"): "decode: one usage, snake JSON ({nbytes} B)",
    ("decode", "msgpack"): "decode: one usage, MessagePack ({nbytes} B)",
    ("encode", "camel"): "encode: one usage to camel JSON ({nbytes} B)",
    ("encode", "snake"): "encode: one usage to snake JSON ({nbytes} B)",
    ("encode", "msgpack"): "encode: one usage to MessagePack ({nbytes} B)",
    ("body", "url-snake"): "body: one response body, one url, snake JSON ({nbytes} B)",
    ("body", "url-camel"): "body: one response body, one url, camel JSON ({nbytes} B)",
    ("body", "1.5MB-snake"): (
        "body: one response body, one 1.5 MB b64_json image, snake JSON ({nbytes:,} B)"
    ),
    ("body", "1.5MB-camel"): (
        "body: one response body, one 1.5 MB b64Json image, camel JSON ({nbytes:,} B)"
    ),
}
_LOGGING = {
    "camel": "a camel usage (bytes)",
    "snake": "a snake usage (bytes)",
    "body": "a response body with a url (bytes)",
    "image": "a response body with a 64 KiB image (bytes)",
    "object": "a Usage object",
    "dict": "a usage dict",
}
for _name, _what in _LOGGING.items():
    SECTION_TITLES["logging", _name] = (
        f"logging: UsageFilter.filter, one pass over fresh records carrying {_what}"
    )
SECTION_TITLES["logging", "format"] = (
    "logging: JsonFormatter.format vs logging.Formatter, same fields, annotated records"
)
_AUTO_DOCS = {
    "decode": "usage",
    "decode_response": "url body",
    "extract_usage": "url body",
    "decode_lines": f"NDJSON, {cases.AUTO_LINES:,} usages",
}
for _wire in cases.WIRES:
    for _call, _doc in _AUTO_DOCS.items():
        SECTION_TITLES["auto", f"{_wire}-{_call}"] = (
            f'auto: {_call}, UsageCodec("auto") vs UsageCodec("{_wire}"), {_wire} {_doc} '
            "({nbytes:,} B)"
        )


def _time_text(seconds: float) -> str:
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def _throughput(case: cases.Case, seconds: float) -> tuple[float | None, str]:
    if case.group == "extract" or (case.group == "body" and case.nbytes >= 100_000):
        gbps = case.nbytes / seconds / 1e9
        return gbps, f"{gbps:.2f} GB/s"
    if case.group == "ndjson" or case.records > 1:
        rps = case.records / seconds
        return rps, f"{rps / 1e6:.2f} M records/s"
    ops = 1 / seconds
    return ops, f"{ops / 1e6:.2f} M ops/s"


def _git(root: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return f"git {out}"


def _machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = f", load {os.getloadavg()[0]:.2f} at start"
    return f"{platform.system()} {platform.machine()}, {model}, {os.cpu_count()} CPUs{load}"


@dataclass
class Plan:
    """One group to time: its cases, the SDK case of each variant, interleaving options.

    ``name`` tells plans of one group apart (the body group is two plans, timed with different
    options); ``bases`` maps a variant to the case its time is divided by (default: the
    group's ``msgspec`` floor of that variant), ``base_label`` names that column.
    """

    group: str
    cases: list[cases.Case]
    sdk_keys: dict[str, str]
    options: dict[str, Any]
    name: str = ""
    bases: dict[str, str] | None = None
    base_label: str = "t/msgspec"

    @property
    def id(self) -> str:
        """The plan's name, or its group."""
        return self.name or self.group


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


class Runner:
    """Runs the groups and accumulates sections, values for the targets and notes."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.sections: list[dict[str, Any]] = []
        self.runs: list[dict[str, float]] = [{} for _ in range(args.repeats)]
        """Case key -> best seconds per call (or bytes), one dict per run."""
        self.notes: list[str] = []
        self.extra: dict[str, Any] = {}

    def log(self, message: str) -> None:
        print(f"[benchmarks] {message}", file=sys.stderr, flush=True)

    def timed(self, plans: list[Plan], repeats: int) -> None:
        """Verify, then time every plan ``repeats`` times, the plans taking turns (so that a
        burst of load during one run hits each group once), and add their sections."""
        for plan in plans:
            for case in plan.cases:
                case.verify()
        results: dict[str, list[dict[str, measure.Timing]]] = {p.id: [] for p in plans}
        for r in range(repeats):
            for plan in plans:
                self.log(f"{plan.id}: run {r + 1}/{repeats}, {len(plan.cases)} cases")
                results[plan.id].append(measure.interleaved(plan.cases, **plan.options))
        for plan in plans:
            self._sections(plan, results[plan.id])

    def _sections(self, plan: Plan, runs: list[dict[str, measure.Timing]]) -> None:
        group = plan.group
        bests = [{key: t.best for key, t in run.items()} for run in runs]
        for i, values in enumerate(self.runs):
            values.update(bests[i % len(bests)])
        variants: dict[str, list[cases.Case]] = {}
        for case in plan.cases:
            variants.setdefault(case.variant, []).append(case)
        for variant, members in variants.items():
            floor_key = (plan.bases or {}).get(variant, f"{group}/{variant}/msgspec")
            sdk_key = plan.sdk_keys.get(variant, "")
            title = SECTION_TITLES.get((group, variant), "")
            nbytes = members[0].nbytes
            if not title and group == "extract":
                title = f"extract: usage of a {nbytes / 1e6:g} MB response body (snake JSON)"
            if not title and group == "ndjson":
                title = (
                    f"ndjson: totals of {members[0].records:,} lines "
                    f"({nbytes / 1e6:.0f} MB, camel)"
                )
            rows = []
            order = {role: i for i, role in enumerate(cases.ROLES)}
            for case in sorted(members, key=lambda c: order[c.role]):
                key = case.key
                best = _median([b[key] for b in bests])
                vs_floor = (
                    _median([b[key] / b[floor_key] for b in bests])
                    if floor_key in bests[0]
                    else None
                )
                speedup = (
                    _median([b[sdk_key] / b[key] for b in bests]) if sdk_key in bests[0] else None
                )
                value, text = _throughput(case, best)
                rows.append(
                    {
                        **cases.as_dict(case),
                        "key": key,
                        "best_s": best,
                        "best_s_per_run": [b[key] for b in bests],
                        "spread": _median([run[key].spread for run in runs]),
                        "calls_per_batch": runs[0][key].number,
                        "rounds": len(runs[0][key].samples),
                        "runs": len(runs),
                        "time_text": _time_text(best),
                        "throughput": value,
                        "throughput_text": text,
                        "vs_floor": vs_floor,
                        "sdk_speedup": speedup,
                    }
                )
            self.sections.append(
                {"group": group, "variant": variant, "title": title.format(nbytes=nbytes),
                 "base": plan.base_label, "rows": rows}
            )  # fmt: skip

    # --- groups ---------------------------------------------------------------------------

    def plans(self, groups: list[str]) -> list[Plan]:
        """The decode, encode, extract, body and auto plans among ``groups``."""
        micro = dict.fromkeys(("camel", "snake", "msgpack"))
        out = []
        if "decode" in groups:
            sdk = {v: "decode/snake/sdk" for v in micro}
            out.append(Plan("decode", cases.decode_cases(), sdk, self.args.micro))
        if "encode" in groups:
            sdk = {v: "encode/snake/sdk" for v in micro}
            out.append(Plan("encode", cases.encode_cases(), sdk, self.args.micro))
        if "extract" in groups:
            sdk = {v: f"extract/{v}/sdk" for v in cases.EXTRACT_SIZES}
            out.append(Plan("extract", cases.extract_cases(), sdk, self.args.extract))
        if "body" in groups:
            # The SDK reads snake only: both dialects' rows are compared with its snake time.
            for kind, options in (("url", self.args.micro), ("1.5MB", self.args.body_image)):
                sdk = {f"{kind}-{wire}": f"body/{kind}-snake/sdk" for wire in cases.WIRES}
                out.append(
                    Plan("body", cases.body_cases((kind,)), sdk, options, name=f"body-{kind}")
                )
        if "logging" in groups:
            from . import logging_cases  # imported when asked for: it builds records

            pairs = [*logging_cases.filter_pairs(), logging_cases.formatter_pair()]
            out.append(
                Plan(
                    "logging",
                    [case for pair in pairs for case in (pair.ours, pair.ref)],
                    {},
                    self.args.logging,
                    bases={pair.name: pair.ref.key for pair in pairs},
                    base_label="t/ref",
                )
            )
        if "auto" in groups:
            for wire in cases.WIRES:
                bases = {
                    f"{wire}-{call}": f"auto/{wire}-{call}/{wire}" for call in cases.AUTO_CALLS
                }
                out.append(
                    Plan(
                        "auto",
                        cases.auto_cases((wire,)),
                        {},
                        self.args.micro,
                        name=f"auto-{wire}",
                        bases=bases,
                        base_label=f"t/{wire}",
                    )
                )
        return out

    def ndjson(self) -> None:
        lines = self.args.lines
        label = cases.count_label(lines)
        if not cases.have_summarize():
            self.notes.append(f"ndjson: {cases.SUMMARIZE_MISSING}; floor cases only")
        options = {"rounds": self.args.ndjson_rounds, "number": 1}
        self.timed([Plan("ndjson", cases.ndjson_cases(lines), {}, options)], 1)
        rss: dict[str, Any] = {}
        specs = [f"floor/1/{lines}"]
        if cases.have_summarize():
            specs[:0] = [f"summarize/1/{lines}", f"summarize/2/{lines}"]
        for spec in specs:
            self.log(f"peak RSS: {spec}")
            rss[spec] = measure.peak_rss_growth(spec)
        self.extra["peak_rss"] = rss
        mib = 1024 * 1024
        for spec, r in rss.items():
            kind, workers, _ = spec.split("/")
            what = f"summarize workers={workers}" if kind == "summarize" else "floor"
            text = f"peak RSS growth, {what}: {r['growth'] / mib:.1f} MiB"
            if r["children_max_rss"]:
                text += f" (largest worker process: {r['children_max_rss'] / mib:.1f} MiB RSS)"
            self.notes.append(text)
        if f"summarize/1/{lines}" in rss:
            for values in self.runs:
                values[f"ndjson/{label}/rss-growth"] = rss[f"summarize/1/{lines}"]["growth"]
        self.log("parallel ceiling")
        ceiling = measure.parallel_ceiling()
        self.extra["parallel_ceiling"] = ceiling
        self.notes.append(
            f"machine: two CPU-bound processes ran {ceiling:.2f}x faster than one doing both "
            "(the best a two-worker speed-up could show during this run)"
        )

    def imports(self) -> None:
        self.log("import times")
        samples = measure.import_times(["msgspec", "usagecodec"], rounds=self.args.import_rounds)
        wall = measure.import_times(
            ["msgspec", "usagecodec"], rounds=max(5, self.args.import_rounds // 2), wall=True
        )
        best = {name: min(s) for name, s in samples.items()}
        wall_best = {name: min(s) for name, s in wall.items()}
        for values in self.runs:
            values.update({f"import/{k}": v for k, v in best.items()})
        self.extra["import"] = {"in_process_s": best, "wall_s": wall_best}
        startup = wall_best["pass"]
        net = {k: wall_best[k] - startup for k in ("msgspec", "usagecodec")}
        self.notes.append(
            "import, timed from outside: python -c 'import X' minus python -c pass "
            f"({startup * 1e3:.1f} ms): msgspec {net['msgspec'] * 1e3:.1f} ms, usagecodec "
            f"{net['usagecodec'] * 1e3:.1f} ms, ratio {net['usagecodec'] / net['msgspec']:.2f}"
        )
        rows = []
        for name, role in (("msgspec", "floor"), ("usagecodec", "ours")):
            rows.append(
                {
                    "group": "import",
                    "variant": "fresh",
                    "impl": name,
                    "role": role,
                    "label": f"import {name} (fresh interpreter)",
                    "key": f"import/{name}",
                    "best_s": best[name],
                    "median_s": sorted(samples[name])[len(samples[name]) // 2],
                    "rounds": len(samples[name]),
                    "time_text": _time_text(best[name]),
                    "throughput": None,
                    "throughput_text": "",
                    "vs_floor": best[name] / best["msgspec"],
                    "sdk_speedup": None,
                }
            )
        self.sections.append(
            {"group": "import", "variant": "fresh", "title": "import (fresh interpreter)",
             "rows": rows}
        )  # fmt: skip


def _table(sections: list[dict[str, Any]]) -> str:
    lines = []
    for section in sections:
        base = section.get("base", "t/msgspec")
        header = f"{'case':<62} {'time':>10} {'throughput':>18} {base:>10} {'SDK/t':>7}"
        lines.append("")
        lines.append(section["title"])
        lines.append(header)
        for row in section["rows"]:
            vs_floor = f"{row['vs_floor']:.2f}x" if row.get("vs_floor") else "-"
            sdk = f"{row['sdk_speedup']:.2f}x" if row.get("sdk_speedup") else "-"
            label = row["label"] if len(row["label"]) <= 62 else row["label"][:59] + "..."
            lines.append(
                f"{label:<62} {row['time_text']:>10} {row['throughput_text']:>18} "
                f"{vs_floor:>10} {sdk:>7}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; returns the process exit status."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--groups",
        default="decode,encode,extract,body,auto,logging,ndjson,import",
        help="comma-separated groups to run (default: all)",
    )
    parser.add_argument("--quick", action="store_true", help="fewer rounds, 200k-line file")
    parser.add_argument("--lines", type=int, help="lines of the ndjson file (default 1000000)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory for the results")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    groups = [g.strip() for g in args.groups.split(",") if g.strip()]
    known = {"decode", "encode", "extract", "body", "auto", "logging", "ndjson", "import"}
    unknown = sorted(set(groups) - known)
    if unknown:
        parser.error(f"unknown group(s): {', '.join(unknown)}")
    args.micro = {"rounds": 61 if args.quick else 201, "batch": 0.001}
    args.extract = {"rounds": 7 if args.quick else 21, "batch": 0.005}
    args.body_image = {"rounds": 7 if args.quick else 21, "batch": 0.01}
    # One pass over fresh records a batch (a record already filtered returns at once).
    args.logging = {"rounds": 11 if args.quick else 41, "number": 1}
    args.ndjson_rounds = 3 if args.quick else 5
    args.import_rounds = 7 if args.quick else 31
    args.repeats = 1 if args.quick else 3
    if args.lines is None:
        args.lines = 200_000 if args.quick else cases.NDJSON_LINES

    root = Path(__file__).resolve().parent.parent
    command = shlex.join(["python", "-m", "benchmarks", *(sys.argv[1:] if argv is None else argv)])
    meta: dict[str, Any] = {
        "command": command,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "versions": cases.versions(),
        "machine": _machine(),
        "git": _git(root),
        "usagecodec_path": os.path.dirname(os.path.abspath(usagecodec.__file__)),
        "settings": {
            "micro": args.micro,
            "extract": args.extract,
            "body_image": args.body_image,
            "logging": args.logging,
            "ndjson_rounds": args.ndjson_rounds,
            "ndjson_lines": args.lines,
            "import_rounds": args.import_rounds,
            "runs": args.repeats,
        },
    }
    runner = Runner(args)
    runner.timed(runner.plans(groups), args.repeats)
    if "ndjson" in groups:
        runner.ndjson()
    if "import" in groups:
        runner.imports()

    label = cases.count_label(args.lines)
    outcomes = []
    for target in targets.TARGETS:
        t = targets.by_id(target.id, label)
        if all(k in runner.runs[0] for k in (t.ours, t.ref) if k):
            per_run = sorted((t.evaluate(values) for values in runner.runs), key=lambda o: o.value)
            outcomes.append(per_run[len(per_run) // 2])

    print(f"$ {command}")
    print(", ".join(f"{k} {v}" for k, v in meta["versions"].items()))
    print(f"{meta['machine']}; {meta['git']}")
    print(
        f"time: median of {args.repeats} run(s), each the best of {args.micro['rounds']} "
        f"(extract and 1.5 MB bodies {args.extract['rounds']}, ndjson {args.ndjson_rounds}) "
        "interleaved rounds; t/msgspec (t/snake, t/camel: over the codec of that dialect) and "
        "SDK/t: ratios within each run, median"
    )
    print(_table(runner.sections))
    if runner.notes:
        print()
        for note in runner.notes:
            print(note)
    print(f"\ntargets (median of {args.repeats} runs, ratios within each run):")
    for outcome in outcomes:
        print("  " + outcome.message())

    result = {
        "meta": meta,
        "sections": runner.sections,
        "targets": [
            {
                "id": o.target.id,
                "text": o.target.text,
                "kind": o.target.kind,
                "bound": o.target.bound,
                "value": o.value,
                "met": o.met,
            }
            for o in outcomes
        ],
        "notes": runner.notes,
        **runner.extra,
    }
    if not args.no_write:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
        (args.out / "chart.svg").write_text(chart.render_svg(result))
        print(f"\nwrote {args.out / 'latest.json'} and {args.out / 'chart.svg'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
