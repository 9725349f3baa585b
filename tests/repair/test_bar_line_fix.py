"""ABC301: an overfull bar gets the bar line it lacks before it loses a note (issue 13,
item 3: prefer fixes that add over fixes that delete).

The Nottingham originals hold bars such as ``|d/2c/2\\`` + ``!segno! "G"B2B Bgf|``: a
pickup written into the first bar. ``--fix --unsafe-fixes`` used to delete the ``f``;
the fixer now puts the bar line where the notes fall on the bar's boundary, when the tune
then reads with every bar fitting (the pickup explained) and every note sounding as
before, which makes it a safe fix that ``--fix`` applies too.
"""

from __future__ import annotations

import pytest

import abcparse

HEAD = "X:1\nT:t\nM:6/8\nL:1/8\nK:G\n"


def _notes(text: str) -> list[tuple[int, object, object]]:
    return [(e.pitch, e.onset, e.duration) for t in abcparse.parse(text).tunes
            for e in t.events(grace="steal")]


@pytest.mark.parametrize("unsafe", [False, True])
def test_a_pickup_written_into_the_first_bar_gets_its_bar_line(unsafe: bool) -> None:
    text = HEAD + "d/c/ B2B Bgf|e2e efg|ded dcB|]\n"
    r = abcparse.repair(text, target="loose", warnings=True, unsafe=unsafe)
    assert r.text == HEAD + "d/c/| B2B Bgf|e2e efg|ded dcB|]\n"
    (edit,) = r.edits
    assert edit.code == "ABC301" and edit.is_safe and edit.new == "|"
    assert "boundary" in edit.why
    assert not r.after and _notes(r.text) == _notes(text)


def test_the_nottingham_case_across_a_line_continuation_and_a_part_label() -> None:
    """jigs.abc X:4 as published: the bar line goes after the pickup, before the ``\\``
    that continues the line, so ``P:A`` starts the bar it labels."""
    text = ("X:4\nT:t\nM:4/4\nK:G\nM:6/8\n|d/2c/2\\\nP:A\n!segno! \"G\"B2B Bgf|\"C\"e2e efg|"
            "\"G\"ded \"Em\"dcB|\"Am\"cAA \"D7\"Adc|\n")
    r = abcparse.repair(text, target="loose", warnings=True)
    assert "|d/2c/2|\\\nP:A\n!segno! \"G\"B2B Bgf|" in r.text
    assert [d.code for d in r.after] == [] and _notes(r.text) == _notes(text)


@pytest.mark.parametrize("unsafe", [False, True])
def test_a_bar_line_that_would_end_an_accidental_writes_it_out_after_it(unsafe: bool) -> None:
    """``^f`` reaches the later f's of its bar (§4.2; in every octave, §11.3's default):
    a bar line after the pickup alone would make them natural. The fix writes the sharp
    out on the first f after the new bar line, which carries it on to the others, so
    every note sounds as before and the fix is safe."""
    text = HEAD.replace("K:G", "K:C") + "^f/e/ f2f fgF|e2e efg|ded dcB|]\n"
    r = abcparse.repair(text, target="loose", warnings=True, unsafe=unsafe)
    assert r.text == HEAD.replace("K:G", "K:C") + "^f/e/| ^f2f fgF|e2e efg|ded dcB|]\n"
    assert [(e.code, e.new, e.is_safe) for e in r.edits] == [
        ("ABC301", "|", True), ("ABC301", "^", True)]
    assert not r.after and _notes(r.text) == _notes(text)


@pytest.mark.parametrize(("key", "bar", "fixed"), [
    # Essen's shape: bars end at line ends, one bar line left out; a flat before it.
    ("G", "c2 _B2\nB2 d2", "c2 _B2|\n_B2 d2"),
    # A natural against the key's sharp, a double sharp, and one that needs no mark.
    ("D", "A2 =F2\nF2 d2", "A2 =F2|\n=F2 d2"),
    ("C", "c2 ^^F2\nF2 d2", "c2 ^^F2|\n^^F2 d2"),
    ("G", "c2 ^F2\nF2 d2", "c2 ^F2|\nF2 d2"),
    # Two letters carried; a note tied across keeps its pitch by the tie (§4.11).
    ("C", "_B2 ^c2\nB c c2 d", "_B2 ^c2|\n_B ^c c2 d"),
    ("C", "c2 _B2-\nB2 d2", "c2 _B2-|\nB2 d2"),
])
def test_a_missing_bar_line_at_a_line_end_keeps_the_accidentals(key: str, bar: str,
                                                                  fixed: str) -> None:
    head = "X:1\nT:t\nM:4/4\nL:1/4\nK:" + key + "\n"
    text = head + "G2 A2 | " + bar + " | G4 |]\n"
    r = abcparse.repair(text, target="loose", warnings=True)
    assert r.text == head + "G2 A2 | " + fixed + " | G4 |]\n"
    assert all(e.is_safe for e in r.edits) and not r.withdrawn
    assert _notes(r.text) == _notes(text)


def test_no_accidental_is_written_where_the_key_changes_in_the_body() -> None:
    """The key in force is the engine's place-by-place reading; where a ``K:`` in the
    body changes it, the fixer does not guess the mark, and the bar line is not added."""
    text = "X:1\nT:t\nM:4/4\nL:1/4\nK:C\nG2 A2 | [K:F] c2 =B2\nB2 d2 | G4 |]\n"
    r = abcparse.repair(text, target="loose", warnings=True)
    assert _notes(r.text) == _notes(text)
    assert all(e.new != "^" and e.new != "_" for e in r.edits)


def test_a_bar_line_that_leaves_a_short_bar_unexplained_is_not_added() -> None:
    """One eighth too many in the middle of a tune: a bar line before it would leave a
    one-note bar no pickup explains, so the unsafe fix still trims (the guess the report
    names: docs/repair.md)."""
    text = HEAD + "GAB cBA|GAB cBA c|GAB cBA|]\n"
    r = abcparse.repair(text, target="loose", warnings=True, unsafe=True)
    assert r.text == HEAD + "GAB cBA|GAB cBA|GAB cBA|]\n"
    assert [e.code for e in r.edits] == ["ABC301"] and not r.edits[0].is_safe


def test_a_tie_between_different_pitches_becomes_a_slur_and_no_tie_is_dropped() -> None:
    """Nottingham writes slurs as ties (``B-c``): the safe fix writes the slur (§4.11), the
    notes sound as before; a tie inside a chord stays, reported. (A tie to nothing is
    the one tie a fix deletes, and only an unsafe one.)"""
    text = HEAD.replace("K:G", "K:Bb") + 'B-c|"Bb"dBF DFB-|dBF DFE-|"Bb"DFB dcB|\n'
    r = abcparse.repair(text, target="loose", warnings=True)
    assert r.text.endswith('(Bc)|"Bb"dBF DF(B|d)BF DF(E|"Bb"D)FB dcB|\n')
    assert all(e.code == "ABC321" and e.is_safe for e in r.edits)
    assert not r.after and _notes(r.text) == _notes(text)
    kept = HEAD + "c4 z2|[c-e]d B2|]\n"
    r = abcparse.repair(kept, target="loose", warnings=True, unsafe=True)
    assert r.text.count("-") == 1 and "ABC321" in {d.code for d in r.after}


def test_an_unreadable_field_is_commented_out_not_deleted() -> None:
    text = 'X:12\nT:Cuillin Reel\nP:"AAAABB"\nM:4/4\nL:1/4\nK:G\n|:gd/2g/2 B/2g/2d/2g/2:|\n'
    r = abcparse.repair(text, target="loose", warnings=True, unsafe=True)
    assert r.text == text.replace('P:"AAAABB"', '%P:"AAAABB"')
    assert not r.after
