"""The breakdown and cost part of ``usagecodec summarize``: prices, sorting, table and JSON.

Kept apart from the command's plumbing (:mod:`._cli`): given grouped totals and prices, it
computes each group's exact cost and renders the table rows and the ``groups`` list of
``--json``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ._groups import GroupedTotals, Price, exact_cost_total
from ._totals import TOKEN_FIELDS, Totals, exact_decimal

__all__ = ["Prices", "group_rows", "groups_json", "load_prices"]


class Prices:
    """Prices to apply: one for everything (``--price``), or by the value of one group key.

    Args:
        single: The price of every record.
        key: The ``--by`` spec (as written) whose values select a price.
        table: Value of that key -> price.
        default: The price of values not in ``table`` (None: those records are unpriced).
    """

    def __init__(
        self,
        *,
        single: Price | None = None,
        key: str | None = None,
        table: Mapping[Any, Price] | None = None,
        default: Price | None = None,
    ) -> None:
        self.single = single
        self.key = key
        self.table = dict(table or {})
        self.default = default

    def for_group(self, by: Sequence[str], key: tuple[Any, ...]) -> Price | None:
        """The price of a group's records, or None when they have none."""
        if self.single is not None:
            return self.single
        value = key[list(by).index(self.key)] if self.key is not None and self.key in by else None
        return self.table.get(value, self.default)


def load_prices(path: str, by: Sequence[str]) -> Prices:
    """Read a prices file (TOML): ``key``, optional ``[default]``, and ``[prices.VALUE]``.

    Example::

        key = "model"
        [default]
        text = 5
        image = 10
        output = 40
        [prices."gpt-image-1-mini"]
        text = 2
        image = 2.5
        output = 8

    Raises:
        ValueError: Saying what is wrong (a message for the command line).
    """
    try:
        import tomllib  # type: ignore[import-not-found, unused-ignore]  # noqa: PLC0415
    except ImportError:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib  # type: ignore[import-not-found, no-redef, unused-ignore]  # noqa: PLC0415
        except ImportError:
            raise ValueError("--prices needs Python 3.11 or pip install tomli") from None
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f, parse_float=Decimal)
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from None
    unknown = set(data) - {"key", "default", "prices"}
    if unknown:
        raise ValueError(
            f"{path}: unknown entries {sorted(unknown)}; expected key, default, prices"
        )
    key = data.get("key")
    if not isinstance(key, str) or key not in by:
        raise ValueError(
            f"{path}: key = {key!r} must name one of the --by keys ({', '.join(by) or 'none'})"
        )
    table = data.get("prices", {})
    if not isinstance(table, dict):
        raise ValueError(f"{path}: [prices] must be a table of tables")
    prices = {
        value: Price.from_mapping(entry, f"{path}: prices.{value}")
        for value, entry in table.items()
    }
    default = data.get("default")
    return Prices(
        key=key,
        table=prices,
        default=None if default is None else Price.from_mapping(default, f"{path}: default"),
    )


def _cost(prices: Prices | None, by: Sequence[str], key: tuple[Any, ...], t: Totals) -> Any:
    if prices is None:
        return None
    price = prices.for_group(by, key)
    return None if price is None else t.cost(price)


def _sort_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    """Keys of mixed types in a stable order: null first, then booleans, numbers, strings."""
    out: list[tuple[int, Any]] = []
    for value in key:
        if value is None:
            out.append((0, 0))
        elif isinstance(value, bool):
            out.append((1, int(value)))
        elif isinstance(value, (int, float)):
            out.append((2, value))
        else:
            out.append((3, str(value)))
    return tuple(out)


def ordered(
    grouped: GroupedTotals, prices: Prices | None, sort: str
) -> list[tuple[tuple[Any, ...], Totals, Any]]:
    """``(key, totals, cost)`` for every group, in the order ``--sort`` asks."""
    rows = [(k, t, _cost(prices, grouped.by, k, t)) for k, t in grouped.items()]
    rows.sort(key=lambda row: _sort_key(row[0]))
    if sort == "tokens":
        rows.sort(key=lambda row: -row[1].total_tokens)
    elif sort == "cost":
        rows.sort(key=lambda row: (row[2] is None, -(row[2] or 0)))
    return rows


def groups_json(
    grouped: GroupedTotals, prices: Prices | None, sort: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The ``groups`` list of ``--json``, and the overall cost keys (``cost``, ...)."""
    rows = ordered(grouped, prices, sort)
    out = []
    for key, totals, cost in rows:
        item: dict[str, Any] = {
            "key": grouped.key_dict(key),
            "records": totals.records,
            "flagged": totals.flagged,
        }
        sums = totals.to_dict()
        item.update({name: sums[name] for name in TOKEN_FIELDS})
        if prices is not None:
            item["cost"] = cost
        out.append(item)
    return out, _overall(rows, prices)


def _overall(rows: Sequence[tuple[Any, Totals, Any]], prices: Prices | None) -> dict[str, Any]:
    if prices is None:
        return {}
    extra: dict[str, Any] = {"cost": exact_cost_total(c for _, _, c in rows if c is not None)}
    if prices.single is None:
        extra["unpriced_records"] = sum(t.records for _, t, c in rows if c is None)
    return extra


def group_rows(
    grouped: GroupedTotals, prices: Prices | None, sort: str, top: int | None
) -> list[str]:
    """The table of groups: one row a group (``--top`` folds the rest) and a total row."""
    rows = ordered(grouped, prices, sort)
    shown: list[tuple[list[str], Totals, Any]] = [
        ([_key_text(v) for v in key], totals, cost) for key, totals, cost in rows
    ]
    if top is not None and len(shown) > top:
        rest = rows[top:]
        folded = Totals()
        for _, totals, _ in rest:
            folded = folded + totals
        costs = [c for _, _, c in rest if c is not None]
        cost = exact_cost_total(costs) if costs else None
        label = [f"({len(rest):,} more)"] + [""] * (len(grouped.by) - 1)
        shown = [*shown[:top], (label, folded, cost)]
    total_cost = _overall(rows, prices).get("cost")
    shown.append((["total"] + [""] * (len(grouped.by) - 1), grouped.total, total_cost))
    header = [*grouped.by, "records", *TOKEN_FIELDS] + (["cost (USD)"] if prices else [])
    body = []
    for key_cells, totals, cost in shown:
        cells = [*key_cells, f"{totals.records:,}"]
        cells += [_amount(getattr(totals, name)) for name in TOKEN_FIELDS]
        if prices is not None:
            cells.append("unpriced" if cost is None else _money(cost))
        body.append(cells)
    widths = [max(len(row[k]) for row in [header, *body]) for k in range(len(header))]
    nkeys = len(grouped.by)

    def line(cells: list[str]) -> str:
        parts = [
            cell.ljust(widths[k]) if k < nkeys else cell.rjust(widths[k])
            for k, cell in enumerate(cells)
        ]
        return "  " + "  ".join(parts).rstrip()

    out = [line(header)]
    out += [line(cells) for cells in body[:-1]]
    out.append("  " + "-" * (sum(widths) + 2 * (len(widths) - 1)))
    out.append(line(body[-1]))
    unpriced = _overall(rows, prices).get("unpriced_records")
    if unpriced:
        out.append(f"  unpriced: {unpriced:,} records (no price for their {prices.key})")  # type: ignore[union-attr]
    return out


def _key_text(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")


def _amount(value: Any) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    return f"{exact_decimal(value):,.2f}"


def _money(value: Decimal) -> str:
    """A cost for the table: rounded to 1/10,000 of a dollar (exact in ``--json``)."""
    return f"{value:,.4f}"

