"""The typed objects: token usage of an image-variation response and the body that carries it.

Field names, types, required-ness and descriptions follow the reference page
``PostV2ProxyImagesVariationsUsage`` (orq.ai, ``/v2/proxy/images/variations``) and the
official SDKs. The classes are frozen msgspec Structs with ``rename="camel"``: the camelCase
wire is their native form; the snake_case wire decodes to the very same classes (see
``_codec.py``).

Numbers follow JSON: an integer stays an ``int`` (signed 64-bit), a fraction stays a
``float`` (finite). Building an object in Python checks the same rules, so an object that
exists can always be encoded faithfully.
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING, Annotated, ClassVar, Union

from msgspec import UNSET, Meta, Struct, StructMeta, UnsetType

from ._errors import UsageValueError

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "Data",
    "Finding",
    "InputTokensDetails",
    "PostV2ProxyImagesVariationsData",
    "PostV2ProxyImagesVariationsInputTokensDetails",
    "PostV2ProxyImagesVariationsResponseBody",
    "PostV2ProxyImagesVariationsUsage",
    "ResponseBody",
    "Usage",
]

INT64_MIN = -(2**63)
"""Smallest integer a usage field may hold (signed 64-bit)."""
INT64_MAX = 2**63 - 1
"""Largest integer a usage field may hold (signed 64-bit)."""
_DBL_MAX = sys.float_info.max

# A JSON number: an int in the signed 64-bit range, or a finite float. The bounds on the float
# reject NaN and the infinities, which MessagePack can carry (JSON cannot).
_Int64 = Annotated[int, Meta(ge=INT64_MIN, le=INT64_MAX)]
_Finite = Annotated[float, Meta(ge=-_DBL_MAX, le=_DBL_MAX)]
Number = Union[_Int64, _Finite]  # noqa: UP007 - msgspec needs the typing form at runtime


def _doc(description: str) -> Meta:
    return Meta(description=description)


def check_number(value: object, path: str) -> None:
    """Raise :class:`UsageValueError` unless ``value`` is a number a usage field can hold."""
    kind = type(value)
    if kind is int:
        if INT64_MIN <= value <= INT64_MAX:  # type: ignore[operator]
            return
        raise UsageValueError("integer outside the signed 64-bit range", path=path, value=value)
    if kind is float:
        if math.isfinite(value):  # type: ignore[arg-type]
            return
        raise UsageValueError(
            "non-finite number (NaN or infinity) has no JSON form", path=path, value=value
        )
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageValueError(
            f"expected int or float, got {type(value).__name__}", path=path, value=value
        )
    # int and float subclasses (IntEnum, numpy scalars registered as float): same bounds.
    check_number(int(value) if isinstance(value, int) else float(value), path)


def _check_optional_str(value: object, path: str) -> None:
    if value is UNSET or type(value) is str:
        return
    raise UsageValueError(
        f"expected str or UNSET, got {type(value).__name__}", path=path, value=value
    )


class _CheckedMeta(StructMeta):
    """Metaclass that validates objects built in Python.

    Decoding never goes through ``type.__call__`` (msgspec builds instances in C and checks
    the wire itself), so this costs nothing on the hot path.
    """

    if not TYPE_CHECKING:  # keep the dataclass-style signatures for type checkers

        def __call__(cls, *args, **kwargs):
            obj = super().__call__(*args, **kwargs)
            obj._check("")
            return obj


class Finding(Struct, frozen=True, gc=False):
    """One inconsistency reported by :meth:`PostV2ProxyImagesVariationsUsage.audit`.

    Attributes:
        code: ``"negative"``, ``"total_mismatch"`` or ``"input_mismatch"``.
        path: Python attribute path of the value concerned.
        message: A sentence for a person.
    """

    code: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _same(a: float, b: float) -> bool:
    if type(a) is int and type(b) is int:
        return a == b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


class PostV2ProxyImagesVariationsInputTokensDetails(
    Struct,
    metaclass=_CheckedMeta,
    rename="camel",
    frozen=True,
    gc=False,
    forbid_unknown_fields=True,
):
    """The input tokens detailed information for the image generation.

    Attributes:
        text_tokens: The number of text tokens in the input prompt.
        image_tokens: The number of image tokens in the input prompt.
    """

    text_tokens: Annotated[Number, _doc("The number of text tokens in the input prompt.")]
    image_tokens: Annotated[Number, _doc("The number of image tokens in the input prompt.")]

    def _check(self, prefix: str) -> None:
        check_number(self.text_tokens, prefix + "text_tokens")
        check_number(self.image_tokens, prefix + "image_tokens")

    def __add__(self, other: object) -> PostV2ProxyImagesVariationsInputTokensDetails:
        if not isinstance(other, PostV2ProxyImagesVariationsInputTokensDetails):
            return NotImplemented
        return PostV2ProxyImagesVariationsInputTokensDetails(
            self.text_tokens + other.text_tokens, self.image_tokens + other.image_tokens
        )


class PostV2ProxyImagesVariationsUsage(
    Struct,
    metaclass=_CheckedMeta,
    rename="camel",
    frozen=True,
    gc=False,
    forbid_unknown_fields=True,
):
    """The token usage information for the image generation.

    Build one in Python (every value is checked), decode one with :class:`UsageCodec` or
    :func:`decode_usage`, add them up with ``+`` or ``sum(usages, Usage.zero())``.

    Attributes:
        total_tokens: The total number of tokens (images and text) used for the image
            generation.
        input_tokens: The number of tokens (images and text) in the input prompt.
        output_tokens: The number of output tokens generated by the model.
        input_tokens_details: The input tokens detailed information for the image generation.
    """

    total_tokens: Annotated[
        Number,
        _doc("The total number of tokens (images and text) used for the image generation."),
    ]
    input_tokens: Annotated[
        Number, _doc("The number of tokens (images and text) in the input prompt.")
    ]
    output_tokens: Annotated[Number, _doc("The number of output tokens generated by the model.")]
    input_tokens_details: Annotated[
        PostV2ProxyImagesVariationsInputTokensDetails,
        _doc("The input tokens detailed information for the image generation."),
    ]

    _ZERO: ClassVar[PostV2ProxyImagesVariationsUsage]

    def _check(self, prefix: str) -> None:
        check_number(self.total_tokens, prefix + "total_tokens")
        check_number(self.input_tokens, prefix + "input_tokens")
        check_number(self.output_tokens, prefix + "output_tokens")
        details = self.input_tokens_details
        if type(details) is not PostV2ProxyImagesVariationsInputTokensDetails:
            raise UsageValueError(
                "expected InputTokensDetails, got " + type(details).__name__,
                path=prefix + "input_tokens_details",
                value=details,
            )
        details._check(prefix + "input_tokens_details.")

    @classmethod
    def zero(cls) -> PostV2ProxyImagesVariationsUsage:
        """Return the usage with every count at 0, the start value for ``sum``."""
        return cls._ZERO

    def __add__(self, other: object) -> PostV2ProxyImagesVariationsUsage:
        """Add every field, nested ones included (``int + int`` stays an ``int``)."""
        if not isinstance(other, PostV2ProxyImagesVariationsUsage):
            return NotImplemented
        return PostV2ProxyImagesVariationsUsage(
            self.total_tokens + other.total_tokens,
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.input_tokens_details + other.input_tokens_details,
        )

    def __radd__(self, other: object) -> PostV2ProxyImagesVariationsUsage:
        # ``sum(usages)`` starts from the integer 0: treat it as the zero usage.
        if type(other) is int and other == 0:
            return self
        return NotImplemented

    def audit(self) -> list[Finding]:
        """Check the counts against each other, without raising.

        Decoding never enforces these rules (the reference page's own example breaks them):
        ``total_tokens == input_tokens + output_tokens``,
        ``input_tokens == text_tokens + image_tokens`` and no negative count. Integers are
        compared exactly, fractions with a relative tolerance of 1e-9.

        Returns:
            The findings, empty when the usage is consistent.
        """
        findings: list[Finding] = []
        d = self.input_tokens_details
        for path, value in (
            ("total_tokens", self.total_tokens),
            ("input_tokens", self.input_tokens),
            ("output_tokens", self.output_tokens),
            ("input_tokens_details.text_tokens", d.text_tokens),
            ("input_tokens_details.image_tokens", d.image_tokens),
        ):
            if value < 0:
                findings.append(Finding("negative", path, f"negative count {value!r}"))
        if not _same(self.total_tokens, self.input_tokens + self.output_tokens):
            findings.append(
                Finding(
                    "total_mismatch",
                    "total_tokens",
                    f"total_tokens {self.total_tokens!r} != input_tokens + output_tokens "
                    f"({self.input_tokens!r} + {self.output_tokens!r})",
                )
            )
        if not _same(self.input_tokens, d.text_tokens + d.image_tokens):
            findings.append(
                Finding(
                    "input_mismatch",
                    "input_tokens",
                    f"input_tokens {self.input_tokens!r} != text_tokens + image_tokens "
                    f"({d.text_tokens!r} + {d.image_tokens!r})",
                )
            )
        return findings

    def otel_attributes(self) -> dict[str, int | float]:
        """The counts as OpenTelemetry attributes, named after the GenAI semantic conventions.

        ``gen_ai.usage.input_tokens`` and ``gen_ai.usage.output_tokens`` are the conventions'
        own names; the conventions have no total nor input breakdown by modality, so those
        are namespaced: ``orq.usage.total_tokens``,
        ``orq.usage.input_tokens_details.text_tokens`` and
        ``orq.usage.input_tokens_details.image_tokens``.

        Returns:
            A new dict of the five counts (ints stay ints), in that order.
        """
        d = self.input_tokens_details
        return {
            "gen_ai.usage.input_tokens": self.input_tokens,
            "gen_ai.usage.output_tokens": self.output_tokens,
            "orq.usage.total_tokens": self.total_tokens,
            "orq.usage.input_tokens_details.text_tokens": d.text_tokens,
            "orq.usage.input_tokens_details.image_tokens": d.image_tokens,
        }


PostV2ProxyImagesVariationsUsage._ZERO = PostV2ProxyImagesVariationsUsage(
    0, 0, 0, PostV2ProxyImagesVariationsInputTokensDetails(0, 0)
)


class PostV2ProxyImagesVariationsData(
    Struct,
    metaclass=_CheckedMeta,
    rename="camel",
    frozen=True,
    gc=False,
    forbid_unknown_fields=True,
    omit_defaults=True,
):
    """One generated image: inline base64 data or a URL.

    Absent fields are :data:`msgspec.UNSET` (the wire has no ``null`` for them: the API and
    the official SDKs reject it).

    Attributes:
        b64_json: The base64-encoded JSON of the generated image, if response_format is
            b64_json.
        url: The URL of the generated image, if response_format is url (default).
    """

    b64_json: Annotated[
        str | UnsetType,
        _doc("The base64-encoded JSON of the generated image, if response_format is b64_json"),
    ] = UNSET
    url: Annotated[
        str | UnsetType,
        _doc("The URL of the generated image, if response_format is url (default)"),
    ] = UNSET

    def _check(self, prefix: str) -> None:
        _check_optional_str(self.b64_json, prefix + "b64_json")
        _check_optional_str(self.url, prefix + "url")


class PostV2ProxyImagesVariationsResponseBody(
    Struct,
    metaclass=_CheckedMeta,
    rename="camel",
    frozen=True,
    forbid_unknown_fields=True,
    omit_defaults=True,
):
    """Represents an image variation response from the API.

    Optional fields that are absent are :data:`msgspec.UNSET`.

    Attributes:
        created: The Unix timestamp (in seconds) of when the image was created.
        data: The list of generated images.
        output_format: The output format of the image generation.
        size: The size of the image generated.
        quality: The quality of the image generated.
        usage: The token usage information for the image generation.
    """

    created: Annotated[
        Number, _doc("The Unix timestamp (in seconds) of when the image was created.")
    ]
    data: Annotated[list[PostV2ProxyImagesVariationsData], _doc("The list of generated images.")]
    output_format: Annotated[
        str | UnsetType, _doc("The output format of the image generation")
    ] = UNSET
    size: Annotated[str | UnsetType, _doc("The size of the image generated")] = UNSET
    quality: Annotated[str | UnsetType, _doc("The quality of the image generated")] = UNSET
    usage: Annotated[
        PostV2ProxyImagesVariationsUsage | UnsetType,
        _doc("The token usage information for the image generation."),
    ] = UNSET

    def _check(self, prefix: str) -> None:
        check_number(self.created, prefix + "created")
        if type(self.data) is not list:
            raise UsageValueError(
                "expected a list, got " + type(self.data).__name__,
                path=prefix + "data",
                value=self.data,
            )
        for i, item in enumerate(self.data):
            if type(item) is not PostV2ProxyImagesVariationsData:
                raise UsageValueError(
                    "expected PostV2ProxyImagesVariationsData, got " + type(item).__name__,
                    path=f"{prefix}data[{i}]",
                    value=item,
                )
            item._check(f"{prefix}data[{i}].")
        for name in ("output_format", "size", "quality"):
            _check_optional_str(getattr(self, name), prefix + name)
        usage = self.usage
        if usage is UNSET:
            return
        if type(usage) is not PostV2ProxyImagesVariationsUsage:
            raise UsageValueError(
                "expected Usage or UNSET, got " + type(usage).__name__,
                path=prefix + "usage",
                value=usage,
            )
        usage._check(prefix + "usage.")


Usage = PostV2ProxyImagesVariationsUsage
"""Short alias of :class:`PostV2ProxyImagesVariationsUsage`."""
InputTokensDetails = PostV2ProxyImagesVariationsInputTokensDetails
"""Short alias of :class:`PostV2ProxyImagesVariationsInputTokensDetails`."""
ResponseBody = PostV2ProxyImagesVariationsResponseBody
"""Short alias of :class:`PostV2ProxyImagesVariationsResponseBody`."""
Data = PostV2ProxyImagesVariationsData
"""Short alias of :class:`PostV2ProxyImagesVariationsData`."""
