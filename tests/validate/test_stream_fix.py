"""abc-lint --fix/--diff repairs and formats a file a unit at a time (a tune with what
belongs to it: abcparse.rewrite.fix_stream), so that memory is bounded by the largest
tune. Each unit is given what the repair of the whole text reads from the whole file
(every X: number; whether the tune before ends with an empty line), so the file it
writes, and the fixes it lists, are those of ``fix_text`` on the whole text."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

import abcparse
from abcparse.cli import check as check_cli
from abcparse.cli.lint import build_parser
from abcparse.format.repair import fix_text
from tests.core.corpora import SHIPPED_IRISH

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _run(argv: list[str]) -> tuple[str, str, int]:
    args = build_parser().parse_args(["--no-config", *argv])
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        status = check_cli.run(args, out=out)
    return out.getvalue(), err.getvalue(), status


def _whole(text: str, name: str, unsafe: bool = False) -> tuple[str, list[str]]:
    """The whole-text repair's file and the lines abc-lint prints for it."""
    result = fix_text(text, unsafe=unsafe)
    lines = [f"{name}:{line}:{col}: fixed {e.code}{'' if e.is_safe else ' (unsafe)'}: {e.why}"
             for line, col, e in result.repair.fixes()]
    lines += [f"{name}:{line}:{col}: not fixed {w.code}: the safe fix was withdrawn:"
              f" {w.reason}" for line, col, w in result.repair.withdrawn()]
    return result.text, lines


def _fixed(path: Path, unsafe: bool = False) -> tuple[str, list[str]]:
    _, err, _ = _run(["--fix", "--exit-zero", *(["--unsafe-fixes"] if unsafe else []),
                      str(path)])
    lines = [ln for ln in err.splitlines() if ": fixed " in ln or ": not fixed " in ln]
    return path.read_text(encoding="utf-8"), lines


def _same_as_whole(text: str, tmp_path: Path, unsafe: bool = False) -> list[str]:
    path = tmp_path / "book.abc"
    path.write_text(text, encoding="utf-8")
    name = str(path)
    want_text, want_lines = _whole(text, name, unsafe)
    got_text, got_lines = _fixed(path, unsafe)
    assert got_text == want_text
    assert sorted(got_lines) == sorted(want_lines)
    return got_lines


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """60 Irish tunes (2.0 line breaks, unclosed repeats: repairs within each tune),
    with a file header."""
    tunes = abcparse.parse_file(SHIPPED_IRISH).tunes[:60]
    path = tmp_path / "book.abc"
    path.write_text("% my tunes\nL:1/8\n\n" + "\n".join(t.text for t in tunes),
                    encoding="utf-8")
    return path


def test_fix_is_the_whole_text_repair(book: Path, tmp_path: Path) -> None:
    text = book.read_text(encoding="utf-8")
    lines = _same_as_whole(text, tmp_path)
    assert any("fixed ABC103" in ln for ln in lines)


def test_diff_shows_what_fix_writes(book: Path, tmp_path: Path) -> None:
    """--diff writes nothing and says "would fix" for each fix --fix then makes."""
    copy = tmp_path / "copy.abc"
    copy.write_bytes(book.read_bytes())
    diff, err, status = _run(["--diff", str(copy)])
    assert status == 1 and diff.startswith(f"--- a/{copy}")
    assert copy.read_bytes() == book.read_bytes()
    would = [ln.replace(": would fix ", ": fixed ") for ln in err.splitlines()
             if ": would fix " in ln]
    _, fixed = _fixed(copy)
    assert would and would == [ln for ln in fixed if ": fixed " in ln]


@pytest.mark.parametrize("fixture", ["broken/broken.abc",
                                     "conformance/s12.3_strict.abc",
                                     "conformance/s2.2_mixed_newlines.abc"])
def test_fixtures_fix_as_the_whole_text_repair(fixture: str, tmp_path: Path) -> None:
    """broken.abc holds a repeated X: number, an X: that is not a number, a tune that
    follows another with no empty line and music cut off by an empty line: the repairs
    that read the file beyond one tune."""
    raw = (FIXTURES / fixture).read_bytes()
    text = raw.decode("utf-8", errors="surrogateescape")
    if "\r" in text:
        path = tmp_path / "book.abc"
        path.write_bytes(raw)
        want, _ = _whole(abcparse.format.read_source(path).text, str(path))
        _fixed(path)
        assert path.read_bytes() == want.encode("utf-8", errors="surrogateescape")
        return
    _same_as_whole(text, tmp_path)


def test_repeated_numbers_are_renumbered_above_the_files(tmp_path: Path) -> None:
    """X:1 twice and X:7 later: the second X:1 becomes X:8, one above every number of
    the file, although its unit holds neither the first X:1 nor X:7 (§3.1.1)."""
    text = ("X:1\nT:a\nK:C\nCDEF|\n\nX:1\nT:b\nK:C\nCDEF|\n\nX:7\nT:c\nK:C\nCDEF|\n\n"
            "X:0\nT:d\nK:C\nCDEF|\n")
    lines = _same_as_whole(text, tmp_path)
    fixed = (tmp_path / "book.abc").read_text(encoding="utf-8")
    assert "X:8\nT:b" in fixed and "X:9\nT:d" in fixed
    assert any("renumbered X:1 to X:8" in ln for ln in lines)


def test_a_tune_glued_to_the_one_before_gets_its_empty_line(tmp_path: Path) -> None:
    text = "X:1\nT:a\nK:C\nCDEF|\nX:2\nT:b\nK:C\nGABc|\n\nX:3\nT:c\nK:C\ncBAG|\n"
    lines = _same_as_whole(text, tmp_path)
    assert "CDEF|\n\nX:2" in (tmp_path / "book.abc").read_text(encoding="utf-8")
    assert [ln.split(": ", 1)[1] for ln in lines if "ABC211" in ln] == [
        "fixed ABC211: added an empty line before X:: an empty line ends the tune before"
        " (§2.2)"]


def test_music_cut_off_by_an_empty_line_joins_its_tune_when_unsafe(tmp_path: Path) -> None:
    """Read strictly, an empty line ends a tune (§2.2.1); the music after it is free
    text, repaired with the tune it was cut from (ABC209), as the whole-text repair
    repairs it."""
    text = ("%abc-2.1\nX:1\nT:a\nM:2/4\nK:D\n\nDEFG|ABcd|]\n\nX:2\nT:b\nK:C\nCDEF|]\n")
    _same_as_whole(text, tmp_path, unsafe=True)
    assert "K:D\nDEFG|" in (tmp_path / "book.abc").read_text(encoding="utf-8")


def test_fix_leaves_a_clean_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "clean.abc"
    text = "X:1\nT:Clean\nM:4/4\nL:1/8\nK:G\nGABc d2e2|]\n"
    path.write_text(text, encoding="utf-8")
    before = path.stat().st_mtime_ns
    out, _, status = _run(["--diff", str(path)])
    assert (out, status) == ("", 0)
    _run(["--fix", str(path)])
    assert path.read_text(encoding="utf-8") == text and path.stat().st_mtime_ns == before


def test_fix_reads_fields_above_a_later_tune_as_free_text(tmp_path: Path) -> None:
    """A file with no file header: the fields above a later tune's X: are free text
    (§2.2.2), so moving M:2/4 into that tune (ABC202) would halve its notes; the safe
    fix is withdrawn a unit at a time too, as when the text is repaired whole (the
    unit, read after the empty line that opens it, gets repair's later-part
    context)."""
    text = "X:1\nT:a\nK:C\nC2|\n\nM:2/4\nX:2\nT:b\nK:C\nC D E|\n"
    lines = _same_as_whole(text, tmp_path)
    assert (tmp_path / "book.abc").read_text(encoding="utf-8") == text
    assert any("not fixed ABC202" in ln for ln in lines)


def test_mixed_line_ends_become_the_files_main_one(tmp_path: Path) -> None:
    """A book joined from a CRLF file and an LF one: each tune is consistent alone, but
    the file is not (ABC003); every line end becomes LF, the end of most lines, and the
    fix is listed once, at the first CRLF, as the whole-text repair lists it (§2.2)."""
    text = ("X:1\r\nT:a\r\nK:C\r\nCDEF|\r\n\r\n"
            "X:2\nT:b\nK:C\nCDEF|\n\nX:3\nT:c\nK:C\nGABc|\n\nX:4\nT:d\nK:C\ncBAG|\n")
    path = tmp_path / "book.abc"
    path.write_bytes(text.encode("utf-8"))
    want, want_lines = _whole(text, str(path))
    _, got_lines = _fixed(path)
    assert path.read_bytes() == want.encode("utf-8") and "\r" not in want
    assert got_lines == want_lines
    assert [ln.split(": ", 1)[0] for ln in got_lines] == [f"{path}:1:4"]
