"""abcparse midi reads its input a tune at a time (issue 16): headers first, to choose
and name the tunes (in the mode of the run, so they are the tunes a parse gives), then
each chosen tune in full as it is played."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import abcparse
from abcparse.cli import midi as midi_cli
from abcparse.cli.main import main

BOOK = (
    "%abc-2.1\nL:1/8\n\nX:1\nT:One\nK:G\nGABc|\n\nX:2\nT:Two\nK:D\n\ndefg|\n\n"
    "X:3\nT:Three\nK:A\nABcd|\n"
)


def test_tunes_after_the_chosen_one_are_not_read(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "book.abc"
    path.write_text(BOOK, encoding="utf-8")
    built: list[str | None] = []
    real = midi_cli.iter_tunes

    def spy(*args: object, **kw: object) -> object:
        for tune in real(*args, **kw):  # type: ignore[arg-type]
            built.append(tune.title)
            yield tune

    monkeypatch.setattr(midi_cli, "iter_tunes", spy)
    assert main(["midi", str(path), "--tune", "1", "-o", str(tmp_path / "x.mid")]) == 0
    assert (tmp_path / "x.mid").is_file()
    # The first pass read headers only; the second stops after the chosen tune.
    assert built == ["One"]


def test_strict_files_are_cut_as_a_parse_cuts_them(tmp_path: Path) -> None:
    """In a 2.1 file the empty line after K: ends tune 2 (§2.2.1): headers and tunes are
    read with the same cut, so X:3 is the third tune either way."""
    path = tmp_path / "book.abc"
    path.write_text(BOOK, encoding="utf-8")
    titles = [t.title for t in abcparse.parse_file(path).tunes]
    book = midi_cli._read(str(path), "auto")
    assert [t.title for t in book.tunes] == titles == ["One", "Two", "Three"]
    assert main(["midi", str(path), "-o", str(tmp_path) + "/"]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.mid")) == [
        "book-1.mid", "book-2.mid", "book-3.mid"]


def test_standard_input_is_read_once_for_both_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for number in (1, 3):
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(BOOK.encode())))
        out = tmp_path / f"s{number}.mid"
        assert main(["midi", "-", "--tune", str(number), "-o", str(out)]) == 0
        assert out.is_file()
    assert "X:3 ->" in capsys.readouterr().out
