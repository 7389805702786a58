"""The JSON Schema (2020-12) of the usage object and of the response body."""

from __future__ import annotations

from typing import Any, Literal, overload

import msgspec

from ._models import (
    PostV2ProxyImagesVariationsResponseBody as Body,
)
from ._models import (
    PostV2ProxyImagesVariationsUsage as Usage,
)
from ._variants import DIALECTS

__all__ = ["json_schema"]


@overload
def json_schema(
    *, wire: Literal["camel", "snake"] = ..., strict: bool = ...
) -> dict[str, Any]: ...
@overload
def json_schema(
    kind: Literal["usage", "response"],
    *,
    wire: Literal["camel", "snake"] = ...,
    strict: bool = ...,
) -> dict[str, Any]: ...
def json_schema(
    kind: Literal["usage", "response"] = "usage",
    *,
    wire: Literal["camel", "snake"] = "camel",
    strict: bool = False,
) -> dict[str, Any]:
    """Return the JSON Schema (2020-12) of the usage object or of the response body.

    Args:
        kind: ``"usage"`` (default) or ``"response"``.
        wire: ``"camel"`` or ``"snake"``: the property names of the schema.
        strict: Describe what ``strict=True`` accepts (no additional properties, no negative
            count) instead of the default.

    Returns:
        The schema as a dict, ready for ``json.dumps``.
    """
    if wire not in ("camel", "snake"):
        raise ValueError(f"wire must be 'camel' or 'snake', not {wire!r}")
    if kind not in ("usage", "response"):
        raise ValueError(f"kind must be 'usage' or 'response', not {kind!r}")
    dialect = DIALECTS[wire]
    cls = Usage if kind == "usage" else Body
    target = (dialect.strict if strict else dialect.lenient)[cls]
    schema = msgspec.json.schema(target)
    if strict:
        for definition in schema["$defs"].values():
            if definition["title"] in (
                "PostV2ProxyImagesVariationsUsage",
                "PostV2ProxyImagesVariationsInputTokensDetails",
            ):
                for prop in definition["properties"].values():
                    for alternative in prop.get("anyOf", ()):
                        alternative["minimum"] = 0
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
