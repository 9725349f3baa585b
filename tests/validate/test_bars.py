"""Bar durations (ABC301): what counts, and which short bars are music, not mistakes.

Each accepted case is a pattern found in the MIT Irish or Nottingham tunes; each rejected
one a mistake a person (or a generator) makes.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

import abcparse
from abcparse.music import timeline


def bar_findings(body: str, meter: str = "4/4", unit: str = "1/8") -> list[tuple[int, int]]:
    head = "X:1\nT:t\n" + (f"M:{meter}\n" if meter else "") + (f"L:{unit}\n" if unit else "")
    text = head + "K:C\n" + body + "\n"
    offset = text[: text.index("K:C")].count("\n") + 1  # line of K:
    return [(d.line - offset, d.col) for d in abcparse.check(text, select="ABC301")]


def durations(body: str, meter: str = "4/4", unit: str = "1/8") -> list[Fraction]:
    tune = abcparse.parse(f"X:1\nT:t\nM:{meter}\nL:{unit}\nK:C\n{body}\n").tunes[0]
    tl = timeline(tune)
    return [tl.whole(b.ticks) for b in tl.voices[0].bars if b.content]


# --- what takes time -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "meter", "unit", "expected"),
    [
        ("abcd|a2b2|a4|a8|", "4/4", "1/8", ["1/2", "1/2", "1/2", "1"]),
        ("a/b/c/d/ a//b//|", "4/4", "1/8", ["5/16"]),
        ("a3/2b/2|", "4/4", "1/8", ["1/4"]),
        # §4.4 broken rhythm: > dots the first note and halves the second; >> and <.
        ("a>b c<d|a>>b|a<<<b|", "4/4", "1/8", ["1/2", "1/4", "1/4"]),
        # §4.12: grace notes take no time and let broken rhythm through.
        ("a<{g}a {ag}b2|", "4/4", "1/8", ["1/2"]),
        # §4.13 tuplets: (3 is 3 in the time of 2; (2 is 2 in 3; (3:2:2 covers 2 notes.
        ("(3abc d2|(2ab c|(3:2:2 G2A B2|", "4/4", "1/8", ["1/2", "1/2", "1/2"]),
        # (5 in compound time is 5 in the time of 3, otherwise of 2.
        ("(5abcde d|", "6/8", "1/8", ["1/2"]),
        ("(5abcde|", "2/4", "1/8", ["1/4"]),
        # Rests count as tuplet notes.
        ("(3azc d2|", "4/4", "1/8", ["1/2"]),
        # §4.17 chords: the first note's length times the length after ]; [C2E2G2]3 = [CEG]6.
        ("[CEG]2 [C2E2G2]3|[CE2G2]|", "4/4", "1/8", ["1", "1/8"]),
        # Inline unit and meter changes; spacers, decorations, symbols take nothing.
        ("ab [L:1/16] abcd|y !trill!a2 \"Am\"b2 .c4|", "4/4", "1/8", ["1/2", "1/2"]),
        # §7.4: after & the notes overlay the bar; only the first layer counts.
        ("abcd & ABCD|", "4/4", "1/8", ["1/2"]),
    ],
)
def test_durations(body: str, meter: str, unit: str, expected: list[str]) -> None:
    assert durations(body, meter, unit) == [Fraction(e) for e in expected]


def test_meter_change_keeps_unit_length() -> None:
    """§3.1.7: "A meter change within the body of the tune will not change the unit note
    length" (the Nottingham tune Valentine breaks this; abc2midi agrees it is wrong)."""
    body = "abc def|abc def|\nM:4/4\nL:1/4\nabcd|abcd|\nM:6/8\nabc def|abc def|]"
    assert bar_findings(body, "6/8", "1/8") == [(6, 1), (6, 9)]


# --- what is not measured --------------------------------------------------------------


def test_free_meter_is_not_measured() -> None:
    assert bar_findings("abc|abcdefg|a|", meter="none") == []
    assert bar_findings("abc|abcdefg|a|", meter="") == []  # §3.1.6: no M: is free meter


def test_multi_measure_rests_and_errors_are_not_measured() -> None:
    assert bar_findings("abcd efga|Z4|abcd efga|]") == []
    assert bar_findings("abcd efga|ab 3 c|abcd efga|]") == []  # ABC101 in the middle bar


# --- short bars that are music ---------------------------------------------------------


def test_pickup_and_closing_bars() -> None:
    assert bar_findings("AB|cdef gabc|cdef g2:|") == []
    assert bar_findings("AB|cdef gabc|cdef gabc|c6|]") == []


def test_pickup_after_section_start() -> None:
    # The A part ends short, the B part starts with the missing notes (irish.abc X:1).
    body = "(3ABc|dAFA DFAd|fdcd FAdf|gfge fefd|(3efe dc d2:|\nAG|FAdA FAdA|GBdB GBdB|Acec d2:|"
    assert bar_findings(body, "C|") == []
    assert bar_findings("cdef gabc|cdef gabc||AB|cdef gabc|]") == []
    assert bar_findings("|:cdef gabc|c6:|\n|:AB|cdef gabc|cdef g2:|") == []


def test_part_label_starts_a_section() -> None:
    assert bar_findings("ABc|d2 cB A2 GF|E4 D2:|\nP:B\nde|f2 ed c2 BA|d6|]", "4/4") == []


def test_variant_endings_complete_the_bar_before() -> None:
    # irish.abc X:41: "c2A2 A2|[1 fg|..." and "[2 (3ABc|...".
    body = "(3ABc|d2AF d2AF|c2A2 A2|[1 fg|afdg faa2:|[2 (3ABc|d2dc d2|]"
    assert bar_findings(body, "C|") == []
    assert bar_findings("|:GAB cBA|GAB c2|1 d:|2 c|]", "6/8") == []


def test_bar_split_by_a_line_end() -> None:
    # irish.abc X:311: "...efdB A3|" then "e|faaf ..." on the next line.
    body = "c|d3c defd|efdB A3|\ne|faaf gefd|efdB A3|\ne|faaf gefd|efdB A3|]"
    assert bar_findings(body) == []


def test_bar_split_by_a_part_label_and_continuation() -> None:
    # Nottingham morris.abc: "F2F \\" then "P:*" then "A2G F2C|" is one bar of 9/8.
    body = "C|\\\nP:A\nF2F AGF A2C|F2F \\\nP:*\nA2G F2C|F2F AGF A2C|F3 F6:|"
    assert bar_findings(body, "9/8") == []


# --- mistakes --------------------------------------------------------------------------


def test_overfull_and_short_bars_inside_a_section() -> None:
    assert bar_findings("cdef gabc|cdef gabc A|cdef gabc|]") == [(1, 11)]
    assert bar_findings("cdef gabc|cdef gab|cdef gabc|cdef gabc|]") == [(1, 11)]


def test_short_bar_before_a_repeat_that_no_pickup_completes() -> None:
    # Pickup of 2/8 but the bar before :| lasts 5/8: the repeat loses an eighth.
    assert bar_findings("AB|cdef gabc|cdef g:|cdef gabc|]") == [(1, 14)]


def test_ending_that_does_not_complete_the_bar() -> None:
    assert bar_findings("cdef gabc|cdef ga|[1 bc|cdef gabc:|[2 b|cdef gabc|]") == [(1, 39)]


def test_each_voice_is_measured() -> None:
    text = "X:1\nT:t\nM:2/4\nL:1/8\nK:C\nV:1\ncdef|gabc|cdef|]\nV:2\nC2E2|G2c|C2E2|]\n"
    found = abcparse.check(text, select="ABC301")
    assert [(d.line, d.col) for d in found] == [(9, 6)]
    assert "voice 2" in found[0].message
