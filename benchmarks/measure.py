"""Timing harness: interleaved rounds, best of many, ratios taken within one run.

On a shared, noisy machine absolute times drift by 30 % and more between runs, but the *minimum*
over many short batches, taken while the implementations being compared alternate batch by
batch, is stable. Every ratio this package reports or asserts is built that way: the cases of
one comparison are timed in the same call of :func:`interleaved`.
"""

from __future__ import annotations

import gc
import itertools
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .cases import Case

__all__ = [
    "Timing",
    "import_times",
    "interleaved",
    "make_timer",
    "parallel_ceiling",
    "peak_rss_growth",
]

_UNROLL = 10


def make_timer(case: Case) -> Callable[[int], int]:
    """Return ``run(n)``: the nanoseconds of ``n`` calls of the case, loop overhead minimised.

    The call is written out ``_UNROLL`` times in the loop body, with the keyword arguments as
    literal keywords, so the harness adds no ``partial`` or ``**kwargs`` layer to what is timed.
    """
    kwargs = case.kwargs or {}
    names = {f"_k{i}": key for i, key in enumerate(kwargs)}
    call = "fn(" + ", ".join(["a", *(f"{key}={var}" for var, key in names.items())]) + ")"
    defaults = ", ".join(f"{var}={var}" for var in ["fn", "a", *names, "perf", "rep"])
    lines = [
        "def outer(" + ", ".join(["fn", "a", *names, "perf", "rep"]) + "):",
        f"    def run(n, {defaults}):",  # defaults: every name is a fast local
        "        t0 = perf()",
        f"        for _ in rep(None, n // {_UNROLL}):",
        *[f"            {call}" for _ in range(_UNROLL)],
        f"        for _ in rep(None, n % {_UNROLL}):",
        f"            {call}",
        "        return perf() - t0",
        "    return run",
    ]
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines) + "\n", f"<timer {case.key}>", "exec"), namespace)
    values = [kwargs[key] for key in names.values()]
    run: Callable[[int], int] = namespace["outer"](
        case.fn, case.arg, *values, time.perf_counter_ns, itertools.repeat
    )
    return run


@dataclass
class Timing:
    """The result of timing one case: the best time per call and every sample."""

    case: Case
    number: int
    samples: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        """Best (minimum) seconds per call."""
        return min(self.samples)

    @property
    def spread(self) -> float:
        """Median sample over best sample, minus one: how noisy the run was."""
        ordered = sorted(self.samples)
        return ordered[len(ordered) // 2] / ordered[0] - 1.0


def _calibrate(run: Callable[[int], int], case: Case, batch: float) -> int:
    """Calls per batch so that a batch lasts about ``batch`` seconds (at least one call)."""
    with case.context():
        run(1)  # warm-up: first call, lazy imports, caches
        n = 1
        while True:
            elapsed = run(n) / 1e9
            if elapsed >= batch / 4 or n >= 10**7:
                break
            n *= 4 if elapsed < batch / 40 else 2
        per_call = max(elapsed / n, 1e-9)
    return max(1, round(batch / per_call))


def interleaved(
    cases: Sequence[Case],
    *,
    rounds: int = 15,
    batch: float = 0.02,
    number: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Timing]:
    """Time ``cases`` in alternating batches and return each one's :class:`Timing`.

    Each round times one batch of every case, in forward order on even rounds and backward on
    odd ones, so drifting machine speed hits all cases alike. The garbage collector is off
    during a batch (as in :mod:`timeit`).

    Args:
        cases: The cases of one comparison.
        rounds: Batches per case; the best one counts.
        batch: Target seconds per batch (each case is calibrated once).
        number: Calls per batch for every case, instead of calibrating.
        progress: Called with a short message before each round, for long runs.

    Returns:
        Case key -> timing.
    """
    runs = {case.key: make_timer(case) for case in cases}
    timings = {
        case.key: Timing(
            case, number if number is not None else _calibrate(runs[case.key], case, batch)
        )
        for case in cases
    }
    order = list(cases)
    for r in range(rounds):
        if progress is not None:
            progress(f"round {r + 1}/{rounds}")
        for case in order if r % 2 == 0 else reversed(order):
            timing = timings[case.key]
            run = runs[case.key]
            with case.context():
                enabled = gc.isenabled()
                gc.disable()
                try:
                    elapsed = run(timing.number)
                finally:
                    if enabled:
                        gc.enable()
            timing.samples.append(elapsed / 1e9 / timing.number)
    return timings


# --------------------------------------------------------------------------------------------
# Measurements in fresh interpreters
# --------------------------------------------------------------------------------------------


def child_env() -> dict[str, str]:
    """Environment for a child interpreter that imports the same usagecodec as this one."""
    import usagecodec

    src = os.path.dirname(os.path.dirname(os.path.abspath(usagecodec.__file__)))
    env = dict(os.environ)
    parts = [src, *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(parts))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


_IMPORT_SNIPPET = (
    "import time; t0 = time.perf_counter_ns(); import {module}; "
    "t1 = time.perf_counter_ns(); print(t1 - t0)"
)


def import_times(
    modules: Sequence[str], *, rounds: int = 15, wall: bool = False
) -> dict[str, list[float]]:
    """Seconds to import each module in a fresh interpreter, ``rounds`` times, interleaved.

    The import is timed inside the child (``perf_counter_ns`` around the ``import``), which
    excludes interpreter start-up and shutdown. With ``wall=True`` the whole ``python -c``
    process is timed from outside instead, and ``"pass"`` (an interpreter doing nothing) is
    measured too, to be subtracted.

    Returns:
        Module name -> samples in seconds (``"pass"`` included when ``wall``).
    """
    env = child_env()
    names = list(modules) + (["pass"] if wall else [])
    samples: dict[str, list[float]] = {name: [] for name in names}

    def once(name: str) -> float:
        if wall:
            code = "pass" if name == "pass" else f"import {name}"
            t0 = time.perf_counter_ns()
            subprocess.run([sys.executable, "-c", code], env=env, check=True)
            return (time.perf_counter_ns() - t0) / 1e9
        out = subprocess.run(
            [sys.executable, "-c", _IMPORT_SNIPPET.format(module=name)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return int(out.strip()) / 1e9

    for name in names:  # warm-up: byte-code caches and the OS page cache
        once(name)
    for r in range(rounds):
        for name in names if r % 2 == 0 else reversed(names):
            samples[name].append(once(name))
    return samples


_RSS_SNIPPET = r"""
import json, resource, sys, time
sys.path[:0] = {path!r}
from benchmarks import cases
fn = cases.rss_target({name!r})

def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0

fn.prepare()
try:  # reset the high-water mark (Linux >= 4.0); else growth is measured from the old peak
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    reset = True
except OSError:
    reset = False
before_rss = status("VmRSS")
before_hwm = status("VmHWM")
t0 = time.perf_counter()
fn()
elapsed = time.perf_counter() - t0
after_hwm = status("VmHWM")
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({{
    "reset": reset, "rss_before": before_rss, "hwm_before": before_hwm, "hwm_after": after_hwm,
    "growth": after_hwm - (before_rss if reset else before_hwm),
    "children_max_rss": children, "seconds": elapsed,
}}))
"""


def peak_rss_growth(name: str) -> dict[str, Any]:
    """Run the RSS target ``name`` of :func:`benchmarks.cases.rss_target` in a fresh process.

    Returns:
        ``growth`` (bytes the peak resident set grew by during the call), ``children_max_rss``
        (largest resident set of a reaped child process: workers), ``seconds`` and raw values.
    """
    import json

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = child_env()
    code = _RSS_SNIPPET.format(path=[root], name=name)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


_SPIN = "x = 0\nfor i in range({n}):\n    x += i\n"


def parallel_ceiling(n: int = 4_000_000, rounds: int = 3) -> float:
    """How much faster two processes finish two CPU-bound jobs than one process doing both.

    On an idle two-core machine this is close to 2; on a shared one it is what a two-worker
    speed-up can reach at best right now. Best of ``rounds``, interleaved.
    """
    one = two = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", _SPIN.format(n=2 * n)], check=True)
        one = min(one, time.perf_counter() - t0)
        t0 = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-c", _SPIN.format(n=n)]) for _ in range(2)]
        for p in procs:
            p.wait()
        two = min(two, time.perf_counter() - t0)
    return one / two
