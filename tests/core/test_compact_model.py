"""The compact model (issue 15: memory per input byte): packed spans and token runs must
change nothing a reader sees.

- Notes, bar lines and bars keep their span as one packed int (``diagnostics.pack_span``)
  or, for a bar between two bar lines, as ``model.JOINED``; ``span`` gives the same
  :class:`~abcparse.Span` as before.
- Past ``parser.COMPACT_AFTER`` characters a music line's tokens are kept as ints
  (``parser.TokenRun``) and made into match objects again as the builder reads them.

Each is checked against the plain form on every corpus file and on lines built to cross
the compaction point at every kind of token.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import sys
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import abcparse
from abcparse import build as build_module
from abcparse import parser as parser_module
from abcparse.diagnostics import (
    SPAN_END_FACTOR,
    SPAN_MAX_COL,
    SPAN_MAX_LENGTH,
    SPAN_START_FACTOR,
    Span,
    line_term,
    pack_span,
    packed_end,
    unpack_span,
)
from abcparse.model import (
    FOLLOWERS,
    JOINED,
    NO_SPAN,
    Bar,
    BarLine,
    Chord,
    Decoration,
    GraceGroup,
    Note,
    stored_span,
)

from .corpora import all_files, file_id

HEADER = "X:1\nT:compact\nM:4/4\nL:1/8\nK:D\n"


@given(
    line=st.integers(1, 2**30),
    col=st.integers(-5, 2**30),
    end_line=st.integers(1, 2**30),
    end_col=st.integers(-5, 2**30),
    start=st.integers(0, 2**50),
    length=st.integers(-3, 2**20),
)
def test_a_packed_span_unpacks_to_itself(
    line: int, col: int, end_line: int, end_col: int, start: int, length: int
) -> None:
    span = Span(line, col, end_line, end_col, start, start + length)
    packed = pack_span(*span)
    assert (unpack_span(packed) if isinstance(packed, int) else packed) == span
    if isinstance(packed, int) and packed >= 0:
        # A one-line span's end, read from the int alone (follow_span, header_span).
        assert packed_end(packed) == (span.end_line, span.end_col, span.end)


@given(line=st.integers(1, 5000), line_start=st.integers(0, 10**9),
       offset=st.integers(0, 5000), length=st.integers(0, 40))
def test_a_one_line_span_is_packed(line: int, line_start: int, offset: int, length: int) -> None:
    start = line_start + offset
    span = Span(line, offset + 1, line, offset + 1 + length, start, start + length)
    packed = pack_span(*span)
    assert isinstance(packed, int)
    assert unpack_span(packed) == span


@given(line=st.integers(1, 2**20 - 1), base=st.integers(0, 10**9),
       line_start=st.integers(0, 10**6), col=st.integers(0, SPAN_MAX_COL),
       length=st.integers(0, SPAN_MAX_LENGTH))
def test_the_note_loop_packs_as_pack_span(line: int, base: int, line_start: int, col: int,
                                          length: int) -> None:
    """The builder's note loop packs by sums (``line_term``): the same int as
    pack_span, for every span whose column and length fit the compact layout."""
    start = line_start + col  # offsets in the tune's text; base is the tune's in the file
    end = start + length
    term = line_term(base, line_start, line)
    assert term is not None
    packed = start * SPAN_START_FACTOR + end * SPAN_END_FACTOR + term
    assert packed == pack_span(line, col + 1, line, col + 1 + length, base + start, base + end)


@given(line=st.integers(1, 10**6), col=st.integers(1, 512), length=st.integers(0, 63),
       start=st.integers(0, 2**24 - 1))
def test_an_ordinary_span_packs_into_two_int_digits(line: int, col: int, length: int,
                                                   start: int) -> None:
    """A span of one line in the first 16 MB of a file, at most 63 characters long and
    starting in its line's first 512 columns (or anywhere on one of the first 15 lines),
    is an int of at most 60 bits: 32 bytes, where a larger one takes 48 (issue 15)."""
    start = max(start, col - 1)
    for at_line in (line, 1 + line % 15):
        span = Span(at_line, col, at_line, col + length, start, start + length)
        packed = pack_span(*span)
        assert isinstance(packed, int) and 0 <= packed < 2**60
        assert sys.getsizeof(packed) <= 32
        assert unpack_span(packed) == span
    long_line = Span(7, 300_000, 7, 300_005, 300_010, 300_015)
    assert 0 <= pack_span(*long_line) < 2**60  # type: ignore[operator]


@given(line=st.integers(1, 10**6), lines=st.integers(1, 5000), col=st.integers(1, 500),
       end_col=st.integers(1, 500), start=st.integers(500, 10**9), length=st.integers(0, 10**6))
def test_a_span_over_lines_is_packed(line: int, lines: int, col: int, end_col: int,
                                     start: int, length: int) -> None:
    """A tune, its header, a continued field: as one (negative) int, about 48 bytes
    instead of a Span and its ints (about 280)."""
    end = start + length + end_col
    span = Span(line, col, line + lines, end_col, start, end)
    packed = pack_span(*span)
    assert isinstance(packed, int) and packed < 0
    assert unpack_span(packed) == span


def test_tunes_and_their_voices_keep_packed_spans() -> None:
    """What every tune has one of is packed too (a book of tiny tunes: 157 -> about 136
    bytes per input byte), and reads back as the Span the text gives. Fields, keys and
    the header are not: read_headers makes them for every tune of a book, and stays ten
    times as fast as a parse."""
    text = "X:1\nT:t\nK:G\nGABc|\n\nX:2\nT:u\nK:D\nd|\n"
    book = abcparse.parse(text)
    for tune in book.tunes:
        for node in (tune, *tune.voices):
            raw = type(node).__dict__["span"].slot.__get__(node)
            assert isinstance(raw, int), type(node).__name__
        assert text[tune.span.start:tune.span.end] == tune.text
        assert [text[f.span.start:f.span.end] for f in tune.fields] == [
            f"{f.letter}:{f.value}" for f in tune.fields]


def test_a_node_reads_its_packed_span_and_keeps_it_through_copies() -> None:
    span = Span(3, 5, 3, 7, 100, 102)
    packed = pack_span(*span)
    note = Note("A", 0, None, Fraction(1), packed)  # type: ignore[arg-type]
    assert note.span == span
    assert note == Note("A", 0, None, Fraction(1), span)
    assert pickle.loads(pickle.dumps(note)).span == span
    assert dataclasses.replace(note, octave=1).span == span
    opening = BarLine("|", abcparse.BarKind.SINGLE, span=Span(1, 1, 1, 2, 10, 11))
    closing = BarLine("|", abcparse.BarKind.SINGLE, span=Span(1, 9, 1, 10, 18, 19))
    bar = Bar((note,), opening, closing, (), JOINED)  # type: ignore[arg-type]
    assert bar.span == Span(1, 1, 1, 10, 10, 19)


def _spans(node: Any) -> Iterator[tuple[str, Span]]:
    """Every span in a model, depth first, with the node's class name."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if f.name == "span":
                yield type(node).__name__, value
            elif f.name not in ("text", "source", "pieces"):
                yield from _spans(value)
    elif isinstance(node, tuple | list):
        for item in node:
            yield from _spans(item)


def _reading(text: str, compact_after: int, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(parser_module, "COMPACT_AFTER", compact_after)
    monkeypatch.setattr(parser_module, "TUNE_KEEP", compact_after)
    book = abcparse.parse(text)
    return book, list(_spans(book)), [(d.code, d.message, d.span) for d in book.diagnostics]


def _same_reading(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tokens compacted after 8 characters of every line and of every tune (so that most
    lines keep only their first token as a match object), and never: the same model, the
    same spans, the same diagnostics."""
    plain, plain_spans, plain_diags = _reading(text, 10**12, monkeypatch)
    compact, compact_spans, compact_diags = _reading(text, 8, monkeypatch)
    assert compact == plain
    assert compact_spans == plain_spans
    assert compact_diags == plain_diags


@pytest.mark.parametrize("path", all_files(), ids=file_id)
def test_compact_tokens_read_every_corpus_file_as_plain_ones(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _same_reading(path.read_text(encoding="utf-8", errors="replace"), monkeypatch)


# Lines that cross the compaction point inside and around every kind of token: quoted
# text (kept as match objects), inline fields, chords, grace notes, decorations, errors,
# a comment at the end, non-ASCII text that the parser reads outside the run.
LINES = [
    '"Am"A2 B>c (3def [CEG]2 {g}a !trill!b ~c .d -e | [K:G] f2 "^é" g :|[1 a4 |]',
    "A\"unclosed B c | d e ]} f | [r:remark] g ## a %comment",
    "A2 & B2 | [V:2] c2 z2 | Z2 | x2 y | (A B) C- | C [1 D :|2 E ||",
    "é A ü B ñ C | ☃ D E F | +trill+G +CE+2 | `A ^^B __c =d | A/ B// c3/2 |",
    '   "C"A "D"B "^x"c "_y"d |  "G7"e2 "@z"f2 |',
    # Open chords and a field and quotes that never close, beside ones that do: the
    # scanners that try a closed-on-the-line token once (parser._OnceALine) answer the
    # same when a run's tokens are made again.
    '[A[B [K:D] [r:open [C "x [D "y" [r:z] [E]2 "\\"\\" [F',
]


@pytest.mark.parametrize("unit", LINES)
def test_compact_tokens_read_long_lines_as_plain_ones(
    unit: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _same_reading(HEADER + " ".join([unit] * 40) + "\n" + unit + "\n", monkeypatch)


def _follower_reading(text: str, depth: int, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(build_module, "FOLLOW_DEPTH", depth)
    book = abcparse.parse(text)
    return book, list(_spans(book)), [(d.code, d.message, d.span) for d in book.diagnostics]


def _same_followers(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ties, broken rhythms, decorations, slurs, spacers and line breaks that keep the
    element they follow instead of a span (model.FOLLOWERS) read the spans the text
    gives, as when every element keeps its own."""
    derived = _follower_reading(text, build_module.FOLLOW_DEPTH, monkeypatch)
    plain = _follower_reading(text, 0, monkeypatch)
    assert derived == plain
    for name, span in derived[1]:
        if span.line == span.end_line and name in FOLLOWER_NAMES:
            line_start = text.rfind("\n", 0, span.start) + 1
            assert span.col == span.start - line_start + 1, (name, span)


FOLLOWER_NAMES = {cls.__name__ for cls in FOLLOWERS}
FOLLOWER_LINES = [
    "a-a-a-a-a-a .-b .- c | a>b>>c<<<d a > b a>-b | (a(b(c)))) yyy a-y-b",
    "!trill!!fermata!a +p++f+b ~~~TTTuuvv.c !! !$ $$ a!b!c!\\",
    "[A-C-]-[CE]>[DF] {a-b>c}d (3a-b-c ( a ) ) ! $ y \\\n a-",
    "A2-|-B2 | A-\r\n B | `a-`-b | ^a->_b<=c | z-z>z | x-Z2-|",
]


@pytest.mark.parametrize("path", all_files(), ids=file_id)
def test_followers_read_every_corpus_file_as_plain_spans(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _same_followers(path.read_text(encoding="utf-8", errors="replace"), monkeypatch)


@pytest.mark.parametrize("unit", FOLLOWER_LINES + LINES)
def test_followers_read_dense_lines_as_plain_spans(
    unit: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _same_followers(HEADER + " ".join([unit] * 40) + "\n" + unit + "\n", monkeypatch)


def test_a_follower_keeps_the_element_it_follows_and_the_chain_stays_short() -> None:
    """The memory this is for (issue 15): in ``a-a-a-`` each tie stores the note before
    it, not an int of its own; a run of decoration symbols derives at most FOLLOW_DEPTH
    deep, then stores a packed span again."""
    book = abcparse.parse(HEADER + "a-a-b>c TTTTTTTTTT|\n")
    elements = book.tunes[0].voices[0].bars[0].elements
    raws = [type(e).__dict__["span"].slot.__get__(e) for e in elements]
    assert raws[1] is elements[0] and raws[3] is elements[2] and raws[5] is elements[4]
    deco = [(e, raw) for e, raw in zip(elements, raws, strict=True) if isinstance(e, Decoration)]
    assert len(deco) == 10
    depth = 0
    for _, raw in deco:
        depth = 0 if isinstance(raw, int) else depth + 1
        assert depth <= build_module.FOLLOW_DEPTH
        assert isinstance(raw, int) or raw in elements
    assert any(isinstance(raw, int) for _, raw in deco[1:])
    assert stored_span(elements[1]) == elements[1].span == Span(6, 2, 6, 3, 31, 32)


def test_notes_of_one_spelling_share_their_shape() -> None:
    """A note is two slots, its shape (letter, octave, accidental, length) and its span,
    and the notes written alike share one shape: 48 bytes a note (issue 15), while it
    reads, compares, copies and pickles as the five-field dataclass it was."""
    notes = abcparse.parse(HEADER + "^c'2 A ^c'2 [^c'2A]|\n").tunes[0].voices[0].bars[0].notes
    assert len(notes) == 5 and notes[0].shape is notes[2].shape is notes[3].shape
    assert sys.getsizeof(notes[0]) <= 48
    first = notes[0]
    assert (first.letter, first.octave, first.accidental, first.length) == (
        "C", 2, abcparse.Accidental.SHARP, Fraction(2))
    assert [f.name for f in dataclasses.fields(first)] == [
        "letter", "octave", "accidental", "length", "span"]
    assert first == Note("C", 2, abcparse.Accidental.SHARP, Fraction(2)) != notes[1]
    assert hash(first) == hash(Note("C", 2, abcparse.Accidental.SHARP, Fraction(2), NO_SPAN))
    assert repr(first) == ("Note(letter='C', octave=2, accidental=<Accidental.SHARP: '^'>, "
                           "length=Fraction(2, 1))")
    moved = dataclasses.replace(first, octave=1)
    assert (moved.octave, moved.span) == (1, first.span)
    for copied in (pickle.loads(pickle.dumps(first)), copy.deepcopy(first)):
        assert copied == first and copied.span == first.span
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.letter = "D"  # type: ignore[misc]


def test_the_spelling_memo_stays_bounded() -> None:
    """Every length a different spelling (``a1 a2 a3 ...`` on one huge line): the memo of
    shapes starts again past SHAPES_KEPT, and every note still reads its own length."""
    count = 3 * build_module.SHAPES_KEPT
    book = abcparse.parse(HEADER + " ".join(f"a{n}" for n in range(1, count + 1)) + "\n")
    lengths = [n.length for n in book.tunes[0].voices[0].bars[0].notes]
    assert lengths == [Fraction(n) for n in range(1, count + 1)]
    assert len(build_module._NOTE_SHAPES) <= build_module.SHAPES_KEPT + parser_module.REFILL


@pytest.mark.parametrize("cls", [Chord, GraceGroup])
def test_groups_keep_one_item_alone_and_share_their_flags(cls: type[Any]) -> None:
    """A chord or grace group is three slots: its items (one item alone, without a tuple),
    a shape of its other fields shared by the groups that have the same, and its span
    (``[A[A[A...``: 240 bytes a chord, now 176; issue 15). It reads, compares, hashes,
    copies and pickles as the dataclass it was."""
    opening, close, length = ("[", "]", "2") if cls is Chord else ("{", "}", "")
    text = HEADER + (f"{opening}A{close}{length} {opening}A {opening}ce{close}"
                     f" {opening}A{close}{length}|\n")
    groups = [e for e in abcparse.parse(text).tunes[0].voices[0].bars[0].elements
              if isinstance(e, cls)]
    one, open_one, two, again = groups
    assert sys.getsizeof(one) <= 56
    assert isinstance(one.contents, Note) and one.items == (one.contents,)
    assert isinstance(two.contents, tuple) and len(two.items) == 2
    assert one.shape is again.shape and one.closed and not open_one.closed
    names = [f.name for f in dataclasses.fields(one)]
    values = {n: getattr(one, n) for n in names}
    assert cls(**values) == one and hash(cls(**values)) == hash(one)
    assert one != two and one != open_one
    for copied in (pickle.loads(pickle.dumps(one)), copy.deepcopy(one), copy.copy(one)):
        assert copied == one and copied.span == one.span and copied.items == one.items
    changed = dataclasses.replace(one, closed=False)
    assert not changed.closed and changed.items == one.items and one.closed
    assert repr(one).startswith(f"{cls.__name__}(items=(Note(letter='A'")
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.closed = False
