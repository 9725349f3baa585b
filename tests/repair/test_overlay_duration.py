"""ABC309: a voice overlay (``&``) that is not one whole bar long (§7.4).

A short overlay is heard by abcparse as written, each ``&`` starting at its own bar line;
abc2midi and abcjs both start the next bar's overlay where the short one ended. The safe
fix pads the short overlay with an invisible rest, after which all three play alike.
"""

from __future__ import annotations

import abcparse
from abcparse.format.repair import fix_text
from tests.playback import peer

HEAD = "X:1\nT:t\nM:4/4\nL:1/4\nK:C\n"
SHORT = HEAD + "C D E F & c d | G4 & g4|]\n"


def played(text: str) -> list[tuple[object, int]]:
    return [(e.onset, e.pitch) for e in abcparse.parse(text).tunes[0].events()]


def test_each_overlay_starts_at_its_own_bar_line() -> None:
    assert (4, 79) in played(SHORT)  # the g4 of the second bar's overlay, at beat 4


def test_short_and_long_overlays_are_reported() -> None:
    found = abcparse.check(SHORT)
    assert [(d.code, d.line, d.col) for d in found] == [("ABC309", 6, 9)]
    assert "lasts 2/4, shorter than the 4/4" in found[0].message
    long = abcparse.check(HEAD + "C D E F & c d e f g | G4 & g4|]\n")
    assert [d.code for d in long] == ["ABC309"] and "longer" in long[0].message
    # A whole bar's overlay, the last bar's included: nothing to report.
    assert abcparse.check(HEAD + "C D E F & c d x2 | G2 & g2|]\n") == []


def test_the_safe_fix_pads_with_an_invisible_rest_and_keeps_the_music() -> None:
    result = fix_text(SHORT)
    assert result.text == SHORT.replace("c d |", "c d x2|")
    assert played(result.text) == played(SHORT)
    assert not abcparse.check(result.text)
    # Before a second overlay, and after a complete triplet.
    two = HEAD + "C D E F & c/ d/ & (3efg | G4 & g4 & a4|]\n"
    assert fix_text(two).text == two.replace("d/ &", "d/ x3 &").replace("(3efg |", "(3efg x2|")
    assert played(fix_text(two).text) == played(two)


def test_the_rest_is_in_the_unit_in_force_and_apart_from_the_note_before_it() -> None:
    # A second voice, an [L:] before the overlay, and no space before the bar line.
    text = (HEAD + "V:1\nC D E F|G4|]\nV:2\n[L:1/8]C2 D2 E2 F2 & c2 d2|G8 & g8|]\n"
            "V:3\nC D E F & c d|G4 & g4|]\n")
    fixed = fix_text(text).text
    assert "& c2 d2 x4|" in fixed and "& c d x2|" in fixed
    assert played(fixed) == played(text)
    assert not abcparse.check(fixed)


def test_no_fix_for_a_long_overlay_or_one_ending_in_a_tie() -> None:
    long = HEAD + "C D E F & c d e f g | G4 & g4|]\n"
    assert fix_text(long).text == long
    tied = HEAD + "C D E F & c d- | d2 G2 & g4|]\n"
    assert "x2" not in fix_text(tied).text


@peer.needs_both_players
def test_after_the_fix_both_players_play_what_the_engine_plays() -> None:
    assert peer.players_agree(fix_text(SHORT).text) == (True, True)
    assert peer.players_agree(SHORT) == (False, False)  # both play the g4 early
