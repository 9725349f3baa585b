"""Timed note events → Standard MIDI File (type 1), written atomically.

Track 0 is the conductor track: the tune title, tempo, time-signature and key-signature
changes. Every voice (and every voice overlay, §7.4) gets a track of its own with its
name, its ``%%MIDI program`` and its notes, on the channel :mod:`abcparse.events` gave it.

The file is encoded here, byte by byte, rather than through mido's writer, for three
reasons:

- **Text in any script.** Titles and track names are written as UTF-8 in their meta
  events. The MIDI 1.0 file format says nothing about the character set of text events;
  mido writes Latin-1 and raised ``UnicodeEncodeError`` on ``T:Tune … ♫`` or any Japanese
  title. UTF-8 is what current sequencers, DAWs and players (and the MIDI Association's
  recommendation for new files) read; an ASCII title gives the same bytes either way.
  Characters that were undecodable bytes in the ABC file become ``?``, and a text longer
  than :data:`MAX_TEXT_BYTES` is cut at a character boundary.
- **Bounded sizes.** A MIDI file has fixed-size fields: 16 bits for the number of tracks,
  28 bits (a 4-byte variable-length quantity) for a delta time. Each is checked before
  anything is built (:data:`MAX_TRACKS`, :data:`MAX_TICKS`, :data:`MAX_EVENTS`), and a
  performance beyond one raises :class:`~abcparse.errors.AbcLimitError` naming the limit
  instead of ``struct.error`` or ``OverflowError``. So is a note that MIDI cannot hold (a
  pitch outside 0-127, a channel outside 0-15, a time before the start).
- **Speed.** About ten times faster than building mido message objects: 100,000 notes
  take a fraction of a second.

The bytes are the ones mido wrote before (running status included), so files of tunes
with ASCII text did not change. ``import abcparse`` stays light: mido is imported only by
:func:`midi_file`, which reads the bytes back as a :class:`mido.MidiFile`.

Files are written the way every abcparse rewrite is: to a temporary file in the same
folder, flushed and fsynced, then moved over the target with :func:`os.replace`, so a
reader never sees half a file, whatever happens while writing.
"""

from __future__ import annotations

import io
import math
import os
import struct
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import AbcIOError, AbcLimitError, AbcUsageError, require_type
from .fileio import atomic_write_bytes
from .gcpause import paused_gc

if TYPE_CHECKING:
    import mido

    from .events import Performance
    from .model import Tune

__all__ = [
    "MAX_EVENTS",
    "MAX_TEXT_BYTES",
    "MAX_TICKS",
    "MAX_TRACKS",
    "TICKS_PER_BEAT",
    "midi_bytes",
    "midi_file",
    "to_midi",
]

#: MIDI ticks per quarter note. 960 is divisible by 3, 5, 64 ...: triplets and quintuplets
#: of common note lengths fall on whole ticks.
TICKS_PER_BEAT = 960

#: Tracks in one file, the conductor track included. The header's count is 16 bits; many
#: readers (mido among them) read it as a signed number, so 32,767 is the most that every
#: reader sees correctly.
MAX_TRACKS = 0x7FFF

#: The latest tick anything may happen at: the largest delta time a MIDI file can hold
#: (a 4-byte variable-length quantity). At 960 ticks per quarter note that is 279,620
#: quarter notes, over 38 hours at the default tempo.
MAX_TICKS = 0x0FFFFFFF

#: Events (note-ons, note-offs, tempo, meter and key changes, names) in one file: about a
#: million notes, a file of some 8 MB. No tune comes near it; a hostile one would
#: otherwise take memory and time without bound.
MAX_EVENTS = 2_000_000

#: Bytes of UTF-8 text in one meta event (title, track name); longer text is cut.
MAX_TEXT_BYTES = 1024


# Sort keys of note-ons and -offs are packed into one int: tick, on/off, channel, pitch
# and the message's position in the performance (which keeps the sort stable).
_SEQ_BITS = 22  # 2 * MAX_EVENTS < 2 ** 22
_PITCH_BITS = 7
_CHANNEL_BITS = 4
_SEQ_MASK = (1 << _SEQ_BITS) - 1

_META_TRACK_NAME = 0x03
_META_END_OF_TRACK = 0x2F
_META_SET_TEMPO = 0x51
_META_TIME_SIGNATURE = 0x58
_META_KEY_SIGNATURE = 0x59


def _vlq(value: int) -> bytes:
    """A variable-length quantity: 7 bits a byte, most significant first, the high bit set
    on every byte but the last. ``value`` is at most :data:`MAX_TICKS` here."""
    if value < 0x80:
        return bytes((value,))
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def _meta(kind: int, data: bytes) -> bytes:
    return b"\xff" + bytes((kind,)) + _vlq(len(data)) + data


def _text(text: str) -> bytes:
    """Meta-event text: UTF-8, undecodable input bytes as ``?``, cut to
    :data:`MAX_TEXT_BYTES` without splitting a character."""
    data = text.encode("utf-8", errors="replace")
    if len(data) > MAX_TEXT_BYTES:
        data = data[:MAX_TEXT_BYTES].decode("utf-8", errors="ignore").encode("utf-8")
    return data


def _beats(limit_ticks: int, tpb: int) -> str:
    return f"{limit_ticks / tpb:,.0f} quarter notes"


class _Beyond(Exception):
    """A time outside what a MIDI file holds; the caller names what lies there."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _tick(beat: Fraction, tpb: int) -> int:
    """Beats → ticks, rounded from the exact time (no error builds up along the tune), and
    checked: not before the start, not beyond :data:`MAX_TICKS` (else :class:`_Beyond`).
    The comparison is made on the exact value first, so an absurd time (a run of 100,000
    ``>`` gives denominators of 30,000 digits) is refused without rounding or printing it."""
    try:
        scaled = beat * tpb
        if scaled > MAX_TICKS:
            raise _Beyond("late")
        tick = round(scaled)
    except (TypeError, ValueError, ArithmeticError):
        raise _Beyond("bad") from None
    if tick < 0:
        raise _Beyond("early")
    return tick


def _beyond(what: str, reason: str, tpb: int) -> AbcLimitError:
    if reason == "late":
        text = f"lies beyond the {_beats(MAX_TICKS, tpb)} a MIDI file can hold"
    elif reason == "early":
        text = "lies before the start of the tune"
    else:
        text = "is not a time a MIDI file can hold"
    return AbcLimitError(f"{what} {text}")


def _tick_of(beat: Fraction, tpb: int, what: str) -> int:
    try:
        return _tick(beat, tpb)
    except _Beyond as e:
        raise _beyond(what, e.reason, tpb) from None


def _where(span: object) -> str:
    line = getattr(span, "line", 0)
    col = getattr(span, "col", 0)
    return f" (line {line}, column {col})" if line else ""


def _check_byte(value: object, top: int, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
        big = isinstance(value, int) and value.bit_length() > 64
        shown = "a number of thousands of digits" if big else f"{value!r:.40}"
        raise AbcLimitError(f"{what} is {shown}, outside the MIDI range 0-{top}")
    return value


class _Track:
    """One track's bytes, built in time order, with its running status."""

    __slots__ = ("data", "now", "status")

    def __init__(self) -> None:
        self.data = bytearray()
        self.now = 0
        self.status = -1

    def meta(self, tick: int, kind: int, payload: bytes) -> None:
        self.data += _vlq(tick - self.now)
        self.data += _meta(kind, payload)
        self.now = tick
        self.status = -1  # a meta event cancels running status

    def channel(self, tick: int, status: int, *data: int) -> None:
        self.data += _vlq(tick - self.now)
        if status != self.status:
            self.data.append(status)
            self.status = status
        self.data.extend(data)
        self.now = tick

    def end(self, end: int) -> bytes:
        self.data += _vlq(max(0, end - self.now))
        self.data += _meta(_META_END_OF_TRACK, b"")
        return b"MTrk" + struct.pack(">I", len(self.data)) + bytes(self.data)


def _check_sizes(performance: Performance) -> None:
    tracks = len(performance.tracks) + 1
    if tracks > MAX_TRACKS:
        raise AbcLimitError(
            f"the tune has {tracks - 1:,} voices and overlays; a MIDI file holds at most"
            f" {MAX_TRACKS - 1:,} besides its conductor track"
        )
    events = (
        2 * len(performance.notes)
        + len(performance.tempos)
        + len(performance.meters)
        + len(performance.keys)
        + sum(len(t.changes) for t in performance.tracks)
        + 2 * tracks
    )
    if events > MAX_EVENTS:
        raise AbcLimitError(
            f"the tune would need {events:,} MIDI events; abcparse writes at most"
            f" {MAX_EVENTS:,} in one file"
        )


def _conductor(performance: Performance, tpb: int, end: int) -> bytes:
    """Track 0: title, then meter, key and tempo changes in time order (stable)."""
    from .events import signature_beat

    events: list[tuple[int, int, bytes]] = []
    if performance.title:
        events.append((0, _META_TRACK_NAME, _text(str(performance.title))))
    for m in performance.meters:
        num, den = m.numerator, m.denominator
        if (
            isinstance(num, int) and isinstance(den, int)
            and 0 < num < 256 and den > 0 and den & (den - 1) == 0 and den.bit_length() <= 256
        ):
            tick = _tick_of(m.beat, tpb, "a meter change")
            # MIDI clocks (24 a quarter note) per metronome click: one click a beat,
            # a dotted quarter in 6/8 (36, the SMF 1.0 specification's own example).
            clocks = max(1, min(255, round(signature_beat(num, den) * 96)))
            payload = bytes((num, den.bit_length() - 1, clocks, 8))
            events.append((tick, _META_TIME_SIGNATURE, payload))
    for k in performance.keys:
        if not isinstance(k.fifths, int):
            continue  # no key a key-signature event can say
        fifths = max(-7, min(7, k.fifths))
        tick = _tick_of(k.beat, tpb, "a key change")
        events.append((tick, _META_KEY_SIGNATURE, bytes((fifths & 0xFF, 1 if k.minor else 0))))
    for change in performance.tempos:
        try:
            qpm = float(change.qpm)
        except (TypeError, ValueError, OverflowError):
            continue
        if not (math.isfinite(qpm) and qpm > 0):
            continue  # no tempo to write; the previous one holds
        micros = 60_000_000 / qpm
        tempo = 0xFFFFFF if not math.isfinite(micros) else max(1, min(0xFFFFFF, round(micros)))
        tick = _tick_of(change.beat, tpb, "a tempo change")
        events.append((tick, _META_SET_TEMPO, tempo.to_bytes(3, "big")))
    events.sort(key=lambda e: e[0])
    track = _Track()
    for tick, kind, payload in events:
        track.meta(tick, kind, payload)
    return track.end(end)


def _voice_tracks(performance: Performance, tpb: int, end: int) -> list[bytes]:
    """One track per entry of :attr:`Performance.tracks`: name, program, notes.

    Notes of every track on one channel are handled together: a note that starts while
    the same key still sounds on its channel (a unison, an overlay doubling its voice, two
    voices given one channel) restarts it, and the key is released when the last of them
    ends. MIDI cannot hold one key twice, and no note is ever left hanging. Each release
    is written in the track of the note-on it ends, so that a track read alone (as
    sequencers and notation programs read a type-1 file) pairs its own notes. Notes of a
    voice that has no track still count for that bookkeeping but are not written."""
    tracks: list[_Track] = []
    index: dict[str, int] = {}
    # Program changes after the start, (tick, track, status, program), written in time
    # order with the notes: before the note-ons of their tick, after its note-offs.
    changes: list[tuple[int, int, int, int]] = []
    for t in performance.tracks:
        track = _Track()
        track.meta(0, _META_TRACK_NAME, _text(str(t.name or f"V:{t.voice}")))
        voice = str(t.voice)[:40]
        channel = _check_byte(t.channel, 15, f"the MIDI channel of voice {voice}")
        if t.program is not None:
            program = _check_byte(t.program, 127, f"the program of voice {voice}")
            track.channel(0, 0xC0 | channel, program)
        for beat, program in t.changes:
            program = _check_byte(program, 127, f"a program of voice {voice}")
            tick = _tick_of(beat, tpb, f"a program change of voice {voice}")
            if tick <= end:
                changes.append((tick, len(tracks), 0xC0 | channel, program))
        index.setdefault(t.voice, len(tracks))
        tracks.append(track)
    changes.sort(reverse=True)

    notes = performance.notes
    keys: list[int] = []
    for i, n in enumerate(notes):
        pitch, channel, velocity = n.pitch, n.channel, n.velocity
        if not (
            type(pitch) is int and 0 <= pitch <= 127
            and type(channel) is int and 0 <= channel <= 15
            and type(velocity) is int and 0 <= velocity <= 127
        ):
            where = _where(n.span)
            _check_byte(pitch, 127, f"the pitch of the note{where}")
            _check_byte(channel, 15, f"the channel of the note{where}")
            _check_byte(velocity, 127, f"the velocity of the note{where}")
        try:
            on = _tick(n.onset, tpb)
            off = max(on + 1, _tick(n.onset + n.duration, tpb))
            if off > MAX_TICKS:
                raise _Beyond("late")
        except _Beyond as e:
            raise _beyond(f"the note{_where(n.span)}", e.reason, tpb) from None
        low = (((channel << _PITCH_BITS) | pitch) << _SEQ_BITS) | (2 * i)
        keys.append((((on << 1) | 1) << (_CHANNEL_BITS + _PITCH_BITS + _SEQ_BITS)) | low)
        keys.append(((off << 1) << (_CHANNEL_BITS + _PITCH_BITS + _SEQ_BITS)) | low | 1)
    keys.sort()

    shift = _CHANNEL_BITS + _PITCH_BITS + _SEQ_BITS
    sounding: dict[int, int] = {}
    # The track whose note-on holds each sounding key (None: a voice with no track).
    owner: dict[int, _Track | None] = {}
    # A microtone sounds as its note bent up by NoteEvent.cents (the default bend range
    # of two semitones each way, which abc2midi also relies on): the channel's bend is
    # set before a note-on that needs another, and stays until one does. Notes of one
    # channel that sound together share its bend, as in abc2midi's files.
    bends: dict[int, int] = {}
    for key in keys:
        seq = key & _SEQ_MASK
        n = notes[seq >> 1]
        is_on = not seq & 1
        tick = key >> (shift + 1)
        while changes and (changes[-1][0] < tick or (is_on and changes[-1][0] == tick)):
            at, slot_of, status, program = changes.pop()
            tracks[slot_of].channel(at, status, program)
        chpitch = (key >> _SEQ_BITS) & ((1 << (_CHANNEL_BITS + _PITCH_BITS)) - 1)
        channel, pitch = chpitch >> _PITCH_BITS, chpitch & 0x7F
        count = sounding.get(chpitch, 0)
        slot = index.get(n.voice)
        target = tracks[slot] if slot is not None else None
        if is_on:
            if count:
                # The key is restarted: released in the track whose note-on holds it,
                # so that every track read alone pairs its own ons and offs.
                holder = owner[chpitch]
                if holder is not None:
                    holder.channel(tick, 0x80 | channel, pitch, 64)
            owner[chpitch] = target
            if target is not None:
                cents = n.cents
                if cents != bends.get(channel, 0):
                    cents = _check_byte(cents, 99, f"the cents of the note{_where(n.span)}")
                    bend = 8192 + cents * 8192 // 200
                    target.channel(tick, 0xE0 | channel, bend & 0x7F, bend >> 7)
                    bends[channel] = cents
                target.channel(tick, 0x90 | channel, pitch, n.velocity)
            sounding[chpitch] = count + 1
        elif count:
            sounding[chpitch] = count - 1
            if count == 1:
                holder = owner.pop(chpitch)
                if holder is not None:
                    holder.channel(tick, 0x80 | channel, pitch, 64)
    while changes:  # after the last note, before the end of the tune
        at, slot_of, status, program = changes.pop()
        tracks[slot_of].channel(at, status, program)
    return [t.end(end) for t in tracks]


def _encode(performance: Performance, tpb: int) -> bytes:
    if isinstance(tpb, bool) or not isinstance(tpb, int) or not 0 < tpb < 0x8000:
        raise AbcUsageError(f"ticks_per_beat must be between 1 and 32767, not {tpb!r:.40}")
    _check_sizes(performance)
    end = _tick_of(performance.end, tpb, "the end of the tune") if performance.end > 0 else 0
    with paused_gc():  # one tune's events (see gcpause)
        chunks = [_conductor(performance, tpb, end), *_voice_tracks(performance, tpb, end)]
    header = b"MThd" + struct.pack(">IHHH", 6, 1, len(chunks), tpb)
    return header + b"".join(chunks)


def midi_file(performance: Performance, *, ticks_per_beat: int = TICKS_PER_BEAT) -> mido.MidiFile:
    """A type-1 :class:`mido.MidiFile` for a performance: conductor track, then one track
    per voice in the order of :attr:`Performance.tracks` (the bytes of :func:`midi_bytes`,
    read back with their text as UTF-8)."""
    import mido

    data = _encode(performance, ticks_per_beat)
    return mido.MidiFile(file=io.BytesIO(data), charset="utf-8")


def midi_bytes(
    tune: Tune | Performance,
    *,
    grace: str = "steal",
    unroll_repeats: bool = True,
    ticks_per_beat: int = TICKS_PER_BEAT,
) -> bytes:
    """The Standard MIDI File of a tune (or of a performance already computed). Raises
    :class:`~abcparse.errors.AbcLimitError` for a performance beyond what a MIDI file holds
    (see the module docstring)."""
    from .events import Performance, perform

    performance = (
        tune if isinstance(tune, Performance)
        else perform(tune, grace=grace, unroll_repeats=unroll_repeats)
    )
    return _encode(performance, ticks_per_beat)


def to_midi(
    tune: Tune,
    path: str | os.PathLike[str],
    *,
    grace: str = "steal",
    unroll_repeats: bool = True,
    ticks_per_beat: int = TICKS_PER_BEAT,
) -> Performance:
    """Write ``tune`` as a type-1 Standard MIDI File at ``path`` (atomically) and return
    the :class:`~abcparse.events.Performance` it holds. Grace notes take their time from
    the note they lead to by default (``grace="ignore"`` leaves them out). Raises
    :class:`~abcparse.errors.AbcLimitError` (nothing written) for a tune beyond what a MIDI
    file holds, :class:`~abcparse.errors.AbcIOError` when the file cannot be written."""
    from .model import Tune

    require_type(tune, Tune, "to_midi() takes a Tune", "abcparse.parse(text).tunes[0] is one")
    if isinstance(ticks_per_beat, bool) or not 0 < ticks_per_beat < 0x8000:
        raise AbcUsageError(f"ticks_per_beat must be between 1 and 32767, not {ticks_per_beat}")
    from .events import perform

    performance = perform(tune, grace=grace, unroll_repeats=unroll_repeats)
    target = Path(path)
    if not target.parent.is_dir():
        raise AbcIOError(f"{target}: folder {target.parent} does not exist")
    if target.is_dir():
        raise AbcIOError(f"{target}: is a folder, not a file")
    atomic_write_bytes(target, _encode(performance, ticks_per_beat))
    return performance
