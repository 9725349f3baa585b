"""The repair engine's fixers: one function per diagnostic code, each returning text edits.

:mod:`abcparse.format.repair` runs one loop (check, fix, re-parse); this module holds what
it calls. A fixer takes a :class:`FixContext` (the text being repaired, its parse, helpers
to find the field, element or bar at an offset) and one :class:`~abcparse.diagnostics.
Diagnostic`, and returns the :class:`Edit` objects that resolve it, each with the reason
in words, ``None`` when it cannot help (the loop then falls back to deleting what is
wrong, see :func:`last_resort`), or ``[]`` to wait a round for another repair of the same
place. Fixers never change the text themselves, and an edit never reaches into the
context the text is read under (a file header). The fixers of the music (ABC3xx) are in
:mod:`abcparse.format.music_fixers`.

Each fixer follows ABC 2.1 and the validator's reading of it: what a rule reports as wrong
is what its fixer changes, with the smallest edit that keeps the most music (a short bar
gets a rest, an unclosed chord is closed where its notes end, a value that cannot be read
keeps the part that can). Edits of one fixer for one diagnostic form a group that is
applied whole or not at all.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..build import (
    FieldError,
    read_key,
    read_length,
    read_meter,
    read_voice,
    readable_start,
    thick_bar_dots_plain,
)
from ..diagnostics import Diagnostic, Severity
from ..limits import bounded_int
from ..model import (
    BarLine,
    Field,
    LineBreak,
    Tune,
    Tunebook,
)
from ..source import NEWLINE_RE
from ..split import (
    FIELD_LINE_RE,
    broken_repeat_end,
    music_after_key,
    parted_ending,
    split,
    text_lines,
)
from ..theory import CHORD_NAME_RE, default_unit_length

__all__ = [
    "FIXERS",
    "Edit",
    "FixContext",
    "fixer",
    "last_resort",
    "minimal_tune",
]


@dataclass(frozen=True, slots=True)
class Edit:
    """One change the repair made: ``text[start:end]`` (``old``) became ``new``.

    ``start`` and ``end`` are offsets in the text that the edit's ``round`` read: round 1
    reads the input, so an edit of round 1 satisfies ``input[start:end] == old``; a later
    round reads the output of the round before it (see
    :meth:`abcparse.format.repair.RepairResult.input_span` for where that lies in the
    input). The edits of one round are listed in text order and never overlap, so
    applying them from the last to the first reproduces the round. ``code`` is the
    diagnostic it resolves, ``why`` says what was done and why.

    ``safe`` follows ruff's convention: True when the edit keeps the music (the notes,
    their lengths, pitches and played order, as the music engine reads them) and drops no
    text; False when it may change them; None: as the fixer that made it declares
    (:data:`FIX_SAFETY`). Repair applies a safe edit only after the engine has confirmed
    the music is unchanged.
    """

    start: int
    end: int
    old: str
    new: str
    code: str
    why: str
    round: int = 1
    safe: bool | None = None
    #: 0 for the first edit of its fix, 1, 2 ... for the others (``B-c`` → ``(Bc)`` is
    #: one fix of three edits): what ``abc-lint --fix`` lists is each fix, once.
    part: int = 0

    def shifted(self, by: int, round: int | None = None) -> Edit:
        return Edit(self.start + by, self.end + by, self.old, self.new, self.code, self.why,
                    self.round if round is None else round, self.safe, self.part)

    @property
    def is_safe(self) -> bool:
        """The edit's safety, or its fixer's declared one."""
        return self.safe if self.safe is not None else FIX_SAFETY.get(self.code, False)


# ---------------------------------------------------------------------------------------
# What a fixer sees


@dataclass(slots=True)
class _Item:
    """A top-level element of a voice, with where it stands."""

    start: int
    end: int
    voice: int
    bar: int
    index: int
    element: object


def _item_start(it: _Item) -> int:
    return it.start


_CR_OR_LF_RE = re.compile(r"[\r\n]")


class _Intervals:
    """Half-open intervals ``[start, end)`` with a payload each, for "which hold this
    offset?" asked once per finding: sorted by start with the furthest end so far, so a
    question costs a bisection and a walk back over the intervals that can still reach
    the offset (none or one for the bars or endings of a voice, which do not overlap)."""

    def __init__(self, items: Iterable[tuple[int, int, Any]]) -> None:
        self.items = sorted(((s, e, k, p) for k, (s, e, p) in enumerate(items)),
                            key=lambda it: (it[0], it[2]))
        self.starts = [it[0] for it in self.items]
        self.reach: list[int] = []
        for it in self.items:
            self.reach.append(max(it[1], self.reach[-1]) if self.reach else it[1])

    def at(self, pos: int) -> list[Any]:
        """The payloads of the intervals that hold ``pos``, in the order given."""
        hit = []
        i = bisect.bisect_right(self.starts, pos) - 1
        while i >= 0 and self.reach[i] > pos:
            start, end, k, payload = self.items[i]
            if start <= pos < end:
                hit.append((k, payload))
            i -= 1
        return [p for _, p in sorted(hit, key=lambda h: h[0])]


class FixContext:
    """The text under repair (``text``, which may start with a context prefix of
    ``base`` characters that edits must not touch), its parse, and helpers that find
    what a diagnostic points at."""

    def __init__(self, text: str, book: Tunebook, base: int, strict: bool) -> None:
        self.text = text
        self.book = book
        self.base = base
        self.strict = strict
        self.cache: dict[Any, Any] = {}
        self.diagnostics: list[Diagnostic] = []
        m = NEWLINE_RE.search(text)
        self.nl = m.group() if m else "\n"
        self._newline_offsets: list[int] | None = None

    def _newlines(self) -> list[int]:
        """Offsets of every CR and LF of the text, in order, built on first use: line
        lookups bisect it, so a fixer that asks for its line costs O(log lines) rather than
        a scan back to the last CR (the whole text when it has none), which made a long
        line with many findings quadratic."""
        ends = self._newline_offsets
        if ends is None:
            ends = self._newline_offsets = [m.start() for m in _CR_OR_LF_RE.finditer(self.text)]
        return ends

    # --- edits --------------------------------------------------------------------------
    def edit(self, start: int, end: int, new: str, code: str, why: str,
             safe: bool | None = None) -> Edit:
        start = max(start, self.base)
        end = max(end, start)
        return Edit(start, end, self.text[start:end], new, code, why, 1, safe)

    # --- lines --------------------------------------------------------------------------
    def line_start(self, pos: int) -> int:
        """Offset just after the last CR or LF before ``pos`` (0 when there is none)."""
        ends = self._newlines()
        i = bisect.bisect_left(ends, pos)
        return ends[i - 1] + 1 if i else 0

    def line_end(self, pos: int) -> int:
        """End of the line's content (before its line end): the first CR or LF at or
        after ``pos``, else the end of the text."""
        ends = self._newlines()
        i = bisect.bisect_left(ends, pos)
        return ends[i] if i < len(ends) else len(self.text)

    def next_line(self, pos: int) -> int:
        """Offset of the line after the one holding ``pos`` (or the text's end)."""
        end = self.line_end(pos)
        t = self.text
        if t.startswith("\r\n", end):
            return end + 2
        return end + 1 if end < len(t) else end

    def line_text(self, pos: int) -> str:
        return self.text[self.line_start(pos) : self.line_end(pos)]

    def delete_lines(self, pos: int, code: str, why: str) -> Edit:
        """Delete the line holding ``pos`` and the ``+:`` lines that continue it (§3.3)."""
        start = self.line_start(pos)
        end = self.next_line(pos)
        while end < len(self.text) and self.text.startswith("+:", end):
            end = self.next_line(end)
        return self.edit(start, end, "", code, why)

    def comment_out_lines(self, pos: int, code: str, why: str) -> list[Edit]:
        """Put ``%`` before the line holding ``pos`` and the ``+:`` lines that continue
        it: a comment line is as if removed (§2.2.5), and its text is kept."""
        at = self.line_start(pos)
        out = [self.edit(at, at, "%", code, why)]
        end = self.next_line(pos)
        while end < len(self.text) and self.text.startswith("+:", end):
            out.append(self.edit(end, end, "%", code, why))
            end = self.next_line(end)
        return out

    def insert_line_before(self, pos: int, line: str, code: str, why: str) -> Edit:
        at = self.line_start(pos)
        return self.edit(at, at, line + self.nl, code, why)

    def insert_line_after(self, pos: int, line: str, code: str, why: str) -> Edit:
        end = self.line_end(pos)
        if end >= len(self.text):
            return self.edit(end, end, self.nl + line, code, why)
        at = self.next_line(pos)
        return self.edit(at, at, line + self.nl, code, why)

    def move_line_before(self, src: int, dest: int, code: str, why: str) -> list[Edit]:
        """Move the line holding ``src`` to just above the line holding ``dest``."""
        line = self.line_text(src)
        return [self.delete_lines(src, code, why),
                self.insert_line_before(dest, line, code, why)]

    # --- tunes, fields, elements --------------------------------------------------------
    def tune_at(self, pos: int) -> Tune | None:
        tunes = self.book.tunes
        starts = self.cache.get("tune_starts")
        if starts is None:
            starts = self.cache["tune_starts"] = [t.span.start for t in tunes]
        i = bisect.bisect_right(starts, pos) - 1
        if i < 0:
            return None
        t = tunes[i]
        if pos < max(t.span.end, t.span.start + 1) or pos == t.span.end:
            return t
        return None

    def tunes(self) -> Iterator[Tune]:
        return (t for t in self.book.tunes if t.span.end >= self.base)

    def field_at(self, pos: int) -> tuple[Field, Tune | None] | None:
        """The field (header line, body line or inline ``[X:...]``) holding ``pos``: in
        the tune, the first that holds it, else the last that ends there; else the last
        file header field that holds it or ends there. Found through indexes built once
        per round (each field finding asks)."""
        header = self.cache.get("header_fields")
        if header is None:
            header = self.cache["header_fields"] = _Intervals(
                (f.span.start, f.span.end + 1, f) for f in self.book.header.fields)
        held = header.at(pos)
        found: tuple[Field, Tune | None] | None = (held[-1], None) if held else None
        tune = self.tune_at(pos)
        if tune is not None:
            key = ("fields", id(tune))
            got = self.cache.get(key)
            if got is None:
                ends: dict[int, Field] = {}
                for f in tune.fields:
                    ends[f.span.end] = f  # the last that ends at each offset
                got = self.cache[key] = (
                    _Intervals((f.span.start, f.span.end, f) for f in tune.fields), ends)
            intervals, ends = got
            inside = intervals.at(pos)
            if inside:
                return inside[0], tune
            if pos in ends:
                found = (ends[pos], tune)
        return found

    def index_at(self, tune: Tune, pos: int) -> int:
        """Index in :meth:`items` of the first item that starts at or after ``pos``."""
        return bisect.bisect_left(self.items(tune), pos, key=_item_start)

    def items(self, tune: Tune) -> list[_Item]:
        """Every top-level element of every voice of ``tune``, sorted by offset."""
        key = ("items", id(tune))
        got = self.cache.get(key)
        if got is None:
            got = []
            for vi, voice in enumerate(tune.voices):
                for bi, bar in enumerate(voice.bars):
                    for ei, e in enumerate(bar.elements):
                        sp = e.span
                        got.append(_Item(sp.start, sp.end, vi, bi, ei, e))
            got.sort(key=lambda it: (it.start, it.end))
            self.cache[key] = got
        return got

    def item_at(self, tune: Tune, pos: int) -> _Item | None:
        items = self.items(tune)
        # By bisection over the sorted items (a key, not a list of starts made per call:
        # a repair looks up one item per finding).
        i = bisect.bisect_right(items, pos, key=_item_start) - 1
        while i >= 0:
            it = items[i]
            if it.start <= pos < max(it.end, it.start + 1):
                return it
            if it.end <= pos:
                break
            i -= 1
        return None

    def bar_line_at(self, tune: Tune, pos: int) -> tuple[int, int, BarLine] | None:
        """(voice index, bar index, bar line) of the first bar line, voice by voice and
        bar by bar, whose text holds ``pos`` (an index built once per round)."""
        key = ("bar_lines", id(tune))
        index: _Intervals | None = self.cache.get(key)
        if index is None:
            index = self.cache[key] = _Intervals(
                (bl.span.start, max(bl.span.end, bl.span.start + 1), (vi, bi, bl))
                for vi, voice in enumerate(tune.voices)
                for bi, bar in enumerate(voice.bars)
                for bl in (bar.opening, bar.closing) if bl is not None)
        found = index.at(pos)
        return found[0] if found else None

    def header_key(self, tune: Tune) -> Field | None:
        keys = [f for f in tune.header.fields if f.letter == "K"]
        return keys[0] if keys else None

    def blocked(self, tune: Tune, codes: frozenset[str], lines: tuple[int, int] | None = None
                ) -> bool:
        """True when a finding with one of ``codes`` lies in ``tune`` (on ``lines`` if
        given): what depends on it is better repaired in the next round, once the text
        reads as meant."""
        end = max(tune.span.end, tune.span.start + 1)
        index = self._by_code()
        for code in codes:
            got = index.get(code)
            if got is None:
                continue
            by_start, by_line = got
            if lines is None:
                i = bisect.bisect_left(by_start, tune.span.start)
                if i < len(by_start) and by_start[i] < end:
                    return True
                continue
            i = bisect.bisect_left(by_line, (lines[0], -1))
            while i < len(by_line) and by_line[i][0] <= lines[1]:
                if tune.span.start <= by_line[i][1] < end:
                    return True
                i += 1
        return False

    def _by_code(self) -> dict[str, tuple[list[int], list[tuple[int, int]]]]:
        """The findings of the round by code: their offsets, and (line, offset) pairs,
        sorted (so :meth:`blocked` is a lookup, not a pass over every finding)."""
        key = ("by_code", id(self.diagnostics), len(self.diagnostics))
        got = self.cache.get(key)
        if got is None:
            starts: dict[str, list[int]] = {}
            lines: dict[str, list[tuple[int, int]]] = {}
            for d in self.diagnostics:
                starts.setdefault(d.code, []).append(d.span.start)
                lines.setdefault(d.code, []).append((d.span.line, d.span.start))
            got = {c: (sorted(starts[c]), sorted(lines[c])) for c in starts}
            self.cache[key] = got
        return got

    def fresh_reference(self) -> int:
        """An X: number no tune of the file has, and none given out this round: one more
        than the largest in use (this text's, and the rest of the file's that the repair
        gave in ``cache["numbers"]``, a :class:`~abcparse.format.repair.FileNumbers`)."""
        numbers = self.cache.get("numbers")
        top = max(numbers.top if numbers is not None else 0,
                  max(self._own_references(), default=0))
        n = max(top + 1, int(self.cache.get("fresh", 0)))
        self.cache["fresh"] = n + 1
        return n

    def reference_in_use(self, n: int) -> bool:
        """Whether a tune of the file has X: number ``n``: one of this text's, or one the
        rest of the file holds (a set lookup: a file of thousands of tunes made a list of
        every number for each tune it renumbered)."""
        numbers = self.cache.get("numbers")
        return n in self._own_references() or (numbers is not None and n in numbers.used)

    def _own_references(self) -> set[int]:
        got = self.cache.get("references")
        if got is None:
            got = set()
            for t in self.book.tunes:
                for f in t.header.fields:
                    n = bounded_int(f.value) if f.letter == "X" else None
                    if n is not None:
                        got.add(n)
            self.cache["references"] = got
        return got


Fixer = Callable[[FixContext, Diagnostic], Sequence[Edit] | None]
#: The fixer of each code (the table the repair loop reads).
FIXERS: dict[str, Fixer] = {}
#: Whether each fixer declares its fixes safe (ruff's convention): True when they change
#: only layout, spelling or what the standard already implies, so the music (the notes,
#: their lengths, pitches and played order) is unchanged and no text is dropped; False when
#: they may change notes (delete, add rests, change lengths, add a repeat, drop text). A
#: fixer may mark one edit otherwise (:attr:`Edit.safe`).
FIX_SAFETY: dict[str, bool] = {}
#: What each fixer changes, one line (the tables in docs/validator.md and docs/repair.md).
FIX_CHANGES: dict[str, str] = {}


def fixer(*codes: str, safe: bool, changes: str) -> Callable[[Fixer], Fixer]:
    """Register a fixer for ``codes``, declaring whether its fixes are safe and what they
    change."""

    def register(func: Fixer) -> Fixer:
        for c in codes:
            add_fixer(c, func, safe=safe, changes=changes)
        return func

    return register


def add_fixer(code: str, func: Fixer, *, safe: bool, changes: str) -> None:
    FIXERS[code] = func
    FIX_SAFETY[code] = safe
    FIX_CHANGES[code] = changes


def fixer_table() -> str:
    """The Markdown table of every fixer: its code, what it changes, whether it is safe
    (docs/validator.md and docs/repair.md hold it between ``fixer-table`` markers; a test
    keeps them equal to the registry)."""
    rows = ["| code | what the fix changes | safety |", "|---|---|---|"]
    for code in sorted(FIXERS):
        changes = FIX_CHANGES[code].replace("|", "\\|")
        rows.append(f"| {code} | {changes} | {'safe' if FIX_SAFETY[code] else 'unsafe'} |")
    return "\n".join(rows) + "\n"


def update_fixer_table(path: str) -> bool:
    """Rewrite the fixer table of ``path`` (between its markers); True if it changed."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    start = text.index("-->\n", text.index("<!-- fixer-table")) + 4
    end = text.index("<!-- end fixer-table -->")
    new = text[:start] + fixer_table() + text[end:]
    if new != text:
        with open(path, "w", encoding="utf-8") as f:
            f.write(new)
    return new != text


def _delete(ctx: FixContext, start: int, end: int, code: str, why: str) -> list[Edit]:
    """Delete ``text[start:end]``, and one of the spaces around it when it stood between
    two (``abc ? d`` → ``abc d``, not ``abc  d``). What is alone on its line goes with
    the line: an empty line ends the tune (§2.2.2), so the music after it would be lost
    (a ``?`` left on a line of its own after ``K:Ador?`` took 107 notes with it)."""
    t = ctx.text
    ls, le = ctx.line_start(start), ctx.line_end(end)
    if not t[ls:start].strip(" \t") and not t[end:le].strip(" \t") and le < len(t):
        return [ctx.edit(ls, ctx.next_line(end), "", code, why)]
    if start > 0 and end < len(t) and t[start - 1] in " \t" and t[end] in " \t":
        end += 1
    return [ctx.edit(start, end, "", code, why)]


def _span_text(ctx: FixContext, d: Diagnostic) -> str:
    return ctx.text[d.span.start : d.span.end]


# ---------------------------------------------------------------------------------------
# ABC0xx, ABC1xx: characters and syntax


# Bytes that did not decode are kept in the text as lone surrogates U+DC80-U+DCFF.
_UNDECODED_RE = re.compile("[\udc80-\udcff]+")


@fixer("ABC001", safe=False,
       changes="bytes that are not valid in the file's charset read as Windows-1252 (the"
       " Latin-1 of most such files: `Caf\\xe9` becomes `Café`), written in the file's"
       " charset")
def fix_undecodable(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """Each run of undecodable bytes becomes the characters Windows-1252 gives them (a
    superset of Latin-1, what a UTF-8 tunebook with a few bytes that are not UTF-8 was
    most often saved in): ``T:Caf\\xe9`` is ``T:Café`` again, where the last resort used
    to replace the whole line. Unsafe: it guesses what the bytes meant. A byte that
    Windows-1252 leaves undefined is read as Latin-1."""
    out = []
    for m in _UNDECODED_RE.finditer(ctx.text, max(d.span.start, ctx.base)):
        raw = bytes(ord(c) - 0xDC00 for c in m.group())
        text = "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in raw)
        out.append(ctx.edit(m.start(), m.end(), text, d.code,
                            f"read the bytes {raw.hex(' ').upper()} as Windows-1252:"
                            f" {text!r} (§2.1: the file's charset did not decode them)"))
    return out or None


@fixer("ABC002", safe=True, changes='a NUL character deleted')
def fix_nul(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    out = []
    pos = ctx.text.find("\x00", max(d.span.start, ctx.base))
    while pos >= 0:
        out.append(ctx.edit(pos, pos + 1, "", d.code,
                            "deleted a NUL character: it is not text (§2.1)"))
        pos = ctx.text.find("\x00", pos + 1)
    return out or None


def _in_quoted_printable(text: str, pos: int) -> bool:
    """Whether offset ``pos`` lies in a quoted-printable escape (``=3D``, ABC005), looked
    at where it stands (a stray character in music is never in a field or a string)."""
    from ..validate.bytes import QP_ESCAPE

    return any(QP_ESCAPE.match(text, at) for at in range(max(0, pos - 2), pos + 1))


@fixer("ABC101", safe=True,
       changes='an unexpected character deleted; an ending number parted from its bar line'
       ' (a line wrap, `:| 2`) becomes `[2`; a `:` parted from its `|` becomes `:|` (unsafe);'
       ' a typographic apostrophe after a note becomes the octave mark `\'` (unsafe)')
def fix_unexpected(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """A character that starts nothing here goes; a stray length (``/2``, ``3``) goes
    whole, so the text after it is read again in the same round. What a line wrap parted
    from its sign stays: the digit of an ending, and the ``:`` of a ``:|`` (which the
    unsafe fix completes)."""
    t = ctx.text
    start = d.span.start
    end = max(d.span.end, start + 1)
    if start >= len(t):
        return None
    if _line_blocked(ctx, d):
        return []
    if _in_quoted_printable(t, start):
        return None  # decoded by ABC005's fix, not deleted a character at a time
    ch = t[start:end]
    if ch in ("\n", "\r", "\r\n"):
        return None
    if parted_ending(t, start):
        # Most likely an ending ("2" after ":|" on the line before, or ":| 2"): deleting
        # it would destroy what the author wrote. Where the other ending of its group is written,
        # "[2" is that ending, most often played as the stray digit's text was (the second
        # pass goes on after the first ending either way; the engine checks it, as for
        # every safe fix). Where the other is parted too, writing both changes what is
        # played (the first ending is no longer played twice): unsafe. A lone [2 is read
        # three ways by the players, so with no other ending the digit stays.
        partner = _partner_ending(ctx, start)
        if partner is None:
            return None
        return [ctx.edit(start, start, "[", d.code,
                         f"wrote [{t[start]}: the ending parted from its bar line"
                         " (§4.10)", safe=None if partner else False)]
    if broken_repeat_end(t, start):
        # "dcBA:" then "|GABc": a :| a line wrap broke. Deleting the ":" would delete the
        # author's repeat; writing ":|" plays it, which no reader did before (unsafe).
        # The next line keeps its bar line: ":|" then "|GABc" is read alike by abcparse,
        # abc2midi and abcjs.
        return [ctx.edit(start + 1, start + 1, "|", d.code,
                         "wrote :| for the ':' that ends the line: a repeat sign broken over"
                         " the line end, now played as a repeat (§4.8)", safe=False)]
    if ch in _TYPOGRAPHIC_APOSTROPHES and start > 0 and t[start - 1] in _OCTAVE_AFTER:
        # A note, a right single quote, a length: a word processor's apostrophe for the
        # octave mark ' (§4.1). Deleting it would join the length to the note; writing '
        # plays what was meant, an octave up, which no reader did before (unsafe).
        return [ctx.edit(start, end, "'", d.code,
                         f"wrote the octave mark ' for the typographic {ch!r} after the note"
                         " (§4.1)", safe=False)]
    if ch in _LENGTH_CHARS:
        while end < len(t) and t[end] in _LENGTH_CHARS and end - start < 8:
            end += 1
    return _delete(ctx, start, end, d.code,
                   f"deleted {t[start:end]!r}: it starts no ABC construct where it stands (§4)")


#: What word processors write for ' (right and left single quotes, the acute accent).
_TYPOGRAPHIC_APOSTROPHES = frozenset("\u2019\u2018\u00b4")
#: What an octave mark follows: a note letter or another octave mark (§4.1).
_OCTAVE_AFTER = frozenset("ABCDEFGabcdefg'")


# A variant ending's number where it is written (§4.9: [1 [2, |1 :|2 right after the bar
# line), or where a line wrap or spaces parted it from its bar line ("| 2" is a stray
# digit, as the engine reads it; see parted_ending, which tells the candidates apart).
_ENDING_MARK_RE = re.compile(r"[|\[]([1-9])|(?:^|(?<=[\r\n \t]))([1-9])")


def _partner_ending(ctx: FixContext, pos: int) -> bool | None:
    """The neighbour in its group of the ending number at ``pos`` (parted from its bar
    line by a wrap), in the tune: an ending one lower before it, or, for 1, an ending 2
    after it. True when one is written and no other ending of the tune is parted; False
    when one is parted as well, or another ending of the tune is (the tune's form is then
    read differently by the players once some of its endings are written and some not:
    in four tunes of a public collection, writing one moved abcjs away); None when there
    is none."""
    t = ctx.text
    tune = ctx.tune_at(pos)
    lo, hi = (tune.span.start, tune.span.end) if tune is not None else (0, len(t))
    first, last, parted = _ending_marks(ctx, lo, hi)
    number = int(t[pos])
    partners = {written for written in (True, False)
                if (number > 1 and first.get((number - 1, written), hi) < pos)
                or (number == 1 and last.get((2, written), -1) > pos)}
    if not partners:
        return None
    others_parted = len(parted) > (pos in parted)
    return True in partners and not others_parted


def _ending_marks(ctx: FixContext, lo: int, hi: int
                  ) -> tuple[dict[tuple[int, bool], int], dict[tuple[int, bool], int], set[int]]:
    """The ending marks of ``text[lo:hi]`` (written, or parted by a wrap), read once per
    round (each parted ending asks): the first and last offset of each (number, written),
    and the offsets of the parted ones."""
    key = ("ending_marks", lo, hi)
    got = ctx.cache.get(key)
    if got is None:
        t = ctx.text
        first: dict[tuple[int, bool], int] = {}
        last: dict[tuple[int, bool], int] = {}
        parted: set[int] = set()
        for m in _ENDING_MARK_RE.finditer(t, lo, hi):
            written = m.group(1) is not None
            at = m.start(1) if written else m.start(2)
            if not (written or parted_ending(t, at)):
                continue
            if not written:
                parted.add(at)
            first.setdefault((int(t[at]), written), at)
            last[(int(t[at]), written)] = at
        got = ctx.cache[key] = (first, last, parted)
    return got


_LENGTH_CHARS = frozenset("0123456789/")
_ODD_LETTERS = frozenset("IJKNQRVWYhijklmnopqrstwy")


def _quoted_score(part: str) -> int:
    """How plausible one quoted text is as a chord symbol or annotation: short, no bar
    line."""
    if "|" in part or len(part) > 30:
        return -3
    if CHORD_NAME_RE.fullmatch(part) or part[:1] in ("^", "_", "<", ">", "@"):
        return 2
    return 0


class _QuoteScores:
    """How plausible the quoted texts of a music line are once one quote is deleted or
    added: chord symbols and annotations are short and hold no bar line, and letters that
    are neither notes nor symbols outside quotes count against (:func:`_quoted_score`).

    One edit changes only the part of the line around it; every part after it swaps
    inside for outside. So the score of each edit is the sum of the parts before it as
    they are, the one or two parts it makes, and the parts after it with their sides
    swapped, read from prefix sums: every candidate of a line costs the length of the
    part it touches, not of the line (a long line of chord symbols stays linear)."""

    def __init__(self, line: str) -> None:
        self.line = line
        self.quotes = [i for i, c in enumerate(line) if c == '"']
        bounds = [-1, *self.quotes, len(line)]
        self.parts = [(bounds[k] + 1, bounds[k + 1]) for k in range(len(bounds) - 1)]
        odd = [0]
        for c in line:
            odd.append(odd[-1] + (c in _ODD_LETTERS))
        self.odd = odd
        n = len(self.parts)
        self.before = [0] * (n + 1)  # parts 0..k-1 on their own side
        for k, (a, b) in enumerate(self.parts):
            self.before[k + 1] = self.before[k] + self._side(a, b, k % 2 == 1)
        self.swapped_after = [0] * (n + 2)  # parts k.. with their sides swapped
        for k in range(n - 1, -1, -1):
            a, b = self.parts[k]
            self.swapped_after[k] = self.swapped_after[k + 1] + self._side(a, b, k % 2 == 0)

    def _side(self, a: int, b: int, inside: bool) -> int:
        return _quoted_score(self.line[a:b]) if inside else -(self.odd[b] - self.odd[a])

    def _part_of(self, at: int) -> int:
        return bisect.bisect_left(self.quotes, at)

    def deleted(self, at: int) -> int:
        """The score with the quote at ``at`` deleted."""
        j = self._part_of(at)  # the quote between parts j and j + 1
        if (len(self.parts) - 1) % 2 == 0:
            return -1000
        (a, _), (_, b) = self.parts[j], self.parts[j + 1]
        inside = j % 2 == 1
        merged = (_quoted_score(self.line[a:at] + self.line[at + 1 : b]) if inside
                  else -(self.odd[b] - self.odd[a]))
        return self.before[j] + merged + self.swapped_after[j + 2]

    def added(self, at: int) -> int:
        """The score with a quote added before ``line[at]``."""
        j = self._part_of(at)  # the part that holds at (or ends there)
        if (len(self.parts) + 1) % 2 == 0:
            return -1000
        a, b = self.parts[j]
        inside = j % 2 == 1
        return (self.before[j] + self._side(a, at, inside) + self._side(at, b, not inside)
                + self.swapped_after[j + 1])


@fixer("ABC102", safe=True, changes='the unterminated quote closed or deleted')
def fix_unterminated(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """An odd number of quotes on a music line: the one edit (a quote deleted, or one
    added to open or close a chord name) after which every quoted text reads as a chord
    symbol or annotation (§4.18, §4.19). A lost closing quote (``"Am abc``) is the
    commonest case."""
    pos = d.span.start
    t = ctx.text
    if not t.startswith('"', pos):
        return None
    ls, le = ctx.line_start(pos), ctx.line_end(pos)
    line = t[ls:le]
    if "%" in line:
        line = line[: line.index("%")] if line.index("%") > pos - ls else line
    here = pos - ls
    scores = _QuoteScores(line)
    quotes = scores.quotes
    cands: list[tuple[int, str]] = []  # (index in line, "" to delete a quote or '"')
    m = CHORD_NAME_RE.match(line, here + 1)
    if m and m.end() > here + 1 and not line.startswith('"', m.end()):
        cands.append((m.end(), '"'))
    for q in quotes:
        for j in range(max(0, q - 10), q):
            if CHORD_NAME_RE.fullmatch(line, j, q) and (j == 0 or line[j - 1] not in '"'):
                cands.append((j, '"'))
        m = CHORD_NAME_RE.match(line, q + 1)
        if m and m.end() > q + 1 and not line.startswith('"', m.end()):
            cands.append((m.end(), '"'))
    cands.append((here, ""))
    cands.extend((q, "") for q in quotes if q != here)
    best: tuple[int, str] | None = None
    best_score = -10**6
    for at, ins in cands:
        sc = scores.added(at) if ins else scores.deleted(at)
        if sc > best_score:
            best, best_score = (at, ins), sc
    if best is None:
        return None
    at, ins = best
    if ins:
        before = line[:at].count('"')
        if before % 2:
            name = line[line.rfind('"', 0, at) + 1 : at]
            why = f'closed the chord symbol "{name}", whose closing quote was missing (§4.18)'
        else:
            name = line[at : line.find('"', at)]
            why = f'opened the chord symbol "{name}", whose opening quote was missing (§4.18)'
        return [ctx.edit(ls + at, ls + at, '"', d.code, why)]
    return [ctx.edit(ls + at, ls + at + 1, "", d.code,
                     'deleted a stray " so the chord symbols of the line pair up'
                     " (§4.18, §4.19)")]


@fixer("ABC103", safe=True, changes='ABC 2.0 `!` line breaks written as line ends')
def fix_bang_breaks(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """Every ABC 2.0 ``!`` line break of the tune: one at a line end goes, one in the
    middle of a line becomes a line end (§12.1.1: ABC 2.1 breaks score lines at code line
    ends)."""
    tune = ctx.tune_at(d.span.start)
    if tune is None:
        return None
    out = []
    for it in ctx.items(tune):
        e = it.element
        if isinstance(e, LineBreak) and e.kind == "!":
            rest = ctx.text[it.end : ctx.line_end(it.end)]
            if not rest.strip(" \t"):
                out.append(ctx.edit(it.start, it.end, "", d.code,
                                    "deleted the ABC 2.0 line break ! at a line end: the line"
                                    " end breaks the score line (§12.1.1)"))
            else:
                stop = it.end + len(rest) - len(rest.lstrip(" \t"))
                out.append(ctx.edit(it.start, stop, ctx.nl, d.code,
                                    "replaced the ABC 2.0 line break ! by a line end"
                                    " (§12.1.1)"))
    return out or None


@fixer("ABC104", safe=True,
       changes='`+deco+` written `!deco!` (or the other way under `I:decoration +`)')
def fix_dialect(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    sym = _span_text(ctx, d)
    if len(sym) < 3:
        return None
    name = sym[1:-1]
    if sym[0] == "+" and sym[-1] == "+" and "!" not in name:
        new = f"!{name}!"
    elif sym[0] == "!" and sym[-1] == "!" and "+" not in name:
        new = f"+{name}+"
    else:
        return None
    return [ctx.edit(d.span.start, d.span.end, new, d.code,
                     f"wrote {sym} as {new}, the decoration dialect the tune declares"
                     " (§12.1.2)")]


@fixer("ABC107", safe=True, changes="the backslash at the end of the field line deleted")
def fix_field_backslash(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """``K:D\\`` → ``K:D``: the backslash is read as nothing already (§10.3)."""
    if _span_text(ctx, d) != "\\":
        return None
    return _delete(ctx, d.span.start, d.span.end, d.code,
                   "deleted the backslash: ABC 2.1 does not continue fields with it (§10.3)")


@fixer("ABC108", safe=True, changes="a space written between the note and the repeat sign")
def fix_note_like_field(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """``e:|`` → ``e :|`` at the start of a line: read as music by every reader (§3)."""
    if not re.fullmatch(r"[a-g]:", _span_text(ctx, d)):
        return None
    at = d.span.start + 1
    return [ctx.edit(at, at, " ", d.code,
                     "wrote a space after the note, so that no reader takes the line for a"
                     " field (§3)")]


@fixer("ABC109", safe=True, changes="the spaces before the field's letter deleted")
def fix_indented_field(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """`` L:1/16`` → ``L:1/16``: the line is read as a field already (§3, §12.2)."""
    if _span_text(ctx, d).strip(" \t"):
        return None
    return _delete(ctx, d.span.start, d.span.end, d.code,
                   "deleted the spaces before the field: a field starts its line (§3)")


@fixer("ABC110", safe=True, changes="the TeX line made a comment")
def fix_tex_line(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """``\\bigskip`` → ``%\\bigskip``: skipped already, now a comment for every reader."""
    if not re.match(r"\\[A-Za-z]", _span_text(ctx, d)):
        return None
    return [ctx.edit(d.span.start, d.span.start, "%", d.code,
                     "made the TeX command line a comment: ABC 2.1 has no such line (§12.2)")]


@fixer("ABC105", safe=True, changes='`+CE+` written `[CE]`')
def fix_plus_chord(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """``+CE+2`` (§12.1.3) becomes ``[CE]2``: the notes without the spaces that the old
    syntax allowed between them, the length after the chord kept."""
    sym = _span_text(ctx, d)
    close = sym.rfind("+")
    if len(sym) < 3 or not sym.startswith("+") or close < 2:
        return None
    new = "[" + "".join(sym[1:close].split()) + "]" + sym[close + 1 :]
    return [ctx.edit(d.span.start, d.span.end, new, d.code,
                     f"rewrote the obsolete chord {sym} as {new} (§12.1.3)")]


@fixer("ABC111", safe=True, changes='`["Coda"` written as the annotation `"^Coda"`')
def fix_text_ending(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """``["Coda"`` (an ending labelled with text, abcm2ps's) becomes ``"^Coda"``: the
    annotation and the notes after it that abcparse reads, written as ABC 2.1 (§4.19)."""
    written = _span_text(ctx, d)
    if len(written) < 3 or not written.startswith('["') or not written.endswith('"'):
        return None
    inner = written[2:-1]
    new = '"' + (inner if inner[:1] in ("^", "_", "<", ">", "@") else "^" + inner) + '"'
    return [ctx.edit(d.span.start, d.span.end, new, d.code,
                     f"wrote the ending label {written} as the annotation {new} (§4.19)")]


@fixer("ABC213", safe=True, changes="`+:` written before a history line with no field")
def fix_history_continuation(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """``+:`` at the start of a line that continues ``H:`` in its outdated form: the same
    history text, continued as §3.3 writes it (§10.1)."""
    if d.span.col != 1:
        return None
    return [ctx.edit(d.span.start, d.span.start, "+:", d.code,
                     "wrote +: before the history's next line (§3.3, §10.1)")]


@fixer("ABC115", safe=True, changes="a `\\` that continues a tune's last line deleted")
def fix_continuation_at_tune_end(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """The backslash goes: the line it would continue into ends the tune (§6.1.1)."""
    if _span_text(ctx, d) != "\\":
        return None
    return [ctx.edit(d.span.start, d.span.end, "", d.code,
                     "deleted the \\ before the empty line that ends the tune (§6.1.1)")]


_CHORD_MARKUP_RE = re.compile(r'!.*?!|\+.*?\+|"[^"]*"')


@fixer("ABC116", safe=True, changes="a rest inside a chord of notes or grace notes deleted; a"
       " chord that is one rest written without its brackets")
def fix_rest_in_chord(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """``[Az]`` becomes ``[A]``: the chord is read without the rest (§4.17 chords hold
    notes), as abc2midi plays it, so deleting the rest keeps the music. A chord that is
    one rest (``[z2]``, read as the rest, as both players play it) loses its brackets;
    other chords of rests alone (``[zx]``, ``[z]2``) are left as written. A rest in grace
    notes (``{Az}``), which takes no time, is deleted, with the braces when alone."""
    rest = _span_text(ctx, d)
    if not rest or rest[0] not in "zxZX":
        return None
    line_start = ctx.line_start(d.span.start)
    opening = max(ctx.text.rfind("[", line_start, d.span.start),
                  ctx.text.rfind("{", line_start, d.span.start))
    if opening < 0:
        return None
    closing = ctx.text.find("]" if ctx.text[opening] == "[" else "}", d.span.end)
    if closing < 0:
        return None
    inside = ctx.text[opening + 1:d.span.start] + ctx.text[d.span.end:closing]
    if ctx.text[opening] == "{":
        # Grace notes: the rest was left out, so deleting it (with the braces, when it
        # stood alone in them) keeps the music (§4.12).
        if not inside.strip():
            return [ctx.edit(opening, closing + 1, "", d.code,
                             f"deleted the grace notes {{{rest}}}: a rest alone, which takes"
                             " no time (§4.12)")]
        return [ctx.edit(d.span.start, d.span.end, "", d.code,
                         f"deleted the rest {rest} inside grace notes: grace notes are notes"
                         " only, and they were read without it (§4.12)")]
    if not re.search(r"[A-Ga-g]", _CHORD_MARKUP_RE.sub("", inside)):
        if inside or ctx.text[closing + 1:closing + 2] in tuple("0123456789/"):
            return None  # [zx], [z]2: which rest and length a reader takes is not clear
        why = (f"wrote the rest {rest} without the brackets: a chord holds notes, and this"
               " one was read as the rest alone (§4.17)")
        return [ctx.edit(opening, opening + 1, "", d.code, why),
                ctx.edit(closing, closing + 1, "", d.code, why)]
    return [ctx.edit(d.span.start, d.span.end, "", d.code,
                     f"deleted the rest {rest} inside a chord: chords hold notes only, and the"
                     " chord was read without it (§4.17)")]


@fixer("ABC112", safe=True, changes="`:]` written `|]`")
def fix_colon_thick_bar(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """``:]`` becomes ``|]``: the thick bar line without a repeat that abcparse, abc2midi
    and abcjs all play (§4.8)."""
    if _span_text(ctx, d) != ":]":
        return None
    return [ctx.edit(d.span.start, d.span.end, "|]", d.code,
                     "wrote the bar line :] as |] (§4.8)")]


@fixer("ABC113", safe=True,
       changes="`|]:` written `|]|:`, `:[|` written `:|[|`, `[:` written `[|:`")
def fix_thick_bar_repeat_dots(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """A thin bar between repeat dots and a thick bar: the repeat abcparse reads, in the
    shape abc2midi and abcjs play as a repeat too (§4.8)."""
    written = _span_text(ctx, d)
    plain = thick_bar_dots_plain(written)
    if plain == written:
        return None
    return [ctx.edit(d.span.start, d.span.end, plain, d.code,
                     f"wrote the bar line {written} as {plain} (§4.8)")]


@fixer("ABC114", safe=False,
       changes="a microtone written as the accidental it leans to: `_/e` as `_e`, `^3/4c` as"
       " `^c` (the pitch moves)")
def fix_microtone(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """A microtonal accidental becomes the ABC 2.1 accidental in the direction it moves
    the note (§4.2 has whole semitones only): the note then sounds a fraction of a
    semitone away from where abcparse, abc2midi and abcjs play it, so the fix is unsafe."""
    written = _span_text(ctx, d)
    if written[:1] not in ("^", "_") or "/" not in written:
        return None
    return [ctx.edit(d.span.start, d.span.end, written[0], d.code,
                     f"wrote the microtonal accidental {written} as {written[0]}: ABC 2.1"
                     " has no microtones (§4.2)")]


@fixer("ABC106", safe=True, changes='text lines in the file header become comments')
def fix_header_text(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """Lines of the file header block that are not fields become comments, so the block
    stays a file header (§2.2.2) and the text is kept. Not in a block with a ``K:``
    field and music after it: that is a tune missing its ``X:`` line, and commenting its
    music out would hide what the user wrote; it is reported only."""
    out = []
    pos = ctx.line_start(d.span.start)
    t = ctx.text
    # The block as the finding read it (split, §2.2: blocks end at an empty line).
    block = next((c.text for c in split(t, loose=not ctx.strict)[0]
                  if c.start <= pos < c.start + len(c.text)), "")
    if music_after_key(block):
        return None
    while pos < len(t):
        line = ctx.line_text(pos)
        if not line.strip():
            break
        if not (FIELD_LINE_RE.match(line) or line.lstrip(" \t").startswith("%")):
            out.append(ctx.edit(pos, pos, "%", d.code,
                                "made a line of text in the file header a comment, so the"
                                " header's fields apply (§2.2.2)"))
        nxt = ctx.next_line(pos)
        if nxt <= pos:
            break
        pos = nxt
    return out or None


# ---------------------------------------------------------------------------------------
# ABC2xx: header structure and field values


@fixer("ABC201", safe=True, changes='`X:` added')
def fix_missing_reference(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    tune = ctx.tune_at(d.span.start)
    if tune is None:
        return None
    n = ctx.fresh_reference()
    return [ctx.insert_line_before(tune.span.start, f"X:{n}", d.code,
                                   "added the X: reference number every tune starts with"
                                   " (§3.1.1)")]


@fixer("ABC202", safe=True, changes='fields above `X:` moved below it')
def fix_above_reference(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """Fields written directly above ``X:`` move below it (§3.1.1: X: comes first)."""
    t = ctx.text
    x_line = ctx.next_line(d.span.start)
    # The X: line is below the reported line, after comment lines.
    while x_line < len(t) and not t.startswith("X:", x_line):
        if not t.startswith("%", x_line):
            return None
        x_line = ctx.next_line(x_line)
    if x_line >= len(t):
        return None
    start = ctx.line_start(d.span.start)
    while start > ctx.base:
        prev = ctx.line_start(start - 1)
        line = t[prev:start]
        if not line.strip() or not (FIELD_LINE_RE.match(line) or line.startswith("%")):
            break
        start = prev
    block = t[start:x_line]
    why = "moved fields written above X: below it: X: is the first field of a tune (§3.1.1)"
    if ctx.line_end(x_line) >= len(t):
        ins = ctx.nl + block.rstrip("\r\n")
        at = len(t)
    else:
        ins = block
        at = ctx.next_line(x_line)
    return [ctx.edit(start, x_line, "", d.code, why), ctx.edit(at, at, ins, d.code, why)]


# Field lines whose value may hide the next field line (its line end lost): fixes of the
# header's shape wait for them.
# The readers of the field values whose readable start a fix keeps.
_READERS: dict[str, Callable[[str], object]] = {
    "M": read_meter, "L": read_length, "K": read_key, "V": read_voice}

_VALUES_FIRST = frozenset({"ABC210", "ABC221", "ABC222", "ABC223"})


@fixer("ABC203", safe=True, changes='`T:` added')
def fix_title(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    tune = ctx.tune_at(d.span.start)
    if tune is None:
        return None
    if ctx.blocked(tune, _VALUES_FIRST):
        return []
    fields = tune.header.fields
    if not fields or fields[0].letter != "X":
        return None
    x = fields[0]
    titles = [f for f in fields if f.letter == "T"]
    if titles:
        line = ctx.line_text(titles[0].span.start)
        why = "moved T: right after X: (§3.1.2)"
        return [ctx.delete_lines(titles[0].span.start, d.code, why),
                ctx.insert_line_after(x.span.start, line, d.code, why)]
    return [ctx.insert_line_after(x.span.start, "T:Untitled", d.code,
                                  "added the T: title that must follow X: (§3.1.2)")]


_KNOWN_LETTERS = frozenset("ABCDFGHIKLMmNOPQRrSsTUVWwXZ")


def _fit(letter: str, value: str) -> int:
    """How well ``value`` fits field ``letter``: 2 when its own grammar reads it, 1 for a
    text field, 0 not at all."""
    v = value.strip()
    if letter == "X":
        return 2 if v.isdigit() else 0
    reader = _READERS.get(letter)
    if reader is not None:
        if not v or (letter == "L" and "/" not in v):
            return 0
        try:
            reader(v)
        except (FieldError, ValueError, ZeroDivisionError):
            return 0
        return 2
    return 1 if letter in _KNOWN_LETTERS else 0


_COLON_SLIPS = frozenset(";,#$&*?@`\\")


def repair_field_line(line: str, lenient: bool = False) -> str | None:
    """A header line that was meant as a field or a comment and was damaged: a stray
    character before it (``}T:Title``, ``r% note``), between letter and colon
    (``L~:1/8``), or in place of the colon (``K;G``, ``MH6/8``). None when it is not
    recognisably one. ``lenient`` (the line stands among header fields) also reads a
    text field whose colon was lost (``STrad`` → ``S:Trad``)."""
    if not line or line.startswith("%") or FIELD_LINE_RE.match(line):
        return None
    m = re.match(r"[^%\s]{1,2}%", line)
    if m:
        return line[m.end() - 1 :]
    colon = line.find(":")
    if 0 < colon <= 3 and not any(c.isdigit() or c in "|[]" for c in line[:colon]):
        head, value = line[:colon], line[colon + 1 :]
        best: tuple[int, int, str] | None = None
        for k, c in enumerate(head):
            if c.isalpha():
                score = (_fit(c, value), k)  # prefer a fitting letter, then the last one
                if score[0] and (best is None or score > best[:2]):
                    best = (score[0], score[1], c)
        if best is not None:
            return f"{best[2]}:{value}"
    letter, rest = line[0], line[1:]
    if letter in "XMLK" and _fit(letter, rest) == 2:
        return f"{letter}:{rest.strip()}"
    if letter in "XMLK" and len(rest) > 1 and _fit(letter, rest[1:]) == 2:
        return f"{letter}:{rest[1:].strip()}"  # the colon replaced by another character
    if lenient and letter in _KNOWN_LETTERS and rest[:1].isupper() and len(rest) > 2:
        return f"{letter}:{rest}"
    if (rest and rest[0] in _COLON_SLIPS and letter in _KNOWN_LETTERS and rest[1:].strip()
            and _fit(letter, rest[1:])):
        return f"{letter}:{rest[1:]}"  # a character typed in place of the colon
    return None


def _in_header_block(ctx: FixContext, start: int, later: list[Field]) -> bool:
    """True when the line at ``start`` is followed, before any music, by field lines and
    a ``K:``: it stands inside the tune header, so it is a damaged header line."""
    keys = [f for f in later if f.span.start > start]
    if not keys:
        return False
    pos = ctx.next_line(start)
    stop = ctx.line_start(keys[0].span.start)
    while pos < stop:
        line = ctx.line_text(pos)
        if line.strip() and not (FIELD_LINE_RE.match(line) or line.startswith("%")
                                 or repair_field_line(line) is not None):
            return False
        nxt = ctx.next_line(pos)
        if nxt <= pos:
            return False
        pos = nxt
    return True


def _fields_between(ctx: FixContext, start: int, later: list[Field]) -> bool:
    """True when field lines other than K: stand between ``start`` and the next K:."""
    keys = [f for f in later if f.span.start > start]
    if not keys:
        return False
    pos = ctx.next_line(start)
    while pos < keys[0].span.start:
        if FIELD_LINE_RE.match(ctx.line_text(pos)):
            return True
        nxt = ctx.next_line(pos)
        if nxt <= pos:
            break
        pos = nxt
    return False


def _join_field(ctx: FixContext, start: int, line: str) -> list[Edit] | None:
    """A field letter alone on its line, its value on the next (``L`` / ``1/8``: the
    colon became a line end): one line again."""
    if len(line.strip()) != 1 or line.strip() not in _KNOWN_LETTERS:
        return None
    nxt = ctx.next_line(start)
    value = ctx.line_text(nxt)
    if not value.strip() or FIELD_LINE_RE.match(value) or _fit(line.strip(), value) < 2:
        return None
    end = start + len(line)
    return [ctx.edit(end, nxt, ":", "ABC204",
                     f"joined {line.strip()!r} and {value!r} into the field"
                     f" {line.strip()}:{value}: its colon had become a line end (§3)")]


@fixer("ABC204", safe=False, changes='a damaged field line mended, or `K:` added before the music')
def fix_missing_key(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """Music before ``K:``: a damaged field line (``L~:1/8``, ``}T:Title``) is mended; a
    ``K:`` written later moves up to where the music starts, else ``K:C`` goes there; a
    tune with no music and no ``K:`` gets ``K:C`` at the end of its header (§3.1.14)."""
    tune = ctx.tune_at(d.span.start)
    if tune is None:
        return None
    if ctx.blocked(tune, _VALUES_FIRST):
        return []  # a K: may be hiding in a field line that ran into another
    later = [f for f in tune.fields if f.letter == "K" and not f.inline]
    header_lines = tune.header.fields
    if d.span.start > tune.span.start and not any(
        f.span.start <= d.span.start < f.span.end for f in header_lines
    ) and not FIELD_LINE_RE.match(ctx.line_text(d.span.start)):
        # The parser's finding: music starts here, before any K:.
        line = ctx.line_text(d.span.start)
        start = ctx.line_start(d.span.start)
        joined = _join_field(ctx, start, line)
        if joined is not None:
            return joined
        header_ctx = _in_header_block(ctx, start, later) and (
            "|" not in line or _fields_between(ctx, start, later))
        mended = repair_field_line(line, lenient=header_ctx)
        if mended is None and header_ctx:
            mended = "%" + line
        if mended is not None:
            return [ctx.edit(start, start + len(line), mended, d.code,
                             f"mended the header line {line!r} as {mended!r}: a tune header"
                             " holds fields and comments (§3)")]
        if later and later[0].span.start > d.span.start:
            return ctx.move_line_before(later[0].span.start, d.span.start, d.code,
                                        "moved K: above the music: the tune header ends with"
                                        " K: (§3.1.14)")
        return [ctx.insert_line_before(d.span.start, "K:C", d.code,
                                       "added K:C where the music starts: the tune header"
                                       " ends with K: (§3.1.14)")]
    # No K: at all and no music: after the last header line.
    last = header_lines[-1] if header_lines else None
    where = last.span.start if last is not None else tune.span.start
    return [ctx.insert_line_after(where, "K:C", d.code,
                                  "added K:C: the tune header ends with K: (§3.1.14)")]


@fixer("ABC205", safe=True, changes='a header field moved above `K:`')
def fix_header_field_in_body(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    tune = ctx.tune_at(d.span.start)
    if tune is not None and ctx.blocked(tune, frozenset({"ABC204"})):
        return []  # the header's end is being repaired
    key = ctx.header_key(tune) if tune is not None else None
    if tune is None or key is None:
        return None
    letter = ctx.text[d.span.start : d.span.start + 1]
    return ctx.move_line_before(d.span.start, key.span.start, d.code,
                                f"moved {letter}: above K:: it belongs in the tune header (§3)")


_BODY_LINE_FIELDS = frozenset("IKLMmNPQRrsTUVWw")


@fixer("ABC207", safe=True, changes='a field with an unknown letter becomes a comment')
def fix_unknown_field(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """A field letter ABC 2.1 does not define (a warning): the line becomes a comment,
    which programs ignore as the standard asks them to ignore the field (§3), and which
    keeps what it says."""
    got = ctx.field_at(d.span.start)
    if got is None:
        return None
    f = got[0]
    if f.inline:
        return _delete(ctx, f.span.start, f.span.end, d.code,
                       f"deleted [{f.letter}:...]: ABC 2.1 has no field {f.letter}: (§3)")
    start = ctx.line_start(f.span.start)
    return [ctx.edit(start, start, "%", d.code,
                     f"made the {f.letter}: line a comment: ABC 2.1 has no field {f.letter}:"
                     " and programs ignore it (§3)")]


@fixer("ABC003", safe=True, changes='every line end written the way most lines end')
def fix_line_endings(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """Mixed line ends (a warning): every line end becomes the style most lines use."""
    t = ctx.text
    counts = Counter(m.group() for m in NEWLINE_RE.finditer(t, ctx.base))
    if len(counts) < 2:
        return None
    main = counts.most_common(1)[0][0]
    return [ctx.edit(m.start(), m.end(), main, d.code, line_end_why(m.group(), main))
            for m in NEWLINE_RE.finditer(t, ctx.base) if m.group() != main]


def line_end_why(old: str, main: str) -> str:
    """What the ABC003 fix says (also where a file repaired a unit at a time has its line
    ends written as most of its lines end: ``rewrite.fix_stream``)."""
    names = {"\n": "LF", "\r\n": "CRLF", "\r": "CR"}
    return (f"wrote a {names[old]} line end as {names[main]}, the line end of most lines"
            " (§2.2)")


@fixer("ABC005", safe=False,
       changes="the tune's quoted-printable escapes decoded (`=3D` → `=`, `=20` → a space,"
       " a soft line break joined)")
def fix_quoted_printable(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """Quoted-printable residue in a tune: each escape that starts with a digit becomes
    the ASCII character it encodes, and each ``=`` at a line end joins the two lines, as
    the e-mail meant. Unsafe where it decodes a character of music (``=3D``): the music
    read before was the escape as written; a decoded space and a joined line are safe."""
    from ..validate.bytes import quoted_printable_escapes

    tune = ctx.tune_at(d.span.start)
    if tune is None:
        return None
    # A space or tab decoded, or two lines of music joined, leaves every note as it was
    # read (the repair's music check confirms it): those edits are safe, and go first, in
    # a fix of their own (a fix is taken whole or not at all); the others (=3D, a
    # natural) change what is read and come in the next round.
    found = list(quoted_printable_escapes(ctx.text, tune.span.start, tune.span.end))
    safe = [f for f in found if f[2] in ("", " ", "\t")]
    return [
        ctx.edit(start, end, new, d.code,
                 f"decoded the quoted-printable escape {ctx.text[start:end]}, which no ABC"
                 " writes (§4.2: an accidental is followed by a note)" if new else
                 "joined the lines a quoted-printable soft line break split (§2.2: each"
                 " line end ends a line of music)", safe=True if safe else None)
        for start, end, new in (safe or found)] or None


@fixer("ABC208", safe=False,
       changes='a field where it is not allowed deleted (or written on a line of its own)')
def fix_field_not_allowed(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    t = ctx.text
    if t.startswith("+:", d.span.start):
        return [ctx.delete_lines(d.span.start, d.code,
                                 "deleted a +: line that continues no field (§3.3)")]
    got = ctx.field_at(d.span.start)
    if got is None:
        return None
    f, tune = got
    if f.inline:
        if f.letter in _BODY_LINE_FIELDS:
            line_start = ctx.line_start(f.span.start)
            line_end = ctx.line_end(f.span.end)
            before = t[line_start : f.span.start]
            after = t[f.span.end : line_end]
            start = f.span.start - (len(before) - len(before.rstrip(" \t")))
            end = f.span.end + (len(after) - len(after.lstrip(" \t")))
            new = (ctx.nl if before.strip() else "") + f"{f.letter}:{f.value}" + (
                ctx.nl if after.strip() else "")
            return [ctx.edit(start, end, new, d.code,
                             f"wrote [{f.letter}:...] on a line of its own: it cannot be"
                             " inline (§3)")]
        return _delete(ctx, f.span.start, f.span.end, d.code,
                       f"deleted [{f.letter}:...]: {f.letter}: cannot be written inline (§3)")
    if f.letter == "I" and tune is not None and f.in_body:
        key = ctx.header_key(tune)
        if key is not None:
            return ctx.move_line_before(f.span.start, key.span.start, d.code,
                                        "moved I:linebreak into the tune header (§6.1.1)")
    return [ctx.delete_lines(f.span.start, d.code,
                             f"deleted {f.letter}: where the standard does not allow it (§3)")]


@fixer("ABC209", safe=True, changes='an empty line inside a tune deleted')
def fix_empty_line(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """Empty lines inside a tune go, joining its header and its music (§2.2.1)."""
    t = ctx.text
    start = ctx.line_start(d.span.start)
    if start < d.span.start and t[start : d.span.start].strip():
        start = ctx.next_line(d.span.start)
    pos = start
    while pos < len(t):
        if ctx.line_text(pos).strip(" \t"):
            break
        nxt = ctx.next_line(pos)
        if nxt <= pos:
            break
        pos = nxt
    if pos >= len(t) or pos == start:
        return None
    return _delete(ctx, start, pos, d.code,
                   "deleted the empty line inside the tune: an empty line ends a tune"
                   " (§2.2.1)")


@fixer("ABC206", safe=True, changes='a duplicate `X:` number renumbered')
def fix_duplicate_reference(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    got = ctx.field_at(d.span.start)
    if got is None or got[0].letter != "X":
        return None
    f = got[0]
    n = ctx.fresh_reference()
    return [ctx.edit(f.span.start + 2, f.span.end, str(n), d.code,
                     f"renumbered X:{f.value.strip()} to X:{n}: an earlier tune of the file has"
                     " that number, and reference numbers are unique (§3.1.1)")]


@fixer("ABC210", safe=True, changes='the number in an `X:` value, or a fresh one')
def fix_reference_number(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    got = ctx.field_at(d.span.start)
    if got is None or got[0].letter != "X":
        return None
    f = got[0]
    embedded = _embedded_field(ctx, f, f.span.start + 2, f.span.end, d.code)
    if embedded:
        return embedded
    digits = re.search(r"[0-9]+", f.value)
    n = (bounded_int(digits.group()) or 0) if digits else 0  # too many digits: a fresh one
    if n <= 0 or ctx.reference_in_use(n):
        n = ctx.fresh_reference()
    return [ctx.edit(f.span.start + 2, f.span.end, str(n), d.code,
                     f"replaced X:{f.value.strip()} by X:{n}: a reference number is a"
                     " positive whole number (§3.1.1)")]


#: What the ABC211 fix says (also where a file repaired a segment at a time adds the
#: empty line: ``rewrite.fix_stream``).
SEPARATE_WHY = "added an empty line before X:: an empty line ends the tune before (§2.2)"


@fixer("ABC211", safe=True, changes='an empty line added before `X:`')
def fix_missing_empty_line(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    at = ctx.line_start(d.span.start)
    return [ctx.edit(at, at, ctx.nl, d.code, SEPARATE_WHY)]


_MODES = ("major", "minor", "mixolydian", "dorian", "phrygian", "lydian", "locrian",
          "aeolian", "ionian")


def _near(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by at most one character (one added, lost or
    replaced): a slip of one key."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _mode_word(text: str) -> str | None:
    """The mode a damaged word was (``ajor`` → Major, ``Do>ian`` → Dorian)."""
    for word in text.split():
        w = "".join(c for c in word if c.isalpha()).lower()
        if len(w) < 3:
            continue
        for mode in _MODES:
            if _near(w, mode) or (len(w) >= 5 and _near(w, mode[: len(w)])):
                return mode.capitalize()
    return None


def _looks_like_music(text: str) -> bool:
    """Text after a field value that is music run onto the field's line."""
    return "|" in text or len(text) > 12


def _common_duration(tune: Tune | None) -> tuple[Fraction, int, int] | None:
    """The most common bar duration of a tune (whole notes, as it was read), how many
    bars have it and how many were counted; None when there are no bars to count."""
    if tune is None:
        return None
    from ..music import timeline

    tl = timeline(tune)
    durations: Counter[Fraction] = Counter()
    for vt in tl.voices:
        content = [b for b in vt.bars if b.content and b.ticks > 0]
        inner = content[1:-1] if len(content) > 2 else content
        durations.update(tl.whole(b.ticks) for b in inner)
    if not durations:
        return None
    dur, count = durations.most_common(1)[0]
    return dur, count, sum(durations.values())


def _meter_value(tune: Tune | None) -> str:
    """A meter for a tune whose M: cannot be read: the most common bar duration, as
    people would count it; "none" (free meter, §3.1.6) when the bars do not tell."""
    got = _common_duration(tune)
    if got is None or got[1] * 2 < got[2]:
        return "none"
    return _meter_text(got[0], 4) or "none"


def _unit_value(tune: Tune | None) -> str:
    """A unit note length for a tune whose L: cannot be read: the one that makes its most
    common bar fill the meter, else the default of §3.1.7."""
    meter = tune.meter if tune is not None else None
    default = default_unit_length(meter)
    got = _common_duration(tune)
    if tune is not None and got is not None and got[1] * 2 >= got[2] and meter is not None \
            and meter.bar_length:
        unit = meter.bar_length * tune.unit_length / got[0]
        if unit.numerator == 1 and _pow2(unit.denominator) and unit.denominator <= 64:
            return _fraction_text(unit) if unit.denominator != 1 else "1/1"
    return f"{default.numerator}/{default.denominator}"


def _fraction_text(f: Fraction) -> str:
    return f"{f.numerator}/{f.denominator}" if f.denominator != 1 else str(f.numerator)


def _pow2(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def _meter_text(dur: Fraction, prefer: int) -> str | None:
    """``dur`` (whole notes) as a time signature, with ``prefer`` as its denominator when
    that gives a whole numerator up to 12."""
    for den in (prefer, 4, 8, 2, 16):
        if den <= 0:
            continue
        n = dur * den
        if n.denominator == 1 and 1 <= n.numerator <= 12:
            return f"{n.numerator}/{den}"
    return None


def _unit_edit(ctx: FixContext, tune: Tune, new_meter: str, code: str) -> list[Edit]:
    """When a tune has no L: and a new M: would change the default unit note length
    (§3.1.7), an L: that keeps the unit the music was read with."""
    if any(f.letter == "L" and not f.in_body for f in tune.header.fields):
        return []
    if any(f.letter == "L" for f in ctx.book.header.fields):
        return []
    try:
        meter = read_meter(new_meter)
    except FieldError:
        return []
    if default_unit_length(meter) == tune.unit_length:
        return []
    key = ctx.header_key(tune)
    if key is None:
        return []
    unit = tune.unit_length
    return [ctx.insert_line_before(key.span.start, f"L:{unit.numerator}/{unit.denominator}",
                                   code, "added the unit note length the music was read with,"
                                   " which the new M: would change (§3.1.7)")]


_VALUE_WHAT = {
    "M": "meter", "L": "unit note length", "K": "key", "Q": "tempo", "P": "part order",
    "V": "voice definition", "U": "symbol definition", "I": "instruction",
    "w": "lyrics line", "s": "symbol line", "X": "reference number",
}
_EMBEDDED_FIELD_RE = re.compile(r"(?<![A-Za-z])[A-Za-z]:")


def _embedded_field(ctx: FixContext, f: Field, vstart: int, vend: int, code: str
                    ) -> list[Edit] | None:
    """A field line that swallowed the next one (``L:1/8K:G``, its line end lost): the
    second field goes back on a line of its own, and what stood between goes."""
    if f.inline or f.letter not in "XMLK":
        return None
    value = ctx.text[vstart:vend]
    m = _EMBEDDED_FIELD_RE.search(value, 1)
    if m is None or m.group()[0] not in _KNOWN_LETTERS:
        return None
    head = value[: m.start()]
    cut = len(head)
    # Keep the readable start of the value, drop the junk before the swallowed field.
    reader = _READERS.get(f.letter)
    keep = head.strip()
    if f.letter == "X":
        digits = re.match(r"\s*[0-9]+", head)
        keep = digits.group().strip() if digits else ""
    elif reader is not None:
        got = readable_start(head, reader, f.letter)
        keep = got[0] if got is not None else ""
    if not keep:
        return None
    lead = len(head) - len(head.lstrip())
    return [ctx.edit(vstart + lead + len(keep), vstart + cut, ctx.nl, code,
                     f"put {value[m.start():].strip()!r} back on a line of its own after"
                     f" {f.letter}:{keep}: two field lines had run together (§3)")]


@fixer("ABC221", "ABC222", "ABC223", "ABC224", "ABC225", "ABC226", "ABC227", "ABC228",
       safe=False, changes="an unreadable field value keeps its readable start, or gets one the"
       " bars imply, or its line is commented out")
def fix_field_value(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """A field value that cannot be read: keep its readable start when there is one
    (music written on an ``M:`` or ``K:`` line moves to a line of its own, a field line
    run into it goes back on its own), give ``M:``, ``L:`` and a header ``K:`` a value
    (the meter the bars show, the unit that makes them fill it, C), and comment the
    others out: a field that cannot be read is ignored by every program anyway, and as a
    comment its words stay in the file (issue 13: ``P:`` lines and free text are never
    dropped by a fix; Nottingham's ``P:"AAAABB"`` is a remark a reader still wants)."""
    got = ctx.field_at(d.span.start)
    if got is None:
        return None
    f, tune = got
    letter = f.letter
    what = _VALUE_WHAT.get(letter, "value")
    vstart = f.span.start + (3 if f.inline else 2)
    vend = f.span.end - (1 if f.inline else 0)
    value = ctx.text[vstart:vend]
    in_header = not f.in_body and not f.inline
    if letter == "M" and in_header and not value.strip():
        # An empty M: is no meter, free meter (§3.1.6), as the engine reads it: M:none says
        # so in a form every reader takes the same way (abc2midi and abcjs assume 4/4).
        return [ctx.edit(vstart, vend, "none", d.code,
                         "wrote M:none for the empty M:: a tune with no meter is in free"
                         " meter (§3.1.6)", safe=True)]
    embedded = _embedded_field(ctx, f, vstart, vend, d.code)
    if embedded:
        return embedded
    reader = _READERS.get(letter)
    if reader is not None:
        kept = readable_start(value, reader, letter)
        if kept is not None and kept[0]:
            head, rest = kept
            head_end = vstart + value.index(head) + len(head)
            if letter == "K" and rest and not _looks_like_music(rest):
                mode = _mode_word(rest)
                if mode is not None:
                    try:
                        read_key(f"{head} {mode}")
                    except FieldError:
                        mode = None
                if mode is not None:
                    return [ctx.edit(head_end, vend, f" {mode}", d.code,
                                     f"read {ctx.text[head_end:vend].strip()!r} as the mode"
                                     f" {mode}: K:{head} {mode} (§3.1.14)")]
            if rest and not f.inline and letter != "V" and (
                    f.in_body or (letter == "K" and _looks_like_music(rest))):
                # Music written after the value on the same line (M:6/8 abc|): its own line.
                tail = ctx.text[head_end:vend]
                ws_end = head_end + len(tail) - len(tail.lstrip())
                return [ctx.edit(head_end, ws_end, ctx.nl, d.code,
                                 f"moved what follows {letter}:{head} to a line of its own:"
                                 f" it is not part of the {what} (§3)")]
            return [ctx.edit(head_end, vend, "", d.code,
                             f"kept {letter}:{head} and deleted"
                             f" {ctx.text[head_end:vend].strip()!r}, which is not part of a"
                             f" {what} (§3)")]
    if f.inline:
        return _delete(ctx, f.span.start, f.span.end, d.code,
                       f"deleted [{letter}:{value}]: not a {what} any program can read (§3)")
    if in_header or (tune is None):
        default: str | None = None
        if letter == "M":
            default = _meter_value(tune)
        elif letter == "L":
            default = _unit_value(tune)
        elif letter == "K":
            default = "C"
        if default is not None:
            edits = [ctx.edit(vstart, vend, default, d.code,
                              f"replaced {letter}:{value.strip()} by {letter}:{default}: the"
                              f" value is not a {what} (§3)")]
            if letter == "M" and tune is not None:
                edits += _unit_edit(ctx, tune, default, d.code)
            return edits
    return ctx.comment_out_lines(f.span.start, d.code,
                                 f"commented out {letter}:{value.strip()}: not a {what} any"
                                 " program can read (§3)")


# A character that reads as a stray may be part of a chord symbol whose quote was lost,
# or of a header line that is being mended: deletions wait for those repairs.
_LINE_FIRST = frozenset({"ABC102", "ABC105", "ABC204", "ABC312", "ABC313", "ABC314", "ABC315"})


def _line_blocked(ctx: FixContext, d: Diagnostic) -> bool:
    tune = ctx.tune_at(d.span.start)
    # The line above too: a field letter whose value fell onto this line (L / 1/8).
    return tune is not None and ctx.blocked(tune, _LINE_FIRST, (d.span.line - 1, d.span.line))


def _drop(what: str, section: str) -> Fixer:
    def drop(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
        written = _span_text(ctx, d)
        if not written:
            return None
        if d.code in ("ABC330", "ABC331", "ABC332") and _line_blocked(ctx, d):
            return []
        return _delete(ctx, d.span.start, d.span.end, d.code,
                       f"deleted {written}: {what} ({section})")

    return drop


# ---------------------------------------------------------------------------------------
# When no fixer helps


def last_resort(ctx: FixContext, d: Diagnostic, level: int) -> list[Edit] | None:
    """Delete what is wrong so the tune is valid: at level 1 the element (note, bar line,
    unreadable text) the diagnostic points at, or its field line; at level 2 the whole
    line (a header line X:, T: or K: gets a default value instead)."""
    if d.severity is not Severity.ERROR:
        return None
    pos = d.span.start
    if pos < ctx.base or pos > len(ctx.text):
        return None
    tune = ctx.tune_at(pos)
    why = f"deleted what {d.code} reports, which no repair could fix"
    if level <= 1 and tune is not None:
        it = ctx.item_at(tune, pos)
        if it is not None and not isinstance(it.element, LineBreak):
            what = ctx.text[it.start : it.end]
            if d.code == "ABC301":
                from .music_fixers import rest_bar

                return rest_bar(ctx, tune, pos, d)
            return _delete(ctx, it.start, it.end, d.code, f"{why}: {what.strip()!r}")
        got = ctx.field_at(pos)
        if got is not None and got[0].inline:
            f = got[0]
            return _delete(ctx, f.span.start, f.span.end, d.code,
                           f"{why}: {ctx.text[f.span.start:f.span.end]!r}")
    line = ctx.line_text(pos)
    start = ctx.line_start(pos)
    for letter, default in (("X", "1"), ("T", "Untitled"), ("K", "C")):
        if line.startswith(letter + ":"):
            if line[2:] == default:
                return None
            if letter == "X":
                default = str(ctx.fresh_reference())
            return [ctx.edit(start + 2, start + len(line), default, d.code,
                             f"replaced {line!r} by {letter}:{default}: {d.code} could not be"
                             " fixed otherwise", safe=False)]
    if not line and start >= len(ctx.text):
        return None
    return [ctx.delete_lines(pos, d.code, f"{why}: the line {line.strip()!r}")]


def minimal_tune(text: str, number: int) -> str:
    """The smallest valid tune that keeps a tune's number and title: what is left when
    nothing else worked."""
    title = "Untitled"
    for line in text_lines(text):
        if line.startswith("T:") and line[2:].strip():
            title = line[2:].strip()
            break
    return f"X:{number}\nT:{title}\nK:C\n"


# The music fixers (ABC3xx) register themselves in FIXERS when their module is imported.
from . import music_fixers as _music_fixers  # noqa: E402,F401
