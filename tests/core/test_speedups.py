"""The compiled note loops (``abcparse/_speedups.c``) against the pure-Python path (issue 16).

The extension is optional: a machine without a C compiler installs abcparse without it
and parses in pure Python. Both paths must build the same model, spans and findings
included. These tests parse every corpus file, generated music and hostile lines both
ways, and hold the compiled NOTE reader to the grammar's own terminal. They skip where
the extension was not built (``abcparse.speedups.active()``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import abcparse
from abcparse import speedups
from abcparse.parser import line_parser
from tests.core.corpora import ROOT, all_files

pytestmark = pytest.mark.skipif(not speedups.active(),
                                reason="the C extension is not built (no compiler at install)")

FILES = all_files() + sorted((ROOT / "tests" / "fixtures").rglob("*.abc"))
SOME = {str(f) for f in all_files()[:3]} | {str(f) for f in FILES if "fixtures" in str(f)}
CASES = [pytest.param(f, id=f.name, marks=() if str(f) in SOME else pytest.mark.slow)
         for f in FILES]


def _pure(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("scan", "take_run", "block_cuts", "tune_piece", "header_line"):
        monkeypatch.setattr(speedups, name, None)


def _nodes(node: Any) -> Iterator[str]:
    """Every node of a model with its span, nested groups and bars included: what the
    two paths must agree on (a dataclass's ``==`` and ``repr`` leave spans out)."""
    yield f"{node.__class__.__name__} {node!r} {getattr(node, 'span', None)!r}"
    if dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if isinstance(value, tuple):
                for item in value:
                    if dataclasses.is_dataclass(item):
                        yield from _nodes(item)
            elif dataclasses.is_dataclass(value):
                yield from _nodes(value)
    for item in getattr(node, "items", ()) if not isinstance(node, tuple) else ():
        yield from _nodes(item)


def _model(book: abcparse.Tunebook) -> list[str]:
    out = [repr(d) + repr(d.span) for d in book.diagnostics]
    for tune in book.tunes:
        out += list(_nodes(tune))
        for voice in tune.voices:
            for bar in voice.bars:
                out += list(_nodes(bar))
    return out


def _both(text: str, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> tuple[list[str], list[str]]:
    native = _model(abcparse.parse(text, **kw))
    with monkeypatch.context() as m:
        _pure(m)
        pure = _model(abcparse.parse(text, **kw))
    return native, pure


@pytest.mark.parametrize("path", CASES)
def test_corpus_files_build_the_same_model(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = abcparse.parse_file(path).source.text  # type: ignore[union-attr]
    native, pure = _both(text, monkeypatch)
    assert native == pure


def test_the_compiled_path_is_the_one_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    """A guard for the tests above: a parse runs the compiled loops. Notes, spaces,
    chord symbols and bar lines that close a bar with music go through take_run; a bar
    line that opens the first bar is left to the Python path (end_bar's other case)."""
    real = speedups.take_run
    assert real is not None
    taken: list[int] = []

    def spy(children: list[Any], *rest: Any) -> tuple[int, int]:
        before = len(children)
        out = real(children, *rest)
        taken.append(before - len(children))
        return out

    monkeypatch.setattr(speedups, "take_run", spy)
    tune = abcparse.parse('X:1\nK:C\n|CD E"Am"F|GA|]\n').tunes[0]
    voice = tune.voices[0]
    assert [[e.__class__.__name__ for e in b.elements] for b in voice.bars] == [
        ["Note", "Note", "Note", "ChordSymbol", "Note"], ["Note", "Note"]]
    # All but the first |: C, D, the space, E, "Am", F, |, G, A and |].
    assert sum(taken) == 10


# Music lines from the characters that decide a token's end: accidentals, microtones,
# octave marks, lengths, slashes, and what a note borders on.
MUSIC = st.text(alphabet="^^__=ABCGabcg,,''0123456789//// |:[]\"x-().~<>{}!+%\\\t", max_size=60)


@settings(max_examples=400, deadline=None)
@given(lines=st.lists(MUSIC, min_size=1, max_size=4),
       mode=st.sampled_from(["loose", "strict"]))
def test_generated_music_builds_the_same_model(lines: list[str], mode: str) -> None:
    text = "X:1\nT:t\nM:6/8\nL:1/8\nK:G\n" + "\n".join(lines) + "\n"
    with pytest.MonkeyPatch.context() as mp:
        native, pure = _both(text, mp, mode=mode)
    assert native == pure


def test_long_lines_and_late_offsets_build_the_same_model(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the compact span layout's limits (a column past 511) and on a line of thousands
    of tokens (kept as a TokenRun past its first stretch), the compiled loops hand the
    notes back to Python."""
    tune = "X:%d\nT:t\nK:D\n" + "A^B,,2c'/d3/4 _/e^3/4f z|" * 60 + "\n" + "[CE]G{g}A (3ABc|" * 5
    text = "\n\n".join(tune % n for n in range(1, 40)) + "\n"
    native, pure = _both(text, monkeypatch)
    assert native == pure
    huge = "X:1\nK:C\n" + "abc def|" * 5000 + "\n"
    native, pure = _both(huge, monkeypatch)
    assert native == pure


# Per terminal the compiled loop reads (its kind in speedups.token_end): text from the
# characters that decide where such a token ends.
READERS = [
    ("NOTE", 0, "^_=ABGabg,'0123456789/ x"),
    ("WS", 1, " \ta"),
    ("QUOTED", 2, "\"\\ab\r\n^"),
    ("BAR", 3, "|:[].0123456789-,x"),
]


@pytest.mark.parametrize(("terminal", "kind", "alphabet"), READERS,
                         ids=[r[0] for r in READERS])
def test_token_end_is_the_grammars_terminal(terminal: str, kind: int, alphabet: str) -> None:
    """The compiled readers end where the grammar's regexes end, from every position, or
    find no token where they find none."""
    regex = re.compile(line_parser().terminals[terminal].pattern.to_regexp())
    assert speedups.token_end is not None
    token_end = speedups.token_end

    @settings(max_examples=1500, deadline=None)
    @given(st.text(alphabet=alphabet, min_size=1, max_size=140 if kind == 1 else 24))
    def agree(text: str) -> None:
        for pos in range(len(text)):
            m = regex.match(text, pos)
            assert token_end(text, pos, kind) == (m.end() if m else -1), (text, pos)

    agree()


@settings(max_examples=3000, deadline=None)
@given(text=st.text(alphabet="X: \t\r\na%begin\x0c\x85", max_size=24), x=st.booleans(),
       state=st.tuples(st.booleans(), st.booleans()))
def test_the_splitters_passes_are_its_python(text: str, x: bool, state: tuple[bool, bool]
                                              ) -> None:
    """Where a block is cut into pieces, and where a piece's tune chunk ends: the compiled
    passes answer as the splitter's Python (abcparse.split) does, in any state."""
    from abcparse import split

    block_cuts, tune_piece = speedups.block_cuts, speedups.tune_piece
    assert block_cuts is not None and tune_piece is not None
    if x:
        text = "X:" + text
    assert tune_piece(text) == split._tune_piece_end(text)
    if text:  # a block is never empty
        compiled = block_cuts(text, *state)
        speedups.block_cuts = None
        try:
            assert compiled == split._block_cuts(text, *state)
        finally:
            speedups.block_cuts = block_cuts


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="XKTabg:|+ \t\r\n%\\egin", max_size=24))
def test_the_header_line_reader_is_the_header_regex(text: str) -> None:
    """A tune header line (build.TuneBuilder.header_lines), from every position: the
    compiled reader gives what the regex made of the grammar's terminals gives, or leaves
    the line to it (None); it leaves only a %%begin line, a line the regex reads as no
    header line, and the text's end."""
    from abcparse import build

    assert speedups.header_line is not None
    scanner, groups = build._header_line_scanner()
    for pos in range(len(text) + 1):
        got = speedups.header_line(text, pos)
        m = scanner.match(text, pos)
        if got is not None:
            assert m is not None and m.end() > pos, (text, pos)
            assert got == build._header_line_of(m, groups), (text, pos)
        else:
            assert (pos == len(text) or text.startswith("%%begin", pos)
                    or m is None or m.end() == pos), (text, pos)


def test_the_loop_reads_a_token_only_where_its_terminal_is_tried_first() -> None:
    """The characters the compiled loops read themselves are those whose regex in the
    parser's state tries that terminal first: in a music line's loop, notes at their
    letters and accidentals, spaces, quoted text (through the closed-on-the-line
    scanner), bar lines at | : and . (not at [, where an inline field is tried first);
    in the LALR step's states, the same rule on each state's own table."""
    parser = line_parser()
    assert parser._native and parser._native_step
    names = {1: "NOTE", 2: "WS", 3: "QUOTED", 4: "BAR"}

    def first_terminal(rx: Any) -> str | None:
        full = getattr(rx, "full", rx)
        if not isinstance(full, re.Pattern):
            return None
        found = re.match(r"\(\?P<(\w+)>", full.pattern)
        return found.group(1) if found else None

    for state, mask in parser._native.items():
        pure = parser._loop_dispatch[state]
        for code, kind in enumerate(mask):
            first = first_terminal(pure.get(chr(code)))
            assert (names.get(kind) == first) if kind else first not in names.values()
        assert [chr(c) for c, k in enumerate(mask) if k] == sorted('ABCDEFGabcdefg^_=" \t|:.')
    for state, table in parser._lexers.items():
        mask = parser._native_step.get(state, bytes(128))
        for code, kind in enumerate(mask):
            first = first_terminal(table[code])
            assert (names.get(kind) == first) if kind else first not in names.values()
