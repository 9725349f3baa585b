"""Timed note events → Standard MIDI File (type 1), written atomically.

Track 0 is the conductor track: the tune title, tempo, time-signature and key-signature
changes. Every voice (and every voice overlay, §7.4) gets a track of its own with its
name, its ``%%MIDI program`` and its notes, on the channel :mod:`abcparse.events` gave it.

``import abcparse`` stays light: mido and the interpreter are imported when a file is made.

Files are written the way every abcparse rewrite is: to a temporary file in the same
folder, flushed and fsynced, then moved over the target with :func:`os.replace`, so a
reader never sees half a file, whatever happens while writing.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import AbcIOError, AbcUsageError
from .fileio import atomic_write_bytes

if TYPE_CHECKING:
    import mido

    from .events import NoteEvent, Performance
    from .model import Tune

__all__ = ["TICKS_PER_BEAT", "midi_bytes", "midi_file", "to_midi"]

#: MIDI ticks per quarter note. 960 is divisible by 3, 5, 64 ...: triplets and quintuplets
#: of common note lengths fall on whole ticks.
TICKS_PER_BEAT = 960

_MAJOR = {-7: "Cb", -6: "Gb", -5: "Db", -4: "Ab", -3: "Eb", -2: "Bb", -1: "F", 0: "C",
          1: "G", 2: "D", 3: "A", 4: "E", 5: "B", 6: "F#", 7: "C#"}
_MINOR = {-7: "Abm", -6: "Ebm", -5: "Bbm", -4: "Fm", -3: "Cm", -2: "Gm", -1: "Dm", 0: "Am",
          1: "Em", 2: "Bm", 3: "F#m", 4: "C#m", 5: "G#m", 6: "D#m", 7: "A#m"}


def _tick(beat: Fraction, tpb: int) -> int:
    """Beats → ticks, rounded from the exact time (no error builds up along the tune)."""
    return round(beat * tpb)


def _note_messages(notes: Iterable[NoteEvent], tpb: int) -> list[tuple[int, str, Any]]:
    """Note-on/off messages at absolute ticks, each with the voice whose track it goes to.
    Notes of every track on one channel are handled together: a note that starts while
    the same key still sounds on its channel (a unison, an overlay doubling its voice)
    restarts it, and the key is released when the last of them ends. MIDI cannot hold one
    key twice, and no note is ever left hanging."""
    import mido

    raw: list[tuple[int, int, int, int, int, str]] = []  # tick, on?, channel, pitch, vel, voice
    for n in notes:
        on = _tick(n.onset, tpb)
        off = max(on + 1, _tick(n.end, tpb))
        raw.append((on, 1, n.channel, n.pitch, n.velocity, n.voice))
        raw.append((off, 0, n.channel, n.pitch, 0, n.voice))
    raw.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
    sounding: dict[tuple[int, int], int] = {}
    out: list[tuple[int, str, Any]] = []
    for tick, is_on, ch, pitch, vel, voice in raw:
        key = (ch, pitch)
        count = sounding.get(key, 0)
        if is_on:
            if count:
                out.append((tick, voice, mido.Message("note_off", channel=ch, note=pitch)))
            out.append((tick, voice, mido.Message("note_on", channel=ch, note=pitch, velocity=vel)))
            sounding[key] = count + 1
        elif count:
            sounding[key] = count - 1
            if count == 1:
                out.append((tick, voice, mido.Message("note_off", channel=ch, note=pitch)))
    return out


def _track(events: list[tuple[int, Any]], end: int) -> mido.MidiTrack:
    """A track from messages at absolute ticks (stable order), ended at ``end``."""
    import mido

    track = mido.MidiTrack()
    now = 0
    for tick, msg in sorted(events, key=lambda e: e[0]):
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=max(0, end - now)))
    return track


def midi_file(performance: Performance, *, ticks_per_beat: int = TICKS_PER_BEAT) -> mido.MidiFile:
    """A type-1 :class:`mido.MidiFile` for a performance: conductor track, then one track
    per voice in the order of :attr:`Performance.tracks`."""
    import mido

    tpb = ticks_per_beat
    end = _tick(performance.end, tpb)
    midi = mido.MidiFile(type=1, ticks_per_beat=tpb)
    conductor: list[tuple[int, Any]] = []
    if performance.title:
        conductor.append((0, mido.MetaMessage("track_name", name=performance.title)))
    for m in performance.meters:
        den = m.denominator
        if den > 0 and den & (den - 1) == 0 and 0 < m.numerator < 256:
            conductor.append((_tick(m.beat, tpb), mido.MetaMessage(
                "time_signature", numerator=m.numerator, denominator=den,
                clocks_per_click=24, notated_32nd_notes_per_beat=8)))
    for k in performance.keys:
        name = (_MINOR if k.minor else _MAJOR)[max(-7, min(7, k.fifths))]
        conductor.append((_tick(k.beat, tpb), mido.MetaMessage("key_signature", key=name)))
    for change in performance.tempos:
        tempo = max(1, min(0xFFFFFF, round(60_000_000 / change.qpm)))
        conductor.append((_tick(change.beat, tpb), mido.MetaMessage("set_tempo", tempo=tempo)))
    midi.tracks.append(_track(conductor, end))
    by_voice: dict[str, list[tuple[int, Any]]] = {t.voice: [] for t in performance.tracks}
    for tick, voice, msg in _note_messages(performance.notes, tpb):
        by_voice.setdefault(voice, []).append((tick, msg))
    for t in performance.tracks:
        msgs: list[tuple[int, Any]] = [
            (0, mido.MetaMessage("track_name", name=t.name or f"V:{t.voice}"))
        ]
        if t.program is not None:
            msgs.append((0, mido.Message("program_change", channel=t.channel, program=t.program)))
        msgs.extend(by_voice.get(t.voice, ()))
        midi.tracks.append(_track(msgs, end))
    return midi


def midi_bytes(
    tune: Tune | Performance,
    *,
    grace: str = "steal",
    unroll_repeats: bool = True,
    ticks_per_beat: int = TICKS_PER_BEAT,
) -> bytes:
    """The Standard MIDI File of a tune (or of a performance already computed)."""
    from .events import Performance, perform

    performance = (
        tune if isinstance(tune, Performance)
        else perform(tune, grace=grace, unroll_repeats=unroll_repeats)
    )
    buf = io.BytesIO()
    midi_file(performance, ticks_per_beat=ticks_per_beat).save(file=buf)
    return buf.getvalue()


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
    the note they lead to by default (``grace="ignore"`` leaves them out)."""
    if ticks_per_beat <= 0 or ticks_per_beat >= 0x8000:
        raise AbcUsageError(f"ticks_per_beat must be between 1 and 32767, not {ticks_per_beat}")
    from .events import perform

    performance = perform(tune, grace=grace, unroll_repeats=unroll_repeats)
    target = Path(path)
    if not target.parent.is_dir():
        raise AbcIOError(f"{target}: folder {target.parent} does not exist")
    if target.is_dir():
        raise AbcIOError(f"{target}: is a folder, not a file")
    atomic_write_bytes(target, midi_bytes(performance, ticks_per_beat=ticks_per_beat))
    return performance
