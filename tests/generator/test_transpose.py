"""Transposition keeps every sounding pitch moved by exactly the requested interval."""

from __future__ import annotations

import re

import numpy as np
import pytest
from abcparse.generator.transpose import Key, augment_tunes, shift_options, transpose_tune

NATURAL = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
ACC = {"^^": 2, "^": 1, "=": 0, "_": -1, "__": -2}
NOTE = re.compile(r"(\^\^|\^|__|_|=)?([A-Ga-g])([,']*)")


def pitches(tune: str) -> list[int]:
    """Sounding pitches (MIDI-like numbers): key signature, bar-scoped accidentals, K: changes."""
    out: list[int] = []
    sig: dict[int, int] = {}
    carried: dict[tuple[str, int], int] = {}
    for line in tune.split("\n"):
        if line.startswith("K:"):
            sig = Key.parse(line[2:]).signature()
            continue
        if re.match(r"^[A-Za-z]:", line) or not sig:
            continue
        i = 0
        while i < len(line):
            if line[i] == "|":
                carried.clear()
            if line[i] == '"':
                i = line.index('"', i + 1) + 1
                continue
            m = NOTE.match(line, i)
            if not m:
                i += 1
                continue
            acc, letter, octs = m.groups()
            octave = (1 if letter.islower() else 0) + octs.count("'") - octs.count(",")
            up = letter.upper()
            if acc is not None:
                carried[(up, octave)] = ACC[acc]
            alt = carried.get((up, octave), sig["CDEFGAB".index(up)])
            out.append(60 + 12 * octave + NATURAL[up] + alt)
            i = m.end()
    return out


TUNE = """X:1
T:Test
M:C|
L:1/8
K:D Mixolydian
AG|F2FA GFD2|de (3fed d^cAF|G2GF GFDE|"Verse"FdcA G2A,G,|
fd e^c d=cA2|_b2 =b2 c'2 a,2|]
"""


@pytest.mark.parametrize("key", ["D Mixolydian", "G Major", "A Dorian", "E Minor", "Bb", "F#m"])
def test_every_pitch_moves_by_the_interval(key: str) -> None:
    tune = TUNE.replace("D Mixolydian", key)
    tried = 0
    for c in range(-5, 7):
        for k in {(c * 7) // 12, -((-c * 7) // 12)}:
            moved = transpose_tune(tune, k, c)
            if moved is None:
                continue  # a tonic that would need a double accidental
            tried += 1
            assert [p + c for p in pitches(tune)] == pitches(moved), (k, c)
    assert tried >= 12
    assert shift_options(Key.parse(key))


def test_key_line_changes_and_text_survives() -> None:
    moved = transpose_tune(TUNE, 1, 2)
    assert moved is not None
    assert "K:E Mixolydian" in moved and "T:Test" in moved and '"Verse"' in moved
    assert "e^dBG" in moved  # d^cAF up a tone in E mixolydian


def test_inline_key_change_is_transposed() -> None:
    tune = "X:1\nK:G\nGAB|[K:D] ABc|\n"
    moved = transpose_tune(tune, 1, 2)
    assert moved == "X:1\nK:A\nABc|[K:E] Bcd|\n"


def test_unsupported_tunes_are_left_alone() -> None:
    assert transpose_tune("X:1\nK:none\nABC|\n", 1, 2) is None
    assert transpose_tune('X:1\nK:G\n"G"GAB|\n', 1, 2) is None  # chord symbols
    rng = np.random.default_rng(0)
    assert augment_tunes(["X:1\nK:none\nABC|\n"], rng, 1.0) == ["X:1\nK:none\nABC|\n"]


def test_augmented_keys_stay_in_range() -> None:
    rng = np.random.default_rng(1)
    tunes = [TUNE.replace("D Mixolydian", k) for k in ("G Major", "D Major", "A Dorian", "E Minor")]
    for t in augment_tunes(tunes * 5, rng, 1.0):
        key = Key.parse(next(x for x in t.split("\n") if x.startswith("K:"))[2:])
        assert -1 <= sum(key.signature().values()) <= 3
