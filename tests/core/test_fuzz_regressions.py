"""Crashes found by fuzzing (fuzz/) and by the reliability review of issue 15, each with its
minimal input, so they stay fixed.

Crashes in code owned elsewhere are ``xfail(strict=True)``, with the file to fix in the
reason: the test documents the bug without breaking the build, and turns red (XPASS) the
day the fix lands, so the marker is removed then.
"""

from __future__ import annotations

import contextlib

import pytest

import abcparse
from abcparse.api import parse_bytes
from abcparse.midi import midi_bytes

HUGE_X = "X:" + "9" * 5000 + "\nT:t\nM:4/4\nL:1/4\nK:C\nCDEF|]\n"
SUPERSCRIPT_X = "X:\u00b2\nT:t\nM:4/4\nL:1/4\nK:C\nCDEF|]\n"


def no_rule_crashed(text: str) -> None:
    crashed = [d.message for d in abcparse.check(text) if d.code == "ABC901"]
    assert not crashed, crashed[0][:300]


# --- fixed here (source.py, midi.py, cli/midi.py) ------------------------------------------


@pytest.mark.parametrize("codec", ["base64", "zlib", "utf-16", "utf_16_be", "unicode_escape"])
def test_non_text_charset_is_read_as_utf8(codec: str) -> None:
    book = parse_bytes(f"%%abc-charset {codec}\n\nX:1\nT:\\xff\nK:C\nC|\n".encode() + b"\xe9")
    assert any(d.code == "ABC004" for d in book.diagnostics)


@pytest.mark.parametrize("text", [HUGE_X, SUPERSCRIPT_X])
def test_midi_of_an_unreadable_reference_number(text: str) -> None:
    tune = abcparse.parse(text).tunes[0]
    assert midi_bytes(tune).startswith(b"MThd")


def test_midi_title_outside_latin1() -> None:
    tune = abcparse.parse("X:1\nT:Tune \u2026 \u266b\nK:C\nC|\n").tunes[0]
    assert "Tune … ♫".encode() in midi_bytes(tune)


# --- crashes in code owned elsewhere (listed in issue 15's hand-over) --------------------------


@pytest.mark.parametrize("text", [HUGE_X, SUPERSCRIPT_X], ids=["5000-digits", "superscript"])
def test_reference_of_unreadable_x_is_none(text: str) -> None:
    assert abcparse.parse(text).tunes[0].reference is None


@pytest.mark.parametrize("text", [HUGE_X, SUPERSCRIPT_X], ids=["5000-digits", "superscript"])
def test_reference_rule_does_not_crash(text: str) -> None:
    no_rule_crashed(text)


def test_format_of_a_huge_reference_number() -> None:
    # A documented refusal (UnsafeFormattingError, an AbcError) is fine; ValueError is not.
    with contextlib.suppress(abcparse.AbcError):
        abcparse.format_str(HUGE_X)


# Found by fuzz_check (rule ABC103 crashed) and fuzz_events: a tie inside a chord before any
# of its notes shifts by -1.
TIE_FIRST_IN_CHORD = "X:\n[-"


def test_tie_before_the_first_note_of_a_chord_checks() -> None:
    no_rule_crashed(TIE_FIRST_IN_CHORD)
    found = abcparse.check("X:1\nK:C\n[-C]D|\n")
    assert [d.code for d in found] == ["ABC322"]  # a tie that follows no note


def test_tie_before_the_first_note_of_a_chord_plays() -> None:
    from abcparse.events import perform

    perform(abcparse.parse(TIE_FIRST_IN_CHORD).tunes[0])


# Found by fuzz_midi (in parse): an ending list with two dashes.
ENDING_TWO_DASHES = ["X:1\nK:C\n|1-5-7\n", "X:1\nK:C\n[1-2-3 C|\n"]


@pytest.mark.parametrize("text", ENDING_TWO_DASHES, ids=["bar", "bracket"])
def test_ending_list_with_two_dashes_parses(text: str) -> None:
    book = abcparse.parse(text)
    assert book.to_text() == text
