"""``events.sound_key`` (what the repair guard compares) says two tunes sound the same
exactly when :func:`abcparse.events.perform` gives them the same notes."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest

import abcparse
from abcparse.events import SoundKey, perform, sound_key
from abcparse.model import Tune
from tests.core.corpora import SHIPPED_IRISH, all_files, file_id


def heard(tune: Tune, grace: str) -> list[tuple[Fraction, Fraction, str, Fraction, bool]]:
    """perform's notes as a sorted list: the multiset the key stands for (a microtone's
    pitch with its cents)."""
    return sorted((n.onset, n.duration, n.voice, n.pitch + Fraction(n.cents, 100), n.grace)
                  for n in perform(tune, grace=grace).notes)


def test_key_from_beats() -> None:
    """The key is the performance in the smallest whole numbers: the resolution, then
    (onset, duration, voice, pitch, grace) per note."""
    tune = abcparse.parse("X:1\nL:1/8\nK:C\n(3CDE F2|{B}G4|\n").tunes[0]
    notes = heard(tune, "steal")
    res, key = sound_key(tune, grace="steal")
    assert [(Fraction(o * 4, res), Fraction(d * 4, res), v, p, g)
            for o, d, v, p, g in key] == notes


@pytest.mark.parametrize(("a", "b"), [
    # The same music written three ways, read at different resolutions.
    ("L:1/8\nK:C\n(3CDE F2|G4|", "L:1/16\nK:C\nC4/3D4/3E4/3 F4|G8|"),
    ("L:1/8\nK:C\n(3CDE F2|G4|", "L:1/8\nK:C\nC2/3D2/3E2/3 F2|G4|"),
    # A repeat played out, and written out.
    ("L:1/4\nK:C\n|:C D:|E", "L:1/4\nK:C\nC D|C D|E"),
    # A tie, and the one note it makes.
    ("L:1/4\nK:C\nC2-C2|", "L:1/4\nK:C\nC4|"),
])
def test_same_music_same_key(a: str, b: str) -> None:
    ta, tb = (abcparse.parse(f"X:1\n{t}\n").tunes[0] for t in (a, b))
    assert heard(ta, "steal") == heard(tb, "steal")
    assert sound_key(ta, grace="steal") == sound_key(tb, grace="steal")


@pytest.mark.parametrize(("a", "b"), [
    ("K:C\nC D E F|", "K:C\nC D E ^F|"),  # a pitch
    ("K:C\nC D E F|", "K:C\nC D E F2|"),  # a length
    ("K:C\nC D E F|", "K:C\nC D F E|"),  # an order
    ("K:C\n{A}C D|", "K:C\nC D|"),  # a grace note that takes time
    ("K:C\n!staccato!C D|", "K:C\nC D|"),  # how long a note sounds
])
def test_different_music_different_key(a: str, b: str) -> None:
    ta, tb = (abcparse.parse(f"X:1\n{t}\n").tunes[0] for t in (a, b))
    assert heard(ta, "steal") != heard(tb, "steal")
    assert sound_key(ta, grace="steal") != sound_key(tb, grace="steal")


def _tunes(step: int) -> Iterator[tuple[str, Tune]]:
    """Every ``step``-th corpus tune, in file order."""
    files: list[Path] = [SHIPPED_IRISH, *(p for p in all_files() if p != SHIPPED_IRISH)]
    k = 0
    for path in files:
        for i, tune in enumerate(abcparse.parse_file(path).tunes):
            if k % step == 0:
                yield f"{file_id(path)}#{i + 1}", tune
            k += 1


# The default run takes every fourth tune (a quarter of the time); `-m slow` takes all.
@pytest.mark.parametrize("step", [pytest.param(1, marks=pytest.mark.slow, id="every-tune"),
                                  pytest.param(4, id="every-fourth-tune")])
def test_key_agrees_with_perform_on_every_corpus_pair_of_neighbours(step: int) -> None:
    """On the corpus tunes (both grace modes), the key of each tune stands for exactly
    perform's notes, and two neighbouring tunes have equal keys exactly when perform
    gives them equal notes."""
    prev: SoundKey | None = None
    prev_notes: object = None
    for label, tune in _tunes(step):
        for grace in ("ignore", "steal"):
            notes = heard(tune, grace)
            key = sound_key(tune, grace=grace)
            res, sounds = key
            back = [(Fraction(o * 4, res), Fraction(d * 4, res), v, p, g)
                    for o, d, v, p, g in sounds]
            assert back == notes, label
            if grace == "steal":
                if prev is not None:
                    assert (key == prev) == (notes == prev_notes), label
                prev, prev_notes = key, notes
