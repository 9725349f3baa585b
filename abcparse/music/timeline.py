"""Tune → timeline: every note, rest and chord of every voice with its time and pitch.

The one place where abcparse reads what the written music means in time and pitch. One
walk over each voice, in written order, resolves:

- **time** (the bar clock): a length (§4.3) times the unit note length (``L:``, §3.1.7,
  which inline ``[L:]`` changes), broken rhythm (§4.4), tuplets (§4.13, nested tuplets
  multiply), chords (§4.17: a chord takes the time of its first note; each note sounds its
  own length), multi-measure rests (§4.5), grace notes (§4.12: no time), voice overlays
  (§7.4: ``&`` starts a layer at the start of the bar);
- **pitch**: key signature, accidentals and ties through :class:`~.pitch.PitchState`;
- **bars**: for each bar its nominal length (the meter in force, ``M:`` and inline
  ``[M:]``, §3.1.6) and its actual length in the first layer, and whether it can be
  measured at all;
- **segments**: the runs of music between structural marks (bar lines, variant endings,
  part labels), which :mod:`.form` puts in played order.

Times are integers: ticks of ``1/resolution`` of a whole note, where the resolution is a
common multiple of every denominator the tune can produce, found before the walk. Exact
like fractions, and several times cheaper, which matters because the validator reads the
timeline of every tune it checks.

Limits (a hostile tune must not cost more than its length): a broken-rhythm sign counts
at most :data:`MAX_BROKEN` ``>``; tuplets nest at most :data:`MAX_TUPLET_DEPTH` deep; a
bar has at most :data:`MAX_LAYERS` overlay layers. What goes past a limit is reported in
:attr:`TuneTimeline.limits` and read as the limit.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from ..diagnostics import Span
from ..model import (
    NO_SPAN,
    Bar,
    BarKind,
    BarLine,
    BrokenRhythm,
    Chord,
    Decoration,
    ErrorNode,
    GraceGroup,
    InlineField,
    Key,
    LineBreak,
    Meter,
    Note,
    Overlay,
    Rest,
    Tempo,
    Tie,
    Tune,
    Tuplet,
    VariantEnding,
    Voice,
)
from ..theory import tuplet_ratio
from .pitch import PitchState, initial_shifts, is_clef_only, playing_signature, propagation

__all__ = [
    "MAX_BROKEN",
    "MAX_LAYERS",
    "MAX_TUPLET_DEPTH",
    "BarInfo",
    "Item",
    "Segment",
    "Sound",
    "TieLink",
    "TuneTimeline",
    "VoiceTimeline",
    "broken_factors",
    "part_marks",
    "read_bar",
    "timeline",
]

#: ``>>>`` is the longest broken rhythm §4.4 defines; longer runs read as this many.
MAX_BROKEN = 8
#: Tuplets inside tuplets beyond this depth are read as plain notes.
MAX_TUPLET_DEPTH = 4
#: Overlay layers per bar (§7.4); a ``&`` past the last adds to the last layer.
MAX_LAYERS = 16

_SECTION_KINDS = (BarKind.DOUBLE, BarKind.THIN_THICK, BarKind.THICK_THIN)


def broken_factors(direction: str, count: int) -> tuple[Fraction, Fraction]:
    """§4.4: the factors of the note before and the note after a broken-rhythm sign:
    ``>`` 3/2 and 1/2, ``>>`` 7/4 and 1/4, ``>>>`` 15/8 and 1/8; ``<`` the other way."""
    small = Fraction(1, 2 ** min(count, MAX_BROKEN))
    big = 2 - small
    return (big, small) if direction == ">" else (small, big)


# ---------------------------------------------------------------------------------------
# Results


@dataclass(slots=True)
class Sound:
    """One note of an item as it sounds."""

    pitch: int  # MIDI, transposition included
    ticks: int  # how long it sounds as written (chord notes may differ from their item)
    tied: bool  # a tie joins it to the next note of the same pitch
    letter: str
    octave: int
    span: Span


@dataclass(slots=True)
class Item:
    """A note, rest or chord: something that takes time in its layer.

    ``onset`` counts ticks from the start of its bar in its layer; ``index`` is the
    element's position in ``bar.elements``; ``graces`` holds the pitches of the grace
    notes written before it (a grace chord sounds together)."""

    element: Note | Rest | Chord
    layer: int
    bar: int
    index: int
    onset: int
    ticks: int
    sounds: list[Sound]
    decorations: tuple[str, ...] = ()
    graces: list[list[int]] = field(default_factory=list)
    segment: int = 0
    plain: bool = True  # no tuplet or broken rhythm changed its time

    @property
    def span(self) -> Span:
        return self.element.span


@dataclass(slots=True)
class BarInfo:
    """One bar of one voice, measured.

    ``ticks`` is the time of its first layer; ``nominal`` the length of a full bar under
    the meter in force where it starts (None in free meter, §3.1.6). ``measured`` is
    False when the bar cannot be compared with the meter: a multi-measure rest (§4.5), a
    meter change after its first note, text the parser could not read, or a bar that holds
    only overlay layers."""

    bar: Bar
    index: int
    meter: Meter | None
    nominal: int | None
    ticks: int = 0
    content: bool = False  # holds a note, rest or chord
    readable: bool = True
    part_label: bool = False  # a P: label before its first note
    ending_start: tuple[int, ...] = ()  # the variant ending that starts with it
    first_item: int = 0  # index of its first item in VoiceTimeline.items
    end_item: int = 0

    @property
    def measured(self) -> bool:
        return self.nominal is not None and self.content and self.readable

    @property
    def fit(self) -> int:
        """-1 short, 0 full or not measured, 1 overfull."""
        if not self.measured or self.nominal is None or self.ticks == self.nominal:
            return 0
        return -1 if self.ticks < self.nominal else 1


@dataclass(slots=True)
class Segment:
    """A run of music between two structural marks (bar line, variant ending, part
    label), the unit that repeats and endings reorder.

    ``repeat_start``/``repeat_end`` count the colons of the bar lines on each side;
    ``closing`` is the bar line that ends it (None inside a bar); ``ending`` the variant
    ending numbers it starts; ``bar_pos`` where in its bar it starts; ``length`` its time
    in the first layer. The tempo, meter and key fields say what is in force at its start
    and where inside it they change (written order)."""

    part: str | None
    bar: int
    repeat_start: int = 0
    repeat_end: int = 0
    opening: BarLine | None = None
    closing: BarLine | None = None
    ending: tuple[int, ...] = ()
    ending_span: Span = NO_SPAN
    first_item: int = 0
    end_item: int = 0
    length: int = 0
    bar_pos: int = 0
    new_bar: bool = True
    tempo: Tempo | None = None
    tempo_changes: list[tuple[int, Tempo]] = field(default_factory=list)
    meter: Meter | None = None
    meter_changes: list[tuple[int, Meter]] = field(default_factory=list)
    key: Key | None = None
    key_changes: list[tuple[int, Key]] = field(default_factory=list)

    @property
    def closing_kind(self) -> BarKind | None:
        return self.closing.kind if self.closing is not None else None

    @property
    def ends_section(self) -> bool:
        """Closed by a double bar line (``||``, ``|]``, ``[|``): §4.8's "latest double
        bar line", where a later unmatched ``:|`` repeats from."""
        return self.closing is not None and self.closing.kind in _SECTION_KINDS


@dataclass(slots=True)
class TieLink:
    """A ``-`` (§4.11) and what it joins: the item before it (None when no note precedes)
    and the next item of its layer (None at the end of the voice). ``blocked`` when a
    repeat sign or a variant ending stands between, so the next note played is not the
    next one written."""

    span: Span
    source: int | None  # item indices
    target: int | None = None
    blocked: bool = False
    within_chord: bool = False  # a tie written inside [ ], on one note of the chord
    notes: tuple[tuple[str, int], ...] = ()  # (letter, octave) of the notes it ties


@dataclass(slots=True)
class OpenTuplet:
    """A tuplet that ended before it had all its notes (§4.13)."""

    tuplet: Tuplet
    needed: int
    seen: int
    why: str  # "end" of the voice, "boundary" (a repeat or ending), "error" (unreadable)


@dataclass(slots=True)
class VoiceTimeline:
    voice: Voice
    items: list[Item]
    bars: list[BarInfo]
    segments: list[Segment]
    ties: list[TieLink]
    open_tuplets: list[OpenTuplet]
    layers: int  # how many layers (1 + the most overlays in a bar)
    open_broken: BrokenRhythm | None = None  # a broken rhythm with no note after it


@dataclass(slots=True)
class TuneTimeline:
    """The timeline of every voice of a tune. ``resolution`` is the number of ticks in a
    whole note; ``limits`` lists what went past a limit of the reader (see the module)."""

    tune: Tune | None  # None for a bar read on its own (read_bar)
    resolution: int
    voices: list[VoiceTimeline]
    parts: str | None
    limits: list[tuple[Span, str]] = field(default_factory=list)

    def whole(self, ticks: int) -> Fraction:
        """Ticks as a fraction of a whole note."""
        return Fraction(ticks, self.resolution)

    def voice(self, voice_id: str) -> VoiceTimeline | None:
        for v in self.voices:
            if v.voice.id == voice_id:
                return v
        return None


# ---------------------------------------------------------------------------------------
# Resolution


def _lcm_of(values: set[int]) -> int:
    out = 1
    for v in values:
        if v > 1:
            out = out * v // math.gcd(out, v)
    return out


def _resolution(bars: Iterable[Bar], unit: Fraction, meter: Meter | None) -> int:
    """A number of ticks per whole note in which every time these bars produce is whole:
    the product of the common multiples of the length denominators (chord lengths
    multiply their notes'), the unit lengths, the meters, the tuplet divisors (raised to
    the nesting depth) and the broken-rhythm halvings."""
    lengths: set[int] = set()
    units: set[int] = {unit.denominator}
    meters: set[int] = set()
    divisors: set[int] = set()
    if meter is not None and meter.bar_length is not None:
        meters.add(meter.bar_length.denominator)
    broken = 0
    depth = 0
    for bar in bars:
        for e in bar.elements:
            kind = type(e)
            if kind is Note or kind is Rest:
                lengths.add(e.length.denominator)  # type: ignore[union-attr]
            elif kind is Chord:
                assert isinstance(e, Chord)
                cd = e.length.denominator
                for n in e.notes:
                    lengths.add(n.length.denominator * cd)
            elif kind is Tuplet:
                assert isinstance(e, Tuplet)
                divisors.add(max(1, e.p))
                depth += 1
            elif kind is BrokenRhythm:
                broken = max(broken, min(e.count, MAX_BROKEN))  # type: ignore[union-attr]
            elif kind is InlineField:
                assert isinstance(e, InlineField)
                parsed = e.parsed
                if isinstance(parsed, Fraction):
                    units.add(parsed.denominator)
                elif isinstance(parsed, Meter) and parsed.bar_length is not None:
                    meters.add(parsed.bar_length.denominator)
    tuplets = _lcm_of(divisors) ** min(depth, MAX_TUPLET_DEPTH) if divisors else 1
    # A note can take two broken-rhythm factors: one from the sign after it, one from
    # the sign before (``a>b>c``).
    return _lcm_of(lengths) * _lcm_of(units) * _lcm_of(meters) * tuplets * (1 << 2 * broken)


# ---------------------------------------------------------------------------------------
# The walk


def part_marks(tune: Tune) -> list[tuple[int, str]]:
    """Body ``P:`` labels with their text offsets: a label marks every voice from that
    point of the text on (in a multi-voice tune the P: line stands above the voices).
    §3.1.9: in the body a part is marked by a single letter (``P:A``); other values
    (``P:DC al fine``) are remarks, not labels."""
    marks: list[tuple[int, str]] = []
    for f in tune.fields:
        if f.letter == "P" and f.in_body:
            label = f.value.strip()
            if len(label) == 1 and label.isalpha():
                marks.append((f.span.start, label))
    marks.sort()
    return marks


class _Reader:
    """Written-order state of one voice while its elements are read."""

    def __init__(self, resolution: int, unit: Fraction, meter: Meter | None, key: Key,
                 tempo: Tempo | None, pitch: PitchState, marks: list[tuple[int, str]],
                 limits: list[tuple[Span, str]]) -> None:
        self.res = resolution
        self.unit = unit
        self.unit_ticks = unit.numerator * resolution // unit.denominator
        self.meter = meter
        self.pitch = pitch
        self.tempo = tempo
        self.key = key
        self.part: str | None = None
        self.marks = marks
        self.mark_offsets = [m[0] for m in marks]
        self.limits = limits
        self.items: list[Item] = []
        self.bars: list[BarInfo] = []
        self.segments: list[Segment] = []
        self.ties: list[TieLink] = []
        self.open_tuplets: list[OpenTuplet] = []
        self.pending_ties: list[TieLink] = []
        self.layer = 0
        self.layers = 1
        self.cursors = [0]
        self.decorations: list[str] = []
        self.graces: list[list[int]] = []
        # Running tuplets: [multiplier, divisor, notes left, needed, the Tuplet]
        self.tuplets: list[list[object]] = []
        self.broken_next: tuple[int, int] | None = None
        self.broken_sign: BrokenRhythm | None = None  # the sign broken_next comes from
        self.last: Item | None = None  # the item a tie or broken rhythm refers to
        self.last_layer0: Item | None = None

    # --- segments --------------------------------------------------------------------
    def new_segment(self, bar_index: int, *, new_bar: bool, opening: BarLine | None = None,
                    ending: tuple[int, ...] = (), ending_span: Span = NO_SPAN) -> None:
        if self.segments:
            self.segments[-1].end_item = len(self.items)
        self.segments.append(
            Segment(
                self.part,
                bar_index,
                repeat_start=opening.repeat_start if opening is not None else 0,
                opening=opening,
                ending=ending,
                ending_span=ending_span,
                first_item=len(self.items),
                end_item=len(self.items),
                bar_pos=self.cursors[0] if not new_bar else 0,
                new_bar=new_bar,
                tempo=self.tempo,
                meter=self.meter,
                key=self.key,
            )
        )

    def split(self, bar_index: int, *, ending: tuple[int, ...] = (),
              span: Span = NO_SPAN) -> None:
        """A structural mark inside a bar: start a new segment unless nothing has been
        played in the current one yet (then the mark belongs to it)."""
        seg = self.segments[-1]
        if seg.first_item == len(self.items):
            if ending:
                seg.ending = ending
                seg.ending_span = span
            seg.part = self.part
            return
        self.new_segment(bar_index, new_bar=False, ending=ending, ending_span=span)

    def offset(self) -> int:
        """Ticks from the start of the current segment to here, in the first layer."""
        return self.cursors[0] - self.segments[-1].bar_pos

    # --- time --------------------------------------------------------------------------
    def time(self, length: Fraction) -> int:
        """Ticks of a written length under the current unit, with the running tuplets
        and a pending broken rhythm applied (the tuplets count it as one of theirs)."""
        return self.scaled(length.numerator * self.unit_ticks // length.denominator)

    def scaled(self, ticks: int) -> int:
        """Apply the running tuplets and a pending broken rhythm to ``ticks``."""
        if self.tuplets:
            ticks = self.tuplet_time(ticks)
        if self.broken_next is not None:
            num, den = self.broken_next
            ticks = ticks * num // den
            self.broken_next = None
            self.broken_sign = None
        return ticks

    def tuplet_time(self, ticks: int) -> int:
        for t in self.tuplets:
            ticks = ticks * t[0] // t[1]  # type: ignore[operator]
            t[2] -= 1  # type: ignore[operator]
        self.tuplets = [t for t in self.tuplets if t[2] > 0]  # type: ignore[operator]
        return ticks

    def cut_tuplets(self, why: str) -> None:
        for t in self.tuplets:
            needed = t[3]
            left = t[2]
            self.open_tuplets.append(
                OpenTuplet(t[4], needed, needed - left, why)  # type: ignore[arg-type,operator]
            )
        self.tuplets = []

    def add(self, element: Note | Rest | Chord, index: int, bar: BarInfo, ticks: int,
            sounds: list[Sound], tied: tuple[tuple[str, int], ...] = (),
            plain: bool = True) -> Item:
        layer = self.layer
        item = Item(element, layer, bar.index, index, self.cursors[layer], ticks, sounds,
                    tuple(self.decorations) if self.decorations else (),
                    self.graces if self.graces else [], len(self.segments) - 1, plain)
        if self.decorations:
            self.decorations = []
        if self.graces:
            self.graces = []
        self.cursors[layer] += ticks
        if layer == 0:
            bar.ticks += ticks
            self.last_layer0 = item
        if self.pending_ties:
            for link in self.pending_ties:
                link.target = len(self.items)
            self.pending_ties = []
        self.items.append(item)
        self.last = item
        self.pitch.item_done(tied)
        bar.content = True
        return item

    # --- elements ----------------------------------------------------------------------
    def note(self, e: Note, index: int, bar: BarInfo) -> None:
        plain = not self.tuplets and self.broken_next is None
        ticks = self.time(e.length)
        pitch = self.pitch.pitch(e)
        self.add(e, index, bar, ticks, [Sound(pitch, ticks, False, e.letter, e.octave, e.span)],
                 plain=plain)

    def chord(self, e: Chord, index: int, bar: BarInfo) -> None:
        """§4.17: each note sounds its own length times the chord's length; the chord
        takes the time of its first note. A tie inside the chord ties the note before."""
        sounds: list[Sound] = []
        tied: list[tuple[str, int]] = []
        written: list[int] = []
        scale = e.length * self.unit_ticks
        for it in e.items:
            if isinstance(it, Note):
                ln = it.length * scale
                written.append(ln.numerator // ln.denominator)
                sounds.append(Sound(self.pitch.pitch(it), 0, False, it.letter, it.octave,
                                    it.span))
            elif isinstance(it, Tie):
                if sounds and not sounds[-1].tied:
                    sounds[-1].tied = True
                    tied.append((sounds[-1].letter, sounds[-1].octave))
                    self.ties.append(TieLink(it.span, len(self.items), within_chord=True,
                                             notes=((sounds[-1].letter, sounds[-1].octave),)))
                    self.pending_ties.append(self.ties[-1])
            elif isinstance(it, Decoration) and it.name:
                self.decorations.append(it.name)
        if not sounds:
            return  # "[]": no note, no time
        first = written[0]
        plain = not self.tuplets and self.broken_next is None
        ticks = self.scaled(first)
        for s, w in zip(sounds, written, strict=True):
            s.ticks = ticks if w == first or not first else w * ticks // first
        self.add(e, index, bar, ticks, sounds, tuple(tied), plain)

    def rest(self, e: Rest, index: int, bar: BarInfo) -> None:
        if e.measures is not None:
            bar.readable = False  # Z / X: whole measures (§4.5), not compared
        plain = not self.tuplets and self.broken_next is None
        ticks = self.time(e.length)
        self.add(e, index, bar, ticks, [], plain=plain)

    def tie(self, e: Tie) -> None:
        last = self.last
        if last is None or not last.sounds:
            self.ties.append(TieLink(e.span, None))
            return
        for s in last.sounds:
            s.tied = True
        self.pitch.tie_all()
        link = TieLink(e.span, len(self.items) - 1,
                       notes=tuple((s.letter, s.octave) for s in last.sounds))
        self.ties.append(link)
        self.pending_ties = [link]

    def broken(self, e: BrokenRhythm, bars: list[BarInfo]) -> None:
        if e.count > MAX_BROKEN:
            self.limits.append((e.span, f"a broken rhythm of {e.count} signs is read as"
                                        f" {MAX_BROKEN} (§4.4 defines up to 3)"))
        before, after = broken_factors(e.direction, e.count)
        last = self.last
        if last is not None and last.layer == self.layer:
            new = last.ticks * before.numerator // before.denominator
            delta = new - last.ticks
            for s in last.sounds:
                s.ticks = s.ticks * before.numerator // before.denominator
            last.ticks = new
            last.plain = False
            if last.layer == 0:
                bars[last.bar].ticks += delta
            if last.bar == bars[-1].index:
                self.cursors[last.layer] += delta
        self.last = None
        self.broken_next = (after.numerator, after.denominator)
        self.broken_sign = e

    def tuplet(self, e: Tuplet) -> None:
        p, q, r = tuplet_ratio(e.p, e.q, e.r, self.meter)
        if p <= 0 or r <= 0:
            return
        if len(self.tuplets) >= MAX_TUPLET_DEPTH:
            self.limits.append((e.span, f"tuplets nested more than {MAX_TUPLET_DEPTH} deep:"
                                        " this one is read as plain notes"))
            return
        self.tuplets.append([q, p, r, r, e])

    def field(self, f: InlineField, bar: BarInfo) -> None:
        """Inline and body fields that change the music from here on (§3.2, §6.2)."""
        seg = self.segments[-1]
        letter = f.letter
        parsed = f.parsed
        if letter == "K" and isinstance(parsed, Key):
            if not is_clef_only(parsed, f.value):
                self.pitch.set_key(parsed)
                self.key = parsed
                seg.key_changes.append((self.offset(), parsed))
            names = {k for k, _ in parsed.properties}
            if names & {"transpose", "t"}:
                self.pitch.transpose = parsed.clef.transpose
            if "octave" in names:
                self.pitch.octave = parsed.clef.octave
            if parsed.clef.name is not None:
                self.pitch.clef_shift = parsed.clef.octave_shift
        elif letter == "M":
            if isinstance(parsed, Meter):
                self.meter = parsed
                seg.meter_changes.append((self.offset(), parsed))
                if bar.content:
                    bar.readable = False  # a meter change inside the bar
                else:
                    bar.meter = parsed
                    length = parsed.bar_length
                    bar.nominal = None if length is None else int(length * self.res)
            else:
                bar.readable = False
        elif letter == "L" and isinstance(parsed, Fraction):
            self.unit = parsed
            self.unit_ticks = parsed.numerator * self.res // parsed.denominator
        elif letter == "Q" and isinstance(parsed, Tempo):
            self.tempo = parsed
            seg.tempo_changes.append((self.offset(), parsed))

    def grace(self, e: GraceGroup) -> None:
        """§4.12: pitches of grace notes, one list per grace (a grace chord sounds
        together); their accidentals pass nothing on."""
        state = self.pitch
        for it in e.items:
            if isinstance(it, Note):
                self.graces.append([state.pitch(it, grace=True)])
            elif isinstance(it, Chord):
                ps = [state.pitch(n, grace=True) for n in it.notes]
                if ps:
                    self.graces.append(ps)

    def overlay(self, e: Overlay) -> None:
        """§7.4: the notes after ``&`` start again at the start of the bar."""
        if self.layer + 1 >= MAX_LAYERS:
            if self.layer + 1 == MAX_LAYERS:
                self.limits.append((e.span, f"more than {MAX_LAYERS - 1} overlays (&) in a"
                                            " bar: the rest are read into the last layer"))
            self.layer = MAX_LAYERS - 1
        else:
            self.layer += 1
        if self.layer >= len(self.cursors):
            self.cursors.append(0)
            self.layers = max(self.layers, len(self.cursors))
        self.cursors[self.layer] = 0
        self.last = None

    def boundary(self) -> None:
        """A repeat sign or a variant ending: the music does not run on across it, so a
        tuplet or broken rhythm cannot either, and a tie is blocked."""
        if self.tuplets:
            self.cut_tuplets("boundary")
        self.broken_next = None
        self.broken_sign = None
        self.last = None
        for link in self.pending_ties:
            link.blocked = True

    def bar_line(self) -> None:
        self.pitch.bar_line()


def _read_voice(tune: Tune, voice: Voice, resolution: int, mode: str,
                marks: list[tuple[int, str]], limits: list[tuple[Span, str]]) -> VoiceTimeline:
    key = tune.key
    transpose, octave, shift = initial_shifts(tune, voice)
    pitch = PitchState(playing_signature(key), mode, transpose, octave, shift)
    r = _Reader(resolution, tune.unit_length, tune.meter, key, tune.tempo, pitch, marks,
                limits)
    return _read_bars(r, voice, voice.bars)


def _read_bars(r: _Reader, voice: Voice, bars_in: Iterable[Bar]) -> VoiceTimeline:
    bars = r.bars
    offsets = r.mark_offsets
    resolution = r.res
    for bi, bar in enumerate(bars_in):
        meter = r.meter
        length = meter.bar_length if meter is not None else None
        info = BarInfo(bar, bi, meter, None if length is None else int(length * resolution),
                       ending_start=bar.ending, first_item=len(r.items))
        bars.append(info)
        opening = bar.opening
        r.bar_line()
        if bar.ending or (opening is not None and (opening.repeat_end or opening.repeat_start)):
            r.boundary()
        r.layer = 0
        r.cursors = [0] * len(r.cursors)
        r.new_segment(bi, new_bar=True, opening=opening, ending=bar.ending,
                      ending_span=opening.span if opening is not None and bar.ending else NO_SPAN)
        for index, e in enumerate(bar.elements):
            kind = type(e)
            if offsets and kind is not LineBreak:
                # The part an element belongs to follows from where it is written: the
                # P: line of a multi-voice tune stands in the text of one voice only.
                i = bisect.bisect_right(offsets, e.span.start)
                part = r.marks[i - 1][1] if i else None
                if part != r.part:
                    r.part = part
                    if not info.content:
                        info.part_label = True
                    r.split(bi)
            if kind is Note:
                r.note(e, index, info)  # type: ignore[arg-type]
            elif kind is Rest:
                r.rest(e, index, info)  # type: ignore[arg-type]
            elif kind is Chord:
                r.chord(e, index, info)  # type: ignore[arg-type]
            elif kind is Tie:
                r.tie(e)  # type: ignore[arg-type]
            elif kind is BrokenRhythm:
                r.broken(e, bars)  # type: ignore[arg-type]
            elif kind is Tuplet:
                r.tuplet(e)  # type: ignore[arg-type]
            elif kind is Decoration:
                if e.name:  # type: ignore[union-attr]
                    r.decorations.append(e.name)  # type: ignore[union-attr]
            elif kind is GraceGroup:
                r.grace(e)  # type: ignore[arg-type]
            elif kind is InlineField:
                r.field(e, info)  # type: ignore[arg-type]
            elif kind is VariantEnding:
                assert isinstance(e, VariantEnding)
                if e.numbers:
                    r.boundary()
                    r.split(bi, ending=e.numbers, span=e.span)
                    if not info.content:
                        info.ending_start = e.numbers
            elif kind is Overlay:
                r.overlay(e)  # type: ignore[arg-type]
            elif kind is ErrorNode:
                info.readable = False  # unreadable text: what it held is unknown
                if r.tuplets:
                    r.cut_tuplets("error")
                r.broken_next = None
                r.broken_sign = None
                r.last = None
                for link in r.pending_ties:
                    link.blocked = True
            # Spacers, chord symbols, annotations, slurs, line breaks: no time, no pitch.
        if r.layer and not any(it.layer == 0 for it in r.items[info.first_item:]):
            # "&& (d8 |": only overlay layers, continuing the bars before (§7.4).
            info.readable = False
        info.end_item = len(r.items)
        closing = bar.closing
        seg = r.segments[-1]
        if closing is not None:
            seg.repeat_end = closing.repeat_end
            seg.closing = closing
    if r.segments:
        r.segments[-1].end_item = len(r.items)
    broken = r.broken_sign
    if r.tuplets:
        r.cut_tuplets("end")
    _place(r.segments, r.items)
    return VoiceTimeline(voice, r.items, bars, r.segments, r.ties, r.open_tuplets, r.layers,
                         broken)


def _place(segments: list[Segment], items: list[Item]) -> None:
    """Each segment's length in the first layer."""
    for seg in segments:
        end = seg.bar_pos
        for it in items[seg.first_item:seg.end_item]:
            if it.layer == 0:
                end = it.onset + it.ticks
        seg.length = max(0, end - seg.bar_pos)


def timeline(tune: Tune) -> TuneTimeline:
    """Read every voice of ``tune`` into its timeline (see the module)."""
    resolution = _resolution(
        itertools.chain.from_iterable(v.bars for v in tune.voices), tune.unit_length,
        tune.meter)
    mode = propagation(tune)
    marks = part_marks(tune)
    limits: list[tuple[Span, str]] = []
    voices = [_read_voice(tune, v, resolution, mode, marks, limits) for v in tune.voices]
    return TuneTimeline(tune, resolution, voices, tune.parts, limits)


def read_bar(bar: Bar, unit: Fraction, meter: Meter | None) -> TuneTimeline:
    """The timeline of one bar read on its own, under ``unit`` and ``meter``, in the key
    of C: for repair, which asks how a bar would add up if it were written otherwise.
    Its voice's ``open_tuplets`` and ``open_broken`` say what runs past its end."""
    resolution = _resolution((bar,), unit, meter)
    r = _Reader(resolution, unit, meter, Key(), None, PitchState({}), [], [])
    voice = Voice("1", bars=(bar,))
    vt = _read_bars(r, voice, (bar,))
    return TuneTimeline(None, resolution, [vt], None)
