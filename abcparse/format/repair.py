"""The repair engine: turn a broken tune into a valid one, and say what changed and why.

``abcparse.repair(tune, target="strict")`` runs one loop:

1. check the text (:func:`abcparse.check` in the target mode);
2. for each finding to repair (every error; warnings too with ``warnings=True``), ask the
   fixer registered for its code (:data:`abcparse.format.fixers.FIXERS`) for text edits,
   each with its reason;
3. apply the edits that do not overlap, all at once (a fixer's edits for one finding are
   a group, applied whole or not at all; an earlier finding wins a conflict, and the
   loser is met again next round);
4. parse and check again, and repeat until the tune is valid, nothing more can be fixed,
   or a small number of rounds is spent.

When a fixer cannot help, or rounds go by without progress, the engine falls back to
deleting what is wrong: the element or field a finding points at, then its whole line,
and, if even that fails, the tune is replaced by an empty one that keeps its number and
title. So the result passes the target mode's validation, and every change is listed.

A tune that is already valid comes back as it was (same text, no edits). Repair never
raises for any input text: a fixer that fails is skipped and recorded in
``RepairResult.failures`` (a bug to report), the way the validator turns a crashing rule
into ABC901.

:func:`repair_text` repairs a whole file: the file header first, then each tune on its own
with the file header as context (a tune inherits its fields, §2.2.2), renumbering
duplicate ``X:`` numbers across the file (ABC206). :func:`repair_file` does that in place,
atomically.
"""

from __future__ import annotations

import bisect
import itertools
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from typing import Any

from ..api import MODES, parse
from ..diagnostics import Diagnostic, Severity, Span
from ..errors import AbcLimitError, AbcUsageError
from ..fileio import atomic_write_bytes
from ..gcpause import paused_gc
from ..limits import bounded_int
from ..model import Tune, Tunebook
from ..source import NEWLINE_RE, LineIndex
from ..split import FIELD_LINE_RE, split, text_lines
from .fixers import FIXERS, Edit, FixContext, last_resort, minimal_tune, repair_field_line

__all__ = [
    "Edit",
    "FixResult",
    "RepairResult",
    "TextRepair",
    "Withdrawn",
    "fix_file",
    "fix_text",
    "repair",
    "repair_file",
    "repair_text",
]

Selector = str | Iterable[str] | None

# Rounds of the loop: fixers first, then deleting what they could not fix (the element,
# then the line). Most tunes need one round; the bound keeps a pathological one cheap.
FIX_ROUNDS = 4
ELEMENT_ROUNDS = 2
LINE_ROUNDS = 2
MAX_ROUNDS = FIX_ROUNDS + ELEMENT_ROUNDS + LINE_ROUNDS
# What the safety guard may parse in one round to find the safe fixes that change the
# music when the round's fixes together do: characters in all, and checks at least.
GUARD_CHARS = 2_000_000
GUARD_CHECKS = 8
# Each round reads the whole tune several times (check, fixers, the safety guard), so a
# tune gets REPAIR_CHARS // its length rounds at most (MAX_ROUNDS for any real tune: up
# to 150,000 characters); one longer than REPAIR_CHARS is not repaired. Either is said:
# a withdrawn fix that gives the length (``abc-lint --fix`` prints it).
REPAIR_CHARS = 1_200_000

# A first line that was X:<number> before a character was lost or added (X328, :145).
_DAMAGED_X_RE = re.compile(r"[^A-Za-z0-9\s]{0,2}[A-Za-z]{0,2}[^A-Za-z0-9]{0,2}\s*([0-9]{1,6})\s*")


@dataclass(frozen=True, slots=True)
class RepairResult:
    """What :func:`repair` did to one tune.

    ``tune`` is the repaired tune (the input ``Tune`` itself when nothing changed), ``text``
    its text, ``edits`` every change in the order made (see :class:`Edit` for their
    offsets), ``before`` and ``after`` the findings of the target mode on the input and on
    the result (offsets in each text), ``valid`` True when ``after`` holds no error.
    ``failures`` names fixers that raised (a bug in abcparse; the loop went on without
    them). ``unsafe`` says whether unsafe fixes were allowed; without them, ``withdrawn``
    lists the safe fixes the music engine caught changing the music (or dropping text),
    which were not applied; with them, ``music_changed`` says whether the repaired tune
    sounds different from the input.
    """

    tune: Tune
    text: str
    edits: tuple[Edit, ...]
    before: tuple[Diagnostic, ...]
    after: tuple[Diagnostic, ...]
    valid: bool
    original: str = ""
    target: str = "strict"
    rounds: int = 0
    failures: tuple[str, ...] = ()
    unsafe: bool = True
    withdrawn: tuple[Withdrawn, ...] = ()
    music_changed: bool = False
    #: Each round's back-map of ``edits``, built on the first input_span that needs it
    #: (it is called once per edit: building them once keeps that linear).
    _back_maps: dict[int, _BackMap] = field(
        default_factory=dict, init=False, compare=False, repr=False)

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def input_span(self, edit: Edit) -> tuple[int, int]:
        """Where ``edit`` falls in the input text. Exact for the edits of round 1; an edit
        of a later round that touches text an earlier round wrote maps to the input text
        that earlier edit replaced."""
        start, end = edit.start, edit.end
        if edit.round > 1:
            maps = self._back_maps
            if not maps:
                by_round: dict[int, list[Edit]] = {}
                for e in self.edits:
                    by_round.setdefault(e.round, []).append(e)
                maps.update((r, _BackMap(es)) for r, es in by_round.items())
            for rnd in range(edit.round - 1, 0, -1):
                done = maps.get(rnd)
                if done is not None:
                    start = done.back(start, True)
                    end = done.back(end, False)
        return start, max(start, end)


class _BackMap:
    """Maps a position in the text after ``edits`` (one round: non-overlapping) were
    applied to the text before, by bisection over where each edit's new text lies."""

    def __init__(self, edits: Iterable[Edit]) -> None:
        self.done = sorted(edits, key=lambda e: (e.start, e.end))
        self.shifts: list[int] = []  # the shift before each edit
        self.new_ends: list[int] = []  # where each edit's new text ends, after
        shift = 0
        for e in self.done:
            self.shifts.append(shift)
            self.new_ends.append(e.start + shift + len(e.new))
            shift += len(e.new) - (e.end - e.start)
        self.total = shift

    def back(self, pos: int, left: bool) -> int:
        # Every edit whose new text ends before pos leaves it alone: start at the first
        # that ends at or after it (new_ends never decrease: the edits do not overlap).
        done = self.done
        k = bisect.bisect_left(self.new_ends, pos)
        for i in range(k, len(done)):
            e = done[i]
            shift = self.shifts[i]
            new_start = e.start + shift
            new_end = self.new_ends[i]
            if pos < new_start or (pos == new_start and left):
                return pos - shift
            if pos < new_end or (pos == new_end and not left and e.new):
                return e.start if left else e.end
        return pos - self.total


# ---------------------------------------------------------------------------------------
# The loop


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """A safe fix that repair did not apply: the music engine found that it would change
    the music (``reason``), or that it would drop text. ``start`` is its offset in the
    text of the round that proposed it (the unit's text for round 1)."""

    code: str
    why: str
    start: int
    reason: str
    round: int = 1


@dataclass
class _Outcome:
    text: str
    edits: list[Edit]
    before: list[Diagnostic]
    after: list[Diagnostic]
    book: Tunebook
    rounds: int
    failures: list[str] = field(default_factory=list)
    withdrawn: list[Withdrawn] = field(default_factory=list)
    music_changed: bool = False


def _music(book: Tunebook, base: int) -> tuple[tuple[Any, ...], ...]:
    """What the music engine says every tune from offset ``base`` on sounds: each note's
    voice, pitch, onset, duration (grace notes taking their time) and whether it is a
    grace note, repeats played (:func:`abcparse.events.sound_key`). A safe fix leaves
    this unchanged (ruff's convention, issue 13)."""
    from ..events import sound_key

    return tuple(sound_key(t, grace="steal") for t in book.tunes if t.span.start >= base)


def _music_differs(before: Tunebook, after: Tunebook, base: int) -> bool:
    """Whether the music of ``after`` differs from that of ``before`` (see :func:`_music`);
    true also when either plays beyond the engine's limits, which no one can compare."""
    try:
        return _music(before, base) != _music(after, base)
    except AbcLimitError:
        return True


_WORD_RE = re.compile(r"[^\W_]+")


def _words(book: Tunebook, base: int) -> Counter[str]:
    """The words of every tune's fields (but X:), comments, directives, chord symbols and
    annotations from offset ``base`` on: a safe fix drops none of them."""
    from ..model import Annotation, ChordSymbol

    words: Counter[str] = Counter()
    for t in book.tunes:
        if t.span.start < base:
            continue
        for f in t.fields:
            if f.letter != "X":
                words.update(_WORD_RE.findall(f"{f.letter} {f.value}"))
        for c in t.comments:
            words.update(_WORD_RE.findall(c.text))
        for d in t.directives:
            words.update(_WORD_RE.findall(f"{d.name} {d.value}"))
        for v in t.voices:
            for bar in v.bars:
                for e in bar.elements:
                    if isinstance(e, (ChordSymbol, Annotation)):
                        words.update(_WORD_RE.findall(e.text))
    return words


def _kept(before: Counter[str], after: Counter[str]) -> bool:
    return all(after[w] >= n for w, n in before.items())


_Selection = tuple[Selector, Selector, Selector]  # select, ignore, extend_select


def _check(full: str, target: str, sel: _Selection) -> tuple[Tunebook, list[Diagnostic]]:
    from ..validate import check

    book = parse(full, mode=target)
    return book, check(book, mode=target, select=sel[0], ignore=sel[1], extend_select=sel[2])


def _line_breaks(text: str) -> int:
    return len(NEWLINE_RE.findall(text))


def _local(diags: Iterable[Diagnostic], base: int, lines: int) -> list[Diagnostic]:
    """The findings in the text after the context prefix, with offsets and lines counted
    from its start."""
    if not base:
        return list(diags)
    out = []
    for d in diags:
        if d.span.start < base:
            continue
        s = d.span
        out.append(Diagnostic(d.code, d.message,
                              Span(s.line - lines, s.col, s.end_line - lines, s.end_col,
                                   s.start - base, s.end - base),
                              d.severity, d.rule, d.fix))
    return out


def _wants(d: Diagnostic, warnings: bool) -> bool:
    if d.severity is Severity.ERROR:
        return True
    return warnings and d.severity is Severity.WARNING and d.code in FIXERS


def _conflict(a: Edit, b: Edit) -> bool:
    if a.start == a.end and b.start == b.end:
        return False
    if a.start == a.end:
        return b.start < a.start < b.end
    if b.start == b.end:
        return a.start < b.start < a.end
    return a.start < b.end and b.start < a.end


def _edit_start(e: Edit) -> int:
    return e.start


class _ByStart:
    """Edits kept sorted by start (equal starts in the order they came), in chunks: one
    round can choose hundreds of thousands of edits, not in text order (each fixer's in
    turn), and inserting each into one sorted list moved the whole list every time."""

    CHUNK = 512

    def __init__(self) -> None:
        self.chunks: list[list[Edit]] = []
        self.firsts: list[int] = []  # the start of each chunk's first edit

    def insert(self, e: Edit) -> None:
        if not self.chunks:
            self.chunks.append([e])
            self.firsts.append(e.start)
            return
        c = max(bisect.bisect_right(self.firsts, e.start) - 1, 0)
        chunk = self.chunks[c]
        chunk.insert(bisect.bisect_right(chunk, e.start, key=_edit_start), e)
        self.firsts[c] = chunk[0].start
        if len(chunk) > 2 * self.CHUNK:
            half = len(chunk) // 2
            self.chunks[c : c + 1] = [chunk[:half], chunk[half:]]
            self.firsts[c : c + 1] = [chunk[0].start, chunk[half].start]

    def before(self, pos: int) -> Iterator[Edit]:
        """The edits that start before ``pos``, nearest first."""
        c = bisect.bisect_left(self.firsts, pos) - 1
        for ci in range(c, -1, -1):
            chunk = self.chunks[ci]
            i = bisect.bisect_left(chunk, pos, key=_edit_start) if ci == c else len(chunk)
            for j in range(i - 1, -1, -1):
                yield chunk[j]

    def from_(self, pos: int) -> Iterator[Edit]:
        """The edits that start at or after ``pos``, in order."""
        c = max(bisect.bisect_left(self.firsts, pos) - 1, 0)
        for ci in range(c, len(self.chunks)):
            chunk = self.chunks[ci]
            i = bisect.bisect_left(chunk, pos, key=_edit_start) if ci == c else 0
            yield from chunk[i:]


def _clashes(chosen: _ByStart, e: Edit) -> bool:
    """Whether ``e`` conflicts with one of ``chosen``, edits that never conflict with each
    other: only the neighbours of ``e``'s place need a look."""
    for other in chosen.before(e.start):
        if other.end <= e.start - 1:
            break
        if _conflict(e, other):
            return True
        if other.end <= e.start and other.start < e.start:
            break
    for other in chosen.from_(e.start):
        if other.start > e.end:
            break
        if _conflict(e, other):
            return True
    return False


def _self_conflicting(group: list[Edit]) -> bool:
    """Whether two edits of one group conflict, found by placing them in start order (a
    group can hold every edit of a long line: comparing each pair was quadratic)."""
    placed = _ByStart()
    for e in sorted(group, key=lambda e: (e.start, e.end)):
        if _clashes(placed, e):
            return True
        placed.insert(e)
    return False


def _flatten(groups: list[list[Edit]]) -> list[Edit]:
    """The edits of the chosen fixes, each numbered within its fix (``Edit.part``)."""
    return [e if i == e.part else replace(e, part=i) for g in groups for i, e in enumerate(g)]


def _choose_groups(groups: list[list[Edit]]) -> list[list[Edit]]:
    """The groups that fit together, first come first served; a group whose edits were
    all already chosen (two findings, one fix) adds nothing."""
    chosen: list[list[Edit]] = []
    placed = _ByStart()  # the chosen edits, for the overlap test
    keys: set[tuple[int, int, str]] = set()
    for group in groups:
        fresh = [e for e in group if (e.start, e.end, e.new) not in keys]
        if not fresh:
            continue
        if len(fresh) != len(group):
            continue  # overlaps a chosen group in part: next round
        if any(_clashes(placed, e) for e in fresh):
            continue
        if len(fresh) > 1 and _self_conflicting(fresh):
            continue
        for e in fresh:
            placed.insert(e)
        chosen.append(fresh)
        keys.update((e.start, e.end, e.new) for e in fresh)
    return chosen


def _choose(groups: list[list[Edit]]) -> list[Edit]:
    """:func:`_choose_groups`, flattened."""
    return _flatten(_choose_groups(groups))


def _apply(text: str, edits: list[Edit]) -> tuple[str, list[Edit]]:
    """Apply non-overlapping edits; returns the text and the edits in text order."""
    order = sorted(enumerate(edits), key=lambda p: (p[1].start, p[1].end != p[1].start, p[0]))
    parts = []
    pos = 0
    for _, e in order:
        parts.append(text[pos : e.start])
        parts.append(e.new)
        pos = e.end
    parts.append(text[pos:])
    return "".join(parts), [e for _, e in order]


@dataclass
class FileNumbers:
    """The X: numbers of a file whose parts are repaired one at a time (ABC206, ABC210).

    ``used`` holds every number a tune of the file has or was given, ``top`` the
    largest (a fixer's fresh number is one more, :meth:`FixContext.fresh_reference`),
    ``earlier`` the numbers of the tunes before the part under repair as they are
    written (a tune of the part that repeats one is renumbered: compared as ABC206
    compares them, so ``X:08`` does not repeat ``X:8``). One object serves a whole file and is read,
    not copied, by each part: copying the sets for every part, and listing them for
    every renumbered tune, made a file of many tunes quadratic. The repair of a file
    read a segment at a time (``rewrite.fix_stream``) starts it with every number of
    the file (``used``), as the repair of the whole text does."""

    used: set[int] = field(default_factory=set)
    earlier: set[str] = field(default_factory=set)
    top: int = 0

    def use(self, numbers: Iterable[int]) -> None:
        """Numbers the file holds (or was given): a fresh one is above them all."""
        for n in numbers:
            self.used.add(n)
            if n > self.top:
                self.top = n

    def passed(self, references: Iterable[str]) -> None:
        """The final ``X:`` values of a part just repaired: the parts after it must not
        repeat them."""
        for value in references:
            self.earlier.add(value)
            n = bounded_int(value)
            if n is not None:
                self.use((n,))


@paused_gc()
def _engine(
    text: str,
    prefix: str,
    target: str,
    warnings: bool,
    sel: _Selection,
    *,
    make_tune: bool,
    unsafe: bool = True,
    numbers: FileNumbers | None = None,
    first: tuple[Tunebook, list[Diagnostic]] | None = None,
) -> _Outcome:
    """Repair one part, round after round, with the cyclic collector paused throughout:
    each round parses and checks the part again, and the collector, run between those
    parses, walked every model they made before it was dropped (a tenth of the time).
    Reference counting frees them; the collector is not needed for a part's work (see
    :mod:`abcparse.gcpause`)."""
    base = len(prefix)
    lines = _line_breaks(prefix)
    full = prefix + text
    book, diags = first if first is not None else _check(full, target, sel)
    before = _local(diags, base, lines)
    earlier: AbstractSet[str] = numbers.earlier if numbers is not None else frozenset()
    diags = diags + _duplicates(book, base, earlier, target)
    edits: list[Edit] = []
    failures: list[str] = []
    withdrawn: list[Withdrawn] = []
    rnd = 0
    book0 = book
    limit = min(MAX_ROUNDS, REPAIR_CHARS // max(1, len(text)))
    guard = None if unsafe or limit == 0 else _Guard(book, base, target)
    if make_tune and unsafe and not any(
        t.span.end > base or t.span.start >= base for t in book.tunes
    ):
        # No tune at all: the text is read as the music of one (X:, T:, K: are added).
        e = _tune_start(full, base)
        full, _ = _apply(full, [e])
        edits.append(e.shifted(-base, 1))
        rnd = 1
        book, diags = _check(full, target, sel)
    wanted = [d for d in diags if d.span.start >= base and _wants(d, warnings)]
    seen = {full}
    level = 0
    while wanted and rnd < limit:
        rnd += 1
        if rnd > FIX_ROUNDS + ELEMENT_ROUNDS:
            level = max(level, 2)
        elif rnd > FIX_ROUNDS:
            level = max(level, 1)
        ctx = FixContext(full, book, base, target == "strict")
        ctx.cache["numbers"] = numbers
        ctx.diagnostics = wanted
        groups: list[list[Edit]] = []
        fallback: list[list[Edit]] = []
        waiting = False
        for d in wanted:
            group: Sequence[Edit] | None = None
            fix = FIXERS.get(d.code)
            error = d.severity is Severity.ERROR
            # From level 2 on (fixes went round in circles, or rounds ran out), errors are
            # deleted; warnings keep their fixers.
            if fix is not None and not (error and level >= 2):
                try:
                    group = fix(ctx, d)
                except Exception as exc:  # a fixer bug must not stop the repair
                    failures.append(f"{d.code} fixer: {type(exc).__name__}: {exc}")
                    group = None
                if group and all(e.old == e.new for e in group):
                    group = None  # an edit that changes nothing fixes nothing
            if group and not unsafe and not all(e.is_safe for e in group):
                group = None  # an unsafe fix: only with unsafe fixes asked for
                fix = None
            if group:
                groups.append(list(group))
            elif fix is not None and level == 0:
                # The fixer waits for other repairs of this round ([]), or cannot help
                # now (None): try again next round, delete only when rounds run out.
                waiting = True
            elif error and unsafe:
                try:
                    last = last_resort(ctx, d, max(level, 1))
                except Exception as exc:
                    failures.append(f"{d.code} last resort: {type(exc).__name__}: {exc}")
                    last = None
                if last:
                    # Deleting what could not be repaired changes the music.
                    fallback.append([replace(e, safe=False) for e in last])
        chosen_groups = [g for g in _choose_groups(groups + fallback)
                         if all(e.start >= base for e in g)]
        if guard is not None and chosen_groups:
            chosen_groups = guard.keep(full, chosen_groups, rnd, base, withdrawn)
        chosen = _flatten(chosen_groups)
        if not chosen and waiting and level == 0:
            level = 1  # only waiting fixers left: what they wait for will not come
            rnd -= 1
            continue
        if not chosen:
            if level >= 2:
                break
            level += 1
            continue
        new_full, ordered = _apply(full, chosen)
        if new_full in seen:
            level += 1  # going round in circles: be more drastic
        seen.add(new_full)
        full = new_full
        edits.extend(e.shifted(-base, rnd) for e in ordered)
        book, diags = _check(full, target, sel)
        diags = diags + _duplicates(book, base, earlier, target)
        wanted = [d for d in diags if d.span.start >= base and _wants(d, warnings)]
    if wanted and rnd >= limit and limit < MAX_ROUNDS:
        d0 = wanted[0]
        withdrawn.append(Withdrawn(
            d0.code, "", max(0, d0.span.start - base),
            (f"the tune is {len(text):,} characters long, too long to repair: nothing in it"
             " was fixed" if limit == 0 else
             f"the tune is {len(text):,} characters long: repair stopped after {limit}"
             f" round(s), with {len(wanted)} finding(s) left"), rnd + 1))
    if unsafe and any(d.severity is Severity.ERROR for d in wanted):
        # Nothing worked: an empty tune that keeps the number and title.
        body = full[base:]
        if book.tunes and any(t.span.start >= base for t in book.tunes):
            own = _numbers(book, base)
            refs = _references(t for t in book.tunes if t.span.start >= base)
            top = max(numbers.top if numbers is not None else 0, max(own, default=0))
            number = own[0] if own and refs and refs[0] not in earlier else top + 1
            new = minimal_tune(body, number)
            why = ("replaced the tune by an empty one that keeps its number and title: no"
                   " repair made it valid")
        else:
            new = "".join("%" + ln if ln.strip() and not ln.startswith("%") else ln
                          for ln in text_lines(body, keepends=True))
            why = "made every line a comment: no repair made this text valid"
        if new != body:
            rnd += 1
            edits.append(Edit(0, len(body), body, new, wanted[0].code, why, rnd))
            full = prefix + new
            book, diags = _check(full, target, sel)
    after = _local(diags, base, _line_breaks(prefix))
    changed = bool(edits) and unsafe and _music_differs(book0, book, base)
    return _Outcome(full[base:], edits, before, after, book, rnd, failures, withdrawn,
                    changed)


class _Guard:
    """Safe fixes, verified: the music of the text being repaired (what the music engine
    says it sounds) and its words, as they were before any fix; a round's fixes are kept
    only if the text with them applied still sounds the same and keeps every word."""

    def __init__(self, book: Tunebook, base: int, target: str) -> None:
        # A tune that plays beyond the engine's limits (AbcLimitError: a P: order of
        # thousands of parts over a long body) cannot be checked: its fixes are withdrawn.
        self.music: tuple[tuple[Any, ...], ...] | None = None
        self.unplayable = ""
        try:
            self.music = _music(book, base)
        except AbcLimitError as e:
            self.unplayable = f"not checked: {e}"
        self.words = _words(book, base)
        self.target = target
        self.refused: set[tuple[tuple[int, int, str], ...]] = set()  # withdrawn already

    def same(self, text: str, base: int) -> str | None:
        """None when ``text`` keeps the music and the words; else why not."""
        book = parse(text, mode=self.target)
        try:
            music = _music(book, base)
        except AbcLimitError as e:
            return f"it would make the tune too long to play: {e}"
        if music != self.music:
            return "it would change the music"
        if not _kept(self.words, _words(book, base)):
            return "it would drop text"
        return None

    def keep(self, full: str, groups: list[list[Edit]], rnd: int, base: int,
             withdrawn: list[Withdrawn]) -> list[list[Edit]]:
        """The groups to apply this round: all of them when together they keep the music
        (the common case, one parse); else the groups are halved, and each half that
        keeps the music together is kept whole (one parse for a half, not one per group:
        a round of thousands of fixes on a big tune stays a few parses of it), down to
        single groups, which are withdrawn and reported when alone they change it.

        The checks of one round are bounded (:data:`GUARD_CHARS`: so many characters
        parsed, at least :data:`GUARD_CHECKS` checks): the groups no check has reached
        when it is spent are withdrawn too, with that reason (a tune so big that checking
        each of its fixes alone would take hours)."""
        def key(g: list[Edit]) -> tuple[tuple[int, int, str], ...]:
            return tuple((e.start, e.end, e.new) for e in g)

        def refuse(g: list[Edit], reason: str) -> None:
            """Withdraw ``g`` for ``reason``, and not offer it again in a later round."""
            self.refused.add(key(g))
            withdrawn.append(Withdrawn(g[0].code, g[0].why, g[0].start - base, reason, rnd))

        groups = [g for g in groups if key(g) not in self.refused]  # met again: not again
        if not groups:
            return []
        if self.music is None:
            for g in groups:
                refuse(g, self.unplayable)
            return []
        together, _ = _apply(full, [e for g in groups for e in g])
        if self.same(together, base) is None:
            return groups
        budget = max(GUARD_CHECKS, GUARD_CHARS // max(1, len(full)))
        kept: list[list[Edit]] = []
        first_part: list[list[Edit]] = []  # the first part found to keep the music
        unchecked: list[list[Edit]] = []
        todo = [(groups, True)]  # (groups, known to change the music together)
        while todo:
            part, bad = todo.pop()
            if not bad:
                if budget <= 0:
                    unchecked.extend(part)
                    continue
                budget -= 1
                alone, _ = _apply(full, [e for g in part for e in g])
                reason = self.same(alone, base)
                if reason is None:
                    kept.extend(part)
                    first_part = first_part or part
                    continue
                if len(part) == 1:
                    refuse(part[0], reason)
                    continue
            half = len(part) // 2
            # The second half goes on the stack first: the first half is checked first.
            todo.append((part[half:], False))
            todo.append((part[:half], False))
        for g in unchecked:
            refuse(g, f"not checked: {len(groups)} fixes in one round of a tune of"
                      f" {len(full)} characters are too many to check each alone")
        if kept:
            together, _ = _apply(full, [e for g in kept for e in g])
            if self.same(together, base) is not None:
                # Parts that each keep the music change it together: apply the first
                # (checked alone) and leave the others to the next round, where their
                # findings are fixed and checked again in the new text; nothing is
                # reported withdrawn that a later round may still apply.
                return first_part
        return kept


def _tune_start(full: str, base: int) -> Edit:
    """The edit that makes text holding no tune into one: X:, T: and K: before its first
    line that is not empty (or an empty tune for empty text)."""
    body = full[base:]
    if not body.strip():
        return Edit(base, len(full), body, "X:1\nT:Untitled\nK:C\n", "ABC201",
                    "the text holds no tune: made it an empty tune (§3.1.1)")
    m = re.search(r"[^\s]", body)
    line_start = body.rfind("\n", 0, m.start() if m else 0) + 1
    m2 = NEWLINE_RE.search(body)
    nl = m2.group() if m2 else "\n"
    lines = text_lines(body[line_start:])
    first = lines[0] if lines else ""
    number = _DAMAGED_X_RE.fullmatch(first)
    mended = ("X:" + number.group(1)) if number else repair_field_line(first)
    if mended is not None and mended.startswith("X:"):
        # The X: line itself was damaged (X328, Xa: 36, :145): mend it.
        return Edit(base + line_start, base + line_start + len(first), first, mended,
                    "ABC201", f"mended the damaged line {first!r} as {mended!r}: it starts"
                    " the tune (§3.1.1)")
    head = "X:1" + nl
    if not any(ln.startswith("T:") for ln in lines[:1]):
        head += "T:Untitled" + nl
    if not any(ln.startswith("K:") for ln in lines):
        # Only fields before the music: K: after them.
        k = line_start
        for ln in text_lines(body[line_start:], keepends=True):
            if not FIELD_LINE_RE.match(ln):
                break
            k += len(ln)
        if k > line_start:
            ins = body[line_start:k]
            if not ins.endswith(("\n", "\r")):
                ins += nl
            new = head + ins + "K:C" + nl
            return Edit(base + line_start, base + k, body[line_start:k], new, "ABC201",
                        "the text holds no tune: added X:, T: and K: so it is read as one"
                        " (§3.1.1, §3.1.14)")
        head += "K:C" + nl
    return Edit(base + line_start, base + line_start, "", head, "ABC201",
                "the text holds no tune: added X:, T: and K: so it is read as one"
                " (§3.1.1, §3.1.14)")


def _numbers(book: Tunebook, base: int) -> list[int]:
    out = []
    for t in book.tunes:
        if t.span.start < base:
            continue
        for f in t.header.fields:
            if f.letter == "X":
                n = bounded_int(f.value)
                if n is not None:
                    out.append(n)
                break
    return out


def _duplicates(book: Tunebook, base: int, taken: AbstractSet[str], target: str
                ) -> list[Diagnostic]:
    """ABC206 for tunes of this text whose X: number an earlier tune of the file has
    (written alike: as the rule compares them)."""
    if not taken:
        return []
    from ..validate import get_rule
    from ..validate.structure import reference_field

    rule = get_rule("ABC206")
    out = []
    for t in book.tunes:
        if t.span.start < base:
            continue
        f = reference_field(t.header.fields)
        if f is not None and f.value.strip() in taken:
            v = f.value.strip()
            sev = rule.severity(t.strict) if rule is not None else Severity.ERROR
            if sev is not None:
                out.append(Diagnostic("ABC206", f"X:{v} is already the number of an"
                                      " earlier tune of the file (§3.1.1)", f.span,
                                      sev, "duplicate-reference"))
    return out


# ---------------------------------------------------------------------------------------
# The public functions


def _target(target: str) -> str:
    if target not in MODES:
        raise AbcUsageError(f"target must be one of {', '.join(MODES)}, not {target!r}")
    return target


def _later_context(prefix: str) -> str:
    """The context a part of the file after its start is read under: the file header
    (``prefix``), or, when the file has none, an empty one (a comment line). Read alone,
    the part's first block would be taken for the file header (§2.2.2: only the file's
    first block can be), so fields written above its X: (ABC202), which the whole file
    reads as free text, would apply to its tune, and a fix moving them into the tune
    would seem to keep the music."""
    chunks, _ = split(prefix)
    if any(c.kind not in ("blank", "version") for c in chunks):
        return prefix
    return _prefix(prefix + "%\n") if prefix else "%\n\n"


def _prefix(header: str | None) -> str:
    """The context a tune is read under, ending with an empty line so it stays apart."""
    if not header:
        return ""
    text = header
    if not text.endswith(("\n", "\r")):
        text += "\n"
    stripped = text.rstrip(" \t\r\n")
    if text[len(stripped):].count("\n") + text[len(stripped):].count("\r") < 2:
        text += "\n"
    return text


def repair(
    tune: Tune | str,
    *,
    target: str = "strict",
    warnings: bool = False,
    select: Selector = None,
    ignore: Selector = None,
    extend_select: Selector = None,
    header: str | None = None,
    unsafe: bool = False,
) -> RepairResult:
    """Repair one tune so that it passes validation in ``target`` mode ("strict",
    "loose" or "auto", as :func:`abcparse.check`).

    ``unsafe`` chooses the fixes, as ``abc-lint --unsafe-fixes`` does: by default
    (``unsafe=False``) only safe fixes are applied (they change layout, spelling, or what
    the standard already implies), each checked by the music engine, which withdraws one
    that would change the music or drop text (:attr:`RepairResult.withdrawn`); what
    cannot be fixed safely stays, reported in :attr:`RepairResult.after`. With
    ``unsafe=True`` (text a program owns: generated tunes, a corpus being cleaned) any fix
    may apply, deletion included, and the result is always valid.

    ``tune`` is a :class:`~abcparse.model.Tune` or the text of one tune. Every error is
    repaired; with ``warnings=True`` so are the warnings that have a fixer (an unknown
    decoration, voices out of step, extra lyrics ...). ``select`` and ``ignore`` narrow
    the findings as they do for ``check``. ``header`` is the text of the file header the
    tune is read under (its fields apply to the tune, §2.2.2); it is never changed, and the
    repaired tune's spans then count from its start.

    A tune that is valid already comes back unchanged. Never raises for bad ABC; raises
    :class:`~abcparse.errors.AbcUsageError` for an unknown ``target``.

    >>> import abcparse
    >>> r = abcparse.repair("X:1\\nT:Jig\\nM:6/8\\nL:1/8\\nK:D\\nFAA dAA|dAF dA|(dAF d3|]\\n",
    ...                     unsafe=True)
    >>> print(r.text, end="")
    X:1
    T:Jig
    M:6/8
    L:1/8
    K:D
    FAA dAA|dAF dAz|dAF d3|]
    >>> [(e.code, e.old, e.new) for e in r.edits]
    [('ABC301', '', 'z'), ('ABC310', '(', '')]
    >>> r.valid, abcparse.repair(r.text).edits
    (True, ())
    >>> safe = abcparse.repair("X:1\\nT:Jig\\nM:6/8\\nL:1/8\\nK:D\\nFAA dAA|dAF dA|(dAF d3|]\\n")
    >>> [(e.code, e.old, e.new) for e in safe.edits], [d.code for d in safe.after]
    ([('ABC310', '(', '')], ['ABC301'])
    """
    target = _target(target)
    if isinstance(tune, Tune):
        text = tune.text
    elif isinstance(tune, str):
        text = tune
    else:
        raise AbcUsageError(f"repair() takes a Tune or the text of one, not {type(tune)!r}")
    prefix = _prefix(header)
    out = _engine(text, prefix, target, warnings, (select, ignore, extend_select),
                  make_tune=True, unsafe=unsafe)
    base = len(prefix)
    tunes = [t for t in out.book.tunes if t.span.start >= base]
    if isinstance(tune, Tune) and not out.edits:
        repaired = tune
    elif tunes:
        repaired = tunes[0]
    else:  # cannot happen: the engine always leaves a tune; stay total anyway
        repaired = parse("X:1\nT:Untitled\nK:C\n", mode=target).tunes[0]
    return _reported_once(RepairResult(
        repaired,
        out.text,
        tuple(out.edits),
        tuple(out.before),
        tuple(out.after),
        not any(d.severity is Severity.ERROR for d in out.after),
        text,
        target,
        out.rounds,
        tuple(out.failures),
        unsafe,
        tuple(out.withdrawn),
        out.music_changed,
    ))


def _reported_once(result: RepairResult) -> RepairResult:
    """``result`` with each withdrawn fix once: a finding met again in a later round is
    offered its fix again (at an offset the edits before it moved) and withdrawn again;
    it is reported at its first round only."""
    if len(result.withdrawn) < 2:
        return result
    seen: set[tuple[str, int, str]] = set()
    once = []
    for w in result.withdrawn:
        start, _ = result.input_span(Edit(w.start, w.start, "", "", w.code, "", w.round))
        if (w.code, start, w.reason) not in seen:
            seen.add((w.code, start, w.reason))
            once.append(w)
    if len(once) == len(result.withdrawn):
        return result
    return replace(result, withdrawn=tuple(once))


@dataclass(frozen=True, slots=True)
class TextRepair:
    """What :func:`repair_text` did to a file's text.

    ``first`` holds the edits of the first round, made over the whole file at once
    (offsets in the original text); ``units`` pairs each part that needed more rounds (the
    file header, or a tune with the free text after it) with its offset in the text after
    the first round and its :class:`RepairResult`. :meth:`changes` lists every edit with
    its place in the original text.
    """

    original: str
    text: str
    first: tuple[Edit, ...]
    units: tuple[tuple[int, RepairResult], ...]
    before: tuple[Diagnostic, ...]
    after: tuple[Diagnostic, ...]
    valid: bool
    first_failures: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.text != self.original

    @property
    def edits(self) -> tuple[Edit, ...]:
        return self.first + tuple(e for _, r in self.units for e in r.edits)

    @property
    def failures(self) -> tuple[str, ...]:
        return self.first_failures + tuple(f for _, r in self.units for f in r.failures)

    def withdrawn(self) -> list[tuple[int, int, Withdrawn]]:
        """(line, column, fix) of every safe fix withdrawn because it would change the
        music or drop text, at its place in the original text."""
        index = LineIndex(self.original)
        done = _BackMap(self.first)
        out = []
        for offset, r in self.units:
            for w in r.withdrawn:
                start = w.start
                if w.round > 1:
                    start, _ = r.input_span(Edit(w.start, w.start, "", "", w.code, "", w.round))
                pos = index.position(done.back(offset + start, True))
                out.append((pos.line, pos.col, w))
        out.sort(key=lambda x: (x[0], x[1]))
        return out

    def changes(self) -> list[tuple[int, int, Edit]]:
        """(line, column, edit) for every edit, at its place in the original text
        (1-based; an edit of a later round that touches text an earlier round wrote is
        placed where that text came from)."""
        index = LineIndex(self.original)
        done = _BackMap(self.first)
        out = []
        for e in self.first:
            pos = index.position(e.start)
            out.append((pos.line, pos.col, e))
        for offset, r in self.units:
            for e in r.edits:
                start, _ = r.input_span(e)
                pos = index.position(done.back(offset + start, True))
                out.append((pos.line, pos.col, e))
        out.sort(key=lambda x: (x[0], x[1]))
        return out

    def fixes(self) -> list[tuple[int, int, Edit]]:
        """:meth:`changes`, a fix of several edits once, at its first (``Edit.part``):
        what ``abc-lint --fix`` lists (``B-c`` → ``(Bc)`` is one fix of three edits)."""
        return [c for c in self.changes() if not c[2].part]

    def music_changes(self, target: str = "auto") -> list[tuple[int, str]]:
        """(line in the original text, "X:n title") of every tune that sounds different
        after the repair, as the music engine reads both (only unsafe fixes do that)."""
        if not self.changed:
            return []
        old = parse(self.original, mode=target).tunes
        new = parse(self.text, mode=target).tunes
        out = []
        for i, t in enumerate(old):
            other = new[i] if i < len(new) else None
            if other is None or _music_differs(_single(t), _single(other), 0):
                out.append((t.span.line, f"X:{t.reference} {t.title or ''}".strip()))
        return out


def _single(tune: Tune) -> Tunebook:
    from ..model import FileHeader

    return Tunebook(FileHeader(), (tune,))


def _unit_starts(text: str) -> list[int]:
    """Where each tune's part of the file starts: at the first line of the block its X:
    is in (fields written above X: belong to it, ABC202), or at its X: when it follows
    another tune with no empty line between (ABC211: each tune is still a part of its
    own, so that a file of tunes never parted by empty lines is repaired tune by tune,
    not as one part the size of the file); what follows a tune up to the next part is
    its (free text or music cut off by an empty line, ABC209)."""
    chunks, _ = split(text, loose=True)
    starts: list[int] = []
    for i, c in enumerate(chunks):
        if c.kind != "tune":
            continue
        prev = chunks[i - 1] if i > 0 else None
        if prev is not None and prev.kind in ("text", "header"):
            starts.append(prev.start)
        else:
            starts.append(c.start)
    return starts


def _separate_tunes(text: str, book: Tunebook, wanted: list[Diagnostic], target: str,
                    numbers: FileNumbers) -> tuple[list[Edit], list[str]]:
    """The first round of safe repair: the fixes of the file rather than of one tune,
    made over the whole file before the tunes are repaired one by one. The empty line
    before every X: that follows a tune without one (ABC211, §2.2), and every line end
    written the way most lines of the file end (ABC003: reported once for the file, its
    fix made in the first tune alone used to leave the others for later runs). They are
    kept only if the file then sounds the same and keeps every word (one check: the
    empty line ends the tune before, which loose and strict reading already end at the
    X:)."""
    edits, failures = _whole_round(
        text, book, [d for d in wanted if d.code in ("ABC211", "ABC003")], target, numbers)
    if edits and _Guard(book, 0, target).same(_apply(text, edits)[0], 0) is not None:
        edits = []
    return edits, failures


def _whole_round(text: str, book: Tunebook, wanted: list[Diagnostic], target: str,
                 numbers: FileNumbers) -> tuple[list[Edit], list[str]]:
    """The first round over a whole file: every fixer once, no deletion of last resort
    (that is for the rounds of each tune)."""
    ctx = FixContext(text, book, 0, target == "strict")
    ctx.cache["numbers"] = numbers
    ctx.diagnostics = wanted
    groups: list[list[Edit]] = []
    failures: list[str] = []
    for d in wanted:
        fix = FIXERS.get(d.code)
        if fix is None:
            continue
        try:
            group = fix(ctx, d)
        except Exception as exc:  # a fixer bug must not stop the repair
            failures.append(f"{d.code} fixer: {type(exc).__name__}: {exc}")
            continue
        if group:
            groups.append(list(group))
    return _choose(groups), failures


def repair_text(
    text: str,
    *,
    target: str = "auto",
    warnings: bool = False,
    select: Selector = None,
    ignore: Selector = None,
    extend_select: Selector = None,
    unsafe: bool = False,
    numbers: FileNumbers | None = None,
) -> TextRepair:
    """Repair every tune of a file's text (and its file header) for ``target`` mode.

    The first round runs over the whole file at once (one check, one pass of fixers,
    one check again), which settles most files. Each part that still needs repair (the
    file header, or a tune) then gets rounds of its own, with the file header as its
    context, so one tune's repair never moves another's text; a tune whose ``X:`` number
    an earlier tune has gets a new one (ABC206). Tunes with nothing to repair are left
    exactly as they were.

    ``unsafe`` as for :func:`repair`. Without unsafe fixes the whole-file round only
    adds the empty lines that part tunes (ABC211, see :func:`_separate_tunes`): each part
    is then repaired and its music checked on its own, so a withdrawn fix is found
    without reading the whole file again.

    ``numbers``: where ``text`` is a stretch of a bigger file (``rewrite.fix_stream``),
    the file's X: numbers (:class:`FileNumbers`: all of them in ``used``, those of the
    tunes before the stretch in ``earlier``); a tune of the stretch that repeats an
    earlier one is renumbered (ABC206), and fresh numbers come after the file's. The
    stretch's final numbers are added to ``earlier`` for the next one.
    """
    target = _target(target)
    from ..validate import check, select_rules

    book0 = parse(text, mode=target)
    sel = (select, ignore, extend_select)
    diags0 = check(book0, mode=target, select=select, ignore=ignore, extend_select=extend_select)
    wanted0 = [d for d in diags0 if _wants(d, warnings)]
    outside = numbers is not None
    if numbers is None:
        numbers = FileNumbers()
    # A tune that repeats the number of a tune before the stretch: the stretch's own
    # check cannot see it (it does not hold that tune), the file's would (ABC206).
    repeats = outside and bool(numbers.earlier.intersection(_references(book0.tunes))) and (
        "ABC206" in select_rules(select, ignore, extend_select))
    if not wanted0 and not repeats:
        numbers.passed(_references(book0.tunes))
        return TextRepair(text, text, (), (), tuple(diags0), tuple(diags0),
                          not any(d.severity is Severity.ERROR for d in diags0))
    chosen, first_failures = (_whole_round if unsafe else _separate_tunes)(
        text, book0, wanted0, target, numbers)
    first: list[Edit] = []
    text1, book1, diags1 = text, book0, diags0
    if chosen:
        text1, ordered = _apply(text, chosen)
        first = [replace(e, round=1, safe=None) for e in ordered]
        book1 = parse(text1, mode=target)
        diags1 = check(book1, mode=target, select=select, ignore=ignore,
                       extend_select=extend_select)
    wanted1 = sorted((d for d in diags1 if _wants(d, warnings)), key=lambda d: d.span.start)
    if not wanted1 and not repeats:
        numbers.passed(_references(book1.tunes))
        return TextRepair(text, text1, tuple(first), (), tuple(diags0), tuple(diags1),
                          not any(d.severity is Severity.ERROR for d in diags1),
                          tuple(first_failures))
    starts = _unit_starts(text1)
    bounds = [0, *starts, len(text1)] if (not starts or starts[0] > 0) else [*starts,
                                                                             len(text1)]
    numbers.use(_numbers(book1, 0))
    prefix = ""
    later = _later_context(prefix)  # the context of the parts after the file's start
    parts: list[str] = []
    units: list[tuple[int, RepairResult]] = []
    positions = [d.span.start for d in wanted1]
    dup_at = sorted(d.span.start for d in diags1 if d.code == "ABC206")
    tune_starts = [t.span.start for t in book1.tunes]  # in file order
    for a, b in itertools.pairwise(bounds):
        piece = text1[a:b]
        is_header = not starts or a < starts[0]
        own = book1.tunes[bisect.bisect_left(tune_starts, a):bisect.bisect_left(tune_starts, b)]
        last = b == len(text1)
        mine = bisect.bisect_left(positions, b) - bisect.bisect_left(positions, a)
        if last:
            mine += bisect.bisect_right(positions, b) - bisect.bisect_left(positions, b)
        own_refs = _references(own)
        dup = bool(numbers.earlier.intersection(own_refs)) and (
            repeats or bisect.bisect_left(dup_at, b) > bisect.bisect_left(dup_at, a))
        if mine or dup:
            context = "" if is_header else prefix if a == 0 else later
            whole = not context and a == 0 and b == len(text1) and not numbers.earlier
            out = _engine(piece, context, target, warnings, sel,
                          make_tune=False, unsafe=unsafe, numbers=numbers,
                          first=(book1, list(diags1)) if whole else None)
            tunes = [t for t in out.book.tunes if t.span.start >= len(context)]
            if out.edits or out.withdrawn:
                fallback = tunes[0] if tunes else (own[0] if own else None)
                if fallback is None:
                    fallback = parse("X:1\nT:Untitled\nK:C\n", mode=target).tunes[0]
                units.append((a, _reported_once(RepairResult(
                    fallback, out.text, tuple(out.edits), tuple(out.before),
                    tuple(out.after), not any(d.severity is Severity.ERROR for d in out.after),
                    piece, target, out.rounds, tuple(out.failures), unsafe,
                    tuple(out.withdrawn), out.music_changed))))
            piece = out.text
            own_refs = _references(tunes)
        if is_header:
            prefix = _prefix(piece)
            later = _later_context(prefix)
        numbers.passed(own_refs)
        parts.append(piece)
    new_text = "".join(parts)
    after = (check(new_text, mode=target, select=select, ignore=ignore,
                   extend_select=extend_select) if new_text != text1 else diags1)
    return TextRepair(text, new_text, tuple(first), tuple(units), tuple(diags0), tuple(after),
                      not any(d.severity is Severity.ERROR for d in after),
                      tuple(first_failures))


def _references(tunes: Iterable[Tune]) -> list[str]:
    """The X: value each tune is known by, as written (the rule ABC206 compares)."""
    from ..validate.structure import reference_field

    out = []
    for t in tunes:
        f = reference_field(t.header.fields)
        if f is not None:
            out.append(f.value.strip())
    return out


def repair_file(
    path: str | os.PathLike[str],
    *,
    target: str = "auto",
    warnings: bool = False,
    select: Selector = None,
    ignore: Selector = None,
    extend_select: Selector = None,
    write: bool = True,
) -> TextRepair:
    """Repair a file in place (atomically, only when it changes), keeping its encoding.
    Raises :class:`~abcparse.errors.AbcIOError` when it cannot be read or written."""
    from . import encode_like, read_source

    source = read_source(path)
    result = repair_text(source.text, target=target, warnings=warnings, select=select,
                         ignore=ignore, extend_select=extend_select)
    if write and result.changed:
        atomic_write_bytes(path, encode_like(source, result.text))
    return result


@dataclass(frozen=True, slots=True)
class FixResult:
    """What ``abc-lint --fix`` did to one file's text: the repairs (``repair``), and, with
    ``--reformat``, the formatting (``formatting``, whose safety checks guard only what
    the formatter itself changes; None when the file was not formatted)."""

    original: str
    text: str
    repair: TextRepair
    formatting: Any = None

    @property
    def changed(self) -> bool:
        return self.text != self.original

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """The formatter's ABC9xx findings when it refused to format (then the text is
        the repaired text, unformatted)."""
        return tuple(getattr(self.formatting, "diagnostics", ()))


def fix_text(
    text: str,
    options: Any = None,
    *,
    target: str = "auto",
    select: Selector = None,
    ignore: Selector = None,
    extend_select: Selector = None,
    unsafe: bool = False,
    reformat: bool = False,
) -> FixResult:
    """Repair every finding that has a fixer (errors and warnings, as ``abc-lint``
    reports them in ``target`` mode and with the same selection): safe fixes only, each
    checked by the music engine, unless ``unsafe`` (``--unsafe-fixes``). Nothing else
    changes, unless ``reformat`` (``--fix --reformat``), which then formats the result with
    the formatter's ``options`` (:class:`abcparse.format.FormatOptions`)."""
    repaired = repair_text(text, target=target, warnings=True, select=select, ignore=ignore,
                           extend_select=extend_select, unsafe=unsafe)
    if not reformat:
        return FixResult(text, repaired.text, repaired)
    from . import format_text

    formatted = format_text(repaired.text, options)
    return FixResult(text, formatted.text, repaired, formatted)


def fix_file(
    path: str | os.PathLike[str],
    options: Any = None,
    *,
    write: bool = True,
    target: str = "auto",
    select: Selector = None,
    ignore: Selector = None,
    extend_select: Selector = None,
    unsafe: bool = False,
    reformat: bool = False,
) -> FixResult:
    """:func:`fix_text` on a file, written back atomically (``abcparse.fileio``) when it
    changes and ``write`` is true, in the file's own encoding."""
    from . import encode_like, read_source

    source = read_source(path)
    result = fix_text(source.text, options, target=target, select=select, ignore=ignore,
                      extend_select=extend_select, unsafe=unsafe, reformat=reformat)
    if write and result.changed:
        atomic_write_bytes(path, encode_like(source, result.text))
    return result
