"""ABC111: abcm2ps's variant ending labelled with text (``["Coda" zag |``).

ABC 2.1 numbers its endings (§4.10); by its letter the ``[`` opens a chord that the line
never closes. abcparse reads the text as an annotation and the notes in order, as abcjs
plays them (abc2midi sounds them at once), reports it, and the safe fix writes the
annotation, after which both players play what abcparse plays.
"""

from __future__ import annotations

from fractions import Fraction as F

import abcparse
from abcparse.format.repair import fix_text
from abcparse.model import Annotation, Chord
from tests.playback import peer

TUNE = "X:1\nT:t\nM:3/4\nL:1/8\nK:D\n|: A dc | d2 z :|[\"Coda\" zag | d6 |]\n"


def played(text: str) -> list[tuple[object, int]]:
    return [(e.onset, e.pitch) for e in abcparse.parse(text).tunes[0].events()]


def test_the_notes_after_the_label_are_read_in_order() -> None:
    tune = abcparse.parse(TUNE).tunes[0]
    coda = tune.voices[0].bars[2].elements
    assert isinstance(coda[0], Annotation) and coda[0].text == "Coda"
    assert not any(isinstance(e, Chord) for e in coda)
    # z a g in turn after the repeat, then the d6: not a, g and d at once.
    assert played(TUNE)[-3:] == [(F(13, 2), 81), (7, 79), (F(15, 2), 74)]
    found = abcparse.check(TUNE)
    assert [(d.code, d.line, d.col) for d in found] == [("ABC111", 6, 18)]


def test_in_a_tunebook_with_a_file_header_too() -> None:
    book = "%abc-2.1\n%%pagewidth 21cm\n\nX:1\nT:first\nK:C\nC|]\n\n" + TUNE.replace(
        "X:1", "X:2", 1)
    assert [d.code for d in abcparse.check(book)] == ["ABC111"]
    assert fix_text(book).text == book.replace('["Coda"', '"^Coda"')


def test_a_chord_symbol_inside_an_open_chord_stays_a_chord() -> None:
    text = TUNE.replace('["Coda" zag', '["Am"ACe')
    assert [d.code for d in abcparse.check(text)] == ["ABC312"]


def test_the_safe_fix_writes_the_annotation_and_keeps_the_music() -> None:
    fixed = fix_text(TUNE).text
    assert fixed == TUNE.replace('["Coda"', '"^Coda"')
    assert played(fixed) == played(TUNE)
    assert abcparse.check(fixed) == []


@peer.needs_both_players
def test_after_the_fix_both_players_play_what_the_engine_plays() -> None:
    assert peer.players_agree(fix_text(TUNE).text) == (True, True)
    assert peer.players_agree(TUNE) == (False, True)  # abc2midi sounds zag at once
