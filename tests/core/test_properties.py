"""Hypothesis properties of the parser, on random Unicode text, on ABC-shaped text built
from fragments of the standard, on random bytes, and on corpus tunes with random edits:

- ``parse`` never raises (bad ABC gives diagnostics, never an exception);
- ``parse(t).to_text() == t``, and decoding bytes then ``to_bytes()`` gives the bytes;
- each tune's lossless tree re-joins to the tune's text;
- the fast LALR driver and Lark's own parser build the same tree.

The default run keeps example counts small (the whole module takes seconds); ``-m slow``
runs the same properties with many more examples.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import lark
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import abcparse
from abcparse.parser import ParseFailure, line_parser
from abcparse.source import decode

from .corpora import tune_texts

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------------------------------
# Strategies

NEWLINES = st.sampled_from(["\n", "\n", "\n", "\r\n", "\r"])


def _note() -> st.SearchStrategy[str]:
    return st.builds(
        lambda acc, pitch, octave, length: acc + pitch + octave + length,
        st.sampled_from(["", "", "", "^", "^^", "_", "__", "="]),
        st.sampled_from(list("CDEFGABcdefgab")),
        st.sampled_from(["", "", "'", "''", ",", ",,", ",'"]),
        st.sampled_from(["", "", "2", "3", "/", "//", "/2", "3/2", "/4", "7", "16"]),
    )


MUSIC_FRAGMENTS = st.one_of(
    _note(),
    _note(),
    st.sampled_from(
        [
            "|",
            "||",
            "|]",
            "[|",
            "|:",
            ":|",
            "::",
            ":|:",
            ".|",
            "[|]",
            "|1",
            ":|2",
            "[1",
            "[2",
            "[1,3",
            "[1-3",
            "z",
            "z2",
            "x/",
            "Z",
            "Z4",
            "X2",
            "(",
            ")",
            ".(",
            ".)",
            "-",
            ".-",
            ">",
            "<",
            ">>",
            "(3",
            "(3:2:4",
            "(5::2",
            "[",
            "]",
            "]2",
            "{",
            "{/",
            "}",
            "!trill!",
            "!fermata!",
            "+trill+",
            "!",
            "~",
            ".",
            "H",
            "T",
            "u",
            "v",
            '"Am7/G"',
            '"^above"',
            '"_below"',
            '"<(',
            '">)"',
            '"@x"',
            '"',
            "[K:G]",
            "[M:3/4]",
            "[L:1/16]",
            "[Q:1/4=90]",
            "[V:2]",
            "[r:remark]",
            "[I:x y]",
            "y",
            "y2",
            "`",
            "$",
            "&",
            "\\",
            " ",
            " ",
            "  ",
            "\t",
            "% comment",
            "#",
            "*",
            ";",
            "?",
            "@",
            "é",
            "\u00a0",
            "\x00",
            "\ufeff",
        ]
    ),
)
MUSIC_LINE = st.lists(MUSIC_FRAGMENTS, min_size=1, max_size=24).map("".join)
FIELD_LINE = st.one_of(
    st.sampled_from(
        [
            "T:Title",
            "T:",
            "C:Composer",
            "M:6/8",
            "M:C|",
            "M:(2+3+2)/8",
            "M:none",
            "M:7/",
            "L:1/8",
            "L:1/16",
            "L:3/7",
            "Q:1/4=120",
            'Q:"Allegro" 1/4=120',
            "Q:x",
            "P:(AB)2C",
            "P:((",
            "R:reel",
            'V:1 clef=bass name="A"',
            "V:",
            "U:T=!trill!",
            'U:p="^+"',
            "I:linebreak $",
            "I:decoration +",
            "I:abc-version 2.1",
            "w:la-la_ *|",
            "w:",
            "W:words",
            's:!p! * "C"',
            "+:more",
            "N:note",
            "H:history",
            "r:remark",
            "%%MIDI program 1",
            "%comment",
            "J:unknown",
            "K:G",
            "K:Am",
            "K:D exp ^f",
            "K:Hp",
            "K:",
            "K:bass",
            "K:Q#",
        ]
    ),
    st.builds(
        lambda letter, value: f"{letter}:{value}",
        st.sampled_from(list("ABCKLMPQTVw")),
        st.text(max_size=12),
    ),
)
BLOCK = st.just("%%begintext\nX:9 inside a block\n%%endtext")


@st.composite
def abc_text(draw: Callable[..., Any]) -> str:
    """A tunebook built from ABC fragments: maybe a version line and a file header, then
    tunes (X:, header fields, K:, music, fields in the body) and free text, with random
    line ends and blank lines, and sometimes the rules broken."""
    nl = draw(NEWLINES)
    blocks: list[str] = []
    if draw(st.booleans()):
        blocks.append(draw(st.sampled_from(["%abc-2.1", "%abc", "%abc-2.0"])))
    if draw(st.booleans()):
        blocks.append(nl.join(draw(st.lists(FIELD_LINE, min_size=1, max_size=4))))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["tune", "tune", "tune", "text", "block"]))
        if kind == "text":
            blocks.append(draw(st.text(min_size=1, max_size=30)))
            continue
        if kind == "block":
            blocks.append(draw(BLOCK))
            continue
        lines = [f"X:{draw(st.integers(0, 99))}"]
        lines += draw(st.lists(FIELD_LINE, max_size=5))
        if draw(st.integers(0, 9)):
            lines.append(draw(st.sampled_from(["K:G", "K:D", "K:Am", "K:none", "K:C clef=bass"])))
        lines += draw(st.lists(st.one_of(MUSIC_LINE, MUSIC_LINE, FIELD_LINE), max_size=8))
        blocks.append(nl.join(lines))
    sep: str = draw(st.sampled_from([nl + nl, nl + nl, nl, nl + " " + nl, nl + nl + nl]))
    end: str = draw(st.sampled_from(["", nl]))
    return sep.join(blocks) + end


@functools.cache
def _corpus() -> list[str]:
    return tune_texts()


@st.composite
def edited_corpus_tune(draw: Callable[..., Any]) -> str:
    """A corpus tune with a few random insertions, deletions and replacements."""
    text: str = draw(st.sampled_from(_corpus()))
    for _ in range(draw(st.integers(0, 6))):
        if not text:
            break
        pos = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.one_of(MUSIC_FRAGMENTS, st.sampled_from(["\n", "\n\n", "\r", "X:", "K:"])))
        end = min(len(text), pos + draw(st.integers(1, 8)))
        if action == "insert":
            text = text[:pos] + piece + text[pos:]
        elif action == "delete":
            text = text[:pos] + text[end:]
        else:
            text = text[:pos] + piece + text[end:]
    return text


# ---------------------------------------------------------------------------------------
# Checks


def _leaves(tree: Any) -> str:
    out: list[str] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, lark.Tree):
            stack.extend(reversed(node.children))
        else:
            out.append(node.group())
    return "".join(out)


def _shape(node: Any) -> Any:
    if isinstance(node, lark.Tree):
        return (str(node.data), tuple(_shape(c) for c in node.children))
    if isinstance(node, lark.Token):
        return (node.type, str(node), node.start_pos)
    return (node.lastgroup, node.group(), node.start())


def check_text(text: str, *, differential: bool = True) -> None:
    """Everything the parser promises about ``text``."""
    book = abcparse.parse(text)  # must not raise
    assert book.to_text() == text
    parser = line_parser()
    for tune in book.tunes:
        assert text[tune.span.start : tune.span.end] == tune.to_text()
        for start in ("tune", "lines"):
            try:
                tree = parser.parse(tune.text, start)
            except ParseFailure:
                assert start == "tune", "the 'lines' start must accept any tune text"
                tree = None
            if tree is not None:
                assert _leaves(tree) == tune.text
            if differential:
                try:
                    reference: Any = _shape(parser.reference_parse(tune.text, start))
                except lark.exceptions.LarkError:
                    reference = None
                assert (None if tree is None else _shape(tree)) == reference
    for mode in ("strict", "loose"):
        assert abcparse.parse(text, mode=mode).to_text() == text


# ---------------------------------------------------------------------------------------
# Properties, default run


@FAST
@given(st.text(max_size=200))
def test_random_text(text: str) -> None:
    check_text(text)


@FAST
@given(
    st.text(
        alphabet=st.sampled_from(list("XKT:|[]{}()!+\"%\\ \n\r\tabcABC,'^_=/23<>-.&$")),
        max_size=120,
    )
)
def test_random_abc_characters(text: str) -> None:
    """Random strings over the characters that mean most in ABC, tune starts included."""
    check_text("X:1\nK:C\n" + text)
    check_text(text)


@FAST
@given(abc_text())
def test_abc_shaped_text(text: str) -> None:
    check_text(text)


@FAST
@given(edited_corpus_tune())
def test_edited_corpus_tunes(text: str) -> None:
    check_text(text)


@FAST
@given(
    st.binary(max_size=200),
    st.sampled_from(
        [b"", b"\xef\xbb\xbf", b"I:abc-charset iso-8859-1\n\n", b"%%abc-charset latin-9\n\n"]
    ),
)
def test_bytes_round_trip(data: bytes, prefix: bytes) -> None:
    """Any bytes decode without an exception, and encode back to the same bytes."""
    source, _ = decode(prefix + data)
    assert source.to_bytes() == prefix + data
    abcparse.parse(source.text)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10**6))
def test_corpus_tunes(index: int) -> None:
    """parse(t).to_text() == t on corpus tunes, one tune at a time (every file as a whole
    is checked by test_corpus.py)."""
    texts = _corpus()
    check_text(texts[index % len(texts)], differential=False)


# ---------------------------------------------------------------------------------------
# The same with many more examples: pytest -m slow tests/core/test_properties.py


@pytest.mark.slow
@SLOW
@given(st.text(max_size=400))
def test_random_text_slow(text: str) -> None:
    check_text(text)


@pytest.mark.slow
@SLOW
@given(abc_text())
def test_abc_shaped_text_slow(text: str) -> None:
    check_text(text)


@pytest.mark.slow
@SLOW
@given(edited_corpus_tune())
def test_edited_corpus_tunes_slow(text: str) -> None:
    check_text(text)
