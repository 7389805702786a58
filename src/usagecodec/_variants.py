"""Private twins of the public Structs, one per wire dialect and strictness.

msgspec ties a Struct's wire names and its unknown-field policy to the class. The public
classes are camelCase and strict (``forbid_unknown_fields=True``): decoding into them is the
hot path, and because they never skip a value, their nesting depth is bounded by the type, so
the hot path needs no depth check.

Every other combination (camel lenient, snake strict, snake lenient) decodes into a twin: a
subclass of the public class that declares the same fields again (same order, same types, its
own wire names and unknown-field policy), whose instances are handed to the user as public
instances by assigning ``__class__``. A twin adds no field, so CPython checks that assignment
by walking up to the shared layout, which makes it cheap (about 30 ns). The public class is
frozen and the twins are not, so the assignment goes through the ordinary attribute path.
Equality, hashing, ``isinstance`` and ``type(x) is Usage`` therefore hold whatever the dialect.

Encoding the snake dialect builds instances of separate twins (:attr:`Dialect.encoding`), plain
Structs that are not subclasses, because calling a subclass of a public class would run the
public metaclass's checks.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal, Union

import msgspec
from msgspec import UNSET

from ._models import (
    PostV2ProxyImagesVariationsData as Data,
)
from ._models import (
    PostV2ProxyImagesVariationsInputTokensDetails as Details,
)
from ._models import (
    PostV2ProxyImagesVariationsResponseBody as Body,
)
from ._models import (
    PostV2ProxyImagesVariationsUsage as Usage,
)

_PUBLIC: tuple[type[msgspec.Struct], ...] = (Details, Usage, Data, Body)


def _substitute(tp: Any, mapping: dict[Any, Any]) -> Any:
    """Rewrite a type expression, replacing public classes by their twins."""
    if tp in mapping:
        return mapping[tp]
    origin = typing.get_origin(tp)
    if origin is Annotated:
        inner, *extras = typing.get_args(tp)
        params = (_substitute(inner, mapping), *extras)
        return Annotated[params]
    if origin is Union or origin is types.UnionType:
        return Union[tuple(_substitute(a, mapping) for a in typing.get_args(tp))]  # noqa: UP007
    if origin is list:
        (item,) = typing.get_args(tp)
        return list[_substitute(item, mapping)]  # type: ignore[misc]
    return tp


def _as_is(name: str) -> str:
    """The snake dialect's wire names: the field names themselves."""
    return name


def _make_decoding_twins(
    *, rename: Literal["camel"] | None, forbid_unknown_fields: bool
) -> dict[type, type]:
    """One twin per public class, a subclass of it, for decoding a dialect/strictness."""
    mapping: dict[Any, Any] = {}
    for cls in _PUBLIC:  # leaves first, so nested references are already mapped
        config = cls.__struct_config__
        hints = typing.get_type_hints(cls, include_extras=True)
        annotations: dict[str, Any] = {}
        namespace: dict[str, Any] = {
            "__module__": __name__,
            "__qualname__": cls.__qualname__,
            "__doc__": cls.__doc__,
        }
        for info in msgspec.structs.fields(cls):
            annotations[info.name] = _substitute(hints[info.name], mapping)
            if not info.required:
                namespace[info.name] = info.default
        namespace["__annotations__"] = annotations
        meta: Any = type(cls)  # the public metaclass: a subclass's must derive from it
        mapping[cls] = meta(
            cls.__name__,
            (cls,),
            namespace,
            rename=rename or _as_is,
            forbid_unknown_fields=forbid_unknown_fields,
            omit_defaults=config.omit_defaults,
            gc=config.gc,
            frozen=False,
        )
    return mapping


def _make_encoding_twins(*, rename: Literal["camel"] | None) -> dict[type, type]:
    """One plain Struct per public class (not a subclass), for encoding a dialect."""
    mapping: dict[Any, Any] = {}
    for cls in _PUBLIC:  # leaves first, so nested references are already mapped
        config = cls.__struct_config__
        hints = typing.get_type_hints(cls, include_extras=True)
        fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
        for info in msgspec.structs.fields(cls):
            tp = _substitute(hints[info.name], mapping)
            if info.required:
                fields.append((info.name, tp))
            else:
                fields.append((info.name, tp, info.default))
        twin = msgspec.defstruct(
            cls.__name__,
            fields,
            module=__name__,
            rename=rename,
            forbid_unknown_fields=True,
            omit_defaults=config.omit_defaults,
            gc=config.gc,
            frozen=False,
        )
        twin.__qualname__ = cls.__qualname__
        twin.__doc__ = cls.__doc__
        mapping[cls] = twin
    return mapping


# --- converting twin instances into public ones (in place, by class assignment) ------------


def _adopt_usage(obj: Any) -> Usage:
    obj.input_tokens_details.__class__ = Details
    obj.__class__ = Usage
    return obj  # type: ignore[no-any-return]


def _adopt_body(obj: Any) -> Body:
    for item in obj.data:
        item.__class__ = Data
    if obj.usage is not UNSET:
        _adopt_usage(obj.usage)
    obj.__class__ = Body
    return obj  # type: ignore[no-any-return]


ADOPT: dict[type, Callable[[Any], Any]] = {Usage: _adopt_usage, Body: _adopt_body}
"""Public class -> function turning a decoded twin instance into a public instance."""


# --- converting public instances into twins (for encoding in another dialect) -------------


def _usage_to(twins: dict[type, type]) -> Callable[[Usage], Any]:
    t_usage, t_details = twins[Usage], twins[Details]

    def convert(u: Usage) -> Any:
        d = u.input_tokens_details
        return t_usage(
            u.total_tokens,
            u.input_tokens,
            u.output_tokens,
            t_details(d.text_tokens, d.image_tokens),
        )

    return convert


def _body_to(twins: dict[type, type]) -> Callable[[Body], Any]:
    t_body, t_data = twins[Body], twins[Data]
    usage_to = _usage_to(twins)

    def convert(b: Body) -> Any:
        return t_body(
            b.created,
            [t_data(d.b64_json, d.url) for d in b.data],
            b.output_format,
            b.size,
            b.quality,
            UNSET if b.usage is UNSET else usage_to(b.usage),
        )

    return convert


class Dialect:
    """The classes of one wire dialect: strict and lenient, with converters."""

    def __init__(self, name: str, rename: Literal["camel"] | None) -> None:
        self.name = name
        if rename == "camel":
            self.strict: dict[type, type] = {cls: cls for cls in _PUBLIC}
            self.encoding: dict[type, type] = self.strict
        else:
            self.strict = _make_decoding_twins(rename=rename, forbid_unknown_fields=True)
            self.encoding = _make_encoding_twins(rename=rename)
        self.lenient: dict[type, type] = _make_decoding_twins(
            rename=rename, forbid_unknown_fields=False
        )
        # Public instance -> an instance this dialect encodes (identity for camel).
        self.to_wire: dict[type, Callable[[Any], Any] | None] = (
            {Usage: None, Body: None}
            if rename == "camel"
            else {Usage: _usage_to(self.encoding), Body: _body_to(self.encoding)}
        )


DIALECTS: dict[str, Dialect] = {
    "camel": Dialect("camel", "camel"),
    "snake": Dialect("snake", None),
}
