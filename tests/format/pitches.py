"""What pitches a tune sounds, per voice, as the music engine reads it.

The transposition tests compare these before and after: the engine is the one reading of
pitch in abcparse (key signatures, accidentals and their propagation, ties, grace notes)
and it is checked against abc2midi and abcjs in tests/playback, so it is the oracle here
too, rather than a second copy of the accidental rule.
"""

from __future__ import annotations

from abcparse import Tune
from abcparse.music import timeline


def voice_pitches(tune: Tune) -> dict[str, list[int]]:
    """The MIDI pitch of every note (grace notes before their note, then the notes of a
    chord in written order), per voice."""
    out: dict[str, list[int]] = {}
    for vt in timeline(tune).voices:
        pitches: list[int] = []
        for item in vt.items:
            for grace in item.graces:
                pitches.extend(grace)
            pitches.extend(item.pitches)
        out[vt.voice.id] = pitches
    return out
