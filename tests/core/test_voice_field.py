"""The V: field read loosely (§7.1): spaces around a property's ``=`` are read as abc2midi
and abcjs read them, and a value whose properties cannot be read still switches voice,
so no voice's notes run on into another's."""

from __future__ import annotations

import pytest

import abcparse
from abcparse.build import FieldError, read_voice

HEAD = "X:1\nT:t\nM:3/8\nL:1/8\nK:F\nV:1\nccf|\n"


@pytest.mark.parametrize("value", ["2 clef = bass", "2 clef= bass", "2 clef =bass"])
def test_spaces_around_the_equals_sign_are_read(value: str) -> None:
    assert read_voice(value) == ("2", (("clef", "bass"),), ())


def test_quoted_text_keeps_its_spaces() -> None:
    assert read_voice('T1 name = "a = b" clef=treble') == (
        "T1", (("name", "a = b"), ("clef", "treble")), ())


def test_an_unreadable_value_still_names_its_voice() -> None:
    with pytest.raises(FieldError) as caught:
        read_voice('2 nm="abc')
    assert caught.value.recovered == ("2", (), ())


@pytest.mark.parametrize("line", ["V:2 clef = bass", 'V:2 nm="abc', "[V:2 clef = bass]"])
def test_the_music_after_the_field_is_in_that_voice(line: str) -> None:
    """Two voices that sound together: the second's A, F, A under the first's c c f (the
    notes used to run on after voice 1's when the field was dropped)."""
    tune = abcparse.parse(HEAD + line + "\nA,F,A,|\n").tunes[0]
    assert [v.id for v in tune.voices] == ["1", "2"]
    onsets = sorted((float(e.onset), e.pitch) for e in tune.events())
    assert [o for o, _ in onsets] == [0, 0, 0.5, 0.5, 1, 1]


def test_the_fix_keeps_the_voice_and_drops_what_cannot_be_read() -> None:
    text = HEAD + 'V:2 nm="abc\nA,F,A,|\n'
    fixed = abcparse.repair(text, unsafe=True, warnings=True).text
    assert "\nV:2\nA,F,A,|\n" in fixed
