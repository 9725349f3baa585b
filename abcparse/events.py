"""Tune → timed note events: how an ABC tune sounds, note by note.

The meaning of the notation (every note's length and pitch, the bars, the repeats,
endings and parts and the order they are played in) comes from the music engine
(:mod:`abcparse.music`), the same reading the validator and the repair use. This module
adds what belongs to a performance:

- items laid end to end in played order, ties joined between notes that really follow
  each other in time (§4.11: across bar lines, repeats and into chords);
- grace notes optionally taking time from their note (§4.12);
- beats turned into seconds with the tempo map (``Q:``, §3.1.8; a quarter note at 120 when
  there is none), a stress pattern from the meter, voices as tracks.

Choices the standard leaves open, and the reasons (``docs/playback.md`` has the full list):

- Staccato plays half the written length (:data:`STACCATO_FACTOR`); a fermata doubles the
  note's time, delaying what follows (:data:`FERMATA_FACTOR`); both as abc2midi does.
  Other decorations are kept on the events but do not change the sound.
- The readings of accidentals, repeats and endings are the engine's: see
  :mod:`abcparse.music.pitch` and :mod:`abcparse.music.form`.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import TypeVar

from .diagnostics import Span
from .errors import AbcLimitError, AbcUsageError
from .gcpause import paused_gc
from .model import NO_SPAN, Key, Meter, Mode, Tempo, Tune, Voice, stored_span, use_span_slot
from .music import Segment, TuneTimeline, VoiceTimeline, played_order, timeline
from .music.pitch import Pitch, split_pitch
from .music.timeline import midi_instructions, voice_written_at
from .theory import DYNAMICS, key_fifths

__all__ = [
    "DEFAULT_QPM",
    "DRUM_CHANNEL",
    "DYNAMICS",
    "DYNAMICS_STEPS",
    "FERMATA_FACTOR",
    "GRACE_LENGTH",
    "GRACE_MODES",
    "MAX_PLAYED_ITEMS",
    "STACCATO_FACTOR",
    "KeyChange",
    "MeterChange",
    "NoteEvent",
    "Performance",
    "SoundKey",
    "TempoChange",
    "Track",
    "perform",
    "signature_beat",
    "sound_key",
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
#: The most notes, rests and chords a tune may play, all voices together, repeats and
#: parts unrolled: what a MIDI file holds (abcparse.midi.MAX_EVENTS, two events a note),
#: about 10 s of laying out. Checked before any note is laid out: 300 voices each playing
#: a long P: order were laid out note by note (millions of objects) before that check.
MAX_PLAYED_ITEMS = 1_000_000
#: Velocities of notes on the first beat of a bar, on other beats, and between beats: the
#: stress pattern abc2midi uses by default, so a rendered tune has a pulse.
VELOCITY_DOWNBEAT, VELOCITY_BEAT, VELOCITY_OFFBEAT = 105, 95, 80

_STACCATO = frozenset({"staccato"})
_FERMATA = frozenset({"fermata", "invertedfermata"})
#: General MIDI's drum channel: channel 10, index 9. A voice is played there only when its
#: ``%%MIDI channel 10`` asks for it; both outside players leave such notes out of their
#: note tracks, and the differential tests leave them out of ours.
DRUM_CHANNEL = 9
_T = TypeVar("_T")
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
    the note or its chord. ``cents`` (0-99) raises ``pitch`` for a note off the semitone
    grid, which only a microtonal accidental makes (``_/e``: ``pitch`` 75, ``cents`` 50;
    :class:`~abcparse.model.Microtone`); MIDI export bends the note by it."""

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
    cents: int = 0

    @property
    def end(self) -> Fraction:
        """When the note stops, in beats."""
        return self.onset + self.duration


# Events keep their notes' packed spans (model.SpanSlot).
use_span_slot(NoteEvent)


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
    #: Program changes as played: (beat in quarter notes, program).
    changes: tuple[tuple[Fraction, int], ...] = ()


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
# From the engine's notation to performance values


def _qpm(tempo: Tempo | None) -> float | None:
    """§3.1.8 ``Q:1/4=120`` → quarter notes per minute; ``Q:3/8=100`` is 150. A tempo
    given only as text (``Q:"Allegro"``) gives None: the tempo does not change."""
    if tempo is None or tempo.bpm is None or tempo.bpm <= 0:
        return None
    beat = tempo.beat_length
    if beat is None or beat <= 0:
        return float(tempo.bpm)
    return float(tempo.bpm * beat * 4)


def _key_info(key: Key | None) -> tuple[int, bool]:
    """MIDI key signature of a key: sharps/flats and whether it is minor. Modes other than
    major and minor are given as the major key with the same signature."""
    if key is None:
        return 0, False
    if key.highland_pipes is not None:
        return 2, False
    if key.tonic is None or key.mode is None:
        return 0, False
    fifths = max(-7, min(7, key_fifths(key)))
    return fifths, key.mode is Mode.MINOR


def _beat_of(meter: Meter | None) -> Fraction:
    """The beat whose onsets are stressed: a dotted quarter in compound time (6/8, 9/8,
    12/8), else one over the denominator; a quarter note without a meter."""
    if meter is None or meter.kind == "none" or not meter.beat_unit:
        return Fraction(1, 4)
    if meter.kind == "fraction":
        return signature_beat(meter.numerator, meter.beat_unit)
    return Fraction(1, meter.beat_unit)


def signature_beat(numerator: int, denominator: int) -> Fraction:
    """The beat of a time signature ``numerator/denominator`` (a whole note is 1): three
    notes of the denominator when the numerator is a multiple of three above three (6/8,
    9/8, 12/8, 6/4: compound time), else one. The stressed onsets and the metronome
    click of a MIDI file's time signature (:mod:`abcparse.midi`) both count it."""
    if numerator > 3 and numerator % 3 == 0:
        return Fraction(3, denominator)
    return Fraction(1, denominator)


#: Notes on the other beats than the first after a dynamics mark (:data:`DYNAMICS`, in
#: :mod:`abcparse.theory`) are ``DYNAMICS_STEPS[0]`` softer, notes between beats
#: ``DYNAMICS_STEPS[1]`` (the default pattern's 105/95/80).
DYNAMICS_STEPS = (10, 25)


def _velocities(tl: TuneTimeline, vt: VoiceTimeline) -> list[int]:
    """The stress of each item from where it stands in its bar: abc2midi's default pattern
    (first beat, other beats, between beats), until a dynamics mark (``!p!``, ``!ff!``,
    §4.14) sets the level of the notes written after it: its velocity on the first beat
    of a bar, :data:`DYNAMICS_STEPS` less on the other beats and between them, as abc2midi
    plays them. Marks count in written order (a mark at the end of a repeated section does
    not reach back to its start on the repeat)."""
    res = tl.resolution
    beats: dict[int, int] = {}
    out = []
    level: int | None = None
    for it in vt.items:
        if it.decorations:
            for name in it.decorations:
                level = DYNAMICS.get(name, level)
        meter = vt.bars[it.bar].meter
        key = id(meter)
        beat = beats.get(key)
        if beat is None:
            b = _beat_of(meter) * res
            beat = beats[key] = max(1, b.numerator // b.denominator)
        pos = it.onset
        if level is not None:
            on_beat, between = DYNAMICS_STEPS
            out.append(level if pos == 0 else
                       max(1, level - (on_beat if pos % beat == 0 else between)))
        elif pos == 0:
            out.append(VELOCITY_DOWNBEAT)
        elif pos % beat == 0:
            out.append(VELOCITY_BEAT)
        else:
            out.append(VELOCITY_OFFBEAT)
    return out


# ---------------------------------------------------------------------------------------
# Performance


@dataclass(slots=True)
class _Sounding:
    pitch: Pitch
    onset: int | Fraction  # ticks of the timeline (a Fraction where graces take time)
    duration: int | Fraction
    item_end: int | Fraction
    tied: bool
    velocity: int
    layer: int
    span: Span | int  # as the note stores it (model.stored_span)
    decorations: tuple[str, ...]
    grace: bool = False


def _voice_channels(
    voices: Sequence[Voice], chosen: dict[str | None, int]
) -> dict[str, int]:
    """One MIDI channel per voice. A voice whose ``%%MIDI channel N`` chose one keeps it
    (abc2midi's directive, channels 1-16: ``%%MIDI channel 10`` is the drum kit of General
    MIDI, where a note's pitch picks the drum); the others take the next channel that no
    voice chose, skipping channel 10 (index 9), so a melody is never played on drums."""
    chosen = dict(chosen)
    if None in chosen and voices:  # before any V:: the first voice's (two voices sharing
        chosen.setdefault(voices[0].id, chosen[None])  # a channel would cut each other off)
    taken = {c for v, c in chosen.items() if v is not None}
    pool = [c for c in range(16) if c != DRUM_CHANNEL and c not in taken] or [0]
    channels: dict[str, int] = {}
    n = 0
    for v in voices:
        own = chosen.get(v.id)
        if own is None:
            own = pool[n % len(pool)]  # more voices than channels: they share, in turn
            n += 1
        channels[v.id] = own
    return channels


def _overlay_channels(tracks: list[Track], overlays: set[str], used: set[int]) -> list[Track]:
    """Give each voice overlay a channel of its own (the next one free, drums skipped),
    with its voice's instrument: on the voice's channel, a note the overlay doubles would
    be stopped by whichever ends first. When the 15 melodic channels are used up, the
    overlay shares its voice's; so does an overlay of a drum voice (on any other channel
    its notes would be pitches, not drums)."""
    free = [c for c in range(16) if c != DRUM_CHANNEL and c not in used]
    out = []
    for t in tracks:
        if t.voice in overlays and free and t.channel != DRUM_CHANNEL:
            t = replace(t, channel=free.pop(0))
        out.append(t)
    return out


@dataclass(frozen=True, slots=True)
class _MidiSettings:
    """What a tune's ``%%MIDI`` directives say about its voices' playback, per voice id
    (None: before any ``V:``, every voice; for a channel, the first voice's)."""

    programs: dict[str | None, list[tuple[int, int]]]  # (text offset, program 0-127)
    channels: dict[str | None, int]  # 0-15
    muted: frozenset[str | None]
    #: The directives of these kinds whose value is ignored: (text offset, why).
    ignored: tuple[tuple[int, str], ...] = ()
    #: abc2midi's ``%%MIDI program C N``, per voice that writes it (None: before any
    #: ``V:``): (text offset, channel 0-15, program 0-127).
    channel_programs: dict[str | None, list[tuple[int, int, int]]] = field(
        default_factory=dict)

    def programs_of(self, voice: str) -> list[tuple[int, int]]:
        """The program changes of ``voice`` in text order: its own and those before any
        ``V:`` (the tune header's among them)."""
        return sorted(self.programs.get(None, []) + self.programs.get(voice, []))


def midi_settings(tune: Tune) -> _MidiSettings:
    """Read the ``%%MIDI`` directives that choose a voice's sound:

    - §11.2: ``%%MIDI voice [ID] [instrument=N [bank=B]] [mute]``, instruments numbered
      from 1 (General MIDI's 1-128), for voice ID or, without one, the current voice;
      ``mute`` silences the voice (neither abc2midi nor abcjs knows this form: they play
      the voice with their default instrument);
    - abc2midi's ``%%MIDI program N`` (0-127) and ``%%MIDI channel N`` (1-16;
      ``%%MIDI channel 10`` is General MIDI's drum kit, where a note's pitch picks the
      drum), which both outside players follow;
    - abc2midi's ``%%MIDI program C N``: program N on channel C (1-16), that is for the
      voices that play there, from the time the voice that writes it reaches it (as
      abc2midi writes it: a program change on that channel in the writer's track).
      abcjs reads the channel as the program of the current voice, a fault of its own:
      abc2midi, whose directive this is, documents the channel.

    A directive belongs to the voice whose ``V:`` is the last one before it, in the body
    or in the header (§7.1 declares voices there); so does its ``I:MIDI ...`` form
    (§11.0.2), inline ones included. A program changes from where it
    is written, as both players change it. A value out of range or not a number is
    ignored, as §11.0.2 says of a directive not understood.
    """
    voice_at = voice_written_at(tune, header=True)
    programs: dict[str | None, list[tuple[int, int]]] = {}
    channel_programs: dict[str | None, list[tuple[int, int, int]]] = {}
    channels: dict[str | None, int] = {}
    muted: set[str | None] = set()
    ignored: list[tuple[int, str]] = []
    for at, value in midi_instructions(tune):
        words = value.split("%", 1)[0].split()  # a % comment may follow
        if len(words) < 2:
            if words and words[0] in ("program", "channel"):
                ignored.append((at, f"MIDI {words[0]} needs a number"))
            continue
        voice = voice_at(at)
        kind, args = words[0], words[1:]
        if kind == "voice":
            if "=" not in args[0] and args[0] != "mute":
                voice, args = args[0], args[1:]
            for arg in args:
                name, _, value = arg.partition("=")
                if name == "mute" and not value:
                    muted.add(voice)
                elif name == "instrument":
                    if (n := _small_int(value, 1, 128)) is not None:
                        programs.setdefault(voice, []).append((at, n - 1))
                    else:
                        ignored.append((at, f"MIDI voice instrument={value[:20]} is not 1-128"))
        elif kind == "program":
            if (n := _small_int(args[-1], 0, 127)) is None:
                ignored.append((at, f"MIDI program {args[-1][:20]} is not 0-127"))
            elif len(args) != 2:
                programs.setdefault(voice, []).append((at, n))
            elif (c := _small_int(args[0], 1, 16)) is not None:
                channel_programs.setdefault(voice, []).append((at, c - 1, n))
            else:
                ignored.append((at, f"MIDI program channel {args[0][:20]} is not 1-16"))
        elif kind == "channel":
            if (n := _small_int(args[-1], 1, 16)) is not None:
                channels[voice] = n - 1
            else:
                ignored.append((at, f"MIDI channel {args[-1][:20]} is not 1-16"))
    return _MidiSettings(programs, channels, frozenset(muted), tuple(ignored),
                         channel_programs)


#: A program written where a voice plays: (tick as played, rank, item, program); the
#: rank orders changes of one instant as the tracks of a MIDI file do (by voice).
_Played = tuple[int, int, int, int]


def _played_programs(
    vt: VoiceTimeline, order: Sequence[int], starts: Sequence[int],
    written: Sequence[tuple[int, int]], rank: int,
) -> tuple[tuple[int, int] | None, list[_Played]]:
    """Where the programs ``written`` in a voice ((text offset, program), in text order)
    take effect as it plays: the last one written before the voice's first note, with
    its offset (the program it starts with), and each one after that at the first note
    after it, each time the played order reaches that note (both players change it there,
    and do not change it back on a repeat)."""
    items = vt.items
    first = items[0].span.start if items else None
    initial: tuple[int, int] | None = None
    at_item: dict[int, int] = {}  # item index -> program
    starts_of = [it.span.start for it in items]
    for offset, program in written:
        if first is None or offset < first:
            initial = (offset, program)
        else:
            k = bisect.bisect_right(starts_of, offset)
            if k < len(items):
                at_item[k] = program
    if not at_item:
        return initial, []
    segs = vt.segments
    played: list[_Played] = []
    for j, i in enumerate(order):
        seg = segs[i]
        for k in range(seg.first_item, seg.end_item):
            change = at_item.get(k)
            if change is not None:
                played.append((starts[j] + items[k].onset - seg.bar_pos, rank, k, change))
    return initial, played


def _program_track(
    initials: Sequence[tuple[int, int] | None], played: list[_Played], res: int
) -> tuple[int | None, tuple[tuple[Fraction, int], ...]]:
    """A track's program at its start (of ``initials``, the one written last) and its
    changes in beats, from the programs that reach its channel as played."""
    written = [i for i in initials if i is not None]
    initial = max(written)[1] if written else None
    out: list[tuple[Fraction, int]] = []
    current: int | None = initial
    for tick, _, _, program in sorted(played):
        if program != current:
            out.append((Fraction(tick * 4, res), program))
            current = program
    return initial, tuple(out)


def _sent_by(settings: _MidiSettings, v: Voice, tune: Tune) -> list[tuple[int, int, int]]:
    """The ``%%MIDI program C N`` that voice ``v`` writes, in text order: the first
    voice writes those before any ``V:`` too (it plays what stands there)."""
    sent = settings.channel_programs.get(v.id, [])
    if v is tune.voices[0]:
        sent = sorted(settings.channel_programs.get(None, []) + sent)
    return sent


def _channel_programs(
    settings: _MidiSettings, v: Voice, tune: Tune, vt: VoiceTimeline, order: Sequence[int],
    starts: Sequence[int], rank: dict[str, int],
    directed: dict[int, tuple[list[tuple[int, int] | None], list[_Played]]],
) -> None:
    """Add to ``directed`` (by channel) the ``%%MIDI program C N`` that voice ``v``
    writes (the first voice: also those before any ``V:``), placed where ``v`` plays."""
    sent = _sent_by(settings, v, tune)
    for channel in sorted({c for _, c, _ in sent}):
        initial, played = _played_programs(
            vt, order, starts, [(at, n) for at, c, n in sent if c == channel], rank[v.id])
        initials, changes = directed.setdefault(channel, ([], []))
        initials.append(initial)
        changes.extend(played)


def _small_int(text: str, low: int, high: int) -> int | None:
    """``text`` as an int within ``low``-``high``, else None (never a huge number)."""
    if len(text) > 4 or not text.isdigit():
        return None
    n = int(text)
    return n if low <= n <= high else None


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
    with paused_gc():  # a note's worth of objects per note (see abcparse.gcpause)
        return _perform(tune, grace, unroll_repeats, voice)


def _perform(tune: Tune, grace: str, unroll_repeats: bool, voice: str | None) -> Performance:
    if grace not in GRACE_MODES:
        raise AbcUsageError(f"grace must be one of {', '.join(GRACE_MODES)}, not {grace!r}")
    voices = tune.voices
    if voice is not None:
        voices = tuple(v for v in voices if v.id == voice)
        if not voices:
            known = ", ".join(v.id for v in tune.voices) or "none"
            raise AbcUsageError(f"tune has no voice {voice!r} (voices: {known})")
    tl = timeline(tune)
    settings = midi_settings(tune)
    channels = _voice_channels(tune.voices, settings.channels)
    rank = {v.id: i for i, v in enumerate(tune.voices)}
    # Programs as played: each voice's own, and those that abc2midi's %%MIDI program C N
    # sends to a channel (by channel), written into the tracks once every voice is laid out.
    programs: dict[str, tuple[tuple[int, int] | None, list[_Played]]] = {}
    directed: dict[int, tuple[list[tuple[int, int] | None], list[_Played]]] = {}
    track_voice: list[str] = []
    sounding: list[tuple[str, _Sounding]] = []  # (voice or overlay id, note)
    tracks: list[Track] = []
    overlays: set[str] = set()
    tempo_map: list[tuple[int, float]] | None = None
    meter_map: list[tuple[int, Meter | None]] = []
    key_map: list[tuple[int, tuple[int, bool]]] = []
    end = 0
    res = tl.resolution
    for vi, v, vt, order, (notes, v_end, layers, starts) in _laid_out(
        tune, tl, voices, grace, unroll_repeats
    ):
        segs = vt.segments
        end = max(end, v_end)
        channel = channels[v.id]
        programs[v.id] = _played_programs(vt, order, starts, settings.programs_of(v.id),
                                          rank[v.id])
        _channel_programs(settings, v, tune, vt, order, starts, rank, directed)
        for layer in sorted(layers | {0}):  # a voice with no notes still has its track
            vid = _track_id(v, layer)
            if layer:
                overlays.add(vid)
            tracks.append(Track(vid, v.name if layer == 0 else None, channel))
            track_voice.append(v.id)
        if v.id in settings.muted or (None in settings.muted and v is tune.voices[0]):
            notes = []  # §11.2 mute: the voice keeps its track, silent
        for note in notes:
            sounding.append((_track_id(v, note.layer), note))
        has_tempo = any(s.tempo_changes for s in segs)
        if tempo_map is None and (has_tempo or vi == len(voices) - 1):
            tempo_map = _changes(
                segs, order, starts,
                lambda s: _qpm(s.tempo) or DEFAULT_QPM,
                lambda s: [(o, q) for o, t in s.tempo_changes if (q := _qpm(t)) is not None],
            )
        if vi == 0:
            meter_map = _changes(segs, order, starts, lambda s: s.meter,
                                 lambda s: list(s.meter_changes))
            key_map = _changes(segs, order, starts, lambda s: _key_info(s.key),
                               lambda s: [(o, _key_info(k)) for o, k in s.key_changes])
    # A writer of %%MIDI program C N that is not played (perform(voice=...)) still
    # changes the program of the voices on channel C: its timeline places it.
    unplayed = [w for w in tune.voices if w.id not in programs and _sent_by(settings, w, tune)]
    for _, w, wt, w_order, (_, _, _, w_starts) in _laid_out(tune, tl, unplayed, grace,
                                                            unroll_repeats):
        _channel_programs(settings, w, tune, wt, w_order, w_starts, rank, directed)
    for i, (t, vid) in enumerate(zip(tracks, track_voice, strict=True)):
        own_initial, own_played = programs[vid]
        sent_initials, sent_played = directed.get(channels[vid], ([], []))
        program, changes = _program_track([own_initial, *sent_initials],
                                          own_played + sent_played, res)
        if program is not None or changes:
            tracks[i] = replace(t, program=program, changes=changes)
    # The timeline is not needed any more: free it before the events are made, and
    # consume the sounding notes as their events are made, so that a long tune's
    # timeline, sounding notes and events are not all held at once.
    del tl
    if voices:
        del vt, segs, order, notes
    sounding.reverse()
    if tempo_map is None:
        tempo_map = [(0, _qpm(tune.tempo) or DEFAULT_QPM)]
    tempos = _tempo_changes([(Fraction(t, res), q) for t, q in tempo_map])
    clock = _Clock(tempos)
    tracks = _overlay_channels(tracks, overlays, set(channels.values()))
    channel_of = {t.voice: t.channel for t in tracks}
    events: list[NoteEvent] = []
    seconds = clock.seconds
    pop = sounding.pop
    while sounding:
        vid, n = pop()
        ch = channel_of[vid]
        if n.duration <= 0:
            continue
        onset, duration = Fraction(n.onset * 4, res), Fraction(n.duration * 4, res)
        start = float(onset)
        at = seconds(start)
        key, cents = split_pitch(_midi_pitch(n.pitch))
        events.append(
            NoteEvent(
                key,
                onset,
                duration,
                at,
                seconds(start + float(duration)) - at,
                n.velocity,
                vid,
                ch,
                n.span,  # type: ignore[arg-type]  # a packed int: NoteEvent's SpanSlot
                n.grace,
                n.decorations,
                cents,
            )
        )
    order_of = {t.voice: i for i, t in enumerate(tracks)}
    events.sort(key=lambda e: (e.onset, order_of.get(e.voice, 0), e.pitch))
    meters: list[MeterChange] = []
    for beat, m in meter_map:
        if m is None or m.kind == "none" or not m.beat_unit:
            continue
        mc = MeterChange(Fraction(beat * 4, res), m.numerator, m.beat_unit)
        if meters and meters[-1].beat == mc.beat:
            meters[-1] = mc
        elif not meters or meters[-1].numerator != mc.numerator or (
            meters[-1].denominator != mc.denominator
        ):
            meters.append(mc)
    keys: list[KeyChange] = []
    for beat, (fifths, minor) in key_map:
        kc = KeyChange(Fraction(beat * 4, res), fifths, minor)
        if keys and keys[-1].beat == kc.beat:
            keys[-1] = kc
        elif not keys or (keys[-1].fifths, keys[-1].minor) != (fifths, minor):
            keys.append(kc)
    last = max((e.end for e in events), default=_ZERO)
    total = max(Fraction(end * 4, res), last)
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


SoundKey = tuple[int, tuple[tuple[int, int, str, Pitch, bool], ...]]


def sound_key(tune: Tune, *, grace: str = "ignore") -> SoundKey:
    """What ``tune`` sounds, as a value that is equal for two tunes exactly when
    :func:`perform` gives them the same notes: the same (voice, pitch, onset, duration,
    grace) for every note, repeats played. For comparing music many times over (the
    repair guard checks every round of fixes with it): it reads the same laid-out notes
    as :func:`perform` but makes no Fractions, seconds or events. The key is the time
    unit (the number of them in a whole note) and the notes sorted, each as (onset,
    duration, voice, pitch, grace) in that unit; times are the timeline's ticks scaled
    to the smallest whole numbers that keep their ratios, so two tunes read at
    different resolutions still compare exactly."""
    if grace not in GRACE_MODES:
        raise AbcUsageError(f"grace must be one of {', '.join(GRACE_MODES)}, not {grace!r}")
    with paused_gc():
        tl = timeline(tune)
        rows: list[tuple[int | Fraction, int | Fraction, str, Pitch, bool]] = []
        for _, v, _, _, laid in _laid_out(tune, tl, tune.voices, grace, True):
            for n in laid[0]:
                if n.duration > 0:
                    rows.append((n.onset, n.duration, _track_id(v, n.layer),
                                 _midi_pitch(n.pitch), n.grace))
        # Ticks are whole numbers but for grace notes that take time (Fractions): scale
        # by their common denominator, then divide by the common divisor of everything.
        den = 1
        for onset, duration, *_ in rows:
            if type(onset) is Fraction or type(duration) is Fraction:
                den = math.lcm(den, Fraction(onset).denominator, Fraction(duration).denominator)
        scale = [tl.resolution * den]
        ints = [(int(o * den), int(d * den), vid, p, g) for o, d, vid, p, g in rows]
        for o, d, *_ in ints:
            scale.append(o)
            scale.append(d)
        g = math.gcd(*scale)
        notes = sorted((o // g, d // g, vid, p, gr) for o, d, vid, p, gr in ints)
        return scale[0] // g, tuple(notes)


def _track_id(voice: Voice, layer: int) -> str:
    """The voice a note sounds in: the voice's id, or ``ID&N`` for its overlay N (§7.4)."""
    return voice.id if layer == 0 else f"{voice.id}&{layer}"


def _midi_pitch(pitch: Pitch) -> Pitch:
    """A pitch kept within MIDI's 0-127."""
    return max(0, min(127, pitch))


def _laid_out(
    tune: Tune, tl: TuneTimeline, voices: Sequence[Voice], grace: str, unroll_repeats: bool
) -> Iterator[tuple[int, Voice, VoiceTimeline, list[int],
                    tuple[list[_Sounding], int, set[int], list[int]]]]:
    """For each voice: its index, the voice, its timeline, its played order (repeats,
    endings and parts, §4.8-4.10, §3.1.9) and its notes laid out along it
    (:func:`_lay_out`). What :func:`perform` and :func:`sound_key` both read."""
    by_id = {id(vt.voice): vt for vt in tl.voices}
    orders = []
    played = 0
    for v in voices:
        vt = by_id[id(v)]
        order = played_order(vt.segments, tune.parts, unroll_repeats)
        segs = vt.segments
        played += sum(segs[i].end_item - segs[i].first_item for i in order)
        if played > MAX_PLAYED_ITEMS:
            raise AbcLimitError(
                f"the tune plays more than {MAX_PLAYED_ITEMS:,} notes and rests (repeats"
                " and parts played); abcparse plays at most that many in one tune"
            )
        orders.append((vt, order))
    for vi, (v, (vt, order)) in enumerate(zip(voices, orders, strict=True)):
        yield vi, v, vt, order, _lay_out(tl, vt, order, grace)


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
    segs: Sequence[Segment],
    order: Sequence[int],
    starts: Sequence[int],
    start: Callable[[Segment], _T],
    changes: Callable[[Segment], list[tuple[int, _T]]],
) -> list[tuple[int, _T]]:
    """A map (ticks, value) along the played order, restoring at each segment the value
    in effect where it was written (a repeat replays the tempo it had). ``starts`` gives
    when each played segment starts."""
    out: list[tuple[int, _T]] = []
    for i, t in zip(order, starts, strict=True):
        s = segs[i]
        v = start(s)
        if not out or out[-1][1] != v:
            out.append((t, v))
        for off, value in changes(s):
            out.append((t + off, value))
    return out


def _lay_out(
    tl: TuneTimeline, vt: VoiceTimeline, order: Sequence[int], grace: str
) -> tuple[list[_Sounding], int, set[int], list[int]]:
    """One voice's items at their times in played order, ties joined, graces: the notes,
    the end of the voice, its layers and when each played segment starts (ticks)."""
    out: list[_Sounding] = []
    # (layer, pitch) → the sounding notes a tie holds, in chord order: a chord may tie
    # two notes of one pitch (a unison, [AA]2-[AA]), and each goes on (§4.11).
    open_ties: dict[tuple[int, Pitch], list[_Sounding]] = {}
    layers: set[int] = set()
    items = vt.items
    # Ties written after a repeat sign or ending (TieLink.into): item → the pitches that
    # tie into it from the note played just before it in its layer.
    tied_into: dict[int, frozenset[Pitch]] = {
        link.target: frozenset(items[link.source].pitches)
        for link in vt.ties
        if link.into and link.target is not None and link.source is not None
    }
    # layer → the notes of the item played last in it (for tied_into)
    last_played: dict[int, list[_Sounding]] = {}
    velocity = _velocities(tl, vt)
    grace_each = Fraction(tl.resolution) * GRACE_LENGTH
    starts: list[int] = []
    t = 0
    for i in order:
        s = vt.segments[i]
        starts.append(t)
        cursors: dict[int, int] = {}
        for k in range(s.first_item, s.end_item):
            item = items[k]
            layer = item.layer
            layers.add(layer)
            at = cursors.get(layer, 0)
            time = item.ticks
            fermata = bool(item.decorations) and bool(_FERMATA.intersection(item.decorations))
            if fermata:
                time *= FERMATA_FACTOR.numerator
            cursors[layer] = at + time
            onset: int | Fraction = t + at
            item_end = onset + time
            main_onset = onset
            steal: int | Fraction = 0
            if grace == "steal" and item.graces and time > 0:
                steal = min(grace_each * len(item.graces), Fraction(time, 2))
                each = steal / len(item.graces)
                for gi, pitches in enumerate(item.graces):
                    for p in pitches:
                        out.append(
                            _Sounding(p, onset + gi * each, each, onset + (gi + 1) * each, False,
                                      VELOCITY_OFFBEAT, layer, stored_span(item.element), (),
                                      True)
                        )
                main_onset = onset + steal
            staccato = bool(item.decorations) and bool(_STACCATO.intersection(item.decorations))
            continued: dict[tuple[int, Pitch], list[_Sounding]] = {}
            sounding: list[_Sounding] = []
            into = tied_into.get(k)
            if into is not None:
                for snd in last_played.get(layer, ()):
                    if snd.pitch in into and snd.item_end == onset:
                        waiting = open_ties.setdefault((layer, snd.pitch), [])
                        if all(w is not snd for w in waiting):  # (not tied already)
                            waiting.append(snd)
            notes = item.notes()
            for j, pitch in enumerate(item.pitches):
                tied = bool(item.tied >> j & 1)
                length = item.note_ticks(j)
                dur = length * FERMATA_FACTOR.numerator if fermata else length
                key = (layer, pitch)
                waiting = open_ties.get(key) or []
                prev = waiting[0] if waiting else None
                if prev is not None and prev.item_end == onset and steal == 0:
                    # §4.11: a tie joins the two notes into one.
                    del waiting[0]
                    prev.duration = onset + dur - prev.onset
                    prev.item_end = item_end
                    prev.tied = tied
                    sounding.append(prev)
                    if tied:
                        continued.setdefault(key, []).append(prev)
                    continue
                played: int | Fraction = dur - steal
                if staccato:
                    played = played * STACCATO_FACTOR
                snd = _Sounding(pitch, main_onset, played, item_end, tied, velocity[k],
                                layer, stored_span(notes[j]), item.decorations)
                out.append(snd)
                sounding.append(snd)
                if tied:
                    continued.setdefault(key, []).append(snd)
            # The ties of this layer go on only from this item (a tie joins the next note).
            for key in [k2 for k2 in open_ties if k2[0] == layer]:
                del open_ties[key]
            open_ties.update(continued)
            if tied_into:
                last_played[layer] = sounding
        t += cursors.get(0, 0)
    return out, t, layers, starts


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
