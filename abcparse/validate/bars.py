"""Bar durations: how long each bar is, and which short bars are music and not mistakes.

The duration of a bar is the sum of what takes time in it, in whole notes:

- a note or rest: its length (§4.3) times the unit note length (``L:``, or its default
  from ``M:``, §3.1.7); an inline ``[L:]`` or an ``L:`` line changes the unit from there;
- broken rhythm (§4.4): ``a>b`` makes a 3/2 and b 1/2 of their lengths (``>>`` 7/4 and
  1/4, ``>>>`` 15/8 and 1/8; ``<`` the other way round); grace notes in between do not
  matter (§4.12: "transparent to the broken rhythm construct");
- tuplets (§4.13): ``(p:q:r`` puts the next r notes (rests and chords count, grace notes
  do not) into q/p of their time; defaults from :func:`abcparse.theory.tuplet_ratio`;
- a chord (§4.17): the length of its first note times the length after ``]``;
- grace notes (§4.12), spacers, decorations, chord symbols and annotations: no time;
- after a voice overlay ``&`` (§7.4) the notes overlay the bar: only the first layer
  counts.

A bar is measured against the meter in force where it starts (``M:``, inline ``[M:]``);
``M:none`` and a tune without ``M:`` are free meter (§3.1.6) and not measured. A bar with
a multi-measure rest ``Z``/``X`` (§4.5), a meter change after its first note, or text the
parser could not read is not measured either.

Which bars may be short is music practice, not the letter of the standard, and
:func:`short_bar_ok` spells it out (see docs/validator.md, "Bar durations"):

- the first bar of a voice (a pickup, anacrusis) and the last bar;
- the first bar of a section (after ``|:``, ``:|``, ``::``, ``||``, ``|]``, ``[|`` or a
  ``P:`` part label): a section's own pickup;
- the last bar of a section (before one of those bar lines, a ``P:`` label or a variant
  ending) when, added to a pickup it goes with, it makes a full bar: the pickup of the
  section that ``:|`` repeats, the first bar of the next section, or, before variant
  endings (§4.9, §4.10), the first bar of each ending;
- the first bar of a variant ending when it completes the bar before the endings.

Overfull bars are always reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from ..model import (
    Bar,
    BarKind,
    BarLine,
    BrokenRhythm,
    Chord,
    ErrorNode,
    InlineField,
    Meter,
    Note,
    Overlay,
    Rest,
    Tune,
    Tuplet,
    VariantEnding,
)
from ..theory import tuplet_ratio

_ZERO = Fraction(0)
_ONE = Fraction(1)


@dataclass(slots=True)
class BarTime:
    """One bar of one voice, measured."""

    bar: Bar
    duration: Fraction = _ZERO  # whole notes, first layer
    expected: Fraction | None = None  # None: not measured (free meter, Z, errors...)
    meter: Meter | None = None
    content: bool = False  # holds a note, rest or chord
    part_label: bool = False  # a P: field before the bar's first note
    ending_start: tuple[int, ...] = ()  # the variant ending that starts with this bar
    # Sum of the durations by denominator: adding integers is much cheaper than adding
    # Fractions (each of which reduces by a gcd); the sum is reduced once, at the end.
    parts: dict[int, int] = field(default_factory=dict)
    fit: int = 0  # -1 short, 0 full (or not measured), 1 overfull

    @property
    def measured(self) -> bool:
        return self.expected is not None and self.content

    @property
    def short(self) -> bool:
        return self.fit < 0

    @property
    def over(self) -> bool:
        return self.fit > 0

    def add(self, num: int, den: int) -> None:
        parts = self.parts
        parts[den] = parts.get(den, 0) + num


@dataclass(slots=True)
class VoiceBars:
    voice_id: str
    bars: list[BarTime]


def measure_tune(tune: Tune) -> list[VoiceBars]:
    """Measure every bar of every voice of ``tune``."""
    out = []
    for voice in tune.voices:
        out.append(VoiceBars(voice.id, _measure_voice(voice.bars, tune.meter, tune.unit_length)))
    return out


def _broken_factors(b: BrokenRhythm) -> tuple[Fraction, Fraction]:
    """§4.4: factors for the note before and the note after a broken-rhythm sign."""
    small = Fraction(1, 2 ** min(b.count, 8))
    big = 2 - small
    return (big, small) if b.direction == ">" else (small, big)


def _measure_voice(bars: tuple[Bar, ...], meter: Meter | None, unit: Fraction) -> list[BarTime]:
    out: list[BarTime] = []
    tuplet_left = 0
    tq = tp = 1  # the running tuplet's factor q/p
    broken_next: Fraction | None = None
    # The bar and duration (num, den) of the last note, for a broken rhythm after it.
    last: tuple[BarTime, int, int] | None = None
    un, ud = unit.numerator, unit.denominator
    for bar in bars:
        bt = BarTime(bar, meter=meter, ending_start=bar.ending)
        opening = bar.opening
        if bar.ending or (opening is not None and opening.repeat_end):
            # A tuplet or broken rhythm cannot run on across a repeat or into an ending.
            tuplet_left = 0
            broken_next = None
            last = None
        skip = False
        layer = 0
        parts = bt.parts
        for e in bar.elements:
            kind = type(e)
            if kind is Note or kind is Rest or kind is Chord:
                if kind is Rest and e.measures is not None:  # type: ignore[union-attr]
                    skip = True  # Z / X: whole measures (§4.5)
                    bt.content = True
                    continue
                if kind is Chord and not e.notes:  # type: ignore[union-attr]
                    continue  # "[]" (abcm2ps writes it): no note, no time
                length = e.duration if kind is Chord else e.length  # type: ignore[union-attr]
                num = length.numerator * un
                den = length.denominator * ud
                if tuplet_left > 0:
                    num *= tq
                    den *= tp
                    tuplet_left -= 1
                if broken_next is not None:
                    num *= broken_next.numerator
                    den *= broken_next.denominator
                    broken_next = None
                if layer == 0:
                    parts[den] = parts.get(den, 0) + num
                    last = (bt, num, den)
                bt.content = True
            elif kind is BrokenRhythm:
                before, after = _broken_factors(e)  # type: ignore[arg-type]
                if layer == 0:
                    if last is not None:
                        lbt, lnum, lden = last
                        extra = Fraction(lnum, lden) * (before - 1)
                        lbt.add(extra.numerator, extra.denominator)
                        last = None
                    broken_next = after
            elif kind is Tuplet:
                p, q, r = tuplet_ratio(e.p, e.q, e.r, meter)  # type: ignore[union-attr]
                tuplet_left = r
                tq, tp = (q, p) if p else (1, 1)
            elif kind is InlineField:
                assert isinstance(e, InlineField)
                if e.letter == "M":
                    if isinstance(e.parsed, Meter):
                        meter = e.parsed
                        if bt.content:
                            skip = True  # a meter change inside the bar
                        else:
                            bt.meter = meter
                    else:
                        skip = True
                elif e.letter == "L":
                    if isinstance(e.parsed, Fraction):
                        unit = e.parsed
                        un, ud = unit.numerator, unit.denominator
                elif e.letter == "P" and not bt.content:
                    bt.part_label = True
            elif kind is VariantEnding:
                if not bt.content:
                    bt.ending_start = e.numbers  # type: ignore[union-attr]
            elif kind is Overlay:
                layer += 1
            elif kind is ErrorNode:
                skip = True  # unreadable text: what it held is unknown
                tuplet_left = 0
                broken_next = None
                last = None
            # GraceGroup (§4.12), decorations, symbols, spacers: no time.
        if parts:
            if len(parts) == 1:
                ((den, num),) = parts.items()
                bt.duration = Fraction(num, den)
            else:
                total = _ZERO
                for den, num in parts.items():
                    total += Fraction(num, den)
                bt.duration = total
        if layer and not parts:
            skip = True  # "&& (d8 |": only overlay layers, continuing the bars before (§7.4)
        length = bt.meter.bar_length if bt.meter is not None else None
        bt.expected = None if skip else length
        if bt.expected is not None and bt.content and bt.duration != bt.expected:
            bt.fit = -1 if bt.duration < bt.expected else 1
        out.append(bt)
    return out


# ---------------------------------------------------------------------------------------
# Which short bars are fine


def _ends_section(bl: BarLine | None) -> bool:
    if bl is None:
        return True
    if bl.repeat_end or bl.repeat_start:
        return True
    kind = bl.kind  # identity tests: hashing an Enum member runs Python code
    return kind is not BarKind.SINGLE and kind is not BarKind.DOTTED and (
        kind is not BarKind.INVISIBLE
    )


def _starts_section(bl: BarLine | None) -> bool:
    return bl is not None and _ends_section(bl)


@dataclass(slots=True)
class BarVerdict:
    """A bar whose duration does not fit, with what was expected."""

    bar: BarTime
    index: int
    why: str


# Why a short bar was accepted (``check_voice(..., accepted=...)``); the differential test
# against abc2midi names these kinds (tests/fixtures/abc2midi_disagreements.md).
FIRST_BAR = "first-bar"
LAST_BAR = "last-bar"
SECTION_PICKUP = "section-pickup"
COMPLEMENT_REPEAT = "complements-repeat-pickup"
COMPLEMENT_NEXT = "complements-next-section"
COMPLEMENT_ENDING = "complements-ending"
LINE_SPLIT = "split-by-line-end"


def check_voice(bars: list[BarTime], accepted: dict[int, str] | None = None) -> list[BarVerdict]:
    """The bars of one voice that are overfull, or short where no pickup explains it.

    ``accepted``, if given, receives for each short bar that is fine the reason why (one
    of the constants above)."""
    if not any(b.fit for b in bars):
        return []  # every measured bar is full: the common case, decided at once
    content = [i for i, b in enumerate(bars) if b.content]
    if not content:
        return []
    first, last = content[0], content[-1]
    n = len(bars)
    # Section starts: the bar after a section bar line, a P: label, an ending start.
    starts = [False] * n
    for i, b in enumerate(bars):
        if i == first or b.part_label or b.ending_start or _starts_section(b.bar.opening):
            starts[i] = True
    ends = [False] * n
    for i in range(n):
        nxt = i + 1
        while nxt < n and not bars[nxt].content:
            nxt += 1
        ends[i] = i == last or _ends_section(bars[i].bar.closing) or (nxt < n and starts[nxt])
    # For each bar, the first bar of the section it is in (the pickup a `:|` returns to).
    section_first = [0] * n
    repeat_from = [first] * n  # where a `:|` in this bar sends the music back to (§4.8)
    current = first
    back = first
    for i in range(n):
        if starts[i] and not bars[i].ending_start:
            current = i
        section_first[i] = current
        # |:, ::, :| and double bars start the section a later :| repeats (§4.8
        # recommendation); so does a P: part label. An ending is not a new section.
        opening = bars[i].bar.opening
        if i != first and not bars[i].ending_start and (
            bars[i].part_label or (opening is not None and _ends_section(opening))
        ):
            back = i
        repeat_from[i] = back
    # Variant endings: the bar before the first ending of each group, for every ending.
    before_endings: dict[int, int] = {}
    group_before: int | None = None
    for i in range(n):
        if bars[i].ending_start:
            if group_before is None:
                j = i - 1
                while j >= 0 and not bars[j].content:
                    j -= 1
                group_before = j if j >= 0 else None
            if group_before is not None:
                before_endings[i] = group_before
        elif starts[i]:
            group_before = None
    endings_after: dict[int, list[int]] = {}
    for i, j in before_endings.items():
        endings_after.setdefault(j, []).append(i)

    out: list[BarVerdict] = []
    for i in content:
        b = bars[i]
        if not b.measured or b.expected is None:
            continue
        if b.over:
            out.append(BarVerdict(b, i, "over"))
            continue
        if not b.short:
            continue
        if i in (first, last):
            if accepted is not None:
                accepted[i] = FIRST_BAR if i == first else LAST_BAR
            continue
        full = b.expected
        d = b.duration
        partners: list[tuple[int, str]] = []
        if i in before_endings:
            partners.append((before_endings[i], COMPLEMENT_ENDING))
        if i in endings_after:
            partners.extend((j, COMPLEMENT_ENDING) for j in endings_after[i])
        if starts[i] and not bars[i].ending_start:
            if accepted is not None:
                accepted[i] = SECTION_PICKUP
            continue  # a section's own pickup
        if ends[i]:
            # §4.8: a repeat goes back to the tune start, the latest double bar or the
            # latest repeat sign; the pickup there may complete this bar.
            partners.append((repeat_from[i], COMPLEMENT_REPEAT))
            partners.append((section_first[i], COMPLEMENT_REPEAT))
            partners.append((first, COMPLEMENT_REPEAT))
            nxt = i + 1
            while nxt < n and not bars[nxt].content:
                nxt += 1
            if nxt < n:
                partners.append((nxt, COMPLEMENT_NEXT))
        elif _line_ends_after(bars, i):
            # A bar split by a line end: "... A3|" then "e|faaf ..." on the next line.
            partners.append((i + 1, LINE_SPLIT))
        if i > 0 and _line_ends_after(bars, i - 1):
            partners.append((i - 1, LINE_SPLIT))
        ok = False
        for j, why in partners:
            pb = bars[j]
            if j != i and pb.measured and pb.expected == full and d + pb.duration == full:
                ok = True
                if accepted is not None:
                    accepted[i] = why
                break
        if not ok:
            out.append(BarVerdict(b, i, "short"))
    return out


def _line_ends_after(bars: list[BarTime], i: int) -> bool:
    """True when bar ``i`` is the last of its music line and bar ``i + 1`` opens the next
    (the bar line that closes ``i`` is followed by a line end)."""
    if i + 1 >= len(bars):
        return False
    closing = bars[i].bar.closing
    if closing is None:
        return False
    for e in bars[i + 1].bar.elements:
        if isinstance(e, (Note, Rest, Chord)):
            return e.span.line > closing.span.line
    return False
