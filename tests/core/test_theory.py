"""The music theory tables of ABC 2.1, transcribed from the standard: the key signature
table of §3.1.14, the default unit note length of §3.1.7 and the tuplet table of §4.13."""

from __future__ import annotations

from fractions import Fraction

import pytest

from abcparse.build import read_key, read_meter
from abcparse.theory import default_unit_length, key_fifths, key_signature, tuplet_ratio

# §3.1.14: each row lists the same signature in the modes Ionian (major), Aeolian (minor),
# Mixolydian, Dorian, Phrygian, Lydian and Locrian; the number is sharps (+) or flats (-).
KEY_TABLE = {
    7: "C# A#m G#Mix D#Dor E#Phr F#Lyd B#Loc",
    6: "F# D#m C#Mix G#Dor A#Phr BLyd E#Loc",
    5: "B G#m F#Mix C#Dor D#Phr ELyd A#Loc",
    4: "E C#m BMix F#Dor G#Phr ALyd D#Loc",
    3: "A F#m EMix BDor C#Phr DLyd G#Loc",
    2: "D Bm AMix EDor F#Phr GLyd C#Loc",
    1: "G Em DMix ADor BPhr CLyd F#Loc",
    0: "C Am GMix DDor EPhr FLyd BLoc",
    -1: "F Dm CMix GDor APhr BbLyd ELoc",
    -2: "Bb Gm FMix CDor DPhr EbLyd ALoc",
    -3: "Eb Cm BbMix FDor GPhr AbLyd DLoc",
    -4: "Ab Fm EbMix BbDor CPhr DbLyd GLoc",
    -5: "Db Bbm AbMix EbDor FPhr GbLyd CLoc",
    -6: "Gb Ebm DbMix AbDor BbPhr CbLyd FLoc",
    -7: "Cb Abm GbMix DbDor EbPhr FbLyd BbLoc",
}
SHARPS = "FCGDAEB"
FLATS = "BEADGCF"


@pytest.mark.parametrize(
    ("fifths", "key"), [(n, k) for n, row in KEY_TABLE.items() for k in row.split()]
)
def test_key_signature_table(fifths: int, key: str) -> None:
    parsed = read_key(key)
    assert key_fifths(parsed) == fifths
    letters = SHARPS[:fifths] if fifths > 0 else FLATS[:-fifths]
    step = 1 if fifths > 0 else -1
    assert key_signature(parsed) == {letter: step for letter in letters}


@pytest.mark.parametrize(
    ("spelling", "same_as"),
    [
        ("C major", "C"),
        ("A minor", "Am"),
        ("C ionian", "C"),
        ("A aeolian", "Am"),
        ("G mixolydian", "GMix"),
        ("D dorian", "DDor"),
        ("E phrygian", "EPhr"),
        ("F lydian", "FLyd"),
        ("B locrian", "BLoc"),
        ("F# mixolydian", "F#Mix"),
        ("F#MIX", "F#Mix"),
        ("Amin", "Am"),
        ("A m", "Am"),
    ],
)
def test_mode_spellings(spelling: str, same_as: str) -> None:
    """§3.1.14: spaces may be left out, case is ignored, only three letters count."""
    a, b = read_key(spelling), read_key(same_as)
    assert (a.tonic, a.mode) == (b.tonic, b.mode)


@pytest.mark.parametrize(
    ("key", "signature"),
    [
        ("D Phr ^f", {"B": -1, "E": -1, "F": 1}),  # two flats and one sharp
        ("D maj =c", {"F": 1}),  # D mixolydian
        ("D =c", {"F": 1}),
        ("D exp _b _e ^f", {"B": -1, "E": -1, "F": 1}),
        ("D exp ^f", {"F": 1}),
        ("HP", {}),
        ("Hp", {"F": 1, "C": 1}),  # F sharp, C sharp, G natural
        ("none", {}),
        ("", {}),
    ],
)
def test_modified_and_special_keys(key: str, signature: dict[str, int]) -> None:
    assert key_signature(read_key(key)) == signature


@pytest.mark.parametrize(
    ("meter", "unit"),
    [
        ("2/4", Fraction(1, 16)),  # 0.5 < 0.75
        ("3/8", Fraction(1, 16)),
        ("5/8", Fraction(1, 16)),
        ("3/4", Fraction(1, 8)),  # 0.75
        ("6/8", Fraction(1, 8)),
        ("4/4", Fraction(1, 8)),
        ("9/8", Fraction(1, 8)),
        ("3/2", Fraction(1, 8)),
        ("C", Fraction(1, 8)),
        ("C|", Fraction(1, 8)),
        ("none", Fraction(1, 8)),
        ("(2+3+2)/8", Fraction(1, 8)),  # 7/8 = 0.875
        ("(2+2)/8", Fraction(1, 16)),
    ],
)
def test_default_unit_length(meter: str, unit: Fraction) -> None:
    """§3.1.7: the meter as a decimal below 0.75 gives 1/16, else 1/8."""
    assert default_unit_length(read_meter(meter)) == unit


def test_default_unit_length_without_meter() -> None:
    assert default_unit_length(None) == Fraction(1, 8)


@pytest.mark.parametrize(
    ("p", "simple", "compound"),
    [(2, 3, 3), (3, 2, 2), (4, 3, 3), (5, 2, 3), (6, 2, 2), (7, 2, 3), (8, 3, 3), (9, 2, 3)],
)
def test_tuplet_table(p: int, simple: int, compound: int) -> None:
    """§4.13: (p notes in the time of q; for 5, 7 and 9, q is 3 in compound time."""
    assert tuplet_ratio(p, None, None, read_meter("4/4")) == (p, simple, p)
    assert tuplet_ratio(p, None, None, read_meter("6/8")) == (p, compound, p)
    assert tuplet_ratio(p, None, None, read_meter("12/8")) == (p, compound, p)


@pytest.mark.parametrize(
    ("written", "resolved"),
    [
        ((3, None, None), (3, 2, 3)),  # (3
        ((3, 2, None), (3, 2, 3)),  # (3:2
        ((3, 2, 3), (3, 2, 3)),  # (3:2:3
        ((3, None, 2), (3, 2, 2)),  # (3::2
        ((3, 2, 4), (3, 2, 4)),  # (3:2:4
    ],
)
def test_tuplet_defaults(
    written: tuple[int, int | None, int | None], resolved: tuple[int, int, int]
) -> None:
    """§4.13: `(3` is `(3::` is `(3:2` is `(3:2:3`; `(3::2` is `(3:2:2`."""
    assert tuplet_ratio(*written, read_meter("4/4")) == resolved
