"""Tune → timeline: every note, rest and chord of every voice with its time and pitch.

The one place where abcparse reads what the written music means in time and pitch. One
walk over each voice, in written order, resolves:

- **time** (the bar clock): a length (§4.3) times the unit note length (``L:``, §3.1.7,
  which inline ``[L:]`` changes), broken rhythm (§4.4), tuplets (§4.13; a tuplet mark
  written while another tuplet still takes notes is not read, as abc2midi and abcjs play
  it: §4.13 defines no nesting), chords (§4.17: a chord takes the time of its first
  note; each note sounds its own length), multi-measure rests (§4.5), grace notes
  (§4.12: no time), voice overlays (§7.4: ``&`` starts a layer at the start of the bar);
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
at most :data:`MAX_BROKEN` ``>``; a bar has at most :data:`MAX_LAYERS` overlay layers.
What goes past a limit is reported in :attr:`TuneTimeline.limits` and read as the limit.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import NamedTuple, TypeVar

from ..diagnostics import Span
from ..gcpause import paused_gc
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
    Spacer,
    Tempo,
    Tie,
    Tune,
    Tuplet,
    VariantEnding,
    Voice,
)
from ..theory import DYNAMICS
from .clock import (
    MAX_BROKEN,
    RESOLUTION,
    Rescale,
    broken_factors,
    exact,
    length_ticks,
    note_time,
    tuplet_factor,
)
from .pitch import (
    NATURAL,
    PROPAGATION_MODES,
    Pitch,
    PitchState,
    initial_shifts,
    is_clef_only,
    midi_transpose,
    playing_signature,
    propagation_settings,
)

__all__ = [
    "MAX_LAYERS",
    "SECTION_KINDS",
    "BarInfo",
    "Item",
    "Segment",
    "TieLink",
    "TuneTimeline",
    "VoiceTimeline",
    "midi_instructions",
    "midi_transposes",
    "part_marks",
    "propagation_changes",
    "read_bar",
    "timeline",
    "voice_written_at",
]

#: Overlay layers per bar (§7.4); a ``&`` past the last adds to the last layer.
MAX_LAYERS = 16

#: Bar lines that end a section (§4.8: the double bar lines), where a ``:|`` with no
#: ``|:`` goes back to.
SECTION_KINDS = (BarKind.DOUBLE, BarKind.THIN_THICK, BarKind.THICK_THIN)


# ---------------------------------------------------------------------------------------
# Results


class Item(NamedTuple):
    """A note, rest or chord: something that takes time in its layer.

    ``onset`` counts ticks from the start of its bar in its layer; ``ticks`` is the time
    it takes there. ``pitches`` are the sounding MIDI pitches of its notes in written
    order (a chord's as :attr:`Chord.notes` lists them; none for a rest); ``lengths``
    gives each note's own ticks where a chord's notes differ (§4.17), else None. Bit i of
    ``tied`` is set when note i is tied to the next item. ``position`` is the element's
    index in ``bar.elements``; ``graces`` holds the pitches of the grace notes written
    before it (a grace chord sounds together); ``plain`` is False when a tuplet or broken
    rhythm changed its time.

    A tuple: the engine makes one per note of every tune the validator checks, and a
    tuple costs a fraction of an object with attributes."""

    element: Note | Rest | Chord
    layer: int
    bar: int
    position: int
    onset: int
    ticks: int
    pitches: tuple[Pitch, ...]
    lengths: tuple[int, ...] | None
    tied: int
    decorations: tuple[str, ...]
    graces: tuple[tuple[Pitch, ...], ...]
    plain: bool

    @property
    def span(self) -> Span:
        return self.element.span

    def note_ticks(self, i: int) -> int:
        """How long note ``i`` sounds as written."""
        return self.lengths[i] if self.lengths is not None else self.ticks

    def notes(self) -> tuple[Note, ...]:
        """The written notes, in the order of :attr:`pitches`."""
        e = self.element
        if isinstance(e, Note):
            return (e,)
        if isinstance(e, Chord):
            return e.notes
        return ()


_new = tuple.__new__  # builds an Item without the NamedTuple's Python-level __new__


def _retimed(item: Item, num: int, den: int) -> Item:
    """``item`` with its time (and each note's) multiplied by num/den."""
    lengths = item.lengths
    if lengths is not None:
        lengths = tuple(exact(n * num, den) for n in lengths)
    return _new(Item, (*item[:5], exact(item.ticks * num, den), item.pitches, lengths,
                       *item[8:11], False))


def _with_ties(item: Item, mask: int) -> Item:
    return _new(Item, (*item[:8], item.tied | mask, *item[9:]))


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
    overlays: tuple[int, ...] = ()  # the time of each overlay layer (§7.4) in the bar

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
    tempo_changes: tuple[tuple[int, Tempo], ...] = ()
    meter: Meter | None = None
    meter_changes: tuple[tuple[int, Meter], ...] = ()
    key: Key | None = None
    key_changes: tuple[tuple[int, Key], ...] = ()

    @property
    def closing_kind(self) -> BarKind | None:
        return self.closing.kind if self.closing is not None else None

    @property
    def ends_section(self) -> bool:
        """Closed by a double bar line (``||``, ``|]``, ``[|``): §4.8's "latest double
        bar line", where a later unmatched ``:|`` repeats from."""
        return self.closing is not None and self.closing.kind in SECTION_KINDS


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
    mask: int = 0  # bit i: it ties note i of the source
    #: Written after a repeat sign or variant ending (``d3 |1 -d``): it ties the target
    #: to the note played just before it, if that has its pitch, not the source to
    #: whatever is played after it (see _Reader.tie_into).
    into: bool = False


@dataclass(slots=True)
class OpenTuplet:
    """A tuplet whose voice ended before it had all its notes (§4.13)."""

    tuplet: Tuplet
    needed: int
    seen: int


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
    inner_tuplets: list[Tuplet] = field(default_factory=list)  # marks inside a tuplet
    lone_broken: list[BrokenRhythm] = field(default_factory=list)  # no note before them
    # The signs that paired two notes, as (bar index, element index) in the voice.
    paired_broken: list[tuple[int, int]] = field(default_factory=list)
    #: Grace groups and decorations the voice ends with: no note follows to take them.
    open_ornaments: list[Span] = field(default_factory=list)


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
    multiply their notes'), the unit lengths, the meters, the tuplet divisors (one tuplet at
    a time applies) and the broken-rhythm halvings."""
    lengths: set[int] = set()
    units: set[int] = {unit.denominator}
    meters: set[int] = set()
    divisors: set[int] = set()
    if meter is not None and meter.bar_length is not None:
        meters.add(meter.bar_length.denominator)
    broken = 0
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
            elif kind is BrokenRhythm:
                broken = max(broken, min(e.count, MAX_BROKEN))  # type: ignore[union-attr]
            elif kind is InlineField:
                assert isinstance(e, InlineField)
                parsed = e.parsed
                if isinstance(parsed, Fraction):
                    units.add(parsed.denominator)
                elif isinstance(parsed, Meter) and parsed.bar_length is not None:
                    meters.add(parsed.bar_length.denominator)
    tuplets = _lcm_of(divisors) if divisors else 1
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


_V = TypeVar("_V")


def _header_and_body(tune: Tune, found: Iterable[tuple[int, _V]],
                     in_place: frozenset[int] = frozenset()
                     ) -> tuple[_V | None, dict[str | None, list[tuple[int, _V]]]]:
    """Settings written at text offsets (``found``, in text order): the last one of the
    file and tune headers (None if none), and those of the body, by the voice whose
    ``V:`` is the last one before them (None before any ``V:``: every voice). One in
    ``in_place`` after a ``V:`` is left out: the timeline reads it where it stands."""
    body_start = max((f.span.end for f in tune.fields if f.letter == "K" and not f.in_body),
                     default=0)
    header: _V | None = None
    voice_at = voice_written_at(tune)
    body: dict[str | None, list[tuple[int, _V]]] = {}
    for at, value in found:
        if at < body_start:
            header = value
            continue
        voice = voice_at(at)
        if at in in_place and voice is not None:
            continue
        body.setdefault(voice, []).append((at, value))
    return header, body


def midi_transposes(tune: Tune) -> tuple[int | None, dict[str | None, list[tuple[int, int]]]]:
    """abc2midi's ``%%MIDI transpose N`` (and its ``I:MIDI transpose N`` form, §11.0.2), as
    both outside players follow it: the last one in the tune header (None if none), and
    those in the body with their text offsets, by the voice whose ``V:`` is the last one
    before them (None, before any ``V:``: every voice). A body ``I:MIDI transpose N``
    (a line or inline) after a ``V:`` is read where it stands, with the other inline
    fields; before the first ``V:`` it moves every voice, as the directive does there
    and as both players read either (§3.1.17 makes the two forms one)."""
    in_place = frozenset(f.span.start for f in tune.fields if f.letter == "I" and f.in_body)
    return _header_and_body(
        tune, ((at, n) for at, value in midi_instructions(tune)
               if (n := midi_transpose(value)) is not None), in_place)


def propagation_changes(tune: Tune) -> tuple[str, dict[str | None, list[tuple[int, str]]]]:
    """How far an accidental reaches (§11.3 ``%%propagate-accidentals``, and abc2midi's
    ``%%MIDI nobarlines``/``barlines``, see :func:`~abcparse.music.pitch.propagation_settings`):
    the setting a tune starts with (the last one of the file header and the tune header,
    ``pitch`` if none), and those of the body with their text offsets, by voice (as
    :func:`midi_transposes`), each in force from where it stands, as abc2midi switches
    ``nobarlines`` (a setting written in the body had reached back to the tune's first
    note). A value not understood is left out (ABC229 reports it)."""
    header, body = _header_and_body(
        tune, ((at, m) for at, m in propagation_settings(tune) if m in PROPAGATION_MODES))
    return header or "pitch", body


def midi_instructions(tune: Tune) -> list[tuple[int, str]]:
    """Every ``%%MIDI ...`` directive of ``tune`` and its ``I:MIDI ...`` field form
    (§11.0.2), as (text offset, what follows ``MIDI``), in text order, after those of the
    file header (offset -1), which are the tune's defaults (§2.2.2)."""
    found = [(d.span.start, d.value) for d in tune.directives if d.name == "MIDI"]
    found += [(f.span.start, f.value[4:]) for f in tune.fields
              if f.letter == "I" and f.value.startswith("MIDI ")]
    found.sort(key=lambda item: item[0])
    # The file header's come first (offset -1): the tune's own override them (§2.2.2).
    return [(-1, value) for name, value in tune.file_settings if name == "MIDI"] + found


def voice_written_at(tune: Tune, header: bool = False) -> Callable[[int], str | None]:
    """The voice whose text holds a text offset: the one whose body ``V:`` is the last
    before it (None before any): where a directive or field line of the body belongs.

    With ``header``, a header ``V:`` (§7.1: a voice declared with its properties) owns
    the lines after it up to the next ``V:`` or the end of the header, as abc2midi reads
    a ``%%MIDI program`` there; what follows the header before the first body ``V:``
    stays None (every voice)."""
    switches: list[tuple[int, str | None]] = sorted(
        (f.span.start, f.value.split(None, 1)[0])
        for f in tune.fields
        if f.letter == "V" and (f.in_body or header) and f.value.strip()
    )
    if header:
        body_start = max((f.span.end for f in tune.fields if f.letter == "K" and not f.in_body),
                         default=0)
        switches.append((body_start, None))
        switches.sort(key=lambda sw: sw[0])
    offsets = [v[0] for v in switches]

    def voice_at(offset: int) -> str | None:
        i = bisect.bisect_right(offsets, offset)
        return switches[i - 1][1] if i else None

    return voice_at


class _Reader:
    """Written-order state of one voice while its elements are read."""

    def __init__(self, resolution: int, unit: Fraction, meter: Meter | None, key: Key,
                 tempo: Tempo | None, pitch: PitchState, marks: list[tuple[int, str]],
                 limits: list[tuple[Span, str]]) -> None:
        self.res = resolution
        self.unit = unit
        self.unit_ticks = exact(unit.numerator * resolution, unit.denominator)
        self.ticks_of: dict[int, int] = {}  # see length_ticks
        self.nominals: dict[int, int | None] = {}  # see nominal (the meters stay alive)
        self.meter = meter
        self.pitch = pitch
        self.tempo = tempo
        self.key = key
        self.part: str | None = None
        self.marks = marks
        self.mark_offsets = [m[0] for m in marks]
        # %%MIDI transpose directives still ahead in this voice, the next one last.
        self.transposes: list[tuple[int, int]] = []
        # Accidental propagation settings still ahead in this voice, the next one last.
        self.modes: list[tuple[int, str]] = []
        self.limits = limits
        self.items: list[Item] = []
        self.bars: list[BarInfo] = []
        self.segments: list[Segment] = []
        self.ties: list[TieLink] = []
        self.open_tuplets: list[OpenTuplet] = []
        self.inner_tuplets: list[Tuplet] = []
        self.lone_broken: list[BrokenRhythm] = []
        self.paired_broken: list[tuple[int, int]] = []
        self.pending_ties: list[TieLink] = []
        # The ties of the other overlay layers (§7.4), waiting for their layer to come
        # back: layer -> (the bar they were left in, pending links, the tied notes'
        # alterations and shift). A tie reaches the next note of its own layer, in the
        # next bar at the latest (see switch_layer).
        self.layer_ties: dict[int, tuple[int, list[TieLink], dict[tuple[str, int], Pitch],
                                         int]] = {}
        # The key of the bar's first layer, kept at its first "&": a K: written in an
        # overlay holds in that overlay only (see end_layer).
        self.layer_key: tuple[dict[str, int], Key] | None = None
        self.layer = 0
        self.layers = 1
        self.cursors = [0]
        self.decorations: list[str] = []
        # Where the pending grace groups (True) and decorations (False) are written, until
        # a note, rest or chord takes them (see VoiceTimeline.open_ornaments).
        self.ornaments: list[tuple[Span, bool]] = []
        self.graces: list[tuple[Pitch, ...]] = []
        # Running tuplets: [multiplier, divisor, notes left, needed, the Tuplet]
        self.tuplets: list[list[object]] = []
        self.broken_next: Fraction | None = None
        self.broken_sign: BrokenRhythm | None = None  # the sign broken_next comes from
        self.last: int | None = None  # the item a tie or broken rhythm refers to
        # The item a broken rhythm sign lengthened or shortened, while the sign waits for
        # its second note: a tie written after the sign (``c>-c``) ties it (see tie).
        self.broken_from: int | None = None
        # (how many items there were, the item before it) at the last repeat sign or
        # variant ending: a tie written at once after one (``d3 |1 -d``) ties into it.
        self.boundary_from: tuple[int, int] | None = None
        # Tempo, meter and key changes inside the current segment, (offset, value) each,
        # kept in lists and written to the segment's tuples when it ends (flush_changes):
        # adding to a tuple copies it, which made thousands of [K:] in a bar quadratic.
        self.tempo_changes: list[tuple[int, Tempo]] = []
        self.meter_changes: list[tuple[int, Meter]] = []
        self.key_changes: list[tuple[int, Key]] = []

    # --- segments --------------------------------------------------------------------
    def new_segment(self, bar_index: int, *, new_bar: bool, opening: BarLine | None = None,
                    ending: tuple[int, ...] = (), ending_span: Span = NO_SPAN) -> None:
        segments = self.segments
        n = len(self.items)
        if segments:
            self.flush_changes()
            last = segments[-1]
            last.end_item = n
            if not new_bar:  # split inside a bar: the segment before ends here
                last.length = self.cursors[0] - last.bar_pos
        segments.append(Segment(
            self.part, bar_index, repeat_started(opening, ending), 0,
            opening, None, ending, ending_span, n, n, 0,
            0 if new_bar else self.cursors[0], new_bar, self.tempo, (), self.meter, (),
            self.key, (),
        ))

    def flush_changes(self) -> None:
        """Write the changes gathered in the current segment to it (see __init__)."""
        if self.tempo_changes or self.meter_changes or self.key_changes:
            seg = self.segments[-1]
            seg.tempo_changes += tuple(self.tempo_changes)
            seg.meter_changes += tuple(self.meter_changes)
            seg.key_changes += tuple(self.key_changes)
            self.tempo_changes.clear()
            self.meter_changes.clear()
            self.key_changes.clear()

    def split(self, bar_index: int, *, ending: tuple[int, ...] = (),
              span: Span = NO_SPAN) -> None:
        """A structural mark inside a bar: start a new segment unless nothing has been
        played in the current one yet (then the mark belongs to it)."""
        seg = self.segments[-1]
        if seg.first_item == len(self.items):
            if ending:
                seg.ending = ending
                seg.ending_span = span
                seg.repeat_start = repeat_started(seg.opening, ending)
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
        ticks = self.ticks_of.get(id(length))
        if ticks is None:
            ticks = self.length_ticks(length)
        return self.scaled(ticks)

    def scaled(self, ticks: int) -> int:
        """Apply the running tuplets and a pending broken rhythm to ``ticks`` (the bar
        clock's :func:`~.clock.note_time`), and count the note in each tuplet."""
        ticks = note_time(ticks, self.tuplets, self.broken_next)
        if self.tuplets:
            for t in self.tuplets:
                t[2] -= 1  # type: ignore[operator]
            self.tuplets = [t for t in self.tuplets if t[2] > 0]  # type: ignore[operator]
        self.broken_next = None
        self.broken_sign = None
        return ticks

    def cut_tuplets(self) -> None:
        """The voice ends with tuplets still waiting for notes."""
        for t in self.tuplets:
            needed = t[3]
            left = t[2]
            self.open_tuplets.append(
                OpenTuplet(t[4], needed, needed - left)  # type: ignore[arg-type,operator]
            )
        self.tuplets = []

    def add(self, element: Note | Rest | Chord, index: int, bar: BarInfo, ticks: int,
            pitches: tuple[Pitch, ...], lengths: tuple[int, ...] | None = None,
            plain: bool = True) -> None:
        layer = self.layer
        cursors = self.cursors
        decorations = self.decorations
        graces = self.graces
        items = self.items
        items.append(_new(Item, (
            element, layer, bar.index, index, cursors[layer], ticks, pitches, lengths, 0,
            tuple(decorations) if decorations else (), tuple(graces) if graces else (), plain,
        )))
        if decorations:
            self.decorations = []
        if graces:
            self.graces = []
        if self.ornaments:
            self.ornaments = []
        cursors[layer] += ticks
        if self.pending_ties:
            for link in self.pending_ties:
                link.target = len(items) - 1
            self.pending_ties = []
        self.last = len(items) - 1
        if self.pitch.tied:
            self.pitch.tied = {}
        bar.content = True

    # --- elements ----------------------------------------------------------------------
    def note(self, e: Note, index: int, bar: BarInfo) -> None:
        """A note (the plainest notes are read inline by :func:`_read_bars`)."""
        length = e.length
        ticks = self.ticks_of.get(id(length))
        if ticks is None:
            ticks = self.length_ticks(length)
        plain = True
        if self.tuplets or self.broken_next is not None:
            ticks = self.scaled(ticks)
            plain = False
        ps = self.pitch
        letter = e.letter
        if e.accidental is None and not ps.tied and not ps.by_octave:
            alt = ps.by_letter.get(letter)
            if alt is None:
                alt = ps.signature.get(letter, 0)
            pitch = NATURAL[letter] + 12 * e.octave + alt + ps.shift
        else:
            pitch = ps.pitch(e)
        if self.decorations or self.graces or self.pending_ties or ps.tied:
            self.add(e, index, bar, ticks, (pitch,), None, plain)
            return
        layer = self.layer
        cursors = self.cursors
        items = self.items
        items.append(_new(Item, (e, layer, bar.index, index, cursors[layer], ticks, (pitch,),
                                 None, 0, (), (), plain)))
        cursors[layer] += ticks
        self.last = len(items) - 1
        bar.content = True

    def plain_notes_next(self) -> bool:
        """Whether a note without an accidental would be read by nothing but its length,
        the bar's accidentals and the key: no tuplet, broken rhythm, decoration, grace
        note, tie or part label pending, accidentals by letter (:func:`_read_bars` then
        reads it inline)."""
        ps = self.pitch
        return not (self.tuplets or self.broken_next is not None or self.decorations
                    or self.graces or self.pending_ties or ps.tied or ps.by_octave
                    or self.mark_offsets or self.transposes or self.modes)

    def nominal(self, meter: Meter | None) -> int | None:
        """Ticks of a full bar under ``meter`` (None in free meter), kept per meter."""
        if meter is None:
            return None
        key = id(meter)
        if key not in self.nominals:
            length = meter.bar_length
            self.nominals[key] = (
                None if length is None
                else exact(length.numerator * self.res, length.denominator)
            )
        return self.nominals[key]

    def length_ticks(self, length: Fraction) -> int:
        """Ticks of a written length under the current unit (before tuplets and broken
        rhythm). Kept by the identity of the length: the builder shares one Fraction per
        written length, and every note of the voice is alive while it is read."""
        ticks = length_ticks(length, self.unit_ticks)
        self.ticks_of[id(length)] = ticks
        return ticks

    def chord(self, e: Chord, index: int, bar: BarInfo) -> None:
        """§4.17: each note sounds its own length times the chord's length; the chord
        takes the time of its first note. A tie inside the chord ties the note before."""
        pitches: list[Pitch] = []
        written: list[int] = []
        carried: list[tuple[str, int, Pitch]] = []
        links: list[TieLink] = []
        mask = 0
        scale = e.length * self.unit_ticks
        last_note: Note | None = None
        for it in e.items:
            if isinstance(it, Note):
                ln = it.length * scale
                written.append(exact(ln.numerator, ln.denominator))
                pitches.append(self.pitch.pitch(it))
                last_note = it
            elif isinstance(it, Tie):
                if last_note is None:  # "[-C]": a tie before the chord's first note
                    self.ties.append(TieLink(it.span, None))
                    continue
                bit = 1 << (len(pitches) - 1)
                if not mask & bit:
                    mask |= bit
                    carried.append((last_note.letter, last_note.octave, pitches[-1]))
                    links.append(TieLink(it.span, len(self.items), within_chord=True,
                                         mask=bit))
            elif isinstance(it, Decoration) and it.name:
                self.decorations.append(it.name)
        if not pitches:
            return  # "[]": no note, no time
        first = written[0]
        plain = not self.tuplets and self.broken_next is None
        ticks = self.scaled(first)
        lengths = None
        if any(w != first for w in written) and first:
            lengths = tuple(exact(w * ticks, first) for w in written)
        self.add(e, index, bar, ticks, tuple(pitches), lengths, plain)
        if mask:
            self.items[-1] = _with_ties(self.items[-1], mask)
            self.ties.extend(links)
            self.pending_ties = links
            self.pitch.carry(carried)

    def rest(self, e: Rest, index: int, bar: BarInfo) -> None:
        plain = not self.tuplets and self.broken_next is None
        if e.measures is not None:
            # Z / X: whole measures (§4.5) of this voice's meter (§7.3: a meter written
            # in one voice is not another's; in free meter a measure is a whole note),
            # not compared with the meter.
            bar.readable = False
            if plain:
                measure = self.nominal(self.meter)
                ticks = e.measures * (measure if measure is not None else self.res)
                self.add(e, index, bar, ticks, (), None, plain)
                return
        ticks = self.time(e.length)
        self.add(e, index, bar, ticks, (), None, plain)

    def tie(self, e: Tie) -> None:
        li = self.last
        if li is None and self.broken_next is not None:
            # ``c>-c``: a tie written after the broken rhythm sign, where §4.11 wants it
            # against the note (``c->c``). Loose reading: it ties the note before the sign,
            # as abc2midi and abcjs both play it; the validator reports where it is
            # written (ABC323, whose safe fix writes ``c->c``).
            li = self.broken_from
        if li is None and self.boundary_from is not None:
            count, before = self.boundary_from
            item = self.items[before]
            if count == len(self.items) and item.pitches and item.layer == self.layer:
                self.tie_into(e, before)
                return
        if li is None or not self.items[li].pitches:
            self.ties.append(TieLink(e.span, None))
            return
        item = self.items[li]
        mask = (1 << len(item.pitches)) - 1
        self.items[li] = _with_ties(item, mask)
        self.pitch.carry(
            (n.letter, n.octave, p) for n, p in zip(item.notes(), item.pitches, strict=True)
        )
        link = TieLink(e.span, li, mask=mask)
        self.ties.append(link)
        self.pending_ties = [link]

    def tie_into(self, e: Tie, before: int) -> None:
        """``d3 |1 -d``, ``d3 |: -d``: a tie written at once after a variant ending or a
        repeat sign, where §4.11 wants it against the note before (``d3- |1 d``). Loose
        reading, as abc2midi and abcjs both play the first ending: it ties the next note
        to the note played just before it, when that note has its pitch, and so on the
        passes that come to it from that note only (the first ending after ``d3``, not
        the second ending, which ``d3- |1 d`` would tie too). The validator reports where
        it is written (ABC323)."""
        item = self.items[before]
        self.pitch.carry(
            (n.letter, n.octave, p) for n, p in zip(item.notes(), item.pitches, strict=True)
        )
        link = TieLink(e.span, before, mask=(1 << len(item.pitches)) - 1, into=True)
        self.ties.append(link)
        self.pending_ties = [link]

    def broken(self, e: BrokenRhythm, bars: list[BarInfo], index: int) -> None:
        if e.count > MAX_BROKEN:
            self.limits.append((e.span, f"a broken rhythm of {e.count} signs is read as"
                                        f" {MAX_BROKEN} (§4.4 defines up to 3)"))
        li = self.last
        if (li is None or self.items[li].layer != self.layer
                or self.items[li].bar != bars[-1].index):
            # §4.4: the sign stands between two notes. With none before it (at the start
            # of a voice or an overlay, after a bar line, a repeat sign or a tuplet mark)
            # abcjs leaves the next note as written, and so does abc2midi but for some
            # lengths after a plain bar line (it pairs ``A2|>B2`` but not ``A|>B2`` or
            # ``A2|>B``); so does the engine, and the validator reports the sign (ABC325).
            self.lone_broken.append(e)
            return
        before, after = broken_factors(e.direction, e.count)
        last = self.items[li]
        new = _retimed(last, before.numerator, before.denominator)
        self.items[li] = new
        delta = new.ticks - last.ticks
        if last.bar == bars[-1].index:
            self.cursors[last.layer] += delta  # the bar's time is its cursor's
        elif last.layer == 0:
            bars[last.bar].ticks += delta
        self.last = None
        self.broken_next = after
        self.broken_sign = e
        self.broken_from = li
        self.paired_broken.append((bars[-1].index, index))

    def tuplet(self, e: Tuplet) -> None:
        factor = tuplet_factor(e.p, e.q, e.r, self.meter)
        if factor is None:
            return
        q, p, r = factor
        if self.tuplets:
            # §4.13 defines no tuplet inside a tuplet: ``(3(3abc`` and ``(3a(3bcd e`` are
            # read with the first mark alone, as abc2midi and abcjs both play them (abcjs
            # warns "Can't nest triplets"); the validator reports the mark (ABC324).
            self.inner_tuplets.append(e)
            return
        self.tuplets.append([q, p, r, r, e])
        # A broken rhythm or tie written after the mark has no note before it in the
        # tuplet: ``A2 (3>cde`` is played as written by both players (§4.4, §4.13).
        self.last = None

    def field(self, f: InlineField, bar: BarInfo) -> None:
        """Inline and body fields that change the music from here on (§3.2, §6.2)."""
        letter = f.letter
        parsed = f.parsed
        if letter == "K" and isinstance(parsed, Key):
            if not is_clef_only(parsed, f.value):
                self.pitch.set_key(parsed)
                self.key = parsed
                self.key_changes.append((self.offset(), parsed))
            self.pitch.set_clef(parsed.clef, (k for k, _ in parsed.properties))
        elif letter == "V" and isinstance(parsed, Voice):
            # A body V: that sets a clef, transpose= or octave= (§4.6, §7.1): from here on.
            self.pitch.set_clef(parsed.clef, (k for k, _ in parsed.properties))
        elif letter == "I" and f.value.startswith("MIDI"):
            semitones = midi_transpose(f.value[4:])
            if semitones is not None:
                self.pitch.set_shifts(transpose=semitones)
        elif letter == "M":
            if isinstance(parsed, Meter):
                self.meter = parsed
                self.meter_changes.append((self.offset(), parsed))
                if bar.content:
                    bar.readable = False  # a meter change inside the bar
                else:
                    bar.meter = parsed
                    bar.nominal = self.nominal(parsed)
            else:
                bar.readable = False
        elif letter == "L" and isinstance(parsed, Fraction):
            self.unit = parsed
            self.unit_ticks = exact(parsed.numerator * self.res, parsed.denominator)
            self.ticks_of = {}
        elif letter == "Q" and isinstance(parsed, Tempo):
            if parsed.bpm is not None and parsed.bpm > 0:
                # §3.1.8: a tempo given only as text (Q:"Slower") is a label; the speed
                # in force stays, and a repeat or later segment restores that speed.
                self.tempo = parsed
            self.tempo_changes.append((self.offset(), parsed))

    def grace(self, e: GraceGroup) -> None:
        """§4.12: pitches of grace notes, one tuple per grace (a grace chord sounds
        together); their accidentals pass nothing on."""
        state = self.pitch
        # An unclosed group is ABC314's finding, not one more here; an empty one ({}, or
        # {z} once its rest is left out) has nothing for a note to take.
        if e.closed and e.items:
            self.ornaments.append((e.span, True))
        for it in e.items:
            if isinstance(it, Note):
                self.graces.append((state.pitch(it, grace=True),))
            elif isinstance(it, Chord):
                ps = tuple(state.pitch(n, grace=True) for n in it.notes)
                if ps:
                    self.graces.append(ps)

    def switch_layer(self, to: int, bar: int, left: int) -> None:
        """Leave the current overlay layer, last written in bar ``left``, for layer
        ``to`` in bar ``bar`` (at an ``&``, or layer 0 at a bar's start): the ties written
        in a layer wait for that layer's next note (§4.11, §7.4: ``^F4- & C4|F4|`` holds
        the F sharp through the next bar, and ``C4 & ^F4-|F4|`` leaves the main voice's F
        natural), as both players play them. A tie left longer than a bar reaches
        nothing."""
        ps = self.pitch
        if self.pending_ties or ps.tied:
            self.layer_ties[self.layer] = (left, self.pending_ties, ps.tied, ps.tied_shift)
        else:
            self.layer_ties.pop(self.layer, None)
        waiting = self.layer_ties.pop(to, None)
        if waiting is not None and waiting[0] >= bar - 1:
            _, self.pending_ties, ps.tied, ps.tied_shift = waiting
        else:
            self.pending_ties, ps.tied = [], {}
        if self.layer_ties:  # forget what no layer can take any more
            self.layer_ties = {k: v for k, v in self.layer_ties.items() if v[0] >= bar - 1}

    def end_layer(self) -> None:
        """An overlay layer ends (at the next ``&`` or bar line): a key it changed was
        its own, "a temporary voice" (§7.4), and the voice goes on in the key of the
        bar's first layer, as both players play it."""
        saved = self.layer_key
        if saved is None or self.layer == 0:
            return
        signature, key = saved
        if key is not self.key or signature is not self.pitch.signature:
            self.pitch.set_signature(signature)
            self.key = key
            self.key_changes.append((self.offset(), key))

    def overlay(self, e: Overlay, bar: int) -> None:
        """§7.4: the notes after ``&`` start again at the start of the bar, in "a
        temporary voice": accidentals written before the ``&`` do not hold in it (the
        layer before is done with this bar), its ties are its own, and so is a key it
        sets, as abc2midi and abcjs both play it."""
        if self.layer == 0:
            self.layer_key = (self.pitch.signature, self.key)
        else:
            self.end_layer()
        self.pitch.bar_line()
        self.switch_layer(min(self.layer + 1, MAX_LAYERS - 1), bar, bar)
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
        tie is blocked and a broken rhythm written after it has no note before it. One
        written before it keeps its second half: ``G2>|:f2`` shortens the f, as abc2midi
        and abcjs both play it (§4.4), rather than lengthen the G alone and add time to
        the tune. A tuplet counts its notes on in written order (``(3Bc|:d``: the d is its
        third note, on every pass), as both players read it (§4.13 counts notes, not
        bars)."""
        if self.last is not None:
            self.boundary_from = (len(self.items), self.last)
        self.last = None
        self.broken_from = None
        for link in self.pending_ties:
            link.blocked = True
        for _, links, _, _ in self.layer_ties.values():
            for link in links:
                link.blocked = True



def repeat_started(opening: BarLine | None, ending: tuple[int, ...]) -> int:
    """The repeat a segment starts: its opening bar line's, except where that line also
    ends a repeat and an ending follows it at once (``:|:[2``, ``::2``): the ending is one
    of the section the line closes, as both players read it, and the start sign opens
    nothing (it used to open a section whose second ending was never reached, so every
    note after it was lost)."""
    if opening is None:
        return 0
    if ending and opening.repeat_end:
        return 0
    return opening.repeat_start


def _empty_ending_mark(bar: Bar, before: BarLine | None
                       ) -> tuple[Span, tuple[int, ...]] | None:
    """Where the variant ending ``bar`` starts with is written, and its numbers, if that
    is before the bar line that opens the bar (``::|1 ||``, ``| [1 :||``: the builder
    drops the empty bar between the two lines) and that line ends an ending (§4.10:
    ``||``, ``:|``, ``|]``, ``[|``; or a ``|:``, where a new section starts): then the
    ending is empty."""
    opening = bar.opening
    if not bar.ending or opening is None or opening is before:
        return None
    if not (opening.kind in SECTION_KINDS or opening.repeat_end or opening.repeat_start):
        return None
    if before is not None and before.ending:
        return before.span, before.ending
    for e in bar.elements:
        if type(e) is VariantEnding:
            if e.numbers and e.span.start < opening.span.start:
                return e.span, e.numbers
            return None
        if type(e) is not LineBreak:
            break
    return None


def _read_voice(tune: Tune, voice: Voice, resolution: int,
                modes: tuple[str, dict[str | None, list[tuple[int, str]]]],
                marks: list[tuple[int, str]], limits: list[tuple[Span, str]],
                transposes: tuple[int | None, dict[str | None, list[tuple[int, int]]]]
                ) -> VoiceTimeline:
    key = tune.key
    header, body = transposes
    transpose, octave, shift = initial_shifts(tune, voice, header)
    mode, mode_changes = modes
    pitch = PitchState(playing_signature(key), mode, transpose, octave, shift)
    r = _Reader(resolution, tune.unit_length, tune.meter, key, tune.tempo, pitch, marks,
                limits)
    r.transposes = sorted(body.get(None, []) + body.get(voice.id, []), reverse=True)
    r.modes = sorted(mode_changes.get(None, []) + mode_changes.get(voice.id, []),
                     reverse=True)
    return _read_bars(r, voice, voice.bars)


def _read_bars(r: _Reader, voice: Voice, bars_in: Iterable[Bar]) -> VoiceTimeline:
    bars = r.bars
    offsets = r.mark_offsets
    ps = r.pitch
    for bi, bar in enumerate(bars_in):
        meter = r.meter
        info = BarInfo(bar, bi, meter, r.nominal(meter), ending_start=bar.ending,
                       first_item=len(r.items))
        bars.append(info)
        opening = bar.opening
        if ps.by_letter or ps.by_octave:
            ps.bar_line()  # §4.2: accidentals end with the bar
        if r.layer or r.layer_ties:
            r.end_layer()
            r.layer_key = None
            r.switch_layer(0, bi, bi - 1)  # each overlay layer's ties are its own
        # Two bar lines with nothing between ("|" then ":|" at the start of the next
        # line, "|: |", "|:[|"): the first closed the bar before, the second opens this
        # one, and a repeat sign on either side counts (§4.8), as both players read it.
        before = r.segments[-1].closing if r.segments else None
        carried = repeat_started(before, bar.ending)
        # "|: :|", a section with nothing in it: repeating it plays nothing, and the
        # music before the "|:" is not repeated (§4.8), as both players read it.
        empty_section = bool(carried and opening is not None and opening is not before
                             and opening.repeat_end)
        if empty_section:
            carried = 0
        # "::|1 ||", "[1 ||": an ending whose mark is written just before a bar line
        # that ends it (§4.10), with nothing between, is empty; the bar after it is in
        # no ending (it used to take the ending, so a later pass skipped its notes).
        empty = _empty_ending_mark(bar, before)
        mark = empty[0] if empty is not None else None
        ending = bar.ending
        if empty is not None:
            r.boundary()
            r.new_segment(bi, new_bar=True, opening=before, ending=empty[1],
                          ending_span=empty[0])
            r.segments[-1].closing = opening
            # The bar's own ending, if another mark follows in it, is read below; one
            # its opening line carries (``|1 :|2 B``, an empty first ending) is its own.
            assert opening is not None  # _empty_ending_mark needs one
            if not opening.ending:
                ending = info.ending_start = ()
        if ending or carried or (opening is not None
                                 and (opening.repeat_end or opening.repeat_start)):
            r.boundary()
        if (opening is not None and opening.repeat_end and r.segments
                and opening is not before and not empty_section):
            r.segments[-1].repeat_end = max(r.segments[-1].repeat_end, opening.repeat_end)
        r.layer = 0
        r.cursors = [0] * len(r.cursors)
        r.new_segment(bi, new_bar=True, opening=opening, ending=ending,
                      ending_span=opening.span if opening is not None and ending else NO_SPAN)
        if carried:
            seg = r.segments[-1]
            seg.repeat_start = max(seg.repeat_start, carried)
        # The plainest notes (no accidental, nothing pending: most notes of most tunes)
        # are read here with the reader's state in local variables; anything else syncs
        # the locals back and goes through the reader's methods.
        items = r.items
        append = items.append
        ticks_of = r.ticks_of
        fast = r.plain_notes_next()
        by_letter, signature, shift = ps.by_letter, ps.signature, ps.shift
        layer = 0
        cursor = 0
        wrote = False  # a note was read inline since the last sync
        for index, e in enumerate(bar.elements):
            kind = type(e)
            if fast and kind is Note and e.accidental is None:  # type: ignore[union-attr]
                length = e.length  # type: ignore[union-attr]
                ticks = ticks_of.get(id(length))
                if ticks is None:
                    ticks = r.length_ticks(length)
                letter = e.letter  # type: ignore[union-attr]
                alt = by_letter.get(letter)
                if alt is None:
                    alt = signature.get(letter, 0)
                append(_new(Item, (e, layer, bi, index, cursor, ticks,
                                   (NATURAL[letter] + 12 * e.octave + alt + shift,),  # type: ignore[union-attr]
                                   None, 0, (), (), True)))
                cursor += ticks
                wrote = True
                continue
            if wrote:
                r.cursors[layer] = cursor
                r.last = len(items) - 1
                info.content = True
                wrote = False
            else:
                r.cursors[layer] = cursor
            if r.transposes and kind is not LineBreak:
                while r.transposes and r.transposes[-1][0] < e.span.start:
                    ps.set_shifts(transpose=r.transposes.pop()[1])
            if r.modes and kind is not LineBreak:
                while r.modes and r.modes[-1][0] < e.span.start:
                    ps.mode = r.modes.pop()[1]
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
                r.broken(e, bars, index)  # type: ignore[arg-type]
            elif kind is Tuplet:
                r.tuplet(e)  # type: ignore[arg-type]
            elif kind is Decoration:
                # §4.14: decorations apply to notes, rests, groups "and bar lines". One
                # written just before the bar line that opens this bar (``G2 | H| D2``:
                # the builder keeps it in the bar, as the bar before had ended) belongs
                # to that bar line, not to the next note, as both players read it; a
                # dynamics mark there still holds for the notes after it (abc2midi).
                name = e.name  # type: ignore[union-attr]
                if name and (opening is None or e.span.start >= opening.span.start
                             or name in DYNAMICS):
                    r.decorations.append(name)
                    r.ornaments.append((e.span, False))
            elif kind is GraceGroup:
                r.grace(e)  # type: ignore[arg-type]
            elif kind is InlineField:
                r.field(e, info)  # type: ignore[arg-type]
            elif kind is VariantEnding:
                assert isinstance(e, VariantEnding)
                if e.numbers and e.span != mark:  # equal, not the same: spans are packed
                    r.boundary()
                    r.split(bi, ending=e.numbers, span=e.span)
                    if not info.content:
                        info.ending_start = e.numbers
            elif kind is Overlay:
                r.overlay(e, bi)  # type: ignore[arg-type]
            elif kind is ErrorNode:
                # Unreadable text: the bar's length is unknown, so it is not measured;
                # the music around it reads on (a stray character inside a triplet
                # leaves the triplet whole, as both players hear it).
                info.readable = False
            elif kind is Spacer and r.decorations:
                r.decorations = []  # §4.14: a decoration may be attached to a "y" spacer
                r.ornaments = [o for o in r.ornaments if o[1]]
            # Spacers, chord symbols, annotations, slurs, line breaks: no time, no pitch.
            fast = r.plain_notes_next()
            layer = r.layer
            cursor = r.cursors[layer]
            ticks_of = r.ticks_of
            by_letter, signature, shift = ps.by_letter, ps.signature, ps.shift
        r.cursors[layer] = cursor
        if wrote:
            r.last = len(items) - 1
            info.content = True
        info.ticks = r.cursors[0]
        if layer:
            info.overlays = tuple(r.cursors[1:layer + 1])
        last_seg = r.segments[-1]
        last_seg.length = info.ticks - last_seg.bar_pos
        if r.layer and not any(it.layer == 0 for it in r.items[info.first_item:]):
            # "&& (d8 |": only overlay layers, continuing the bars before (§7.4).
            info.readable = False
        info.end_item = len(r.items)
        closing = bar.closing
        seg = r.segments[-1]
        if closing is not None:
            seg.repeat_end = closing.repeat_end
            seg.closing = closing
            if r.decorations:
                # §4.14: decorations apply to notes, rests, note groups and bar lines;
                # one written just before a bar line (``A2 H:|``, a fermata over the bar
                # line) is the bar line's, not the next bar's first note's. A dynamics
                # mark there (``C2 !pp!| D2``) holds for the notes after it, as abc2midi
                # plays it.
                r.decorations = [name for name in r.decorations if name in DYNAMICS]
                r.ornaments = [o for o in r.ornaments if o[1]]  # graces go on
    if r.segments:
        r.flush_changes()
        r.segments[-1].end_item = len(r.items)
    broken = r.broken_sign
    if r.tuplets:
        r.cut_tuplets()
    return VoiceTimeline(voice, r.items, bars, r.segments, r.ties, r.open_tuplets, r.layers,
                         broken, r.inner_tuplets, r.lone_broken, r.paired_broken,
                         [span for span, _ in r.ornaments])


#: Readings with a finer resolution before the exact one is computed from every element.
_RETRIES = 4


def timeline(tune: Tune) -> TuneTimeline:
    """Read every voice of ``tune`` into its timeline (see the module)."""
    with paused_gc():  # one tune's reading allocates per note (see abcparse.gcpause)
        return _timeline(tune)


def _voice_marks(tune: Tune, marks: list[tuple[int, str]]) -> dict[str, list[tuple[int, str]]]:
    """The part labels each voice reads. A label marks every voice from that point of
    the text on (the P: line of an interleaved score stands in one voice's text), except
    in a score written voice after voice where every voice has labels of its own (§7:
    both layouts play "exactly the same"): there each voice reads its own, and those
    written before the first ``V:``. Otherwise the intro of the second voice would take
    the first voice's last label."""
    voice_at = voice_written_at(tune)
    own: dict[str | None, list[tuple[int, str]]] = {}
    for mark in marks:
        own.setdefault(voice_at(mark[0]), []).append(mark)
    playing = [v.id for v in tune.voices if v.bars]
    if len(playing) < 2 or not all(vid in own for vid in playing):
        return {}
    return {vid: sorted(own.get(None, []) + own[vid]) for vid in playing}


def _timeline(tune: Tune) -> TuneTimeline:
    modes = propagation_changes(tune)
    marks = part_marks(tune)
    by_voice = _voice_marks(tune, marks) if marks else {}
    transposes = midi_transposes(tune)
    resolution = RESOLUTION  # most tunes are read in one pass
    for attempt in range(_RETRIES + 1):
        limits: list[tuple[Span, str]] = []
        try:
            voices = [_read_voice(tune, v, resolution, modes, by_voice.get(v.id, marks),
                                  limits, transposes)
                      for v in tune.voices]
            return TuneTimeline(tune, resolution, voices, tune.parts, limits)
        except Rescale as e:
            if attempt < _RETRIES - 1:
                resolution *= e.factor
            else:
                resolution = _resolution(
                    itertools.chain.from_iterable(v.bars for v in tune.voices),
                    tune.unit_length, tune.meter)
    raise AssertionError("the exact resolution is whole for every time")  # pragma: no cover


def read_bar(bar: Bar, unit: Fraction, meter: Meter | None) -> TuneTimeline:
    """The timeline of one bar read on its own, under ``unit`` and ``meter``, in the key
    of C: for repair, which asks how a bar would add up if it were written otherwise.
    Its voice's ``open_tuplets`` and ``open_broken`` say what runs past its end."""
    resolution = _resolution((bar,), unit, meter)
    r = _Reader(resolution, unit, meter, Key(), None, PitchState({}), [], [])
    voice = Voice("1", bars=(bar,))
    vt = _read_bars(r, voice, (bar,))
    return TuneTimeline(None, resolution, [vt], None)
