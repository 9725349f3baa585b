"""Music theory the standard builds on: key signatures, pitches, default lengths, tuplets.

Kept apart from the model so the dataclasses stay plain records and every rule that
interprets them lives in one place with its section of ABC 2.1 named.
"""

from __future__ import annotations

import functools
import re
from fractions import Fraction

from .model import Key, Meter, Mode, Note

LETTERS = "CDEFGAB"
# Semitones above C of each natural note.
LETTER_SEMITONES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
# Position on the circle of fifths of each natural letter (C = 0).
_LETTER_FIFTHS = {"F": -1, "C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5}
# How many fifths each mode lies below its relative major (§3.1.14 mode table).
_MODE_FIFTHS = {
    Mode.LYDIAN: 1,
    Mode.MAJOR: 0,
    Mode.MIXOLYDIAN: -1,
    Mode.DORIAN: -2,
    Mode.MINOR: -3,
    Mode.PHRYGIAN: -4,
    Mode.LOCRIAN: -5,
}
SHARP_ORDER = "FCGDAEB"
FLAT_ORDER = "BEADGCF"

MIDDLE_C = 60


def tonic_fifths(tonic: str) -> int:
    """Circle-of-fifths position of a tonic such as "F#" or "Bb" (C = 0, G = 1, F = -1)."""
    n = _LETTER_FIFTHS[tonic[0]]
    for ch in tonic[1:]:
        n += 7 if ch == "#" else -7 if ch == "b" else 0
    return n


def key_fifths(key: Key) -> int:
    """Sharps (positive) or flats (negative) in the key signature of ``key``."""
    if key.tonic is None or key.mode is None:
        return 0
    return tonic_fifths(key.tonic) + _MODE_FIFTHS[key.mode]


def key_signature(key: Key) -> dict[str, int]:
    """Semitone shift per upper-case letter that ``key`` applies to unmarked notes.

    §3.1.14: the tonic and mode give the signature; listed accidentals (``K:D =c``)
    modify it, or replace it with ``exp``; ``K:HP`` has none and ``K:Hp`` sharpens F and C
    (G natural); ``K:none`` has none.
    """
    sig: dict[str, int] = {}
    if key.highland_pipes == "Hp":
        sig = {"F": 1, "C": 1}
    elif not key.explicit:
        n = key_fifths(key)
        for i in range(abs(n)):
            letter = (SHARP_ORDER if n > 0 else FLAT_ORDER)[i % 7]
            sig[letter] = sig.get(letter, 0) + (1 if n > 0 else -1)
    for acc in key.accidentals:
        sig[acc.letter] = acc.accidental.semitones
    return {k: v for k, v in sig.items() if v}


def midi_pitch(letter: str, octave: int, alteration: int) -> int:
    """MIDI note number of a letter in an octave (§4.1: C is middle C, 60)."""
    return MIDDLE_C + 12 * octave + LETTER_SEMITONES[letter] + alteration


@functools.lru_cache(maxsize=256)
def default_unit_length(meter: Meter | None) -> Fraction:
    """§3.1.7: without L:, the unit is 1/16 when the meter is below 0.75, else 1/8; with
    no meter or ``M:none`` it is 1/8."""
    if meter is None:
        return Fraction(1, 8)
    value = meter.bar_length
    if value is None:
        return Fraction(1, 8)
    return Fraction(1, 16) if value < Fraction(3, 4) else Fraction(1, 8)


def is_compound(meter: Meter | None) -> bool:
    """Compound time (6/8, 9/8, 12/8 ...): a numerator that is a multiple of 3 above 3."""
    if meter is None or meter.kind != "fraction":
        return False
    n = meter.numerator
    return n > 3 and n % 3 == 0


def tuplet_ratio(p: int, q: int | None, r: int | None, meter: Meter | None) -> tuple[int, int, int]:
    """§4.13: resolve ``(p:q:r``. q defaults to 3 for 2, 4 and 8; to 2 for 3 and 6; and
    for 5, 7 and 9 to 3 in compound time, else 2. r defaults to p."""
    if q is None or q == 0:
        if p in (2, 4, 8):
            q = 3
        elif p in (3, 6):
            q = 2
        else:
            q = 3 if is_compound(meter) else 2
    if r is None or r == 0:
        r = p
    return p, q, r


@functools.lru_cache(maxsize=1024)
def written_length(num: str | None, den: str | None, slashes: str | None) -> Fraction:
    """§4.3: the length a note, rest or chord writes, from its parts as the grammar splits
    them: ``A2`` is twice the unit, ``A3/2`` one and a half, ``A/2`` and ``A/`` half,
    ``A//`` a quarter (``A/0`` reads as the numerator alone). Memoized: Fractions are
    immutable, and building one costs more than the lookup."""
    n = int(num) if num else 1
    if den:
        d = int(den)
        return Fraction(n, d) if d else Fraction(n)
    if slashes:
        return Fraction(n, 1 << len(slashes))
    return Fraction(n)


def length_text(length: Fraction) -> str:
    """Shortest spelling of a note length (§4.3): 1 → "", 2 → "2", 1/2 → "/",
    1/4 → "/4", 3/2 → "3/2"."""
    if length == 1:
        return ""
    num, den = length.numerator, length.denominator
    if den == 1:
        return str(num)
    if num != 1:
        return f"{num}/{den}"
    return "/" if den == 2 else f"/{den}"


def pitch_text(letter: str, octave: int) -> str:
    """§4.1 a letter (upper case) in an octave (0: C-B from middle C, 1: c-b above) as ABC:
    ``C``, ``c``, ``c'``, ``C,``."""
    return letter.lower() + "'" * (octave - 1) if octave >= 1 else letter + "," * -octave


def note_spelling(note: Note) -> str:
    """Canonical ABC for a note: accidental, letter, octave marks, shortest length."""
    acc = note.accidental.value if note.accidental is not None else ""
    return acc + pitch_text(note.letter, note.octave) + length_text(note.length)


# §4.14: the decorations ABC 2.1 defines (names between the ! signs), plus "staccato",
# the name §4.14 gives the `.` shorthand, which every major implementation accepts.
STANDARD_DECORATIONS = frozenset(
    [
        "staccato", "trill", "trill(", "trill)", "lowermordent", "uppermordent", "mordent",
        "pralltriller", "roll", "turn", "turnx", "invertedturn", "invertedturnx", "arpeggio", ">",
        "accent", "emphasis", "fermata", "invertedfermata", "tenuto", "0", "1", "2", "3", "4", "5",
        "+", "plus", "snap", "slide", "wedge", "upbow", "downbow", "open", "thumb", "breath",
        "pppp", "ppp", "pp", "p", "mp", "mf", "f", "ff", "fff", "ffff", "sfz", "crescendo(", "<(",
        "crescendo)", "<)", "diminuendo(", ">(", "diminuendo)", ">)", "segno", "coda", "D.S.",
        "D.C.", "dacoda", "dacapo", "fine", "shortphrase", "mediumphrase", "longphrase",
    ]
)

# §4.14 the shorthand symbols and what they mean until U: redefines them (§4.16).
DEFAULT_SYMBOLS = {
    ".": "staccato",
    "~": "roll",
    "H": "fermata",
    "L": "accent",
    "M": "lowermordent",
    "O": "coda",
    "P": "uppermordent",
    "S": "segno",
    "T": "trill",
    "u": "upbow",
    "v": "downbow",
}


#: A chord symbol's name (§4.18): root, quality, extension, bass (``Am7``, ``F#m7b5/E``).
CHORD_NAME_RE = re.compile(
    r"[A-G][#b\u266f\u266d]?(?:maj|min|dim|aug|sus|add|m|M|\+|o)?[0-9]{0,2}"
    r"(?:(?:sus|add|b|#)[0-9]{1,2})?(?:/[A-G][#b]?)?"
)


#: The velocity of the first beat of a bar after a dynamics mark (§4.14 ``!p!`` ...), as
#: abc2midi plays them (see :mod:`abcparse.events`). A mark written before a bar line
#: holds from there on, for the notes after it, where other decorations there belong to
#: the bar line (:mod:`abcparse.music.timeline`).
DYNAMICS = {"pppp": 15, "ppp": 30, "pp": 45, "p": 60, "mp": 75, "mf": 90, "f": 105,
            "ff": 120, "fff": 127, "ffff": 127}
