"""The grammars are what the design says: LALR(1) with a contextual lexer, building under
Lark's ``strict=True`` (no shift/reduce or reduce/reduce conflict resolved silently, and no
two terminals of a lexer state that can match the same text), and nothing ``%ignore``d in
the line grammar, so the tree keeps every character.
"""

from __future__ import annotations

import pytest

from abcparse.parser import FIELD_STARTS, LINE_STARTS, LineParser, build_field_lark, line_parser

pytest.importorskip("interegular", reason="Lark needs interegular to check terminal collisions")


def test_line_grammar_builds_strict() -> None:
    parser = LineParser(strict=True)
    options = parser.lark.options
    assert options.parser == "lalr"
    assert options.lexer == "contextual"
    assert options.strict is True
    assert set(LINE_STARTS) <= set(options.start)


def test_line_grammar_ignores_nothing() -> None:
    """Whitespace and comments are tokens: `to_text(parse(t)) == t` depends on it."""
    assert list(line_parser().lark.lexer_conf.ignore) == []


@pytest.mark.parametrize("start", sorted(FIELD_STARTS))
def test_field_grammar_builds_strict(start: str) -> None:
    parser = build_field_lark(start, strict=True)
    assert parser.options.parser == "lalr"
    assert parser.options.lexer == "contextual"


@pytest.mark.parametrize(
    ("start", "text"),
    [
        ("key_value", "D exp _b _e ^f clef=bass"),
        ("meter_value", "(2+3+2)/8"),
        ("length_value", "1/16"),
        ("tempo_value", '"Allegro" 1/4 3/8=40 "fast"'),
        ("parts_value", "((AB)3.(CD)3)2"),
        ("voice_value", 'T1 clef=treble-8 name="Tenore I" snm="T.I"'),
        ("user_value", 'p = "^+"'),
        ("instruction_value", "linebreak <EOL> $"),
        ("lyrics_value", "syll-a--ble time__ of~the~day a\\-b * |"),
        ("symbol_value", '"^slow" | !f! ** !fff!'),
    ],
)
def test_field_grammar_reads_standard_examples(start: str, text: str) -> None:
    """Each field start symbol reads a value from the standard's own examples."""
    build_field_lark(start).parse(text)
