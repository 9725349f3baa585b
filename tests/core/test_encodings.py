"""Reading files as the standard says (§2.1, §3.1.17, §8): UTF-8 by default, a BOM ignored
but kept, ``I:abc-charset`` / ``%%abc-charset`` for ISO-8859 files, CR, LF and CRLF line
ends. Bad bytes never raise: they are reported at their line and column and kept, so the
file's bytes come back unchanged."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import pytest

import abcparse
from abcparse import AbcError, AbcIOError, AbcUsageError
from abcparse.format.repair import fix_text

TUNE = "X:1\nT:{title}\nM:4/4\nL:1/4\nK:C\nCDEF|]\n"


def write(tmp_path: Path, data: bytes, name: str = "t.abc") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def codes(book: abcparse.Tunebook) -> list[str]:
    return [d.code for d in book.diagnostics]


def test_utf8_is_the_default(tmp_path: Path) -> None:
    book = abcparse.parse_file(write(tmp_path, TUNE.format(title="Dvořák — Ω").encode()))
    assert book.tunes[0].title == "Dvořák — Ω"
    assert book.source is not None and book.source.encoding == "utf-8"
    assert codes(book) == []


def test_bom_is_ignored_and_kept(tmp_path: Path) -> None:
    data = codecs.BOM_UTF8 + TUNE.format(title="Café").encode()
    book = abcparse.parse_file(write(tmp_path, data))
    assert book.tunes[0].reference == 1  # the BOM does not hide X:
    assert book.tunes[0].title == "Café"
    assert book.source is not None and book.source.bom
    assert not book.to_text().startswith("\ufeff")
    assert book.source.to_bytes() == data


def test_bom_kept_in_text_is_ignored_too(tmp_path: Path) -> None:
    """``open(path, encoding="utf-8").read()`` keeps a UTF-8 file's byte-order mark as
    U+FEFF. It glued itself to ``X:1``, so the whole tune was read as file-header text
    (no tunes, and ABC106 asked for the X: line that was there), and a ``%abc-2.1`` line
    after it was missed (the file read loosely). Text is read as its bytes are; the
    formatter and the fixer keep the mark where it was."""
    text = "\ufeff" + TUNE.format(title="Café")
    book = abcparse.parse(text)
    assert [t.title for t in book.tunes] == ["Café"] and codes(book) == []
    assert [t.title for t in abcparse.iter_tunes(text)] == ["Café"]
    assert [h.title for h in abcparse.read_headers(text)] == ["Café"]
    assert abcparse.check(text) == []
    assert abcparse.parse("\ufeff%abc-2.1\nX:1\nK:C\nC|\n").tunes[0].strict
    assert abcparse.format_str(text) == "\ufeff" + abcparse.format_str(text[1:])
    fixed = fix_text("\ufeffX:1\nT:t\nK:C\nC :] D|\n").text
    assert fixed == "\ufeffX:1\nT:t\nK:C\nC |] D|\n"


@pytest.mark.parametrize("declaration", ["I:abc-charset iso-8859-1", "%%abc-charset iso-8859-1"])
def test_latin1_declared(tmp_path: Path, declaration: str) -> None:
    data = (declaration + "\n\n" + TUNE.format(title="Caf\xe9 Gar\xe7on")).encode("latin-1")
    book = abcparse.parse_file(write(tmp_path, data))
    assert book.tunes[0].title == "Café Garçon"
    assert codes(book) == []
    assert book.source is not None and book.source.to_bytes() == data


def test_other_iso_charset(tmp_path: Path) -> None:
    """iso-8859-1 through -10 are legal; -2 (Central European) has ř at 0xF8."""
    data = ("I:abc-charset iso-8859-2\n\n" + TUNE.format(title="Dvo\u0159ák")).encode("iso-8859-2")
    book = abcparse.parse_file(write(tmp_path, data))
    assert book.tunes[0].title == "Dvořák"
    assert book.source is not None and book.source.to_bytes() == data


def test_undecodable_bytes(tmp_path: Path) -> None:
    """No declaration and bytes that are not UTF-8: ABC001 at the first bad byte, with
    its line and column; the parse goes on and the bytes are kept."""
    data = b"X:1\nT:Caf\xe9 au lait\nK:C\nCDE\xff|]\n"
    book = abcparse.parse_file(write(tmp_path, data))
    first = book.diagnostics[0]
    assert (first.code, first.line, first.col) == ("ABC001", 2, 6)
    assert "2 byte(s)" in first.message
    assert book.tunes[0].key.tonic == "C"
    assert book.source is not None and book.source.to_bytes() == data


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_line_ends(tmp_path: Path, newline: str) -> None:
    text = "X:1\nT:One\nK:G\nGAB|\ncde|]\n\nX:2\nT:Two\nK:D\nDEF|]\n".replace("\n", newline)
    book = abcparse.parse_file(write(tmp_path, text.encode()))
    assert [t.title for t in book.tunes] == ["One", "Two"]
    assert [t.key.tonic for t in book.tunes] == ["G", "D"]
    assert book.source is not None and book.source.newline == newline
    assert book.source.to_bytes() == text.encode()
    assert codes(book) == []
    second_bar = book.tunes[0].bars[1]
    assert second_bar.notes[0].span[:2] == (5, 1)  # lines counted the same for all three


def test_mixed_line_ends(tmp_path: Path) -> None:
    """Readable, but reported (ABC003) at the first line end of the minority kind."""
    data = b"X:1\nT:Mixed\r\nK:C\nCDE|\nFGA|]\n"
    book = abcparse.parse_file(write(tmp_path, data))
    assert codes(book) == ["ABC003"]
    assert (book.diagnostics[0].line, book.diagnostics[0].col) == (2, 8)
    assert book.tunes[0].title == "Mixed"
    assert book.source is not None and book.source.to_bytes() == data


def test_unknown_charset(tmp_path: Path) -> None:
    data = ("I:abc-charset klingon-1\n\n" + TUNE.format(title="x")).encode()
    book = abcparse.parse_file(write(tmp_path, data))
    assert codes(book) == ["ABC004"]
    assert (book.diagnostics[0].line, book.diagnostics[0].col) == (1, 15)


def test_declared_latin1_but_utf8(tmp_path: Path) -> None:
    data = ("I:abc-charset iso-8859-1\n\n" + TUNE.format(title="Café")).encode()
    book = abcparse.parse_file(write(tmp_path, data))
    assert codes(book) == ["ABC004"]
    assert book.source is not None and book.source.to_bytes() == data


def test_nul_character(tmp_path: Path) -> None:
    book = abcparse.parse_file(write(tmp_path, b"X:1\nK:C\nCD\x00E|]\n"))
    assert "ABC002" in codes(book)
    assert book.to_text() == "X:1\nK:C\nCD\x00E|]\n"


def test_missing_file_raises_typed_error(tmp_path: Path) -> None:
    with pytest.raises(AbcIOError) as info:
        abcparse.parse_file(tmp_path / "nope.abc")
    assert "nope.abc" in str(info.value)
    assert isinstance(info.value, AbcError)


def test_folder_raises_typed_error(tmp_path: Path) -> None:
    with pytest.raises(AbcIOError):
        abcparse.parse_file(tmp_path)


def test_bad_mode_raises_usage_error() -> None:
    with pytest.raises(AbcUsageError):
        abcparse.parse("X:1\nK:C\nC|\n", mode="sloppy")


# Characters Python's str.splitlines() takes for line ends but ABC does not (§2.2: CR, LF
# or CRLF only): VT, FF, FS, GS, RS, NEL (the "…" of a Windows-1252 file read as Latin-1)
# and the Unicode line and paragraph separators.
OTHER_BREAKS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("ch", OTHER_BREAKS, ids=[f"U+{ord(c):04X}" for c in OTHER_BREAKS])
def test_only_cr_and_lf_end_lines(ch: str) -> None:
    from abcparse.split import text_lines

    text = f"X:1\nT:a{ch}b\nK:C\nCDE|]\n\nfree{ch}text\n"
    assert text_lines(text) == ["X:1", f"T:a{ch}b", "K:C", "CDE|]", "", f"free{ch}text"]
    assert "".join(text_lines(text, keepends=True)) == text
    book = abcparse.parse(text)
    assert book.tunes[0].title == f"a{ch}b"
    assert book.tunes[0].bars[0].notes[0].span[:2] == (4, 1)


@pytest.mark.parametrize("ch", OTHER_BREAKS, ids=[f"U+{ord(c):04X}" for c in OTHER_BREAKS])
def test_formatting_keeps_other_break_characters_inside_free_text(ch: str) -> None:
    """The formatter once cut free text at these characters and wrote a line end there."""
    text = f"X:1\nT:t\nK:C\nCDE|]\n\nSome free text{ch}on one line\n"
    assert abcparse.format_str(text, safe=False) == text


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: abcparse.parse(Path("tunes.abc")), "parse() takes ABC text (a str), not Posix"),
        (lambda: abcparse.parse(b"X:1\n"), "parse_bytes() bytes"),
        (lambda: abcparse.parse_bytes("X:1\n"), "parse_bytes() takes bytes, not str"),
        (lambda: abcparse.format_str(None), "take ABC text (a str), not NoneType"),
        (lambda: abcparse.to_midi("X:1\nK:C\nC|\n", "x.mid"), "to_midi() takes a Tune"),
        (lambda: abcparse.parse_file(""), "the path is empty"),
        (lambda: abcparse.parse_file("a\0b"), "embedded null byte"),
    ],
)
def test_a_wrong_argument_type_gets_one_clear_message(call: object, words: str) -> None:
    """A Path, bytes or None where text is taken met an internal error deeper in
    (``expected string or bytes-like object``, ``'NoneType' has no attribute 'count'``):
    now one :class:`AbcUsageError` names the call, what it takes and what to use."""
    with pytest.raises((AbcUsageError, AbcIOError), match=re.escape(words)):
        call()  # type: ignore[operator]
