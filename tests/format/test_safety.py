"""The safety checks catch a printer that breaks its promises (ABC902/903/904).

A correct printer never trips them, so these tests break the printer on purpose (with
monkeypatch) and check that nothing unsafe comes out: ``format_text`` leaves the tune
concerned as it was, with a diagnostic at its first line (the other tunes are formatted:
tests/format/test_per_tune.py), ``format_str`` raises, and the command leaves the tune
untouched.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

import abcparse
import abcparse.format.printer as printer
from abcparse.format import FormatOptions, UnsafeFormattingError, format_file, format_text, music

TUNES = "X:1\nT:One\nK:C\nabc|\n\nX:2\nT:Two\nM:6/8\nK:G\nA3 B2c|d3 z3|\n"


def test_a_printer_that_changes_a_note_length_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    real = printer.length_text
    monkeypatch.setattr(printer, "length_text", lambda f: "2" if f == 3 else real(f))
    result = format_text(TUNES)
    assert not result.ok
    assert result.text == TUNES  # X:2 as it was (and X:1 was canonical already)
    (diag,) = result.diagnostics
    assert diag.code == "ABC903"
    assert diag.line == 6  # X:2, where the changed tune starts
    assert "X:2 (Two)" in diag.message and "bar 1" in diag.message
    assert [c.music_kept for c in result.checks] == [True, False]
    with pytest.raises(UnsafeFormattingError, match="ABC903"):
        abcparse.format_str(TUNES)


def test_a_printer_that_is_not_idempotent_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    real = printer.Printer.version_line
    # Each pass adds a character to the version line: never stable.
    monkeypatch.setattr(printer.Printer, "version_line", lambda self, t: real(self, t) + "x")
    result = format_text("%abc-2.1\n" + TUNES)
    assert [d.code for d in result.diagnostics] == ["ABC902"]
    assert "second pass" in result.diagnostics[0].message


def test_a_printer_that_adds_a_diagnostic_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    real = printer.canonical_value
    # Writes a meter no parser can read: the output gains ABC221 (an invalid M:).
    def broken(letter: str, value: str) -> str:
        return "6/0" if letter == "M" else real(letter, value)

    monkeypatch.setattr(printer, "canonical_value", broken)
    result = format_text(TUNES)
    codes = {d.code for d in result.diagnostics}
    assert "ABC904" in codes
    assert result.text == TUNES


def test_format_file_writes_nothing_when_unsafe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.abc"
    path.write_bytes(b"X:1\nT:t\nK:C\nA3 B1|\n")
    monkeypatch.setattr(printer, "length_text", lambda f: "")
    result = format_file(path)
    assert not result.ok
    assert path.read_bytes() == b"X:1\nT:t\nK:C\nA3 B1|\n"


def test_music_ignores_what_the_formatter_may_change() -> None:
    a = abcparse.parse("X:01\nM:6/8\nT:t\nK:G Major\n~A !trill!B c3 d-|!\nd6|\n").tunes[0]
    b = abcparse.parse("X:1\nT:t\nM:6/8\nK:G\n!roll!A TB c3 d-\n|d6|\n").tunes[0]
    assert music(a) == music(b)


@pytest.mark.parametrize(
    "changed",
    [
        "X:1\nT:t\nM:6/8\nK:G\nA B c3 d-|\nd6|\n",  # decoration gone
        "X:1\nT:t\nM:6/8\nK:G\n~A TB c3 d|\nd6|\n",  # tie gone
        "X:1\nT:t\nM:6/8\nK:D\n~A TB c3 d-|\nd6|\n",  # key
        "X:1\nT:t\nM:6/8\nK:G\n~A TB c3 d-|\nd6:|\n",  # repeat
        "X:1\nT:t\nM:6/8\nK:G\n~A TB c3 d-|\nd3 d3|\n",  # split note
        "X:1\nT:t\nM:6/8\nK:G\n~A TB \"G\"c3 d-|\nd6|\n",  # chord symbol
        "X:1\nT:t\nM:6/8\nK:G\n~A TB c3 d-|\nd6|\nw:la\n",  # lyrics
        "X:1\nT:t\nM:6/8\n%%MIDI program 2\nK:G\n~A TB c3 d-|\nd6|\n",  # directive
        "X:1\nT:u\nM:6/8\nK:G\n~A TB c3 d-|\nd6|\n",  # title
    ],
)
def test_music_sees_what_the_formatter_must_keep(changed: str) -> None:
    base = abcparse.parse("X:1\nT:t\nM:6/8\nK:G\n~A TB c3 d-|\nd6|\n").tunes[0]
    assert music(base) != music(abcparse.parse(changed).tunes[0])


def test_renumbering_is_allowed_only_when_asked() -> None:
    a = abcparse.parse("X:5\nT:t\nK:C\nC|\n").tunes[0]
    b = abcparse.parse("X:1\nT:t\nK:C\nC|\n").tunes[0]
    assert music(a) != music(b)
    assert music(a, FormatOptions(renumber=True)) == music(b, FormatOptions(renumber=True))


def test_note_lengths_compare_as_fractions() -> None:
    a = abcparse.parse("X:1\nT:t\nK:C\nA/2 B2/4|\n").tunes[0]
    assert a.bars[0].notes[1].length == Fraction(1, 2)
    b = abcparse.parse("X:1\nT:t\nK:C\nA/ B/|\n").tunes[0]
    assert music(a) == music(b)


def test_free_text_between_tunes_is_checked_as_free_text() -> None:
    """Text that looks like header fields between two tunes of a file with no file header
    (``E: one``, a ``T: Set two`` heading): the second tune's segment was checked alone,
    where such text at its start is a file header (§2.2.2), printed ``E:one`` on the
    second pass, so ABC902 ("not idempotent") left the tune unformatted on every run.
    The check reads the segment after the file's position as it is: free text."""
    text = "X:1\nK:C\nabc|\n\n\nE: one\n\nX:2\nK: C\ndef|\n"
    result = format_text(text)
    assert result.diagnostics == ()
    assert result.text == "X:1\nK:C\nabc|\n\nE: one\n\nX:2\nK:C\ndef|\n"
