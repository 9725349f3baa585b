"""Transposition of ABC tunes, for training-data augmentation.

Why: the corpus is small (~640 training tunes) and most tunes sit in D and G. Shifting a tune
by a few semitones gives the model the same melodic patterns on other letters, a cheap way
to multiply the data. It is optional (``augment`` in the config) because it only earns its
place if it measurably lowers held-out bits/char; the issue-7 report records the measurement.

Correctness before coverage. A transposition by ``c`` semitones moves every note letter by
``k`` diatonic steps and the key's tonic by the same interval, keeping the mode, so notes
that follow the key signature need no accidental. An explicit accidental is recomputed
from absolute pitch (source pitch + ``c`` minus the natural pitch of the new letter), which
stays right across keys whose signatures differ on that letter; accidentals carried through
a bar stay right because a letter and octave always map to the same letter and octave.
Anything this module does not understand (a ``K:`` it cannot parse, a chord symbol in
quotes, an accidental that would need a triple sharp) makes :func:`transpose_tune` return
``None`` and the caller keeps the tune as it was.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from abcparse.theory import pitch_text

LETTERS = "CDEFGAB"
NATURAL = (0, 2, 4, 5, 7, 9, 11)  # semitones of C D E F G A B above C
MODES = {
    "maj": (0, 2, 4, 5, 7, 9, 11), "ion": (0, 2, 4, 5, 7, 9, 11),
    "dor": (0, 2, 3, 5, 7, 9, 10), "phr": (0, 1, 3, 5, 7, 8, 10),
    "lyd": (0, 2, 4, 6, 7, 9, 11), "mix": (0, 2, 4, 5, 7, 9, 10),
    "min": (0, 2, 3, 5, 7, 8, 10), "aeo": (0, 2, 3, 5, 7, 8, 10),
    "m": (0, 2, 3, 5, 7, 8, 10), "loc": (0, 1, 3, 5, 6, 8, 10),
}
ACCIDENTAL_TEXT = {-2: "__", -1: "_", 0: "=", 1: "^", 2: "^^"}
# Transposed keys stay within one flat .. three sharps, the keys the Irish corpus actually
# uses: moving D-major tunes to A-flat would teach the model keys it is never asked for.
FIFTHS_RANGE = (-1, 3)

_KEY = re.compile(r"^(\s*)([A-G])([#b]?)(\s*)([A-Za-z]*)(.*)$", re.DOTALL)
_FIELD_LINE = re.compile(r"^([A-Za-z]):")
_NOTE = re.compile(r"(\^\^|\^|__|_|=)?([A-Ga-g])([,']*)")


class _Fail(Exception):
    pass


class Key:
    """A parsed key: tonic letter index, tonic alteration, mode scale, and the rest of the text."""

    def __init__(self, letter: int, alter: int, scale: tuple[int, ...], lead: str, gap: str,
                 mode_text: str, rest: str) -> None:
        self.letter, self.alter, self.scale = letter, alter, scale
        self.lead, self.gap, self.mode_text, self.rest = lead, gap, mode_text, rest

    @classmethod
    def parse(cls, value: str) -> Key:
        m = _KEY.match(value)
        if not m:
            raise _Fail(value)
        lead, letter, acc, gap, mode_text, rest = m.groups()
        mode = mode_text.lower()
        if mode == "":
            scale = MODES["maj"]
        elif mode == "m":
            scale = MODES["m"]
        elif mode[:3] in MODES and len(mode) >= 3:
            scale = MODES[mode[:3]]
        else:
            raise _Fail(value)
        if rest.strip():  # explicit accidentals, clefs...: not supported, so do not guess
            raise _Fail(value)
        return cls(LETTERS.index(letter), {"#": 1, "b": -1, "": 0}[acc], scale, lead, gap,
                   mode_text, rest)

    def signature(self) -> dict[int, int]:
        """Alteration of each letter index (0=C..6=B) in this key."""
        tonic_pc = NATURAL[self.letter] + self.alter
        sig = {}
        for degree in range(7):
            letter = (self.letter + degree) % 7
            alt = (tonic_pc + self.scale[degree] - NATURAL[letter]) % 12
            sig[letter] = alt - 12 if alt > 6 else alt
        return sig

    def shifted(self, k: int, c: int) -> Key:
        letter = (self.letter + k) % 7
        pc = (NATURAL[self.letter] + self.alter + c) % 12
        alter = (pc - NATURAL[letter]) % 12
        alter = alter - 12 if alter > 6 else alter
        if alter not in (-1, 0, 1):
            raise _Fail("tonic would need a double accidental")
        return Key(letter, alter, self.scale, self.lead, self.gap, self.mode_text, self.rest)

    def text(self) -> str:
        acc = {1: "#", -1: "b", 0: ""}[self.alter]
        return f"{self.lead}{LETTERS[self.letter]}{acc}{self.gap}{self.mode_text}{self.rest}"


def _shift_note(acc: str | None, letter: str, octs: str, k: int, c: int) -> str:
    idx = LETTERS.index(letter.upper())
    octave = (1 if letter.islower() else 0) + octs.count("'") - octs.count(",")
    pos = idx + 7 * octave + k
    new_oct, new_idx = divmod(pos, 7)
    out = pitch_text(LETTERS[new_idx], new_oct)
    if acc is None:
        return out
    src_alt = {"^^": 2, "^": 1, "=": 0, "_": -1, "__": -2}[acc]
    src_pitch = 12 * octave + NATURAL[idx] + src_alt
    tgt_alt = src_pitch + c - (12 * new_oct + NATURAL[new_idx])
    if tgt_alt not in ACCIDENTAL_TEXT:
        raise _Fail("accidental out of range")
    return ACCIDENTAL_TEXT[tgt_alt] + out


def _body_line(line: str, k: int, c: int) -> str:
    """Transpose the notes of one music line, leaving quoted text, decorations, comments,
    and inline fields other than K: untouched."""
    out: list[str] = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch == "%":
            out.append(line[i:])
            break
        if ch == '"':
            j = line.find('"', i + 1)
            j = n - 1 if j < 0 else j
            text = line[i + 1 : j]
            if text[:1] in "ABCDEFG" and text[:1] != "":
                raise _Fail("chord symbol")  # would need transposing too; not worth it
            out.append(line[i : j + 1])
            i = j + 1
            continue
        if ch in "!+":
            j = line.find(ch, i + 1)
            if j > i:
                out.append(line[i : j + 1])
                i = j + 1
                continue
        if ch == "[" and i + 2 < n and line[i + 1].isalpha() and line[i + 2] == ":":
            j = line.find("]", i)
            if j < 0:
                raise _Fail("unclosed inline field")
            value = line[i + 3 : j]
            if line[i + 1] == "K":
                value = Key.parse(value).shifted(k, c).text()
            out.append(line[i : i + 3] + value + "]")
            i = j + 1
            continue
        m = _NOTE.match(line, i)
        if m:
            out.append(_shift_note(m.group(1), m.group(2), m.group(3), k, c))
            i = m.end()
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def transpose_tune(tune: str, k: int, c: int) -> str | None:
    """The tune moved ``k`` letters and ``c`` semitones, or ``None`` where that is not safe."""
    try:
        lines = tune.split("\n")
        out = []
        in_body = False
        for line in lines:
            fm = _FIELD_LINE.match(line)
            if fm:
                if fm.group(1) == "K":
                    out.append("K:" + Key.parse(line[2:]).shifted(k, c).text())
                    in_body = True
                else:
                    out.append(line)
                continue
            out.append(_body_line(line, k, c) if in_body else line)
        if not in_body:
            return None
        return "\n".join(out)
    except (_Fail, ValueError, KeyError):
        return None


def _first_key(tune: str) -> Key | None:
    for line in tune.split("\n"):
        if line.startswith("K:"):
            try:
                return Key.parse(line[2:])
            except _Fail:
                return None
    return None


def shift_options(key: Key) -> list[tuple[int, int]]:
    """(letters, semitones) shifts within a fourth/fifth giving a key signature inside
    ``FIFTHS_RANGE`` (sharps positive, flats negative), spelled with the fewest accidentals."""
    options = []
    for c in range(-5, 7):
        if c == 0:
            continue
        best: tuple[int, int] | None = None
        for k in {(c * 7) // 12, -((-c * 7) // 12)}:
            try:
                sig = key.shifted(k, c).signature()
            except _Fail:
                continue
            if any(abs(a) > 1 for a in sig.values()):
                continue
            fifths = sum(sig.values())
            size = abs(fifths)
            lo, hi = FIFTHS_RANGE
            if lo <= fifths <= hi and (best is None or size < best[0]):
                best = (size, k)
        if best is not None:
            options.append((best[1], c))
    return options


def augment_tunes(tunes: Sequence[str], rng: np.random.Generator, prob: float) -> list[str]:
    """Each tune, with probability ``prob``, moved to a random nearby key (when possible)."""
    out = []
    for t in tunes:
        if rng.random() < prob:
            key = _first_key(t)
            opts = shift_options(key) if key is not None else []
            if opts:
                k, c = opts[int(rng.integers(len(opts)))]
                moved = transpose_tune(t, k, c)
                if moved is not None:
                    out.append(moved)
                    continue
        out.append(t)
    return out
