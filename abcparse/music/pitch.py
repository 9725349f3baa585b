"""Sounding pitch: the one rule for key signatures, accidentals and ties (§3.1.14, §4.2,
§4.11, §11.3).

Every part of abcparse that needs to know which pitch a written note has (the timeline,
and through it playback, the validator's tie checks, repair and the transposer) asks a
:class:`PitchState`; nothing else keeps bar accidentals.

Choices, with the section that decides:

- An accidental holds for the rest of the bar (§4.2). ``%%propagate-accidentals`` (§11.3,
  also as ``I:propagate-accidentals``) says for which notes: ``pitch`` (the default) the
  same letter in every octave, ``octave`` the same letter in the same octave, ``not`` the
  note alone. abc2midi follows ``pitch``; abcjs applies an accidental to one octave only
  (tests/fixtures lists it as a fault of abcjs).
- A tie carries a note's alteration into the note it is tied to, across a bar line too,
  for that note only, as staff notation does (§4.11).
- Grace notes take their own accidentals but pass none on (§4.12: they are "transparent"
  to the music around them).
- ``K:HP`` prints no key signature but the pipes play F and C sharp, as under ``K:Hp``
  (§3.1.14).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from fractions import Fraction

from ..build import header_voice_settings
from ..model import Clef, Key, Note, Tune, Voice
from ..theory import key_signature, midi_pitch

PROPAGATION_MODES = ("not", "octave", "pitch")

#: A sounding or written pitch in MIDI semitones: an int, or a Fraction where a microtonal
#: accidental (:class:`~abcparse.model.Microtone`, ``_/e``) moves a note off the semitone
#: grid. The same for an alteration (semitones added to a letter's natural pitch).
Pitch = int | Fraction


def split_pitch(pitch: Pitch) -> tuple[int, int]:
    """``pitch`` as a MIDI note and the cents above it: itself and 0 on the semitone grid;
    off it (a microtone), the semitone below and 1-99 cents (``_/e``, E a quarter tone
    flat, is D sharp and 50 cents: the same sound abc2midi makes by bending E down)."""
    if type(pitch) is int:
        return pitch, 0
    base = math.floor(pitch)
    cents = round((pitch - base) * 100)
    return (base + 1, 0) if cents == 100 else (base, cents)


def propagation(tune: Tune) -> str:
    """§11.3 ``%%propagate-accidentals not | octave | pitch`` (default ``pitch``), as a
    directive or an ``I:`` field (or abc2midi's ``%%MIDI nobarlines``); the last one
    written wins, and one in the file header holds for every tune that names none
    (§2.2.2). One setting for the whole tune, for the transposer, which writes a tune's
    accidentals out under one; the timeline switches where each is written
    (:func:`~abcparse.music.timeline.propagation_changes`)."""
    mode = "pitch"
    for _, value in propagation_settings(tune):
        if value in PROPAGATION_MODES:
            mode = value
    return mode


#: abc2midi's own switch of the same setting (its ``%%MIDI`` directives, §11.0.2):
#: ``nobarlines``, for music written without bar lines, gives an accidental to its note
#: alone; ``barlines`` gives it the bar again. abc2midi switches from where it stands.
MIDI_PROPAGATION = {"nobarlines": "not", "barlines": "pitch"}


def propagation_settings(tune: Tune) -> list[tuple[int, str]]:
    """Every ``propagate-accidentals`` value written for ``tune`` (§11.3), and abc2midi's
    ``%%MIDI nobarlines`` and ``barlines`` read as ``not`` and ``pitch``
    (:data:`MIDI_PROPAGATION`), as (text offset, value in lower case), in text order after
    the file header's (offset -1). A value that is not one of :data:`PROPAGATION_MODES`
    is ignored (ABC229)."""
    from .timeline import midi_instructions  # the timeline reads pitches from here

    found: list[tuple[int, str]] = [
        (-1, value.strip().lower()) for name, value in tune.file_settings
        if name == "propagate-accidentals"]
    for d in tune.directives:
        if d.name == "propagate-accidentals":
            found.append((d.span.start, d.value.strip().lower()))
    for f in tune.fields:
        if f.letter == "I" and f.value.strip().startswith("propagate-accidentals"):
            found.append((f.span.start, f.value.split(None, 1)[-1].strip().lower()))
    for at, value in midi_instructions(tune):
        words = value.split("%", 1)[0].split()
        if len(words) == 1 and words[0].lower() in MIDI_PROPAGATION:
            found.append((at, MIDI_PROPAGATION[words[0].lower()]))
    found.sort(key=lambda item: item[0])
    return found


def playing_signature(key: Key) -> dict[str, int]:
    """The key signature as heard: ``K:HP`` is played like ``K:Hp`` (§3.1.14)."""
    if key.highland_pipes == "HP":
        key = replace(key, highland_pipes="Hp")
    return key_signature(key)


def is_clef_only(key: Key, value: str) -> bool:
    """A body ``K:`` that names only a clef or properties (``K:bass``, ``K:transpose=-2``)
    changes no key signature (§4.6); ``K:`` and ``K:none`` remove it (§3.1.14)."""
    if key.tonic is not None or key.highland_pipes is not None:
        return False
    word = value.split(None, 1)[0].lower() if value.strip() else ""
    return word not in ("", "none")


def initial_shifts(tune: Tune, voice: Voice, midi_transpose: int | None = None
                   ) -> tuple[int, int, int]:
    """Semitones (``transpose=``), octaves (``octave=``) and clef octaves (``treble-8``)
    a voice is shifted by at its start (§4.6): from its ``V:`` in the tune header when it
    says (a body ``V:`` changes them where it stands, an element the timeline reads),
    else from the header ``K:``; a header ``%%MIDI transpose N`` (``midi_transpose``)
    when neither names a transposition."""
    key_clef = tune.key.clef
    clef, names = header_voice_settings(tune.header.fields, voice.id)
    if names & {"transpose", "t"}:
        transpose = clef.transpose
    elif midi_transpose is not None and not {k for k, _ in tune.key.properties} & {
            "transpose", "t"}:
        transpose = midi_transpose
    else:
        transpose = key_clef.transpose
    octave = clef.octave if "octave" in names else key_clef.octave
    shift = clef.octave_shift if clef.name is not None else key_clef.octave_shift
    return transpose, octave, shift


#: The most semitones ``%%MIDI transpose`` may move by (beyond, it is ignored).
MAX_MIDI_TRANSPOSE = 127


def midi_transpose(value: str) -> int | None:
    """The semitones of abc2midi's ``transpose N`` (the value of a ``%%MIDI`` directive,
    or of an ``I:MIDI`` field with its first word dropped), else None. Both outside
    players move the sound by it from where it is written, as ``transpose=`` does (§4.6);
    the later of the two is in force."""
    words = value.split("%", 1)[0].split()
    if len(words) != 2 or words[0] != "transpose":
        return None
    n = words[1]
    digits = n[1:] if n[:1] in "+-" else n
    if not digits.isdigit() or len(digits) > 3:
        return None
    semitones = int(n)
    return semitones if abs(semitones) <= MAX_MIDI_TRANSPOSE else None


#: MIDI pitch of each letter in the octave of middle C (§4.1).
NATURAL = {letter: midi_pitch(letter, 0, 0) for letter in "CDEFGAB"}


@dataclass(slots=True)
class PitchState:
    """What turns a written note into a sounding pitch at one point of one voice.

    ``written(note)`` gives the pitch as written (key signature, accidentals, ties);
    ``pitch(note)`` adds the voice's transposition and octave shifts, which is what
    sounds. Call :meth:`bar_line` at every bar line, :meth:`item_done` after each note,
    rest or chord, and :meth:`carry` for the notes a ``-`` ties to the next item."""

    signature: dict[str, int]
    mode: str = "pitch"
    transpose: int = 0  # semitones (transpose=)
    octave: int = 0  # octaves (octave=)
    clef_shift: int = 0  # octaves (a +8/-8 clef)
    shift: int = 0  # semitones between written and sounding pitch (see set_shifts)
    # Alterations in force in this bar: by letter (every octave) or by (letter, octave).
    by_letter: dict[str, Pitch] = field(default_factory=dict)
    by_octave: dict[tuple[str, int], Pitch] = field(default_factory=dict)
    # Alterations carried by a tie into the item being read, by (letter, octave).
    tied: dict[tuple[str, int], Pitch] = field(default_factory=dict)
    # The shift in force when they were carried (see pitch).
    tied_shift: int = 0

    def __post_init__(self) -> None:
        self.set_shifts()

    def set_shifts(self, transpose: int | None = None, octave: int | None = None,
                   clef_shift: int | None = None) -> None:
        """Change the voice's transposition (§4.6 ``transpose=``, ``octave=``, a clef
        with +8/-8); None keeps a value."""
        if transpose is not None:
            self.transpose = transpose
        if octave is not None:
            self.octave = octave
        if clef_shift is not None:
            self.clef_shift = clef_shift
        self.shift = self.transpose + 12 * (self.octave + self.clef_shift)

    def set_clef(self, clef: Clef, names: Iterable[str]) -> None:
        """The shifts a ``K:`` or body ``V:`` field sets (§4.6): a transposition or
        octave only where ``names`` (its properties) name one, the clef's +8/-8 only
        where it names a clef."""
        named = set(names)
        self.set_shifts(
            clef.transpose if named & {"transpose", "t"} else None,
            clef.octave if "octave" in named else None,
            clef.octave_shift if clef.name is not None else None,
        )

    def alteration(self, note: Note, grace: bool = False) -> Pitch:
        """§4.2: the semitones ``note`` is raised or lowered by, leaving its accidental in
        force for the rest of the bar (grace notes leave none)."""
        acc = note.accidental
        return self.alter(note.letter, note.octave, None if acc is None else acc.semitones,
                          grace)

    def alter(self, letter: str, octave: int, accidental: Pitch | None,
              grace: bool = False) -> Pitch:
        """:meth:`alteration` of a note given by its parts: ``letter`` (upper case),
        ``octave`` and the semitones of its written accidental (None when it has none)."""
        if accidental is not None:
            if not grace:
                mode = self.mode
                if mode == "pitch":
                    self.by_letter[letter] = accidental
                    if self.by_octave:
                        for k in [k for k in self.by_octave if k[0] == letter]:
                            del self.by_octave[k]
                elif mode == "octave":
                    self.by_octave[(letter, octave)] = accidental
                    self.by_letter.pop(letter, None)
            return accidental
        return self.implied(letter, octave, take=not grace)

    def implied(self, letter: str, octave: int, take: bool = True) -> Pitch:
        """The alteration an unmarked note of ``letter`` in ``octave`` has here: carried
        by a tie, else the bar's accidental, else the key signature. A tie reaches one
        note: the first of its letter and octave in the item takes what it carried, and
        another in the same chord (``^a-|[aa]``) is read as if there were no tie (§4.11
        ties two notes; both players read it so). A grace note (``take`` false) is
        read with it but does not take it: ``^a-|{a}a`` ties the two main notes."""
        spot = (letter, octave)
        if self.tied and spot in self.tied:
            return self.tied.pop(spot) if take else self.tied[spot]
        if self.by_octave and spot in self.by_octave:
            return self.by_octave[spot]
        if letter in self.by_letter:
            return self.by_letter[letter]
        return self.signature.get(letter, 0)

    def written(self, note: Note, grace: bool = False) -> Pitch:
        """MIDI pitch of ``note`` as written (before transposition)."""
        return NATURAL[note.letter] + 12 * note.octave + self.alteration(note, grace)

    def pitch(self, note: Note, grace: bool = False) -> Pitch:
        """MIDI pitch of ``note`` as it sounds. A note a tie reaches goes on sounding at
        the pitch it was tied from: a transposition that changes between the two
        (``F-[I:MIDI transpose 2]F``, ``[K:transpose=2]``) does not move it (§4.11 ties
        the written notes; both players hold the note)."""
        shift = self.shift
        if (self.tied and note.accidental is None
                and (note.letter, note.octave) in self.tied):
            shift = self.tied_shift
        return NATURAL[note.letter] + 12 * note.octave + self.alteration(note, grace) + shift

    def bar_line(self) -> None:
        """§4.2: accidentals end with the bar (a tie still carries its note's)."""
        if self.by_letter:
            self.by_letter.clear()
        if self.by_octave:
            self.by_octave.clear()

    def set_key(self, key: Key) -> None:
        """A new key signature (§3.1.14 in the body): bar accidentals end too."""
        self.set_signature(playing_signature(key))

    def set_signature(self, signature: dict[str, int]) -> None:
        """:meth:`set_key` with the signature given as semitones per letter."""
        self.signature = signature
        self.bar_line()

    def item_done(self) -> None:
        """A note, rest or chord is complete: what a tie carried reached it."""
        if self.tied:
            self.tied = {}

    def carry(self, notes: Iterable[tuple[str, int, Pitch]]) -> None:
        """A tie carries each (letter, octave, sounding pitch) into the next item: that
        note keeps its alteration there, across a bar line too (§4.11)."""
        shift = self.tied_shift = self.shift
        self.tied = {
            (letter, octave): pitch - shift - NATURAL[letter] - 12 * octave
            for letter, octave, pitch in notes
        }
