"""Breakdowns and prices: totals grouped by values of the records, and exact costs.

A group key is read from the *whole* record (whatever ``at`` says about the usage) at dotted
paths such as ``model`` or ``request.team``; ``PATH:hour``, ``PATH:day`` and ``PATH:month``
bucket a time (an RFC 3339 string or epoch seconds) in UTC. The keys of a chunk are decoded in
one msgspec call, with generated Structs that keep only the paths asked for, like the usage's
own envelopes; a line that does not fit (a path through a value that is not an object) is read
on its own, generically. Grouping never turns a good record into a bad line: a missing path, a
null or a time that does not parse is the null group.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Context, Decimal, InvalidOperation
from fractions import Fraction
from operator import attrgetter, methodcaller
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Struct

from ._options import path_keys
from ._scan import MAX_DEPTH, exceeds_depth
from ._totals import Amount, Totals, add_amounts, batch_totals

__all__ = [
    "FILE_KEY",
    "GroupSums",
    "GroupedTotals",
    "KeyReader",
    "KeySpec",
    "Price",
    "cost",
    "exact_cost_total",
    "keyed_type",
    "parse_specs",
]

_BUCKETS = ("hour", "day", "month")
FILE_KEY = "file"
"""The key name of ``--by-file`` (the source's name)."""


class KeySpec(Struct, frozen=True):
    """One grouping key: a dotted path into the record, optionally bucketed by time.

    Attributes:
        text: As written (``"ts:day"``): the key's name in outputs.
        keys: The path's keys.
        bucket: ``"hour"``, ``"day"``, ``"month"`` or ``None``.
        file: Group by the source's name instead of a path (``--by-file``).
    """

    text: str
    keys: tuple[str, ...] = ()
    bucket: str | None = None
    file: bool = False

    @classmethod
    def parse(cls, text: str) -> KeySpec:
        """Read ``PATH`` or ``PATH:hour|day|month``.

        Raises:
            ValueError: For an empty path, an empty key or an unknown bucket.
        """
        if not isinstance(text, str):
            raise TypeError(f"a group key must be a str, not {type(text).__name__}")
        path, sep, bucket = text.rpartition(":")
        if not sep:
            path, bucket = text, ""
        elif bucket not in _BUCKETS:
            raise ValueError(
                f"group key {text!r}: a time bucket is one of {', '.join(_BUCKETS)}"
            )
        try:
            keys = path_keys(path)
        except ValueError:
            raise ValueError(
                f"group key {text!r}: expected a dotted path such as 'model' or "
                "'request.team', optionally followed by :hour, :day or :month"
            ) from None
        return cls(text, tuple(keys), bucket or None)


def parse_specs(by: Iterable[str | KeySpec], *, by_file: bool = False) -> tuple[KeySpec, ...]:
    """The key specs of ``by`` (strings are parsed), with the file key last if asked."""
    if isinstance(by, str):
        by = [by]
    specs = [b if isinstance(b, KeySpec) else KeySpec.parse(b) for b in by]
    if by_file:
        specs.append(KeySpec(FILE_KEY, file=True))
    names = [s.text for s in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"a group key is given twice: {names}")
    return tuple(specs)


# --- reading keys ----------------------------------------------------------------------------


def _tree(specs: Sequence[KeySpec]) -> dict[str, Any]:
    """The paths as a tree of dicts; a leaf is the index of its spec."""
    root: dict[str, Any] = {}
    for index, spec in enumerate(specs):
        if spec.file:
            continue
        node = root
        for key in spec.keys[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                raise _Overlap
            node = child
        if spec.keys[-1] in node:
            raise _Overlap
        node[spec.keys[-1]] = index
    return root


class _Overlap(Exception):
    """One path is a prefix of another: read those records generically."""


_TIME = Annotated[datetime.datetime, msgspec.Meta(tz=True)] | int | float | None
"""A time to bucket, as the fast path reads it; anything else is read line by line."""


def _struct(
    node: dict[str, Any], name: str, specs: Sequence[KeySpec], usage_cls: type | None = None
) -> tuple[type, list[tuple[int, tuple[str, ...]]]]:
    """A lenient Struct for a tree node, and where each spec's value sits in it."""
    fields: list[Any] = []
    rename: dict[str, str] = {}
    where: list[tuple[int, tuple[str, ...]]] = []
    for k, (key, child) in enumerate(node.items()):
        attr = f"f{k}"
        rename[attr] = key
        if isinstance(child, dict):
            inner, found = _struct(child, f"{name}_{k}", specs, usage_cls)
            fields.append((attr, inner | msgspec.UnsetType, UNSET))
            where += [(index, (attr, *rest)) for index, rest in found]
        elif child == _USAGE_LEAF:
            fields.append((attr, usage_cls | msgspec.UnsetType, UNSET))
            where.append((child, (attr,)))
        else:
            kind = _TIME if specs[child].bucket else Any
            fields.append((attr, kind | msgspec.UnsetType, UNSET))
            where.append((child, (attr,)))
    return msgspec.defstruct(name, fields, rename=rename, gc=False), where


_USAGE_LEAF = -1
"""Marks the usage's place in a tree of paths (see :func:`keyed_type`)."""


def keyed_type(
    specs: Sequence[KeySpec], at_keys: Sequence[str], usage_cls: type
) -> tuple[type, tuple[str, ...], dict[int, tuple[str, ...]]] | None:
    """A lenient Struct that reaches both the usage at ``at_keys`` and the group keys.

    One decode then reads a record's usage and its keys together. Returns the class, the
    attribute path to the usage and, per spec index, the attribute path to its value; None
    when a key path and the usage's path overlap (one is a prefix of the other).
    """
    try:
        tree = _tree(specs)
    except _Overlap:
        return None
    node = tree
    for key in at_keys[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            return None
        node = child
    if at_keys[-1] in node:
        return None
    node[at_keys[-1]] = _USAGE_LEAF
    cls, where = _struct(tree, "_Keyed", specs, usage_cls)
    found = dict(where)
    usage = found.pop(_USAGE_LEAF)
    return cls, usage, found


_CAUGHT = (msgspec.MsgspecError, ValueError, TypeError, RecursionError)


class KeyReader:
    """Reads the group keys of records (see the module docstring).

    Keys come in a raw form, cheap to compute record by record (a time bucket is a ``date``
    or a ``datetime``); :meth:`finish` turns a distinct key into its final form (strings
    such as ``"2026-11-01"``), once per group.

    Args:
        specs: The keys.
        raw: Objects and arrays stay as decoded (for ``keep``), instead of being keyed by
            their compact JSON text.
    """

    def __init__(self, specs: Sequence[KeySpec], *, raw: bool = False) -> None:
        self.specs = tuple(specs)
        self.raw = raw
        self.paths = [s for s in self.specs if not s.file]
        self._generic = msgspec.json.Decoder().decode
        self._decode_lines: Any = None
        self._decode: Any = None
        self._getters: list[Any] = []
        self._where: dict[int, tuple[str, ...]] = {}
        try:
            tree = _tree(self.specs)
        except _Overlap:
            return
        cls, where = _struct(tree, "_Keys", self.specs)
        decoder: Any = msgspec.json.Decoder(cls)
        self._decode_lines = decoder.decode_lines
        self._decode = decoder.decode
        found = dict(where)
        self._getters = [
            attrgetter(".".join(found[k])) if k in found else None
            for k in range(len(self.specs))
        ]
        self._where = found

    def keys(
        self, chunk: bytes, first: int, linenos: Sequence[int], lines: int, name: str | None
    ) -> list[tuple[Any, ...]]:
        """The raw key of each line numbered in ``linenos`` (numbers from ``first``)."""
        n = len(linenos)
        if not self.paths:
            return [tuple(name for _ in self.specs)] * n
        objs = None
        consecutive = n == lines and (not n or linenos[0] == first)
        if consecutive and self._decode_lines is not None and _shallow_lines(chunk):
            try:
                objs = self._decode_lines(chunk)
            except _CAUGHT:
                objs = None
            if objs is not None and len(objs) != lines:
                objs = None
        if objs is not None:
            columns = [self._column(k, objs, name) for k in range(len(self.specs))]
            return list(zip(*columns, strict=True))
        parts = chunk.split(b"\n")
        return [self._line_key(parts[number - first], name) for number in linenos]

    def from_objects(
        self, objs: list[Any], where: dict[int, tuple[str, ...]], name: str | None
    ) -> list[tuple[Any, ...]]:
        """The raw keys of records decoded with :func:`keyed_type` (``where`` its paths)."""
        saved = self._getters, self._where
        self._where = where
        self._getters = [
            attrgetter(".".join(where[k])) if k in where else None
            for k in range(len(self.specs))
        ]
        try:
            columns = [self._column(k, objs, name) for k in range(len(self.specs))]
        finally:
            self._getters, self._where = saved
        return list(zip(*columns, strict=True))

    def _column(self, k: int, objs: list[Any], name: str | None) -> list[Any]:
        spec = self.specs[k]
        if spec.file:
            return [name] * len(objs)
        getter = self._getters[k]
        try:
            column = list(map(getter, objs))
        except AttributeError:  # a level of the path missing (UNSET) on some line
            column = [self._reach(obj, k) for obj in objs]
        # The kinds of values, once: cheaper than `UNSET in column`, which compares each
        # value with UNSET through the value's own __eq__.
        kinds = set(map(type, column))
        if msgspec.UnsetType in kinds:
            column = [None if v is UNSET else v for v in column]
            kinds.discard(msgspec.UnsetType)
            kinds.add(type(None))
        return self._normal(spec, column, kinds)

    def _reach(self, obj: Any, k: int) -> Any:
        for attr in self._where[k]:
            obj = getattr(obj, attr)
            if obj is UNSET:
                return None
        return obj

    def _normal(
        self, spec: KeySpec, column: list[Any], kinds: set[type] | None = None
    ) -> list[Any]:
        if kinds is None:
            kinds = set(map(type, column))
        if spec.bucket is not None:
            if (
                spec.bucket != "month"
                and kinds == {datetime.datetime}
                and set(map(_TZINFO, column)) == {_UTC}
            ):
                # The common case, a column of UTC times: bucketed by C methods, no Python
                # call a record (the same values as _raw_bucket gives).
                if spec.bucket == "day":
                    return list(map(datetime.datetime.date, column))
                return list(map(_HOUR, column))
            return [_raw_bucket(v, spec.bucket) for v in column]
        if not self.raw and (dict in kinds or list in kinds):
            return [_compact(v) if type(v) in (dict, list) else v for v in column]
        return column

    def _line_key(self, line: bytes, name: str | None) -> tuple[Any, ...]:
        """The key of one line, decoded on its own (generically if need be)."""
        line = line[3:] if line[:3] == b"\xef\xbb\xbf" else line
        values: list[Any] = [None] * len(self.specs)
        if not exceeds_depth(line, MAX_DEPTH):
            values = self._line_values(line)
        out = []
        for spec, value in zip(self.specs, values, strict=True):
            if spec.file:
                out.append(name)
            else:
                out.append(self._normal(spec, [value])[0])
        return tuple(out)

    def _line_values(self, line: bytes) -> list[Any]:
        if self._decode is not None:
            try:
                obj = self._decode(line)
            except _CAUGHT:
                pass
            else:
                return [
                    None if spec.file else self._reach(obj, k)
                    for k, spec in enumerate(self.specs)
                ]
        try:
            record = self._generic(line)
        except _CAUGHT:
            return [None] * len(self.specs)
        out: list[Any] = []
        for spec in self.specs:
            value = record
            for key in spec.keys:
                if not isinstance(value, dict):
                    value = None
                    break
                value = value.get(key)
            out.append(value)
        return out

    def finish(self, key: tuple[Any, ...]) -> tuple[Any, ...]:
        """A raw key in its final form (time buckets as strings)."""
        return tuple(
            _bucket_text(value, spec.bucket) if spec.bucket is not None else value
            for spec, value in zip(self.specs, key, strict=True)
        )


def _compact(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _shallow_lines(chunk: bytes) -> bool:
    from ._records import _shallow  # noqa: PLC0415 - one definition of the bound

    return _shallow(chunk)


_UTC = datetime.timezone.utc
_TZINFO = attrgetter("tzinfo")
_HOUR = methodcaller("replace", minute=0, second=0, microsecond=0)


def _raw_bucket(value: Any, bucket: str) -> Any:
    """A time's bucket in a cheap, hashable form: a UTC ``date`` or hour ``datetime``."""
    kind = type(value)
    if kind is datetime.datetime:
        when = value if value.tzinfo is _UTC else value.astimezone(_UTC)
    elif kind is int or kind is float:
        try:
            when = datetime.datetime.fromtimestamp(value, _UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif kind is str:
        try:
            when = msgspec.convert(value, _TIME)
        except (msgspec.ValidationError, ValueError, TypeError):
            return None
        if type(when) is not datetime.datetime:
            return None
        when = when.astimezone(_UTC)
    else:
        return None
    if bucket == "hour":
        return when.replace(minute=0, second=0, microsecond=0)
    day = when.date()
    return day.replace(day=1) if bucket == "month" else day


def _bucket_text(value: Any, bucket: str) -> str | None:
    if value is None:
        return None
    if bucket == "hour":
        return f"{value:%Y-%m-%dT%H}:00Z"
    text: str = value.isoformat()
    return text[:7] if bucket == "month" else text


# --- grouped totals --------------------------------------------------------------------------


class GroupedTotals(Mapping[tuple[Any, ...], Totals]):
    """Totals per group, and overall: a mapping from key tuple to :class:`Totals`.

    The groups add up exactly to :attr:`total` for records, flagged records and the five
    sums; lines without usage, bad and blank lines belong to no group and count in
    :attr:`total` only. Compare with ``==``, add with ``+`` (parts of a source, in order).

    Args:
        by: The key specs, as written (``("model", "ts:day")``).
        groups: Key tuple -> totals of the records of that group.
        total: The overall totals.
    """

    __slots__ = ("_groups", "by", "total")
    _groups: dict[tuple[Any, ...], Totals]
    by: tuple[str, ...]
    total: Totals

    def __init__(
        self, by: Sequence[str], groups: Mapping[tuple[Any, ...], Totals], total: Totals
    ) -> None:
        self.by = tuple(by)
        self._groups = dict(groups)
        self.total = total

    def __getitem__(self, key: tuple[Any, ...]) -> Totals:
        return self._groups[key]

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._groups)

    def __len__(self) -> int:
        return len(self._groups)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GroupedTotals):
            return NotImplemented
        return (self.by, self._groups, self.total) == (other.by, other._groups, other.total)

    __hash__ = None  # type: ignore[assignment]

    def __add__(self, other: object) -> GroupedTotals:
        if not isinstance(other, GroupedTotals):
            return NotImplemented
        if other.by != self.by:
            raise ValueError(f"cannot add totals grouped by {self.by} and by {other.by}")
        groups = dict(self._groups)
        for key, totals in other._groups.items():
            mine = groups.get(key)
            groups[key] = totals if mine is None else mine + totals
        return GroupedTotals(self.by, groups, self.total + other.total)

    def __repr__(self) -> str:
        return f"GroupedTotals(by={self.by!r}, groups={len(self)}, total={self.total!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (GroupedTotals, (self.by, self._groups, self.total))

    def key_dict(self, key: tuple[Any, ...]) -> dict[str, Any]:
        """A key tuple as an object from each spec, as written, to its value."""
        return dict(zip(self.by, key, strict=True))


class GroupSums:
    """Running per-group sums, filled a batch at a time (memory grows with groups)."""

    def __init__(self) -> None:
        self.sums: dict[tuple[Any, ...], list[Any]] = {}

    def add(self, keys: Sequence[tuple[Any, ...]], usages: Sequence[Any]) -> None:
        """Add a batch: ``keys[i]`` is the key of ``usages[i]``."""
        members: dict[tuple[Any, ...], list[Any]]
        if keys and keys[0] == keys[-1] and keys.count(keys[0]) == len(keys):  # one group
            members = {keys[0]: list(usages)}
        else:
            members = defaultdict(list)
            for key, usage in zip(keys, usages, strict=True):
                members[key].append(usage)
        sums = self.sums
        for key, group in members.items():
            flagged, t, i, o, x, m = batch_totals(group)
            acc = sums.get(key)
            if acc is None:
                sums[key] = [len(group), flagged, t, i, o, x, m]
            else:
                acc[0] += len(group)
                acc[1] += flagged
                for k, amount in enumerate((t, i, o, x, m), 2):
                    acc[k] = add_amounts(acc[k], amount)

    def totals(self) -> dict[tuple[Any, ...], Totals]:
        """The groups' :class:`Totals` (counts of records, flagged and the five sums).

        The running sums are consumed as they are converted, so that a million groups are
        never held twice.
        """
        out: dict[tuple[Any, ...], Totals] = {}
        sums = self.sums
        while sums:
            key, (r, f, t, i, o, x, m) = sums.popitem()
            out[key] = Totals(records=r, flagged=f, total_tokens=t, input_tokens=i,
                              output_tokens=o, text_tokens=x, image_tokens=m)  # fmt: skip
        return out


# --- prices ----------------------------------------------------------------------------------

_PER = Decimal(1_000_000)


class Price(Struct, frozen=True):
    """US dollars per 1,000,000 tokens: input text, input image and output tokens.

    The shape of the public price lists of image models. Values are exact decimals.

    Attributes:
        text: Price of input text tokens.
        image: Price of input image tokens.
        output: Price of output tokens.
    """

    text: Decimal
    image: Decimal
    output: Decimal

    def __post_init__(self) -> None:
        for name in ("text", "image", "output"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
                raise ValueError(f"price {name} must be a finite, non-negative Decimal")

    @classmethod
    def parse(cls, text: str) -> Price:
        """Read ``text=5,image=10,output=40`` (every name once; numbers as decimals).

        Raises:
            ValueError: Saying what is wrong with the text.
        """
        values: dict[str, Decimal] = {}
        for part in text.split(","):
            name, sep, number = part.partition("=")
            name = name.strip()
            if not sep or name not in ("text", "image", "output") or name in values:
                raise ValueError(
                    f"price {text!r}: expected text=N,image=N,output=N (USD per 1M tokens)"
                )
            values[name] = _decimal(number.strip(), f"price {name}")
        missing = {"text", "image", "output"} - set(values)
        if missing:
            raise ValueError(f"price {text!r}: missing {', '.join(sorted(missing))}")
        return cls(**values)

    @classmethod
    def from_mapping(cls, value: Mapping[str, Any], where: str) -> Price:
        """Read ``{"text": 5, "image": 10, "output": 40}`` (from a prices file)."""
        if not isinstance(value, Mapping) or set(value) != {"text", "image", "output"}:
            raise ValueError(f"{where}: expected text, image and output")
        return cls(**{k: _decimal(value[k], f"{where}.{k}") for k in ("text", "image", "output")})

    def cost(self, totals: Totals) -> Decimal:
        """The exact cost of ``totals``' text, image and output tokens, in US dollars."""
        return cost(totals, self)


def _decimal(value: object, what: str) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"{what}: expected a number, got {value!r}")
    if isinstance(value, float):
        value = repr(value)  # the number as written (TOML floats arrive as doubles)
    try:
        number = Decimal(value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"{what}: expected a number, got {value!r}") from None
    if not number.is_finite() or number < 0:
        raise ValueError(f"{what}: expected a finite, non-negative number, got {value!r}")
    return number


def cost(totals: Totals, price: Price) -> Decimal:
    """Exact cost: text x text price + image x image price + output x output price, per 1M."""
    exact = (
        _fraction(totals.text_tokens) * Fraction(price.text)
        + _fraction(totals.image_tokens) * Fraction(price.image)
        + _fraction(totals.output_tokens) * Fraction(price.output)
    ) / 1_000_000
    return _to_decimal(exact)


def _fraction(amount: Amount) -> Fraction:
    return Fraction(amount)


def _to_decimal(value: Fraction) -> Decimal:
    """The exact decimal of a fraction whose denominator has only the factors 2 and 5."""
    if value.denominator == 1:
        return Decimal(value.numerator)
    digits = len(str(abs(value.numerator))) + value.denominator.bit_length() + 2
    return Context(prec=digits).divide(Decimal(value.numerator), Decimal(value.denominator))


def exact_cost_total(costs: Iterable[Decimal]) -> Decimal:
    """Add costs exactly (decimals of any length)."""
    total = Fraction(0)
    for c in costs:
        total += Fraction(c)
    return _to_decimal(total)

