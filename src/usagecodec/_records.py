"""Decoding records: a whole chunk of lines at once when they share a shape, else line by line.

A record (one line) is a bare usage, a response body (its ``usage`` is taken) or, with
``at``, an object holding the usage at a dotted path. :class:`~._line.LineDecoder` decodes one line
whatever it holds, with the codec's full rules and error messages: it is the definition of
what a line means. :class:`ChunkDecoder` gets the same answers faster:

1. **A chunk at once.** Each *shape* (record kind x dialect x strictness) has a msgspec
   decoder; the chunk goes to its ``decode_lines``, the shape that worked last tried first.
   ``decode_lines`` accepts any whitespace between documents, so a success is kept only when
   the chunk holds one document per line (:func:`one_per_line`): a line with two documents,
   a document over two lines or a bare CR between documents sends the chunk to step 2.
2. **Halves.** A chunk that no shape decodes is split in two, and each half tried again,
   down to a few lines; under ``wire="auto"``, lines are first sorted by their dialect.
3. **Line by line.** Each remaining line is tried with the shapes' single-document decoders,
   and then, if none fits, with :class:`LineDecoder`, which says what is wrong.

A shape is used only where its answer is the one :class:`LineDecoder` would give: lenient
classes (which skip unknown values) only after the nesting depth of every line is bounded;
a snake shape under ``auto`` that could also read as camel only when no line can be camel;
a lenient body only when no line could also be read as a bare usage (a usage comes first).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import attrgetter, itemgetter
from typing import Any

import msgspec
from msgspec import UNSET

from ._codec import UsageCodec
from ._errors import UsageDecodeError
from ._framing import count_lines as _count_lines
from ._groups import KeyReader, KeySpec, keyed_type
from ._input import BOM as _BOM
from ._input import CAUGHT as _CAUGHT
from ._input import blank as _blank
from ._line import LineDecoder, envelope_type
from ._models import PostV2ProxyImagesVariationsResponseBody as Body
from ._models import PostV2ProxyImagesVariationsUsage as Usage
from ._options import ReadOptions
from ._scan import MAX_DEPTH, ScanError, exceeds_depth, prescan
from ._variants import ADOPT, DIALECTS

__all__ = ["Batch", "ChunkDecoder", "LineDecoder", "envelope_type", "one_per_line"]

_adopt_usage = ADOPT[Usage]


# --- the shapes of a chunk -------------------------------------------------------------------

_USAGE, _BODY, _ENVELOPE = 0, 1, 2
_NOT_OPENERS = bytes(b for b in range(256) if b not in b"[{\n")
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b"[]{},:\n \t\r")
_WS_NOT_NL = b" \t\r"
_HUGE = 1 << 20
"""A line longer than this is read on its own, by the line decoder (bounded memory)."""
_LONG_LINES = 16384
"""Chunks whose lines are this long on average have their long strings removed first."""
_STRINGS_PER_LINE = 256
"""Short strings the removal may step over per line before it gives up (see prescan)."""
_NOT_UNDERSCORE = bytes(b for b in range(256) if b not in b"_\n")


class _Shape:
    """One way to read every record of a chunk: a record kind, a dialect, a class variant."""

    __slots__ = (
        "adopt",
        "decode",
        "decode_lines",
        "depth",
        "guard",
        "keys",
        "kind",
        "name",
        "reach",
        "reach_path",
        "where",
    )

    def __init__(
        self, kind: int, cls: type, *, adopt: bool, depth: bool, guard: bool, keys: int = 0
    ) -> None:
        decoder: Any = msgspec.json.Decoder(cls)
        self.decode: Callable[[bytes], Any] = decoder.decode
        self.decode_lines: Callable[[bytes], list[Any]] = decoder.decode_lines
        self.kind = kind
        self.adopt = adopt  # the usage is a twin instance, to be made public
        self.depth = depth  # skips unknown values: the depth of every line must be bounded
        self.guard = guard  # snake under auto: no line may be readable as camel
        self.keys = keys  # envelope: number of keys down to the usage
        self.reach = attrgetter(".".join(["value"] * keys)) if keys else None
        self.where: dict[int, tuple[str, ...]] | None = None  # keyed: each group key's path
        self.reach_path: tuple[str, ...] = ()  # keyed: the attributes down to the usage
        self.name = cls.__name__


def _body_probe_class(dialect: str, strict: bool, wires: tuple[str, ...]) -> type:
    """The body class of a dialect, plus (lenient only) fields that reveal top-level usage keys.

    A lenient body skips unknown fields, so a line can read both as a body and as a bare
    usage; the extra fields (raw values, validated like any skipped value) tell such lines.
    """
    base = (DIALECTS[dialect].strict if strict else DIALECTS[dialect].lenient)[Body]
    if strict:
        return base
    names = {"camel": "totalTokens", "snake": "total_tokens"}
    fields: list[Any] = [
        (f.name, f.type, f.default) if not f.required else (f.name, f.type)
        for f in msgspec.structs.fields(base)
    ]
    rename = {f.name: f.encode_name for f in msgspec.structs.fields(base)}
    for w in wires:
        fields.append((f"probe_{w}", msgspec.Raw | msgspec.UnsetType, UNSET))
        rename[f"probe_{w}"] = names[w]
    return msgspec.defstruct("_BodyProbe", fields, rename=rename, gc=False)


def _shapes(options: ReadOptions, specs: Sequence[KeySpec] = ()) -> list[_Shape]:
    wires = ("camel", "snake") if options.wire == "auto" else (options.wire,)
    strict = options.strict
    shapes: list[_Shape] = []
    if options.at is not None:
        keys = list(options.at_keys)
        for name in wires:
            for lenient in (False, True) if not strict else (False,):
                cls = (DIALECTS[name].lenient if lenient else DIALECTS[name].strict)[Usage]
                keyed = keyed_type(specs, keys, cls) if specs else None
                shape = _Shape(
                    _ENVELOPE,
                    envelope_type(keys, cls) if keyed is None else keyed[0],
                    adopt=cls is not Usage,
                    depth=True,
                    guard=lenient and name == "snake" and len(wires) == 2,
                    keys=len(keys),
                )
                if keyed is not None:  # the usage and the group keys in one decode
                    shape.reach = attrgetter(".".join(keyed[1]))
                    shape.reach_path = keyed[1]
                    shape.keys = -len(keyed[1])
                    shape.where = keyed[2]
                shapes.append(shape)
        return shapes
    variants = (False, True) if not strict else (False,)
    for lenient in variants:
        for name in wires:
            cls = (DIALECTS[name].lenient if lenient else DIALECTS[name].strict)[Usage]
            shapes.append(
                _Shape(
                    _USAGE,
                    cls,
                    adopt=cls is not Usage,
                    depth=lenient,
                    guard=lenient and name == "snake" and len(wires) == 2,
                )
            )
    shapes.extend(
        _Shape(
            _BODY,
            _body_probe_class(name, not lenient, wires),
            adopt=name == "snake" or lenient,
            depth=lenient,
            guard=lenient and name == "snake" and len(wires) == 2,
        )
        for lenient in variants
        for name in wires
    )
    return shapes


def one_per_line(
    chunk: bytes, documents: int, structure: bytes | None = None, lines: int | None = None
) -> int:
    r"""Given that ``chunk`` decoded as ``documents`` JSON objects, check each is on a line.

    ``decode_lines`` accepts any whitespace between documents. In a sequence of valid JSON
    objects, a ``}`` followed (after whitespace) by a ``{`` occurs exactly between two
    documents, never inside one: the grammar puts a ``,`` or a ``:`` there. (Inside a string
    it can occur: that only sends a good chunk to the slower path.) So no two documents share
    a line when no ``}`` is followed by a ``{`` with only spaces, tabs and CRs between. Then
    each document starts a line of its own, and every document is alone on its line exactly
    when there are ``documents`` non-blank lines.

    Returns:
        The number of blank lines of the chunk, or -1 when some line does not hold exactly
        one document.
    """
    if _SHARED_LINE(chunk if structure is None else structure) is not None:
        return -1
    if lines is None:
        lines = _count_lines(chunk)
    if lines == documents:
        return 0
    # Blank lines (or a document over two lines): count the lines with content.
    t = chunk.translate(None, _WS_NOT_NL)
    while b"\n\n" in t:
        t = t.replace(b"\n\n", b"\n")
    if _count_lines(t.lstrip(b"\n")) != documents:
        return -1
    return lines - documents


_SHARED_LINE = re.compile(rb"\}[ \t\r]*\{").search


def _structure(chunk: bytes) -> bytes:
    """The chunk's brackets, commas, colons and whitespace, everything else removed.

    One pass serves both checks of a lenient shape: the depth bound (its openers, line by
    line) and :func:`one_per_line` (a ``}`` then a ``{`` with only whitespace between stays
    so; removing other bytes can only make more such pairs, from strings, which costs a good
    chunk the slower path, never a bad one the check).
    """
    return chunk.translate(None, _NOT_STRUCTURE)


def _shallow(chunk: bytes, structure: bytes | None = None) -> bool:
    """Whether no line of ``chunk`` can nest deeper than MAX_DEPTH (it has few brackets)."""
    source = chunk if structure is None else structure
    openers = source.translate(None, _NOT_OPENERS)
    if len(openers) - openers.count(b"\n") <= MAX_DEPTH:
        return True
    return max(map(len, openers.split(b"\n"))) <= MAX_DEPTH


def _camel_free(chunk: bytes) -> bool:
    """Whether no line can hold a camelCase usage key (not even written with escapes)."""
    return b"Tokens" not in chunk and b"\\" not in chunk


# --- what a chunk gave -----------------------------------------------------------------------


@dataclass
class Batch:
    """What one chunk gave: its usages with their line numbers, its counts, its bad lines."""

    usages: list[Usage]
    linenos: Any  # Sequence[int]: a range when the usages are consecutive lines
    lines: int = 0
    without_usage: int = 0
    blank: int = 0
    bad: list[tuple[int, UsageDecodeError]] = field(default_factory=list)
    twins: bool = False  # the usages may be private twin instances, not yet made public
    # Lines of two dialects decoded apart: ``usages`` holds the first group, then the
    # second; ``order`` says, line by line, whether the usage comes from the second.
    order: list[bool] | None = None
    split: int = 0
    chunk: bytes = b""  # the chunk's bytes and its first line number (for group keys)
    first: int = 1
    keys: list[tuple[Any, ...]] | None = None  # group keys read with the usages (raw, no file)

    def public(self) -> list[Usage]:
        """The usages in line order, as public instances (done in place on first call)."""
        if self.twins:
            self.twins = False
            for u in self.usages:
                if type(u) is not Usage:
                    _adopt_usage(u)
        if self.order is not None:
            first, second = iter(self.usages[: self.split]), iter(self.usages[self.split :])
            self.usages = [next(second) if f else next(first) for f in self.order]
            self.order = None
        return self.usages

    def groups(self) -> list[list[Usage]]:
        """The usages, in groups of one class each where that is cheap (for sums)."""
        if self.order is not None:
            return [self.usages[: self.split], self.usages[self.split :]]
        return [self.usages]

    @property
    def records(self) -> int:
        """Lines that carried a usage."""
        return len(self.usages)


class ChunkDecoder:
    """Decode the records of chunks of whole lines (see the module's docstring)."""

    _SMALL = 8
    """Below this many lines, a failed span is decoded line by line."""

    def __init__(self, options: ReadOptions, specs: Sequence[KeySpec] = ()) -> None:
        self.options = options
        self.codec = UsageCodec(options.wire, "json", strict=options.strict)
        self.line = LineDecoder(self.codec, options.at)
        self.shapes = _shapes(options, specs)
        self.key_reader = KeyReader(specs) if specs else None
        self._objs: list[Any] = []  # the last whole decode's objects (for keyed shapes)
        self._shape: _Shape | None = None
        self.auto = options.wire == "auto"
        self.strict = options.strict
        self.mixed = False  # under auto: the last chunk mixed the dialects line by line
        self._no_none = False  # the last whole decode gave usages only (no record without)

    def decode(self, chunk: bytes, lineno: int) -> Batch:
        """Decode a chunk of whole lines whose first line is number ``lineno``."""
        lines = _count_lines(chunk)
        if lines == 1 and len(chunk) > _HUGE:
            # One very long line (a body carrying big images, or something hostile): the
            # line decoder reads it in bounded memory, without building its data list.
            batch = Batch([], [], 1)
            self._one(chunk[:-1] if chunk.endswith(b"\n") else chunk, lineno, batch, full=True)
            return batch
        if self.mixed and lines > self._SMALL:  # the last chunk mixed dialects: this one too?
            parts = chunk.split(b"\n")
            if len(parts) > lines:
                del parts[lines:]
            batch = Batch([], [], lines, twins=True)
            self._by_dialect(parts, list(range(lineno, lineno + lines)), batch, tried=False)
            return batch
        found = self._whole(chunk, lines)
        if found is not None:
            outcomes, blank, twins = found
            if not blank and (self._no_none or None not in outcomes):
                batch = Batch(outcomes, range(lineno, lineno + lines), lines, twins=twins)
                shape = self._shape
                if self.key_reader is not None and shape is not None and shape.where:
                    batch.keys = self.key_reader.from_objects(self._objs, shape.where, None)
                return batch
        parts = chunk.split(b"\n")
        if len(parts) > lines:
            del parts[lines:]  # the empty piece after the final newline
        numbers = list(range(lineno, lineno + lines))
        batch = Batch([], [], lines, twins=True)
        if found is not None:
            _accept(batch, found, parts, numbers)
        elif self.auto and lines > self._SMALL:
            self._by_dialect(parts, numbers, batch)
        else:
            self._span(parts, numbers, batch, tried=True)
        return batch

    # -- a whole span -----------------------------------------------------------------------

    def _whole(self, data: bytes, lines: int | None = None) -> tuple[list[Any], int, bool] | None:
        """Decode every line of ``data`` with one shape, if one fits them all.

        Returns:
            The outcome of each non-blank line (a usage, or None for a record without one),
            the number of blank lines, and whether the usages may be twin instances; None
            when no shape fits every line.
        """
        shallow: bool | None = None
        camel_free: bool | None = None
        structure: bytes | None = None
        shapes = self.shapes
        if lines is None:
            lines = _count_lines(data)
        if len(data) >= _LONG_LINES * lines and self.options.at is None:
            # Long lines (bodies carrying base64 images): their long strings are validated
            # in bulk and removed; the rest parses as the lines would (see _scan.prescan).
            # Every string stays within its line: a removed content never holds a newline.
            try:
                data = prescan(data, max_strings=_STRINGS_PER_LINE * lines) or data
            except ScanError:
                return None
        for k, shape in enumerate(shapes):
            if shape.depth:
                if shallow is None:
                    structure = _structure(data)
                    shallow = _shallow(data, structure)
                if not shallow:
                    continue
            if shape.guard:
                if camel_free is None:
                    camel_free = _camel_free(data)
                if not camel_free:
                    continue
            try:
                objs = shape.decode_lines(data)
            except _CAUGHT:
                continue
            blank = one_per_line(data, len(objs), structure if shape.depth else None, lines)
            if blank < 0:
                return None  # not one document a line: no other shape changes that
            outcomes = self._outcomes(shape, objs)
            if outcomes is None:
                return None
            if k:
                shapes.insert(0, shapes.pop(k))
            self._no_none = shape.kind == _USAGE  # a bare usage always has one
            self._objs, self._shape = objs, shape
            return outcomes, blank, shape.adopt
        return None

    def _outcomes(self, shape: _Shape, objs: list[Any]) -> list[Any] | None:
        """The usage (or None) of each decoded object, or None when the answer is in doubt.

        The usages may be private twin instances (same fields): :meth:`Batch.public` makes
        them public when they are handed out; summing needs no more.
        """
        kind = shape.kind
        if kind == _USAGE:
            usages = objs
        elif kind == _BODY:
            usages = list(map(_USAGE_OF, objs))
            if shape.depth:  # lenient: a body without usage, or with usage keys, is in doubt
                if UNSET in usages:
                    return None
                if any(
                    value is not UNSET
                    for obj in objs
                    for value in msgspec.structs.astuple(obj)[6:]
                ):
                    return None
            elif UNSET in usages:
                usages = [None if u is UNSET else u for u in usages]
        else:
            assert shape.reach is not None
            try:
                usages = list(map(shape.reach, objs))
            except AttributeError:  # a level missing (UNSET) on some line
                usages = [_reach(obj, shape) for obj in objs]
            else:
                if UNSET in usages:
                    usages = [None if u is UNSET else u for u in usages]
        if self.strict and any(u is not None and _negative(u) for u in usages):
            return None  # LineDecoder names the negative count
        return usages

    # -- failed spans -----------------------------------------------------------------------

    def _by_dialect(
        self, parts: list[bytes], numbers: list[int], batch: Batch, *, tried: bool = True
    ) -> None:
        """Under ``auto``: read the lines of each dialect together, then merge in line order."""
        # The guess needs only be right for speed: a line in the wrong group fails there and
        # is decoded on its own. Snake keys have underscores, camel ones none.
        snake = list(map(bool, b"\n".join(parts).translate(None, _NOT_UNDERSCORE).split(b"\n")))
        camel = [not flag for flag in snake]
        if all(snake) or all(camel):
            self.mixed = False
            self._span(parts, numbers, batch, tried=tried)
            return
        self.mixed = True
        groups = []
        for flags in (camel, snake):
            sub = Batch([], [], 0)
            self._span(list(compress(parts, flags)), list(compress(numbers, flags)), sub)
            groups.append(sub)
        a, b = groups
        batch.without_usage += a.without_usage + b.without_usage
        batch.blank += a.blank + b.blank
        if a.bad or b.bad:
            batch.bad.extend(sorted(a.bad + b.bad, key=_FIRST))
        if len(a.usages) + len(b.usages) == len(parts) and not batch.usages:
            # Every line a usage: put them in line order only when they are handed out.
            batch.usages = a.usages + b.usages
            batch.split = len(a.usages)
            batch.order = snake
            batch.linenos = numbers
        else:
            pairs = sorted(zip([*a.linenos, *b.linenos], [*a.usages, *b.usages], strict=True))
            batch.usages.extend([u for _, u in pairs])
            batch.linenos.extend([n for n, _ in pairs])

    def _span(
        self, parts: list[bytes], numbers: list[int], batch: Batch, *, tried: bool = False
    ) -> None:
        """Decode lines ``parts`` (numbered ``numbers``) into ``batch``, halving on failure."""
        n = len(parts)
        if n > self._SMALL:
            found = None if tried else self._whole(b"\n".join(parts))
            if found is not None:
                _accept(batch, found, parts, numbers)
                return
            mid = n // 2
            self._span(parts[:mid], numbers[:mid], batch)
            self._span(parts[mid:], numbers[mid:], batch)
            return
        for part, number in zip(parts, numbers, strict=True):
            self._one(part, number, batch)

    def _one(self, line: bytes, number: int, batch: Batch, *, full: bool = False) -> None:
        """Decode one line into ``batch``; ``full``: with the line decoder only."""
        if _blank(line):
            batch.blank += 1
            return
        usage: Any = _MISS
        data = line[3:] if line[:3] == _BOM else line
        if not full and data.rstrip(b" \t\r").endswith(b"}"):
            usage = self._single(data)
        if usage is _MISS:
            try:
                usage = self.line(line)
            except UsageDecodeError as err:
                batch.bad.append((number, err))
                return
        if usage is None:
            batch.without_usage += 1
        else:
            batch.usages.append(usage)
            batch.linenos.append(number)

    def _single(self, line: bytes) -> Any:
        """One line through the shapes' single-document decoders; _MISS when none fits."""
        shallow: bool | None = None
        for shape in self.shapes:
            if shape.depth:
                if shallow is None:
                    shallow = not exceeds_depth(line, MAX_DEPTH)
                if not shallow:
                    continue
            if shape.guard and not _camel_free(line):
                continue
            try:
                obj = shape.decode(line)
            except _CAUGHT:
                continue
            outcomes = self._outcomes(shape, [obj])
            return _MISS if outcomes is None else outcomes[0]
        return _MISS


_MISS = object()
_USAGE_OF = attrgetter("usage")
_FIRST = itemgetter(0)


def _reach(obj: Any, shape: _Shape) -> Any:
    """The usage at the end of an envelope's path, or None where a level is missing."""
    attrs = ["value"] * shape.keys if shape.keys > 0 else shape.reach_path
    for attr in attrs:
        obj = getattr(obj, attr)
        if obj is UNSET:
            return None
    return obj


def _accept(
    batch: Batch, found: tuple[list[Any], int, bool], parts: list[bytes], numbers: list[int]
) -> None:
    """Add the outcomes of a span decoded at once (blank lines skipped) to ``batch``."""
    outcomes = found[0]
    if len(outcomes) != len(parts):
        numbers = [n for part, n in zip(parts, numbers, strict=True) if not _blank(part)]
        batch.blank += len(parts) - len(outcomes)
    if None not in outcomes:
        batch.usages.extend(outcomes)
        batch.linenos.extend(numbers)
        return
    for usage, number in zip(outcomes, numbers, strict=True):
        if usage is None:
            batch.without_usage += 1
        else:
            batch.usages.append(usage)
            batch.linenos.append(number)


def _negative(u: Usage) -> bool:
    d = u.input_tokens_details
    return (
        u.total_tokens < 0
        or u.input_tokens < 0
        or u.output_tokens < 0
        or d.text_tokens < 0
        or d.image_tokens < 0
    )
