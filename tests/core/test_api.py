"""The public API's promises: read_headers agrees with parse, modes follow §12, the typed
header properties, and the model's equality ignoring positions."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

import abcparse

from .corpora import all_files, file_id, parsed

FILES = all_files()


@pytest.mark.parametrize("path", FILES, ids=[file_id(f) for f in FILES])
def test_read_headers_agrees_with_parse(path: Path) -> None:
    """The fast header reader gives the same headers (values and spans) as a full parse."""
    headers = list(abcparse.read_headers(path))
    tunes = parsed(path).tunes
    assert len(headers) == len(tunes)
    for header, tune in zip(headers, tunes, strict=True):
        assert header == tune.header, f"X:{tune.reference} {tune.title}"
        assert [f.span for f in header.fields] == [f.span for f in tune.header.fields]


# Headers the one-regex reading of header lines does not take, which the parser reads.
UNUSUAL_HEADERS = {
    # §10.1: an outdated history runs on over lines with no field, up to the next field.
    "history run on": "X:1\nT:Hist\nH:collected in 1920\nfrom a fiddler\nM:6/8\nK:G\nGAB|\n",
    "indented comment": "X:1\nT:a\n  % a note to self\nM:3/4\nL:1/4\nK:D\nDEF|\n",
    "music before K:": "X:1\nT:a\nM:2/4\nabc d|\nK:C\ncd|\n",
    "no K:": "X:1\nT:a\nM:2/4\nQ:1/4=90\n",
    "space line": "X:1\nT:a\n \nM:2/4\nK:Bb\nB|\n",
    # A text block holding a K: line, after a line the fast reading does not take.
    "block holding K:": ("X:1\nT:a\nH:history\nmore of it\n%%begintext\nK:not a key\n"
                         "%%endtext\nM:6/8\nK:G\nGAB|\n"),
}


@pytest.mark.parametrize("text", UNUSUAL_HEADERS.values(), ids=UNUSUAL_HEADERS.keys())
@pytest.mark.parametrize("version", ["", "%abc-2.1\n"])
def test_read_headers_agrees_with_parse_on_unusual_headers(text: str, version: str) -> None:
    """read_headers reads each header as a parse does (before, it ended a header at the
    first line that was not a field, comment or directive: a run-on history lost the
    tune's meter and key); the tune's version and strictness are kept alike."""
    book = abcparse.parse(version + text)
    headers = list(abcparse.read_headers(version + text))
    assert headers == [t.header for t in book.tunes]
    assert [f.span for f in headers[0].fields] == [f.span for f in book.tunes[0].header.fields]
    assert book.tunes[0].abc_version == ("2.1" if version else None)
    assert book.tunes[0].strict == bool(version)


def test_history_run_on_keeps_meter_and_key() -> None:
    (header,) = abcparse.read_headers(UNUSUAL_HEADERS["history run on"])
    assert header.first("H") == "collected in 1920 from a fiddler"
    assert str(header.meter) == "6/8"
    assert header.key is not None and header.key.tonic == "G"


def test_read_headers_takes_text_or_path(tmp_path: Path) -> None:
    text = "M:6/8\n\nX:1\nT:One\nK:G\nGAB|\n\nX:2\nT:Two\nL:1/4\nK:Am\nABc|\n"
    (tmp_path / "two.abc").write_text(text, encoding="utf-8")
    for source in (text, tmp_path / "two.abc", str(tmp_path / "two.abc")):
        headers = list(abcparse.read_headers(source))
        assert [h.title for h in headers] == ["One", "Two"]
        assert [h.unit_length for h in headers] == [Fraction(1, 8), Fraction(1, 4)]
        assert all(str(h.meter) == "6/8" for h in headers)  # from the file header


def test_header_voices_name_the_parts_of_a_score() -> None:
    """§7.1: voices declared in the header, with their properties, are in the header
    (read_headers included), merged by id, in order, without music."""
    text = ('X:1\nT:Duet\nV:S name="Soprano" clef=treble\nV:B clef=bass\nV:S snm="S."\n'
            "K:C\n[V:S] c2|]\n[V:B] C,2|]\n")
    (header,) = abcparse.read_headers(text)
    assert [(v.id, v.name, v.subname, v.clef.name) for v in header.voices] == [
        ("S", "Soprano", "S.", "treble"), ("B", None, None, "bass")]
    assert all(v.bars == () for v in header.voices)
    tune = abcparse.parse(text).tunes[0]
    assert tune.header.voices == header.voices
    assert [(v.id, v.name, v.clef.name) for v in tune.voices] == [
        ("S", "Soprano", "treble"), ("B", None, "bass")]
    assert abcparse.parse("X:1\nK:C\nC|\n").tunes[0].header.voices == ()


def test_modes() -> None:
    """§12: a file declared 2.1 is read strictly, an undeclared one loosely; an explicit
    mode overrides; I:abc-version in a tune header decides for that tune."""
    tune = "X:1\nT:t\nK:C\nC|]\n"
    assert abcparse.parse(tune).tunes[0].strict is False
    assert abcparse.parse("%abc-2.1\n" + tune).tunes[0].strict is True
    assert abcparse.parse("%abc-2.0\n" + tune).tunes[0].strict is False
    assert abcparse.parse(tune, mode="strict").tunes[0].strict is True
    assert abcparse.parse("%abc-2.1\n" + tune, mode="loose").tunes[0].strict is False
    older = "%abc-2.1\nX:1\nT:t\nI:abc-version 2.0\nK:C\nC|]\n"
    assert abcparse.parse(older).tunes[0].strict is False


def test_empty_line_in_header_depends_on_mode() -> None:
    """§2.2.1 / §12.2: an empty line between header and music ends the tune when strict;
    loose reading glues the music to its tune (both report ABC209)."""
    text = "X:1\nT:t\nK:C\n\nCDE|]\n"
    loose = abcparse.parse(text, mode="loose")
    strict = abcparse.parse(text, mode="strict")
    assert len(loose.tunes[0].bars) == 1 and not loose.free_text
    assert strict.tunes[0].bars == () and strict.free_text[0].text == "CDE|]\n"
    assert [d.code for d in loose.diagnostics] == ["ABC209"]
    assert [d.code for d in strict.diagnostics] == ["ABC209"]


@pytest.mark.parametrize("between", ["L:1/8\n", "V:1\n", "W:words\n", "% a remark\n"])
def test_field_lines_after_the_key_are_no_music_before_an_empty_line(between: str) -> None:
    """``K:C``, ``L:1/8``, an empty line, then the music (every tune of Maestro's exports):
    the field line is no music, so the empty line comes between the header and the music
    as it does after a comment line. Loose reading bridges it and strict reading ends the
    tune there, both reporting ABC209; the music used to be dropped with no finding."""
    text = "X:1\nT:t\nM:4/4\nK:C\n" + between + "\nCDEF GABc|cBAG FEDC|]\n"
    loose = abcparse.parse(text, mode="loose")
    strict = abcparse.parse(text, mode="strict")
    assert sum(len(v.bars) for v in loose.tunes[0].voices) == 2 and not loose.free_text
    assert [d.code for d in loose.diagnostics] == ["ABC209"]
    assert strict.free_text[0].text == "CDEF GABc|cBAG FEDC|]\n"
    assert [(d.code, d.severity) for d in strict.diagnostics] == [
        ("ABC209", abcparse.Severity.ERROR)]
    streamed = list(abcparse.iter_tunes(text, mode="loose"))
    assert streamed[0].text == loose.tunes[0].text


def test_typed_header_properties() -> None:
    tune = abcparse.parse(
        "X:7\nT:Main\nT:Other\nC:Trad.\nO:Ireland\nR:reel\nM:C|\nQ:1/2=96\nP:(AB)2C\nK:Edor\nE|]\n"
    ).tunes[0]
    assert (tune.reference, tune.title, tune.titles) == (7, "Main", ("Main", "Other"))
    assert (tune.composer, tune.origin, tune.rhythm) == ("Trad.", "Ireland", "reel")
    assert (str(tune.meter), tune.meter.bar_length if tune.meter else None) == ("C|", Fraction(1))
    assert tune.unit_length == Fraction(1, 8)
    assert tune.tempo is not None and (tune.tempo.beat_length, tune.tempo.bpm) == (
        Fraction(1, 2),
        96,
    )
    assert tune.parts == "ABABC"
    assert (tune.key.tonic, tune.key.mode) == ("E", abcparse.Mode.DORIAN)
    assert tune.key.signature() == {"F": 1, "C": 1}


def test_missing_key_gives_c_major_and_a_diagnostic() -> None:
    tune = abcparse.parse("X:1\nT:no key\nCDE|\n").tunes[0]
    assert tune.header.key is None
    assert (tune.key.tonic, tune.key.mode) == ("C", abcparse.Mode.MAJOR)
    assert [d.code for d in tune.diagnostics] == ["ABC204"]


def test_equality_ignores_positions() -> None:
    """Spans are left out of ==, so the same music written differently compares equal."""
    a = abcparse.parse("X:1\nK:G\nGAB c2d|\n").tunes[0]
    b = abcparse.parse("\n\nX:1\nK:G\nGAB   c2d |\n").tunes[0]
    assert a.voices == b.voices
    assert a.voices[0].bars[0].span != b.voices[0].bars[0].span


def test_diagnostics_have_positions() -> None:
    book = abcparse.parse("X:1\nK:C\nCD # E ] F|\n")
    assert [(d.code, d.line, d.col) for d in book.diagnostics] == [("ABC313", 3, 8)]
    assert str(book.diagnostics[0]).startswith("3:8: ABC313")
