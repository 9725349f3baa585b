"""Positions and diagnostics shared by the parser, the validator and the formatter.

Codes are stable and never reused (README, "Rule codes"): ABC0xx bytes and encoding,
ABC1xx syntax, ABC2xx file and header structure, ABC3xx music, ABC4xx style, ABC9xx
internal. The parser emits some of them while it reads (undecodable bytes, stray
characters, unclosed brackets, field values it cannot read); the validator owns the
registry that describes every code and sets its severity per mode.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NamedTuple


class Span(NamedTuple):
    """Where a node or a problem is: 1-based line and column (code points), end exclusive,
    and 0-based offsets into the whole text. A NamedTuple because the parser makes one per
    element and a tuple is the cheapest immutable record in CPython."""

    line: int
    col: int
    end_line: int
    end_col: int
    start: int
    end: int


# A compact span (issue 15: the model's memory per input byte). Most spans lie on one line,
# so their column follows from the offset and the offset where the line starts: a span of
# one line is (start, length, line, line start) packed into one int, 40 bytes, where a Span
# and its own int objects take about 160. The model's nodes keep the int and give a Span
# back when ``span`` is read (``model.SpanSlot``). Layout, low bits first: line (24 bits),
# offset of the line's start (40), length (16), start (the rest).
_LINE_BITS = 24
_LINE_MASK = (1 << _LINE_BITS) - 1
_LINE_START_BITS = 40
_LINE_START_MASK = (1 << _LINE_START_BITS) - 1
_LOW_BITS = _LINE_BITS + _LINE_START_BITS
_LENGTH_BITS = 16
_LENGTH_MASK = (1 << _LENGTH_BITS) - 1
_START_SHIFT = _LOW_BITS + _LENGTH_BITS
#: For writers that pack inline (the builder's note loop): a span of one line is
#: ``(start << SPAN_LENGTH_BITS | length) << SPAN_LOW_BITS | line_key(...)`` when its
#: length is at most SPAN_MAX_LENGTH.
SPAN_LENGTH_BITS = _LENGTH_BITS
SPAN_LOW_BITS = _LOW_BITS
SPAN_MAX_LENGTH = _LENGTH_MASK
#: Span(...) goes through NamedTuple's Python-level __new__; tuple.__new__ makes the same
#: object in a third of the time, which matters at one span per element.
new_span = tuple.__new__


def line_key(line: int, line_start: int) -> int | None:
    """The low bits that every packed span on one line shares, or None when the line or
    its start offset is too large to pack (then spans stay :class:`Span`)."""
    if 0 < line <= _LINE_MASK and 0 <= line_start <= _LINE_START_MASK:
        return line_start << _LINE_BITS | line
    return None


# A span over several lines (a tune, its header, a field continued by +: lines), or one
# whose columns are not its offsets' difference, packs into a negative int: -1 - the fields,
# low bits first: line (24 bits), offset of its line's start (40), end_line - line (24),
# offset of the end line's start (40), length (40), start (the rest). A book of small
# tunes kept two such Spans and their ints per tune (about 350 bytes).
_WIDE_LENGTH_SHIFT = 2 * _LINE_BITS + 2 * _LINE_START_BITS
_WIDE_START_SHIFT = _WIDE_LENGTH_SHIFT + _LINE_START_BITS
_LINE_START_LIMIT = 1 << _LINE_START_BITS
_LINE_LIMIT = 1 << _LINE_BITS


def pack_span(line: int, col: int, end_line: int, end_col: int, start: int, end: int) -> int | Span:
    """The span as one int when it fits the layout, else a Span.
    ``unpack_span(pack_span(*s)) == s`` for every span (a property test checks it)."""
    length = end - start
    key = line_key(line, start - col + 1)
    if key is not None and 0 <= length <= _LENGTH_MASK and end_line == line \
            and end_col - col == length:
        return (start << _LENGTH_BITS | length) << _LOW_BITS | key
    line_start, delta, end_start = start - col + 1, end_line - line, end - end_col + 1
    if not (0 < line < _LINE_LIMIT and 0 <= delta < _LINE_LIMIT and start >= 0
            and 0 <= line_start < _LINE_START_LIMIT and 0 <= end_start < _LINE_START_LIMIT
            and 0 <= length < _LINE_START_LIMIT):
        return new_span(Span, (line, col, end_line, end_col, start, end))
    return -1 - (start << _WIDE_START_SHIFT | length << _WIDE_LENGTH_SHIFT
                 | end_start << _LOW_BITS + _LINE_BITS | delta << _LOW_BITS
                 | line_start << _LINE_BITS | line)


def unpack_span(packed: int) -> Span:
    """The :class:`Span` that :func:`pack_span` packed."""
    if packed < 0:
        p = -1 - packed
        line = p & _LINE_MASK
        start = p >> _WIDE_START_SHIFT
        end = start + (p >> _WIDE_LENGTH_SHIFT & _LINE_START_MASK)
        end_start = p >> _LOW_BITS + _LINE_BITS & _LINE_START_MASK
        return new_span(Span, (line, start - (p >> _LINE_BITS & _LINE_START_MASK) + 1,
                               line + (p >> _LOW_BITS & _LINE_MASK), end - end_start + 1,
                               start, end))
    line = packed & _LINE_MASK
    start = packed >> _START_SHIFT
    length = packed >> _LOW_BITS & _LENGTH_MASK
    col = start - (packed >> _LINE_BITS & _LINE_START_MASK) + 1
    return new_span(Span, (line, col, line, col + length, start, start + length))


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


@dataclass(frozen=True, slots=True)
class Fix:
    """A text edit that resolves a diagnostic: replace ``text[start:end]`` by ``replacement``."""

    start: int
    end: int
    replacement: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in ABC text."""

    code: str
    message: str
    span: Span
    severity: Severity = Severity.ERROR
    rule: str = ""
    fix: Fix | None = None

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def col(self) -> int:
        return self.span.col

    @property
    def end_line(self) -> int:
        return self.span.end_line

    @property
    def end_col(self) -> int:
        return self.span.end_col

    def sort_key(self) -> tuple[int, int, str]:
        return (self.span.start, self.span.end, self.code)

    def __str__(self) -> str:
        return f"{self.line}:{self.col}: {self.code} {self.message}"


def _code(d: Diagnostic) -> str:
    return d.code


def _position(d: Diagnostic) -> int:
    span = d.span
    return span.start << 64 | span.end


def sort_diagnostics(diags: list[Diagnostic]) -> None:
    """Sort in place by :meth:`Diagnostic.sort_key` (start, end, code), in two stable
    passes: by code, then by position as one int. One key tuple per finding (and the Span
    unpacked into it, two int objects more) was the peak of a file with a finding on every
    token (issue 15); a code is a string the finding already holds. Findings that are
    in order already (the parser's, mostly) are checked pairwise and left as they are."""
    prev: tuple[int, int, str] | None = None
    for d in diags:
        key = d.sort_key()
        if prev is not None and key < prev:
            break
        prev = key
    else:
        return
    diags.sort(key=_code)
    diags.sort(key=_position)
