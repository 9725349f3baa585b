"""Tune → timed note events: how an ABC tune sounds, note by note.

The interpretation runs in three passes, because ABC mixes two orders:

1. **Written order** (:func:`_read_voice`). Pitches, lengths and everything positional are
   resolved the way a reader meets them on the page: the key signature and inline ``K:``
   changes (§3.1.14, §3.2), accidentals that hold to the end of the bar (§4.2, §11.3),
   ``L:`` and ``M:`` changes, broken rhythm (§4.4), tuplets (§4.13), chords (§4.17),
   decorations that change playing (§4.14). The voice is cut into *segments* at every bar
   line, variant ending (§4.10) and part label (§3.1.9); each segment holds its notes with
   offsets from its start. A repeated bar replays what was written there, so a key change
   inside a repeated section affects only the notes written after it, as on paper.
2. **Play order** (:func:`_play_order`). Segments are ordered by the ``P:`` part order
   (§3.1.9) and the repeats and variant endings are unrolled (§4.8-§4.10).
3. **Performance** (:func:`perform`). Segments are laid end to end in play order, ties are
   joined between notes that really follow each other in time (§4.11: across bar lines,
   repeats and into chords), grace notes optionally take time from their note (§4.12), and
   beats are turned into seconds with the tempo map (``Q:``, §3.1.8; a quarter note at 120
   when there is none).

Choices the standard leaves open, and the reasons (``docs/playback.md`` has the full list):

- Accidentals hold for the rest of the bar *in every octave* (``%%propagate-accidentals
  pitch``, the default of §11.3; abc2midi does the same); the directive (or the same ``I:``
  field) selects ``octave`` or ``not``. A tie carries a note's accidental into the next bar
  for the tied note only, as in staff notation.
- ``K:HP`` prints no key signature but is played on the pipe scale: F and C sharp, like
  ``K:Hp`` (§3.1.14).
- Staccato plays half the written length (:data:`STACCATO_FACTOR`); a fermata doubles the
  note's time, delaying what follows (:data:`FERMATA_FACTOR`); both as abc2midi does.
  Other decorations are kept on the events but do not change the sound.
- ``:|`` without a ``|:`` repeats from the start of the tune (or part), or from the last
  point where an earlier repeat finished (§4.8 recommendation). A ``:|`` that closes the
  last variant ending of a group does not repeat again.
- In a chord every note plays its own length times the chord's length, and the chord takes
  the time of its first note (§4.17).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import TypeVar

from .diagnostics import Span
from .errors import AbcUsageError
from .model import (
    NO_SPAN,
    BarKind,
    BrokenRhythm,
    Chord,
    Decoration,
    GraceGroup,
    InlineField,
    Key,
    LineBreak,
    Meter,
    Mode,
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
from .theory import key_fifths, key_signature, midi_pitch, tuplet_ratio

__all__ = [
    "DEFAULT_QPM",
    "FERMATA_FACTOR",
    "GRACE_LENGTH",
    "GRACE_MODES",
    "STACCATO_FACTOR",
    "KeyChange",
    "MeterChange",
    "NoteEvent",
    "Performance",
    "TempoChange",
    "Track",
    "perform",
    "tune_events",
]

GRACE_MODES = ("ignore", "steal")
#: Quarter notes per minute when a tune has no ``Q:`` (§3.1.8 gives no default; 120 is
#: what abc2midi and most players use).
DEFAULT_QPM = 120.0
#: Share of its written length a staccato note sounds (abc2midi: one half).
STACCATO_FACTOR = Fraction(1, 2)
#: How much longer a note or rest under a fermata lasts (abc2midi: twice as long).
FERMATA_FACTOR = Fraction(2)
#: Length of one grace note in whole notes when graces take time (``grace="steal"``): a
#: 32nd note, at most half of the main note shared among all its graces.
GRACE_LENGTH = Fraction(1, 32)
#: Velocities of notes on the first beat of a bar, on other beats, and between beats: the
#: stress pattern abc2midi uses by default, so a rendered tune has a pulse.
VELOCITY_DOWNBEAT, VELOCITY_BEAT, VELOCITY_OFFBEAT = 105, 95, 80

_STACCATO = frozenset({"staccato"})
_FERMATA = frozenset({"fermata", "invertedfermata"})
_DRUM_CHANNEL = 9
_T = TypeVar("_T")
_DOUBLE_BARS = (BarKind.DOUBLE, BarKind.THIN_THICK, BarKind.THICK_THIN)
_ZERO = Fraction(0)
_ONE = Fraction(1)


# ---------------------------------------------------------------------------------------
# Public results


@dataclass(frozen=True, slots=True)
class NoteEvent:
    """One sounding note.

    ``onset`` and ``duration`` are in beats of a quarter note (MIDI's beat), exact
    fractions; ``onset_seconds`` and ``duration_seconds`` follow the tempo map. The
    duration is what sounds: tied notes joined, staccato shortened. ``voice`` is the voice
    id (``"1"`` for a tune without ``V:``; an overlay ``&`` adds ``"&1"``, ``"&2"`` ...),
    ``span`` where the note (the first of a tied group) is written. ``grace`` marks grace
    notes (only with ``grace="steal"``); ``decorations`` names the decorations written on
    the note or its chord."""

    pitch: int
    onset: Fraction
    duration: Fraction
    onset_seconds: float
    duration_seconds: float
    velocity: int
    voice: str
    channel: int
    span: Span = field(default=NO_SPAN, compare=False)
    grace: bool = False
    decorations: tuple[str, ...] = ()

    @property
    def end(self) -> Fraction:
        """When the note stops, in beats."""
        return self.onset + self.duration


@dataclass(frozen=True, slots=True)
class TempoChange:
    """From ``beat`` on, ``qpm`` quarter notes per minute (``seconds`` is when, in time)."""

    beat: Fraction
    qpm: float
    seconds: float


@dataclass(frozen=True, slots=True)
class MeterChange:
    """From ``beat`` on, this time signature (``M:none`` is not recorded)."""

    beat: Fraction
    numerator: int
    denominator: int


@dataclass(frozen=True, slots=True)
class KeyChange:
    """From ``beat`` on, a key signature of ``fifths`` sharps (negative: flats), major or
    minor: what a MIDI key-signature event can say (modes map to their signature)."""

    beat: Fraction
    fifths: int
    minor: bool


@dataclass(frozen=True, slots=True)
class Track:
    """A voice (or a voice overlay) as it becomes a MIDI track."""

    voice: str
    name: str | None
    channel: int
    program: int | None = None


@dataclass(frozen=True, slots=True)
class Performance:
    """Everything a player needs: notes in time order, one track per voice, and the tempo,
    meter and key maps (on the first voice's timeline)."""

    notes: tuple[NoteEvent, ...]
    tracks: tuple[Track, ...]
    tempos: tuple[TempoChange, ...]
    meters: tuple[MeterChange, ...]
    keys: tuple[KeyChange, ...]
    end: Fraction  # beats: the end of the last bar played
    end_seconds: float
    title: str | None = None


# ---------------------------------------------------------------------------------------
# Written order: segments of resolved items


@dataclass(slots=True)
class _Note:
    pitch: int
    length: Fraction  # whole notes, before broken rhythm and tuplets
    tied: bool
    span: Span


@dataclass(slots=True)
class _Item:
    """A note, chord or rest: something that takes time in its layer."""

    notes: list[_Note]
    time: Fraction  # whole notes, before broken rhythm and tuplets
    layer: int
    beat: Fraction  # the meter's beat, for the stress pattern
    span: Span
    decorations: tuple[str, ...] = ()
    graces: list[list[int]] = field(default_factory=list)
    factor: Fraction = _ONE
    offset: Fraction = _ZERO  # from the start of its segment (pass 1b)
    velocity: int = VELOCITY_OFFBEAT

    @property
    def duration(self) -> Fraction:
        """Time the item takes in its layer, in whole notes."""
        t = self.time if self.factor == 1 else self.time * self.factor
        if self.decorations and _FERMATA.intersection(self.decorations):
            t *= FERMATA_FACTOR
        return t


@dataclass(slots=True)
class _Segment:
    """A run of music between two structural marks (bar line, variant ending, part label).

    ``repeat_start``/``repeat_end`` count the colons of the bar lines on each side,
    ``closing`` is the kind of the bar line that ends it (None inside a bar), ``ending``
    the variant ending numbers it starts."""

    part: str | None
    repeat_start: int = 0
    repeat_end: int = 0
    closing: BarKind | None = None
    ending: tuple[int, ...] = ()
    items: list[_Item] = field(default_factory=list)
    length: Fraction = _ZERO
    bar_pos: Fraction = _ZERO  # where in its bar the segment starts
    new_bar: bool = True
    tempo: float = DEFAULT_QPM  # in effect at the start (written order)
    tempo_changes: list[tuple[Fraction, float]] = field(default_factory=list)
    meter: Meter | None = None
    meter_changes: list[tuple[Fraction, Meter | None]] = field(default_factory=list)
    key: tuple[int, bool] = (0, False)
    key_changes: list[tuple[Fraction, tuple[int, bool]]] = field(default_factory=list)


def _qpm(tempo: Tempo | None) -> float | None:
    """§3.1.8 ``Q:1/4=120`` → quarter notes per minute; ``Q:3/8=100`` is 150. A tempo
    given only as text (``Q:"Allegro"``) gives None: the tempo does not change."""
    if tempo is None or tempo.bpm is None or tempo.bpm <= 0:
        return None
    beat = tempo.beat_length
    if beat is None or beat <= 0:
        return float(tempo.bpm)
    return float(tempo.bpm * beat * 4)


def _key_info(key: Key) -> tuple[int, bool]:
    """MIDI key signature of a key: sharps/flats and whether it is minor. Modes other than
    major and minor are given as the major key with the same signature."""
    if key.highland_pipes is not None:
        return 2, False
    if key.tonic is None or key.mode is None:
        return 0, False
    fifths = max(-7, min(7, key_fifths(key)))
    return fifths, key.mode is Mode.MINOR


def _playing_signature(key: Key) -> dict[str, int]:
    """The key signature as heard. ``K:HP`` prints none, but the pipes play their scale
    with F and C sharp (§3.1.14), exactly like ``K:Hp``."""
    if key.highland_pipes == "HP":
        key = replace(key, highland_pipes="Hp")
    return key_signature(key)


def _is_clef_only(key: Key, value: str) -> bool:
    """A body ``K:`` that names only a clef or properties (``K:bass``, ``K:transpose=-2``)
    changes no key signature (§4.6); ``K:`` and ``K:none`` remove it (§3.1.14)."""
    if key.tonic is not None or key.highland_pipes is not None:
        return False
    word = value.split(None, 1)[0].lower() if value.strip() else ""
    return word not in ("", "none")


def _beat_of(meter: Meter | None) -> Fraction:
    """The beat whose onsets are stressed: a dotted quarter in compound time (6/8, 9/8,
    12/8), else one over the denominator; a quarter note without a meter."""
    if meter is None or meter.kind == "none" or not meter.beat_unit:
        return Fraction(1, 4)
    n = meter.numerator
    if meter.kind == "fraction" and n > 3 and n % 3 == 0:
        return Fraction(3, meter.beat_unit)
    return Fraction(1, meter.beat_unit)


def _propagation(tune: Tune) -> str:
    """§11.3 ``%%propagate-accidentals not | octave | pitch`` (default ``pitch``), as a
    directive or an ``I:`` field; the last one written wins."""
    mode = "pitch"
    found: list[tuple[int, str]] = []
    for d in tune.directives:
        if d.name == "propagate-accidentals":
            found.append((d.span.start, d.value.strip().lower()))
    for f in tune.fields:
        if f.letter == "I" and f.value.strip().startswith("propagate-accidentals"):
            found.append((f.span.start, f.value.split(None, 1)[-1].strip().lower()))
    for _, value in sorted(found):
        if value in ("not", "octave", "pitch"):
            mode = value
    return mode


@dataclass(slots=True)
class _PitchState:
    """What turns a written note into a MIDI pitch at a point of one voice."""

    signature: dict[str, int]
    propagation: str
    transpose: int = 0  # semitones (transpose=)
    octave: int = 0  # octaves (octave=)
    clef_shift: int = 0  # octaves (a +8/-8 clef)
    bar: dict[tuple[str, int | None], int] = field(default_factory=dict)
    # Alterations, by written letter and octave: carried by a tie into the item being
    # read, of the notes of the item being read, and of the item read last.
    tied: dict[tuple[str, int], int] = field(default_factory=dict)
    current: dict[tuple[str, int], int] = field(default_factory=dict)
    last: dict[tuple[str, int], int] = field(default_factory=dict)

    def pitch(self, note: Note, grace: bool = False) -> int:
        """§4.2: an accidental applies to the note and, unless it is a grace note, to the
        same letter for the rest of the bar (every octave with ``pitch`` propagation,
        this octave with ``octave``). A note tied from the item before keeps that note's
        alteration, as a tie across a bar line does in staff notation."""
        letter, octave = note.letter, note.octave
        if note.accidental is not None:
            alt = note.accidental.semitones
            if not grace and self.propagation != "not":
                scope = None if self.propagation == "pitch" else octave
                self.bar[(letter, scope)] = alt
                if scope is None:
                    for k in [k for k in self.bar if k[0] == letter and k[1] is not None]:
                        del self.bar[k]
                else:
                    self.bar.pop((letter, None), None)
        elif (letter, octave) in self.tied:
            alt = self.tied[(letter, octave)]
        elif (letter, octave) in self.bar:
            alt = self.bar[(letter, octave)]
        elif (letter, None) in self.bar:
            alt = self.bar[(letter, None)]
        else:
            alt = self.signature.get(letter, 0)
        if not grace:
            self.current[(letter, octave)] = alt
        shift = self.transpose + 12 * (self.octave + self.clef_shift)
        return midi_pitch(letter, octave, alt) + shift

    def item_done(self, tied: Iterable[tuple[str, int]] = ()) -> None:
        """An item is complete: ties reach only the next item, so what was carried is
        dropped; notes tied inside a chord carry their alteration on."""
        self.last, self.current = self.current, {}
        self.tied = {k: self.last[k] for k in tied if k in self.last}

    def tie_all(self) -> None:
        """A ``-`` after a note or chord ties every note of it (§4.11)."""
        self.tied = dict(self.last)


@dataclass(slots=True)
class _Reader:
    """Written-order state of one voice while its elements are read."""

    unit: Fraction
    meter: Meter | None
    pitch: _PitchState
    tempo: float
    key: tuple[int, bool]
    part: str | None
    segments: list[_Segment] = field(default_factory=list)
    layer: int = 0
    decorations: list[str] = field(default_factory=list)
    graces: list[list[int]] = field(default_factory=list)
    tuplets: list[list[Fraction | int]] = field(default_factory=list)  # [factor, left]
    broken_next: Fraction | None = None
    last: _Item | None = None  # the item a tie or broken rhythm refers to

    @property
    def segment(self) -> _Segment:
        return self.segments[-1]

    def new_segment(
        self, *, new_bar: bool, repeat_start: int = 0, ending: tuple[int, ...] = ()
    ) -> None:
        self.segments.append(
            _Segment(
                self.part,
                repeat_start=repeat_start,
                ending=ending,
                new_bar=new_bar,
                tempo=self.tempo,
                meter=self.meter,
                key=self.key,
            )
        )

    def split(self, *, ending: tuple[int, ...] = ()) -> None:
        """A structural mark inside a bar: start a new segment unless nothing has been
        played in the current one yet (then the mark belongs to it)."""
        seg = self.segment
        if not seg.items:
            if ending:
                seg.ending = ending
            seg.part = self.part
            return
        self.new_segment(new_bar=False, ending=ending)
        self.layer = 0

    def add(
        self,
        notes: list[_Note],
        time: Fraction,
        span: Span,
        tied: Iterable[tuple[str, int]] = (),
    ) -> _Item:
        factor = _ONE
        if self.broken_next is not None:
            factor *= self.broken_next
            self.broken_next = None
        for t in self.tuplets:
            factor *= t[0]
            t[1] = int(t[1]) - 1
        self.tuplets = [t for t in self.tuplets if int(t[1]) > 0]
        item = _Item(
            notes,
            time,
            self.layer,
            _beat_of(self.meter),
            span,
            tuple(self.decorations),
            self.graces,
            factor,
        )
        self.decorations = []
        self.graces = []
        self.segment.items.append(item)
        self.last = item
        self.pitch.item_done(tied)
        return item


def _initial_shifts(tune: Tune, voice: Voice) -> tuple[int, int, int]:
    """Semitones (``transpose=``), octaves (``octave=``) and clef octaves (``treble-8``)
    a voice is shifted by at its start (§4.6): from its ``V:`` when it says, else from the
    header ``K:``."""
    key_clef = tune.key.clef
    names = {k for k, _ in voice.properties}
    transpose = voice.clef.transpose if names & {"transpose", "t"} else key_clef.transpose
    octave = voice.clef.octave if "octave" in names else key_clef.octave
    shift = voice.clef.octave_shift if voice.clef.name is not None else key_clef.octave_shift
    return transpose, octave, shift


def _read_voice(
    tune: Tune, voice: Voice, part_marks: Sequence[tuple[int, str]], propagation: str
) -> list[_Segment]:
    """Pass 1: read one voice in written order into segments of resolved items."""
    key = tune.key
    transpose, octave, shift = _initial_shifts(tune, voice)
    r = _Reader(
        unit=tune.unit_length,
        meter=tune.meter,
        pitch=_PitchState(_playing_signature(key), propagation, transpose, octave, shift),
        tempo=_qpm(tune.tempo) or DEFAULT_QPM,
        key=_key_info(key),
        part=None,
    )
    mark_offsets = [m[0] for m in part_marks]

    def part_at(offset: int) -> str | None:
        i = bisect.bisect_right(mark_offsets, offset)
        return part_marks[i - 1][1] if i else None

    for bar in voice.bars:
        r.layer = 0
        r.pitch.bar.clear()
        opening = bar.opening
        r.new_segment(
            new_bar=True,
            repeat_start=opening.repeat_start if opening is not None else 0,
            ending=bar.ending,
        )
        for e in bar.elements:
            if mark_offsets and not isinstance(e, LineBreak):
                # The part an element belongs to follows from where it is written: the
                # P: line of a multi-voice tune stands in the text of one voice only.
                part = part_at(e.span.start)
                if part != r.part:
                    r.part = part
                    r.split()
            if isinstance(e, Note):
                length = e.length * r.unit
                r.add([_Note(r.pitch.pitch(e), length, False, e.span)], length, e.span)
            elif isinstance(e, Rest):
                r.add([], e.length * r.unit, e.span)
            elif isinstance(e, Chord):
                _read_chord(r, e)
            elif isinstance(e, Tie):
                if r.last is not None:
                    for n in r.last.notes:
                        n.tied = True
                    r.pitch.tie_all()
            elif isinstance(e, BrokenRhythm):
                if r.last is not None:
                    dot = Fraction(1, 2**e.count)
                    before, after = (2 - dot, dot) if e.direction == ">" else (dot, 2 - dot)
                    r.last.factor *= before
                    r.broken_next = after
            elif isinstance(e, Tuplet):
                p, q, count = tuplet_ratio(e.p, e.q, e.r, r.meter)
                if p > 0 and count > 0:
                    r.tuplets.append([Fraction(q, p), count])
            elif isinstance(e, Decoration):
                if e.name:
                    r.decorations.append(e.name)
            elif isinstance(e, GraceGroup):
                r.graces.extend(_grace_pitches(r.pitch, e))
            elif isinstance(e, InlineField):
                _read_field(r, e)
            elif isinstance(e, VariantEnding):
                if e.numbers:
                    r.split(ending=e.numbers)
            elif isinstance(e, Overlay):
                r.layer += 1
                r.last = None
        closing = bar.closing
        if closing is not None:
            seg = r.segment
            seg.repeat_end = closing.repeat_end
            seg.closing = closing.kind
    _place(r.segments)
    return r.segments


def _read_chord(r: _Reader, chord: Chord) -> None:
    """§4.17: each note sounds its own length times the chord's length; the chord takes
    the time of its first note. A tie inside the chord ties the note before it."""
    notes: list[_Note] = []
    tied: list[tuple[str, int]] = []
    for item in chord.items:
        if isinstance(item, Note):
            length = item.length * chord.length * r.unit
            notes.append(_Note(r.pitch.pitch(item), length, False, item.span))
            last_key = (item.letter, item.octave)
        elif isinstance(item, Tie):
            if notes and not notes[-1].tied:
                notes[-1].tied = True
                tied.append(last_key)
        elif isinstance(item, Decoration) and item.name:
            r.decorations.append(item.name)
    if notes:
        r.add(notes, notes[0].length, chord.span, tied)


def _grace_pitches(state: _PitchState, group: GraceGroup) -> list[list[int]]:
    """Pitches of grace notes, one list per grace (a grace chord sounds together)."""
    out: list[list[int]] = []
    for item in group.items:
        if isinstance(item, Note):
            out.append([state.pitch(item, grace=True)])
        elif isinstance(item, Chord):
            ps = [state.pitch(n, grace=True) for n in item.notes]
            if ps:
                out.append(ps)
    return out


def _read_field(r: _Reader, f: InlineField) -> None:
    """Inline and body fields that change the music from here on (§3.2, §6.2)."""
    seg = r.segment
    offset = _written_offset(r)
    if f.letter == "K" and isinstance(f.parsed, Key):
        key = f.parsed
        if not _is_clef_only(key, f.value):
            r.pitch.signature = _playing_signature(key)
            r.pitch.bar.clear()
            r.key = _key_info(key)
            seg.key_changes.append((offset, r.key))
        names = {k for k, _ in key.properties}
        if names & {"transpose", "t"}:
            r.pitch.transpose = key.clef.transpose
        if "octave" in names:
            r.pitch.octave = key.clef.octave
        if key.clef.name is not None:
            r.pitch.clef_shift = key.clef.octave_shift
    elif f.letter == "M" and isinstance(f.parsed, Meter):
        r.meter = f.parsed
        seg.meter_changes.append((offset, r.meter))
    elif f.letter == "L" and isinstance(f.parsed, Fraction):
        r.unit = f.parsed
    elif f.letter == "Q" and isinstance(f.parsed, Tempo):
        qpm = _qpm(f.parsed)
        if qpm is not None:
            r.tempo = qpm
            seg.tempo_changes.append((offset, qpm))


def _written_offset(r: _Reader) -> Fraction:
    """Time from the start of the current segment to here in layer 0 (changes inside a
    segment are placed after the items written before them)."""
    return sum((i.duration for i in r.segment.items if i.layer == 0), _ZERO)


def _place(segments: list[_Segment]) -> None:
    """Pass 1b: offsets of items inside their segment, the segment's length, and the
    stress of each item from its position in the bar."""
    bar_pos = _ZERO
    for seg in segments:
        if seg.new_bar:
            bar_pos = _ZERO
        seg.bar_pos = bar_pos
        cursors: dict[int, Fraction] = {}
        for item in seg.items:
            at = cursors.get(item.layer, _ZERO)
            item.offset = at
            pos = bar_pos + at
            if pos == 0:
                item.velocity = VELOCITY_DOWNBEAT
            elif pos % item.beat == 0:
                item.velocity = VELOCITY_BEAT
            else:
                item.velocity = VELOCITY_OFFBEAT
            cursors[item.layer] = at + item.duration
        seg.length = cursors.get(0, _ZERO)
        bar_pos += seg.length


# ---------------------------------------------------------------------------------------
# Play order: parts, repeats and variant endings


def _ending_end(segs: Sequence[_Segment], i: int) -> int:
    """Index just after the variant ending that starts at ``i`` (§4.10: it ends with
    ``||``, ``:|``, ``|]`` or ``[|``, or where another ending, a ``|:`` or a new part
    begins)."""
    n = len(segs)
    j = i
    while j < n:
        s = segs[j]
        if s.repeat_end or s.closing in (BarKind.DOUBLE, BarKind.THIN_THICK, BarKind.THICK_THIN):
            return j + 1
        if j + 1 < n and (
            segs[j + 1].ending or segs[j + 1].repeat_start or segs[j + 1].part != s.part
        ):
            return j + 1
        j += 1
    return n


def _ending_group(segs: Sequence[_Segment], i: int) -> tuple[set[int], int, int] | None:
    """The variant endings around segment ``i``: every ending number of the group of
    consecutive endings ``i`` belongs to, the index after the group and how many endings
    it has; None when ``i`` is in no ending."""
    n = len(segs)
    spans: list[tuple[int, int]] = []
    j = 0
    while j < n:
        if segs[j].ending:
            k = _ending_end(segs, j)
            spans.append((j, k))
            j = k
        else:
            j += 1
    # Group the endings that follow each other directly.
    groups: list[list[tuple[int, int]]] = []
    for s, e in spans:
        if groups and groups[-1][-1][1] == s:
            groups[-1].append((s, e))
        else:
            groups.append([(s, e)])
    for g in groups:
        if g[0][0] <= i < g[-1][1]:
            numbers = set().union(*(segs[s].ending for s, _ in g))
            return numbers, g[-1][1], len(g)
    return None


def _unroll(segs: Sequence[_Segment]) -> list[int]:
    """Play order of one part's segments with repeats and variant endings unrolled.

    §4.8: ``|:`` opens a section that ``:|`` sends back to (``::`` does both; each extra
    colon adds a repeat); an unmatched ``:|`` goes back to the start or to where the last
    repeated section finished. §4.9/§4.10: on the Nth pass only the endings that list N
    play; a ``:|`` that ends an ending repeats only while a later ending is still to come.
    """
    order: list[int] = []
    n = len(segs)
    groups: dict[int, tuple[set[int], int, int] | None] = {}

    def group(i: int) -> tuple[set[int], int, int] | None:
        if i not in groups:
            groups[i] = _ending_group(segs, i)
        return groups[i]

    start = 0
    passno = 1
    taken: dict[int, int] = {}
    jumped = False
    group_end = -1  # where the current ending group stops: then passes start over
    opened = False  # the current section was opened by |:
    seen_repeat = False
    i = 0
    guard = 0
    while i < n:
        guard += 1
        if guard > 100 * (n + 1):  # a malformed structure never loops for ever
            break
        s = segs[i]
        if i == group_end:
            start, passno, taken, group_end, opened = i, 1, {}, -1, False
            seen_repeat = True
        if s.repeat_start and not jumped:
            start, passno, taken, opened = i, 1, {}, True
        jumped = False
        if s.ending:
            g = group(i)
            if g is not None:
                group_end = g[1]
            if passno not in s.ending:
                i = _ending_end(segs, i)
                continue
        order.append(i)
        if s.repeat_end:
            g = group(i) if (s.ending or group_end > i) else None
            times = s.repeat_end
            if g is not None:
                # Go back while an ending for a later pass is still to come; a lone
                # `[1 ... :|` (no `[2` written) repeats once.
                numbers, _, count = g
                want = max(numbers) > passno if count > 1 else taken.get(i, 0) < 1
            else:
                want = taken.get(i, 0) < times
            if want:
                taken[i] = taken.get(i, 0) + 1
                passno += 1
                i = start
                jumped = True
                continue
            seen_repeat = True
            if g is None:
                start, passno, taken, opened = i + 1, 1, {}, False
        elif s.closing in _DOUBLE_BARS and seen_repeat and not opened and group_end <= i:
            # After a repeated section, a double bar line is where the next one starts.
            start, passno, taken = i + 1, 1, {}
        i += 1
    return order


def _play_order(segs: Sequence[_Segment], parts: str | None, unroll: bool) -> list[int]:
    """§3.1.9: with a ``P:`` order in the header and part labels in the body, play the
    parts in that order (music before the first label plays once, first); otherwise the
    written order. Each part unrolls its own repeats."""
    index = list(range(len(segs)))
    if not unroll:
        return index
    labels = [s.part for s in segs]
    if not parts or not any(labels):
        return _unroll(segs)
    by_part: dict[str | None, list[int]] = {}
    for i, lab in enumerate(labels):
        by_part.setdefault(lab, []).append(i)
    order: list[int] = []
    intro = by_part.get(None, [])
    if intro:
        order.extend(intro[k] for k in _unroll([segs[k] for k in intro]))
    for label in parts:
        members = by_part.get(label)
        if members:
            order.extend(members[k] for k in _unroll([segs[k] for k in members]))
    return order


def _part_marks(tune: Tune) -> list[tuple[int, str]]:
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


# ---------------------------------------------------------------------------------------
# Performance


@dataclass(slots=True)
class _Sounding:
    pitch: int
    onset: Fraction  # whole notes
    duration: Fraction
    item_end: Fraction
    tied: bool
    velocity: int
    layer: int
    span: Span
    decorations: tuple[str, ...]
    grace: bool = False


def _voice_channels(voices: Sequence[Voice]) -> dict[str, int]:
    """One MIDI channel per voice, skipping channel 10 (index 9, drums in General MIDI)."""
    channels: dict[str, int] = {}
    ch = 0
    for v in voices:
        if ch == _DRUM_CHANNEL:
            ch += 1
        channels[v.id] = ch % 16
        ch += 1
    return channels


def _overlay_channels(tracks: list[Track], overlays: set[str], used: set[int]) -> list[Track]:
    """Give each voice overlay a channel of its own (the next one free, drums skipped),
    with its voice's instrument: on the voice's channel, a note the overlay doubles would
    be stopped by whichever ends first. When the 15 melodic channels are used up, the
    overlay shares its voice's."""
    free = [c for c in range(16) if c != _DRUM_CHANNEL and c not in used]
    out = []
    for t in tracks:
        if t.voice in overlays and free:
            t = replace(t, channel=free.pop(0))
        out.append(t)
    return out


def _programs(tune: Tune) -> dict[str | None, int]:
    """``%%MIDI program N`` per voice: a directive belongs to the voice whose ``V:`` is the
    last one before it; one before any ``V:`` applies to every voice (key None)."""
    switches = sorted(
        (f.span.start, f.value.split(None, 1)[0])
        for f in tune.fields
        if f.letter == "V" and f.in_body and f.value.strip()
    )
    out: dict[str | None, int] = {}
    offsets = [s[0] for s in switches]
    for d in tune.directives:
        if d.name != "MIDI":
            continue
        words = d.value.split()
        if len(words) >= 2 and words[0] == "program":
            try:
                program = int(words[-1])
            except ValueError:
                continue
            if not 0 <= program <= 127:
                continue
            i = bisect.bisect_right(offsets, d.span.start)
            out[switches[i - 1][1] if i else None] = program
    return out


def perform(
    tune: Tune,
    *,
    grace: str = "ignore",
    unroll_repeats: bool = True,
    voice: str | None = None,
) -> Performance:
    """Interpret ``tune`` into a :class:`Performance` (notes, tracks, tempo/meter/key maps).

    ``grace="ignore"`` leaves grace notes out; ``"steal"`` plays them before their note,
    taking their time (:data:`GRACE_LENGTH` each, at most half the note) from it.
    ``unroll_repeats=False`` plays every bar once in written order (no repeats, endings or
    part order). ``voice`` keeps one voice (its overlays included)."""
    if grace not in GRACE_MODES:
        raise AbcUsageError(f"grace must be one of {', '.join(GRACE_MODES)}, not {grace!r}")
    voices = tune.voices
    if voice is not None:
        voices = tuple(v for v in voices if v.id == voice)
        if not voices:
            known = ", ".join(v.id for v in tune.voices) or "none"
            raise AbcUsageError(f"tune has no voice {voice!r} (voices: {known})")
    propagation = _propagation(tune)
    marks = _part_marks(tune)
    channels = _voice_channels(tune.voices)
    programs = _programs(tune)
    sounding: list[tuple[str, _Sounding]] = []  # (voice or overlay id, note)
    tracks: list[Track] = []
    overlays: set[str] = set()
    tempo_map: list[tuple[Fraction, float]] | None = None
    meter_map: list[tuple[Fraction, Meter | None]] = []
    key_map: list[tuple[Fraction, tuple[int, bool]]] = []
    end = _ZERO
    for vi, v in enumerate(voices):
        segs = _read_voice(tune, v, marks, propagation)
        order = _play_order(segs, tune.parts, unroll_repeats)
        notes, v_end, layers = _lay_out(segs, order, grace)
        end = max(end, v_end)
        channel = channels[v.id]
        program = programs.get(v.id, programs.get(None))
        for layer in sorted(layers | {0}):  # a voice with no notes still has its track
            vid = v.id if layer == 0 else f"{v.id}&{layer}"
            if layer:
                overlays.add(vid)
            tracks.append(Track(vid, v.name if layer == 0 else None, channel, program))
        for note in notes:
            sounding.append((v.id if note.layer == 0 else f"{v.id}&{note.layer}", note))
        has_tempo = any(s.tempo_changes for s in segs)
        if tempo_map is None and (has_tempo or vi == len(voices) - 1):
            tempo_map = _changes(segs, order, lambda s: s.tempo, lambda s: s.tempo_changes)
        if vi == 0:
            meter_map = _changes(segs, order, lambda s: s.meter, lambda s: s.meter_changes)
            key_map = _changes(segs, order, lambda s: s.key, lambda s: s.key_changes)
    if tempo_map is None:
        tempo_map = [(_ZERO, _qpm(tune.tempo) or DEFAULT_QPM)]
    tempos = _tempo_changes(tempo_map)
    clock = _Clock(tempos)
    tracks = _overlay_channels(tracks, overlays, set(channels.values()))
    channel_of = {t.voice: t.channel for t in tracks}
    events: list[NoteEvent] = []
    seconds = clock.seconds
    for vid, n in sounding:
        ch = channel_of[vid]
        if n.duration <= 0:
            continue
        onset, duration = n.onset * 4, n.duration * 4
        start = float(onset)
        at = seconds(start)
        events.append(
            NoteEvent(
                max(0, min(127, n.pitch)),
                onset,
                duration,
                at,
                seconds(start + float(duration)) - at,
                n.velocity,
                vid,
                ch,
                n.span,
                n.grace,
                n.decorations,
            )
        )
    order_of = {t.voice: i for i, t in enumerate(tracks)}
    events.sort(key=lambda e: (e.onset, order_of.get(e.voice, 0), e.pitch))
    meters: list[MeterChange] = []
    for beat, m in meter_map:
        if m is None or m.kind == "none" or not m.beat_unit:
            continue
        mc = MeterChange(beat * 4, m.numerator, m.beat_unit)
        if meters and meters[-1].beat == mc.beat:
            meters[-1] = mc
        elif not meters or meters[-1].numerator != mc.numerator or (
            meters[-1].denominator != mc.denominator
        ):
            meters.append(mc)
    keys: list[KeyChange] = []
    for beat, (fifths, minor) in key_map:
        kc = KeyChange(beat * 4, fifths, minor)
        if keys and keys[-1].beat == kc.beat:
            keys[-1] = kc
        elif not keys or (keys[-1].fifths, keys[-1].minor) != (fifths, minor):
            keys.append(kc)
    last = max((e.end for e in events), default=_ZERO)
    total = max(end * 4, last)
    return Performance(
        tuple(events),
        tuple(tracks),
        tuple(tempos),
        tuple(meters),
        tuple(keys),
        total,
        clock.seconds(total),
        tune.title,
    )


def tune_events(
    tune: Tune,
    *,
    grace: str = "ignore",
    unroll_repeats: bool = True,
    voice: str | None = None,
) -> list[NoteEvent]:
    """The notes of ``tune`` as they sound, in time order (see :func:`perform`)."""
    return list(perform(tune, grace=grace, unroll_repeats=unroll_repeats, voice=voice).notes)


def _changes(
    segs: Sequence[_Segment],
    order: Iterable[int],
    start: Callable[[_Segment], _T],
    changes: Callable[[_Segment], list[tuple[Fraction, _T]]],
) -> list[tuple[Fraction, _T]]:
    """A map (time in whole notes, value) along the play order, restoring at each segment
    the value in effect where it was written (a repeat replays the tempo it had)."""
    out: list[tuple[Fraction, _T]] = []
    t = _ZERO
    for i in order:
        s = segs[i]
        v = start(s)
        if not out or out[-1][1] != v:
            out.append((t, v))
        for off, value in changes(s):
            out.append((t + off, value))
        t += s.length
    return out


def _lay_out(
    segs: Sequence[_Segment], order: Iterable[int], grace: str
) -> tuple[list[_Sounding], Fraction, set[int]]:
    """Pass 3 for one voice: items at their times in play order, ties joined, graces."""
    out: list[_Sounding] = []
    open_ties: dict[tuple[int, int], _Sounding] = {}  # (layer, pitch) → sounding note
    layers: set[int] = set()
    t = _ZERO
    for i in order:
        s = segs[i]
        for item in s.items:
            layers.add(item.layer)
            onset = t + item.offset if item.offset else t
            time = item.duration
            item_end = onset + time
            main_onset = onset
            steal = _ZERO
            if grace == "steal" and item.graces and time > 0:
                each = GRACE_LENGTH
                steal = min(each * len(item.graces), time / 2)
                each = steal / len(item.graces)
                for gi, pitches in enumerate(item.graces):
                    for p in pitches:
                        out.append(
                            _Sounding(p, onset + gi * each, each, onset + (gi + 1) * each, False,
                                      VELOCITY_OFFBEAT, item.layer, item.span, (), True)
                        )
                main_onset = onset + steal
            staccato = False
            factor = item.factor
            if item.decorations:
                staccato = bool(_STACCATO.intersection(item.decorations))
                if _FERMATA.intersection(item.decorations):
                    factor = factor * FERMATA_FACTOR
            continued: set[tuple[int, int]] = set()
            for n in item.notes:
                dur = n.length if factor == 1 else n.length * factor
                key = (item.layer, n.pitch)
                prev = open_ties.get(key)
                if prev is not None and prev.item_end == onset and steal == 0:
                    # §4.11: a tie joins the two notes into one.
                    prev.duration = onset + dur - prev.onset
                    prev.item_end = item_end
                    prev.tied = n.tied
                    if n.tied:
                        continued.add(key)
                    continue
                played = dur - steal
                if staccato:
                    played *= STACCATO_FACTOR
                snd = _Sounding(n.pitch, main_onset, played, item_end, n.tied, item.velocity,
                                item.layer, n.span, item.decorations)
                out.append(snd)
                if n.tied:
                    open_ties[key] = snd
                    continued.add(key)
            for key in [k for k in open_ties if k[0] == item.layer and k not in continued]:
                del open_ties[key]
        t += s.length
    return out, t, layers


def _tempo_changes(tempo_map: list[tuple[Fraction, float]]) -> list[TempoChange]:
    """Tempo changes in beats (quarter notes) with the time in seconds each one starts."""
    out: list[TempoChange] = []
    seconds = 0.0
    for beat_w, qpm in sorted(tempo_map, key=lambda x: x[0]):
        beat = beat_w * 4
        if out:
            prev = out[-1]
            if beat == prev.beat:
                out[-1] = TempoChange(beat, qpm, prev.seconds)
                continue
            if qpm == prev.qpm:
                continue
            seconds = prev.seconds + float(beat - prev.beat) * 60.0 / prev.qpm
        out.append(TempoChange(beat, qpm, seconds))
    if not out or out[0].beat != 0:
        out.insert(0, TempoChange(_ZERO, DEFAULT_QPM, 0.0))
        out = _tempo_changes([(c.beat / 4, c.qpm) for c in out])
    return out


class _Clock:
    """Beats → seconds along a tempo map (in floats: seconds are for listening, the exact
    times are the beats)."""

    def __init__(self, tempos: Sequence[TempoChange]) -> None:
        self.tempos = list(tempos)
        self.beats = [float(t.beat) for t in self.tempos]

    def seconds(self, beat: float | Fraction) -> float:
        b = float(beat)
        i = max(0, bisect.bisect_right(self.beats, b) - 1)
        t = self.tempos[i]
        return t.seconds + (b - self.beats[i]) * 60.0 / t.qpm
