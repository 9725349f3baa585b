"""The builder's fast constructors make the same frozen objects as the dataclasses do."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

import abcparse
from abcparse.build import fast_constructor, read_key, read_meter, read_tempo, with_span
from abcparse.diagnostics import pack_span, unpack_span
from abcparse.model import BarKind, BarLine, Note

SPAN = abcparse.Span(1, 2, 1, 4, 10, 12)


@pytest.mark.parametrize(
    ("cls", "args"),
    [
        (Note, ("C", 1, abcparse.Accidental.SHARP, Fraction(3, 2), SPAN)),
        (BarLine, (":|", BarKind.SINGLE, 1, 0, (1,), SPAN)),
        (abcparse.ChordSymbol, ("Am7/G", SPAN)),
        (abcparse.LineBreak, ("eol", SPAN)),
    ],
)
def test_same_object_as_the_dataclass(cls: type, args: tuple[object, ...]) -> None:
    fast = fast_constructor(cls)(*args)
    slow = cls(*args)
    assert type(fast) is cls
    assert fast == slow and hash(fast) == hash(slow)
    assert [getattr(fast, f.name) for f in dataclasses.fields(cls)] == list(args)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.span = SPAN


def test_parsed_notes_are_ordinary_notes() -> None:
    tune = abcparse.parse("X:1\nK:C\n^c'3/2 A,|\n").tunes[0]
    notes = tune.bars[0].notes
    assert notes == (
        Note("C", 2, abcparse.Accidental.SHARP, Fraction(3, 2)),
        Note("A", -1, None, Fraction(1)),
    )
    assert notes[0].span == abcparse.Span(3, 1, 3, 7, 8, 14)


@pytest.mark.parametrize("span", [SPAN, pack_span(*SPAN), abcparse.Span(1, 1, 3, 5, 0, 40)])
def test_with_span_is_replace(span: object) -> None:
    """with_span (the header's typed values get their field's span) gives what
    dataclasses.replace gives, whether the span is stored packed or as a Span."""
    values = (read_key("Bb mix clef=bass ^f"), read_meter("2+3/8"),
              read_tempo('"Allegro" 1/4=120', Fraction(1, 8)))
    for value in values:
        made = with_span(value, span)
        assert type(made) is type(value)
        assert made == dataclasses.replace(value, span=unpack(span))
        assert made.span == unpack(span)
        assert [getattr(made, f.name) for f in dataclasses.fields(value) if f.name != "span"] \
            == [getattr(value, f.name) for f in dataclasses.fields(value) if f.name != "span"]
        with pytest.raises(dataclasses.FrozenInstanceError):
            made.span = SPAN  # type: ignore[misc]


def unpack(span: object) -> abcparse.Span:
    return span if isinstance(span, abcparse.Span) else unpack_span(span)  # type: ignore[arg-type]
