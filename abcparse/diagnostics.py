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
# so they are (line, column, length, start): packed into one non-negative int, which CPython
# keeps in two 30-bit digits (32 bytes) while the start offset is under 16 MB, where a Span
# and its own int objects take about 160. The model's nodes keep the int and give a Span
# back when ``span`` is read (``model.SpanSlot``). Two layouts, told apart by the lowest
# bit, share their width (36 bits below the start):
#
# - tag 0, a line of music of ordinary length: line (20 bits), length (6), column - 1 (9);
# - tag 1, a long line early in the file (a tune on one huge line): line (4 bits),
#   length (6), column - 1 (25).
#
# and the start offset above them. A span that fits neither takes the wide form below.
# Two digits rather than the four of a 100-bit layout is 16 bytes less per node: CPython's
# allocator rounds a 40-byte int up to 48.
_LINE_BITS = 20
_LINE_MASK = (1 << _LINE_BITS) - 1
_LENGTH_BITS = 6
_LENGTH_MASK = (1 << _LENGTH_BITS) - 1
_COL_BITS = 9
_COL_MASK = (1 << _COL_BITS) - 1
_LONG_LINE_BITS = 4
_LONG_LINE_MASK = (1 << _LONG_LINE_BITS) - 1
_LONG_COL_BITS = 25
_LONG_COL_MASK = (1 << _LONG_COL_BITS) - 1
_KEY_BITS = 1 + _LINE_BITS  # the tag and the line: what every span of a line shares
_START_SHIFT = _KEY_BITS + _LENGTH_BITS + _COL_BITS
assert _START_SHIFT == 1 + _LONG_LINE_BITS + _LENGTH_BITS + _LONG_COL_BITS
#: For writers that pack inline (the builder's note loop, ``node_span``): a span of one
#: line whose ``col - 1 <= SPAN_MAX_COL`` and ``length <= SPAN_MAX_LENGTH`` is the
#: compact layout, written as a sum: its fields do not overlap, so ``|`` is ``+`` and each
#: shift a product, and what a line's spans share adds up to one number
#: (:func:`line_term`): ``start * SPAN_START_FACTOR + end * SPAN_END_FACTOR +
#: line_term(...)`` for offsets in the tune's text. Two products and two sums per span,
#: where the layout written out takes seven operations on ints of two digits (the note
#: loop makes one per note, bar line and chord symbol).
SPAN_MAX_COL = _COL_MASK
SPAN_MAX_LENGTH = _LENGTH_MASK
SPAN_START_FACTOR = (1 << _START_SHIFT) + (1 << _KEY_BITS + _LENGTH_BITS) - (1 << _KEY_BITS)
SPAN_END_FACTOR = 1 << _KEY_BITS


def line_term(base: int, line_start: int, line: int) -> int | None:
    """What every compact span on one line adds to its offsets' products: the tune's
    offset in the file (``base``), the line's start in the tune's text, and the low bits
    (tag 0 and the line number) of every ordinary packed span on the line. The sum is
    :func:`pack_span`'s int for a span whose column and length fit (``col - 1 <=
    SPAN_MAX_COL``, ``length <= SPAN_MAX_LENGTH``). None when the line number is too
    large for that layout."""
    if 0 < line <= _LINE_MASK:
        return (base << _START_SHIFT) - (line_start << _KEY_BITS + _LENGTH_BITS) + (line << 1)
    return None


#: Span(...) goes through NamedTuple's Python-level __new__; tuple.__new__ makes the same
#: object in a third of the time, which matters at one span per element.
new_span = tuple.__new__


# A span over several lines (a tune, its header, a field continued by +: lines), or one
# whose columns are not its offsets' difference, or too long or too far right for the
# compact layouts, packs into a negative int: -1 - the fields, low bits first: line
# (24 bits), offset of its line's start (40), end_line - line (24), offset of the end
# line's start (40), length (40), start (the rest). A book of small tunes kept two such
# Spans and their ints per tune (about 350 bytes).
_WIDE_LINE_BITS = 24
_WIDE_LINE_MASK = (1 << _WIDE_LINE_BITS) - 1
_LINE_START_BITS = 40
_LINE_START_MASK = (1 << _LINE_START_BITS) - 1
_WIDE_LOW_BITS = _WIDE_LINE_BITS + _LINE_START_BITS
_WIDE_LENGTH_SHIFT = 2 * _WIDE_LINE_BITS + 2 * _LINE_START_BITS
_WIDE_START_SHIFT = _WIDE_LENGTH_SHIFT + _LINE_START_BITS
_LINE_START_LIMIT = 1 << _LINE_START_BITS
_WIDE_LINE_LIMIT = 1 << _WIDE_LINE_BITS


def pack_span(line: int, col: int, end_line: int, end_col: int, start: int, end: int) -> int | Span:
    """The span as one int when it fits a layout, else a Span.
    ``unpack_span(pack_span(*s)) == s`` for every span (a property test checks it)."""
    length = end - start
    col0 = col - 1
    if end_line == line and end_col - col == length and 0 <= length <= _LENGTH_MASK \
            and start >= 0 and col0 >= 0:
        if col0 <= _COL_MASK and 0 < line <= _LINE_MASK:
            return ((start << _COL_BITS | col0) << _LENGTH_BITS | length) << _KEY_BITS | line << 1
        if col0 <= _LONG_COL_MASK and 0 < line <= _LONG_LINE_MASK:
            return ((start << _LONG_COL_BITS | col0) << _LENGTH_BITS | length) \
                << 1 + _LONG_LINE_BITS | line << 1 | 1
    line_start, delta, end_start = start - col + 1, end_line - line, end - end_col + 1
    if not (0 < line < _WIDE_LINE_LIMIT and 0 <= delta < _WIDE_LINE_LIMIT and start >= 0
            and 0 <= line_start < _LINE_START_LIMIT and 0 <= end_start < _LINE_START_LIMIT
            and 0 <= length < _LINE_START_LIMIT):
        return new_span(Span, (line, col, end_line, end_col, start, end))
    return -1 - (start << _WIDE_START_SHIFT | length << _WIDE_LENGTH_SHIFT
                 | end_start << _WIDE_LOW_BITS + _WIDE_LINE_BITS | delta << _WIDE_LOW_BITS
                 | line_start << _WIDE_LINE_BITS | line)


def packed_end(packed: int) -> tuple[int, int, int]:
    """The line, end column and end offset of a span :func:`pack_span` packed into a
    non-negative int (one line), read without making the Span: the builder asks it per
    element to know whether the next one follows directly (``model.SpanSlot``), and
    where a tune header ends (its last field's end)."""
    if packed & 1:
        line = packed >> 1 & _LONG_LINE_MASK
        length = packed >> 1 + _LONG_LINE_BITS & _LENGTH_MASK
        col = (packed >> 1 + _LONG_LINE_BITS + _LENGTH_BITS & _LONG_COL_MASK) + 1
    else:
        line = packed >> 1 & _LINE_MASK
        length = packed >> _KEY_BITS & _LENGTH_MASK
        col = (packed >> _KEY_BITS + _LENGTH_BITS & _COL_MASK) + 1
    return line, col + length, (packed >> _START_SHIFT) + length


def unpack_span(packed: int) -> Span:
    """The :class:`Span` that :func:`pack_span` packed."""
    if packed < 0:
        p = -1 - packed
        line = p & _WIDE_LINE_MASK
        start = p >> _WIDE_START_SHIFT
        end = start + (p >> _WIDE_LENGTH_SHIFT & _LINE_START_MASK)
        end_start = p >> _WIDE_LOW_BITS + _WIDE_LINE_BITS & _LINE_START_MASK
        return new_span(Span, (line, start - (p >> _WIDE_LINE_BITS & _LINE_START_MASK) + 1,
                               line + (p >> _WIDE_LOW_BITS & _WIDE_LINE_MASK),
                               end - end_start + 1, start, end))
    if packed & 1:
        line = packed >> 1 & _LONG_LINE_MASK
        length = packed >> 1 + _LONG_LINE_BITS & _LENGTH_MASK
        col = (packed >> 1 + _LONG_LINE_BITS + _LENGTH_BITS & _LONG_COL_MASK) + 1
    else:
        line = packed >> 1 & _LINE_MASK
        length = packed >> _KEY_BITS & _LENGTH_MASK
        col = (packed >> _KEY_BITS + _LENGTH_BITS & _COL_MASK) + 1
    start = packed >> _START_SHIFT
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
