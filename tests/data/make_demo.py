"""Regenerate src/usagecodec/data/demo.ndjson, the sample log behind `usagecodec summarize --demo`.

A realistic mix, seeded so the file is reproducible: usage records logged by a Node service
(camelCase, as the TypeScript SDK serialises them), raw API usage (snake_case), full response
bodies from the proxy (snake_case, a small base64 image or a URL), log events, a few blank
lines and a few bad lines (truncated, a string count, a boolean, not JSON, a missing field).
Each record also carries the fields a proxy logs beside the usage: ``model`` and ``ts``.

    python tests/data/make_demo.py
"""

from __future__ import annotations

import base64
import datetime
import json
import random
from pathlib import Path

OUT = Path(__file__).parents[2] / "src" / "usagecodec" / "data" / "demo.ndjson"

# Output tokens per image for common sizes/qualities (gpt-image-1 style pricing tables).
OUTPUT_TOKENS = [272, 408, 1056, 1584, 4160, 6240]


def usage(rng: random.Random) -> dict[str, int]:
    text = rng.randint(8, 220)
    image = rng.choice([0, 194, 323, 388, 553, 776, 1105])
    out = rng.choice(OUTPUT_TOKENS) * rng.choice([1, 1, 1, 2])
    return {"text": text, "image": image, "input": text + image, "output": out}


def camel(u: dict[str, int]) -> dict[str, object]:
    return {
        "totalTokens": u["input"] + u["output"],
        "inputTokens": u["input"],
        "outputTokens": u["output"],
        "inputTokensDetails": {"textTokens": u["text"], "imageTokens": u["image"]},
    }


def snake(u: dict[str, int]) -> dict[str, object]:
    return {
        "total_tokens": u["input"] + u["output"],
        "input_tokens": u["input"],
        "output_tokens": u["output"],
        "input_tokens_details": {"text_tokens": u["text"], "image_tokens": u["image"]},
    }


MODELS = ["gpt-image-1", "gpt-image-1", "gpt-image-1-mini", "dall-e-2"]


def context(rng: random.Random, i: int) -> dict[str, object]:
    """The fields a proxy logs beside the usage: the model and when (RFC 3339, UTC)."""
    seconds = 1795737600 + i * 107 + rng.randint(0, 100)  # 2026-11-27 onwards, ~3 days
    stamp = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return {"model": rng.choice(MODELS), "ts": stamp.strftime("%Y-%m-%dT%H:%M:%SZ")}


def main() -> None:
    rng = random.Random(20261127)
    extra = random.Random(20261130)  # model and time: the usages stay those of earlier demos
    lines: list[str] = []
    for i in range(2400):
        u = usage(rng)
        kind = rng.random()
        fields = context(extra, i)
        if kind < 0.40:
            lines.append(json.dumps({**fields, **camel(u)}, separators=(",", ":")))
        elif kind < 0.75:
            lines.append(json.dumps({**fields, **snake(u)}, separators=(",", ":")))
        else:
            pixels = rng.randbytes(rng.randint(60, 600))
            item = (
                {"b64_json": base64.b64encode(pixels).decode()}
                if rng.random() < 0.6
                else {"url": f"https://cdn.example.com/img/{i:05d}.png"}
            )
            body = {
                **fields,
                "created": 1764201600 + i * 37,
                "data": [item],
                "output_format": "png",
                "size": rng.choice(["1024x1024", "1024x1536", "1536x1024"]),
                "quality": rng.choice(["low", "medium", "high"]),
                "usage": snake(u),
            }
            if rng.random() < 0.03:
                del body["usage"]  # a body without usage: counted, not summed
            lines.append(json.dumps(body, separators=(",", ":")))
    # An inconsistent record, as the reference page's own example (the audit flags it).
    lines.insert(
        17,
        json.dumps(
            {
                "totalTokens": 8105.75,
                "inputTokens": 7451.29,
                "outputTokens": 1442.01,
                "inputTokensDetails": {"textTokens": 5727.82, "imageTokens": 1501.66},
            },
            separators=(",", ":"),
        ),
    )
    bad = [
        '{"totalTokens":1200,"inputTokens":200,"outputTokens":1000,"inputTokensDetails":{"textTok',
        '{"total_tokens":"1600","input_tokens":16,"output_tokens":1584,'
        '"input_tokens_details":{"text_tokens":16,"image_tokens":0}}',
        '{"totalTokens":true,"inputTokens":1,"outputTokens":1,'
        '"inputTokensDetails":{"textTokens":1,"imageTokens":0}}',
        "upstream timeout after 30s",
        '{"total_tokens":1100,"output_tokens":1056,"input_tokens_details":{"text_tokens":44,'
        '"image_tokens":0}}',
    ]
    for k, text in enumerate(bad):
        lines.insert(300 + 450 * k, text)
    for k in range(4):
        lines.insert(100 + 600 * k, "")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
