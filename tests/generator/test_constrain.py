"""Constrained decoding: the checker lets the corpus through and refuses what would make a
tune invalid, and constrained sampling stays deterministic."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from abcparse.generator.cli import DEFAULT_MODEL_DIR
from abcparse.generator.constrain import TuneConstraint, drawable, length_of
from abcparse.generator.data import read_tunes
from abcparse.generator.sampler import NumpyLSTM
from abcparse.generator.vocab import Vocab

import abcparse
from abcparse.diagnostics import Severity

ROOT = Path(__file__).resolve().parents[2]
HEAD = "X:1\nT:T\nM:6/8\nL:1/8\nK:D\n"


def fresh() -> TuneConstraint:
    return TuneConstraint.factory(Vocab(("a",)), "")()


def accepts(text: str) -> bool:
    return fresh().accepts(text)


def test_the_corpus_passes_the_checker() -> None:
    """The checker must not keep the model from writing what it learnt: at least 98% of the
    training tunes (and their end of tune) go through it character by character."""
    tunes = read_tunes(ROOT / "corpus" / "train.abc")
    ok = sum(accepts(t + "\n") for t in tunes)
    assert ok >= 0.98 * len(tunes)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (HEAD + "dAF dAF|dAF dA| d", "music after a bar one eighth short"),
        (HEAD + "|dAF dAF d2", "a note that overfills the bar"),
        (HEAD + "|dAF (3dA|", "a tuplet cut by a bar line (ABC320)"),
        (HEAD + "|dAF dAF|[2", "a second ending with no first (ABC303)"),
        (HEAD + "|dAF dAF|[1dAF dAF|[2", "an ending still open when the next starts (ABC304)"),
        (HEAD + "|dAF dAF|d-e", "a tie between different pitches (ABC321)"),
        ("X:1\nT:T\nM:7/0", "an unreadable meter"),
        ("X:1\nT:T\nM:6/8\nK:Q", "an unreadable key"),
        ("X:1\nM:6/8", "T: not second (ABC203)"),
        ("X:1\nT:T\nM:6/8\nL:1/8\nd", "music before K: (ABC204)"),
        (HEAD + "|dAF dAF|\nE:", "a note letter and : opening a line (a field line)"),
        (HEAD + "dAF dAF:|dAF dAF:", "a second :| that no |: opens (ABC302, strict)"),
        (HEAD + "dAF dAF||dAF dAF:", "a :| after a double bar with no |: (ABC302)"),
        (HEAD + "|:dAF dAF:|[1dAF dAF:|[2dAF dAF|]dAF dAF:", "... after a group of endings"),
        (HEAD + "|dAF dAF|\nd :", "a letter, a space and : opening a line (abc2midi)"),
        ("X:1\nT::", "a title opening with a bar character (T::| reads as a repeat)"),
        ("X:1\nT:|", "the same with |"),
        (HEAD + "|d9/ ", "9/16: no note value (abcjs: Duration not representable)"),
        (HEAD + "|d5 ", "5/8: no note value (abcm2ps: Note too much dotted)"),
        (HEAD + "|d3>", "a dotted note dotted again: 9/16"),
        (HEAD + "|d>e>", "a broken rhythm after the second note of one (abc2midi)"),
    ],
)
def test_refuses(text: str, why: str) -> None:
    assert not accepts(text), why


def test_refused_character_changes_nothing() -> None:
    c = fresh()
    assert c.accepts(HEAD + "dAF dAF|dAF dAd")
    before = dict(c.__dict__)
    assert not c.feed("2")  # d2 would overfill the bar
    assert c.__dict__ == before
    assert c.feed("|")


def test_pickups_and_completing_bars_are_allowed() -> None:
    tune = HEAD + "A|dAF dAF|GBd gfe|dAF dAF|GEF D2:|\nA|dAF dAF|GBd gfe|dAF dAF|GEF D2|]\n\n"
    assert accepts(tune)
    assert abcparse.check(tune.rstrip("\n") + "\n", mode="strict") == []


@pytest.mark.parametrize(
    "body",
    [
        "dAF dAF:|dAF dAF|]",  # the first section repeats from the tune start
        "dAF dAF:||:dAF dAF:|",  # the next section opens its own repeat
        "|:dAF dAF::dAF dAF:|",  # :: ends one repeat and opens the next
        "|:dAF dAF|[1dAF dAF:|[2dAF dAF:|",  # the last ending's :| closes the group
    ],
)
def test_repeats_the_validator_accepts_pass(body: str) -> None:
    """Every :| the checker lets through reads strictly with no ABC302."""
    assert accepts(HEAD + body + "\n\n")
    codes = {d.code for d in abcparse.check(HEAD + body + "\n", mode="strict")}
    assert "ABC302" not in codes


def test_end_of_tune_needs_a_complete_state() -> None:
    assert not accepts(HEAD + "\n")  # no music at all
    assert not accepts(HEAD + "|dAF dAF|dAF (3dA\n")  # the tuplet lacks a note
    assert accepts(HEAD + "|dAF dAF|\n\n")


def test_drawable_note_values() -> None:
    """Plain, dotted and double-dotted values of any size, as abcjs's table of durations
    and abcm2ps draw them; nothing else (a tie is written instead)."""
    yes = ["1", "1/2", "3/8", "7/16", "3/2", "2", "3", "1/64", "7/4"]
    no = ["5/8", "9/16", "5/4", "15/16", "1/3", "2/3", "0"]
    assert all(drawable(Fraction(x)) for x in yes)
    assert not any(drawable(Fraction(x)) for x in no)
    assert accepts(HEAD + "|d3 d>e f|d7/ e/ c2|")


def test_length_of() -> None:
    assert length_of("") == 1 and length_of("2") == 2 and length_of("/") == 0.5
    assert length_of("//") == 0.25 and length_of("3/2") == 1.5 and length_of("/4") == 0.25
    assert length_of("0") is None and length_of("2x") is None


def test_constrained_sampling_is_deterministic_and_valid() -> None:
    net = NumpyLSTM.from_dir(DEFAULT_MODEL_DIR)
    factory = TuneConstraint.factory(net.vocab, "X:1\n")
    a = net.sample_batch(24, seed=11, constraint=factory)
    b = net.sample_batch(24, seed=11, constraint=factory)
    assert [s.text for s in a] == [s.text for s in b]
    errors = 0
    for s in a:
        found = abcparse.check(s.text, mode="strict") if s.finished else None
        if found is None or any(d.severity is Severity.ERROR for d in found):
            errors += 1
    # The checker refuses what it can see coming; a few rows may still give up.
    assert errors <= 3
