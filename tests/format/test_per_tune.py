"""The formatter checks each tune on its own (issue 13, item 5).

Real tunebooks repeat ``X:`` numbers. A finding about the file as a whole (ABC206, two
tunes with one number) is no tune's formatting, so it must not stop the formatter; a tune
whose formatting does fail a safety check is left as it was and reported, and every other
tune is formatted. These hold for the API (``format_text``, ``format_str``), the command
(in place, ``--check``, ``--diff``, standard output, ``--jobs``) and the whole-text check
(``check_formatting``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import abcparse
from abcparse.cli.main import main
from abcparse.format import FormatOptions, UnsafeFormattingError, format_text, music
from abcparse.format.printer import Printer
from abcparse.format.safety import check_formatting, file_scope_codes

# Three tunes numbered 1, 1, 01 (ABC206 twice once X:01 reads as X:1), each with
# something the formatter changes.
DUPLICATES = (
    "%abc-2.0\n"
    "M: 6/8\n\n"
    "X:1\nT:One\nK: G major\nGAB  c2d|e3 d3|]\n\n"
    "X:1\nT:Two\nM: 4/4\nK:D\nd2 d2  A2 A2|]\n\n"
    "X:01\nT:Three\nK:Am\nA/2B/2c A2|]\n"
)


def _musics(text: str) -> list[dict[str, object]]:
    return [music(t) for t in abcparse.parse(text).tunes]


def test_duplicate_numbers_do_not_stop_the_formatter() -> None:
    result = format_text(DUPLICATES)
    assert result.ok, result.diagnostics
    assert result.changed
    assert "GAB c2d|" in result.text and "M:4/4" in result.text and "A/B/c" in result.text
    assert _musics(result.text) == _musics(DUPLICATES)
    assert abcparse.format_str(DUPLICATES) == result.text
    # The input's ABC206 is still there (the formatter does not renumber unless asked).
    assert "ABC206" in {d.code for d in abcparse.check(result.text)}


def test_the_whole_text_check_ignores_findings_about_the_file() -> None:
    """``check_formatting`` over a whole book: X:01 printed X:1 beside another X:1 is a
    new ABC206, which is the file's, not a tune's formatting."""
    formatted = Printer(FormatOptions()).format(DUPLICATES)
    again = Printer(FormatOptions()).format(formatted)
    diags, checks = check_formatting(DUPLICATES, formatted, again)
    assert diags == []
    assert all(c.ok for c in checks) and len(checks) == 3
    assert {"ABC206", "ABC209", "ABC202", "ABC001"} <= file_scope_codes()


def _break_tune_two(monkeypatch: pytest.MonkeyPatch) -> None:
    """A printer bug that adds a rest at the end of the tune titled Two (the same on a
    second pass: only the music check finds it)."""
    real = Printer.tune

    def broken(self: Printer, text: str) -> list[str]:
        lines = real(self, text)
        if "T:Two" not in text:
            return lines
        return [ln.replace("|]", "z|]") if "z|]" not in ln else ln for ln in lines]

    monkeypatch.setattr(Printer, "tune", broken)


def test_a_tune_that_fails_is_left_and_the_rest_formatted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _break_tune_two(monkeypatch)
    result = format_text(DUPLICATES)
    assert [(d.code, d.line) for d in result.diagnostics] == [("ABC903", 9), ("ABC904", 9)]
    d = result.diagnostics[0]
    assert "X:1 (Two)" in d.message and "left as it was" in d.message
    assert "X:1\nT:Two\nM: 4/4\nK:D\nd2 d2  A2 A2|]\n" in result.text  # as it was
    assert "GAB c2d|" in result.text and "A/B/c" in result.text  # the others formatted
    assert [c.ok for c in result.checks] == [True, False, True]
    assert _musics(result.text) == _musics(DUPLICATES)
    with pytest.raises(UnsafeFormattingError) as e:
        abcparse.format_str(DUPLICATES)
    assert e.value.text == result.text


def test_a_first_tune_that_fails_keeps_the_file_header(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first segment holds the file header: left as it was with its tune, and the
    later tunes are checked as they will be read, after that header."""
    text = DUPLICATES.replace("T:One", "T:Two", 1).replace("T:Two\nM: 4/4", "T:Four\nM: 4/4")
    _break_tune_two(monkeypatch)
    result = format_text(text)
    assert [(d.code, d.line) for d in result.diagnostics] == [("ABC903", 4), ("ABC904", 4)]
    assert result.text.startswith("%abc-2.0\nM: 6/8\n\nX:1\nT:Two\nK: G major\nGAB  c2d|")
    assert "M:4/4" in result.text and "A/B/c" in result.text
    assert _musics(result.text) == _musics(text)


def test_format_refuses_a_tune_and_writes_the_rest(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    _break_tune_two(monkeypatch)
    path = tmp_path / "book.abc"
    path.write_text(DUPLICATES, encoding="utf-8")
    want = format_text(DUPLICATES).text
    for jobs in ("1", "2"):
        path.write_text(DUPLICATES, encoding="utf-8")
        assert main(["format", "--jobs", jobs, str(path)]) == 1
        assert path.read_text(encoding="utf-8") == want
        err = capsys.readouterr().err
        assert f"{path}:9:1: ABC903 X:1 (Two)" in err
        assert "reformatted" in err and "(1 tune left as it was)" in err
        assert "1 tune in 1 file could not be formatted safely (left as they were)" in err
    path.write_text(DUPLICATES, encoding="utf-8")
    assert main(["format", "--check", str(path)]) == 1
    assert main(["format", "--diff", str(path)]) == 1
    out = capsys.readouterr().out
    assert "+GAB c2d|" in out and "+A/B/c A2|]" in out
    assert "-d2 d2  A2 A2|]" not in out and "-M: 4/4" not in out  # tune Two as it was
    assert path.read_text(encoding="utf-8") == DUPLICATES


def test_format_on_a_book_with_duplicate_numbers(tmp_path: Path) -> None:
    """Must show (issue 13): ``abcparse format`` on a tunebook with duplicate X: numbers
    formats every tune, with the music kept; a real process, as a user runs it."""
    path = tmp_path / "book.abc"
    path.write_text(DUPLICATES, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "abcparse", "format", str(path)],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert "ABC206" not in run.stderr and "ABC904" not in run.stderr
    new = path.read_text(encoding="utf-8")
    assert new == format_text(DUPLICATES, safe=False).text
    assert _musics(new) == _musics(DUPLICATES)
    stdin = subprocess.run([sys.executable, "-m", "abcparse", "format", "-"],
                           input=DUPLICATES, capture_output=True, text=True, check=False)
    assert stdin.returncode == 0 and stdin.stdout == new
