"""Streaming reads give what whole-file reads give (issue 16).

``abcparse.iter_tunes`` reads a file in blocks, twice, and never holds it whole. These
tests hold it to the whole-file path, piece by piece: the incremental decoder against
``source.decode`` (text, encoding, BOM, line end, diagnostics), the piece-wise splitter
against ``split.split`` (chunks, offsets, line numbers, diagnostics), and ``iter_tunes``
against ``parse_file`` tune by tune (model, spans, text, diagnostics), on every corpus
file, every fixture, in every mode, and on random texts and bytes.
"""

from __future__ import annotations

import io
import itertools
import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import abcparse
from abcparse import source as source_module
from abcparse.api import iter_tunes
from abcparse.diagnostics import Diagnostic
from abcparse.source import decode, scan_file, text_blocks
from abcparse.split import (
    BlockEnds,
    pieces,
    split,
    split_pieces,
    string_blocks,
    text_lines,
)

from .corpora import ROOT, all_files, file_id

FIXTURES = sorted((ROOT / "tests" / "fixtures").rglob("*.abc"))
FILES = all_files() + FIXTURES
IDS = [file_id(f) if f not in FIXTURES else f"fixtures/{f.name}" for f in FILES]
# The default run compares whole corpus files for the shipped one and two Nottingham
# files (the fixtures all); ``-m slow`` for every file.
SOME = {str(f) for f in all_files()[:3]} | {str(f) for f in FIXTURES}
PARSED = [pytest.param(f, id=i, marks=() if str(f) in SOME else pytest.mark.slow)
          for f, i in zip(FILES, IDS, strict=True)]


# ---------------------------------------------------------------------------------------
# Decoding


def _scan(data: bytes, block: int | None = None) -> tuple[source_module.StreamInfo, str]:
    old = source_module.READ_BLOCK
    if block is not None:
        source_module.READ_BLOCK = block
    try:
        f = io.BytesIO(data)
        info = scan_file(f)
        blocks = list(text_blocks(f, info.encoding, info.bom))
    finally:
        source_module.READ_BLOCK = old
    for a, b in itertools.pairwise(blocks):
        assert a.endswith(("\n", "\r")), "a block ends at a line end"
        assert not (a.endswith("\r") and b.startswith("\n")), "a CRLF is never cut"
    return info, "".join(blocks)


def _same_as_decode(data: bytes, block: int | None = None) -> None:
    whole, diags = decode(data)
    info, text = _scan(data, block)
    assert text == whole.text
    assert (info.encoding, info.bom, info.newline) == (whole.encoding, whole.bom, whole.newline)
    assert list(info.diagnostics) == diags


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_incremental_decoding_equals_decode(path: Path) -> None:
    data = path.read_bytes()
    _same_as_decode(data)
    _same_as_decode(data, block=7)  # blocks cut multi-byte characters and CRLFs


_BYTE_PARTS = [
    b"\r", b"\n", b"\r\n", b"X:1\n", b"T:t\n", b"K:C\n", b"abc|\n", b"\xe9", b"\xc3\xa9",
    b"\x00", b" ", b"\xff", b"\xef\xbb\xbf", b"I:abc-charset iso-8859-1\n",
    b"%%abc-charset klingon\n", b"I:abc-charset utf-16\n", b"I:abc-charset shift_jis\n",
    b"\x82\xa0", b"I:abc-charset us-ascii\r\n", b"\xe2\x82", b"\xac",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_BYTE_PARTS), max_size=40), st.sampled_from([1, 2, 3, 5, 64]))
def test_incremental_decoding_on_random_bytes(parts: list[bytes], block: int) -> None:
    _same_as_decode(b"".join(parts), block)


# ---------------------------------------------------------------------------------------
# Splitting


def _split_stream(text: str, loose: bool, size: int) -> tuple[list[object], list[object]]:
    blocks = list(string_blocks(text, size))
    assert "".join(blocks) == text
    ends = BlockEnds()
    for b in blocks:
        ends.feed(b)
    chunks: list[object] = []
    diags: list[object] = []
    for c, d in split_pieces(blocks, loose=loose, last_end=ends.last):
        chunks += c
        diags += d
    return chunks, diags


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_piecewise_split_equals_split(path: Path) -> None:
    text = decode(path.read_bytes())[0].text
    for loose in (True, False):
        for size in (1 << 20, 1000, 37):
            assert _split_stream(text, loose, size) == split(text, loose=loose)


def _reference_pieces(text: str, last_end: int) -> list[tuple[str, int, int, bool]]:
    """The cutting rule, line by line, as the module comment states it: before an X:
    line (outside a closed %%begin block) after an empty line, or after a tune's line
    with no empty line since its X: (joined)."""
    out = []
    pending: list[str] = []
    content = False
    start, first, offset = 0, 1, 0
    in_block, prev_blank, tune_run, joined = False, True, False, False
    for number, line in enumerate(text_lines(text, keepends=True), 1):
        blank = not line.strip(" \t\r\n")
        if in_block:
            in_block = not line.startswith("%%end")
        elif line.startswith("%%begin"):
            in_block = last_end > number
        elif line.startswith("X:"):
            if content and (prev_blank or tune_run):
                out.append(("".join(pending), start, first, joined))
                pending, content, start, first = [], False, offset, number
                joined = not prev_blank
            tune_run = True
        pending.append(line)
        content = content or not blank
        prev_blank = blank and not in_block
        tune_run = tune_run and not prev_blank
        offset += len(line)
    if pending:
        out.append(("".join(pending), start, first, joined))
    return out


_TEXT_PARTS = [
    "X:1\n", "X:2\r\n", "T:t\n", "K:C\n", "\n", "\r\n", "  \n", "abc|\n", "%%begin\n",
    "%%endtext\n", "%abc-2.1\n", "% c\n", "\r", "X:", " X:3\n", "\t\n", "abc", "\t \r",
    "%%end", "\r\r", "\n\n", "M:6/8\n", "w:la\n", "%%beginps\n", "I:abc-version 2.1\n",
    "ab\x85c\n",
]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(_TEXT_PARTS), max_size=30), st.sampled_from([1, 3, 10, 1000]),
       st.booleans())
def test_piecewise_split_on_random_texts(parts: list[str], size: int, loose: bool) -> None:
    text = "".join(parts)
    assert _split_stream(text, loose, size) == split(text, loose=loose)
    blocks = list(string_blocks(text, size))
    ends = BlockEnds()
    for b in blocks:
        ends.feed(b)
    last = max((i for i, line in enumerate(text_lines(text), 1) if line.startswith("%%end")),
               default=0)
    assert ends.last == last
    # Every cut the rule allows is made (a missed cut would still split right, but hold
    # more than one tune at a time).
    assert list(pieces(blocks, ends.last)) == _reference_pieces(text, last)
    assert list(pieces(blocks, lambda: last)) == _reference_pieces(text, last)


# ---------------------------------------------------------------------------------------
# iter_tunes against parse_file


def _sorted(diags: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(diags, key=Diagnostic.sort_key)


@pytest.fixture
def no_gc() -> Iterator[None]:
    """These tests keep every tune of a stream to compare it; the cyclic collector
    would rescan them all again and again (what parse() avoids by pausing it)."""
    import gc

    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


@pytest.mark.parametrize("path", PARSED)
def test_iter_tunes_equals_parse_file(path: Path, no_gc: None) -> None:
    data = path.read_bytes()
    for mode in ("auto", "strict", "loose"):
        book = abcparse.parse_file(path, mode=mode)
        assert book.source is not None
        text = book.source.text
        sources: list[object] = [path]
        if mode == "auto":  # every kind of source once; the modes through the path
            sources += [data, io.BytesIO(data)]
            if text and ("\n" in text or "\r" in text or text.startswith("X:")):
                sources.append(text)
        for src in sources:
            stream = iter_tunes(src, mode=mode, path=str(path))  # type: ignore[arg-type]
            tunes = list(stream)
            assert tunes == list(book.tunes)
            assert [t.span for t in tunes] == [t.span for t in book.tunes]
            assert [t.text for t in tunes] == [t.text for t in book.tunes]
            assert [t.diagnostics for t in tunes] == [t.diagnostics for t in book.tunes]
            assert [t.strict for t in tunes] == [t.strict for t in book.tunes]
            expected = list(book.diagnostics)
            if isinstance(src, str) and src == text:
                # Text has no bytes: parse(text) reports no ABC0xx from decoding either.
                expected = list(abcparse.parse(text, mode=mode).diagnostics)
            got = [*stream.diagnostics, *(d for t in tunes for d in t.diagnostics)]
            assert _sorted(got) == expected
            assert stream.header == book.header
            assert stream.version == book.abc_version
            if not isinstance(src, str) or src != text:
                assert (stream.encoding, stream.bom, stream.newline) == (
                    book.source.encoding, book.source.bom, book.source.newline)


@pytest.mark.parametrize("path", FILES[:3], ids=IDS[:3])
def test_pieces_give_back_the_text(path: Path, no_gc: None) -> None:
    """Every chunk comes out, in order: the pieces rebuild the text exactly."""
    book = abcparse.parse_file(path)
    stream = iter_tunes(path)
    got = list(stream.pieces())
    assert "".join(p.chunk.text for p in got) == book.to_text()
    assert [p.tune for p in got if p.tune is not None] == list(book.tunes)


class _Pipe(io.RawIOBase):
    """A stream that cannot seek, like standard input."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        chunk = self._data.read(len(b))
        b[: len(chunk)] = chunk
        return len(chunk)


def test_iter_tunes_reads_a_stream_that_cannot_seek() -> None:
    data = "\ufeffX:1\r\nT:Caf\u00e9\r\nK:G\r\nGAB|\r\n\r\nX:2\r\nT:b\r\nK:C\nc|\r\n".encode()
    book = abcparse.parse_bytes(data)
    stream = iter_tunes(io.BufferedReader(_Pipe(data)))
    assert list(stream) == list(book.tunes)
    assert stream.bom and stream.newline == "\r\n"
    assert [d.code for d in stream.diagnostics] == ["ABC003"]


def test_iter_tunes_starts_a_seekable_stream_where_it_stands() -> None:
    data = b"X:1\nT:a\nK:C\nc|\n"
    f = io.BytesIO(b"junk\n" + data)
    f.read(5)
    assert [t.title for t in iter_tunes(f)] == ["a"]


def test_iter_tunes_errors(tmp_path: Path) -> None:
    with pytest.raises(abcparse.AbcIOError, match="no such file"):
        iter_tunes(tmp_path / "missing.abc")
    with pytest.raises(abcparse.AbcIOError, match="folder"):
        iter_tunes(tmp_path)
    with pytest.raises(abcparse.AbcUsageError, match="binary"):
        iter_tunes(io.StringIO("X:1\nK:C\nc|\n"))  # type: ignore[arg-type]
    with pytest.raises(abcparse.AbcUsageError, match="mode"):
        iter_tunes("X:1\nK:C\n", mode="lax")
    with pytest.raises(abcparse.AbcUsageError):
        iter_tunes(42)  # type: ignore[arg-type]


def test_iter_tunes_closes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "t.abc"
    path.write_text("X:1\nK:C\nc|\n\nX:2\nK:D\nd|\n", encoding="utf-8")
    stream = iter_tunes(path)
    assert next(stream).reference == 1
    stream.close()
    with iter_tunes(path) as s:
        assert [t.reference for t in s] == [1, 2]
    assert s._file is None


def test_iter_tunes_holds_one_piece_at_a_time() -> None:
    """The splitter hands out one tune (and what follows it) per piece, so the pieces of
    a big book stay as small as its tunes."""
    tune = "X:{n}\nT:t\nM:4/4\nK:C\nCDEF GABc|\n\n"
    text = "".join(tune.format(n=n) for n in range(1, 2001))
    sizes = [len(t) for t, _, _, _ in pieces(string_blocks(text, 4096), 0)]
    assert len(sizes) == 2000 and max(sizes) == len(tune.format(n=2000))
    # The same without empty lines between the tunes (scraped and generated books often
    # have none): still a tune a piece, each after the first joined to the one before.
    text = "".join(tune.format(n=n).rstrip("\n") + "\n" for n in range(1, 2001))
    cut = list(pieces(string_blocks(text, 4096), 0))
    assert len(cut) == 2000 and [j for _, _, _, j in cut] == [False] + [True] * 1999


@pytest.mark.parametrize("path", FILES[:5], ids=IDS[:5])
def test_read_headers_of_text_and_path(path: Path, tmp_path: Path) -> None:
    book = abcparse.parse_file(path)
    assert book.source is not None
    from_path = list(abcparse.read_headers(path))
    from_text = list(abcparse.read_headers(book.source.text))
    assert from_path == [t.header for t in book.tunes]
    assert [[f.span for f in h.fields] for h in from_text] == [
        [f.span for f in h.fields] for h in from_path]
    assert from_text == from_path


def test_read_headers_with_blocks(tmp_path: Path) -> None:
    """A %%begin block holding an empty line and X: is text, when it is closed (later
    in the file); an unclosed one is an ordinary line."""
    closed = "X:1\nT:a\nK:C\nc|\n%%begintext\n\nX:9\n%%endtext\n\nX:2\nT:b\nK:D\nd|\n"
    unclosed = "X:1\nT:a\nK:C\nc|\n%%begintext\n\nX:9\nT:c\nK:E\n\nX:2\nT:b\nK:D\nd|\n"
    for text in (closed, unclosed):
        path = tmp_path / "b.abc"
        path.write_text(text, encoding="utf-8")
        want = [t.header for t in abcparse.parse(text).tunes]
        assert list(abcparse.read_headers(text)) == want
        assert list(abcparse.read_headers(path)) == want
    assert [h.title for h in abcparse.read_headers(closed)] == ["a", "b"]
    assert [h.title for h in abcparse.read_headers(unclosed)] == ["a", "c", "b"]


def test_read_headers_pauses_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    """read_headers pauses the cyclic collector while it builds headers (never across a
    yield): a collection there would scan every object the caller holds, which made
    read_headers(text) as slow as a full parse right after one."""
    import gc

    from abcparse.build import TuneBuilder

    seen: list[bool] = []
    real = TuneBuilder.read_header

    def spy(builder: TuneBuilder) -> object:
        seen.append(gc.isenabled())
        return real(builder)

    monkeypatch.setattr(TuneBuilder, "read_header", spy)
    text = "X:1\nT:a\nK:C\nc|\n\nX:2\nT:b\nK:D\nd|\n"
    for _header in abcparse.read_headers(text):
        assert gc.isenabled()  # the caller's code runs with it
    assert seen == [False, False]


def test_random_cuts_keep_iter_tunes_exact() -> None:
    """Texts made of corpus tunes with free text, blocks and missing empty lines."""
    rng = random.Random(16)
    tunes = [t.text for t in abcparse.parse_file(all_files()[0]).tunes[:40]]
    extras = ["\n", "free text\n", "%%begintext\nX:0\n\n%%endtext\n", "% comment\n",
              "\r\n", "T:orphan\nK:C\nabc|\n"]
    for _ in range(30):
        parts = []
        for _ in range(rng.randint(1, 12)):
            parts.append(rng.choice(tunes) if rng.random() < 0.7 else rng.choice(extras))
        text = "".join(parts)
        book = abcparse.parse(text)
        stream = iter_tunes(text)
        assert list(stream) == list(book.tunes)
        data = text.encode("utf-8")
        stream = iter_tunes(data)
        assert [t.span for t in stream] == [t.span for t in book.tunes]
        assert _sorted([*stream.diagnostics,
                        *(d for t in book.tunes for d in t.diagnostics)]) == list(
            abcparse.parse_bytes(data).diagnostics)


def test_stream_file_is_not_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reads go through blocks of READ_BLOCK bytes: no read of the whole file."""
    path = tmp_path / "big.abc"
    path.write_text("".join(f"X:{n}\nT:t\nK:C\nc|\n\n" for n in range(1, 400)),
                    encoding="utf-8")
    monkeypatch.setattr(source_module, "READ_BLOCK", 1000)
    sizes: list[int] = []
    real_open = open

    class Spy(io.BufferedReader):
        def read(self, n: int | None = -1) -> bytes:  # type: ignore[override]
            sizes.append(-1 if n is None else n)
            return super().read(n)

    def spy_open(name: str, mode: str = "r", *args: object, **kw: object) -> object:
        if mode == "rb" and os.fspath(name) == str(path):
            return Spy(io.FileIO(name, "rb"))
        return real_open(name, mode, *args, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", spy_open)
    assert len(list(iter_tunes(path))) == 399
    assert sizes and all(0 <= n <= 1000 for n in sizes)
