"""The layout of generated tunes (generator.generate.join_bar_lines): repeat signs go to the
end of a music line, never alone on a line or at the start of one, so that abcjs plays a
generated tune as abc2midi and abcparse do; the music never changes."""

from __future__ import annotations

import tempfile

import pytest
from abcparse.generator.generate import join_bar_lines

import abcparse
from abcparse.events import tune_events
from tests.playback import abcjs_peer, peer

HEAD = "X:1\nT:t\nM:2/4\nL:1/8\nK:A\n"


def played(text: str) -> list[tuple[object, ...]]:
    tune = abcparse.parse(text).tunes[0]
    return [(e.onset, e.pitch, e.duration) for e in tune_events(tune)]


@pytest.mark.parametrize(
    ("body", "laid_out"),
    [
        # the model's habit: :| and |: each alone on a line
        ("|:A2 A2|E2 E2 \n:|\n|:\nGF E2|A4:|\n", "|:A2 A2|E2 E2:| |:\nGF E2|A4:|\n"),
        ("|:A2 A2|E2 E2 \n:|\n|:GF E2|A4:|\n", "|:A2 A2|E2 E2:|\n|:GF E2|A4:|\n"),
        ("|:A2 A2|E2 E2:|\n|:\nGF E2|A4:|\n", "|:A2 A2|E2 E2:| |:\nGF E2|A4:|\n"),
        # a |: or :: that starts a line after a note
        ("|:A2 A2|E2 E2\n::GF E2|A4:|\n", "|:A2 A2|E2 E2::\nGF E2|A4:|\n"),
        ("A2 A2|E2 E2\n|: GF E2|A4:|\n", "A2 A2|E2 E2|:\nGF E2|A4:|\n"),
        # a plain bar line after a line that ends mid-bar: abcjs kept the bar's accidental
        ("|:A2 A2|E2 _e2\n|e2 E2|A4:|\n", "|:A2 A2|E2 _e2|\ne2 E2|A4:|\n"),
        ("A2 A2|E2 E2\n|| GF E2|A4|]\n", "A2 A2|E2 E2||\nGF E2|A4|]\n"),
        # a lone note on a line, then :| alone: not "d :|" at a line's start (abc2midi)
        ("|:A2 A2|E2 E2|GF E\nd \n:|\n", "|:A2 A2|E2 E2|GF E d:|\n"),
        # a first section repeated from the start opens with |: (abc2abc's "Missing
        # repeat at start"); the players go back there either way
        ("A2 A2|E2 E2::\nGF E2|A4:|\n", "|:A2 A2|E2 E2::\nGF E2|A4:|\n"),
    ],
)
def test_repeat_signs_move_to_the_end_of_the_line(body: str, laid_out: str) -> None:
    out = join_bar_lines(HEAD + body)
    assert out == HEAD + laid_out
    assert played(out) == played(HEAD + body)
    assert not abcparse.check(out, mode="strict")


@pytest.mark.parametrize(
    "body",
    [
        "A2 A2|E2 E2|\n|:GF E2|A4:|\n",  # the line before ends with a bar line already
        "A2 A2|E2 E2|\nw:la la la la\n|:GF E2|A4:|\n",  # a field line between stays
        "|:A2 A2|E2 E2\n%comment\n:|\nGF E2|A4:|\n",  # so does a comment line
        # a tune with a pickup: abc2abc would count |:E| as a short bar, and E|: would not
        # repeat the pickup
        "E|A2 A2|E2 E::\nE|GF E2|A3:|\n",
        "A2 A2|E2 E2 \\\n|:GF E2|A4:|\n",  # a continued line is left as written
        "|:A2 A2|[1E2 E2\n:|2 GF E2|A4|]\n",  # an ending's :|2 is not cut in two
        "|:A2 A2|E2 E2\n|1 GF E2:|2 A4|]\n",  # nor its |1
    ],
)
def test_lines_that_are_fine_stay(body: str) -> None:
    assert join_bar_lines(HEAD + body) == HEAD + body


def test_a_move_that_would_change_the_music_is_not_made() -> None:
    """Taking ``|:`` from ``|:A:|`` would leave ``A:|`` at the start of a line, which §3
    reads as a field (ABC108): the music would change, so the line stays."""
    body = "A2 A2|E2 E2\n|:A:|B4|]\n"
    assert join_bar_lines(HEAD + body) == HEAD + body


@peer.needs_both_players
def test_abcjs_plays_the_laid_out_tune_as_written() -> None:
    """The case that made the step: ``:|`` and ``|:`` alone on their lines after a line
    that ends in a note. abcjs plays that note again at the start of the next section; after
    the layout step both players play what abcparse plays."""
    text = "X:1\nT:t\nM:4/4\nL:1/8\nK:C\nAB|c2Bc A2Bc|\nc2ge ae \n:|\n|:\nce|e8|]\n"
    assert peer.players_agree(text) == (True, False)
    assert peer.players_agree(join_bar_lines(text)) == (True, True)


@peer.needs_both_players
def test_generated_tunes_play_alike_in_both_players() -> None:
    """Tunes from the shipped model: every note abc2midi and abcjs play is the note
    abcparse plays, in the same place (onset and pitch; abc2midi's durations too)."""
    from abcparse.generator.data import read_tunes
    from abcparse.generator.generate import TuneGenerator
    from abcparse.generator.sampler import NumpyLSTM

    folder = abcparse.generator.__path__[0] + "/default_model"
    gen = TuneGenerator(NumpyLSTM.from_dir(folder), None, constrained=True,
                        train_tunes=read_tunes(folder + "/train.abc"), batch_size=16)
    tunes = gen.run(24, seed=11).tunes
    parsed = [abcparse.parse(t).tunes[0] for t in tunes]
    js = abcjs_peer.run_abcjs(tunes)
    differ = []
    with tempfile.TemporaryDirectory() as work:
        for text, tune, p in zip(tunes, parsed, js, strict=True):
            midi = peer.abc2midi_notes(text, work) == peer.our_notes(tune)[0]
            abcjs = abcjs_peer.their_notes(p)[0] == abcjs_peer.our_notes(tune)[0]
            if not (midi and abcjs):
                differ.append((midi, abcjs, text))
    assert not differ, differ
