"""The repair engine's fixers for the music (ABC3xx): bar durations, repeats and endings,
slurs, chords, grace notes, tuplets, ties, decorations, voices and lyrics (ABC 2.1 §4,
§5, §7).

Registered in the same table as the others (:data:`abcparse.format.fixers.FIXERS`), which
imports this module. Bar durations come from the music engine (:mod:`abcparse.music`),
element by element (:func:`_time_bar` reads a bar on its own through
:func:`abcparse.music.timeline.read_bar`), so a fixer knows which note to shorten, where a
rest goes and what a change will add up to before it proposes it, and reckons exactly as
the validator and playback do.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from ..diagnostics import Diagnostic
from ..model import (
    Annotation,
    Bar,
    BarLine,
    BrokenRhythm,
    Chord,
    ChordSymbol,
    Decoration,
    GraceGroup,
    InlineField,
    LineBreak,
    Meter,
    Note,
    Overlay,
    Rest,
    SlurStart,
    Tie,
    Tune,
    Tuplet,
    VariantEnding,
    Voice,
)
from ..music import ending_groups, judge_bars, playing_signature, timeline
from ..music.bars import bars_per_voice
from ..music.form import skipped_pass_reading
from ..music.timeline import SECTION_KINDS, read_bar
from ..split import BLANKS_RE, broken_repeat_end, parted_ending
from ..theory import length_text
from .fixers import (
    Edit,
    FixContext,
    _delete,
    _drop,
    _fraction_text,
    _Intervals,
    _meter_text,
    _pow2,
    _span_text,
    _unit_edit,
    add_fixer,
    fixer,
)


def _bar_analysis(ctx: FixContext, tune: Tune) -> Any:
    """The engine's timeline of ``tune`` and, per voice, the bars that do not fit."""
    key = ("bars", id(tune))
    got = ctx.cache.get(key)
    if got is None:
        tl = timeline(tune)
        got = (tl, [judge_bars(vt) for vt in tl.voices])
        ctx.cache[key] = got
    return got


def _units(ctx: FixContext, voice: Voice, unit: Fraction) -> list[Fraction]:
    """The unit note length in force at the start of each bar of ``voice`` (read once
    per round: every short or long bar of the voice asks)."""
    key = ("units", id(voice))
    got: list[Fraction] | None = ctx.cache.get(key)
    if got is not None:
        return got
    out = ctx.cache[key] = []
    for bar in voice.bars:
        out.append(unit)
        for e in bar.elements:
            if isinstance(e, InlineField) and e.letter == "L" and isinstance(e.parsed, Fraction):
                unit = e.parsed
    return out


@dataclass(slots=True)
class _Timed:
    index: int
    duration: Fraction  # whole notes
    plain: bool  # no tuplet, no broken rhythm: its written length alone gives its time


@dataclass(slots=True)
class _BarTiming:
    items: list[_Timed] = field(default_factory=list)
    total: Fraction = Fraction(0)
    clean_end: bool = True  # no tuplet or broken rhythm runs past the bar's end
    overlay_at: int | None = None  # offset of the first & (the first layer ends there)
    readable: bool = True
    dangling: int | None = None  # index of a tuplet or broken rhythm that runs past the end


def _time_bar(bar: Bar, unit: Fraction, meter: Meter | None) -> _BarTiming:
    """Each element's time in one bar, read by the music engine on its own (so a fixer
    can ask what a bar written otherwise would add up to)."""
    tl = read_bar(bar, unit, meter)
    vt = tl.voices[0]
    info = vt.bars[0]
    out = _BarTiming(readable=info.readable)
    for it in vt.items:
        if it.layer == 0 and not (isinstance(it.element, Rest) and it.element.measures):
            out.items.append(_Timed(it.position, tl.whole(it.ticks), it.plain))
        if isinstance(it.element, Rest) and it.element.measures is not None:
            out.readable = False
    for e in bar.elements:
        if isinstance(e, Overlay):
            out.overlay_at = e.span.start
            break
    out.total = tl.whole(info.ticks)
    ends = vt.open_tuplets
    out.clean_end = not ends and vt.open_broken is None
    if vt.open_broken is not None:
        out.dangling = _index_of(bar, vt.open_broken)
    elif ends:
        out.dangling = _index_of(bar, ends[0].tuplet)
    return out


def _index_of(bar: Bar, element: object) -> int | None:
    for i, e in enumerate(bar.elements):
        if e is element:
            return i
    return None


def _nice_lengths(n: Fraction) -> list[Fraction] | None:
    """``n`` unit lengths as few plain or dotted note values as possible (2^k, 3·2^k)."""
    if n <= 0 or n.denominator & (n.denominator - 1):
        return None
    out: list[Fraction] = []
    rem = n
    while rem > 0 and len(out) < 6:
        best = Fraction(0)
        k = Fraction(1, 64)
        while k <= rem:
            best = k
            if k * 3 / 2 <= rem and (k * 3 / 2).denominator & ((k * 3 / 2).denominator - 1) == 0:
                best = k * 3 / 2
            k *= 2
        if best == 0:
            return None
        out.append(best)
        rem -= best
    return out if rem == 0 else None


def _rest_text(n: Fraction, kind: str = "z") -> str | None:
    """``n`` unit lengths of rest (``kind`` z, or x for an invisible one) as plain or
    dotted note values."""
    parts = _nice_lengths(n)
    if parts is None:
        return None
    return "".join(kind + length_text(p) for p in parts)


_LEN_RE = re.compile(r"[0-9]*(?:/+[0-9]*)?$")


def _is_nice(n: Fraction) -> bool:
    """A plain or dotted note value, in unit lengths: 2^k or 3·2^k, 1/32 to 16."""
    if n <= 0 or not _pow2(n.denominator) or n > 16 or n < Fraction(1, 32):
        return False
    return _pow2(n.numerator) or (n.numerator % 3 == 0 and _pow2(n.numerator // 3))


# Findings whose repair changes how bars are read: bar durations wait for them.
_TEXT_FIRST = frozenset({"ABC101", "ABC102", "ABC105", "ABC312", "ABC313", "ABC314", "ABC315"})
_HEADER_FIRST = frozenset({"ABC204", "ABC221", "ABC222", "ABC223"})


def _meter_fix(ctx: FixContext, tune: Tune, code: str) -> list[Edit] | None:
    """When most bars of a tune disagree with its meter the same way, the meter or the
    unit note length is what is wrong (mistyped or lost): one edit to ``M:`` or ``L:``
    instead of one per bar. ``L:`` changes when it is not a plain 1/2^n and the bars
    say which is; otherwise ``M:``, which keeps every note as it was read."""
    key = ("meterfix", id(tune))
    if key in ctx.cache:
        return ctx.cache[key]  # type: ignore[no-any-return]
    result: list[Edit] | None = None
    tl, _verdicts = _bar_analysis(ctx, tune)
    meter = tune.meter
    if meter is not None and meter.bar_length is not None and len(tune.voices) == 1:
        bars = [b for b in tl.voices[0].bars if b.content and b.nominal is not None
                and b.meter is not None and b.meter == meter]
        inner = bars[1:-1]
        if len(inner) >= 4:
            durations = Counter(tl.whole(b.ticks) for b in inner)
            dur, count = durations.most_common(1)[0]
            misfit = sum(1 for b in inner if b.ticks != b.nominal)
            if dur != meter.bar_length and count * 5 >= len(inner) * 3 and misfit * 2 > len(inner):
                result = _retime(ctx, tune, meter, dur, count, len(inner), code)
    ctx.cache[key] = result
    return result


def _retime(ctx: FixContext, tune: Tune, meter: Meter, dur: Fraction, count: int, n: int,
            code: str) -> list[Edit] | None:
    assert meter.bar_length is not None
    unit = tune.unit_length
    new_unit = unit * meter.bar_length / dur
    plain_unit = unit.numerator == 1 and _pow2(unit.denominator)
    plain_new = new_unit.numerator == 1 and _pow2(new_unit.denominator) and \
        new_unit.denominator <= 64
    text = _meter_text(dur, meter.denominator or 4)
    k = ctx.header_key(tune)
    lfields = [f for f in tune.header.fields if f.letter == "L"]
    if plain_new and (not plain_unit or text is None) and (lfields or k is not None):
        new = f"{new_unit.numerator}/{new_unit.denominator}"
        why = (f"replaced the unit note length {_fraction_text(unit)} by L:{new}: with it"
               f" {count} of {n} bars fill the meter M:{meter} (§3.1.7)")
        if lfields:
            f = lfields[-1]
            return [ctx.edit(f.span.start + 2, f.span.end, new, code, why)]
        assert k is not None
        return [ctx.insert_line_before(k.span.start, f"L:{new}", code, why)]
    if text is None:
        return None
    why = (f"replaced the meter M:{meter} by M:{text}: {count} of {n} bars last {text}"
           " (§3.1.6)")
    mfields = [f for f in tune.header.fields if f.letter == "M"]
    if mfields:
        f = mfields[-1]
        out = [ctx.edit(f.span.start + 2, f.span.end, text, code, why)]
    elif k is not None:
        out = [ctx.insert_line_before(k.span.start, f"M:{text}", code, why)]
    else:
        return None
    return out + _unit_edit(ctx, tune, text, code)


@fixer("ABC301", safe=False,
       changes='the smallest edit that makes the bar add up: the missing bar line (safe), else '
       '`M:`/`L:`, a length, a rest added, or the last notes shortened or deleted')
def fix_bar_duration(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """The smallest edit that makes a bar add up (§3.1.6, §4.3): when most bars disagree
    with the meter alike, the meter (or unit length) changes; a note with a length no
    tune writes (``A7``, ``B/22``: a slip) gets the one that fills the bar; a short bar
    gets a rest before its bar line. An overfull bar gets the bar line it lacks where its
    notes fall on a bar's boundary, when with it every bar of the tune is read as fitting
    and every note sounds as before (``|d/2c/2 B2B Bgf|``: a pickup and a full bar; issue
    13: a fix that adds comes before one that deletes), or when it holds a whole bar and
    at least half another; any other overfull bar loses or shortens its last notes. Waits
    a round while the text around the bar is being repaired."""
    tune = ctx.tune_at(d.span.start)
    if tune is None:
        return None
    if ctx.blocked(tune, _HEADER_FIRST):
        return []
    whole = _meter_fix(ctx, tune, d.code)
    if whole:
        return whole
    tl, verdicts = _bar_analysis(ctx, tune)
    for vi, vs in enumerate(verdicts):
        for v in _verdicts_at(ctx, tune, vi, vs, d.span.start):
            bar = v.bar.bar
            if vi >= len(tune.voices):
                return None
            if ctx.blocked(tune, _TEXT_FIRST, (bar.span.line - 1, bar.span.end_line + 1)):
                return []
            voice = tune.voices[vi]
            bi = _bar_index(ctx, voice).get(id(bar), -1)
            if bi < 0:
                return None
            unit = _units(ctx, voice, tune.unit_length)[bi]
            if v.bar.nominal is None:
                return None
            expected = tl.whole(v.bar.nominal)
            duration = tl.whole(v.bar.ticks)
            timing = _time_bar(bar, unit, v.bar.meter)
            # A tuplet or broken rhythm running across the bar line (a lost note, a
            # stray >): its marker goes, and the bars read as written.
            crossing = _crossing(ctx, voice, bi, unit, timing, v.bar.meter, d.code)
            if crossing:
                return crossing
            if not timing.readable or timing.total != duration:
                return None
            slip = _length_slip(ctx, bar, timing, unit, expected, d.code) or _stray_modifier(
                ctx, bar, unit, expected, v.bar.meter, d.code)
            if slip:
                return slip
            if v.why == "short":
                return _pad_bar(ctx, bar, timing, unit, expected - duration, d.code)
            return (_missing_bar_line(ctx, tune, vi, bar, timing, expected, d.code)
                    or _trim_bar(ctx, tune, vi, bar, timing, unit, expected, d.code))
    return None


def _verdicts_at(ctx: FixContext, tune: Tune, vi: int, verdicts: list[Any], pos: int
                 ) -> list[Any]:
    """The verdicts of voice ``vi`` whose bar holds ``pos`` (an empty bar holds its first
    offset), in their order: found by bisection in an index built once per round, since
    every bar that does not fit asks."""
    key = ("verdicts", id(tune), vi)
    got: _Intervals | None = ctx.cache.get(key)
    if got is None:
        got = ctx.cache[key] = _Intervals(
            (v.bar.bar.span.start, max(v.bar.bar.span.end, v.bar.bar.span.start + 1), v)
            for v in verdicts)
    return got.at(pos)


def _bar_index(ctx: FixContext, voice: Voice) -> dict[int, int]:
    """Index of each bar of ``voice`` by identity (bars compare by their music, and tunes
    repeat bars), built once per round."""
    key = ("bar_index", id(voice))
    got: dict[int, int] | None = ctx.cache.get(key)
    if got is None:
        got = ctx.cache[key] = {}
        for i, b in enumerate(voice.bars):
            got.setdefault(id(b), i)
    return got


def _crossing(ctx: FixContext, voice: Voice, bi: int, unit: Fraction, timing: _BarTiming,
              meter: Meter | None, code: str) -> list[Edit] | None:
    for b, t in ((bi, timing), (bi - 1, None)):
        if b < 0:
            continue
        if t is None:
            t = _time_bar(voice.bars[b], unit, meter)
        if t.dangling is None:
            continue
        e = voice.bars[b].elements[t.dangling]
        sp = e.span
        written = ctx.text[sp.start : sp.end]
        what = "tuplet" if isinstance(e, Tuplet) else "broken rhythm"
        return _delete(ctx, sp.start, sp.end, code,
                       f"deleted the {what} {written} that ran across a bar line, leaving both"
                       " bars the wrong length (§4.4, §4.13)")
    return None


#: Elements :func:`_stray_modifier` may read in all for one bar (candidates x bar length).
STRAY_SEARCH = 20_000


def _stray_modifier(ctx: FixContext, bar: Bar, unit: Fraction, expected: Fraction,
                    meter: Meter | None, code: str) -> list[Edit] | None:
    """A tuplet mark or broken rhythm without which the bar fills the meter exactly: a
    stray (``(2c/2d/2``, ``ec<"G"Bd``) that goes.

    Each candidate costs a reading of the whole bar, so a bar is searched for at most
    :data:`STRAY_SEARCH` elements read in all (a bar of hundreds of tuplets, written so
    on purpose, is not searched for the one that is stray: the other repairs follow)."""
    budget = STRAY_SEARCH
    size = max(1, len(bar.elements))
    for i, e in enumerate(bar.elements):
        if not isinstance(e, (Tuplet, BrokenRhythm)):
            continue
        budget -= size
        if budget < 0:
            return None
        without = replace(bar, elements=bar.elements[:i] + bar.elements[i + 1 :])
        t = _time_bar(without, unit, meter)
        if t.readable and t.clean_end and t.total == expected:
            written = ctx.text[e.span.start : e.span.end]
            what = "tuplet" if isinstance(e, Tuplet) else "broken rhythm"
            return _delete(ctx, e.span.start, e.span.end, code,
                           f"deleted the {what} {written}: without it the bar fills the meter"
                           " (§4.4, §4.13)")
    return None


def _set_length(ctx: FixContext, e: Note | Rest | Chord, new_len: Fraction, code: str,
                why: str) -> Edit | None:
    """The edit that writes ``e`` with ``new_len`` unit lengths (a chord's outer length)."""
    sp = e.span
    written = ctx.text[sp.start : sp.end]
    if isinstance(e, Chord):
        k = written.rfind("]")
        if k < 0 or not e.notes:
            return None
        outer = new_len / e.notes[0].length
        if not _pow2(outer.denominator):
            return None
        new = written[: k + 1] + length_text(outer)
    else:
        m = _LEN_RE.search(written)
        if m is None:
            return None
        new = written[: m.start()] + length_text(new_len)
    if new == written:
        return None
    return ctx.edit(sp.start, sp.end, new, code, why.format(old=written, new=new))


def _length_slip(ctx: FixContext, bar: Bar, timing: _BarTiming, unit: Fraction,
                 expected: Fraction, code: str) -> list[Edit] | None:
    """A note whose written length is no note value (``A7`` in a jig, ``B/22``): the
    length that makes the bar fill the meter, if that is a note value."""
    for t in timing.items:
        e = bar.elements[t.index]
        if not t.plain or not isinstance(e, (Note, Rest, Chord)):
            continue
        written = e.duration if isinstance(e, Chord) else e.length
        if _is_nice(written):
            continue
        need = expected - (timing.total - t.duration)
        if need <= 0:
            continue
        new_len = need / unit
        if not _is_nice(new_len):
            continue
        ed = _set_length(ctx, e, new_len, code,
                         "wrote {old} as {new}: its length is no note value, and {new} makes"
                         " the bar fill the meter (§4.3)")
        if ed is not None:
            return [ed]
    return None


def _pad_bar(ctx: FixContext, bar: Bar, timing: _BarTiming, unit: Fraction,
             missing: Fraction, code: str) -> list[Edit] | None:
    if not timing.clean_end or bar.closing is None:
        return None
    rest = _rest_text(missing / unit)
    if rest is None:
        return None
    at = timing.overlay_at if timing.overlay_at is not None else bar.closing.span.start
    out = []
    # A tie before the bar line would tie the last note to the rest: it goes.
    layer0 = [e for e in bar.elements if e.span.end <= at]
    if layer0 and isinstance(layer0[-1], Tie):
        tie = layer0[-1]
        out.append(ctx.edit(tie.span.start, tie.span.end, "", code,
                            "deleted the tie before the rest that completes the bar (§4.11)"))
    out.append(ctx.edit(at, at, rest, code,
                        f"added the rest {rest} that the bar lacks to fill the meter"
                        " (§3.1.6, §4.5)"))
    return out


def _attached_before(bar: Bar, i: int) -> int:
    """Index of the first element attached to element ``i`` (decorations, chord symbols,
    annotations, grace notes written right before it)."""
    j = i
    while j > 0 and isinstance(bar.elements[j - 1], (Decoration, ChordSymbol, Annotation,
                                                     GraceGroup, SlurStart)):
        j -= 1
    return j


#: Characters of whole-tune readings that :func:`_reads_well_with_bar_line` may make for
#: one tune in one round (none for a longer tune).
REREAD_CHARS = 200_000


def _missing_bar_line(ctx: FixContext, tune: Tune, vi: int, bar: Bar, timing: _BarTiming,
                      expected: Fraction, code: str) -> list[Edit] | None:
    """The bar line an overfull bar lacks, where its notes fall on a bar's boundary: the
    notes before it, or those after it, make exactly one bar. Taken only when the tune
    read with it has every bar of that voice fit, or explained as a pickup (the part
    before is the tune's or a section's pickup, the part after completes one: the music
    engine's own judgement, :func:`abcparse.music.judge_bars`), no other bar newly
    misfit, and every note sounding as before: a bar line ends an accidental's reach
    (§4.2), so where ``^f`` comes before the new bar line and ``f`` after it, the second
    gets its ``^`` written out (:func:`_bar_line_reading`). Then no note is lost or
    changed, and the fix is safe."""
    items = timing.items
    if (len(items) < 2 or not timing.clean_end or timing.overlay_at is not None
            or not all(t.plain for t in items)):
        return None
    els = bar.elements
    acc = Fraction(0)
    for t in items[:-1]:
        acc += t.duration
        if acc != expected and timing.total - acc != expected:
            continue
        if acc > expected or timing.total - acc > expected:
            # The other part would be an overfull bar next to the new bar line, which
            # :func:`_bar_line_reading` refuses: known without reading the tune.
            continue
        i = t.index
        end = els[i].span.end
        if i + 1 < len(els) and isinstance(els[i + 1], Tie):
            end = els[i + 1].span.end  # a tie may cross the new bar line (§4.11)
        carried = _bar_line_reading(ctx, tune, vi, end, fit=True)
        if carried is not None:
            return _bar_line_edits(ctx, end, carried, code,
                                   "added the bar line this bar lacks where its notes fall on"
                                   " the bar's boundary: every bar then fits, every note"
                                   " sounds as before (§3.1.6)")
    return None


#: A note's letter: where a note written without an accidental starts.
_LETTERS = frozenset("ABCDEFGabcdefg")


def _plain_signature(tune: Tune) -> dict[str, int] | None:
    """The key signature of a tune whose key never changes (semitones by letter), or
    None: a ``K:`` in the body or a line would need the engine's place-by-place key."""
    if any(f.letter == "K" and f.in_body for f in tune.fields):
        return None
    return playing_signature(tune.key)


def _bar_line_edits(ctx: FixContext, at: int, carried: list[tuple[int, str]], code: str,
                    why: str) -> list[Edit]:
    """The new bar line at ``at``, and the accidentals written out after it that the notes
    there took from before it (§4.2)."""
    if carried:
        why += "; the accidental it would end is written out after it"
    edits = [ctx.edit(at, at, "|", code, why, safe=True)]
    edits += [ctx.edit(pos, pos, text, code, why, safe=True) for pos, text in carried]
    return edits


#: Semitones of a carried accidental as written (§4.2).
_ACCIDENTAL_TEXT = {-2: "__", -1: "_", 0: "=", 1: "^", 2: "^^"}
#: Accidentals :func:`_bar_line_reading` may write out for one new bar line: each costs a
#: reading of the tune.
MAX_CARRIED = 4


def _bar_line_reading(ctx: FixContext, tune: Tune, vi: int, at: int, *, fit: bool
                      ) -> list[tuple[int, str]] | None:
    """The accidentals (offset, text) to write out so that ``tune`` with ``|`` inserted
    at offset ``at`` of the text under repair plays the same notes (pitch, onset,
    duration, voice) as without it; None when it cannot (or the tune is too long to read
    again this round). With ``fit``, also None unless the bar around ``at`` then fits in
    voice ``vi`` and there are fewer misfit bars than before.

    A bar line ends the reach of the accidentals before it (§4.2): ``c2 _B2 B2 d2``
    split after ``_B2`` would make the second B natural. The music engine says which
    notes would change; the first of them gets the accidental it had (``_B2``), and the
    tune is read again, until it plays as before (at most :data:`MAX_CARRIED` times)."""
    from ..api import parse
    from ..errors import AbcError

    start, stop = tune.span.start, tune.span.end
    if not start <= at <= stop:
        return None
    header = ctx.book.header.text
    prefix = header if header.endswith(("\n", "\r")) or not header else header + "\n"
    prefix += "\n" if prefix else ""
    mode = "strict" if tune.strict else "loose"

    def misfits(t: Tune) -> list[list[Any]]:
        return [judge_bars(vt) for vt in timeline(t).voices]

    def notes(t: Tune) -> list[tuple[int, Fraction, Fraction, str, int]]:
        return [(e.pitch, e.onset, e.duration, e.voice, e.span.start)
                for e in t.events(grace="steal")]

    def read(text: str) -> Tune | None:
        # Each reading costs a parse of the whole tune: a tune gets REREAD_CHARS of them
        # per round, so a long tune of many overfull bars stays linear; past the budget
        # the reading is not made (the finding stays, reported).
        spent = ("rereads", id(tune))
        budget = ctx.cache.get(spent, REREAD_CHARS // max(1, stop - start))
        if budget <= 0:
            return None
        ctx.cache[spent] = budget - 1
        try:
            tunes = parse(prefix + text, mode=mode).tunes
        except (AbcError, ValueError, RecursionError):
            return None
        return tunes[0] if len(tunes) == 1 else None

    # The tune as it is, read alone: once per round, whatever the number of candidates
    # (a huge bar has two, a tunebook's round many); its misfits and notes when needed.
    key = ("alone", id(tune))
    cached = ctx.cache.get(key)
    if cached is None:
        cached = ctx.cache[key] = [read(ctx.text[start:stop]), None, None]
    old = cached[0]
    if old is None:
        return None
    carried: list[tuple[int, str]] = []
    for _ in range(MAX_CARRIED + 1):
        pieces = [ctx.text[start:at], "|"]
        last = at
        for pos, text in carried:
            pieces += [ctx.text[last:pos], text]
            last = pos
        pieces.append(ctx.text[last:stop])
        new = read("".join(pieces))
        if new is None or len(old.voices) != len(new.voices) or vi >= len(new.voices):
            return None
        if fit and not carried:
            if cached[1] is None:
                cached[1] = misfits(old)
            before, after = cached[1], misfits(new)
            if sum(map(len, after)) > sum(map(len, before)) - 1:
                return None
            pos = len(prefix) + (at - start)  # the new bar line's offset in the new text
            for v in after[vi]:
                sp = v.bar.bar.span
                if sp.start <= pos + 1 and pos <= sp.end:
                    return None
        if cached[2] is None:
            cached[2] = notes(old)
        was, now = cached[2], notes(new)
        if len(was) != len(now):
            return None
        changed = next((k for k, (a, b) in enumerate(zip(was, now, strict=True))
                        if a[:4] != b[:4]), None)
        if changed is None:
            return carried
        a, b = was[changed], now[changed]
        # Only a pitch may differ, of a note after the new bar line written without an
        # accidental (its span starts at its letter), and by whole semitones.
        offset = a[4] - len(prefix) + start
        if a[1:4] != b[1:4] or offset < at or ctx.text[offset:offset + 1] not in _LETTERS \
                or len(carried) == MAX_CARRIED:
            return None
        # The alteration it had: the one it now takes (the key's, since nothing before it
        # in its new bar marks its letter; if not, the next reading says so), moved by
        # what it lost.
        signature = _plain_signature(tune)
        if signature is None:
            return None
        lost = a[0] - b[0]
        mark = _ACCIDENTAL_TEXT.get(lost + signature.get(ctx.text[offset].upper(), 0)) \
            if isinstance(lost, int) else None
        if mark is None:
            return None
        carried = sorted([*carried, (offset, mark)])
    return None


def _trim_bar(ctx: FixContext, tune: Tune, vi: int, bar: Bar, timing: _BarTiming,
              unit: Fraction, expected: Fraction, code: str) -> list[Edit] | None:
    items = timing.items
    if not items:
        return None
    els = bar.elements
    # A missing bar line: a whole bar, then at least half a bar more, nothing running
    # across the place (a tuplet, a broken rhythm).
    acc = Fraction(0)
    for k, t in enumerate(items[:-1]):
        acc += t.duration
        if acc > expected:
            break
        if acc == expected and timing.total - acc >= expected / 2 and t.plain and all(
            u.plain for u in items[k + 1 :]
        ):
            i = t.index
            end = els[i].span.end
            if i + 1 < len(els) and isinstance(els[i + 1], Tie):
                end = els[i + 1].span.end
            # With the accidentals it would end written out after it, where the engine
            # finds them; else as it is (the repair's music check has the last word).
            carried = _bar_line_reading(ctx, tune, vi, end, fit=False) or []
            return _bar_line_edits(ctx, end, carried, code,
                                   "added the bar line this bar lacks: it held one full bar"
                                   " and more (§3.1.6)")
    excess = timing.total - expected
    out: list[Edit] = []
    cut_from: int | None = None  # delete elements from this index to the last deleted one
    cut_to: int | None = None
    for t in reversed(items):
        if excess <= 0:
            break
        if not t.plain:
            return None
        e = els[t.index]
        if t.duration <= excess:
            first = _attached_before(bar, t.index)
            last = t.index + 1 if t.index + 1 < len(els) and isinstance(els[t.index + 1],
                                                                          Tie) else t.index
            cut_from = first
            if cut_to is None:
                cut_to = last
            excess -= t.duration
            continue
        new_len = (t.duration - excess) / unit
        if not _pow2(new_len.denominator) or not isinstance(e, (Note, Rest, Chord)):
            return None
        ed = _set_length(ctx, e, new_len, code,
                         "shortened {old} to {new} so the bar fits the meter (§3.1.6, §4.3)")
        if ed is None:
            return None
        out.append(ed)
        excess = Fraction(0)
    if excess != 0:
        return None
    if cut_from is not None and cut_to is not None:
        start = els[cut_from].span.start
        end = els[cut_to].span.end
        line_start = ctx.line_start(start)
        while start > line_start and ctx.text[start - 1] in " \t":
            start -= 1
        # One line of message: the cut may run over a line end.
        removed = " ".join(ctx.text[start:end].split())
        out.append(ctx.edit(start, end, "", code,
                            f"deleted {removed} at the end of an overfull bar so it fits the"
                            " meter (§3.1.6)"))
    return out or None


def _repeat_from_the_start(ctx: FixContext, voice: Voice, code: str) -> list[Edit] | None:
    """``|:`` at the start of ``voice``'s music: its opening bar line made a repeat start,
    or one written before its first element."""
    why = ("added |: at the tune start, where the repeat is played from (§4.8: the"
           " standard allows the start or the double bar before; both players take the"
           " start)")
    for bar in voice.bars:
        if bar.opening is not None:
            start, end = bar.opening.span.start, bar.opening.span.end
            if ctx.text[start:end] in ("|", "||", "[|"):
                return [ctx.edit(start, end, ctx.text[start:end] + ":", code, why)]
        first = next((e for e in bar.elements if not isinstance(e, (LineBreak, InlineField))),
                     None)
        if first is not None:
            return [ctx.edit(first.span.start, first.span.start, "|:", code, why)]
    return None


def _section_end_before(ctx: FixContext, voice: Voice, before: int
                        ) -> tuple[BarLine | None, bool]:
    """The last bar line that ends a section (:func:`_ends_section`) and starts before
    offset ``before``, and whether it closes a variant ending.

    Read once per voice and round (every ``:|`` with no ``|:`` asks): the answer after
    each bar line, in written order; bar lines start in that order, so the answer for
    ``before`` is the one after the last bar line that starts before it, found by
    bisection. A voice whose bar lines were not in order would be read whole each time."""
    key = ("section_ends", id(voice))
    got = ctx.cache.get(key)
    if got is None:
        visits = list(_section_visits(voice))
        starts = [start for start, _ in visits]
        ordered = all(a <= b for a, b in itertools.pairwise(starts))
        got = ctx.cache[key] = (starts, [state for _, state in visits]) if ordered else ()
    if not got:
        visits = list(_section_visits(voice, before))
        return visits[-1][1] if visits else (None, False)
    starts, states = got
    i = bisect.bisect_left(starts, before)
    return states[i - 1] if i else (None, False)


def _section_visits(voice: Voice, before: int | None = None
                    ) -> Iterator[tuple[int, tuple[BarLine | None, bool]]]:
    """Each bar line of ``voice`` (those that start before ``before``, if given) in
    written order, with the last section end so far and whether it closes an ending."""
    state: tuple[BarLine | None, bool] = (None, False)
    in_ending = False
    for bar in voice.bars:
        if bar.ending:
            in_ending = True
        for bl in (bar.opening, bar.closing):
            if bl is None or bl is state[0] or (before is not None and bl.span.start >= before):
                continue  # (a bar line closes one bar and opens the next: seen once)
            if _ends_section(bl):
                state = (bl, in_ending and bl is bar.closing)
            yield bl.span.start, state
        if bar.closing is not None and _ends_section(bar.closing):
            in_ending = False


def _bar_opened_by(ctx: FixContext, voice: Voice) -> dict[Any, Bar]:
    """The first bar of ``voice`` opened by a bar line at each span (once per round)."""
    key = ("opened_by", id(voice))
    got: dict[Any, Bar] | None = ctx.cache.get(key)
    if got is None:
        got = ctx.cache[key] = {}
        for b in voice.bars:
            if b.opening is not None:
                got.setdefault(b.opening.span, b)
    return got


@fixer("ABC302", safe=True, changes='`|:` where the repeated section starts, as played')
def fix_repeat_start(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """``:|`` with no ``|:`` after an earlier section end: ``|:`` where playback starts
    the section again (§4.8), so the music stays as it is played. After an earlier
    ``:|``, that is right after the section end before it; with no ``:|`` before, the
    repeat goes back to the tune start (as abc2midi and abcjs play it), so the ``|:``
    goes before the voice's first note."""
    tune = ctx.tune_at(d.span.start)
    if tune is None:
        return None
    found = ctx.bar_line_at(tune, d.span.start)
    if found is None:
        return None
    vi, _bi, here = found
    voice = tune.voices[vi]
    boundary, closes_ending = _section_end_before(ctx, voice, here.span.start)
    if boundary is None:
        return None
    if not any(b.closing is not None and b.closing.repeat_end
               and b.closing.span.start <= boundary.span.start for b in voice.bars):
        if any(f.letter == "P" and f.in_body for f in tune.fields):
            return None  # played from its part's start: not placed here (yet)
        return _repeat_from_the_start(ctx, voice, d.code)
    why = "added |: where the repeated section starts, after the section before it (§4.8)"
    written = ctx.text[boundary.span.start : boundary.span.end]
    if written == ":|" and not closes_ending:
        # (After an ending, "::" would read to abc2midi as another pass of the section
        # before; "|:" before the next section's music says only where it starts.)
        return [ctx.edit(boundary.span.start, boundary.span.end, "::", d.code, why)]
    if written in ("||", "[|"):
        return [ctx.edit(boundary.span.start, boundary.span.end, written + ":", d.code, why)]
    # Before the section's first musical element: after the line break and any field
    # lines (a K: change between the parts stays a field line, §3.1), never inside them.
    at = boundary.span.end
    following = _bar_opened_by(ctx, tune.voices[vi]).get(boundary.span)
    first = None
    if following is not None:
        first = next(
            (e for e in following.elements if not isinstance(e, (LineBreak, InlineField))), None
        )
    if first is not None:
        at = first.span.start
    elif ctx.line_end(at) == at and at < len(ctx.text):
        at = ctx.next_line(at)
    return [ctx.edit(at, at, "|:", d.code, why)]


@fixer("ABC303", safe=True, changes='the mark of an ending with no first ending deleted')
def fix_ending_without_first(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """An ending group that starts at ``[2``: the ending mark goes (the section is played
    as written, then what follows)."""
    tune = ctx.tune_at(d.span.start)
    if tune is None or _has_parted_ending(ctx, tune):
        return None
    it = ctx.item_at(tune, d.span.start)
    why = {
        "ABC303": "deleted an ending mark with no first ending before it (§4.9, §4.10)",
        "ABC306": "deleted the mark of an ending that no repeat selects (§4.9, §4.10)",
    }.get(d.code, "deleted the mark of an ending that no bar line closes (§4.10)")
    if it is not None and isinstance(it.element, VariantEnding):
        return _delete(ctx, it.start, it.end, d.code, why)
    found = ctx.bar_line_at(tune, d.span.start)
    if found is None:
        return None
    bl = found[2]
    written = ctx.text[bl.span.start : bl.span.end]
    if not written.startswith(bl.symbol):
        return None
    return [ctx.edit(bl.span.start, bl.span.end, bl.symbol, d.code, why)]


def _ends_section(bl: BarLine) -> bool:
    """A repeat end or a double bar line: where a ``:|`` with no ``|:`` goes back to."""
    return bool(bl.repeat_end) or bl.kind in SECTION_KINDS


def _has_parted_ending(ctx: FixContext, tune: Tune) -> bool:
    """Whether ``tune`` holds an ending number that a line wrap or spaces parted from
    its bar line (split.parted_ending): the group's other ending is there, unread,
    so deleting this one's mark would undo what the author wrote."""
    text = ctx.text
    start = tune.span.start
    end = min(tune.span.end, len(text))
    return any(parted_ending(text, m.start() + 1)
               for m in _LINE_THEN_DIGIT.finditer(text, max(start - 1, 0), end))


_LINE_THEN_DIGIT = re.compile(r"[\r\n \t](?=[0-9])")


def _ending_starts(ctx: FixContext, voice: Voice
                   ) -> tuple[list[tuple[int, BarLine | None]], list[int]]:
    """(offset, the bar line before it) of every ending start of a voice, sorted by
    offset, and the offsets alone; read once per round (each ending finding asks)."""
    key = ("ending_starts", id(voice))
    got: tuple[list[tuple[int, BarLine | None]], list[int]] | None = ctx.cache.get(key)
    if got is not None:
        return got
    out: list[tuple[int, BarLine | None]] = []
    seen: set[int] = set()
    for bar in voice.bars:
        for bl in (bar.opening, bar.closing):
            if bl is not None and bl.ending and bl.span.start not in seen:
                seen.add(bl.span.start)
                out.append((bl.span.start, bl))
        prev = bar.opening
        for e in bar.elements:
            if isinstance(e, VariantEnding):
                out.append((e.span.start, prev))
    out.sort(key=lambda x: x[0])
    got = ctx.cache[key] = (out, [pos for pos, _ in out])
    return got


def _repeat_before_next_ending(ctx: FixContext, d: Diagnostic, why: str,
                               lone: bool = False) -> list[Edit] | None:
    """The bar line before the ending that follows the one ``d`` points at becomes a
    repeat end ``:|`` (another time through the section, §4.10); where there is no next
    ending (or ``lone``) or no plain bar line before it, the ending mark goes instead."""
    tune = ctx.tune_at(d.span.start)
    if tune is None:
        return None
    for voice in tune.voices:
        starts, offsets = _ending_starts(ctx, voice)
        # The first ending that starts at most 2 characters before the finding.
        k = bisect.bisect_left(offsets, d.span.start - 2)
        if k < len(starts) and starts[k][0] <= d.span.start:
            bl = starts[k + 1][1] if k + 1 < len(starts) and not lone else None
            if bl is None or bl.repeat_end or not bl.symbol.startswith("|"):
                got = fix_ending_without_first(ctx, d)
                return list(got) if got else None
            # A replacement, not an insertion: a rest added before this bar line in the
            # same round must stay before it.
            return [ctx.edit(bl.span.start, bl.span.start + 1, ":|", d.code,
                             f"made the bar line before the next ending a repeat end"
                             f" :{bl.symbol}: {why}")]
    return None


@fixer("ABC304", safe=False,
       changes='the bar line before the next ending becomes `:|` (another time through)')
def fix_ending_not_closed(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """An ending that runs into the next ending: the bar line before the next ending
    becomes a repeat end ``:|`` (the next ending is another time through, §4.10)."""
    return _repeat_before_next_ending(ctx, d, "an ending ends with :|, ||, |] or [| (§4.10)")


@fixer("ABC306", safe=True,
       changes="the `:|` between endings that the engine already plays; after a lone ending"
       " that `:|` closes, the next ending's mark (`:|[2`) before the music after it, unless"
       " the tune ends there; another lone ending's mark deleted")
def fix_ending_without_repeat(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """Endings that no repeat selects between: with a next ending in the group, the bar
    line before it becomes a repeat end ``:|`` (the repeat the engine already implies,
    §4.10). A lone ending that ``:|`` closes (``|: A |1 B :| C``) is skipped on the pass
    after it, so the next ending's mark is written after the ``:|``, before the music
    that pass plays (``:|[2 C``: the same music, in the form every reader plays; deleting
    the mark would play it twice). Any other lone ending loses its mark (its music is
    played once, as written)."""
    lone = _lone_ending(ctx, d.span.start)
    if lone is None:
        return None  # the tune ends at that :|: an empty last ending stops abcjs
    if isinstance(lone, tuple):
        at, number = lone
        nxt = BLANKS_RE.match(ctx.text, at).end()  # type: ignore[union-attr]
        if parted_ending(ctx.text, nxt):
            return None  # the author's own ending, a line wrap away: ABC101 writes it [2
        return [ctx.edit(at, at, f"[{number}", d.code,
                         f"wrote the ending mark [{number} after the :| that closes the"
                         " lone ending: the pass after it skips that ending (§4.9, §4.10)")]
    return _repeat_before_next_ending(ctx, d, "endings follow a repeat (§4.10)", lone)


def _lone_ending(ctx: FixContext, pos: int) -> bool | tuple[int, int] | None:
    """Whether the ending that starts at ``pos`` is alone in its group, as the engine
    reads the form; for a lone ending that a ``:|`` closes, where that bar line ends and
    the number of the next pass (the empty ending to write there). None for such an
    ending when no note follows that ``:|`` in its voice: an empty ending last in a tune
    (``:|[2`` and nothing after it) stops abcjs 6.7.2 from playing the tune at all (a
    TypeError in its repeat expansion), so no safe form is written there."""
    tune = ctx.tune_at(pos)
    if tune is None:
        return True
    key = ("ending_groups", id(tune))
    groups: list[_Intervals] | None = ctx.cache.get(key)
    if groups is None:
        # Per voice, each group's first ending (start, end + 1) and whether it is alone.
        tl, _verdicts = _bar_analysis(ctx, tune)
        groups = []
        for vt in tl.voices:
            firsts = []
            for group in ending_groups(vt.segments):
                s, e, numbers = group.endings[0]
                first = vt.segments[s]
                closing = vt.segments[e - 1].closing if e > s else None
                alone: bool | tuple[int, int] | None = len(group.endings) == 1
                if (alone and group.explicit and closing is not None
                        and closing.repeat_end and numbers):
                    heard = any(g.end_item > g.first_item for g in vt.segments[e:])
                    alone = (closing.span.end, max(numbers) + 1) if heard else None
                firsts.append((first.ending_span.start, first.ending_span.end + 1, alone))
            groups.append(_Intervals(firsts))
        ctx.cache[key] = groups
    for intervals in groups:
        hits = intervals.at(pos)
        if hits:
            found: bool | tuple[int, int] | None = hits[0]
            return found
    return True


@fixer("ABC308", safe=True,
       changes="`|:` where the section after an ending that ran on into it starts")
def fix_ending_runs_into_section(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """The bar line where the engine starts the next section (ABC308) becomes ``|:``:
    the music abcparse plays is unchanged, and players that read the ending on by the
    letter of §4.10 then play it the same way."""
    written = _span_text(ctx, d)
    if written != "|":
        return None
    return [ctx.edit(d.span.start, d.span.end, "|:", d.code,
                     "wrote |: where the section after the run-on ending starts (§4.8)")]


@fixer("ABC316", safe=True, changes="the ending's number written as the pass it is played on")
def fix_ending_skips_a_pass(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """``|1 A :|3 B`` → ``|1 A :|2 B``: an ending numbered for a pass that never comes
    is played on the first pass with no ending of its own (ABC316); writing that pass's
    number leaves abcparse's music as it was, and abc2midi, which skipped the ending,
    then plays it too."""
    tune = ctx.tune_at(d.span.start)
    if tune is None:
        return None
    tl, _verdicts = _bar_analysis(ctx, tune)
    for vt in tl.voices:
        for group in ending_groups(vt.segments):
            read = skipped_pass_reading(group)
            if read is None:
                continue
            for (s, _, written), (_, _, played) in zip(group.endings, read.endings,
                                                       strict=True):
                if vt.segments[s].ending_span != d.span or written == played:
                    continue
                text = _span_text(ctx, d)
                numbers = list(_DIGITS.finditer(text))
                if not numbers or numbers[-1].group() != str(written[0]):
                    return None
                at = d.span.start + numbers[-1].start()
                return [ctx.edit(at, d.span.start + numbers[-1].end(), str(played[0]), d.code,
                                 f"numbered the ending for pass {played[0]}, the pass it is"
                                 " played on (§4.10)")]
    return None


_DIGITS = re.compile(r"[0-9]+")


@fixer("ABC309", safe=True,
       changes="an invisible rest `x` that fills a short overlay to the length of its bar")
def fix_overlay_duration(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """A short overlay (``&``) is padded to its bar with an invisible rest at its end
    (§4.5, §7.4): silent, so the music is unchanged; abc2midi and abcjs, which start the
    next bar's overlay where a short one ends, then play it where abcparse does. An
    overlay that is too long, or whose missing time is no plain or dotted note value,
    is left to the writer."""
    tune = ctx.tune_at(d.span.start)
    if tune is None:
        return None
    if ctx.blocked(tune, _HEADER_FIRST):
        return []
    found = _overlays(ctx, tune).get(d.span.start)
    if found is None:
        return None
    tl, vi, info, k = found
    missing = info.ticks - info.overlays[k]
    bar = info.bar
    marks = [(i, e) for i, e in enumerate(bar.elements) if isinstance(e, Overlay)]
    if missing <= 0:
        return None
    if ctx.blocked(tune, _TEXT_FIRST, (bar.span.line - 1, bar.span.end_line + 1)):
        return []
    voice = tune.voices[vi]
    end = marks[k + 1][0] if k + 1 < len(marks) else len(bar.elements)
    unit = _units(ctx, voice, tune.unit_length)[_bar_index(ctx, voice).get(id(bar), -1)]
    for e in bar.elements[:end]:  # the unit in force where the rest goes (§3.1.7)
        if isinstance(e, InlineField) and e.letter == "L" and isinstance(e.parsed, Fraction):
            unit = e.parsed
    rest = _rest_text(tl.whole(missing) / unit, "x")
    layer = [e for e in bar.elements[marks[k][0] + 1 : end] if not isinstance(e, LineBreak)]
    if rest is None or (layer and isinstance(layer[-1], (Tie, BrokenRhythm, Tuplet))):
        return None  # the rest would be tied to, dotted or counted in a tuplet
    if k + 1 < len(marks):
        at = marks[k + 1][1].span.start
        rest += " "  # "c d x2 & e", not "c d x2& e"
    elif bar.closing is not None:
        at = bar.closing.span.start
    else:
        return None
    if at and ctx.text[at - 1] not in " \t":
        rest = " " + rest  # "c d x2|", not "c dx2|"
    return [ctx.edit(at, at, rest, d.code,
                     f"added the invisible rest {rest.strip()} that the overlay lacks to last"
                     " the whole bar (§7.4)")]


def _overlays(ctx: FixContext, tune: Tune) -> dict[int, tuple[Any, int, Any, int]]:
    """Each overlay mark of ``tune`` by its offset: (timeline, voice index, bar, layer),
    built once per round, since every short overlay asks."""
    key = ("overlays", id(tune))
    got: dict[int, tuple[Any, int, Any, int]] | None = ctx.cache.get(key)
    if got is None:
        got = ctx.cache[key] = {}
        tl = _bar_analysis(ctx, tune)[0]
        for vi, vt in enumerate(tl.voices):
            for info in vt.bars:
                if info.overlays:
                    marks = [e for e in info.bar.elements if isinstance(e, Overlay)]
                    for k, mark in enumerate(marks[: len(info.overlays)]):
                        got[mark.span.start] = (tl, vi, info, k)
    return got


@fixer("ABC305", safe=True, changes='a `|:` that no `:|` closes becomes `|`')
def fix_repeat_not_closed(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    written = _span_text(ctx, d)
    if not written.endswith(":"):
        return None
    if _broken_close(ctx, d.span.end):
        # Its :| is there, broken over a line end (ABC101): the |: is the author's repeat,
        # which ABC101's unsafe fix completes; deleting it would lose the repeat.
        return None
    new = written.rstrip(":")
    if written.startswith(":"):
        new = ":|" if new.strip(":") in ("", "|") else new
    if not new:
        new = "|"
    return [ctx.edit(d.span.start, d.span.end, new, d.code,
                     f"replaced {written} by {new}: no :| ever ends the section it starts"
                     " (§4.8)")]


def _broken_close(ctx: FixContext, pos: int) -> bool:
    """Whether a ``:`` that starts nothing and ends its line before a line starting with a
    bar line (a ``:|`` a line wrap broke, :func:`abcparse.split.broken_repeat_end`) comes
    after ``pos`` in its tune, before the next ``|:``."""
    t = ctx.text
    tune = ctx.tune_at(pos)
    end = min(len(t), tune.span.end) if tune is not None else len(t)
    nxt = t.find("|:", pos, end)
    limit = end if nxt < 0 else nxt
    broken = ctx.cache.get("broken_closes")
    if broken is None:
        # Read once per round: every unclosed |: asks.
        broken = ctx.cache["broken_closes"] = sorted(
            e.span.start for e in ctx.diagnostics
            if e.code == "ABC101" and broken_repeat_end(t, e.span.start))
    i = bisect.bisect_left(broken, pos)
    return i < len(broken) and broken[i] < limit


add_fixer("ABC310", _drop("a slur that no ) closes", "§4.11"), safe=True,
          changes="the `(` deleted")
add_fixer("ABC311", _drop("it closes no slur", "§4.11"), safe=True, changes="the `)` deleted")
add_fixer("ABC320", _drop("the tuplet has too few notes after it", "§4.13"), safe=False,
          changes="the tuplet mark deleted")
add_fixer("ABC324", _drop("a tuplet mark inside a tuplet, which is not played", "§4.13"),
          safe=True, changes="the inner tuplet mark deleted")
add_fixer("ABC325", _drop("a broken rhythm sign with no note before it, which is not played",
                          "§4.4"), safe=True, changes="the broken rhythm sign deleted")
add_fixer("ABC333", _drop("grace notes or a decoration that no note follows, which nothing"
                          " plays", "§4.12, §4.14"), safe=True,
          changes="the grace notes or decoration deleted")
add_fixer("ABC330", _drop("a decoration ABC 2.1 does not define and no U: field does",
                          "§4.14"), safe=True, changes="the unknown decoration deleted")
add_fixer("ABC331", _drop("a character reserved for future use", "§8.1"), safe=True,
          changes="the reserved character deleted")
add_fixer("ABC332", _drop("neither a note nor a defined decoration symbol", "§4.16"),
          safe=True, changes="the undefined symbol (or word of them) deleted")

_NOTE_RUN_RE = re.compile(r"(?:[_^=]{0,2}[A-Ga-g][,']*[0-9]*/*[0-9]*)+")
_NOTE_RE = re.compile(r"[_^=]{0,2}[A-Ga-g][,']*([0-9]*/*[0-9]*)")


@fixer("ABC312", safe=False, changes='the chord closed where its notes end')
def fix_chord_not_closed(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """``[CEG2 c2``: the chord closes where its run of notes ends; a length written on
    its last note only becomes the chord's (``[CEG]2``, §4.17)."""
    pos = d.span.start
    m = _NOTE_RUN_RE.match(ctx.text, pos + 1, ctx.line_end(pos))
    if m is None or not m.group():
        return _delete(ctx, pos, pos + 1, d.code, "deleted a [ that opens no chord (§4.17)")
    notes = list(_NOTE_RE.finditer(m.group()))
    close = m.end()
    if len(notes) > 1 and notes[-1].group(1) and not any(n.group(1) for n in notes[:-1]):
        close = pos + 1 + notes[-1].start(1)
    return [ctx.edit(close, close, "]", d.code,
                     "closed the chord after its notes (§4.17)")]


@fixer("ABC314", safe=False, changes='the grace notes closed before the note they lead to')
def fix_grace_not_closed(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """``{gA2``: the grace notes close before the last note of their run, the note they
    lead to (§4.12)."""
    pos = d.span.start
    start = pos + 1
    if ctx.text.startswith("/", start):
        start += 1
    m = _NOTE_RUN_RE.match(ctx.text, start, ctx.line_end(pos))
    if m is None or not m.group():
        return _delete(ctx, pos, pos + 1, d.code, "deleted a { that opens no grace notes (§4.12)")
    notes = list(_NOTE_RE.finditer(m.group()))
    close = start + notes[-1].start() if len(notes) > 1 else m.end()
    return [ctx.edit(close, close, "}", d.code,
                     "closed the grace notes before the note they lead to (§4.12)")]


_NOTE_RUN_CHARS = frozenset("_^=ABCDEFGabcdefg,'0123456789/")


def _run_before(ctx: FixContext, pos: int) -> int:
    """Start of the run of note characters that ends at ``pos``. No run crosses a
    character outside the notes' alphabet, so the search starts after the last such
    character before ``pos`` (found walking back) rather than at the line's start: many
    stray ``]`` on one long line stay linear."""
    text = ctx.text
    start = ctx.line_start(pos)
    at = pos
    while at > start and text[at - 1] in _NOTE_RUN_CHARS:
        at -= 1
    best = pos
    for m in _NOTE_RUN_RE.finditer(text, at, pos):
        if m.end() == pos:
            best = m.start()
    return best


@fixer("ABC313", safe=False,
       changes='`[` added before the notes a stray `]` closes, else the `]` deleted')
def fix_chord_not_opened(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    pos = d.span.start
    run = _run_before(ctx, pos)
    if run < pos and len(_NOTE_RE.findall(ctx.text[run:pos])) > 1:
        return [ctx.edit(run, run, "[", d.code,
                         "opened the chord before the notes that ] closes (§4.17)")]
    return _delete(ctx, pos, pos + 1, d.code, "deleted a ] that closes no chord (§4.17)")


@fixer("ABC315", safe=False,
       changes='`{` added before the note a stray `}` closes, else the `}` deleted')
def fix_grace_not_opened(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    pos = d.span.start
    run = _run_before(ctx, pos)
    if run < pos:
        notes = list(_NOTE_RE.finditer(ctx.text, run, pos))
        if notes and notes[-1].end() == pos:
            at = notes[-1].start()
            return [ctx.edit(at, at, "{", d.code,
                             "opened the grace notes before the note that } closes (§4.12)")]
    return _delete(ctx, pos, pos + 1, d.code, "deleted a } that closes no grace notes (§4.12)")


@fixer("ABC321", safe=True, changes="the tie between different pitches written as the slur"
       " it stands for")
def fix_tie_as_slur(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """``B-c`` → ``(Bc)``: "ties connect two successive notes of the same pitch", and
    between different notes the standard's mark is a slur (§4.11). Tunebooks often write a
    slur this way (the Nottingham collection has dozens), so the mark is kept as what it
    means rather than deleted (issue 13: a fix never drops a tie). The music engine plays
    such a tie as two notes, and so does the slur, so the fix is safe (the guard checks
    it). Only for a tie written after its note (against it, or after spaces: ``c -e``
    becomes ``(c e)``; or after the note's broken rhythm: ``d>-c`` becomes ``(d>c)``)
    that reaches a note or chord (the next
    of its voice and overlay layer, as the engine reads it) carrying no tie of its own,
    with no other layer's music written between; otherwise the finding stays, unfixed."""
    if _span_text(ctx, d) not in ("-", ".-"):
        return None  # a tie inside a chord: no slur can say which notes it joins
    tune = ctx.tune_at(d.span.start)
    if tune is None:
        return None
    items = ctx.items(tune)
    here = ctx.index_at(tune, d.span.start)
    while (here < len(items) and items[here].start == d.span.start
           and not isinstance(items[here].element, Tie)):
        here += 1
    if (here == len(items) or items[here].start != d.span.start
            or not isinstance(items[here].element, Tie)):
        return None
    voice = items[here].voice

    def before(i: int) -> int:
        """The voice's item before item ``i`` (-1: none). Index walks, not slices: a
        slice copies the tune's items for every finding, which made a tune with
        thousands of these ties quadratic."""
        return next((j for j in range(i - 1, -1, -1) if items[j].voice == voice), -1)

    p = before(here)
    tie_start = d.span.start
    if (p >= 0 and isinstance(items[p].element, BrokenRhythm)
            and not ctx.text[items[p].end:tie_start].strip(" \t")):
        # ``d>-c``: written after the note's broken rhythm, the tie joins the same notes
        # (the slur takes the sign in: ``(d>c)``).
        tie_start = items[p].start
        p = before(p)
    prev = items[p] if p >= 0 else None
    if (prev is None or not isinstance(prev.element, (Note, Chord))
            or ctx.text[prev.end:tie_start].strip(" \t")):
        return None  # only spaces may stand between the note and its tie (``c -e``)
    # The note the tie reaches, as the engine reads it: the next one of its voice and of
    # its overlay layer (§7.4), not the next one written.
    vt = _bar_analysis(ctx, tune)[0].voices[voice]
    key = ("ties", id(vt))
    by_start = ctx.cache.get(key)
    if by_start is None:  # once per voice and round: a tune may hold thousands of ties
        by_start = ctx.cache[key] = {t.span.start: t for t in vt.ties}
    link = by_start.get(d.span.start)
    if link is None or link.target is None:
        return None
    target = vt.items[link.target].element
    if not isinstance(target, (Note, Chord)):
        return None
    end = target.span.end
    if ctx.text.startswith(("-", ".-"), end):
        return None  # the second note is tied on: ")" cannot come between note and tie
    between = ctx.text[d.span.end:target.span.start]
    if "&" in between:
        return None  # another overlay layer's music between: a slur cannot span it
    bar = tune.voices[voice].bars[prev.bar]
    attached = _attached_before(bar, prev.index)
    first = bar.elements[attached].span.start
    if (ctx.text[end:end + 1] == ")" and "(" not in between and ")" not in between
            and any(isinstance(e, SlurStart) for e in bar.elements[attached:prev.index])):
        # ``(B-c)``: a slur already joins the two notes; the tie goes, not doubled by one.
        return _delete(ctx, d.span.start, d.span.end, d.code,
                       "deleted the tie between different pitches: the slur around the two"
                       " notes already joins them, and a tie joins two notes of the same"
                       " pitch (§4.11)")
    why = ("wrote the tie between different pitches as a slur: a tie joins two notes of the"
           " same pitch, a slur different ones (§4.11)")
    return [ctx.edit(first, first, "(", d.code, why),
            ctx.edit(d.span.start, d.span.end, "", d.code, why),
            ctx.edit(end, end, ")", d.code, why)]


@fixer("ABC322", safe=False, changes="the tie that joins no second note deleted")
def fix_tie_to_nothing(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """``c4- z4`` → ``c4 z4``: a tie with no note on one side joins nothing (§4.11); the
    one tie a fix deletes, and only as an unsafe fix (engravers may have meant "let
    ring", which ABC has no mark for)."""
    written = _span_text(ctx, d)
    if written not in ("-", ".-"):
        return None
    return _delete(ctx, d.span.start, d.span.end, d.code,
                   "deleted a tie with no note on one side (§4.11)")


@fixer("ABC323", safe=True, changes='the tie moved against the note it ties')
def fix_detached_tie(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """``c4 -c4`` → ``c4- c4``: the tie moves against the note it ties (§4.11)."""
    tune = ctx.tune_at(d.span.start)
    if tune is None:
        return None
    # The last note or chord before the first item that reaches past the tie. Items are
    # ordered by start, so only those from the tie's index back can reach past it: the
    # walk starts there rather than at the tune's start (linear in a tune of many ties).
    items = ctx.items(tune)
    pos = d.span.start
    stop = ctx.index_at(tune, pos)
    while stop > 0 and items[stop - 1].end > pos:
        stop -= 1
    prev_end = next((items[i].end for i in range(stop - 1, -1, -1)
                     if isinstance(items[i].element, (Note, Chord))), None)
    if prev_end is None:
        return None
    if pos in _ties_into(ctx, tune):
        # "d3 |1 -d": the engine reads the tie into this ending only; against the d3 it
        # would tie the d3 into every ending played after it (the music would change).
        return None
    tie = ctx.text[d.span.start : d.span.end]
    between = ctx.text[prev_end : d.span.start]
    if between.startswith(("-", ".-")):
        # "D8-|-D8": the note is tied already; a second - against it would be a double
        # tie. The stray one adds nothing (the engine reads the note tied once): it goes.
        return [ctx.edit(d.span.start, d.span.end, "", d.code,
                         "deleted a second tie of a note that its own - already ties"
                         " (§4.11)")]
    return [ctx.edit(prev_end, d.span.end, tie + between, d.code,
                     "moved the tie against the note it ties (§4.11: c4- c4, not c4 -c4)")]


def _ties_into(ctx: FixContext, tune: Tune) -> frozenset[int]:
    """Where the ties of ``tune`` start that the engine reads into what follows a repeat
    sign or ending (TieLink.into), read once per tune."""
    key = ("ties_into", id(tune))
    got: frozenset[int] | None = ctx.cache.get(key)
    if got is None:
        tl, _verdicts = _bar_analysis(ctx, tune)
        got = ctx.cache[key] = frozenset(
            link.span.start for vt in tl.voices for link in vt.ties if link.into)
    return got


@fixer("ABC326", safe=True, changes="the marks moved after the broken rhythm sign")
def fix_mark_before_broken(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """``G.>F`` → ``G>.F``: the decorations, chord symbols, annotations or ``(`` written
    between a note and its broken rhythm sign move after the sign, to the note they belong
    to (§4.4, §4.14); space before the sign stays before it."""
    written = _span_text(ctx, d)
    m = _MARKS_THEN_SIGN.fullmatch(written)
    if m is None:
        return None
    return [ctx.edit(d.span.start, d.span.end, m["gap"] + m["sign"] + m["marks"], d.code,
                     "moved what belongs to the next note after the broken rhythm sign"
                     " (§4.4)")]


# The text ABC326 points at: the marks, any space, the sign (which ends the span).
_MARKS_THEN_SIGN = re.compile(r"(?P<marks>.*?\S)(?P<gap>\s*)(?P<sign>[<>]+)", re.DOTALL)


@fixer("ABC340", safe=False, changes='whole-bar rests added to voices with fewer bars')
def fix_voice_bars(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    """Voices with fewer bars than the longest get whole-bar rests ``Z`` at their end
    (§4.5, §7), so the voices stay in step. Not in free meter (``M:none``, or no ``M:``):
    a measure has no length there (§3.1.6), and abcjs 6.7.2 cannot read the tune at all
    (a TypeError in its ``getMeter``) once a ``Z`` stands in one."""
    tune = ctx.tune_at(d.span.start)
    if tune is None:
        return None
    counted = bars_per_voice(tune)
    if not counted:
        return None
    tl = _bar_analysis(ctx, tune)[0]
    free = {id(vt.voice) for vt in tl.voices if vt.bars and vt.bars[-1].nominal is None}
    voices = [v for v, _ in counted]
    counts = [n for _, n in counted]
    most = max(counts)
    out = []
    for v, n in zip(voices, counts, strict=True):
        if n >= most or id(v) in free:
            continue
        missing = most - n
        rest = "Z" if missing == 1 else f"Z{missing}"
        # After the voice's last music: never inside a field line (R:, Q: ...) after it.
        last = next(b for b in reversed(v.bars) if any(_written_music(e) for e in b.elements)
                    or b.closing is not None)
        if last.closing is not None:
            at = last.closing.span.end
            new = f"{rest}|"
        else:
            at = [e for e in last.elements if _written_music(e)][-1].span.end
            new = f"|{rest}|"
        out.append(ctx.edit(at, at, new, d.code,
                            f"added {missing} bar{'s' if missing > 1 else ''} of rest to voice"
                            f" {v.id}, which had {n} bars where another has {most} (§4.5, §7)"))
    return out or None


def _written_music(e: object) -> bool:
    """An element written on a music line (not a line end, not a field line)."""
    return not isinstance(e, LineBreak) and not (isinstance(e, InlineField) and not e.inline)


@fixer("ABC341", safe=False, changes='lyrics with more syllables than notes shortened')
def fix_lyrics(ctx: FixContext, d: Diagnostic) -> list[Edit] | None:
    start = d.span.start
    end = ctx.line_end(start)
    line = ctx.text[start:end]
    cut = len(line.rstrip(" \t\\"))
    if cut <= 0:
        return None
    while start > 0 and ctx.text[start - 1] in " \t":
        start -= 1
    return [ctx.edit(start, d.span.start + cut, "", d.code,
                     f"deleted the syllables {line[:cut].strip()!r}, which have no note to go"
                     " under (§5.1)")]


def rest_bar(ctx: FixContext, tune: Tune, pos: int, d: Diagnostic) -> list[Edit] | None:
    """A bar whose duration no edit fixed: its notes become one whole-bar rest ``Z``."""
    for voice in tune.voices:
        for bar in voice.bars:
            if not (bar.span.start <= pos < bar.span.end):
                continue
            els = [e for e in bar.elements if not isinstance(e, LineBreak)]
            if not els:
                return None
            start = els[0].span.start
            end = els[-1].span.end
            if bar.closing is not None:
                end = min(end, bar.closing.span.start)
            if ctx.line_start(start) != ctx.line_start(end) or end <= start:
                return None
            return [ctx.edit(start, end, "Z", d.code,
                             "replaced the notes of a bar that no smaller edit could make fit"
                             " the meter by a whole-bar rest Z (§4.5)")]
    return None


