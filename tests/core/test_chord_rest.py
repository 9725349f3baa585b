"""A rest inside a chord (§4.17: a chord holds notes only) or grace notes (§4.12):
``[Az]`` is read as ``[A]``, as abc2midi plays it, and reported (ABC116); a chord of a rest
and no note (``[z2]``) is read as the rest, as both players play it. The rest used to be
moved in front of the chord, unreported, and ``[FA][Az]`` played its second A a rest
late."""

from __future__ import annotations

from fractions import Fraction

import pytest

import abcparse
from abcparse.events import perform
from abcparse.model import Chord, Note, Rest

HEAD = "X:1\nT:t\nM:2/4\nL:1/8\nK:C\n"
STRICT = "%abc-2.1\n" + HEAD


def elements(text: str) -> list[object]:
    tune = abcparse.parse(text).tunes[0]
    return [e for bar in tune.bars for e in bar.elements]


def pitches(chord: object) -> list[tuple[str, int, Fraction]]:
    assert isinstance(chord, Chord)
    assert all(isinstance(i, Note) for i in chord.items)  # no rest among the items
    return [(n.letter, n.octave, n.length) for n in chord.notes]


def onsets(text: str) -> list[tuple[Fraction, int]]:
    return [(n.onset, n.pitch) for n in perform(abcparse.parse(text).tunes[0]).notes]


@pytest.mark.parametrize(
    ("body", "notes", "length", "col"),
    [
        ("[FA][Az] [cf]2|", [("A", 0, Fraction(1))], Fraction(1), 7),
        ("[FA][zA] [cf]2|", [("A", 0, Fraction(1))], Fraction(1), 6),
        ("[FA][Ax] [cf]2|", [("A", 0, Fraction(1))], Fraction(1), 7),
        ("[FA][AZ] [cf]2|", [("A", 0, Fraction(1))], Fraction(1), 7),
        ("[FA][AX] [cf]2|", [("A", 0, Fraction(1))], Fraction(1), 7),
        ("[A2z2] [cf]2|", [("A", 0, Fraction(2))], Fraction(1), 4),
        ("[CEz]2 [cf]2|", [("C", 0, Fraction(1)), ("E", 0, Fraction(1))], Fraction(2), 4),
    ],
)
def test_the_chord_keeps_its_notes_only(
    body: str, notes: list[tuple[str, int, Fraction]], length: Fraction, col: int
) -> None:
    text = STRICT + body + "\n"
    els = elements(text)
    assert not any(isinstance(e, Rest) for e in els)
    chords = [e for e in els if isinstance(e, Chord)]
    rested = chords[1] if len(chords) == 3 else chords[0]
    assert pitches(rested) == notes
    assert rested.length == length
    tune = abcparse.parse(text).tunes[0]
    assert [(d.code, d.line, d.col, d.severity.value) for d in tune.diagnostics] == [
        ("ABC116", 7, col, "error")
    ]
    assert [d.code for d in abcparse.check(text)] == ["ABC116"]  # the bar adds up: no ABC301


def test_engine_plays_the_chord_without_the_rest() -> None:
    # In quarter notes: [FA] at 0, [A] an eighth later, [cf]2 a quarter in, as abc2midi
    # plays it (before, the rest moved in front of [A] put it at 1 and [cf] at 3/2).
    assert onsets(HEAD + "[FA][Az] [cf]2|\n") == [
        (Fraction(0), 65), (Fraction(0), 69),
        (Fraction(1, 2), 69),
        (Fraction(1), 72), (Fraction(1), 77),
    ]


@pytest.mark.parametrize(
    ("body", "fixed"),
    [
        ("[FA][Az] [cf]2|", "[FA][A] [cf]2|"),
        ("[FA][zA] [cf]2|", "[FA][A] [cf]2|"),
        ("[A2z2] [cf]2|", "[A2] [cf]2|"),
        ("[CEz]2 [cf]2|", "[CE]2 [cf]2|"),
        ("[FA][AZ] [cf]2|", "[FA][A] [cf]2|"),
        ("[FA][z2] [cf]2|", "[FA]z2 [cf]2|"),
        ("[FA][z]2 [cf]2|", "[FA]z2 [cf]2|"),
    ],
)
def test_deleting_the_rest_changes_no_note(body: str, fixed: str) -> None:
    assert onsets(HEAD + body + "\n") == onsets(HEAD + fixed + "\n")
    assert "ABC116" not in [d.code for d in abcparse.check(HEAD + fixed + "\n")]


def test_a_chord_of_a_rest_is_the_rest() -> None:
    els = elements(HEAD + "[FA][z2] [cf]2|\n")
    assert [type(e) for e in els] == [Chord, Rest, Chord]
    rest = els[1]
    assert isinstance(rest, Rest) and rest.length == 2 and not rest.invisible
    (d,) = [d for d in abcparse.check(HEAD + "[FA][z2] [cf]2|\n") if d.code == "ABC116"]
    assert (d.line, d.col) == (6, 6)
    assert "no note" in d.message


def test_a_chord_left_open_loses_its_rest_too() -> None:
    els = elements(HEAD + "[Az\n")
    assert pitches(els[0]) == [("A", 0, Fraction(1))]
    assert [d.code for d in abcparse.check(HEAD + "[Az\n")] == ["ABC312", "ABC116"]


def test_a_text_ending_keeps_its_rest() -> None:
    # ["Coda" zag | is abcm2ps's text ending, not a chord: its rest is read in order.
    els = elements(HEAD + '["Coda" zag |\n')
    assert [type(e).__name__ for e in els[:4]] == ["Annotation", "Rest", "Note", "Note"]
    assert "ABC116" not in [d.code for d in abcparse.check(HEAD + '["Coda" zag |\n')]


def test_the_formatter_keeps_the_rest() -> None:
    from abcparse.format import format_str

    out = format_str(HEAD + "[FA]  [A z]  [cf]2|\n")
    assert "[A z]" in out


@pytest.mark.parametrize(
    ("body", "fixed"),
    [
        ("{Az}B2 c2 d2|", "{A}B2 c2 d2|"),
        ("{zA}B2 c2 d2|", "{A}B2 c2 d2|"),
        ("B2 {Ax}c2 d2|", "B2 {A}c2 d2|"),
        ("{z}B2 c4|", "B2 c4|"),
    ],
)
def test_a_rest_in_grace_notes_takes_no_time_and_its_fix_deletes_it(body: str,
                                                                     fixed: str) -> None:
    """``{Az}B``: grace notes are notes (§4.12), and abc2midi and abcjs give the rest no
    time. It used to be moved out of the braces and played before B, unreported. Now it
    is left out and reported (ABC116), no empty group is left to be reported as grace
    notes with no note after them (ABC333), and the safe fix deletes it (with the braces
    when it stood alone), the notes played as before."""
    text = HEAD.replace("M:2/4", "M:3/4") + body + "\n"
    found = [d for d in abcparse.check(text)]
    assert [d.code for d in found] == ["ABC116"], found
    assert not any(isinstance(e, Rest) for e in elements(text))
    r = abcparse.repair(text, warnings=True)
    assert r.text == text.replace(body, fixed) and not r.withdrawn
    assert onsets(r.text) == onsets(text)
