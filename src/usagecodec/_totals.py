"""Exact totals of many usages: :class:`Totals` and the per-batch kernel that fills it.

Sums are exact: integers are added as integers and fractional values as exact rationals
(every double is a dyadic fraction, so the sum of any set of doubles is exactly a
:class:`fractions.Fraction`). Totals therefore never depend on chunk size, worker count or
order, and the totals of parts add up to the totals of the whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Context, Decimal
from fractions import Fraction
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from ._models import PostV2ProxyImagesVariationsUsage as Usage

if TYPE_CHECKING:
    from ._groups import Price

__all__ = ["BadLine", "Totals", "add_amounts", "batch_totals", "exact_decimal", "exact_sum"]

Amount = int | Fraction
"""A token sum: an ``int``, or an exact ``Fraction`` once fractional counts appear."""

TOKEN_FIELDS = ("total_tokens", "input_tokens", "output_tokens", "text_tokens", "image_tokens")
"""The five summed fields, in the order of :class:`Totals` (nested ones by their leaf name)."""


class BadLine(Struct, frozen=True, gc=False):
    """A line that could not be decoded, as kept by ``on_error="collect"``.

    Attributes:
        lineno: 1-based line number.
        path: JSON path of the offending value (``$`` for the line as a whole).
        reason: What was wrong.
        source: The file name, ``"<stdin>"``, or ``None`` when unknown.
    """

    lineno: int
    path: str
    reason: str
    source: str | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.lineno}" if self.source else f"line {self.lineno}"
        return f"{where}: {self.reason} - at `{self.path}`"


class Totals(Struct, frozen=True):
    """Counts and exact token sums over many records.

    ``lines == records + without_usage + bad_lines + blank_lines`` always holds. Totals add
    with ``+`` (the totals of parts add up to the totals of the whole) and compare with ``==``.

    Attributes:
        records: Good lines that carried a usage.
        without_usage: Good lines without one (a response body with no ``usage``, or an event
            without the ``at`` path).
        bad_lines: Lines that could not be decoded.
        blank_lines: Empty or whitespace-only lines.
        flagged: Records whose :meth:`~PostV2ProxyImagesVariationsUsage.audit` finds
            something.
        total_tokens: Sum of ``total_tokens``.
        input_tokens: Sum of ``input_tokens``.
        output_tokens: Sum of ``output_tokens``.
        text_tokens: Sum of ``input_tokens_details.text_tokens``.
        image_tokens: Sum of ``input_tokens_details.image_tokens``.
        errors: The bad lines, when collected (``on_error="collect"``), in input order.
    """

    records: int = 0
    without_usage: int = 0
    bad_lines: int = 0
    blank_lines: int = 0
    flagged: int = 0
    total_tokens: Amount = 0
    input_tokens: Amount = 0
    output_tokens: Amount = 0
    text_tokens: Amount = 0
    image_tokens: Amount = 0
    errors: tuple[BadLine, ...] = ()

    @property
    def lines(self) -> int:
        """Lines read: good, bad and blank."""
        return self.records + self.without_usage + self.bad_lines + self.blank_lines

    def usage(self) -> Usage:
        """The summed counts as a :class:`PostV2ProxyImagesVariationsUsage`.

        Exact fractional sums are rounded to the nearest double here, once.
        """
        from ._models import InputTokensDetails  # noqa: PLC0415 - avoid a cycle at import

        def value(amount: Amount) -> int | float:
            return amount if type(amount) is int else float(amount)

        return Usage(
            value(self.total_tokens),
            value(self.input_tokens),
            value(self.output_tokens),
            InputTokensDetails(value(self.text_tokens), value(self.image_tokens)),
        )

    def __add__(self, other: object) -> Totals:
        if not isinstance(other, Totals):
            return NotImplemented
        return Totals(
            self.records + other.records,
            self.without_usage + other.without_usage,
            self.bad_lines + other.bad_lines,
            self.blank_lines + other.blank_lines,
            self.flagged + other.flagged,
            _normal(self.total_tokens + other.total_tokens),
            _normal(self.input_tokens + other.input_tokens),
            _normal(self.output_tokens + other.output_tokens),
            _normal(self.text_tokens + other.text_tokens),
            _normal(self.image_tokens + other.image_tokens),
            self.errors + other.errors,
        )

    def cost(self, price: Price) -> Decimal:
        """The exact cost of the text, image and output tokens at ``price``, in US dollars.

        ``text_tokens x price.text + image_tokens x price.image + output_tokens x
        price.output``, per 1,000,000 tokens, as an exact :class:`decimal.Decimal`.
        """
        from ._groups import cost  # noqa: PLC0415 - avoid a cycle at import

        return cost(self, price)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping: counts, then sums.

        A sum is an ``int`` when integral, else the nearest ``float`` or, beyond the range of
        a double, the exact :class:`decimal.Decimal` (every sum of doubles has a finite decimal
        form; write it as a JSON number, e.g. with msgspec's ``decimal_format="number"``).

        Keys: ``lines``, ``records``, ``without_usage``, ``bad_lines``, ``blank_lines``,
        ``flagged``, ``total_tokens``, ``input_tokens``, ``output_tokens``, ``text_tokens``,
        ``image_tokens`` and, when errors were collected, ``errors`` (a list of objects with
        ``source``, ``lineno``, ``path``, ``reason``).
        """
        out: dict[str, Any] = {
            "lines": self.lines,
            "records": self.records,
            "without_usage": self.without_usage,
            "bad_lines": self.bad_lines,
            "blank_lines": self.blank_lines,
            "flagged": self.flagged,
        }
        for name in TOKEN_FIELDS:
            amount = getattr(self, name)
            out[name] = amount if type(amount) is int else _json_amount(amount)
        if self.errors:
            out["errors"] = [
                {"source": e.source, "lineno": e.lineno, "path": e.path, "reason": e.reason}
                for e in self.errors
            ]
        return out


def exact_decimal(amount: Amount) -> Decimal:
    """The exact decimal value of a sum (its denominator is a power of two: always finite)."""
    if type(amount) is int:
        return Decimal(amount)
    num, den = amount.numerator, amount.denominator
    digits = len(str(abs(num))) + den.bit_length() + 2
    return Context(prec=digits).divide(Decimal(num), Decimal(den))


def _json_amount(amount: Fraction) -> float | Decimal:
    try:
        value = float(amount)
    except OverflowError:
        return exact_decimal(amount)
    return value


def add_amounts(a: Amount, b: Amount) -> Amount:
    """Add two exact sums, giving an ``int`` whenever the result is integral."""
    return _normal(a + b)


def _normal(amount: Amount) -> Amount:
    if type(amount) is Fraction and amount.denominator == 1:
        return int(amount)
    return amount


_ONE_ULP_SCALE = 1074  # 2**-1074 is the smallest positive double: every double is k * 2**-1074


def exact_sum(values: Sequence[int | float]) -> Amount:
    """Sum ints and finite floats exactly.

    Returns an ``int`` when the sum is integral (always, for ints alone), else a ``Fraction``.
    """
    fast = sum(values)
    return fast if type(fast) is int else _exact_mixed_sum(values)


def _exact_mixed_sum(values: Sequence[int | float]) -> Amount:
    whole = 0
    scaled = 0  # the part that came from floats, in units of 2**-1074
    for v in values:
        if type(v) is int:
            whole += v
        else:
            num, den = v.as_integer_ratio()
            scaled += num << (_ONE_ULP_SCALE + 1 - den.bit_length())
    return _normal(whole + Fraction(scaled, 1 << _ONE_ULP_SCALE))


_audit = Usage.audit
_T = attrgetter("total_tokens")
_I = attrgetter("input_tokens")
_O = attrgetter("output_tokens")
_X = attrgetter("input_tokens_details.text_tokens")
_M = attrgetter("input_tokens_details.image_tokens")


def batch_totals(usages: list[Usage]) -> tuple[int, Amount, Amount, Amount, Amount, Amount]:
    """Return ``(flagged, total, input, output, text, image)`` for a batch of usages.

    One plain loop does the common case (integer counts): CPython specialises its attribute
    loads and integer additions, which makes it about twice as fast as ``map`` with
    ``attrgetter`` over Structs. A record is flagged when ``total != input + output``,
    ``input != text + image`` or a count is negative (with both sums holding, ``output``,
    ``text`` and ``image`` non-negative imply the other two are). A batch holding a fraction
    is redone exactly: sums as rationals, flags by :meth:`Usage.audit` and its tolerance.
    """
    t: int | float = 0
    i: int | float = 0
    o: int | float = 0
    x: int | float = 0
    m: int | float = 0
    flagged = 0
    for u in usages:
        d = u.input_tokens_details
        a, b, c, e, f = (
            u.total_tokens,
            u.input_tokens,
            u.output_tokens,
            d.text_tokens,
            (d.image_tokens),
        )
        t += a
        i += b
        o += c
        x += e
        m += f
        if a != b + c or b != e + f or c < 0 or e < 0 or f < 0:
            flagged += 1
    if (
        type(t) is int
        and type(i) is int
        and type(o) is int
        and type(x) is int
        and (type(m) is int)
    ):
        return (flagged, t, i, o, x, m)
    # A float was seen (the running sum became one): exact sums, documented audit semantics.
    return (
        sum(1 for u in usages if _audit(u)),  # (twin instances too: see _records)
        _exact_mixed_sum(list(map(_T, usages))),
        _exact_mixed_sum(list(map(_I, usages))),
        _exact_mixed_sum(list(map(_O, usages))),
        _exact_mixed_sum(list(map(_X, usages))),
        _exact_mixed_sum(list(map(_M, usages))),
    )
