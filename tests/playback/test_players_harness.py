"""The players' comparison keeps each of our tunes with abcjs's reading of that same tune,
even where abcjs splits the file into tunes otherwise than we do (an indented ``X:``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.playback import abcjs_peer, players

pytestmark = pytest.mark.skipif(not abcjs_peer.available(),
                                reason="node or node_modules/abcjs missing")


def _tune(x: str, title: str, key: str, music: str) -> str:
    return f"{x}\nT:{title}\nM:4/4\nL:1/8\nK:{key}\n{music}|\n"


#: Three tunes with different notes, the second's ``X:`` indented: we start a tune there
#: (after an empty line), abcjs does not, so by its own split of the file the third tune
#: would be abcjs's second.
INDENTED = "\n".join([
    _tune("X:1", "One", "C", "CDEF GABc"),
    _tune("  X:2", "Two", "G", "GABc defg"),
    _tune("X:3", "Three", "D", "DEFG ABcd"),
])


def test_abcjs_splits_the_indented_file_otherwise() -> None:
    """The premise of the next test: abcjs's tunebook does not start a tune at ``  X:2``."""
    assert abcjs_peer.run_abcjs([INDENTED], parse_only=True)[0].tunes == 2


def test_each_tune_is_compared_with_its_own_abcjs_reading(tmp_path: Path) -> None:
    book = tmp_path / "indented.abc"
    book.write_text(INDENTED, encoding="utf-8")
    tunes = players.all_tunes(files=[book])
    assert [t.tune.text.lstrip()[:3] for t in tunes] == ["X:1", "X:2", "X:3"]
    verdicts = players.judge(tunes, abc2midi=False)
    assert [(v.id, v.abcjs) for v in verdicts] == [
        ("indented.abc#1", True), ("indented.abc#2", True), ("indented.abc#3", True)]


def test_a_tune_abcjs_does_not_find_fails_alone(tmp_path: Path) -> None:
    """After a file header abcjs finds no tune at an indented ``X:`` (it reads the header
    up to the empty line and stops): that tune differs, the next is still its own."""
    book = tmp_path / "header.abc"
    book.write_text("%%MIDI program 1\n\n" + INDENTED, encoding="utf-8")
    verdicts = players.judge(players.all_tunes(files=[book]), abc2midi=False)
    assert [v.abcjs for v in verdicts] == [True, False, True]
    assert verdicts[1].abcjs_detail == "abcjs played no notes (ours: 8)"
