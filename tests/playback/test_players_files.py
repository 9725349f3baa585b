"""The players' comparison run on collections named on the command line
(``python -m tests.playback.players --files ...``): how files are found and grouped."""

from __future__ import annotations

from pathlib import Path

import pytest

import abcparse
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


PARTS = (
    "X:1\nT:t\nP:AB last time\nM:2/4\nL:1/8\nK:G\nP:A\nGABc|d2B2:|\nP:B\nd2B2|\\\n"
    "P:D.S.\nc4|]\n"
)


def test_the_abc2midi_part_rewrite_touches_only_what_abc2midi_misreads() -> None:
    new, kinds = players._abc2midi_rewrite(PARTS)
    assert kinds == ["abc2midi-part-fields"]
    assert "P:AB\n" in new  # the header order keeps its letters, loses its words
    assert "\nP:A\n" in new and "\nP:B\n" in new  # part labels stay
    assert "\n%P:D.S.\n" in new  # a remark becomes a comment


@pytest.mark.skipif(peer.ABC2MIDI is None, reason="abc2midi is not installed")
def test_a_tune_explained_by_abc2midi_faults_counts_only_when_it_then_agrees(
    tmp_path: Path,
) -> None:
    book = tmp_path / "parts.abc"
    book.write_text(PARTS, encoding="utf-8")
    tunes = players.all_tunes(files=[book])
    found = players._explained_by_abc2midi(tunes)
    assert found == {"parts.abc#1": ["abc2midi-part-fields"]}
    # The same tune without the faults: nothing to write around, so nothing explained.
    book.write_text(players._abc2midi_rewrite(PARTS)[0], encoding="utf-8")
    assert players._explained_by_abc2midi(players.all_tunes(files=[book])) == {}


BROKEN = "X:1\nT:t\nM:2/4\nL:1/8\nK:G\nHc>d B<.d g>f g2|]\n"


def test_the_abc2midi_broken_rhythm_rewrite_writes_the_lengths_next_to_a_mark() -> None:
    """abc2midi drops a broken rhythm after a fermata or before a staccato dot (§4.4):
    those pairs are written as the lengths they give; one with no mark stays."""
    new, kinds = players._abc2midi_rewrite(BROKEN)
    assert kinds == ["abc2midi-broken-rhythm-by-a-mark"]
    assert new.endswith("\nHc3/2d/ B/.d3/2 g>f g2|]\n")
    ours = [(e.pitch, e.onset, e.duration) for e in abcparse.parse(BROKEN).tunes[0].events()]
    assert [(e.pitch, e.onset, e.duration)
            for e in abcparse.parse(new).tunes[0].events()] == ours


@pytest.mark.skipif(peer.ABC2MIDI is None, reason="abc2midi is not installed")
def test_a_broken_rhythm_by_a_fermata_is_explained_by_abc2midi(tmp_path: Path) -> None:
    book = tmp_path / "broken.abc"
    book.write_text(BROKEN, encoding="utf-8")
    found = players._explained_by_abc2midi(players.all_tunes(files=[book]))
    assert found == {"broken.abc#1": ["abc2midi-broken-rhythm-by-a-mark"]}
