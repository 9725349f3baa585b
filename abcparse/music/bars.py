"""Which bars may be short: pickups (anacrusis) and the bars that complete them.

A bar's length is the timeline's (:class:`~.timeline.BarInfo`); whether a short bar is
music or a mistake is music practice, not the letter of the standard, and
:func:`judge_bars` spells it out (docs/validator.md, "Bar durations"):

- the first bar of a voice (a pickup) and the last bar;
- the first bar of a section (after ``|:``, ``:|``, ``::``, ``||``, ``|]``, ``[|`` or a
  ``P:`` part label): a section's own pickup;
- the last bar of a section (before one of those bar lines, a ``P:`` label or a variant
  ending) when, added to a pickup it goes with, it makes a full bar: the pickup of the
  section that ``:|`` repeats, the first bar of the next section, or, before variant
  endings that a repeat leads through (§4.9, §4.10), the first bar of each ending;
- the first bar of such a variant ending when it completes the bar before the endings;
- a bar split in two by a line end (``A3|`` then ``e|`` on the next line).

An ending that no repeat leads through completes nothing: the music goes straight on, so
a short bar before it is a short bar (and the lone ending is reported by ABC306).
Overfull bars are always reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import BarKind, BarLine, Chord, Note, Rest, Tune, Voice
from .form import ending_groups
from .timeline import BarInfo, VoiceTimeline

__all__ = [
    "COMPLEMENT_ENDING",
    "COMPLEMENT_NEXT",
    "COMPLEMENT_REPEAT",
    "FIRST_BAR",
    "LAST_BAR",
    "LINE_SPLIT",
    "SECTION_PICKUP",
    "BarVerdict",
    "bars_per_voice",
    "judge_bars",
]

# Why a short bar was accepted (``judge_bars(..., accepted=...)``); the differential test
# against abc2midi names these kinds (tests/fixtures/abc2midi_disagreements.md).
FIRST_BAR = "first-bar"
LAST_BAR = "last-bar"
SECTION_PICKUP = "section-pickup"
COMPLEMENT_REPEAT = "complements-repeat-pickup"
COMPLEMENT_NEXT = "complements-next-section"
COMPLEMENT_ENDING = "complements-ending"
LINE_SPLIT = "split-by-line-end"


@dataclass(slots=True)
class BarVerdict:
    """A bar whose duration does not fit: ``why`` is "over" or "short"."""

    bar: BarInfo
    index: int
    why: str


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


def _repeated_endings(vt: VoiceTimeline) -> set[int]:
    """Indices of the bars that start a variant ending a repeat leads through."""
    segs = vt.segments
    out: set[int] = set()
    for g in ending_groups(segs):
        if g.repeats:
            for s, _, _ in g.endings:
                out.add(segs[s].bar)
    return out


def judge_bars(vt: VoiceTimeline, accepted: dict[int, str] | None = None) -> list[BarVerdict]:
    """The bars of one voice that are overfull, or short where no pickup explains it.

    ``accepted``, if given, receives for each short bar that is fine the reason why (one
    of the constants above)."""
    bars = vt.bars
    if not any(b.fit for b in bars):
        return []  # every measured bar is full: the common case, decided at once
    content = [i for i, b in enumerate(bars) if b.content]
    if not content:
        return []
    first, last = content[0], content[-1]
    n = len(bars)
    repeated = _repeated_endings(vt)
    # Section starts: the bar after a section bar line, a P: label, the start of an
    # ending a repeat leads through (an ending nothing repeats is music going straight on).
    starts = [False] * n
    for i, b in enumerate(bars):
        if i == first or b.part_label or (b.ending_start and i in repeated) or (
            _starts_section(b.bar.opening)
        ):
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
    # Variant endings a repeat leads through: the bar before the first ending of each
    # group, for every ending.
    before_endings: dict[int, int] = {}
    group_before: int | None = None
    for i in range(n):
        if bars[i].ending_start:
            if group_before is None:
                j = i - 1
                while j >= 0 and not bars[j].content:
                    j -= 1
                group_before = j if j >= 0 else None
            if group_before is not None and i in repeated:
                before_endings[i] = group_before
        elif starts[i]:
            group_before = None
    endings_after: dict[int, list[int]] = {}
    for i, j in before_endings.items():
        endings_after.setdefault(j, []).append(i)

    out: list[BarVerdict] = []
    for i in content:
        b = bars[i]
        if not b.measured or b.nominal is None:
            continue
        fit = b.fit
        if fit > 0:
            out.append(BarVerdict(b, i, "over"))
            continue
        if fit == 0:
            continue
        if i in (first, last):
            if accepted is not None:
                accepted[i] = FIRST_BAR if i == first else LAST_BAR
            continue
        full = b.nominal
        d = b.ticks
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
            if j != i and pb.measured and pb.nominal == full and d + pb.ticks == full:
                ok = True
                if accepted is not None:
                    accepted[i] = why
                break
        if not ok:
            out.append(BarVerdict(b, i, "short"))
    return out


def _line_ends_after(bars: list[BarInfo], i: int) -> bool:
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


def bars_per_voice(tune: Tune) -> list[tuple[Voice, int]]:
    """The voices of a tune that hold music (a note, rest or chord), each with its number
    of bars, a multi-measure rest counting as its measures (§4.5): what a score's voices
    must agree on (§7, ABC340, and its fix). A voice of field lines alone (``R:reel``
    before the first ``V:``) plays nothing and has no bars to count or to pad, and the
    field lines after a voice's last bar line make no bar of it."""
    out = []
    for v in tune.voices:
        n = 0
        music = False
        for bar in v.bars:
            if any(isinstance(e, (Note, Rest, Chord)) for e in bar.elements):
                music = True
            elif bar.closing is None:
                continue  # fields or line ends after the last bar line: no bar
            rests = [e for e in bar.elements if isinstance(e, Rest) and e.measures]
            n += sum(r.measures or 1 for r in rests) if rests else 1
        if music:
            out.append((v, n))
    return out
