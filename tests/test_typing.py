"""Typing from the user's side: decoders return concrete types, not Any (mypy --strict)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SNIPPET = textwrap.dedent(
    """
    import usagecodec
    from usagecodec import UsageCodec

    codec = UsageCodec("snake")
    reveal_type(codec.decode(b""))
    reveal_type(usagecodec.decode_usage(b""))
    reveal_type(usagecodec.decode_response(b"").usage)
    reveal_type(usagecodec.extract_usage(b""))
    reveal_type(codec.decode_lines(b""))
    reveal_type(usagecodec.decode_usage(b"").input_tokens_details.text_tokens)
    u = usagecodec.Usage(1, 2, 3, usagecodec.InputTokensDetails(1, 2))
    reveal_type(u + u)
    reveal_type(u.audit())
    """
)


def test_decoders_return_concrete_types(tmp_path: Path) -> None:
    """mypy --strict sees Usage, ResponseBody and friends, never Any."""
    pytest.importorskip("mypy")
    path = tmp_path / "snippet.py"
    path.write_text(SNIPPET)
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    revealed = [
        line.split("Revealed type is ")[1]
        for line in proc.stdout.splitlines()
        if "Revealed type" in line
    ]
    assert revealed == [
        '"usagecodec._models.PostV2ProxyImagesVariationsUsage"',
        '"usagecodec._models.PostV2ProxyImagesVariationsUsage"',
        '"usagecodec._models.PostV2ProxyImagesVariationsUsage | msgspec.UnsetType"',
        '"usagecodec._models.PostV2ProxyImagesVariationsUsage | None"',
        '"list[usagecodec._models.PostV2ProxyImagesVariationsUsage]"',
        '"int | float"',
        '"usagecodec._models.PostV2ProxyImagesVariationsUsage"',
        '"list[usagecodec._models.Finding]"',
    ], proc.stdout
    assert "error" not in proc.stdout.replace("Revealed type", ""), proc.stdout
