"""The players' comparison run on collections named on the command line
(``python -m tests.playback.players --files ...``): how files are found and grouped."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.playback import peer, players

TUNE = "X:1\nT:t\nM:2/4\nL:1/8\nK:G\nGABc|d2B2|\n"


def test_folders_are_searched_and_each_is_one_collection(tmp_path: Path) -> None:
    book = tmp_path / "mybook"
    (book / "sub").mkdir(parents=True)
    (book / "a.abc").write_text(TUNE, encoding="utf-8")
    (book / "sub" / "B.ABC").write_text(TUNE + "\nX:2\nT:u\nK:D\nDEF|\n", encoding="utf-8")
    (book / "notes.txt").write_text(TUNE, encoding="utf-8")
    single = tmp_path / "one.abc"
    single.write_text(TUNE, encoding="utf-8")

    files = players.given_files([book, single])
    assert [label for label, _ in files] == ["mybook/a.abc", "mybook/sub/B.ABC", "one.abc"]
    tunes = players.all_tunes(files=[book, single])
    assert [t.id for t in tunes] == ["mybook/a.abc#1", "mybook/sub/B.ABC#1",
                                     "mybook/sub/B.ABC#2", "one.abc#1"]
    assert {peer.collection(t.id) for t in tunes} == {"mybook", "one.abc"}


def test_a_missing_path_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                         ) -> None:
    assert players.main(["--files", str(tmp_path / "nothing-here")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
