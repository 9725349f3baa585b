"""ABC308: a second ending that runs on into a B part whose ``|:`` was left out.

By the letter of §4.10 the ending runs on to the B part's own ``[1``, and the four
endings form one group in which no pass selects the B part's first ending: abc2midi
never plays it, abcjs plays the tune in yet another order. The engine reads the second
ending as long as the first and the B part as its own section (issue 12: no written
note is skipped), the validator reports the bar line where the ``|:`` belongs, and the
safe fix writes it there: then both outside players play what the engine plays.
"""

from __future__ import annotations

import abcparse
from abcparse.format.repair import fix_text
from tests.playback import peer

TUNE = "X:1\nT:t\nM:4/4\nL:1/4\nK:C\n|:ABcd|1 e4:|2 c4|\ndefg|1 a4:|2 g4|]\n"
A, B = [69, 71, 72, 74], [74, 76, 77, 79]


def pitches(text: str) -> list[int]:
    return [e.pitch for e in abcparse.parse(text).tunes[0].events()]


def test_the_b_part_is_its_own_repeated_section() -> None:
    assert pitches(TUNE) == [*A, 76, *A, 72, *B, 81, *B, 79]


def test_the_bar_line_where_the_repeat_belongs_is_reported() -> None:
    found = abcparse.check(TUNE)
    assert [(d.code, d.line, d.col) for d in found] == [("ABC308", 6, 18)]
    assert "as long as ending [1 (1 bar)" in found[0].message
    # The |: written, nothing is reported; an ending closed by || is not run on.
    assert abcparse.check(TUNE.replace("c4|\n", "c4|\n|:")) == []
    assert abcparse.check(TUNE.replace("c4|\n", "c4||\n")) == []


def test_a_lone_second_ending_is_not_cut() -> None:
    # With nothing after it but the tune's end, the second ending runs to the end.
    text = "X:1\nT:t\nM:4/4\nL:1/4\nK:C\n|:ABcd|1 e4:|2 c4|defg|]\n"
    assert pitches(text) == [*A, 76, *A, 72, *B]
    assert "ABC308" not in [d.code for d in abcparse.check(text)]


def test_the_safe_fix_writes_the_repeat_sign_and_keeps_the_music() -> None:
    result = fix_text(TUNE)
    assert result.text == TUNE.replace("c4|\n", "c4|:\n")
    assert pitches(result.text) == pitches(TUNE)
    assert not abcparse.check(result.text)


@peer.needs_both_players
def test_after_the_fix_both_players_play_what_the_engine_plays() -> None:
    assert peer.players_agree(fix_text(TUNE).text) == (True, True)
    assert not peer.players_agree(TUNE)[0]  # abc2midi loses the B part's [1
