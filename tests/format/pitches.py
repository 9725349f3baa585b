"""An independent reading of what pitches a tune sounds, from the typed model.

Used to check transposition without trusting the transposer's own reading: the header
key, body K: fields (per voice), explicit accidentals holding to the end of the bar for
the same letter in every octave (ABC 2.1 §11.3 ``propagate-accidentals pitch``, also what
abc2midi does), chords and grace notes in written order.
"""

from __future__ import annotations

from abcparse import Chord, GraceGroup, InlineField, Key, Note, Tune
from abcparse.theory import key_signature, midi_pitch


def _is_key_change(key: Key) -> bool:
    """A K: that sets a signature (K:none included), not one that only sets a clef."""
    return key.tonic is not None or bool(key.accidentals) or key.clef.name is None


def _note(n: Note, held: dict[str, int], sig: dict[str, int], out: list[int]) -> None:
    if n.accidental is not None:
        held[n.letter] = n.accidental.semitones
    out.append(midi_pitch(n.letter, n.octave, held.get(n.letter, sig.get(n.letter, 0))))


def voice_pitches(tune: Tune) -> dict[str, list[int]]:
    """The MIDI pitch of every note (chords and grace notes included), per voice."""
    out: dict[str, list[int]] = {}
    for voice in tune.voices:
        sig = key_signature(tune.key) if tune.header.key is not None else {}
        pitches: list[int] = []
        for bar in voice.bars:
            held: dict[str, int] = {}
            for e in bar.elements:
                if isinstance(e, InlineField) and e.letter == "K" and isinstance(e.parsed, Key):
                    if _is_key_change(e.parsed):
                        sig = key_signature(e.parsed)
                        held.clear()
                elif isinstance(e, Note):
                    _note(e, held, sig, pitches)
                elif isinstance(e, Chord):
                    for n in e.notes:
                        _note(n, held, sig, pitches)
                elif isinstance(e, GraceGroup):
                    for item in e.items:
                        for n in (item,) if isinstance(item, Note) else getattr(item, "notes", ()):
                            _note(n, held, sig, pitches)
        out[voice.id] = pitches
    return out
