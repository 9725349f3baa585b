"""Note lengths and unit note lengths as exports write them (§4.3 sets no limit on a
length's numbers, §3.1.7 lists the units 1/1 to 1/512). Maestro, which writes ABC for a
game's music player from recorded performances, writes ``z362535/211267`` and
``L:1/1875000``; abc2midi and abcjs both read them as written. Lengths were cut at five
digits (the sixth read as a stray character, the F sharp below played 2.5 hours late)
and such a unit was ignored for L:1/8."""

from __future__ import annotations

from fractions import Fraction

import abcparse
from abcparse.events import perform
from abcparse.model import Note

HEAD = "X:1\nT:t\nM:4/4\nL:1/8\nQ:1/4=120\nK:C\n"


def onsets(text: str) -> list[tuple[Fraction, int]]:
    return [(n.onset, n.pitch) for n in perform(abcparse.parse(text).tunes[0]).notes]


def test_a_length_of_six_digits_is_read_whole() -> None:
    tune = abcparse.parse(HEAD + "C100000 D|\n").tunes[0]
    notes = [e for bar in tune.bars for e in bar.elements if isinstance(e, Note)]
    assert [n.length for n in notes] == [100000, 1]
    assert "ABC101" not in [d.code for d in abcparse.check(HEAD + "C100000 D|\n")]


def test_maestro_lengths_place_the_notes_where_the_players_do() -> None:
    # abcjs puts the F sharp 0.2145 whole notes in: 362535/211267 eighths.
    text = HEAD + "z362535/211267 ^F60000/211267 z151267/211267 [CA]60000/211267 c|\n"
    first = onsets(text)[0]
    assert first[1] == 66
    assert first[0] == onsets(HEAD + "z362535/211267 ^F|\n")[0][0]
    assert [d.code for d in abcparse.check(text) if d.code.startswith("ABC1")] == []


def test_a_unit_length_the_standard_does_not_list_is_read_as_written() -> None:
    text = "X:1\nT:t\nM:4/4\nL:1/1875000\nK:C\nz1875000 C937500 D937500|\n"
    (found,) = [d for d in abcparse.check(text) if d.code == "ABC231"]
    assert found.severity is abcparse.Severity.WARNING and (found.line, found.col) == (4, 3)
    assert abcparse.parse(text).tunes[0].header.unit_length == Fraction(1, 1875000)
    # The same music in eighths: C on beat 5 (a whole note in), D half a note later.
    assert onsets(text) == onsets("X:1\nT:t\nM:4/4\nL:1/8\nK:C\nz8 C4 D4|\n")


def test_an_unlisted_unit_in_the_body_and_the_file_header_is_read_too() -> None:
    body = "X:1\nT:t\nM:4/4\nL:1/8\nK:C\nC2 [L:1/6] C2|\n"
    assert [d.code for d in abcparse.check(body) if d.code == "ABC231"] == ["ABC231"]
    assert onsets(body) == onsets("X:1\nT:t\nM:4/4\nL:1/24\nK:C\nC6 C8|\n")
    header = "L:1/6\n\nX:1\nT:t\nM:4/4\nK:C\nC2 C2|\n"
    assert onsets(header) == onsets("X:1\nT:t\nM:4/4\nL:1/24\nK:C\nC8 C8|\n")
