"""A dependency-free SVG chart of a ``python -m benchmarks`` result.

One row per case: a bar from the "1x" line to the case's time relative to the floor of its
comparison (bare msgspec; for imports, ``import msgspec``), on a log scale, so bars to the left
are faster than bare msgspec and bars to the right slower. The title and caption carry the
command, versions and machine that produced the numbers.
"""

from __future__ import annotations

import math
from typing import Any
from xml.sax.saxutils import escape

__all__ = ["render_svg"]

COLORS = {
    "ours": "#1f6fb4",
    "floor": "#8c8c8c",
    "sdk": "#d43d2a",
    "peer": "#f0a030",
    "ref": "#9cc3e6",
}
ROLE_NAMES = {
    "ours": "usagecodec",
    "floor": "bare msgspec (floor)",
    "sdk": "orq SDK (pydantic)",
    "peer": "other peers",
    "ref": "reference",
}

WIDTH = 1120
LABEL_W = 400
BAR_X0 = LABEL_W + 10
BAR_W = 400
ROW = 17
FONT = "font-family='DejaVu Sans, Helvetica, Arial, sans-serif'"


def _fmt_ratio(r: float) -> str:
    return f"{r:.2f}x" if r < 10 else f"{r:.1f}x"


def render_svg(result: dict[str, Any]) -> str:
    """Return the SVG document for ``result`` (the dict written to ``latest.json``)."""
    sections: list[tuple[str, list[dict[str, Any]]]] = []
    for section in result["sections"]:
        if section.get("base", "t/msgspec") != "t/msgspec":
            continue  # a ratio over another of our calls (wire="auto"): not on this scale
        rows = [row for row in section["rows"] if row.get("vs_floor")]
        if rows:
            sections.append((section["title"], rows))
    ratios = [row["vs_floor"] for _, rows in sections for row in rows]
    lo = 2.0 ** math.floor(math.log2(min([*ratios, 0.5])))
    hi = 2.0 ** math.ceil(math.log2(max([*ratios, 2.0])))
    span = math.log2(hi) - math.log2(lo)

    def x(r: float) -> float:
        return BAR_X0 + BAR_W * (math.log2(r) - math.log2(lo)) / span

    meta = result["meta"]
    out: list[str] = []
    y = 30
    title = (
        f"usagecodec {meta['versions']['usagecodec']}: time relative to bare msgspec "
        "(log scale; left of 1x is faster)"
    )
    out.append(f"<text x='20' y='{y}' font-size='17' font-weight='bold'>{escape(title)}</text>")
    y += 20
    sub = f"$ {meta['command']}   ({meta['date']})"
    out.append(f"<text x='20' y='{y}' font-size='12'>{escape(sub)}</text>")
    y += 18
    legend_x = 20
    for role, color in COLORS.items():
        out.append(
            f"<rect x='{legend_x}' y='{y - 10}' width='12' height='12' fill='{color}'/>"
            f"<text x='{legend_x + 16}' y='{y}' font-size='12'>{ROLE_NAMES[role]}</text>"
        )
        legend_x += 40 + 7 * len(ROLE_NAMES[role])
    y += 22
    axis_top = y
    ticks: list[float] = []
    t = lo
    while t <= hi * 1.0001:
        ticks.append(t)
        t *= 2
    body: list[str] = []
    for title_text, rows in sections:
        y += 6
        body.append(
            f"<text x='20' y='{y + 12}' font-size='13' font-weight='bold'>"
            f"{escape(title_text)}</text>"
        )
        y += ROW + 2
        for row in rows:
            r = row["vs_floor"]
            x0, x1 = sorted((x(1.0), x(r)))
            width = max(x1 - x0, 1.5)
            color = COLORS.get(row["role"], "#555")
            notes = [row["time_text"], _fmt_ratio(r)]
            if row.get("throughput_text"):
                notes.append(row["throughput_text"])
            speedup = row.get("sdk_speedup")
            if speedup and row["role"] == "ours":
                notes.append(f"{speedup:.1f}x the SDK's speed")
            body.append(
                f"<text x='{LABEL_W}' y='{y + 12}' font-size='11' text-anchor='end'>"
                f"{escape(row['label'])}</text>"
                f"<rect x='{x0:.1f}' y='{y + 2}' width='{width:.1f}' height='{ROW - 4}' "
                f"fill='{color}'/>"
                f"<text x='{BAR_X0 + BAR_W + 8}' y='{y + 12}' font-size='11'>"
                f"{escape(' · '.join(notes))}</text>"
            )
            y += ROW
    axis_bottom = y + 4
    grid: list[str] = []
    for t in ticks:
        gx = x(t)
        stroke = "#333" if t == 1.0 else "#ddd"
        label = f"{t:g}x"
        grid.append(
            f"<line x1='{gx:.1f}' y1='{axis_top}' x2='{gx:.1f}' y2='{axis_bottom}' "
            f"stroke='{stroke}' stroke-width='1'/>"
            f"<text x='{gx:.1f}' y='{axis_top - 4}' font-size='10' text-anchor='middle'>"
            f"{label}</text>"
            f"<text x='{gx:.1f}' y='{axis_bottom + 12}' font-size='10' text-anchor='middle'>"
            f"{label}</text>"
        )
    out.extend(grid)
    out.extend(body)
    y = axis_bottom + 34
    versions = meta["versions"]
    caption = [
        ", ".join(f"{k} {v}" for k, v in versions.items()),
        f"{meta['machine']}; median of {meta['settings'].get('runs', 1)} run(s), each the best "
        "of many interleaved rounds; ratios taken within each run",
    ]
    if meta.get("git"):
        caption.append(f"source: {meta['git']}")
    caption.extend(result.get("notes", []))
    for line in caption:
        out.append(f"<text x='20' y='{y}' font-size='11' fill='#333'>{escape(line)}</text>")
        y += 15
    height = y + 10
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{height}' "
        f"viewBox='0 0 {WIDTH} {height}' {FONT}>\n"
        f"<rect width='100%' height='100%' fill='white'/>\n" + "\n".join(out) + "\n</svg>\n"
    )
