"""The obsolete chord syntax ``+CEG+`` of ABC 1.2-1.5 (§12.1.3): old tunebooks (the
Nottingham Music Database has 46 of them) keep their notes under loose reading (§12.2),
the validator names the spelling (ABC105), the fixer writes ``[CEG]``, and the formatter and
transposer leave the spelling as it is."""

from __future__ import annotations

from fractions import Fraction

import pytest

import abcparse
from abcparse.model import Chord, Decoration

HEAD = "X:1\nT:t\nM:4/4\nL:1/4\nK:C\n"


def elements(body: str) -> list[object]:
    tune = abcparse.parse(HEAD + body + "\n").tunes[0]
    return [e for bar in tune.bars for e in bar.elements]


@pytest.mark.parametrize(
    ("body", "pitches", "length"),
    [
        ("+CE+2 z2|", ["C", "E"], Fraction(2)),
        ("+A e +c z2|", ["A", "E"], Fraction(1)),  # spaces between the notes
        ("+E3 c3 +z|", ["E", "C"], Fraction(1)),  # lengths inside
        ("+=c4f4+|", ["C", "F"], Fraction(1)),  # an accidental
    ],
)
def test_plus_chord_is_read_as_the_chord(body: str, pitches: list[str], length: Fraction) -> None:
    chord = next(e for e in elements(body) if isinstance(e, Chord))
    assert chord.plus
    assert [n.letter for n in chord.notes] == pitches
    assert chord.length == length
    assert chord == Chord(chord.items, chord.length)  # the same chord as [..] would be


@pytest.mark.parametrize("deco", ["+trill+", "+f+", "+ff+", "+fff+", "+D.C.+", "+fermata+"])
def test_decorations_stay_decorations(deco: str) -> None:
    els = elements(f"I:decoration +\n{deco}A4|")
    assert any(isinstance(e, Decoration) and e.symbol == deco for e in els)
    assert not any(isinstance(e, Chord) for e in els)


def test_plus_chord_plays_and_is_measured() -> None:
    tune = abcparse.parse(HEAD + "+CE+2 +GB+ z|+A e +c z2|\n").tunes[0]
    events = [(e.pitch, e.onset, e.duration) for e in tune.events()]
    assert events == [
        (60, 0, 2), (64, 0, 2), (67, 2, 1), (71, 2, 1),
        (69, 4, 1), (76, 4, 1), (72, 5, 1),
    ]
    codes = [d.code for d in abcparse.check(HEAD + "+CE+2 +GB+ z|+A e +c z2|\n")]
    assert codes == ["ABC105"] * 3  # full bars: no ABC301


def test_message_gives_the_bracket_spelling() -> None:
    (d,) = abcparse.check(HEAD + "+_B,3 d'/+ z|\n")
    assert d.code == "ABC105" and d.col == 1
    assert d.message.endswith("write it as [_B,3d'/]")


def test_strict_reading_makes_it_an_error() -> None:
    (d,) = abcparse.check(HEAD + "+CE+2 z2|\n", mode="strict")
    assert (d.code, d.severity.name) == ("ABC105", "ERROR")


def test_formatter_keeps_the_spelling_and_fix_modernizes_it() -> None:
    text = HEAD + "+A e +c z2|\n"
    assert abcparse.format_str(text) == text
    fixed = abcparse.repair(text).text
    assert fixed.endswith("K:C\n[Ae]c z2|\n")
    assert abcparse.check(fixed, mode="strict") == []


def test_transpose_moves_the_notes_inside() -> None:
    from abcparse.format.transpose import transpose_text

    out = transpose_text(HEAD + "+CE+2 +A e +c z|\n", 2)
    assert out.endswith("K:D\n+DF+2 +B f +d z|\n")
